//! `x-amazon-apigateway-integration`.

use serde_json::Value;

use super::extensions::{status, string_map};
use super::walker::{join, Walker};
use crate::params;
use crate::{
    Integration, IntegrationResponse, IntegrationType, PassthroughBehavior,
    DEFAULT_INTEGRATION_TIMEOUT_MS, MIN_INTEGRATION_TIMEOUT_MS,
};

/// Integration fields this gateway reads.
const READ: &[&str] = &[
    "type",
    "httpMethod",
    "uri",
    "connectionType",
    "connectionId",
    "credentials",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "contentHandling",
    "timeoutInMillis",
    "cacheKeyParameters",
    "cacheNamespace",
    "responses",
];

pub(super) fn read_integration(w: &mut Walker, at: &str, v: &Value) -> Option<Integration> {
    let Some(map) = v.as_object() else {
        w.problem(at, "must be a mapping");
        return None;
    };
    // `payloadFormatVersion` belongs to HTTP APIs; AWS takes it in a REST
    // API's integration without a warning and without effect.
    let unused = |k: &str| k == "payloadFormatVersion";
    for key in map
        .keys()
        .filter(|k| !READ.contains(&k.as_str()) && !unused(k))
    {
        w.warn(
            join(at, key),
            format!("integration field `{key}` is not supported here; ignored"),
        );
    }
    let kind = match map
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("HTTP") => IntegrationType::Http,
        Some("HTTP_PROXY") => IntegrationType::HttpProxy,
        Some("AWS") => IntegrationType::Aws,
        Some("AWS_PROXY") => IntegrationType::AwsProxy,
        Some("MOCK") => IntegrationType::Mock,
        _ => {
            w.problem(
                join(at, "type"),
                "must be one of http, http_proxy, aws, aws_proxy, mock",
            );
            return None;
        }
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
    let http_method = text("httpMethod").map(|m| m.to_ascii_uppercase());
    let uri = text("uri");
    if kind != IntegrationType::Mock {
        if http_method.is_none() {
            w.problem(
                join(at, "httpMethod"),
                "is required for this integration type",
            );
        }
        match &uri {
            None => w.problem(join(at, "uri"), "is required for this integration type"),
            Some(u) if matches!(kind, IntegrationType::Http | IntegrationType::HttpProxy) => {
                check_http_uri(w, at, u)
            }
            Some(_) => {}
        }
    }
    let timeout_in_millis = timeout(w, at, map.get("timeoutInMillis"));
    let strings_only = map.get("requestParameters").map(|v| drop_non_strings(w, v));
    let request_parameters = string_map(w, &join(at, "requestParameters"), strings_only.as_ref());
    for (key, value) in &request_parameters {
        let key_at = join(&join(at, "requestParameters"), key);
        if let Err(e) = params::parse_integration_request_target(key) {
            w.problem(&key_at, e.to_string());
        }
        if let Err(e) = params::parse_request_source(value) {
            w.problem(&key_at, e.to_string());
        }
    }
    let passthrough_behavior = match text("passthroughBehavior")
        .map(|s| s.to_ascii_uppercase())
        .as_deref()
    {
        None | Some("WHEN_NO_MATCH") => PassthroughBehavior::WhenNoMatch,
        Some("WHEN_NO_TEMPLATES") => PassthroughBehavior::WhenNoTemplates,
        Some("NEVER") => PassthroughBehavior::Never,
        Some(other) => {
            w.problem(
                join(at, "passthroughBehavior"),
                format!("unknown behaviour `{other}`"),
            );
            PassthroughBehavior::WhenNoMatch
        }
    };
    let content_handling = text("contentHandling");
    if let Some(ch) = &content_handling {
        if ch != "CONVERT_TO_TEXT" && ch != "CONVERT_TO_BINARY" {
            w.problem(
                join(at, "contentHandling"),
                "must be CONVERT_TO_TEXT or CONVERT_TO_BINARY",
            );
        }
    }
    let connection_type = text("connectionType").map(|c| c.to_ascii_uppercase());
    if connection_type.as_deref() == Some("VPC_LINK") && text("connectionId").is_none() {
        w.problem(
            join(at, "connectionId"),
            "is required when connectionType is VPC_LINK",
        );
    }
    let cache_key_parameters = match map.get("cacheKeyParameters") {
        Some(v) => super::extensions::strings(w, &join(at, "cacheKeyParameters"), v),
        None => Vec::new(),
    };
    Some(Integration {
        kind,
        http_method,
        uri,
        connection_type,
        connection_id: text("connectionId"),
        credentials: text("credentials"),
        request_parameters,
        request_templates: string_map(
            w,
            &join(at, "requestTemplates"),
            map.get("requestTemplates"),
        ),
        passthrough_behavior,
        content_handling,
        timeout_in_millis,
        cache_key_parameters,
        cache_namespace: text("cacheNamespace"),
        integration_responses: read_responses(w, &join(at, "responses"), map.get("responses")),
        tls_config: map
            .get("tlsConfig")
            .and_then(|v| serde_json::from_value(v.clone()).ok()),
    })
}

