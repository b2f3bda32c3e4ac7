//! Document-level extensions: gateway responses, binary media types, request
//! validators, API key source, policy, endpoint configuration, models.

use std::collections::BTreeMap;

use serde_json::Value;

use super::walker::{join, Walker};
use super::Dialect;
use crate::{EndpointType, GatewayResponse, GatewayResponseType, RequestValidator, RestApi};

/// Extensions understood at the top of a document.
const TOP_LEVEL: &[&str] = &[
    "x-amazon-apigateway-gateway-responses",
    "x-amazon-apigateway-binary-media-types",
    "x-amazon-apigateway-request-validators",
    "x-amazon-apigateway-request-validator",
    "x-amazon-apigateway-api-key-source",
    "x-amazon-apigateway-policy",
    "x-amazon-apigateway-endpoint-configuration",
    "x-amazon-apigateway-minimum-compression-size",
    "x-amazon-apigateway-documentation",
];

pub(super) fn read_top_level(w: &mut Walker, doc: &Value, api: &mut RestApi) {
    w.check_extensions("", doc, TOP_LEVEL);
    if let Some(v) = doc.get("x-amazon-apigateway-binary-media-types") {
        api.binary_media_types = strings(w, "x-amazon-apigateway-binary-media-types", v);
    }
    if let Some(v) = doc.get("x-amazon-apigateway-api-key-source") {
        match v.as_str().map(str::to_ascii_uppercase).as_deref() {
            Some(s @ ("HEADER" | "AUTHORIZER")) => api.api_key_source = Some(s.to_string()),
            _ => w.problem(
                "x-amazon-apigateway-api-key-source",
                "must be HEADER or AUTHORIZER",
            ),
        }
    }
    if let Some(v) = doc.get("x-amazon-apigateway-minimum-compression-size") {
        match v.as_u64() {
            Some(n) if n <= 10_485_760 => api.minimum_compression_size = Some(n),
            _ => w.problem(
                "x-amazon-apigateway-minimum-compression-size",
                "must be an integer from 0 to 10485760",
            ),
        }
    }
    if let Some(v) = doc.get("x-amazon-apigateway-policy") {
        api.policy = Some(policy(w, v));
    }
    if let Some(v) = doc.get("x-amazon-apigateway-endpoint-configuration") {
        read_endpoint_configuration(w, v, api);
    }
    if let Some(v) = doc.get("x-amazon-apigateway-request-validators") {
        read_validators(w, v, api);
    }
    if let Some(v) = doc.get("x-amazon-apigateway-request-validator") {
        api.default_request_validator =
            validator_name(w, "x-amazon-apigateway-request-validator", v, api);
    }
    if let Some(v) = doc.get("x-amazon-apigateway-gateway-responses") {
        read_gateway_responses(w, v, api);
    }
    if let Some(v) = doc.get("x-amazon-apigateway-documentation") {
        read_documentation(w, v, api);
    }
    read_models(w, doc, api);
}

/// `x-amazon-apigateway-documentation`: its parts (its `version` names
/// nothing AWS keeps on import). Their ids are derived from the API's and
/// the part's place in the list, so importing the same document again
/// (a config file at each start) gives the same API.
fn read_documentation(w: &mut Walker, v: &Value, api: &mut RestApi) {
    const AT: &str = "x-amazon-apigateway-documentation.documentationParts";
    let Some(parts) = v.get("documentationParts") else {
        return;
    };
    let Some(items) = parts.as_array() else {
        w.problem(AT, "must be a list of documentation parts");
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let id = crate::ids::resource_id(&api.id, &format!("documentation:{i}"));
        match crate::documentation::part_from_document(item, id) {
            Ok(part) => api.documentation.parts.push(part),
            Err(e) => w.problem(format!("{AT}[{i}]"), e),
        }
    }
}

/// A policy may be given as a JSON object or as a string holding one.
fn policy(w: &mut Walker, v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|e| {
            w.problem(
                "x-amazon-apigateway-policy",
                format!("not a JSON policy document: {e}"),
            );
            Value::Null
        }),
        other => other.clone(),
    }
}

fn read_endpoint_configuration(w: &mut Walker, v: &Value, api: &mut RestApi) {
    const AT: &str = "x-amazon-apigateway-endpoint-configuration";
    let Some(map) = v.as_object() else {
        w.problem(AT, "must be a mapping");
        return;
    };
    for (key, value) in map {
        match key.as_str() {
            "types" => {
                let types = strings(w, &join(AT, "types"), value);
                match types.first().map(|t| t.to_ascii_uppercase()).as_deref() {
                    Some("EDGE") | None => api.endpoint_type = EndpointType::Edge,
                    Some("REGIONAL") => api.endpoint_type = EndpointType::Regional,
                    Some("PRIVATE") => api.endpoint_type = EndpointType::Private,
                    Some(other) => w.problem(
                        join(AT, "types"),
                        format!("unknown endpoint type `{other}`"),
                    ),
                }
            }
            "disableExecuteApiEndpoint" => match value.as_bool() {
                Some(b) => api.disable_execute_api_endpoint = b,
                None => w.problem(join(AT, key), "must be true or false"),
            },
            "vpcEndpointIds" => w.warn(
                join(AT, key),
                format!("`{key}` is kept by AWS only; this gateway ignores it"),
            ),
            other => w.warn(join(AT, other), format!("unknown field `{other}` ignored")),
        }
    }
}

