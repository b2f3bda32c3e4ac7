//! Deployments and stages of a WebSocket API. A deployment freezes the
//! definition as it is (at least one route, as AWS asks); a stage points at
//! one. A stage with `autoDeploy` gets a fresh deployment whenever the
//! definition changes (and when it is created); auto deployments no stage
//! points at any more are dropped, so the record stays bounded.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Value};

use super::super::operations::Op;
use super::super::{bad_request, not_found, ApiError, Management, Reply, Request};
use super::shapes::{self, str_of};
use super::{conflict, items, merge, new_id, now_iso};
use crate::model::websocket::{valid_stage_name, WsApi, WsDeployment};

impl Management {
    /// Serves deployments and stages.
    pub(super) async fn v2_stages(&self, req: &Request<'_>) -> Reply {
        let api_id = req.param("apiId");
        match req.op() {
            Op::CreateV2Deployment => self.create_ws_deployment(api_id, req.body).await,
            Op::GetV2Deployments => {
                let api = self.ws_api(api_id)?;
                items(
                    req,
                    api.deployments.values().map(|d| d.info.clone()).collect(),
                )
            }
            Op::GetV2Deployment => {
                let api = self.ws_api(api_id)?;
                let id = req.param("deploymentId");
                Ok((StatusCode::OK, deployment(&api, id)?.info.clone()))
            }
            Op::UpdateV2Deployment => {
                let input = shapes::input(&shapes::DEPLOYMENT, req.body, false)?;
                let id = req.param("deploymentId");
                let info = self
                    .edit_ws(api_id, |api| {
                        let d = api
                            .deployments
                            .get_mut(id)
                            .ok_or_else(|| missing_deployment(id))?;
                        if let Some(text) = input.get("description") {
                            d.info["description"] = text.clone();
                        }
                        Ok(d.info.clone())
                    })
                    .await?;
                Ok((StatusCode::OK, info))
            }
            Op::DeleteV2Deployment => {
                self.delete_ws_deployment(api_id, req.param("deploymentId"))
                    .await
            }
            Op::CreateV2Stage => self.create_ws_stage(api_id, req.body).await,
            Op::GetV2Stages => {
                let api = self.ws_api(api_id)?;
                let mut out = Vec::new();
                for name in api.stages.keys() {
                    out.push(self.stage_json(&api, name)?);
                }
                items(req, out)
            }
            Op::GetV2Stage => {
                let api = self.ws_api(api_id)?;
                Ok((
                    StatusCode::OK,
                    self.stage_json(&api, req.param("stageName"))?,
                ))
            }
            Op::UpdateV2Stage => {
                self.update_ws_stage(api_id, req.param("stageName"), req.body)
                    .await
            }
            Op::DeleteV2Stage => {
                let name = req.param("stageName");
                self.edit_ws(api_id, |api| {
                    api.stages
                        .remove(name)
                        .map(drop)
                        .ok_or_else(|| missing_stage(name))?;
                    prune(api);
                    Ok(())
                })
                .await?;
                let tags = format!("/apis/{api_id}/stages/{name}");
                self.write(crate::control::ControlCommand::PutTags(
                    tags,
                    BTreeMap::new(),
                ))
                .await?;
                Ok((StatusCode::NO_CONTENT, Value::Null))
            }
            op => Err(req.not_served(op)),
        }
    }

    async fn create_ws_deployment(&self, api_id: &str, body: &[u8]) -> Reply {
        let input = shapes::input(&shapes::DEPLOYMENT, body, false)?;
        let id = new_id();
        let info = self
            .edit_ws(api_id, |api| {
                let stage = str_of(&input, "stageName");
                if let Some(name) = stage {
                    api.stages.get(name).ok_or_else(|| missing_stage(name))?;
                }
                let info = deploy(api, &id, false, input.get("description"))?;
                if let Some(name) = stage {
                    point(api, name, &id);
                }
                Ok(info)
            })
            .await?;
        Ok((StatusCode::CREATED, info))
    }

    async fn delete_ws_deployment(&self, api_id: &str, id: &str) -> Reply {
        self.edit_ws(api_id, |api| {
            deployment(api, id)?;
            let used = api
                .stages
                .values()
                .any(|s| s.get("deploymentId").and_then(Value::as_str) == Some(id));
            if used {
                return Err(bad_request(
                    "Active stages pointing to this deployment must be moved or deleted",
                ));
            }
            api.deployments.remove(id);
            Ok(())
        })
        .await?;
        Ok((StatusCode::NO_CONTENT, Value::Null))
    }

