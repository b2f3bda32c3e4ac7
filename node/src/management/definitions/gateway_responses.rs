//! Gateway responses (`GetGatewayResponse(s)`, `PutGatewayResponse`,
//! `UpdateGatewayResponse`, `DeleteGatewayResponse`): an API's
//! customisations of AWS's default responses, answered as AWS lists them
//! (a type not customised shows its family's customisation), with AWS's
//! checks and messages.

use http::{Method as Verb, StatusCode};
use serde_json::{json, Value};

use super::super::patch::{segments, PatchOp};
use super::super::{bad_request, err, not_found, ApiError, Outcome};
use super::{done, list};
use crate::model::{GatewayResponse, GatewayResponseType, RestApi};

fn gateway_response_json(kind: GatewayResponseType, custom: Option<&GatewayResponse>) -> Value {
    let status = custom
        .and_then(|r| r.status_code)
        .or_else(|| kind.default_status());
    let mut out = json!({
        "responseType": kind.as_str(),
        "defaultResponse": custom.is_none(),
        "responseParameters": custom.map(|r| r.response_parameters.clone()).unwrap_or_default(),
        "responseTemplates": custom.map(|r| r.response_templates.clone()).unwrap_or_else(|| {
            [("application/json".to_string(), "{\"message\":$context.error.messageString}".to_string())].into()
        }),
    });
    if let Some(s) = status {
        out["statusCode"] = json!(s.to_string());
    }
    out
}

pub(super) fn call(
    api: &mut RestApi,
    verb: &Verb,
    rest: &[&str],
    input: &Value,
    ops: &[PatchOp],
) -> Result<Outcome, ApiError> {
    if let (&Verb::GET, []) = (verb, rest) {
        return list(
            GatewayResponseType::ALL
                .iter()
                .map(|k| shown_gateway_response(api, *k))
                .collect(),
        );
    }
    let [name] = rest else {
        return Err(not_found("Invalid gateway response operation"));
    };
    let kind = response_type(name)?;
    match *verb {
        Verb::GET => done(StatusCode::OK, shown_gateway_response(api, kind), false),
        Verb::PUT => {
            let response = put_gateway_response(input)?;
            let body = gateway_response_json(kind, Some(&response));
            api.gateway_responses.insert(kind, response);
            done(StatusCode::CREATED, body, true)
        }
        Verb::PATCH => {
            let mut response = api
                .gateway_responses
                .get(&kind)
                .cloned()
                .unwrap_or_else(default_gateway_response);
            for op in ops {
                patch_gateway_response(&mut response, op)?;
            }
            let body = gateway_response_json(kind, Some(&response));
            api.gateway_responses.insert(kind, response);
            done(StatusCode::OK, body, true)
        }
        Verb::DELETE => {
            api.gateway_responses
                .remove(&kind)
                .ok_or_else(|| not_found("Gateway response type not defined on api"))?;
            done(StatusCode::ACCEPTED, json!({}), true)
        }
        _ => Err(not_found("Invalid gateway response operation")),
    }
}

/// A response type as the API answers it: its customisation, else (as
/// AWS shows it) its family's (`DEFAULT_5XX` for INTEGRATION_FAILURE...)
/// still marked default, else AWS's default.
fn shown_gateway_response(api: &RestApi, kind: GatewayResponseType) -> Value {
    if let Some(custom) = api.gateway_responses.get(&kind) {
        return gateway_response_json(kind, Some(custom));
    }
    let family = kind
        .default_status()
        .map(GatewayResponseType::family_of)
        .filter(|f| *f != kind);
    match family.and_then(|f| api.gateway_responses.get(&f)) {
        Some(inherited) => {
            let mut out = gateway_response_json(kind, Some(inherited));
            out["defaultResponse"] = json!(true);
            out
        }
        None => gateway_response_json(kind, None),
    }
}