/// AWS's import drops a request parameter whose value is not a string
/// (`true`) with a warning in its words; the management API refuses it
/// before it gets here.
fn drop_non_strings(w: &mut Walker, v: &Value) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let (path, verb) = w.method.clone().unwrap_or_default();
    let mut kept = serde_json::Map::new();
    for (key, value) in m {
        if value.is_string() {
            kept.insert(key.clone(), value.clone());
            continue;
        }
        w.warn(
            "",
            format!(
                "Invalid format for 'requestParameters'. Expected type string for property '{key}' of resource '{path}' and method '{verb}' but got '{value}'"
            ),
        );
    }
    Value::Object(kept)
}

/// HTTP backends need an absolute http(s) URL; the host may come from a stage variable.
fn check_http_uri(w: &mut Walker, at: &str, uri: &str) {
    let ok = uri.starts_with("http://")
        || uri.starts_with("https://")
        || uri.starts_with("${stageVariables.");
    if !ok {
        w.problem(
            join(at, "uri"),
            format!("`{uri}` is not an absolute http(s) URL"),
        );
    }
}

fn timeout(w: &mut Walker, at: &str, v: Option<&Value>) -> u64 {
    let Some(v) = v else {
        return DEFAULT_INTEGRATION_TIMEOUT_MS;
    };
    let ms = v
        .as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()));
    match ms {
        Some(ms) if (MIN_INTEGRATION_TIMEOUT_MS..=w.max_timeout_ms).contains(&ms) => ms,
        _ => {
            w.problem(
                join(at, "timeoutInMillis"),
                format!(
                    "must be between {MIN_INTEGRATION_TIMEOUT_MS} and {} ms (raise `limits.max_integration_timeout_ms` for longer)",
                    w.max_timeout_ms
                ),
            );
            DEFAULT_INTEGRATION_TIMEOUT_MS
        }
    }
}

/// `responses`: selection pattern -> response; `default` is the fallback.
pub(super) fn read_responses(
    w: &mut Walker,
    at: &str,
    v: Option<&Value>,
) -> std::collections::BTreeMap<String, IntegrationResponse> {
    let mut out = std::collections::BTreeMap::new();
    let Some(v) = v else { return out };
    let Some(map) = v.as_object() else {
        w.problem(at, "must map selection patterns to responses");
        return out;
    };
    for (pattern, response) in map {
        let r_at = join(at, pattern);
        let Some(code) = response.get("statusCode").and_then(status) else {
            w.problem(
                join(&r_at, "statusCode"),
                "is required and must be an HTTP status code",
            );
            continue;
        };
        let selection_pattern = (pattern != "default").then(|| pattern.clone());
        if let Some(p) = &selection_pattern {
            if let Err(e) = regex::Regex::new(&format!("^(?:{p})$")) {
                w.problem(
                    &r_at,
                    format!("selection pattern is not a valid regular expression: {e}"),
                );
            }
        }
        let response_parameters = string_map(
            w,
            &join(&r_at, "responseParameters"),
            response.get("responseParameters"),
        );
        for (key, value) in &response_parameters {
            let key_at = join(&join(&r_at, "responseParameters"), key);
            if let Err(e) = params::parse_method_response_target(key) {
                w.problem(&key_at, e.to_string());
            }
            if let Err(e) = params::parse_response_source(value) {
                w.problem(&key_at, e.to_string());
            }
        }
        let code = code.to_string();
        if out.contains_key(&code) {
            w.problem(
                &r_at,
                format!("another response already uses status {code}"),
            );
            continue;
        }
        out.insert(
            code.clone(),
            IntegrationResponse {
                status_code: code,
                selection_pattern,
                response_parameters,
                response_templates: string_map(
                    w,
                    &join(&r_at, "responseTemplates"),
                    response.get("responseTemplates"),
                ),
                content_handling: response
                    .get("contentHandling")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                given_empty: Vec::new(),
            },
        );
    }
    out
}
