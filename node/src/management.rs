//! The management API on the admin listener, in API Gateway's REST-JSON
//! shapes, so boto3 and the AWS CLI work with `--endpoint-url`. Every
//! request reaching it was SigV4-signed (service `apigateway`) with the
//! node's admin credentials (which may do everything) or an admin user's:
//! the admin listener checks the signature first. An admin user's policies
//! must allow `apigateway:{VERB}` on `arn:aws:apigateway:{region}::{path}`
//! (else 403 AccessDeniedException), checked here.
//!
//! Changes are control commands: applied to the store directly on a single
//! node, through Raft in a cluster; either way the data plane serves a change
//! only once it is deployed, as on AWS.
//!
//! This module routes, and owns REST APIs (create, import/put, get, list,
//! update, delete), deployments, stages, API keys and usage plans. The rest:
//! resources, methods and integrations one by one in [`resources`]; models,
//! validators, authorizers and gateway responses in [`definitions`];
//! exports in [`export`]; domain names in [`domains`]; updates of keys and
//! plans, usage and tags in [`usage`]; patch operations in [`patch`].
//! `?apigwDefinition=true` on an API or a stage reads and writes the
//! store's own shape, for `apigw diff` and `apigw apply`.

pub mod backup;
mod definitions;
mod domains;
mod export;
mod patch;
mod resources;
mod usage;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::access::{ApiKey, UsagePlan};
use crate::control::{ControlCommand, ControlPlane};
use crate::dataplane::body::{full, Body};
use crate::dataplane::context::RequestContext;
use crate::dataplane::iam::IamUser;
use crate::import::{self, ImportOptions};
use crate::model::{Deployment, RestApi, Stage};
use crate::policy::{self, Identities};
use crate::store::Store;

/// A management API error, in AWS's shape.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

fn err(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        kind,
        message: message.into(),
    }
}

fn not_found(what: impl Into<String>) -> ApiError {
    err(StatusCode::NOT_FOUND, "NotFoundException", what)
}

fn bad_request(what: impl Into<String>) -> ApiError {
    err(StatusCode::BAD_REQUEST, "BadRequestException", what)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    err(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalFailureException",
        e.to_string(),
    )
}

impl ApiError {
    pub fn into_response(self) -> Response<Body> {
        let mut r = Response::new(full(json!({ "message": self.message }).to_string()));
        *r.status_mut() = self.status;
        r.headers_mut().insert(
            "content-type",
            http::HeaderValue::from_static("application/json"),
        );
        r.headers_mut().insert(
            "x-amzn-errortype",
            http::HeaderValue::from_static(self.kind),
        );
        r
    }
}

/// What a call on an API's parts did: its answer, and
/// whether the API changed (then it must be written).
struct Outcome {
    pub status: StatusCode,
    pub body: Value,
    pub changed: bool,
}

/// One call on an API's parts: its verb, its body as JSON (empty: `{}`),
/// the body's patch operations (PATCH calls), and the integration timeout
/// ceiling an integration is checked against.
struct Call<'a> {
    pub verb: &'a Method,
    pub input: &'a Value,
    pub ops: &'a [patch::PatchOp],
    pub max_timeout_ms: u64,
}

/// Where a change goes.
pub enum Writer {
    /// A single node: straight to the store.
    Local(Arc<ControlPlane>),
    /// A cluster: through the Raft log.
    Raft(Arc<apigw_cluster::raft::RaftNode>),
}

/// The management API.
pub struct Management {
    store: Arc<Store>,
    writer: Writer,
    /// What admin users may do; a key without an entry (the node's own
    /// pair) may do everything.
    admin_grants: Identities,
    /// For `arn:aws:apigateway:{region}::{path}`.
    region: String,
    max_integration_timeout_ms: u64,
    /// Quota counters, for `GetUsage`.
    counters: Option<Arc<dyn crate::throttle::Counters>>,
    /// Held through an API edit's read, change and write.
    edits: tokio::sync::Mutex<()>,
}

type Reply = Result<(StatusCode, Value), ApiError>;