fn read_validators(w: &mut Walker, v: &Value, api: &mut RestApi) {
    const AT: &str = "x-amazon-apigateway-request-validators";
    let Some(map) = v.as_object() else {
        w.problem(AT, "must map validator names to settings");
        return;
    };
    for (name, settings) in map {
        let at = join(AT, name);
        let flag = |key: &str| settings.get(key).and_then(Value::as_bool).unwrap_or(false);
        if !settings.is_object() {
            w.problem(
                at,
                "must be a mapping with validateRequestBody/validateRequestParameters",
            );
            continue;
        }
        api.request_validators.insert(
            name.clone(),
            RequestValidator {
                id: None,
                validate_request_body: flag("validateRequestBody"),
                validate_request_parameters: flag("validateRequestParameters"),
            },
        );
    }
}

/// Reads a validator reference and checks it names a declared validator.
pub(super) fn validator_name(w: &mut Walker, at: &str, v: &Value, api: &RestApi) -> Option<String> {
    let Some(name) = v.as_str() else {
        w.problem(at, "must be the name of a request validator");
        return None;
    };
    if !api.request_validators.contains_key(name) {
        w.problem(at, format!("request validator `{name}` is not declared in x-amazon-apigateway-request-validators"));
        return None;
    }
    Some(name.to_string())
}

fn read_gateway_responses(w: &mut Walker, v: &Value, api: &mut RestApi) {
    const AT: &str = "x-amazon-apigateway-gateway-responses";
    let Some(map) = v.as_object() else {
        w.problem(AT, "must map response types to responses");
        return;
    };
    for (name, response) in map {
        let at = join(AT, name);
        let Ok(kind) = name.parse::<GatewayResponseType>() else {
            w.problem(at, format!("unknown gateway response type `{name}`"));
            continue;
        };
        let status_code = match response.get("statusCode") {
            None | Some(Value::Null) => None,
            Some(code) => match status(code) {
                Some(s) => Some(s),
                None => {
                    w.problem(join(&at, "statusCode"), "must be an HTTP status code");
                    None
                }
            },
        };
        api.gateway_responses.insert(
            kind,
            GatewayResponse {
                status_code,
                response_parameters: string_map(
                    w,
                    &join(&at, "responseParameters"),
                    response.get("responseParameters"),
                ),
                response_templates: string_map(
                    w,
                    &join(&at, "responseTemplates"),
                    response.get("responseTemplates"),
                ),
            },
        );
    }
}

fn read_models(w: &mut Walker, doc: &Value, api: &mut RestApi) {
    let (at, models) = match w.dialect {
        Dialect::Swagger2 => ("definitions", doc.get("definitions")),
        Dialect::OpenApi3 => ("components.schemas", doc.pointer("/components/schemas")),
    };
    let Some(models) = models else { return };
    let Some(map) = models.as_object() else {
        w.problem(at, "must map model names to schemas");
        return;
    };
    for (name, schema) in map {
        if let Err(e) = crate::names::model_name(name) {
            // AWS's words: "Unable to create model for 'x': Model name must be alphanumeric: x".
            w.problem(
                super::walker::join(at, name),
                format!("Unable to create model for '{}': {e}", name.escape_debug()),
            );
            continue;
        }
        if let Some(d) = schema.get("description").and_then(Value::as_str) {
            api.model_descriptions.insert(name.clone(), d.to_string());
        }
        let mut schema = schema.clone();
        point_refs_at_models(&mut schema, &api.id);
        api.models.insert(name.clone(), schema);
    }
}

/// Where AWS's models live; a model's `$ref` to another names its URL.
pub const MODEL_BASE_URL: &str = "https://apigateway.amazonaws.com";

/// Rewrites the document's local schema references (`#/definitions/Pet`,
/// `#/components/schemas/Pet`) to the model URL AWS stores them as
/// (`https://apigateway.amazonaws.com/restapis/{api}/models/Pet`).
fn point_refs_at_models(schema: &mut Value, api_id: &str) {
    match schema {
        Value::Object(fields) => {
            for (key, v) in fields.iter_mut() {
                match v {
                    Value::String(target) if key == "$ref" => {
                        let name = target
                            .strip_prefix("#/definitions/")
                            .or_else(|| target.strip_prefix("#/components/schemas/"));
                        if let Some(name) = name.filter(|n| !n.contains('/')) {
                            *target = format!("{MODEL_BASE_URL}/restapis/{api_id}/models/{name}");
                        }
                    }
                    other => point_refs_at_models(other, api_id),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| point_refs_at_models(v, api_id)),
        _ => {}
    }
}

/// A status code given as a number or a string.
pub(super) fn status(v: &Value) -> Option<u16> {
    let n = match v {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (100..=599).contains(&n).then_some(n as u16)
}

/// A list of strings.
pub(super) fn strings(w: &mut Walker, at: &str, v: &Value) -> Vec<String> {
    match v.as_array() {
        Some(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => {
            w.problem(at, "must be a list of strings");
            Vec::new()
        }
    }
}

/// A mapping of strings to strings (absent means empty).
pub(super) fn string_map(w: &mut Walker, at: &str, v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(v) = v else { return out };
    let Some(map) = v.as_object() else {
        w.problem(at, "must map names to strings");
        return out;
    };
    for (key, value) in map {
        match value {
            Value::String(s) => {
                out.insert(key.clone(), s.clone());
            }
            other => w.problem(join(at, key), format!("must be a string, not {other}")),
        }
    }
    out
}
