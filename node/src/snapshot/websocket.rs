//! WebSocket API stages compiled for the data plane: each stage's
//! deployment turned into routes by route key, with their integration
//! (kind, target, timeout, templates compiled once), REQUEST authorizer and
//! whether they answer (a `$default` route response), and the API's route
//! selection expression as a JSON path. Rebuilt with the REST snapshot
//! whenever the control plane applies a command.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::import::Finding;
use crate::model::websocket::{WsApi, WsDefinition};
use crate::vtl::Template;

/// Every served WebSocket stage, by API id then stage name.
#[derive(Debug, Default)]
pub struct WsSnapshot {
    apis: HashMap<String, HashMap<String, Arc<WsStage>>>,
}

impl WsSnapshot {
    /// Whether no WebSocket stage is served at all (REST requests then
    /// skip the WebSocket check).
    pub fn is_empty(&self) -> bool {
        self.apis.is_empty()
    }

    /// Whether `api_id` is a WebSocket API with a served stage.
    pub fn has_api(&self, api_id: &str) -> bool {
        self.apis.contains_key(api_id)
    }

    /// Stage `stage` of WebSocket API `api_id`.
    pub fn stage(&self, api_id: &str, stage: &str) -> Option<&Arc<WsStage>> {
        self.apis.get(api_id)?.get(stage)
    }
}

/// One deployed WebSocket stage.
#[derive(Debug)]
pub struct WsStage {
    pub api_id: String,
    pub stage_name: String,
    pub deployment_id: String,
    pub variables: BTreeMap<String, String>,
    /// `$request.body.action` as `["action"]`.
    pub selection: Vec<String>,
    /// Route key -> route.
    pub routes: HashMap<String, Arc<WsRoute>>,
}

/// One route of a deployed stage.
#[derive(Debug)]
pub struct WsRoute {
    pub route_key: String,
    pub route_id: String,
    pub integration: Option<WsIntegration>,
    pub auth: WsAuth,
    /// A `$default` route response: the integration's answer goes back to
    /// the client.
    pub two_way: bool,
    /// The stage's throttle for this route (its `routeSettings`, else the
    /// stage's `defaultRouteSettings`).
    pub throttle: Option<crate::throttle::Rate>,
}

/// How `$connect` is authorized.
#[derive(Debug)]
pub enum WsAuth {
    None,
    /// SigV4 (service `execute-api`) with the configured IAM users.
    Iam,
    /// A REQUEST Lambda authorizer.
    Lambda(WsAuthorizer),
}

/// A REQUEST authorizer.
#[derive(Debug)]
pub struct WsAuthorizer {
    pub id: String,
    pub function: String,
    pub sources: Vec<IdentitySource>,
}

/// Where an identity source is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// Lower-cased header name.
    Header(String),
    Query(String),
}

/// What a route's integration calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsTarget {
    Mock,
    /// AWS_PROXY: a Lambda proxy event.
    LambdaProxy(String),
    /// AWS (Lambda, non-proxy): the request template's output.
    Lambda(String),
    /// HTTP (templates) or HTTP_PROXY (the message as is), POSTed to `uri`.
    Http {
        uri: String,
        proxy: bool,
        method: String,
    },
}

/// A route's integration.
#[derive(Debug)]
pub struct WsIntegration {
    pub id: String,
    pub target: WsTarget,
    pub timeout: Duration,
    /// The `$default` request template (else the only one).
    pub request_template: Option<Arc<Template>>,
    /// Integration responses: the key's pattern (`None`: `$default`) and
    /// the response template.
    pub responses: Vec<(Option<regex::Regex>, Option<Arc<Template>>)>,
}

/// `$request.body.a.b` (or `${request.body.a.b}`) as `["a", "b"]`.
pub fn selection_path(expression: &str) -> Option<Vec<String>> {
    let inner = expression
        .strip_prefix("${")
        .and_then(|e| e.strip_suffix('}'))
        .unwrap_or_else(|| expression.strip_prefix('$').unwrap_or(""));
    let path = inner.strip_prefix("request.body.")?;
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    let good = |p: &String| !p.is_empty() && p.len() <= 128 && !p.contains(['$', '{', '}', ' ']);
    (parts.iter().all(good) && parts.len() <= 16).then_some(parts)
}

/// `route.request.header.X` / `route.request.querystring.X`.
pub fn identity_source(source: &str) -> Option<IdentitySource> {
    let valid = |n: &str| !n.is_empty() && n.len() <= 256 && !n.contains([' ', '\n', '\r']);
    if let Some(name) = source.strip_prefix("route.request.header.") {
        return valid(name).then(|| IdentitySource::Header(name.to_ascii_lowercase()));
    }
    let name = source.strip_prefix("route.request.querystring.")?;
    valid(name).then(|| IdentitySource::Query(name.to_string()))
}

