//! One method of an export: its operation (parameters, request body,
//! responses, security, Swagger's `consumes`/`produces`) and its
//! `x-amazon-apigateway-integration`, in the shape AWS's `GetExport`
//! writes them (members left out where AWS leaves them out).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::{Dialect, API_KEY_SCHEME, SIGV4_SCHEME};
use crate::model::{Integration, IntegrationResponse, Method, MethodResponse};

/// One method as an operation.
pub(super) fn operation(m: &Method, dialect: Dialect) -> Value {
    let mut op = Map::new();
    if let Some(name) = &m.operation_name {
        op.insert("operationId".into(), json!(name));
    }
    if dialect == Dialect::Swagger2 {
        media_types(&mut op, m);
    }
    let mut parameters = parameters(m, dialect);
    request_body(&mut op, &mut parameters, m, dialect);
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    let responses: Map<String, Value> = m
        .method_responses
        .iter()
        .map(|(code, r)| (code.clone(), response(code, r, dialect)))
        .collect();
    op.insert("responses".into(), Value::Object(responses));
    if let Some(security) = security(m) {
        op.insert("security".into(), security);
    }
    if let Some(v) = &m.request_validator {
        op.insert("x-amazon-apigateway-request-validator".into(), json!(v));
    }
    if let Some(i) = &m.integration {
        op.insert("x-amazon-apigateway-integration".into(), integration(i));
    }
    Value::Object(op)
}

/// Swagger's `consumes` (request models' and templates' content types) and
/// `produces` (response models' and integration response templates'), as
/// AWS derives them.
fn media_types(op: &mut Map<String, Value>, m: &Method) {
    let mut consumes: BTreeSet<&String> = m.request_models.keys().collect();
    let mut produces: BTreeSet<&String> = m
        .method_responses
        .values()
        .flat_map(|r| r.response_models.keys())
        .collect();
    if let Some(i) = &m.integration {
        consumes.extend(i.request_templates.keys());
        produces.extend(
            i.integration_responses
                .values()
                .flat_map(|r| r.response_templates.keys()),
        );
    }
    if !consumes.is_empty() {
        op.insert("consumes".into(), json!(consumes));
    }
    if !produces.is_empty() {
        op.insert("produces".into(), json!(produces));
    }
}

/// The method's path, query and header parameters. Swagger states
/// `required` always, OpenAPI 3 only when true (as AWS writes them).
fn parameters(m: &Method, dialect: Dialect) -> Vec<Value> {
    in_declared_order(m)
        .into_iter()
        .filter_map(|(key, required)| {
            let rest = key.strip_prefix("method.request.")?;
            let (place, name) = rest.split_once('.')?;
            let place = match place {
                "querystring" => "query",
                "path" => "path",
                "header" => "header",
                _ => return None,
            };
            let required = *required || place == "path";
            let mut p = json!({"name": name, "in": place});
            match dialect {
                Dialect::OpenApi3 => {
                    if required {
                        p["required"] = json!(true);
                    }
                    p["schema"] = json!({"type": "string"});
                }
                Dialect::Swagger2 => {
                    p["required"] = json!(required);
                    p["type"] = json!("string");
                }
            }
            Some(p)
        })
        .collect()
}

/// The request parameters in the order the imported document declared
/// them, then any others (added since, or never imported) sorted.
fn in_declared_order(m: &Method) -> Vec<(&String, &bool)> {
    let rank = |key: &String| {
        m.parameter_order
            .iter()
            .position(|k| k == key)
            .unwrap_or(usize::MAX)
    };
    let mut params: Vec<(&String, &bool)> = m.request_parameters.iter().collect();
    params.sort_by_key(|(key, _)| rank(key));
    params
}

/// The request models: OpenAPI 3's `requestBody`, Swagger's body parameter.
fn request_body(
    op: &mut Map<String, Value>,
    parameters: &mut Vec<Value>,
    m: &Method,
    dialect: Dialect,
) {
    let Some(model) = m.request_models.values().next() else {
        return;
    };
    match dialect {
        Dialect::OpenApi3 => {
            let content: Map<String, Value> = m
                .request_models
                .iter()
                .map(|(ct, model)| (ct.clone(), json!({"schema": dialect.model_ref(model)})))
                .collect();
            op.insert(
                "requestBody".into(),
                json!({"content": content, "required": true}),
            );
        }
        Dialect::Swagger2 => parameters.push(json!({"in": "body", "name": model, "required": true,
            "schema": dialect.model_ref(model)})),
    }
}

