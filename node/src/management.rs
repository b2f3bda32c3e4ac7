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
//! This module matches a request to its operation ([`operations`]: the
//! table of (method, request URI, operation) botocore's model lists) and
//! hands it to the file of its resource family, as AWS's API reference
//! groups them: REST APIs in [`restapis`]; resources, methods and
//! integrations in [`resources`]; models, validators, authorizers and
//! gateway responses in [`definitions`]; deployments and stages in
//! [`stages`]; exports in [`export`]; API keys and usage plans in [`keys`];
//! domain names and base path mappings in [`domains`]; tags in [`tags`];
//! store backup and restore in [`backup`]. Patch operations are parsed in
//! [`patch`]. What every family shares lives here: errors in AWS's shape,
//! lookups, the API edit loop and the write of a control command.
//! `?apigwDefinition=true` on an API or a stage reads and writes the
//! store's own shape, for `apigw diff` and `apigw apply`.

mod account;
pub mod backup;
mod canary;
mod client_certificates;
mod definitions;
mod documentation;
mod domains;
mod export;
mod keys;
mod operations;
mod patch;
mod resources;
mod restapis;
mod stages;
mod tags;
mod test_invoke;
mod v2;
pub use v2::{declared_api, WsDeclaration};
mod vpclinks;

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
use crate::model::command::Record;
use crate::model::{RestApi, Stage};
use crate::policy::{self, Identities};
use crate::store::Store;
use operations::Family;

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

/// AWS's request validation of `PutIntegration`'s `type`, made before the
/// method is looked up.
fn check_integration_type(body: &[u8]) -> Result<(), ApiError> {
    const TYPES: &[&str] = &["HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"];
    let input: Value = serde_json::from_slice(body).unwrap_or_default();
    match input.get("type").and_then(Value::as_str) {
        Some(kind) if !TYPES.contains(&kind) => Err(err(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            format!(
                "1 validation error detected: Value '{kind}' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]"
            ),
        )),
        _ => Ok(()),
    }
}

/// The message of a call on an API that does not exist, before
/// [`missing_api`] words it as AWS does for the operation.
const NO_SUCH_API: &str = "Invalid API identifier specified";

/// `e` as AWS answers a call on an API that does not exist: most
/// operations name the account and the id, those below an API's resources
/// or on one model or validator name what they were after.
fn missing_api(e: ApiError, req: &Request<'_>) -> ApiError {
    use operations::Op;
    if e.status != StatusCode::NOT_FOUND || e.message != NO_SUCH_API {
        return e;
    }
    let message = match (req.matched.family, req.op()) {
        (Family::Resources, op) if op != Op::GetResources => {
            "Invalid Resource identifier specified".to_string()
        }
        (_, Op::GetModel | Op::UpdateModel | Op::DeleteModel) => {
            format!("Invalid model name specified: {}", req.param("model_name"))
        }
        // AWS answers a new authorizer on a missing API as a conflict.
        (_, Op::CreateAuthorizer) => return err(
            StatusCode::CONFLICT,
            "ConflictException",
            "Unable to complete operation due to concurrent modification. Please try again later.",
        ),
        (_, Op::CreateRequestValidator) => {
            return bad_request("Invalid REST API identifier specified")
        }
        (_, Op::GetRequestValidator | Op::UpdateRequestValidator | Op::DeleteRequestValidator) => {
            "Invalid Request Validator identifier specified".to_string()
        }
        (_, Op::GetDocumentationPart | Op::UpdateDocumentationPart) => {
            documentation::NO_SUCH_PART.to_string()
        }
        _ => match req.param("restapi_id") {
            "" => return e,
            id => format!("{NO_SUCH_API} {}:{id}", crate::policy::account()),
        },
    };
    not_found(message)
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
        // Errors of AWS's request layer (not in the service model) carry
        // `Message`; the service's own exceptions `message`.
        let body = match self.kind {
            "ValidationException" | "SerializationException" => json!({ "Message": self.message }),
            _ => json!({ "message": self.message }),
        };
        let mut r = Response::new(full(body.to_string()));
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
    /// The node's functions, for TestInvokeMethod of Lambda methods.
    functions: Option<Arc<crate::functions::Functions>>,
    /// Held through an API edit's read, change and write.
    edits: tokio::sync::Mutex<()>,
    /// Held through the read, change and write of a stage, usage plan,
    /// domain name, tags or the account, so concurrent calls on this node
    /// lose none (the store writes whole records).
    writes: tokio::sync::Mutex<()>,
    /// The account throttle this node admits with (`GetAccount`).
    account_throttle: crate::throttle::Rate,
}