/// Compiles every stage of `apis`; what cannot be compiled is a finding
/// (that route then answers an internal error).
pub fn compile_ws(apis: &[WsApi]) -> (WsSnapshot, Vec<Finding>) {
    let mut snapshot = WsSnapshot::default();
    let mut findings = Vec::new();
    for api in apis {
        for (name, stage) in &api.stages {
            let Some(deployment_id) = stage.get("deploymentId").and_then(Value::as_str) else {
                continue;
            };
            let Some(deployment) = api.deployments.get(deployment_id) else {
                continue;
            };
            let at = format!("WebSocket API {} stage {name}", api.id);
            let mut found = |message: String| {
                findings.push(Finding {
                    at: at.clone(),
                    message,
                })
            };
            let compiled = compile_stage(
                &api.id,
                name,
                stage,
                deployment_id,
                &deployment.definition,
                &mut found,
            );
            snapshot
                .apis
                .entry(api.id.clone())
                .or_default()
                .insert(name.clone(), Arc::new(compiled));
        }
    }
    (snapshot, findings)
}

fn compile_stage(
    api_id: &str,
    name: &str,
    stage: &Value,
    deployment_id: &str,
    def: &WsDefinition,
    found: &mut impl FnMut(String),
) -> WsStage {
    let expression = def
        .api
        .get("routeSelectionExpression")
        .and_then(Value::as_str)
        .unwrap_or("");
    let selection = selection_path(expression).unwrap_or_else(|| {
        found(format!(
            "route selection expression {expression} is not served"
        ));
        Vec::new()
    });
    let variables = stage
        .get("stageVariables")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let routes = def
        .routes
        .iter()
        .map(|(id, route)| {
            let mut compiled = compile_route(def, id, route, found);
            compiled.throttle = throttle(stage, &compiled.route_key);
            (compiled.route_key.clone(), Arc::new(compiled))
        })
        .collect();
    WsStage {
        api_id: api_id.to_string(),
        stage_name: name.to_string(),
        deployment_id: deployment_id.to_string(),
        variables,
        selection,
        routes,
    }
}

fn compile_route(
    def: &WsDefinition,
    id: &str,
    route: &Value,
    found: &mut impl FnMut(String),
) -> WsRoute {
    let s = |name: &str| route.get(name).and_then(Value::as_str).unwrap_or("");
    let integration = s("target")
        .strip_prefix("integrations/")
        .and_then(|iid| Some((iid, def.integrations.get(iid)?)))
        .and_then(|(iid, i)| compile_integration(def, iid, i, found));
    let auth = match s("authorizationType") {
        "AWS_IAM" => WsAuth::Iam,
        "CUSTOM" => match def.authorizers.get(s("authorizerId")) {
            Some(a) => compile_authorizer(s("authorizerId"), a, found),
            None => {
                found(format!(
                    "route {id}: authorizer {} is missing",
                    s("authorizerId")
                ));
                WsAuth::Lambda(WsAuthorizer {
                    id: String::new(),
                    function: String::new(),
                    sources: Vec::new(),
                })
            }
        },
        _ => WsAuth::None,
    };
    let two_way = def.route_responses.get(id).is_some_and(|r| {
        r.values()
            .any(|v| v.get("routeResponseKey").and_then(Value::as_str) == Some("$default"))
    });
    WsRoute {
        route_key: s("routeKey").to_string(),
        route_id: id.to_string(),
        integration,
        auth,
        two_way,
        throttle: None,
    }
}

/// The throttle of route `key` on `stage`: each of the rate and the burst
/// from the route's settings, else from the stage's default ones.
fn throttle(stage: &Value, key: &str) -> Option<crate::throttle::Rate> {
    let own = stage.get("routeSettings").and_then(|s| s.get(key));
    let default = stage.get("defaultRouteSettings");
    let pick = |name: &str| {
        own.and_then(|s| s.get(name))
            .or_else(|| default.and_then(|s| s.get(name)))
    };
    let per_second = pick("throttlingRateLimit").and_then(Value::as_f64)?;
    let burst = pick("throttlingBurstLimit").and_then(Value::as_u64)?;
    Some(crate::throttle::Rate {
        per_second,
        burst: u32::try_from(burst).unwrap_or(u32::MAX),
    })
}