impl Management {
    pub fn new(store: Arc<Store>, writer: Writer, max_integration_timeout_ms: u64) -> Management {
        Management {
            store,
            writer,
            admin_grants: Identities::default(),
            region: "us-east-1".into(),
            max_integration_timeout_ms,
            counters: None,
            edits: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads usage (`GetUsage`) from these quota counters.
    pub fn with_counters(mut self, counters: Arc<dyn crate::throttle::Counters>) -> Management {
        self.counters = Some(counters);
        self
    }

    /// Limits admin users to what their identities allow
    /// (`apigateway:{VERB}` on `arn:aws:apigateway:{region}::{path}`); their
    /// keys are the admin listener's to verify.
    pub fn with_admin_users(mut self, grants: Identities, region: &str) -> Management {
        self.admin_grants = grants;
        self.region = region.to_string();
        self
    }

    /// The admin user's policies' verdict on a call to any signed admin
    /// route (the admin listener asks before dispatching): AWS's 403
    /// AccessDeniedException unless they allow it.
    pub fn permit(&self, user: &IamUser, ctx: &RequestContext) -> Result<(), ApiError> {
        let Some(identity) = self.admin_grants.get(&user.access_key_id) else {
            return Ok(());
        };
        let action = policy::identity::management_action(&ctx.method);
        let resource = policy::identity::management_arn(&self.region, &ctx.raw_path);
        let arn = identity.arn();
        let decision = identity.decide(&policy::Subject {
            action: &action,
            resource: &resource,
            arn_prefix: "",
            caller: Some(identity.caller(&arn)),
            source_ip: ctx.source_ip,
            secure_transport: false,
            now: ctx.started_at,
            user_agent: ctx.header("user-agent"),
            referer: ctx.header("referer"),
        });
        match decision {
            policy::Decision::Allow => Ok(()),
            denied => Err(err(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                policy::denial(&arn, &action, &resource, denied),
            )),
        }
    }

    /// Answers a request whose signature (and, for an admin user, policies)
    /// the admin listener has checked.
    pub async fn handle(&self, ctx: &RequestContext, body: Bytes) -> Response<Body> {
        // Exports come as YAML when asked for (`accepts=application/yaml`).
        let yaml = ctx.raw_path.contains("/exports/")
            && ctx.header("accept").is_some_and(|a| a.contains("yaml"));
        match self.route(ctx, &body).await {
            Ok((status, value)) => {
                let (text, kind) = match yaml {
                    true => (
                        serde_yaml::to_string(&value).unwrap_or_default(),
                        "application/yaml",
                    ),
                    false => (value.to_string(), "application/json"),
                };
                let mut r = Response::new(full(text));
                *r.status_mut() = status;
                r.headers_mut()
                    .insert("content-type", http::HeaderValue::from_static(kind));
                r
            }
            Err(e) => e.into_response(),
        }
    }

    async fn route(&self, ctx: &RequestContext, body: &[u8]) -> Reply {
        let segments: Vec<&str> = ctx.raw_path.trim_matches('/').split('/').collect();
        let query = ctx.query();
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        match (&ctx.method, segments.as_slice()) {
            (&Method::POST, ["restapis"]) if param("mode") == Some("import") => {
                let options = import_options(param("failonwarnings"), param("basepath"))?;
                self.import_api(None, "overwrite", options, body).await
            }
            (&Method::POST, ["restapis"]) => self.create_api(body).await,
            (&Method::GET, ["restapis"]) => {
                let apis = self.store.list_apis().map_err(internal)?;
                Ok((
                    StatusCode::OK,
                    page(
                        apis.iter().map(api_json).collect(),
                        param("position"),
                        param("limit"),
                    )?,
                ))
            }
            // apigw's own: the working definition in the store's shape, for
            // `apigw diff` and `apigw apply` (which import locally).
            (&Method::GET, ["restapis", id]) if param("apigwDefinition") == Some("true") => {
                Ok((StatusCode::OK, json!(self.api(id)?)))
            }
            (&Method::PUT, ["restapis", id]) if param("apigwDefinition") == Some("true") => {
                self.put_definition(id, body).await
            }
            (&Method::GET, ["restapis", id]) => Ok((StatusCode::OK, api_json(&self.api(id)?))),
            (&Method::PUT, ["restapis", id]) => {
                self.api(id)?;
                let options = import_options(param("failonwarnings"), param("basepath"))?;
                self.import_api(Some(id), param("mode").unwrap_or("merge"), options, body)
                    .await
            }
            (&Method::DELETE, ["restapis", id]) => {
                self.api(id)?;
                self.write(ControlCommand::DeleteApi(id.to_string()))
                    .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            (&Method::GET, ["restapis", id, "resources"]) => {
                let api = self.api(id)?;
                let embed = param("embed") == Some("methods");
                let items = api
                    .resources
                    .values()
                    .map(|r| resources::resource_json(&api, r, embed))
                    .collect();
                Ok((
                    StatusCode::OK,
                    page(items, param("position"), param("limit"))?,
                ))
            }
            (verb, ["restapis", id, "resources", rest @ ..]) if !rest.is_empty() => {
                self.edit_api(id, verb, body, |api, call| resources::call(api, rest, call))
                    .await
            }
            (
                verb,
                ["restapis", id, kind @ ("models" | "requestvalidators" | "authorizers" | "gatewayresponses"), rest @ ..],
            ) => {
                self.edit_api(id, verb, body, |api, call| {
                    definitions::call(api, kind, rest, call)
                        .unwrap_or_else(|| Err(not_found("Unknown resource")))
                })
                .await
            }
            (&Method::PATCH, ["restapis", id]) => {
                self.edit_api(id, &Method::PATCH, body, |api, call| {
                    for op in call.ops {
                        patch_api(api, op)?;
                    }
                    Ok(Outcome {
                        status: StatusCode::OK,
                        body: api_json(api),
                        changed: true,
                    })
                })
                .await
            }
            (&Method::POST, ["restapis", id, "deployments"]) => {
                self.create_deployment(id, body).await
            }
            (&Method::GET, ["restapis", id, "deployments"]) => {
                self.api(id)?;
                let mut deployments = self.store.list_deployments(id).map_err(internal)?;
                deployments.sort_by_key(|d| d.created_date);
                Ok((
                    StatusCode::OK,
                    page(
                        deployments.iter().map(deployment_json).collect(),
                        param("position"),
                        param("limit"),
                    )?,
                ))
            }
            (&Method::GET, ["restapis", id, "deployments", dep]) => {
                let d = self
                    .store
                    .get_deployment(id, dep)
                    .map_err(internal)?
                    .ok_or_else(|| not_found("Invalid Deployment identifier specified"))?;
                Ok((StatusCode::OK, deployment_json(&d)))
            }
            (&Method::DELETE, ["restapis", id, "deployments", dep]) => {
                self.api(id)?;
                self.store
                    .get_deployment(id, dep)
                    .map_err(internal)?
                    .ok_or_else(|| not_found("Invalid Deployment identifier specified"))?;
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
            (&Method::POST, ["restapis", id, "stages"]) => self.create_stage(id, body).await,
            (&Method::DELETE, ["restapis", id, "stages", name]) => {
                self.stage(id, name)?;
                self.write(ControlCommand::DeleteStage(
                    id.to_string(),
                    name.to_string(),
                ))
                .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            (&Method::GET, ["restapis", id, "stages", name, "exports", kind]) => {
                let dialect = export::Dialect::from_export_type(kind).ok_or_else(|| {
                    bad_request(format!("Invalid export type {kind}: oas30 or swagger"))
                })?;
                let stage = self.stage(id, name)?;
                let deployment = self
                    .store
                    .get_deployment(id, &stage.deployment_id)
                    .map_err(internal)?
                    .ok_or_else(|| not_found("Invalid Deployment identifier specified"))?;
                let mut doc = export::export(&deployment.api, name, dialect);
                // AWS leaves its extensions out unless asked for them.
                let wanted = param("extensions")
                    .is_some_and(|e| e.contains("apigateway") || e.contains("integrations"));
                if !wanted {
                    export::strip_extensions(&mut doc);
                }
                Ok((StatusCode::OK, doc))
            }
            (&Method::GET, ["restapis", id, "stages"]) => {
                self.api(id)?;
                let stages = self.store.list_stages(id).map_err(internal)?;
                Ok((
                    StatusCode::OK,
                    json!({"item": stages.iter().map(stage_json).collect::<Vec<_>>()}),
                ))
            }
            (&Method::GET, ["restapis", id, "stages", name])
                if param("apigwDefinition") == Some("true") =>
            {
                Ok((StatusCode::OK, json!(self.stage(id, name)?)))
            }
            (&Method::PUT, ["restapis", id, "stages", name])
                if param("apigwDefinition") == Some("true") =>
            {
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
            (&Method::GET, ["restapis", id, "stages", name]) => {
                Ok((StatusCode::OK, stage_json(&self.stage(id, name)?)))
            }
            (&Method::PATCH, ["restapis", id, "stages", name]) => {
                self.update_stage(id, name, body).await
            }
            (verb, ["domainnames", rest @ ..]) => self.domain_call(verb, rest, body).await,
            (verb, ["tags", arn]) => self.tags(verb, arn, body, query).await,
            (&Method::PATCH, ["apikeys", id]) => self.update_api_key(id, body).await,
            (&Method::PATCH, ["usageplans", id]) => self.update_usage_plan(id, body).await,
            (&Method::GET, ["usageplans", id, "usage"]) => self.usage(id, query),
            (&Method::GET, ["usageplans", id, "keys", key]) => self.plan_key(id, key, false).await,
            (&Method::DELETE, ["usageplans", id, "keys", key]) => {
                self.plan_key(id, key, true).await
            }
            (&Method::POST, ["apikeys"]) => self.create_api_key(body).await,
            (&Method::GET, ["apikeys"]) => {
                let show = param("includeValues") == Some("true");
                let keys = self.store.list_api_keys().map_err(internal)?;
                Ok((
                    StatusCode::OK,
                    page(
                        keys.iter().map(|k| key_json(k, show)).collect(),
                        param("position"),
                        param("limit"),
                    )?,
                ))
            }
            (&Method::GET, ["apikeys", id]) => {
                let key = self.api_key(id)?;
                Ok((
                    StatusCode::OK,
                    key_json(&key, param("includeValue") == Some("true")),
                ))
            }
            (&Method::DELETE, ["apikeys", id]) => {
                self.api_key(id)?;
                self.write(ControlCommand::DeleteApiKey(id.to_string()))
                    .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            (&Method::POST, ["usageplans"]) => self.create_usage_plan(body).await,
            (&Method::GET, ["usageplans"]) => {
                let plans = self.store.list_usage_plans().map_err(internal)?;
                Ok((
                    StatusCode::OK,
                    page(
                        plans.iter().map(plan_json).collect(),
                        param("position"),
                        param("limit"),
                    )?,
                ))
            }
            (&Method::GET, ["usageplans", id]) => {
                Ok((StatusCode::OK, plan_json(&self.usage_plan(id)?)))
            }
            (&Method::DELETE, ["usageplans", id]) => {
                self.usage_plan(id)?;
                self.write(ControlCommand::DeleteUsagePlan(id.to_string()))
                    .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            (&Method::POST, ["usageplans", id, "keys"]) => self.add_plan_key(id, body).await,
            (&Method::GET, ["usageplans", id, "keys"]) => {
                let plan = self.usage_plan(id)?;
                let keys = self.store.list_api_keys().map_err(internal)?;
                let items = keys
                    .iter()
                    .filter(|k| plan.keys.contains(&k.id))
                    .map(|k| json!({"id": k.id, "type": "API_KEY", "name": k.name, "value": k.value}))
                    .collect();
                Ok((
                    StatusCode::OK,
                    page(items, param("position"), param("limit"))?,
                ))
            }
            _ => Err(not_found(format!(
                "no such operation: {} {}",
                ctx.method, ctx.raw_path
            ))),
        }
    }

    fn api(&self, id: &str) -> Result<RestApi, ApiError> {
        self.store
            .get_api(id)
            .map_err(internal)?
            .ok_or_else(|| not_found("Invalid API identifier specified"))
    }

    fn api_key(&self, id: &str) -> Result<ApiKey, ApiError> {
        self.store
            .list_api_keys()
            .map_err(internal)?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or_else(|| not_found("Invalid API Key identifier specified"))
    }

    fn usage_plan(&self, id: &str) -> Result<UsagePlan, ApiError> {
        self.store
            .list_usage_plans()
            .map_err(internal)?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| not_found("Invalid Usage Plan ID specified"))
    }

    async fn create_api_key(&self, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let value = match input.get("value").and_then(Value::as_str) {
            Some(v) if v.len() < 20 => {
                return Err(bad_request(
                    "API Key value should be at least 20 characters",
                ))
            }
            Some(v) => v.to_string(),
            None => format!(
                "{}{}{}{}",
                crate::ids::new_api_id(),
                crate::ids::new_api_id(),
                crate::ids::new_api_id(),
                crate::ids::new_api_id()
            ),
        };
        if self
            .store
            .list_api_keys()
            .map_err(internal)?
            .iter()
            .any(|k| k.value == value)
        {
            return Err(err(
                StatusCode::CONFLICT,
                "ConflictException",
                "API Key already exists",
            ));
        }
        if let Some(name) = input.get("name").and_then(Value::as_str) {
            check_name(crate::names::free_text("name", name, 1024))?;
        }
        let key = ApiKey {
            id: crate::ids::new_api_id(),
            name: input
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            value,
            enabled: input
                .get("enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            from_config: false,
        };
        self.write(ControlCommand::PutApiKey(Box::new(key.clone())))
            .await?;
        Ok((StatusCode::CREATED, key_json(&key, true)))
    }

    async fn create_usage_plan(&self, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let name = input
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("name is required"))?;
        check_name(crate::names::free_text("name", name, 1024))?;
        let rate = |v: &Value| -> Option<crate::throttle::Rate> {
            Some(crate::throttle::Rate {
                per_second: v.get("rateLimit")?.as_f64()?,
                burst: u32::try_from(v.get("burstLimit")?.as_u64()?).ok()?,
            })
        };
        let quota = match input.get("quota") {
            None | Some(Value::Null) => None,
            Some(q) => Some(crate::throttle::Quota {
                limit: q
                    .get("limit")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad_request("quota.limit is required"))?,
                period: match q.get("period").and_then(Value::as_str) {
                    Some("DAY") => crate::throttle::Period::Day,
                    Some("WEEK") => crate::throttle::Period::Week,
                    Some("MONTH") => crate::throttle::Period::Month,
                    other => {
                        return Err(bad_request(format!(
                            "quota.period {other:?} is not DAY, WEEK or MONTH"
                        )))
                    }
                },
                offset: q
                    .get("offset")
                    .and_then(Value::as_u64)
                    .map_or(0, |o| o as u32),
            }),
        };
        let mut stages = Vec::new();
        for s in input
            .get("apiStages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let api_id = s
                .get("apiId")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request("apiStages[].apiId is required"))?;
            let stage = s
                .get("stage")
                .and_then(Value::as_str)
                .ok_or_else(|| bad_request("apiStages[].stage is required"))?;
            self.stage(api_id, stage)?;
            let methods = s
                .get("throttle")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), rate(v)?)))
                        .collect()
                })
                .unwrap_or_default();
            stages.push(crate::access::PlanStage {
                api_id: api_id.to_string(),
                stage: stage.to_string(),
                methods,
            });
        }
        let plan = UsagePlan {
            id: crate::ids::new_deployment_id(),
            name: name.to_string(),
            throttle: input.get("throttle").and_then(rate),
            quota,
            stages,
            keys: Vec::new(),
            from_config: false,
        };
        self.write(ControlCommand::PutUsagePlan(Box::new(plan.clone())))
            .await?;
        Ok((StatusCode::CREATED, plan_json(&plan)))
    }

    async fn add_plan_key(&self, plan_id: &str, body: &[u8]) -> Reply {
        let mut plan = self.usage_plan(plan_id)?;
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let key_id = input
            .get("keyId")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("keyId is required"))?;
        let key = self.api_key(key_id)?;
        if !plan.keys.contains(&key.id) {
            plan.keys.push(key.id.clone());
            self.write(ControlCommand::PutUsagePlan(Box::new(plan.clone())))
                .await?;
        }
        Ok((
            StatusCode::CREATED,
            json!({"id": key.id, "type": "API_KEY", "name": key.name, "value": key.value}),
        ))
    }

    fn stage(&self, id: &str, name: &str) -> Result<Stage, ApiError> {
        self.api(id)?;
        self.store
            .get_stage(id, name)
            .map_err(internal)?
            .ok_or_else(|| not_found("Invalid Stage identifier specified"))
    }

    /// Runs `edit` on a copy of API `id` and, when it changed the API,
    /// stores the copy (through Raft in a cluster). `edit` gets the call
    /// (verb, body as JSON, patch ops).
    /// Edits on this node take turns; one that raced an edit made through
    /// another node is run again on the new definition.
    async fn edit_api(
        &self,
        id: &str,
        verb: &Method,
        body: &[u8],
        edit: impl Fn(&mut RestApi, &Call) -> Result<Outcome, ApiError>,
    ) -> Reply {
        let input: Value = if body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(body)
                .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?
        };
        let ops = patch::operations(body)?;
        let call = Call {
            verb,
            input: &input,
            ops: &ops,
            max_timeout_ms: self.max_integration_timeout_ms,
        };
        let _turn = self.edits.lock().await;
        let mut attempts = 0;
        loop {
            let mut api = self.api(id)?;
            let base = crate::control::api_digest(&api);
            let outcome = edit(&mut api, &call)?;
            if !outcome.changed {
                return Ok((outcome.status, outcome.body));
            }
            let command = ControlCommand::PutApiIf {
                api: Box::new(api.clone()),
                base: base.clone(),
            };
            match self.write(command).await {
                Err(e) if e.message == crate::control::STALE_API => {
                    // An edit through another node came first. The write
                    // returned once this node applied the log up to it, so
                    // run the edit again on what the store has now; after a
                    // few rounds give up as AWS does under concurrent
                    // modification (clients retry).
                    attempts += 1;
                    if attempts > 10 {
                        return Err(err(
                            StatusCode::CONFLICT,
                            "ConflictException",
                            "Unable to complete operation due to concurrent modification. Please try again later.",
                        ));
                    }
                    continue;
                }
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            return Ok((outcome.status, outcome.body));
        }
    }

    /// Stores the `tags` a create call carried for its new resource.
    async fn tag_new(&self, resource: String, tags: Option<&Value>) -> Result<(), ApiError> {
        let tags = usage::tags_of(tags)?;
        if tags.is_empty() {
            return Ok(());
        }
        self.write(ControlCommand::PutTags(resource, tags)).await
    }

    /// Applies a command: to the store on a single node, through Raft in a
    /// cluster. Either way this node has applied it on return, so what the
    /// call reads next includes it.
    async fn write(&self, command: ControlCommand) -> Result<(), ApiError> {
        let outcome = match &self.writer {
            Writer::Local(control) => {
                // Applying reloads the data plane's snapshot (compiling
                // what changed): on the blocking pool, off the listener.
                use apigw_cluster::raft::Application;
                let (control, command) = (control.clone(), command.encode());
                tokio::task::spawn_blocking(move || control.apply(&command))
                    .await
                    .map_err(internal)?
            }
            Writer::Raft(raft) => {
                let command = apigw_cluster::raft::Command {
                    id: crate::ids::new_request_id(),
                    data: command.encode(),
                };
                raft.write(command, Duration::from_secs(10))
                    .await
                    .map_err(|e| {
                        err(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "ServiceUnavailableException",
                            e.to_string(),
                        )
                    })?
                    .data
            }
        };
        let result: Result<(), String> = serde_json::from_slice(&outcome).unwrap_or(Ok(()));
        result.map_err(|e| err(StatusCode::CONFLICT, "ConflictException", e))
    }

    async fn create_api(&self, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let name = input
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("name is required"))?;
        check_name(crate::names::free_text("name", name, 1024))?;
        if let Some(description) = input.get("description").and_then(Value::as_str) {
            check_name(crate::names::free_text("description", description, 1024))?;
        }
        usage::tags_of(input.get("tags"))?;
        let doc = json!({"openapi": "3.0.1", "info": {"title": name, "description": input.get("description")}, "paths": {}});
        let options = ImportOptions {
            api_id: crate::ids::new_api_id(),
            max_integration_timeout_ms: self.max_integration_timeout_ms,
        };
        let imported = import::import(&doc, &options).map_err(|e| bad_request(e.to_string()))?;
        let mut api = imported.api;
        api.disable_execute_api_endpoint = input
            .get("disableExecuteApiEndpoint")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        self.write(ControlCommand::PutApi(Box::new(api.clone())))
            .await?;
        self.tag_new(format!("/restapis/{}", api.id), input.get("tags"))
            .await?;
        Ok((StatusCode::CREATED, api_json(&api)))
    }

    async fn import_api(
        &self,
        id: Option<&str>,
        mode: &str,
        options: (bool, BasePath),
        body: &[u8],
    ) -> Reply {
        let (fail_on_warnings, base_path) = options;
        let creating = id.is_none();
        let existing = match id {
            Some(id) => Some(self.api(id)?),
            None => None,
        };
        let options = ImportOptions {
            api_id: id.map_or_else(crate::ids::new_api_id, str::to_string),
            max_integration_timeout_ms: self.max_integration_timeout_ms,
        };
        let imported = import_off_thread(body.to_vec(), base_path, options).await?;
        if fail_on_warnings && !imported.warnings.is_empty() {
            return Err(bad_request(format!(
                "Warnings found during import:\n{}",
                import::Finding::list(&imported.warnings)
            )));
        }
        let mut api = imported.api;
        if let (Some(old), "merge") = (existing, mode) {
            // Merge keeps what the new definition does not mention.
            let mut merged = old;
            merged.resources.extend(api.resources);
            merged.models.extend(api.models);
            merged.gateway_responses.extend(api.gateway_responses);
            merged.request_validators.extend(api.request_validators);
            merged.authorizers.extend(api.authorizers);
            api = merged;
        } else if !matches!(mode, "overwrite" | "merge") {
            return Err(bad_request(format!(
                "mode `{mode}` is not merge or overwrite"
            )));
        }
        self.write(ControlCommand::PutApi(Box::new(api.clone())))
            .await?;
        // AWS: an import creates (201), a put replaces (200).
        let status = if creating {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let mut out = api_json(&api);
        if !imported.warnings.is_empty() {
            out["warnings"] = json!(imported
                .warnings
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>());
        }
        Ok((status, out))
    }

    /// Stores a whole definition under `id` (created if missing); tags stay.
    async fn put_definition(&self, id: &str, body: &[u8]) -> Reply {
        let api: RestApi = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("not an apigw API definition: {e}")))?;
        if api.id != id {
            return Err(bad_request(format!(
                "the definition is API {}, not {id}",
                api.id
            )));
        }
        check_name(crate::names::api_id(id))?;
        check_name(check_definition(&api))?;
        let existing = self.store.get_api(id).map_err(internal)?;
        self.write(ControlCommand::PutApi(Box::new(api.clone())))
            .await?;
        let status = if existing.is_some() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        Ok((status, api_json(&api)))
    }

    async fn create_deployment(&self, id: &str, body: &[u8]) -> Reply {
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
            usage::tags_of(input.get("tags"))?;
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
    async fn create_stage(&self, id: &str, body: &[u8]) -> Reply {
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

    async fn update_stage(&self, id: &str, name: &str, body: &[u8]) -> Reply {
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

/// Parses and imports a document on tokio's blocking pool, never on the
/// thread that serves requests: a large document takes a while, and the
/// listener keeps answering meanwhile.
async fn import_off_thread(
    body: Vec<u8>,
    base_path: BasePath,
    options: ImportOptions,
) -> Result<import::Imported, ApiError> {
    let work = move || {
        let text =
            std::str::from_utf8(&body).map_err(|_| bad_request("the definition is not UTF-8"))?;
        let mut doc = import::parse_document(text).map_err(|e| bad_request(e.to_string()))?;
        apply_base_path(&mut doc, base_path);
        import::import(&doc, &options).map_err(|e| bad_request(e.to_string()))
    };
    tokio::task::spawn_blocking(work).await.map_err(internal)?
}

/// A name rule's verdict as AWS's 400.
fn check_name(checked: Result<(), crate::names::NameError>) -> Result<(), ApiError> {
    checked.map_err(|e| bad_request(e.0))
}

/// The names a whole stored definition carries (`PUT ?apigwDefinition`):
/// resource paths and model names, as an import would check them.
fn check_definition(api: &RestApi) -> Result<(), crate::names::NameError> {
    crate::names::free_text("name", &api.name, 1024)?;
    for path in api.resources.keys() {
        crate::names::resource_path(path)?;
    }
    for model in api.models.keys() {
        crate::names::model_name(model)?;
    }
    Ok(())
}

/// One `UpdateStage` method-setting path (after `/{resource}/{method}/`).
fn patch_method_setting(
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

/// One `UpdateRestApi` operation.
fn patch_api(api: &mut RestApi, op: &patch::PatchOp) -> Result<(), ApiError> {
    let parts = patch::segments(&op.path);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match (op.sets(), parts.as_slice()) {
        (true, ["name"]) => api.name = op.value()?.to_string(),
        (true, ["description"]) => api.description = op.value.clone(),
        (true, ["version"]) => api.version = op.value.clone(),
        (true, ["apiKeySource"]) => {
            let source = op.value()?;
            if !matches!(source, "HEADER" | "AUTHORIZER") {
                return Err(bad_request("apiKeySource must be HEADER or AUTHORIZER"));
            }
            api.api_key_source = Some(source.to_string());
        }
        (true, ["minimumCompressionSize"]) => api.minimum_compression_size = Some(op.number()?),
        (true, ["disableExecuteApiEndpoint"]) => {
            api.disable_execute_api_endpoint = match op.value()? {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(bad_request(
                        "disableExecuteApiEndpoint must be true or false",
                    ))
                }
            }
        }
        (false, ["minimumCompressionSize"]) => api.minimum_compression_size = None,
        (true, ["binaryMediaTypes", media]) => {
            if !api.binary_media_types.iter().any(|m| m == media) {
                api.binary_media_types.push(media.to_string());
            }
        }
        (false, ["binaryMediaTypes", media]) => api.binary_media_types.retain(|m| m != media),
        (true, ["endpointConfiguration", "types", _]) => {
            api.endpoint_type = match op.value()? {
                "EDGE" => crate::model::EndpointType::Edge,
                "REGIONAL" => crate::model::EndpointType::Regional,
                "PRIVATE" => crate::model::EndpointType::Private,
                other => return Err(bad_request(format!("Invalid endpoint type {other}"))),
            }
        }
        (true, ["policy"]) => {
            api.policy = Some(
                serde_json::from_str(op.value()?)
                    .map_err(|e| bad_request(format!("the policy is not JSON: {e}")))?,
            )
        }
        (false, ["policy"]) => api.policy = None,
        _ => return Err(op.unsupported()),
    }
    Ok(())
}

/// `basepath` of an import: what to do with the document's base path
/// (Swagger `basePath`, or the path of OpenAPI's first server URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BasePath {
    /// Leave the paths as they are (AWS's default).
    Ignore,
    /// Put the base path in front of every path.
    Prepend,
    /// Put all but the base path's first segment in front of every path.
    Split,
}

fn import_options(fail: Option<&str>, base: Option<&str>) -> Result<(bool, BasePath), ApiError> {
    let fail = match fail {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(bad_request(format!("Invalid failonwarnings value {other}"))),
    };
    let base = match base {
        None | Some("ignore") => BasePath::Ignore,
        Some("prepend") => BasePath::Prepend,
        Some("split") => BasePath::Split,
        Some(other) => {
            return Err(bad_request(format!(
                "Invalid basepath value {other}: ignore, prepend or split"
            )))
        }
    };
    Ok((fail, base))
}

/// Rewrites the document's paths for `basepath=prepend|split`.
fn apply_base_path(doc: &mut Value, how: BasePath) {
    if how == BasePath::Ignore {
        return;
    }
    let base = doc
        .get("basePath")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            let url = doc.pointer("/servers/0/url")?.as_str()?;
            let path = match url.split_once("://") {
                Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
                None => url,
            };
            Some(path.to_string())
        })
        .unwrap_or_default();
    let mut segments: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    if how == BasePath::Split && !segments.is_empty() {
        segments.remove(0);
    }
    if segments.is_empty() {
        return;
    }
    let prefix = format!("/{}", segments.join("/"));
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        let old = std::mem::take(paths);
        for (path, item) in old {
            let joined = if path == "/" {
                prefix.clone()
            } else {
                format!("{prefix}{path}")
            };
            paths.insert(joined, item);
        }
    }
}

