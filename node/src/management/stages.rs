//! Deployments and stages: `CreateDeployment` (with or without a stage),
//! `GetDeployment(s)`, `DeleteDeployment`, `CreateStage`, `GetStage(s)`,
//! `UpdateStage` (variables, cache, method settings), `DeleteStage`, and
//! apigw's own whole-stage read and write (`?apigwDefinition=true`).

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Value};

use super::operations::Op;
use super::{
    bad_request, check_name, err, internal, not_found, patch, ApiError, Management, Reply, Request,
};
use crate::control::ControlCommand;
use crate::model::{Deployment, Stage};

impl Management {
    /// Serves the deployment and stage family's operations.
    pub(super) async fn stages(&self, req: &Request<'_>) -> Reply {
        let id = req.param("restapi_id");
        let name = req.param("stage_name");
        match req.op() {
            Op::CreateDeployment => self.create_deployment(id, req.body).await,
            Op::GetDeployments => {
                self.api(id)?;
                let mut deployments = self.store.list_deployments(id).map_err(internal)?;
                deployments.sort_by_key(|d| d.created_date);
                let items = deployments.iter().map(deployment_json).collect();
                Ok((StatusCode::OK, req.page(items)?))
            }
            Op::GetDeployment => {
                let d = self.deployment(id, req.param("deployment_id"))?;
                Ok((StatusCode::OK, deployment_json(&d)))
            }
            Op::DeleteDeployment => self.delete_deployment(id, req.param("deployment_id")).await,
            Op::CreateStage => self.create_stage(id, req.body).await,
            Op::GetStages => {
                self.api(id)?;
                let stages = self.store.list_stages(id).map_err(internal)?;
                Ok((
                    StatusCode::OK,
                    json!({"item": stages.iter().map(stage_json).collect::<Vec<_>>()}),
                ))
            }
            Op::GetStageDefinition => Ok((StatusCode::OK, json!(self.stage(id, name)?))),
            Op::PutStageDefinition => self.put_stage_definition(id, name, req.body).await,
            Op::GetStage => Ok((StatusCode::OK, stage_json(&self.stage(id, name)?))),
            Op::UpdateStage => self.update_stage(id, name, req.body).await,
            Op::DeleteStage => {
                self.stage(id, name)?;
                self.write(ControlCommand::DeleteStage(
                    id.to_string(),
                    name.to_string(),
                ))
                .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            other => Err(req.not_served(other)),
        }
    }

    /// Deployment `dep` of API `id`.
    pub(super) fn deployment(&self, id: &str, dep: &str) -> Result<Deployment, ApiError> {
        self.store
            .get_deployment(id, dep)
            .map_err(internal)?
            .ok_or_else(|| not_found("Invalid Deployment identifier specified"))
    }

    /// `DeleteDeployment`: refused while a stage points at it, as AWS.
    async fn delete_deployment(&self, id: &str, dep: &str) -> Reply {
        self.api(id)?;
        self.deployment(id, dep)?;
        let pointing: Vec<String> = self
            .store
            .list_stages(id)
            .map_err(internal)?
            .into_iter()
            .filter(|s| s.deployment_id == *dep)
            .map(|s| s.stage_name)
            .collect();
        if !pointing.is_empty() {
            return Err(bad_request(format!(
                "Active stages pointing to this deployment must be moved or deleted: {}",
                pointing.join(", ")
            )));
        }
        self.write(ControlCommand::DeleteDeployment(
            id.to_string(),
            dep.to_string(),
        ))
        .await?;
        Ok((StatusCode::ACCEPTED, json!({})))
    }

    /// apigw's own `PUT ...?apigwDefinition=true`: a whole stored stage.
    async fn put_stage_definition(&self, id: &str, name: &str, body: &[u8]) -> Reply {
        let stage: Stage = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("not an apigw stage: {e}")))?;
        check_name(crate::names::stage_name(&stage.stage_name))?;
        if stage.rest_api_id != *id || stage.stage_name != *name {
            return Err(bad_request(
                "the stage's API id and name must match the URL",
            ));
        }
        self.api(id)?;
        self.store
            .get_deployment(id, &stage.deployment_id)
            .map_err(internal)?
            .ok_or_else(|| bad_request("the stage's deployment does not exist"))?;
        self.write(ControlCommand::PutStage(Box::new(stage.clone())))
            .await?;
        Ok((StatusCode::OK, stage_json(&stage)))
    }

    pub(super) async fn create_deployment(&self, id: &str, body: &[u8]) -> Reply {
        let api = self.api(id)?;
        let input: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(body)
                .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?
        };
        let stage_name = input.get("stageName").and_then(Value::as_str);
        if let Some(name) = stage_name {
            check_name(crate::names::stage_name(name))?;
            super::tags::tags_of(input.get("tags"))?;
        }
        if let Some(description) = input.get("description").and_then(Value::as_str) {
            check_name(crate::names::free_text("description", description, 1024))?;
        }
        let now = crate::store::unix_now();
        let deployment = Deployment {
            id: crate::ids::new_deployment_id(),
            rest_api_id: id.to_string(),
            description: input
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            created_date: now,
            api,
        };
        self.write(ControlCommand::PutDeployment(Box::new(deployment.clone())))
            .await?;
        if let Some(stage_name) = stage_name {
            let mut stage = match self.store.get_stage(id, stage_name).map_err(internal)? {
                Some(mut s) => {
                    s.deployment_id = deployment.id.clone();
                    s.last_updated_date = now;
                    s
                }
                None => Stage::new(id, stage_name, &deployment.id, now),
            };
            if let Some(Value::Object(vars)) = input.get("variables") {
                for (k, v) in vars {
                    stage
                        .variables
                        .insert(k.clone(), v.as_str().unwrap_or_default().to_string());
                }
            }
            self.write(ControlCommand::PutStage(Box::new(stage.clone())))
                .await?;
        }
        Ok((StatusCode::CREATED, deployment_json(&deployment)))
    }

    /// `CreateStage`: a new stage pointing at an existing deployment.
    pub(super) async fn create_stage(&self, id: &str, body: &[u8]) -> Reply {
        self.api(id)?;
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let text = |key: &str| input.get(key).and_then(Value::as_str);
        let name = text("stageName").ok_or_else(|| bad_request("stageName is required"))?;
        check_name(crate::names::stage_name(name))?;
        let deployment =
            text("deploymentId").ok_or_else(|| bad_request("deploymentId is required"))?;
        if self.store.get_stage(id, name).map_err(internal)?.is_some() {
            return Err(err(
                StatusCode::CONFLICT,
                "ConflictException",
                "Stage already exists",
            ));
        }
        self.store
            .get_deployment(id, deployment)
            .map_err(internal)?
            .ok_or_else(|| bad_request(format!("Deployment id {deployment} does not exist")))?;
        let mut stage = Stage::new(id, name, deployment, crate::store::unix_now());
        stage.description = text("description").map(str::to_string);
        stage.cache_cluster_enabled = input
            .get("cacheClusterEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(Value::Object(vars)) = input.get("variables") {
            for (k, v) in vars {
                let v = v
                    .as_str()
                    .ok_or_else(|| bad_request(format!("variable {k} must be a string")))?;
                stage.variables.insert(k.clone(), v.to_string());
            }
        }
        self.write(ControlCommand::PutStage(Box::new(stage.clone())))
            .await?;
        self.tag_new(format!("/restapis/{id}/stages/{name}"), input.get("tags"))
            .await?;
        Ok((StatusCode::CREATED, stage_json(&stage)))
    }

    pub(super) async fn update_stage(&self, id: &str, name: &str, body: &[u8]) -> Reply {
        let mut stage = self.stage(id, name)?;
        for op in patch::operations(body)? {
            let parts = patch::segments(&op.path);
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            match (op.sets(), parts.as_slice()) {
                (true, ["deploymentId"]) => {
                    let target = op.value()?.to_string();
                    self.store
                        .get_deployment(id, &target)
                        .map_err(internal)?
                        .ok_or_else(|| {
                            bad_request(format!("Deployment {target} does not exist"))
                        })?;
                    stage.deployment_id = target;
                }
                (true, ["description"]) => stage.description = op.value.clone(),
                (true, ["variables", key]) => {
                    stage
                        .variables
                        .insert(key.to_string(), op.value()?.to_string());
                }
                (false, ["variables", key]) => {
                    stage.variables.remove(*key);
                }
                (true, ["cacheClusterEnabled"]) => stage.cache_cluster_enabled = op.bool()?,
                (true, ["cacheClusterSize"]) => {}
                (sets, [resource, verb, rest @ ..]) if !rest.is_empty() => {
                    // `/{resourcePath}/{method}/throttling/rateLimit`; the
                    // resource path is escaped (`~1pets`), `*` means all.
                    let setting = stage
                        .method_settings
                        .entry(format!("{resource}/{verb}"))
                        .or_default();
                    patch_method_setting(setting, sets, rest, &op)?;
                }
                _ => return Err(op.unsupported()),
            }
        }
        stage.last_updated_date = crate::store::unix_now();
        self.write(ControlCommand::PutStage(Box::new(stage.clone())))
            .await?;
        Ok((StatusCode::OK, stage_json(&stage)))
    }
}

