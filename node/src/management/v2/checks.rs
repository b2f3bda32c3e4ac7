//! AWS's rules for the parts of a WebSocket API, checked on the item as it
//! would be stored (after defaults on create, after the update's members
//! are set): unique route keys, targets and authorizers that exist,
//! authorization only on `$connect`, the integration types and timeouts
//! WebSocket APIs take, REQUEST authorizers with header or query string
//! identity sources, and route response keys. Also the defaults AWS fills.

use serde_json::{json, Value};

use super::super::{bad_request, not_found, ApiError};
use super::conflict;
use super::shapes::Slot;
use crate::model::websocket::WsDefinition;

/// What AWS fills in before the caller's members.
pub(super) fn defaults(slot: Slot) -> Value {
    match slot {
        Slot::Routes => json!({"apiKeyRequired": false, "authorizationType": "NONE"}),
        Slot::Integrations => json!({
            "connectionType": "INTERNET",
            "passthroughBehavior": "WHEN_NO_MATCH",
            "payloadFormatVersion": "1.0",
            "timeoutInMillis": 29000,
        }),
        _ => json!({}),
    }
}

/// Checks `item` of `slot` against the rest of `def`; `own` is its id when
/// it is being updated.
pub(super) fn check(
    slot: Slot,
    def: &WsDefinition,
    item: &Value,
    own: Option<&str>,
) -> Result<(), ApiError> {
    let s = |name: &str| item.get(name).and_then(Value::as_str);
    match slot {
        Slot::Routes => route(def, item, own),
        Slot::RouteResponses => match s("routeResponseKey") {
            Some("$default") => Ok(()),
            other => Err(bad_request(format!(
                "Invalid routeResponseKey {}: WebSocket routes take $default",
                other.unwrap_or("")
            ))),
        },
        Slot::Integrations => integration(item),
        Slot::IntegrationResponses => match s("integrationResponseKey") {
            Some("$default") => Ok(()),
            Some(k) if selection_pattern(k).is_some() => Ok(()),
            other => Err(bad_request(format!(
                "Invalid integrationResponseKey {}: $default or /regex/",
                other.unwrap_or("")
            ))),
        },
        Slot::Authorizers => authorizer(item),
    }
}

fn route(def: &WsDefinition, item: &Value, own: Option<&str>) -> Result<(), ApiError> {
    let s = |name: &str| item.get(name).and_then(Value::as_str);
    let key = s("routeKey").unwrap_or("");
    if key.is_empty() || key.len() > 128 {
        return Err(bad_request("routeKey must be 1 to 128 characters long"));
    }
    let taken = def.routes.iter().any(|(id, r)| {
        Some(id.as_str()) != own && r.get("routeKey").and_then(Value::as_str) == Some(key)
    });
    if taken {
        return Err(conflict(format!(
            "Route with key {key} already exists for this API"
        )));
    }
    if let Some(target) = s("target") {
        let id = target.strip_prefix("integrations/").unwrap_or("");
        if !def.integrations.contains_key(id) {
            return Err(bad_request(format!(
                "Invalid target {target}: expected integrations/{{integrationId}} of this API"
            )));
        }
    }
    match s("authorizationType").unwrap_or("NONE") {
        "NONE" => Ok(()),
        kind @ ("CUSTOM" | "AWS_IAM") if key != "$connect" => Err(bad_request(format!(
            "Currently, authorization ({kind}) is only supported on the $connect route"
        ))),
        "AWS_IAM" => Ok(()),
        "CUSTOM" => match s("authorizerId") {
            Some(id) if def.authorizers.contains_key(id) => Ok(()),
            Some(id) => Err(not_found(format!(
                "Invalid Authorizer identifier specified {id}"
            ))),
            None => Err(bad_request(
                "authorizerId is required when authorizationType is CUSTOM",
            )),
        },
        other => Err(bad_request(format!(
            "Invalid authorizationType {other}: NONE, AWS_IAM or CUSTOM for WebSocket APIs"
        ))),
    }
}

fn integration(item: &Value) -> Result<(), ApiError> {
    let s = |name: &str| item.get(name).and_then(Value::as_str);
    let kind = s("integrationType").unwrap_or("");
    if !["AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK"].contains(&kind) {
        return Err(bad_request(format!(
            "Invalid integrationType {kind}: AWS, AWS_PROXY, HTTP, HTTP_PROXY or MOCK"
        )));
    }
    if kind != "MOCK" && s("integrationUri").is_none() {
        return Err(bad_request(format!(
            "integrationUri is required for integrationType {kind}"
        )));
    }
    let timeout = item
        .get("timeoutInMillis")
        .and_then(Value::as_i64)
        .unwrap_or(29000);
    if !(50..=29000).contains(&timeout) {
        return Err(bad_request(
            "timeoutInMillis must be between 50 and 29000 for WebSocket APIs",
        ));
    }
    Ok(())
}

fn authorizer(item: &Value) -> Result<(), ApiError> {
    let s = |name: &str| item.get(name).and_then(Value::as_str);
    match s("authorizerType") {
        Some("REQUEST") => {}
        Some("JWT") => {
            return Err(bad_request(
                "JWT authorizers are supported only for HTTP APIs",
            ))
        }
        other => {
            return Err(bad_request(format!(
                "Invalid authorizerType {}: WebSocket APIs take REQUEST",
                other.unwrap_or("")
            )))
        }
    }
    if s("authorizerUri").is_none() {
        return Err(bad_request(
            "authorizerUri is required for a REQUEST authorizer",
        ));
    }
    let sources = item
        .get("identitySource")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for source in &sources {
        let source = source.as_str().unwrap_or("");
        if crate::snapshot::identity_source(source).is_none() {
            return Err(bad_request(format!(
                "Invalid identitySource {source}: route.request.header.<name> or route.request.querystring.<name>"
            )));
        }
    }
    let name = s("name").unwrap_or("");
    if name.is_empty() || name.len() > 128 {
        return Err(bad_request("name must be 1 to 128 characters long"));
    }
    Ok(())
}

/// The regex of a `/pattern/` response key.
pub(super) fn selection_pattern(key: &str) -> Option<regex::Regex> {
    let inner = key.strip_prefix('/')?.strip_suffix('/')?;
    regex::Regex::new(inner).ok()
}
