//! MOCK integrations: the request template says which status the "backend"
//! returns (`{"statusCode": 200}`); integration responses do the rest.
//!
//! The rendered template need not be JSON: CDK's CORS preflight writes
//! `{statusCode: 200}`, which AWS accepts, so the status is read from the
//! first `statusCode` key whatever its quoting. What the template sets in
//! `$context.responseOverride` (status, headers) and leaves in
//! `requestOverride` reaches the response as it does on AWS.

use bytes::Bytes;
use http::Response;
use serde_json::Value;

use super::{method_response, render, request_content_type, Carried};
use crate::dataplane::body::Body;
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::snapshot::MockIntegration;

/// A boxed future a [`SimulatedBackend`] returns.
pub type BackendCall<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), RequestError>> + Send + 'a>>;

/// What a simulation (`apigw sim`) puts in front of MOCK integrations: a
/// backend's latency and failures, so a scenario's "backend" behaves like
/// one while the rest of the pipeline is the production code. Nodes that
/// `apigw serve` runs have none: a MOCK answers at once.
pub trait SimulatedBackend: Send + Sync {
    /// Called before a MOCK of API `api_id` answers; resolves after the
    /// backend's latency, or fails the integration as a real backend would
    /// (`IntegrationFailure` or `IntegrationTimeout`: AWS's 504 gateway
    /// responses, `INTEGRATION_FAILURE` and `INTEGRATION_TIMEOUT`).
    fn call(&self, api_id: &str) -> BackendCall<'_>;
}

/// Answers a request to a MOCK integration.
pub(crate) fn answer(
    mock: &MockIntegration,
    ctx: &mut RequestContext,
    body: &Bytes,
) -> Result<Response<Body>, RequestError> {
    let (status, carried) = mock_status(mock, ctx, body)?;
    ctx.integration_status = Some(status);
    let selector = status.to_string();
    let selected = mock
        .responses
        .select(&selector)
        .ok_or(RequestError::NoIntegrationResponse(selector))?;
    method_response(selected, ctx, None, Bytes::new(), &carried)
}

/// The status the request template names (200 when there is no template
/// or it names none), and what the template left for the response.
fn mock_status(
    mock: &MockIntegration,
    ctx: &RequestContext,
    body: &Bytes,
) -> Result<(u16, Carried), RequestError> {
    let content_type = request_content_type(ctx);
    let template = mock
        .request_templates
        .get(&content_type)
        .or_else(|| mock.request_templates.get("application/json"));
    let Some(template) = template else {
        return Ok((200, Carried::default()));
    };
    let rendered = render(template, ctx, body, true, None, "MOCK request template")?;
    let carried = Carried::from_rendered(&rendered);
    let status = match status_code(&rendered.text) {
        StatusCode::Absent => Some(200),
        StatusCode::Given(code) => Some(code),
        StatusCode::Invalid => None,
    };
    let status = status
        .filter(|s| (100..=599).contains(s))
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| {
            RequestError::IntegrationUnavailable(
                "MOCK request template has no valid statusCode".into(),
            )
        })?;
    Ok((status, carried))
}

/// What a rendered MOCK template says about the status.
#[derive(Debug, PartialEq, Eq)]
enum StatusCode {
    Absent,
    Given(u64),
    Invalid,
}

/// The `statusCode` of a rendered MOCK template: a JSON object's member
/// (a number or a numeric string), else the first `statusCode` key in the
/// text (`{statusCode: 200}`, `{'statusCode': '200'}`).
fn status_code(rendered: &str) -> StatusCode {
    if let Ok(parsed) = serde_json::from_str::<Value>(rendered) {
        return match parsed.get("statusCode") {
            None => StatusCode::Absent,
            Some(Value::Number(n)) => n.as_u64().map_or(StatusCode::Invalid, StatusCode::Given),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map_or(StatusCode::Invalid, StatusCode::Given),
            Some(_) => StatusCode::Invalid,
        };
    }
    let Some(at) = rendered.find("statusCode") else {
        return StatusCode::Absent;
    };
    let rest = rendered[at + "statusCode".len()..].trim_start_matches(['"', '\'']);
    let Some(rest) = rest.trim_start().strip_prefix(':') else {
        return StatusCode::Invalid;
    };
    let rest = rest.trim_start().trim_start_matches(['"', '\'']);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .map_or(StatusCode::Invalid, StatusCode::Given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_from_json_and_from_cdk_style_text() {
        assert_eq!(
            status_code(r#"{"statusCode": 204}"#),
            StatusCode::Given(204)
        );
        assert_eq!(
            status_code(r#"{"statusCode": "404"}"#),
            StatusCode::Given(404)
        );
        assert_eq!(status_code("{}"), StatusCode::Absent);
        assert_eq!(status_code("{statusCode: 200}"), StatusCode::Given(200));
        assert_eq!(
            status_code("junk\n{ 'statusCode' : '201' }"),
            StatusCode::Given(201)
        );
        assert_eq!(status_code("{statusCode: x}"), StatusCode::Invalid);
        assert_eq!(status_code(r#"{"statusCode": true}"#), StatusCode::Invalid);
        assert_eq!(status_code(""), StatusCode::Absent);
    }
}
