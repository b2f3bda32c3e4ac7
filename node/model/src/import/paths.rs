//! `paths`: resources, methods, parameters, method responses.

use std::collections::BTreeMap;

use serde_json::Value;

use super::extensions::validator_name;
use super::integration::read_integration;
use super::security::{apply_requirement, Scheme};
use super::walker::{join, Walker};
use super::Dialect;
use crate::{Method, MethodResponse, Resource, RestApi};

/// OpenAPI operation keys and the method they define.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "GET"),
    ("put", "PUT"),
    ("post", "POST"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
    ("patch", "PATCH"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

const METHOD_EXTENSIONS: &[&str] = &[
    "x-amazon-apigateway-integration",
    "x-amazon-apigateway-request-validator",
    "x-amazon-apigateway-auth",
];

pub(super) fn read_paths(
    w: &mut Walker,
    doc: &Value,
    schemes: &BTreeMap<String, Scheme>,
    api: &mut RestApi,
) {
    api.resources.insert(
        "/".into(),
        Resource {
            path: "/".into(),
            ..Default::default()
        },
    );
    let Some(paths) = doc.get("paths") else {
        w.warn("paths", "the document defines no paths");
        return;
    };
    let Some(paths) = paths.as_object() else {
        w.problem("paths", "must map paths to path items");
        return;
    };
    for (path, item) in paths {
        let at = join("paths", path);
        if !check_path(w, &at, path) {
            continue;
        }
        add_resource_chain(api, path);
        let Some(item) = w.resolve(&at, item) else {
            continue;
        };
        let known: Vec<&str> = OPERATIONS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| k.starts_with("x-"))
            .collect();
        w.check_extensions(&at, item, &known);
        let shared_parameters = item.get("parameters");
        for (key, verb) in OPERATIONS {
            let Some(operation) = item.get(*key) else {
                continue;
            };
            let op_at = join(&at, key);
            w.method = Some((normalize(path), (*verb).to_string()));
            let mut method =
                read_method(w, &op_at, verb, operation, shared_parameters, schemes, api);
            declare_path_variables(&normalize(path), &mut method);
            if method.request_validator.is_none() {
                method.request_validator = api.default_request_validator.clone();
            }
            if let Some(resource) = api.resources.get_mut(normalize(path).as_str()) {
                resource.methods.insert((*verb).to_string(), method);
            }
        }
        if item.get("trace").is_some() {
            w.warn(
                join(&at, "trace"),
                "API Gateway has no TRACE method; ignored",
            );
        }
    }
    w.method = None;
    check_siblings(w, api);
}

/// AWS declares every variable of the resource path as a required path
/// parameter of the method, whether or not the document lists it.
fn declare_path_variables(path: &str, method: &mut Method) {
    for segment in path.split('/') {
        let Some(name) = segment
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .map(|s| s.trim_end_matches('+'))
        else {
            continue;
        };
        method
            .request_parameters
            .entry(format!("method.request.path.{name}"))
            .or_insert(true);
    }
}

/// `/pets/` and `/pets` are one resource.
fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        trimmed.to_string()
    }
}

/// Checks each segment is a literal, `{name}`, or a final `{name+}`.
fn check_path(w: &mut Walker, at: &str, path: &str) -> bool {
    if !path.starts_with('/') {
        w.problem(at, "a path must start with `/`");
        return false;
    }
    let normalized = normalize(path);
    let segments: Vec<&str> = normalized
        .split('/')
        .skip(1)
        .filter(|s| !s.is_empty())
        .collect();
    for (i, segment) in segments.iter().enumerate() {
        if segment.ends_with("+}") && i + 1 != segments.len() {
            w.problem(
                at,
                format!("greedy segment `{segment}` must be the last one"),
            );
            return false;
        }
        if let Err(e) = crate::names::path_part(segment) {
            w.problem(at, e.to_string());
            return false;
        }
    }
    true
}

/// Adds the resource and every ancestor, as AWS's resource tree holds them.
fn add_resource_chain(api: &mut RestApi, path: &str) {
    let path = normalize(path);
    let mut prefix = String::new();
    for segment in path.split('/').skip(1).filter(|s| !s.is_empty()) {
        prefix.push('/');
        prefix.push_str(segment);
        api.resources
            .entry(prefix.clone())
            .or_insert_with(|| Resource {
                path: prefix.clone(),
                ..Default::default()
            });
    }
}

/// AWS allows one variable segment among siblings (`/a/{id}` and `/a/{name}` conflict).
fn check_siblings(w: &mut Walker, api: &RestApi) {
    let mut variable_child: BTreeMap<String, String> = BTreeMap::new();
    for path in api.resources.keys() {
        let Some((parent, last)) = path.rsplit_once('/') else {
            continue;
        };
        if !last.starts_with('{') {
            continue;
        }
        if let Some(existing) = variable_child.insert(parent.to_string(), last.to_string()) {
            if existing != last {
                w.problem(
                    join("paths", path),
                    format!("a sibling ({existing}) of this resource already has a variable path part -- only one is allowed"),
                );
            }
        }
    }
}