/// One `UpdateStage` method-setting path (after `/{resource}/{method}/`).
pub(super) fn patch_method_setting(
    setting: &mut crate::model::MethodSetting,
    sets: bool,
    rest: &[&str],
    op: &patch::PatchOp,
) -> Result<(), ApiError> {
    if !sets {
        return Err(op.unsupported());
    }
    match rest {
        ["throttling", "rateLimit"] => setting.throttling_rate_limit = Some(op.number()?),
        ["throttling", "burstLimit"] => setting.throttling_burst_limit = Some(op.number()?),
        ["caching", "enabled"] => setting.caching_enabled = Some(op.bool()?),
        ["caching", "ttlInSeconds"] => {
            let ttl: u32 = op.number()?;
            if ttl > 3600 {
                return Err(bad_request("ttlInSeconds must be between 0 and 3600"));
            }
            setting.cache_ttl_in_seconds = Some(ttl);
        }
        ["caching", "requireAuthorizationForCacheControl"] => {
            setting.require_authorization_for_cache_control = Some(op.bool()?)
        }
        ["caching", "unauthorizedCacheControlHeaderStrategy"] => {
            let strategy = op.value()?;
            if !matches!(
                strategy,
                "FAIL_WITH_403"
                    | "SUCCEED_WITH_RESPONSE_HEADER"
                    | "SUCCEED_WITHOUT_RESPONSE_HEADER"
            ) {
                return Err(bad_request(format!("Invalid strategy {strategy}")));
            }
            setting.unauthorized_cache_control_header_strategy = Some(strategy.to_string());
        }
        ["logging" | "metrics" | "caching", _] => {}
        _ => return Err(op.unsupported()),
    }
    Ok(())
}

pub(super) fn deployment_json(d: &Deployment) -> Value {
    json!({"id": d.id, "description": d.description, "createdDate": d.created_date})
}

pub(super) fn stage_json(s: &Stage) -> Value {
    let variables: BTreeMap<&String, &String> = s.variables.iter().collect();
    json!({
        "stageName": s.stage_name,
        "deploymentId": s.deployment_id,
        "description": s.description,
        "variables": variables,
        "cacheClusterEnabled": s.cache_cluster_enabled,
        "methodSettings": s.method_settings,
        "createdDate": s.created_date,
        "lastUpdatedDate": s.last_updated_date,
    })
}