/// A `responseType` of the URI, refused as AWS's request layer does.
fn response_type(name: &str) -> Result<GatewayResponseType, ApiError> {
    name.parse().map_err(|_| {
        let known: Vec<&str> = RESPONSE_TYPE_ORDER.to_vec();
        err(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            format!(
                "1 validation error detected: Value '{name}' at 'responseType' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                known.join(", ")
            ),
        )
    })
}

/// The response types in the order AWS's validation message lists them.
const RESPONSE_TYPE_ORDER: &[&str] = &[
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "MISSING_AUTHENTICATION_TOKEN",
    "BAD_REQUEST_BODY",
    "INVALID_SIGNATURE",
    "INVALID_API_KEY",
    "BAD_REQUEST_PARAMETERS",
    "AUTHORIZER_FAILURE",
    "UNAUTHORIZED",
    "INTEGRATION_TIMEOUT",
    "ACCESS_DENIED",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "WAF_FILTERED",
    "QUOTA_EXCEEDED",
    "THROTTLED",
    "API_CONFIGURATION_ERROR",
    "UNSUPPORTED_MEDIA_TYPE",
    "INTEGRATION_FAILURE",
    "EXPIRED_TOKEN",
];

/// The template AWS gives a response that names none.
const DEFAULT_GATEWAY_TEMPLATE: &str = "{\"message\":$context.error.messageString}";

/// What a type's default response is once customised without input.
fn default_gateway_response() -> GatewayResponse {
    GatewayResponse {
        status_code: None,
        response_parameters: Default::default(),
        response_templates: [("application/json".into(), DEFAULT_GATEWAY_TEMPLATE.into())].into(),
    }
}

/// `PutGatewayResponse`'s input; without templates the default one.
fn put_gateway_response(input: &Value) -> Result<GatewayResponse, ApiError> {
    let status_code = match input.get("statusCode") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(|s| s.parse::<u16>().ok())
                .or_else(|| v.as_u64().and_then(|n| u16::try_from(n).ok()))
                .filter(|n| (100..=599).contains(n))
                .ok_or_else(|| bad_request("statusCode must be an HTTP status code"))?,
        ),
    };
    let strings = |key: &str| -> Result<_, ApiError> {
        match input.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|_| bad_request(format!("{key} must map names to strings"))),
        }
    };
    Ok(GatewayResponse {
        status_code,
        response_parameters: strings("responseParameters")?.unwrap_or_default(),
        response_templates: strings("responseTemplates")?
            .unwrap_or_else(|| default_gateway_response().response_templates),
    })
}

/// `UpdateGatewayResponse`'s paths, with AWS's messages: `/statusCode`
/// is replaced only; a parameter or template is added with `add`,
/// `replace` needs it to exist; none takes an empty value.
fn patch_gateway_response(r: &mut GatewayResponse, op: &PatchOp) -> Result<(), ApiError> {
    let parts = segments(&op.path);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let value = |what: &str| {
        op.value
            .clone()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| bad_request(format!("Invalid null or empty value in {what}")))
    };
    match (op.op.as_str(), parts.as_slice()) {
        ("replace", ["statusCode"]) => {
            let code = op.number::<u16>().ok().filter(|n| (100..=599).contains(n));
            r.status_code =
                Some(code.ok_or_else(|| bad_request("statusCode must be an HTTP status code"))?);
        }
        (kind @ ("add" | "replace"), [map @ ("responseParameters" | "responseTemplates"), key]) => {
            let entries = match *map {
                "responseParameters" => &mut r.response_parameters,
                _ => &mut r.response_templates,
            };
            let new = value(map)?;
            if kind == "replace" && !entries.contains_key(*key) {
                return Err(not_found("Invalid parameter name specified"));
            }
            entries.insert(key.to_string(), new);
        }
        ("remove", [map @ ("responseParameters" | "responseTemplates"), key]) => {
            let entries = match *map {
                "responseParameters" => &mut r.response_parameters,
                _ => &mut r.response_templates,
            };
            entries
                .remove(*key)
                .ok_or_else(|| not_found("Invalid parameter name specified"))?;
        }
        _ => return Err(op.unsupported()),
    }
    Ok(())
}