    async fn create_ws_stage(&self, api_id: &str, body: &[u8]) -> Reply {
        let mut input = shapes::input(&shapes::STAGE, body, true)?;
        let tags = input.remove("tags");
        let name = str_of(&input, "stageName").unwrap_or("").to_string();
        if !valid_stage_name(&name) {
            return Err(bad_request(format!(
                "Invalid stageName {name}: 1 to 128 letters, digits, '-', '_' or '$'"
            )));
        }
        self.edit_ws(api_id, |api| {
            if api.stages.contains_key(&name) {
                return Err(conflict(format!("Stage {name} already exists")));
            }
            let now = now_iso();
            let mut stage = json!({
                "createdDate": now,
                "lastUpdatedDate": now,
                "defaultRouteSettings": {"dataTraceEnabled": false, "detailedMetricsEnabled": false},
                "routeSettings": {},
                "stageVariables": {},
            });
            merge(&mut stage, &input);
            check_stage(api, &stage)?;
            api.stages.insert(name.clone(), stage);
            if is_auto(api, &name) && !api.definition.routes.is_empty() {
                deploy_stage(api, &name)?;
            }
            Ok(())
        })
        .await?;
        self.tag_new(format!("/apis/{api_id}/stages/{name}"), tags.as_ref())
            .await?;
        let api = self.ws_api(api_id)?;
        Ok((StatusCode::CREATED, self.stage_json(&api, &name)?))
    }

    async fn update_ws_stage(&self, api_id: &str, name: &str, body: &[u8]) -> Reply {
        let mut input = shapes::input(&shapes::STAGE, body, false)?;
        input.remove("tags");
        if str_of(&input, "stageName").is_some_and(|n| n != name) {
            return Err(bad_request("The stageName of a stage cannot be changed"));
        }
        self.edit_ws(api_id, |api| {
            let mut stage = api
                .stages
                .get(name)
                .cloned()
                .ok_or_else(|| missing_stage(name))?;
            merge(&mut stage, &input);
            stage["lastUpdatedDate"] = json!(now_iso());
            check_stage(api, &stage)?;
            api.stages.insert(name.to_string(), stage);
            prune(api);
            Ok(())
        })
        .await?;
        let api = self.ws_api(api_id)?;
        Ok((StatusCode::OK, self.stage_json(&api, name)?))
    }

    /// A stage as `GetStage` answers it, with its tags.
    fn stage_json(&self, api: &WsApi, name: &str) -> Result<Value, ApiError> {
        let mut out = api
            .stages
            .get(name)
            .cloned()
            .ok_or_else(|| missing_stage(name))?;
        out["stageName"] = json!(name);
        let resource = format!("/apis/{}/stages/{name}", api.id);
        let tags = self
            .store
            .get_tags(&resource)
            .map_err(super::super::internal)?;
        out["tags"] = json!(tags);
        Ok(out)
    }
}

/// Freezes the definition as deployment `id`; its `GetDeployment` answer.
fn deploy(
    api: &mut WsApi,
    id: &str,
    auto: bool,
    description: Option<&Value>,
) -> Result<Value, ApiError> {
    if api.definition.routes.is_empty() {
        return Err(bad_request(
            "At least one route is required before deploying the Api.",
        ));
    }
    let mut info = json!({
        "autoDeployed": auto,
        "createdDate": now_iso(),
        "deploymentId": id,
        "deploymentStatus": "DEPLOYED",
    });
    if let Some(text) = description {
        info["description"] = text.clone();
    }
    api.deployments.insert(
        id.to_string(),
        WsDeployment {
            info: info.clone(),
            definition: api.definition.clone(),
        },
    );
    Ok(info)
}

/// Points stage `name` at deployment `id`.
fn point(api: &mut WsApi, name: &str, id: &str) {
    if let Some(stage) = api.stages.get_mut(name) {
        stage["deploymentId"] = json!(id);
        stage["lastUpdatedDate"] = json!(now_iso());
    }
}

fn is_auto(api: &WsApi, name: &str) -> bool {
    api.stages
        .get(name)
        .and_then(|s| s.get("autoDeploy"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A fresh auto deployment for stage `name`.
fn deploy_stage(api: &mut WsApi, name: &str) -> Result<(), ApiError> {
    let id = new_id();
    deploy(api, &id, true, None)?;
    point(api, name, &id);
    prune(api);
    Ok(())
}

/// After a definition change: every `autoDeploy` stage gets a deployment
/// of the new definition (none while the API has no route).
pub(super) fn auto_deploy(api: &mut WsApi) {
    let names: Vec<String> = api
        .stages
        .keys()
        .filter(|n| is_auto(api, n))
        .cloned()
        .collect();
    for name in names {
        if deploy_stage(api, &name).is_err() {
            return;
        }
    }
}

/// Drops auto deployments no stage points at.
fn prune(api: &mut WsApi) {
    let used: Vec<String> = api
        .stages
        .values()
        .filter_map(|s| {
            s.get("deploymentId")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    api.deployments.retain(|id, d| {
        used.contains(id) || d.info.get("autoDeployed").and_then(Value::as_bool) != Some(true)
    });
}

fn check_stage(api: &WsApi, stage: &Value) -> Result<(), ApiError> {
    if let Some(id) = stage.get("deploymentId").and_then(Value::as_str) {
        deployment(api, id)?;
    }
    Ok(())
}

fn deployment<'a>(api: &'a WsApi, id: &str) -> Result<&'a WsDeployment, ApiError> {
    api.deployments
        .get(id)
        .ok_or_else(|| missing_deployment(id))
}

fn missing_deployment(id: &str) -> ApiError {
    not_found(format!("Invalid Deployment identifier specified {id}"))
}

fn missing_stage(name: &str) -> ApiError {
    not_found(format!("Invalid stage identifier specified {name}"))
}
