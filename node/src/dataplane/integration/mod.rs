//! Integrations: calling the method's backend and shaping its answer into the
//! method response.
//!
//! - [`http`]: HTTP and HTTP_PROXY backends, over a pooled keep-alive client;
//! - [`mock`]: MOCK, answered from the integration's own templates;
//! - this module: integration response handling shared by non-proxy kinds
//!   (selection, `responseParameters`, response templates).

pub mod http;
pub mod lambda;
mod lambda_proxy;
pub mod mock;

use std::collections::HashMap;

use ::http::header::{HeaderValue, CONTENT_TYPE};
use ::http::{HeaderMap, Response};
use bytes::Bytes;

use super::body::{full, Body};
use super::context::{RequestContext, TemplateScope};
use super::error::RequestError;
use crate::params::Source;
use crate::snapshot::{CompiledIntegrationResponse, Passthrough};
use crate::template::Template;

/// Builds the method response from the selected integration response.
pub(crate) fn method_response(
    selected: &CompiledIntegrationResponse,
    ctx: &RequestContext,
    backend_headers: Option<&HeaderMap>,
    backend_body: Bytes,
) -> Response<Body> {
    let accept = ctx.header("accept");
    let (content_type, body) = match pick_template(&selected.templates, accept) {
        Some((content_type, template)) => {
            let scope = TemplateScope {
                ctx,
                body: &backend_body,
            };
            (content_type.as_str(), Bytes::from(template.render(&scope)))
        }
        None => ("application/json", backend_body.clone()),
    };
    let mut response = Response::new(full(body));
    *response.status_mut() = selected.status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/json")),
    );
    for (name, source) in &selected.headers {
        let value = match source {
            Source::IntegrationResponseHeader(h) => {
                backend_headers.and_then(|bh| bh.get(h.as_str())).cloned()
            }
            Source::IntegrationResponseBody => {
                HeaderValue::from_bytes(backend_body.trim_ascii()).ok()
            }
            other => ctx
                .source_value(other)
                .and_then(|v| HeaderValue::from_str(&v).ok()),
        };
        if let Some(value) = value {
            headers.insert(name.clone(), value);
        }
    }
    response
}

/// The template for a response: the Accept header's type, else JSON, else any.
fn pick_template<'t>(
    templates: &'t HashMap<String, Template>,
    accept: Option<&str>,
) -> Option<(&'t String, &'t Template)> {
    if let Some(accept) = accept {
        for wanted in accept.split(',').map(|a| {
            a.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        }) {
            if let Some(found) = templates.get_key_value(&wanted) {
                return Some(found);
            }
        }
    }
    templates
        .get_key_value("application/json")
        .or_else(|| templates.iter().min_by(|a, b| a.0.cmp(b.0)))
}

/// The content type of a request, without parameters, lower case.
pub(crate) fn request_content_type(ctx: &RequestContext) -> String {
    ctx.header("content-type")
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "application/json".to_string())
}

/// The body a non-proxy integration sends: the request template for the
/// request's content type, rendered, or the body as received when passthrough
/// allows it (`true` when a template was used).
pub(crate) fn map_request_body(
    passthrough: &Passthrough,
    ctx: &RequestContext,
    body: Bytes,
) -> Result<(Bytes, bool), RequestError> {
    match passthrough {
        Passthrough::Body => Ok((body, false)),
        Passthrough::Templates {
            templates,
            others_pass,
        } => {
            let content_type = request_content_type(ctx);
            if let Some(template) = templates.get(&content_type) {
                let rendered = template.render(&TemplateScope { ctx, body: &body });
                return Ok((Bytes::from(rendered), true));
            }
            if *others_pass {
                return Ok((body, false));
            }
            Err(RequestError::UnsupportedMediaType(content_type))
        }
    }
}

/// Whether a content type is one of the API's binary media types
/// (`image/png`, `image/*`, `*/*`).
pub(crate) fn is_binary(binary_media_types: &[String], content_type: &str) -> bool {
    let content_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if content_type.is_empty() {
        return false;
    }
    let (major, _) = content_type.split_once('/').unwrap_or((&content_type, ""));
    binary_media_types.iter().any(|t| {
        let t = t.trim().to_ascii_lowercase();
        t == content_type || t == "*/*" || t.strip_suffix("/*").is_some_and(|m| m == major)
    })
}
