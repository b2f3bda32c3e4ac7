//! apigatewayv2 APIs: `CreateApi`, `GetApi(s)`, `UpdateApi`, `DeleteApi`
//! for `protocolType` WEBSOCKET (HTTP APIs and `ImportApi` are refused),
//! and the tags on APIs and their stages (`/v2/tags/{resource-arn}`), kept
//! in the store's tags table under `/apis/{id}` and
//! `/apis/{id}/stages/{name}` like REST APIs' tags.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::super::operations::Op;
use super::super::{bad_request, internal, tags, ApiError, Management, Reply, Request};
use super::shapes::{self, str_of};
use super::{items, merge, now_iso};
use crate::control::ControlCommand;
use crate::model::command::Record;
use crate::model::websocket::{WsApi, WsDefinition};

impl Management {
    /// Serves the APIs and tags family.
    pub(super) async fn v2_apis(&self, req: &Request<'_>) -> Reply {
        let id = req.param("apiId");
        match req.op() {
            Op::CreateApi => self.create_ws_api(req.body).await,
            Op::GetApis => {
                let apis = self.store.list_ws_apis().map_err(internal)?;
                let values = apis.iter().map(|a| self.api_json(a)).collect::<Result<_, _>>()?;
                items(req, values)
            }
            Op::GetApi => Ok((StatusCode::OK, self.api_json(&self.ws_api(id)?)?)),
            Op::UpdateApi => self.update_ws_api(id, req.body).await,
            Op::DeleteApi => {
                self.ws_api(id)?;
                self.write(ControlCommand::DeleteWsApi(id.to_string())).await?;
                self.write(ControlCommand::PutTags(format!("/apis/{id}"), BTreeMap::new()))
                    .await?;
                Ok((StatusCode::NO_CONTENT, Value::Null))
            }
            Op::ImportApi | Op::ReimportApi => Err(bad_request(
                "ImportApi is supported only for HTTP APIs, and apigw does not serve HTTP APIs: create WebSocket APIs with CreateApi",
            )),
            Op::GetV2Tags | Op::TagV2Resource | Op::UntagV2Resource => self.v2_tags(req).await,
            op => Err(req.not_served(op)),
        }
    }

    async fn create_ws_api(&self, body: &[u8]) -> Reply {
        let input = shapes::input(&shapes::API, body, true)?;
        check_api(&input)?;
        let id = crate::ids::new_api_id();
        let mut api = json!({
            "apiEndpoint": format!("wss://{id}.execute-api.{}.amazonaws.com", self.region),
            "apiId": id,
            "apiKeySelectionExpression": "$request.header.x-api-key",
            "createdDate": now_iso(),
            "disableExecuteApiEndpoint": false,
        });
        merge(&mut api, &input);
        let tags = api.as_object_mut().and_then(|a| a.remove("tags"));
        let record = WsApi {
            id: id.clone(),
            definition: WsDefinition {
                api,
                ..WsDefinition::default()
            },
            deployments: BTreeMap::new(),
            stages: BTreeMap::new(),
        };
        self.write(ControlCommand::PutWsApi(Box::new(record.clone())))
            .await?;
        self.tag_new(format!("/apis/{id}"), tags.as_ref()).await?;
        Ok((StatusCode::CREATED, self.api_json(&record)?))
    }

    async fn update_ws_api(&self, id: &str, body: &[u8]) -> Reply {
        let mut input = shapes::input(&shapes::API, body, false)?;
        input.remove("tags");
        if input.contains_key("protocolType") {
            return Err(bad_request("The protocolType of an API cannot be changed"));
        }
        let api = self
            .edit_ws(id, |api| {
                let mut merged = api.definition.api.clone();
                merge(&mut merged, &input);
                let Value::Object(m) = &merged else {
                    return Err(internal("a stored API is not an object"));
                };
                check_api(m)?;
                api.definition.api = merged;
                Ok(api.clone())
            })
            .await?;
        Ok((StatusCode::OK, self.api_json(&api)?))
    }

    /// The API as `GetApi` answers it, with its tags.
    fn api_json(&self, api: &WsApi) -> Result<Value, ApiError> {
        let mut out = api.definition.api.clone();
        let tags = self
            .store
            .get_tags(&format!("/apis/{}", api.id))
            .map_err(internal)?;
        out["tags"] = json!(tags);
        Ok(out)
    }