type Reply = Result<(StatusCode, Value), ApiError>;

/// One management request as a family's handler sees it: its operation
/// and path parameters, its query and body.
struct Request<'a> {
    method: &'a Method,
    body: &'a [u8],
    query: &'a [(String, String)],
    matched: operations::Matched,
    /// The path's segments, percent-decoded.
    segments: Vec<String>,
}

impl Request<'_> {
    fn op(&self) -> operations::Op {
        self.matched.op
    }

    /// A path parameter of the operation's request URI, by its name there.
    fn param(&self, name: &str) -> &str {
        self.matched.param(name)
    }

    /// The first value of query parameter `name`.
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path's segments from index `from` on.
    fn rest(&self, from: usize) -> Vec<&str> {
        self.segments
            .iter()
            .skip(from)
            .map(String::as_str)
            .collect()
    }

    /// A page of `items` as `position` and `limit` ask.
    fn page(&self, items: Vec<Value>) -> Result<Value, ApiError> {
        page(items, self.query("position"), self.query("limit"))
    }

    /// A family handed an operation of another family (a table error).
    fn not_served(&self, op: operations::Op) -> ApiError {
        internal(format!("operation {op:?} reached the wrong family"))
    }
}

impl Management {
    pub fn new(store: Arc<Store>, writer: Writer, max_integration_timeout_ms: u64) -> Management {
        Management {
            store,
            writer,
            admin_grants: Identities::default(),
            region: "us-east-1".into(),
            max_integration_timeout_ms,
            counters: None,
            functions: None,
            edits: tokio::sync::Mutex::new(()),
            writes: tokio::sync::Mutex::new(()),
            account_throttle: crate::throttle::Rate {
                per_second: 10_000.0,
                burst: 5_000,
            },
        }
    }

    /// Reports `throttle` as the account throttle (`GetAccount`).
    pub fn with_account_throttle(mut self, throttle: crate::throttle::Rate) -> Management {
        self.account_throttle = throttle;
        self
    }