/// A page of items (`position` is the index to start at, `limit` at most 500).
fn page(items: Vec<Value>, position: Option<&str>, limit: Option<&str>) -> Result<Value, ApiError> {
    let start: usize = position
        .map(|p| p.parse().map_err(|_| bad_request("invalid position")))
        .transpose()?
        .unwrap_or(0);
    let limit: usize = limit
        .map(|l| l.parse().map_err(|_| bad_request("invalid limit")))
        .transpose()?
        .unwrap_or(25)
        .clamp(1, 500);
    let end = (start + limit).min(items.len());
    let mut out = json!({"item": items.get(start..end).map(<[Value]>::to_vec).unwrap_or_default()});
    if end < items.len() {
        out["position"] = json!(end.to_string());
    }
    Ok(out)
}

fn api_json(api: &RestApi) -> Value {
    json!({
        "id": api.id,
        "name": api.name,
        "description": api.description,
        "version": api.version,
        "binaryMediaTypes": api.binary_media_types,
        "apiKeySource": api.api_key_source.clone().unwrap_or_else(|| "HEADER".into()),
        "endpointConfiguration": {"types": [serde_json::to_value(api.endpoint_type).unwrap_or(json!("EDGE"))]},
        "disableExecuteApiEndpoint": api.disable_execute_api_endpoint,
    })
}

