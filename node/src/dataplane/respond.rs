//! Gateway responses: turning a [`RequestError`] into the response AWS would
//! give, honouring the API's customized gateway responses.
//!
//! Resolution order, as on AWS: the type's own customization; else the
//! customized DEFAULT_4XX/DEFAULT_5XX (keeping the type's own status); else
//! AWS's default `{"message": ...}` body.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};

use super::body::{full, Body};
use super::context::RequestContext;
use super::error::RequestError;
use crate::model::GatewayResponseType;
use crate::snapshot::CompiledGatewayResponse;

const JSON: &str = "application/json";
/// The message of AWS's integration and configuration failures (500, 502).
const INTERNAL: &str = "Internal server error";

/// Builds the gateway response for `error` and records it in `ctx`.
pub fn gateway_response(error: &RequestError, ctx: &mut RequestContext) -> Response<Body> {
    let kind = error.response_type();
    let message = error.client_message();
    ctx.error = Some((kind, message.clone()));
    let mut status = error.default_status();
    let api = ctx.stage.as_ref().map(|s| s.api.clone());
    let custom = api.as_ref().and_then(|api| {
        let own = api.gateway_responses.get(&kind);
        if let Some(s) = own.and_then(|c| c.status) {
            status = s;
        }
        own.or_else(|| {
            api.gateway_responses
                .get(&GatewayResponseType::family_of(status.as_u16()))
        })
    });
    let (content_type, body) = match custom.and_then(|c| pick_template(c, ctx)) {
        Some((content_type, text)) => (content_type, Bytes::from(text)),
        None if error.message_is_null() => {
            (JSON.to_string(), Bytes::from_static(br#"{"message":null}"#))
        }
        // AWS writes this one with a space after the colon (36 bytes).
        None if message == INTERNAL => (
            JSON.to_string(),
            Bytes::from_static(br#"{"message": "Internal server error"}"#),
        ),
        None => (
            JSON.to_string(),
            Bytes::from(serde_json::json!({ error.message_key(): message }).to_string()),
        ),
    };
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    headers.insert(
        "x-amzn-errortype",
        HeaderValue::from_static(error.error_type()),
    );
    if let Some(custom) = custom {
        for (name, source) in &custom.headers {
            if let Some(value) = ctx
                .source_value(source)
                .and_then(|v| HeaderValue::from_str(&v).ok())
            {
                headers.insert(name.clone(), value);
            }
        }
    }
    response
}

fn pick_template(
    custom: &CompiledGatewayResponse,
    ctx: &RequestContext,
) -> Option<(String, String)> {
    let (content_type, template) = custom
        .templates
        .get_key_value(JSON)
        .or_else(|| custom.templates.iter().next())?;
    let bindings = ctx.template_bindings(&[], false, template.reads());
    match template.render(&bindings, &crate::vtl::Limits::default()) {
        Ok(rendered) => Some((content_type.clone(), rendered.text)),
        Err(e) => {
            // The error is already being answered; fall back to the default body.
            tracing::warn!(requestId = %ctx.request_id, error = %e, "gateway response template failed");
            None
        }
    }
}

/// `{"message":"..."}` exactly as AWS writes it.
pub fn default_body(message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "message": message }).to_string())
}

/// A plain error response with no API context (used before an API is found).
pub fn plain(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = Response::new(full(default_body(message)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// What every answer gets last: `Connection: keep-alive` (HTTP/1.1) and
/// AWS's spelling of its header names.
pub fn finish(ctx: &RequestContext, response: &mut Response<Body>) {
    connection_header(ctx, response.headers_mut());
    super::integration::header_case::aws_spelling(response);
}

/// `Connection: keep-alive` on every HTTP/1.1 answer, as AWS writes it,
/// unless the client asked to close (hyper then says `close` itself).
fn connection_header(ctx: &RequestContext, headers: &mut http::HeaderMap) {
    let closing = ctx
        .headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("close"));
    if ctx.protocol == "HTTP/1.1" && !closing && !headers.contains_key(http::header::CONNECTION) {
        headers.insert(
            http::header::CONNECTION,
            HeaderValue::from_static("keep-alive"),
        );
    }
}