    /// Lets TestInvokeMethod call the node's functions.
    pub fn with_functions(mut self, functions: Arc<crate::functions::Functions>) -> Management {
        self.functions = Some(functions);
        self
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
        // apigatewayv2's resources are `/apis/...` in ARNs, as on AWS.
        let path = ctx
            .raw_path
            .strip_prefix("/v2")
            .filter(|p| p.starts_with("/apis"))
            .unwrap_or(&ctx.raw_path);
        let resource = policy::identity::management_arn(&self.region, path);
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

    /// The store, for the wafv2 API (`crate::wafv2`).
    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Writes a control command for the wafv2 API (`crate::wafv2`):
    /// `Err((status, message))` when it was not applied.
    pub(crate) async fn write_command(
        &self,
        command: ControlCommand,
    ) -> Result<(), (StatusCode, String)> {
        self.write(command).await.map_err(|e| (e.status, e.message))
    }

    /// Answers a request whose signature (and, for an admin user, policies)
    /// the admin listener has checked.
    pub async fn handle(&self, ctx: &RequestContext, body: Bytes) -> Response<Body> {
        // Exports come as YAML when asked for (`accepts=application/yaml`).
        let yaml = ctx.raw_path.contains("/exports/")
            && ctx.header("accept").is_some_and(|a| a.contains("yaml"));
        let export_type = ctx
            .raw_path
            .contains("/exports/")
            .then(|| ctx.raw_path.rsplit('/').next().unwrap_or_default());
        let mut response = match self.route(ctx, &body).await {
            Ok((status, value)) => {
                let (text, kind) = match (yaml, export_type) {
                    (true, _) => (
                        apigw_model::yaml::to_string(&value).unwrap_or_default(),
                        "application/yaml",
                    ),
                    // AWS sends an export as a download.
                    (false, Some(_)) => (value.to_string(), "application/octet-stream"),
                    (false, None) => (value.to_string(), "application/json"),
                };
                // A 204 (apigatewayv2's deletes) has no body at all.
                let text = match status {
                    StatusCode::NO_CONTENT => String::new(),
                    _ => text,
                };
                let mut r = Response::new(full(text));
                *r.status_mut() = status;
                r.headers_mut()
                    .insert("content-type", http::HeaderValue::from_static(kind));
                let name = export_type.map(|t| export::download_name(t, &value, yaml));
                if let Some(v) = name.and_then(|n| http::HeaderValue::from_str(&n).ok()) {
                    r.headers_mut().insert("content-disposition", v);
                }
                r
            }
            Err(e) => e.into_response(),
        };
        // Every AWS answer names its request (the SDKs show it in errors).
        if let Ok(id) = http::HeaderValue::from_str(&ctx.request_id) {
            response.headers_mut().insert("x-amzn-requestid", id);
        }
        response
    }

    async fn route(&self, ctx: &RequestContext, body: &[u8]) -> Reply {
        let query = ctx.query();
        let matched = operations::find(&ctx.method, &ctx.raw_path, query)?;
        let segments = ctx
            .raw_path
            .trim_matches('/')
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let req = Request {
            method: &ctx.method,
            body,
            query,
            matched,
            segments,
        };
        // Stages, plans, domains, tags and the account are read, changed
        // and written whole: their writes on this node take turns.
        let whole_records = matches!(
            req.matched.family,
            Family::Stages
                | Family::Keys
                | Family::Domains
                | Family::Tags
                | Family::Account
                | Family::VpcLinks
                | Family::ClientCertificates
        ) || req.matched.family.is_v2();
        let _turn = match whole_records && *req.method != Method::GET {
            true => Some(self.writes.lock().await),
            false => None,
        };
        let v1_patch = *req.method == Method::PATCH && !req.matched.family.is_v2();
        if v1_patch || req.matched.uri_has("status_code") {
            let op = format!("{:?}", req.op());
            let input = format!("{}{}Input", op[..1].to_ascii_lowercase(), &op[1..]);
            let code = req
                .matched
                .uri_has("status_code")
                .then(|| req.param("status_code"));
            patch::validate(
                if *req.method == Method::PATCH {
                    body
                } else {
                    b""
                },
                &input,
                code,
            )?;
        }
        if req.op() == operations::Op::PutIntegration {
            check_integration_type(body)?;
        }
        let reply = match req.matched.family {
            Family::RestApis => self.rest_apis(&req).await,
            Family::Resources => self.resources(&req).await,
            Family::Definitions => self.definitions(&req).await,
            Family::Documentation => self.documentation(&req).await,
            Family::Stages => self.stages(&req).await,
            Family::Exports => self.get_export(&req),
            Family::Keys => self.keys(&req).await,
            Family::Domains => self.domain_call(req.method, &req.rest(1), body).await,
            Family::Tags => {
                let arn = req.param("resource_arn");
                self.tags(req.method, arn, body, req.query).await
            }
            Family::Account => self.account(&req).await,
            Family::VpcLinks => self.vpc_links(&req).await,
            Family::ClientCertificates => self.client_certificates(&req).await,
            family if family.is_v2() => self.v2(&req).await,
            _ => Err(req.not_served(req.op())),
        };
        reply.map_err(|e| missing_api(e, &req))
    }

    /// Serves resources, methods, integrations and their responses.
    async fn resources(&self, req: &Request<'_>) -> Reply {
        let id = req.param("restapi_id");
        if req.op() == operations::Op::TestInvokeMethod {
            let (resource, verb) = (req.param("resource_id"), req.param("http_method"));
            return self.test_invoke(id, resource, verb, req.body).await;
        }
        if req.op() == operations::Op::GetResources {
            let api = self.api(id)?;
            let embed = req.query("embed") == Some("methods");
            let items = api
                .resources
                .values()
                .map(|r| resources::resource_json(&api, r, embed))
                .collect();
            return Ok((StatusCode::OK, req.page(items)?));
        }
        let rest = req.rest(3);
        self.edit_api(id, req.method, req.body, |api, call| {
            resources::call(api, &rest, call)
        })
        .await
    }

    /// Serves models, request validators, authorizers and gateway responses.
    async fn definitions(&self, req: &Request<'_>) -> Reply {
        let kind = req.segments[2].as_str();
        let rest = req.rest(3);
        self.edit_api(
            req.param("restapi_id"),
            req.method,
            req.body,
            |api, call| {
                definitions::call(api, kind, &rest, call)
                    .unwrap_or_else(|| Err(not_found("Unknown resource")))
            },
        )
        .await
    }

    /// `GetExport`: a stage's deployed API as OpenAPI 3 or Swagger 2.
    fn get_export(&self, req: &Request<'_>) -> Reply {
        let (id, name, kind) = (
            req.param("restapi_id"),
            req.param("stage_name"),
            req.param("export_type"),
        );
        let dialect = export::Dialect::from_export_type(kind)
            .ok_or_else(|| bad_request(format!("Invalid export type {kind}: oas30 or swagger")))?;
        let stage = self.stage(id, name)?;
        let deployment = self.deployment(id, &stage.deployment_id)?;
        let served = export::Served {
            stage: name,
            host: format!("{id}.execute-api.{}.amazonaws.com", self.region),
            deployed: rfc3339(deployment.created_date),
        };
        let mut doc = export::export(&deployment.api, &served, dialect);
        export::keep_extensions(&mut doc, req.query("extensions").unwrap_or_default());
        Ok((StatusCode::OK, doc))
    }

    fn api(&self, id: &str) -> Result<RestApi, ApiError> {
        self.store
            .get_api(id)
            .map_err(internal)?
            .ok_or_else(|| not_found(NO_SUCH_API))
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

    /// Domain name `name`.
    fn domain(&self, name: &str) -> Result<crate::model::DomainName, ApiError> {
        self.store
            .get_domain(name)
            .map_err(internal)?
            .ok_or_else(|| not_found("Invalid domain name identifier specified"))
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

    /// Read-modify-write of one whole record: `change` reads what it needs
    /// and returns the command that writes the record and its answer; the
    /// command is applied only if `record` is still as it was before the
    /// read (on every node, through the log), else `change` runs again on
    /// what is there now, as [`Management::edit_api`] does for APIs.
    async fn edit_record<T>(
        &self,
        record: Record,
        mut change: impl FnMut() -> Result<(ControlCommand, T), ApiError>,
    ) -> Result<T, ApiError> {
        for _ in 0..10 {
            let base = self.store.digest_of(&record).map_err(internal)?;
            let (command, out) = change()?;
            let command = ControlCommand::PutIf {
                record: record.clone(),
                base,
                command: Box::new(command),
            };
            match self.write(command).await {
                Err(e) if e.message == crate::control::STALE_API => continue,
                Err(e) => return Err(e),
                Ok(()) => return Ok(out),
            }
        }
        Err(err(
            StatusCode::CONFLICT,
            "ConflictException",
            "Unable to complete operation due to concurrent modification. Please try again later.",
        ))
    }

    /// Stores the `tags` a create call carried for its new resource.
    async fn tag_new(&self, resource: String, tags: Option<&Value>) -> Result<(), ApiError> {
        let tags = tags::tags_of(tags)?;
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
}

/// A name rule's verdict as AWS's 400.
fn check_name(checked: Result<(), crate::names::NameError>) -> Result<(), ApiError> {
    checked.map_err(|e| bad_request(e.0))
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

/// Epoch seconds as RFC 3339 (`2026-12-04T03:00:00Z`).
fn rfc3339(secs: u64) -> String {
    let at = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