    /// `/v2/tags/{arn}` for an API or one of its stages: GET lists, POST
    /// adds, DELETE removes `?tagKeys=`.
    async fn v2_tags(&self, req: &Request<'_>) -> Reply {
        let arn = req.param("resource-arn");
        let resource = self.v2_tag_target(arn)?;
        let added = match req.op() {
            Op::TagV2Resource => {
                let input: Value = serde_json::from_slice(req.body)
                    .map_err(|_| bad_request("Invalid request body: the body is not JSON"))?;
                tags::tags_of(input.get("tags"))?
            }
            _ => BTreeMap::new(),
        };
        if req.op() == Op::GetV2Tags {
            let tags = self.store.get_tags(&resource).map_err(internal)?;
            return Ok((StatusCode::OK, json!({ "tags": tags })));
        }
        let removing: Vec<&str> = req
            .query
            .iter()
            .filter(|(k, _)| k == "tagKeys")
            .map(|(_, v)| v.as_str())
            .collect();
        self.edit_record(Record::Tags(resource.clone()), || {
            let mut tags = self.store.get_tags(&resource).map_err(internal)?;
            tags.extend(added.clone());
            for key in &removing {
                tags.remove(*key);
            }
            if tags.len() > 50 {
                return Err(bad_request("A resource has at most 50 tags"));
            }
            Ok((ControlCommand::PutTags(resource.clone(), tags), ()))
        })
        .await?;
        let status = match req.op() {
            Op::TagV2Resource => StatusCode::CREATED,
            _ => StatusCode::NO_CONTENT,
        };
        Ok((status, json!({})))
    }

    /// The tags table key of a v2 resource ARN
    /// (`arn:aws:apigateway:{region}::/apis/{id}[/stages/{name}]`).
    fn v2_tag_target(&self, arn: &str) -> Result<String, ApiError> {
        let path = arn
            .strip_prefix("arn:aws:apigateway:")
            .and_then(|rest| rest.split_once("::"))
            .map(|(_, path)| path)
            .ok_or_else(|| bad_request(format!("Invalid resource ARN {arn}")))?;
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            ["apis", id] => {
                self.ws_api(id)?;
            }
            ["apis", id, "stages", name] => {
                let api = self.ws_api(id)?;
                if !api.stages.contains_key(*name) {
                    return Err(super::super::not_found(format!(
                        "Invalid stage identifier specified {name}"
                    )));
                }
            }
            _ => {
                return Err(bad_request(format!(
                    "Tags are kept on WebSocket APIs and their stages, not {path}"
                )))
            }
        }
        Ok(format!("/{}", parts.join("/")))
    }
}

/// AWS's checks of an API's members, as far as apigw serves them.
pub(super) fn check_api(input: &Map<String, Value>) -> Result<(), ApiError> {
    match str_of(input, "protocolType") {
        Some("WEBSOCKET") => {}
        Some("HTTP") => {
            return Err(bad_request(
                "HTTP APIs are not supported by apigw: use protocolType WEBSOCKET, or a REST API (apigateway v1) for HTTP",
            ))
        }
        Some(other) => {
            return Err(bad_request(format!(
                "Invalid protocolType {other}: expected WEBSOCKET or HTTP"
            )))
        }
        None => {}
    }
    let name = str_of(input, "name").unwrap_or("x");
    if name.is_empty() || name.len() > 128 {
        return Err(bad_request("name must be 1 to 128 characters long"));
    }
    for quick in ["target", "routeKey", "credentialsArn"] {
        if input.contains_key(quick) {
            return Err(bad_request(format!(
                "{quick} (quick create) is supported only for HTTP APIs"
            )));
        }
    }
    match str_of(input, "routeSelectionExpression") {
        Some(e) if crate::snapshot::selection_path(e).is_some() => Ok(()),
        Some(e) => Err(bad_request(format!(
            "Invalid routeSelectionExpression {e}: apigw supports $request.body.<path> (as ${{request.body.<path>}} too)"
        ))),
        None => Err(bad_request(
            "routeSelectionExpression is required for a WEBSOCKET API",
        )),
    }
}
