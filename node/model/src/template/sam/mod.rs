//! The SAM transform's resources, as `sam deploy` would expand them:
//! `AWS::Serverless::Function` (code folder, handler, runtime,
//! environment, timeout, memory; `Api` events), `AWS::Serverless::Api`
//! (definition, stage, auth, CORS, gateway responses, method settings,
//! variables, binary media types), the implicit `ServerlessRestApi` that
//! `Api` events without a `RestApiId` build (stages `Prod` and `Stage`),
//! and the `Globals` section.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

mod auth;

use super::intrinsics::scalar_text;
use super::{
    number, string_map, Severity, TemplateApi, TemplateError, TemplateFunction, TemplateStage,
    Translator,
};
use crate::template::openapi::{self, Cors};
use crate::template::settings::is_local_runtime;

/// The logical id SAM gives the API it builds from `Api` events.
pub const IMPLICIT_API: &str = "ServerlessRestApi";

/// One `Api` event of a function.
#[derive(Debug, Clone)]
struct ApiEvent {
    /// The logical id of the API it attaches to.
    api: String,
    path: String,
    method: String,
    function_arn: String,
    /// `Auth.Authorizer` (`NONE`, `AWS_IAM` or a name).
    authorizer: Option<String>,
    scopes: Vec<Value>,
    api_key_required: Option<bool>,
    request_parameters: Vec<Value>,
}

/// Whether a resource is a function with an `Api` event that names no API.
pub fn has_implicit_api_event(resource: &Value) -> bool {
    resource.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function")
        && resource
            .pointer("/Properties/Events")
            .and_then(Value::as_object)
            .is_some_and(|events| {
                events.values().any(|e| {
                    e.get("Type").and_then(Value::as_str) == Some("Api")
                        && e.pointer("/Properties/RestApiId").is_none()
                })
            })
}

/// Translates the SAM resources; marks the ones it served.
pub fn translate(
    t: &mut Translator<'_>,
    served: &mut BTreeSet<String>,
) -> Result<(), TemplateError> {
    let mut events = Vec::new();
    for (id, kind, resource) in t.resources() {
        if kind == "AWS::Serverless::Function" {
            function(t, id, resource, &mut events)?;
            served.insert(id.to_string());
        }
    }
    for (id, kind, resource) in t.resources() {
        if kind == "AWS::Serverless::Api" {
            let mine: Vec<ApiEvent> = events.iter().filter(|e| e.api == id).cloned().collect();
            api(t, id, Some(resource), &mine)?;
            served.insert(id.to_string());
        }
    }
    let implicit: Vec<ApiEvent> = events
        .iter()
        .filter(|e| e.api == IMPLICIT_API)
        .cloned()
        .collect();
    if !implicit.is_empty() {
        api(t, IMPLICIT_API, None, &implicit)?;
    }
    for e in events.iter().filter(|e| e.api != IMPLICIT_API) {
        if !served.contains(&e.api) {
            return Err(TemplateError::at(
                &format!("{}: RestApiId", e.path),
                format!("`{}` is no AWS::Serverless::Api of the template", e.api),
            ));
        }
    }
    Ok(())
}