/// One method response: its headers and models (OpenAPI 3 always writes
/// `content`, empty when there is no model).
fn response(code: &str, r: &MethodResponse, dialect: Dialect) -> Value {
    let mut out = json!({"description": format!("{code} response")});
    let headers: Map<String, Value> = r
        .response_parameters
        .keys()
        .filter_map(|k| k.strip_prefix("method.response.header."))
        .map(|h| {
            let schema = match dialect {
                Dialect::OpenApi3 => json!({"schema": {"type": "string"}}),
                Dialect::Swagger2 => json!({"type": "string"}),
            };
            (h.to_string(), schema)
        })
        .collect();
    if !headers.is_empty() {
        out["headers"] = Value::Object(headers);
    }
    match dialect {
        Dialect::OpenApi3 => {
            let content: Map<String, Value> = r
                .response_models
                .iter()
                .map(|(ct, model)| (ct.clone(), json!({"schema": dialect.model_ref(model)})))
                .collect();
            out["content"] = Value::Object(content);
        }
        Dialect::Swagger2 => {
            if let Some(model) = r.response_models.values().next() {
                out["schema"] = dialect.model_ref(model);
            }
        }
    }
    out
}

/// One requirement naming every scheme the method needs: all of them
/// apply together.
fn security(m: &Method) -> Option<Value> {
    let mut all = Map::new();
    match m.authorization_type.as_str() {
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            if let Some(name) = &m.authorizer {
                all.insert(name.clone(), json!(m.authorization_scopes));
            }
        }
        "AWS_IAM" => {
            all.insert(SIGV4_SCHEME.into(), json!([]));
        }
        _ => {}
    }
    if m.api_key_required {
        all.insert(API_KEY_SCHEME.into(), json!([]));
    }
    (!all.is_empty()).then(|| json!([all]))
}

/// An integration as the extension, as AWS writes it: type and
/// passthrough behaviour in lower case, responses keyed by selection
/// pattern, empty maps and lists and the default timeout left out.
pub(super) fn integration(i: &Integration) -> Value {
    let mut v = Map::new();
    v.insert("type".into(), json!(lower(&i.kind)));
    let text = |v: &mut Map<String, Value>, key: &str, value: &Option<String>| {
        if let Some(value) = value {
            v.insert(key.into(), json!(value));
        }
    };
    text(&mut v, "httpMethod", &i.http_method);
    text(&mut v, "uri", &i.uri);
    if i.connection_type.as_deref() == Some("VPC_LINK") {
        text(&mut v, "connectionType", &i.connection_type);
        text(&mut v, "connectionId", &i.connection_id);
    }
    text(&mut v, "credentials", &i.credentials);
    if !i.integration_responses.is_empty() {
        v.insert("responses".into(), responses(i));
    }
    non_empty(&mut v, "requestParameters", &i.request_parameters);
    non_empty(&mut v, "requestTemplates", &i.request_templates);
    v.insert(
        "passthroughBehavior".into(),
        json!(lower(&i.passthrough_behavior)),
    );
    text(&mut v, "contentHandling", &i.content_handling);
    if i.timeout_in_millis != crate::model::DEFAULT_INTEGRATION_TIMEOUT_MS {
        v.insert("timeoutInMillis".into(), json!(i.timeout_in_millis));
    }
    if !i.cache_key_parameters.is_empty() {
        v.insert("cacheKeyParameters".into(), json!(i.cache_key_parameters));
        text(&mut v, "cacheNamespace", &i.cache_namespace);
    }
    if let Some(tls) = &i.tls_config {
        v.insert("tlsConfig".into(), json!(tls));
    }
    Value::Object(v)
}

/// The integration responses by selection pattern (`default` for none).
fn responses(i: &Integration) -> Value {
    let out: Map<String, Value> = i
        .integration_responses
        .values()
        .map(|r| {
            let key = r
                .selection_pattern
                .clone()
                .unwrap_or_else(|| "default".into());
            (key, integration_response(r))
        })
        .collect();
    Value::Object(out)
}

fn integration_response(r: &IntegrationResponse) -> Value {
    let mut out = Map::new();
    out.insert("statusCode".into(), json!(r.status_code));
    non_empty(&mut out, "responseParameters", &r.response_parameters);
    non_empty(&mut out, "responseTemplates", &r.response_templates);
    if let Some(c) = &r.content_handling {
        out.insert("contentHandling".into(), json!(c));
    }
    Value::Object(out)
}

fn non_empty(v: &mut Map<String, Value>, key: &str, map: &BTreeMap<String, String>) {
    if !map.is_empty() {
        v.insert(key.into(), json!(map));
    }
}

/// An enum's wire name in lower case (`HTTP_PROXY` -> `http_proxy`).
fn lower(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
        .unwrap_or_default()
}