fn key_json(k: &ApiKey, with_value: bool) -> Value {
    let mut v = json!({"id": k.id, "name": k.name, "enabled": k.enabled, "stageKeys": []});
    if with_value {
        v["value"] = json!(k.value);
    }
    v
}

fn rate_json(r: &crate::throttle::Rate) -> Value {
    json!({"rateLimit": r.per_second, "burstLimit": r.burst})
}

fn plan_json(p: &UsagePlan) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "apiStages": p.stages.iter().map(|s| json!({
            "apiId": s.api_id,
            "stage": s.stage,
            "throttle": s.methods.iter().map(|(k, r)| (k.clone(), rate_json(r))).collect::<serde_json::Map<String, Value>>(),
        })).collect::<Vec<_>>(),
        "throttle": p.throttle.as_ref().map(rate_json),
        "quota": p.quota.as_ref().map(|q| json!({
            "limit": q.limit,
            "offset": q.offset,
            "period": match q.period {
                crate::throttle::Period::Day => "DAY",
                crate::throttle::Period::Week => "WEEK",
                crate::throttle::Period::Month => "MONTH",
            },
        })),
    })
}

fn deployment_json(d: &Deployment) -> Value {
    json!({"id": d.id, "description": d.description, "createdDate": d.created_date})
}