/// `Globals.{section}` merged under a resource's properties, SAM's way:
/// mappings merge, lists add up, the resource's scalars win.
fn with_globals(t: &Translator<'_>, section: &str, resource: Option<&Value>) -> Value {
    let globals = t
        .template
        .get("Globals")
        .and_then(|g| g.get(section))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let own = resource
        .and_then(|r| r.get("Properties"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    merge(globals, own)
}

fn merge(base: Value, top: Value) -> Value {
    match (base, top) {
        (Value::Object(mut b), Value::Object(t)) if !is_intrinsic(&t) => {
            for (k, v) in t {
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (Value::Array(mut b), Value::Array(t)) => {
            b.extend(t);
            Value::Array(b)
        }
        (_, top) => top,
    }
}

fn is_intrinsic(map: &Map<String, Value>) -> bool {
    map.len() == 1 && map.keys().all(|k| k == "Ref" || k.starts_with("Fn::"))
}

fn resolved(
    t: &Translator<'_>,
    value: &Value,
    at: &str,
) -> Result<Map<String, Value>, TemplateError> {
    match t.ctx.resolve(value, at)? {
        Value::Object(m) => Ok(m),
        _ => Err(TemplateError::at(at, "expected a mapping")),
    }
}

fn function(
    t: &mut Translator<'_>,
    id: &str,
    resource: &Value,
    events: &mut Vec<ApiEvent>,
) -> Result<(), TemplateError> {
    let at = format!("Resources.{id}.Properties");
    let raw_events = resource
        .pointer("/Properties/Events")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut props_raw = with_globals(t, "Function", Some(resource));
    if let Some(p) = props_raw.as_object_mut() {
        p.remove("Events");
    }
    let props = resolved(t, &props_raw, &at)?;
    let text = |k: &str| props.get(k).and_then(scalar_text);
    let name = t.ctx.resources[id]
        .reference
        .as_str()
        .unwrap_or(id)
        .to_string();
    let arn = t.ctx.resources[id].attributes["Arn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let runtime = text("Runtime").unwrap_or_default();
    let package_type = text("PackageType").unwrap_or_else(|| "Zip".into());
    let code = match props.get("CodeUri") {
        Some(Value::String(dir)) => Some(dir.clone()),
        Some(Value::Object(s3)) => {
            let key = s3.get("Key").and_then(Value::as_str).unwrap_or_default();
            t.finding(
                id,
                "AWS::Serverless::Function",
                Severity::Unsupported,
                format!("CodeUri names S3 object {key}: give a local folder to run it"),
            );
            None
        }
        _ if props.contains_key("InlineCode") => {
            t.finding(
                id,
                "AWS::Serverless::Function",
                Severity::Unsupported,
                "InlineCode is not run: give CodeUri a local folder",
            );
            None
        }
        _ => Some(".".to_string()),
    };
    if package_type == "Image" {
        t.finding(
            id,
            "AWS::Serverless::Function",
            Severity::Unsupported,
            "PackageType Image (container functions) is not run locally",
        );
    } else if let Some(code_dir) = code {
        if !is_local_runtime(&runtime) {
            t.finding(
                id,
                "AWS::Serverless::Function",
                Severity::Unsupported,
                format!("runtime `{runtime}` is not run locally (python3.x, nodejs*, provided*)"),
            );
        } else {
            let memory = props.get("MemorySize").and_then(number).unwrap_or(128.0);
            let timeout = props.get("Timeout").and_then(number).unwrap_or(3.0);
            t.out.functions.push(TemplateFunction {
                logical_id: id.to_string(),
                name: name.clone(),
                code_dir,
                handler: text("Handler"),
                runtime: runtime.clone(),
                environment: string_map(
                    props.get("Environment").and_then(|e| e.get("Variables")),
                    &format!("{at}.Environment.Variables"),
                )?,
                timeout_s: timeout.clamp(1.0, 900.0) as u64,
                memory_mb: memory.clamp(128.0, 10_240.0) as u32,
            });
        }
    }
    for (event_name, event) in raw_events {
        let at = format!("{at}.Events.{event_name}");
        let kind = event
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind != "Api" {
            t.finding(
                id,
                "AWS::Serverless::Function",
                Severity::Unsupported,
                format!("event {event_name} of type {kind} is not delivered (only Api events are)"),
            );
            continue;
        }
        let api = match event.pointer("/Properties/RestApiId") {
            None => IMPLICIT_API.to_string(),
            Some(Value::Object(r)) if r.get("Ref").and_then(Value::as_str).is_some() => {
                r["Ref"].as_str().unwrap_or_default().to_string()
            }
            Some(_) => {
                return Err(TemplateError::at(
                    &format!("{at}.Properties.RestApiId"),
                    "give !Ref of an AWS::Serverless::Api",
                ))
            }
        };
        let mut raw = event
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| json!({}));
        if let Some(p) = raw.as_object_mut() {
            p.remove("RestApiId");
        }
        let p = resolved(t, &raw, &format!("{at}.Properties"))?;
        let field = |k: &str| {
            p.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    TemplateError::at(
                        &format!("{at}.Properties.{k}"),
                        "is required for an Api event",
                    )
                })
        };
        let auth = p.get("Auth");
        events.push(ApiEvent {
            api,
            path: field("Path")?,
            method: field("Method")?,
            function_arn: arn.clone(),
            authorizer: auth.and_then(|a| a.get("Authorizer")).and_then(scalar_text),
            scopes: auth
                .and_then(|a| a.get("AuthorizationScopes"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            api_key_required: auth
                .and_then(|a| a.get("ApiKeyRequired"))
                .and_then(Value::as_bool),
            request_parameters: p
                .get("RequestParameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        });
    }
    Ok(())
}

/// An `AWS::Serverless::Api` (or the implicit one when `resource` is None).
fn api(
    t: &mut Translator<'_>,
    id: &str,
    resource: Option<&Value>,
    events: &[ApiEvent],
) -> Result<(), TemplateError> {
    let at = format!("Resources.{id}.Properties");
    let mut raw = with_globals(t, "Api", resource);
    let body_raw = raw.as_object_mut().and_then(|p| p.remove("DefinitionBody"));
    let props = resolved(t, &raw, &at)?;
    let text = |k: &str| props.get(k).and_then(scalar_text);
    let name = text("Name").unwrap_or_else(|| t.inputs.stack_name.clone());
    let mut doc = match (body_raw, props.get("DefinitionUri")) {
        (Some(body), _) => {
            let body =
                crate::template::documents::include(t, &body, &format!("{at}.DefinitionBody"))?;
            t.ctx.resolve(&body, &format!("{at}.DefinitionBody"))?
        }
        (None, Some(uri)) => {
            crate::template::documents::read_document(t, uri, &format!("{at}.DefinitionUri"))?
        }
        (None, None) => openapi::document(&name),
    };
    if !doc.is_object() {
        return Err(TemplateError::at(
            &format!("{at}.DefinitionBody"),
            "an OpenAPI document is a mapping",
        ));
    }
    if props.contains_key("Name") {
        if let Some(info) = doc.get_mut("info").and_then(Value::as_object_mut) {
            info.insert("title".into(), Value::String(name.clone()));
        }
    }
    let auth = props.get("Auth").cloned().unwrap_or_else(|| json!({}));
    add_events(t, &mut doc, events);
    auth::authorizers(t, id, &mut doc, &auth)?;
    if let Some(cors) = props.get("Cors") {
        let cors = Cors::from_sam(cors).ok_or_else(|| {
            TemplateError::at(
                &format!("{at}.Cors"),
                "give an origin or a mapping with AllowOrigin",
            )
        })?;
        openapi::add_cors(&mut doc, &cors);
    }
    auth::default_auth(&mut doc, &auth);
    let root = doc.as_object_mut().expect("checked above");
    if let Some(g) = props.get("GatewayResponses") {
        root.insert(
            "x-amazon-apigateway-gateway-responses".into(),
            openapi::sam_gateway_responses(g),
        );
    }
    if let Some(b) = props.get("BinaryMediaTypes") {
        root.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            openapi::binary_media_types(b),
        );
    }
    if let Some(size) = props.get("MinimumCompressionSize") {
        root.insert(
            "x-amazon-apigateway-minimum-compression-size".into(),
            size.clone(),
        );
    }
    if let Some(types) = props
        .get("EndpointConfiguration")
        .and_then(|e| e.get("Type"))
        .and_then(scalar_text)
    {
        root.insert(
            "x-amazon-apigateway-endpoint-configuration".into(),
            json!({"types": [types]}),
        );
    }
    for unsupported in [
        "Domain",
        "AccessLogSetting",
        "CanarySetting",
        "TracingEnabled",
    ] {
        if props.contains_key(unsupported) {
            t.finding(id, "AWS::Serverless::Api", Severity::Warning,
                format!("{unsupported} is not applied (configure it on the node or through the management API)"));
        }
    }
    let stage_name = match resource {
        None => "Prod".to_string(),
        Some(_) => text("StageName")
            .ok_or_else(|| TemplateError::at(&format!("{at}.StageName"), "is required"))?,
    };
    let stages = stages(&props, &stage_name, &at)?;
    let api_id = t.api_id(id);
    auth::usage_plan(t, id, &api_id, &auth, &stages)?;
    t.out.apis.push(TemplateApi {
        logical_id: id.to_string(),
        id: api_id,
        name,
        document: doc,
        stages,
    });
    Ok(())
}

/// The API's stages: its `StageName` and, unless `OpenApiVersion` is set,
/// the `Stage` stage SAM also makes.
fn stages(
    props: &Map<String, Value>,
    name: &str,
    at: &str,
) -> Result<Vec<TemplateStage>, TemplateError> {
    let stage = TemplateStage {
        name: name.to_string(),
        description: props.get("Description").and_then(scalar_text),
        variables: string_map(props.get("Variables"), &format!("{at}.Variables"))?,
        cache_cluster_enabled: props.get("CacheClusterEnabled").and_then(Value::as_bool)
            == Some(true),
        method_settings: crate::template::settings::method_settings(
            props.get("MethodSettings"),
            &format!("{at}.MethodSettings"),
        )?,
    };
    let mut out = vec![stage.clone()];
    if !props.contains_key("OpenApiVersion") && name != "Stage" {
        out.push(TemplateStage {
            name: "Stage".into(),
            ..stage
        });
    }
    Ok(out)
}

/// Each event's path and method, added unless the definition has it.
fn add_events(t: &Translator<'_>, doc: &mut Value, events: &[ApiEvent]) {
    let region = t.inputs.region.clone();
    let Some(paths) = openapi::paths(doc) else {
        return;
    };
    for e in events {
        let item = paths.entry(e.path.clone()).or_insert_with(|| json!({}));
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let key = openapi::method_key(&e.method);
        if item.contains_key(&key) {
            continue;
        }
        let mut op = openapi::proxy_operation(&openapi::lambda_uri(&region, &e.function_arn));
        let mut security = Vec::new();
        match e.authorizer.as_deref() {
            Some("NONE") => {
                op["x-apigw-no-default-auth"] = json!(true);
            }
            Some(name) => security.push(json!({ name: e.scopes })),
            None => {}
        }
        let key_required = e.api_key_required.unwrap_or(false);
        if key_required {
            security.push(json!({"api_key": []}));
        }
        if e.api_key_required == Some(false) {
            op["x-apigw-no-default-key"] = json!(true);
        }
        if !security.is_empty() {
            op["security"] = Value::Array(security);
        }
        let parameters: Vec<Value> = e
            .request_parameters
            .iter()
            .filter_map(request_parameter)
            .collect();
        if !parameters.is_empty() {
            op["parameters"] = Value::Array(parameters);
        }
        item.insert(key, op);
    }
}

/// `method.request.header.X` (or `{name: {Required: true}}`) as a Swagger parameter.
fn request_parameter(value: &Value) -> Option<Value> {
    let (name, required) = match value {
        Value::String(s) => (s.clone(), false),
        Value::Object(m) => {
            let (k, v) = m.iter().next()?;
            (
                k.clone(),
                v.get("Required").and_then(Value::as_bool) == Some(true),
            )
        }
        _ => return None,
    };
    let rest = name.strip_prefix("method.request.")?;
    let (place, param) = rest.split_once('.')?;
    let place = match place {
        "header" => "header",
        "querystring" => "query",
        "path" => "path",
        _ => return None,
    };
    Some(json!({"name": param, "in": place, "required": required, "type": "string"}))
}
