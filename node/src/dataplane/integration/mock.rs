//! MOCK integrations: the request template says which status the "backend"
//! returns (`{"statusCode": 200}`); integration responses do the rest.

use bytes::Bytes;
use http::Response;
use serde_json::Value;

use super::{method_response, render, request_content_type};
use crate::dataplane::body::Body;
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::snapshot::MockIntegration;

/// Answers a request to a MOCK integration.
pub(crate) fn answer(
    mock: &MockIntegration,
    ctx: &mut RequestContext,
    body: &Bytes,
) -> Result<Response<Body>, RequestError> {
    let status = mock_status(mock, ctx, body)?;
    ctx.integration_status = Some(status);
    let selector = status.to_string();
    let selected = mock
        .responses
        .select(&selector)
        .ok_or(RequestError::NoIntegrationResponse(selector))?;
    method_response(selected, ctx, None, Bytes::new())
}

/// The status the request template names; 200 when there is no template.
fn mock_status(
    mock: &MockIntegration,
    ctx: &RequestContext,
    body: &Bytes,
) -> Result<u16, RequestError> {
    let content_type = request_content_type(ctx);
    let template = mock
        .request_templates
        .get(&content_type)
        .or_else(|| mock.request_templates.get("application/json"));
    let Some(template) = template else {
        return Ok(200);
    };
    let rendered = render(template, ctx, body, true, "MOCK request template")?.text;
    let parsed: Value = serde_json::from_str(&rendered).map_err(|e| {
        RequestError::IntegrationUnavailable(format!(
            "MOCK request template did not render JSON: {e}"
        ))
    })?;
    let status = match parsed.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        None => Some(200),
        _ => None,
    };
    status
        .filter(|s| (100..=599).contains(s))
        .map(|s| s as u16)
        .ok_or_else(|| {
            RequestError::IntegrationUnavailable(
                "MOCK request template has no valid statusCode".into(),
            )
        })
}