fn stage_json(s: &Stage) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_are_prepended_or_split_as_asked() {
        let doc =
            || json!({"swagger": "2.0", "basePath": "/v1/shop", "paths": {"/": {}, "/pets": {}}});
        let paths = |d: &Value| {
            let mut p: Vec<String> = d["paths"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            p.sort();
            p
        };
        let mut d = doc();
        apply_base_path(&mut d, BasePath::Ignore);
        assert_eq!(paths(&d), ["/", "/pets"]);
        let mut d = doc();
        apply_base_path(&mut d, BasePath::Prepend);
        assert_eq!(paths(&d), ["/v1/shop", "/v1/shop/pets"]);
        let mut d = doc();
        apply_base_path(&mut d, BasePath::Split);
        assert_eq!(paths(&d), ["/shop", "/shop/pets"]);
        let mut oas = json!({"openapi": "3.0.1", "servers": [{"url": "https://x.example/api"}], "paths": {"/a": {}}});
        apply_base_path(&mut oas, BasePath::Prepend);
        assert_eq!(paths(&oas), ["/api/a"]);
        assert!(import_options(Some("maybe"), None).is_err());
        assert!(import_options(None, Some("sideways")).is_err());
        assert_eq!(
            import_options(Some("true"), Some("split")).ok(),
            Some((true, BasePath::Split))
        );
    }
}
