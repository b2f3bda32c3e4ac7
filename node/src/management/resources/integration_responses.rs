//! Integration responses as `PutIntegrationResponse` and
//! `UpdateIntegrationResponse` take them, with what AWS keeps that the
//! importer's reading drops (an empty `selectionPattern`, null templates)
//! and AWS's checks of the input.

use http::StatusCode;
use serde_json::{json, Value};

use super::super::patch::{segments, PatchOp};
use super::super::{bad_request, err, ApiError};
use crate::model::IntegrationResponse;

/// `PutIntegrationResponse`: the importer's reading of the input, with
/// what AWS keeps that the importer drops: an empty `selectionPattern`
/// (the default response, as none) and templates given as null (stored
/// empty, answered as null).
pub(super) fn put_integration_response(
    code: &str,
    input: &Value,
) -> Result<IntegrationResponse, ApiError> {
    let mut input = input.clone();
    if let Some(Value::Object(templates)) = input.get_mut("responseTemplates") {
        for (content_type, template) in templates.iter_mut() {
            if !is_content_type(content_type) {
                return Err(bad_request(format!(
                    "Validation Result: warnings : [], errors : [Invalid content type specified: {content_type}]"
                )));
            }
            match template {
                Value::Null => *template = json!(""),
                Value::Number(_) => {
                    return Err(err(
                        StatusCode::BAD_REQUEST,
                        "SerializationException",
                        "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
                    ))
                }
                _ => {}
            }
        }
    }
    let mut response = crate::import::integration_response(code, &input)
        .map_err(|e| bad_request(e.to_string()))?;
    if input.get("selectionPattern").and_then(Value::as_str) == Some("") {
        response.selection_pattern = Some(String::new());
    }
    Ok(response)
}

/// Whether `s` has the shape of a media type (`type/subtype`).
fn is_content_type(s: &str) -> bool {
    s.split_once('/')
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

/// `UpdateIntegrationResponse`'s paths.
pub(super) fn patch_integration_response(
    r: &mut IntegrationResponse,
    op: &PatchOp,
) -> Result<(), ApiError> {
    let parts = segments(&op.path);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match (op.sets(), parts.as_slice()) {
        (true, ["selectionPattern"]) => r.selection_pattern = op.value.clone(),
        (false, ["selectionPattern"]) => r.selection_pattern = None,
        (true, ["contentHandling"]) => r.content_handling = Some(op.value()?.to_string()),
        (false, ["contentHandling"]) => r.content_handling = None,
        (true, ["responseTemplates", content_type]) => {
            let template = op.value.clone().unwrap_or_default();
            r.response_templates
                .insert(content_type.to_string(), template);
        }
        (false, ["responseTemplates", content_type]) => {
            r.response_templates.remove(*content_type);
        }
        (true, ["responseParameters", name]) => {
            r.response_parameters
                .insert(name.to_string(), op.value()?.to_string());
        }
        (false, ["responseParameters", name]) => {
            r.response_parameters.remove(*name);
        }
        _ => return Err(op.unsupported()),
    }
    Ok(())
}