fn compile_authorizer(id: &str, a: &Value, found: &mut impl FnMut(String)) -> WsAuth {
    let uri = a.get("authorizerUri").and_then(Value::as_str).unwrap_or("");
    let function = crate::model::function::function_name_from_uri(uri).unwrap_or_default();
    if function.is_empty() {
        found(format!("authorizer {id}: {uri} names no function"));
    }
    let sources = a
        .get("identitySource")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|s| identity_source(s.as_str()?))
                .collect()
        })
        .unwrap_or_default();
    WsAuth::Lambda(WsAuthorizer {
        id: id.to_string(),
        function: function.to_string(),
        sources,
    })
}

fn compile_integration(
    def: &WsDefinition,
    id: &str,
    i: &Value,
    found: &mut impl FnMut(String),
) -> Option<WsIntegration> {
    let Some(target) = target_of(i) else {
        let kind = i
            .get("integrationType")
            .and_then(Value::as_str)
            .unwrap_or("");
        found(format!("integration {id}: type {kind} is not served"));
        return None;
    };
    let mut template = |text: &str, what: &str| match Template::compile(text) {
        Ok(t) => Some(Arc::new(t)),
        Err(e) => {
            found(format!("integration {id}: {what} template: {e}"));
            None
        }
    };
    let request_template = i
        .get("requestTemplates")
        .and_then(Value::as_object)
        .and_then(|t| {
            t.get("$default")
                .or_else(|| (t.len() == 1).then(|| t.values().next()).flatten())
        })
        .and_then(Value::as_str)
        .and_then(|text| template(text, "request"));
    let mut responses = Vec::new();
    for r in def
        .integration_responses
        .get(id)
        .into_iter()
        .flat_map(BTreeMap::values)
    {
        let Some(pattern) = response_pattern(r) else {
            continue;
        };
        let text = r
            .get("responseTemplates")
            .and_then(Value::as_object)
            .and_then(|t| t.get("$default").or_else(|| t.values().next()))
            .and_then(Value::as_str);
        responses.push((pattern, text.and_then(|t| template(t, "response"))));
    }
    // Patterns first, `$default` last.
    responses.sort_by_key(|(p, _)| p.is_none());
    let timeout_ms = i
        .get("timeoutInMillis")
        .and_then(Value::as_u64)
        .unwrap_or(29_000);
    Some(WsIntegration {
        id: id.to_string(),
        target,
        timeout: Duration::from_millis(timeout_ms.clamp(50, 29_000)),
        request_template,
        responses,
    })
}

/// What an integration calls (`None`: a type this version does not serve).
fn target_of(i: &Value) -> Option<WsTarget> {
    let s = |name: &str| i.get(name).and_then(Value::as_str).unwrap_or("");
    let function = || {
        crate::model::function::function_name_from_uri(s("integrationUri"))
            .unwrap_or_default()
            .to_string()
    };
    Some(match s("integrationType") {
        "MOCK" => WsTarget::Mock,
        "AWS_PROXY" => WsTarget::LambdaProxy(function()),
        "AWS" => WsTarget::Lambda(function()),
        kind @ ("HTTP" | "HTTP_PROXY") => WsTarget::Http {
            uri: s("integrationUri").to_string(),
            proxy: kind == "HTTP_PROXY",
            method: match s("integrationMethod") {
                "" => "POST".to_string(),
                m => m.to_string(),
            },
        },
        _ => return None,
    })
}

/// An integration response's key: `Some(None)` for `$default`,
/// `Some(Some(regex))` for `/regex/`, `None` for one that does not compile.
fn response_pattern(r: &Value) -> Option<Option<regex::Regex>> {
    match r
        .get("integrationResponseKey")
        .and_then(Value::as_str)
        .unwrap_or("$default")
    {
        "$default" => Some(None),
        k => k
            .strip_prefix('/')
            .and_then(|k| k.strip_suffix('/'))
            .and_then(|k| regex::Regex::new(k).ok())
            .map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_expressions_and_identity_sources() {
        assert_eq!(
            selection_path("$request.body.action"),
            Some(vec!["action".to_string()])
        );
        assert_eq!(
            selection_path("${request.body.a.b}"),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(selection_path("$request.header.x"), None);
        assert_eq!(selection_path("$request.body."), None);
        assert_eq!(
            identity_source("route.request.header.Auth"),
            Some(IdentitySource::Header("auth".into()))
        );
        assert_eq!(
            identity_source("route.request.querystring.token"),
            Some(IdentitySource::Query("token".into()))
        );
        assert_eq!(identity_source("route.request.body.x"), None);
    }
}