fn read_method(
    w: &mut Walker,
    at: &str,
    verb: &str,
    operation: &Value,
    shared_parameters: Option<&Value>,
    schemes: &BTreeMap<String, Scheme>,
    api: &RestApi,
) -> Method {
    w.check_extensions(at, operation, METHOD_EXTENSIONS);
    let mut method = Method {
        http_method: verb.to_string(),
        authorization_type: "NONE".into(),
        authorizer: None,
        authorization_scopes: Vec::new(),
        api_key_required: false,
        operation_name: operation
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string),
        request_parameters: BTreeMap::new(),
        parameter_order: Vec::new(),
        request_models: BTreeMap::new(),
        request_validator: None,
        method_responses: BTreeMap::new(),
        integration: None,
    };
    for list in [shared_parameters, operation.get("parameters")]
        .into_iter()
        .flatten()
    {
        read_parameters(w, &join(at, "parameters"), list, &mut method);
    }
    if let Some(body) = operation.get("requestBody") {
        if let Some(body) = w.resolve(&join(at, "requestBody"), body) {
            method.request_models = content_models(body.get("content"));
        }
    }
    let security = operation.get("security").or_else(|| w.doc.get("security"));
    if let Some(security) = security {
        apply_requirement(w, &join(at, "security"), security, schemes, &mut method);
    }
    if let Some(v) = operation.get("x-amazon-apigateway-request-validator") {
        method.request_validator = validator_name(
            w,
            &join(at, "x-amazon-apigateway-request-validator"),
            v,
            api,
        );
    }
    if let Some(auth) = operation.get("x-amazon-apigateway-auth") {
        match auth
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("AWS_IAM") => method.authorization_type = "AWS_IAM".into(),
            Some("NONE") => method.authorization_type = "NONE".into(),
            _ => w.problem(
                join(at, "x-amazon-apigateway-auth.type"),
                "must be AWS_IAM or NONE",
            ),
        }
    }
    if let Some(responses) = operation.get("responses") {
        read_responses(w, &join(at, "responses"), responses, &mut method);
    }
    // A method without an integration is imported as AWS imports it,
    // without a warning; deploying it is what fails.
    if let Some(integration) = operation.get("x-amazon-apigateway-integration") {
        method.integration =
            read_integration(w, &join(at, "x-amazon-apigateway-integration"), integration);
    }
    method
}

fn read_parameters(w: &mut Walker, at: &str, list: &Value, method: &mut Method) {
    let Some(items) = list.as_array() else {
        w.problem(at, "must be a list of parameters");
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let item_at = format!("{at}[{i}]");
        let Some(param) = w.resolve(&item_at, item) else {
            continue;
        };
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let location = param.get("in").and_then(Value::as_str).unwrap_or_default();
        let required = param
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let source = match location {
            "path" => "path",
            "query" => "querystring",
            "header" => "header",
            "body" if w.dialect == Dialect::Swagger2 => {
                if let Some(model) = param
                    .pointer("/schema/$ref")
                    .and_then(Value::as_str)
                    .and_then(model_name)
                {
                    method
                        .request_models
                        .insert("application/json".into(), model);
                }
                continue;
            }
            "formData" | "cookie" => {
                w.warn(
                    &item_at,
                    format!("`in: {location}` parameters are not mapped by API Gateway; ignored"),
                );
                continue;
            }
            other => {
                w.problem(&item_at, format!("unknown parameter location `{other}`"));
                continue;
            }
        };
        if name.is_empty() {
            w.problem(&item_at, "parameter has no name");
            continue;
        }
        let key = format!("method.request.{source}.{name}");
        if !method.parameter_order.contains(&key) {
            method.parameter_order.push(key.clone());
        }
        method
            .request_parameters
            .insert(key, required || source == "path");
    }
}

fn read_responses(w: &mut Walker, at: &str, responses: &Value, method: &mut Method) {
    let Some(map) = responses.as_object() else {
        w.problem(at, "must map status codes to responses");
        return;
    };
    for (code, response) in map {
        if code == "default" || code.starts_with("x-") {
            continue;
        }
        let code_at = join(at, code);
        if super::extensions::status(&Value::String(code.clone())).is_none() {
            w.problem(&code_at, "response keys must be HTTP status codes");
            continue;
        }
        let Some(response) = w.resolve(&code_at, response) else {
            continue;
        };
        let mut declared = MethodResponse::default();
        if let Some(headers) = response.get("headers").and_then(Value::as_object) {
            for name in headers.keys() {
                declared
                    .response_parameters
                    .insert(format!("method.response.header.{name}"), false);
            }
        }
        declared.response_models = match w.dialect {
            Dialect::OpenApi3 => content_models(response.get("content")),
            Dialect::Swagger2 => response
                .pointer("/schema/$ref")
                .and_then(Value::as_str)
                .and_then(model_name)
                .map(|m| BTreeMap::from([("application/json".to_string(), m)]))
                .unwrap_or_default(),
        };
        method.method_responses.insert(code.clone(), declared);
    }
}

/// `content: {type: {schema: {$ref: ...}}}` -> content type -> model name.
fn content_models(content: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (content_type, media) in content.and_then(Value::as_object).into_iter().flatten() {
        if let Some(model) = media
            .pointer("/schema/$ref")
            .and_then(Value::as_str)
            .and_then(model_name)
        {
            out.insert(content_type.clone(), model);
        }
    }
    out
}

/// The model a schema reference names (`#/definitions/Pet` -> `Pet`).
fn model_name(reference: &str) -> Option<String> {
    reference
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
