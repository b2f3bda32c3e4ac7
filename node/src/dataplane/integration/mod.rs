//! Integrations: calling the method's backend and shaping its answer into the
//! method response.
//!
//! - [`http`]: HTTP and HTTP_PROXY backends, over a pooled keep-alive client;
//! - [`aws`]: AWS service integrations (SQS, DynamoDB, S3, ...), signed;
//! - [`upstream`]: VPC links' upstream groups (balancing, health checks);
//!   [`pool`]: the cap per backend on requests in flight, and its queue;
//! - [`mock`]: MOCK, answered from the integration's own templates;
//! - [`header_case`]: header names spelled as AWS and the client spell them;
//! - this module: integration response handling shared by non-proxy kinds
//!   (selection, `responseParameters`, response templates).

pub mod aws;
mod content;
pub(crate) mod header_case;
pub mod http;
pub mod lambda;
pub(crate) mod lambda_proxy;
pub mod mock;
pub mod upstream;

use std::collections::HashMap;

use ::http::header::{HeaderName, HeaderValue, CONTENT_TYPE, TRANSFER_ENCODING};
use ::http::{HeaderMap, Response, StatusCode};
use bytes::Bytes;

use super::body::{full, Body};
use super::context::RequestContext;
use super::error::RequestError;
use crate::params::Source;
use crate::snapshot::{CompiledIntegrationResponse, ContentHandling, Passthrough};
use crate::vtl::{self, Template};

/// What a request template leaves for the response: the
/// `$context.responseOverride` and `requestOverride` maps (response templates
/// read them back), and the status and headers `responseOverride` sets.
#[derive(Debug, Clone, Default)]
pub(crate) struct Carried {
    /// `{"responseOverride": ..., "requestOverride": ...}`.
    pub context: Option<serde_json::Value>,
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
}

impl Carried {
    fn from_rendered(rendered: &vtl::Rendered) -> Carried {
        Carried {
            context: rendered.carried.clone(),
            status: rendered.status_override,
            headers: rendered.header_overrides.clone(),
        }
    }
}

/// Builds the method response from the selected integration response:
/// its response template (chosen by Accept) over the backend's body, its
/// `responseParameters`, and what the templates overrode (the request
/// template's overrides first, the response template's over them).
pub(crate) fn method_response(
    selected: &CompiledIntegrationResponse,
    ctx: &RequestContext,
    backend_headers: Option<&HeaderMap>,
    backend_body: Bytes,
    carried: &Carried,
) -> Result<Response<Body>, RequestError> {
    let accept = ctx.header("accept");
    let binary_types = ctx
        .stage
        .as_ref()
        .map_or(&[][..], |s| &s.api.binary_media_types[..]);
    let backend_type = backend_headers
        .and_then(|h| h.get(CONTENT_TYPE))
        .and_then(|v| v.to_str().ok());
    let converted = content::response(
        backend_body,
        backend_type.is_some_and(|t| is_binary(binary_types, t)),
        accepts_binary(accept, binary_types),
        selected.content_handling,
    )
    .map_err(RequestError::TemplateFailed)?;
    let backend_body = converted.body;
    let templates = if converted.binary {
        None
    } else {
        pick_template(&selected.templates, accept)
    };
    let binary_type = backend_type
        .unwrap_or("application/octet-stream")
        .to_string();
    let (content_type, body, overrides) = match templates {
        _ if converted.binary => (binary_type.as_str(), backend_body.clone(), None),
        Some((content_type, template)) => {
            let what = format!(
                "response template {} for {content_type}",
                selected.status.as_u16()
            );
            let rendered = render(
                template,
                ctx,
                &backend_body,
                false,
                carried.context.as_ref(),
                &what,
            )?;
            let body = Bytes::from(rendered.text.clone());
            (content_type.as_str(), body, Some(rendered))
        }
        None => ("application/json", backend_body.clone(), None),
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
            Source::IntegrationResponseBodyPath(path) => {
                body_path(&backend_body, path).and_then(|v| HeaderValue::from_str(&v).ok())
            }
            other => ctx
                .source_value(other)
                .and_then(|v| HeaderValue::from_str(&v).ok()),
        };
        // The gateway frames the body itself: a mapped Transfer-Encoding
        // is dropped, as on AWS.
        if let Some(value) = value.filter(|_| name != TRANSFER_ENCODING) {
            headers.insert(response_header_name(name), value);
        }
    }
    apply_overrides(&mut response, carried.status, &carried.headers);
    let mut spellings = answer_spellings(&selected.header_spellings);
    spellings.extend(carried.headers.iter().map(|(name, _)| name.clone()));
    if let Some(rendered) = overrides {
        apply_overrides(
            &mut response,
            rendered.status_override,
            &rendered.header_overrides,
        );
        spellings.extend(
            rendered
                .header_overrides
                .iter()
                .map(|(name, _)| name.clone()),
        );
    }
    header_case::spell(&mut response, &spellings);
    Ok(response)
}

/// How the answer spells mapped header names: as the mapping wrote them,
/// `x-amzn-Remapped-<name>` for the reserved ones.
fn answer_spellings(mapped: &[String]) -> Vec<String> {
    mapped
        .iter()
        .filter_map(|name| {
            let lower = name.to_ascii_lowercase();
            if lower == "transfer-encoding" {
                None
            } else if REMAPPED.contains(&lower.as_str()) {
                Some(format!("x-amzn-Remapped-{name}"))
            } else {
                Some(name.clone())
            }
        })
        .collect()
}

/// `integration.response.body.a.b`: the JSON value at `$.a.b`, strings
/// unquoted.
fn body_path(body: &[u8], path: &str) -> Option<String> {
    let document: serde_json::Value = serde_json::from_slice(body).ok()?;
    match vtl::aws::json_path(&document, &format!("$.{path}")).ok()? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// `$context.responseOverride.status` and `.header.*` from a template.
fn apply_overrides(
    response: &mut Response<Body>,
    status: Option<u16>,
    headers: &[(String, String)],
) {
    if let Some(status) = status.and_then(|s| StatusCode::from_u16(s).ok()) {
        *response.status_mut() = status;
    }
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
}

/// Client headers templates do not see (`$input.params('Connection')` is
/// empty on AWS): the connection's own.
const HIDDEN_FROM_TEMPLATES: &[&str] = &[
    "connection",
    "content-length",
    "content-md5",
    "expect",
    "keep-alive",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "www-authenticate",
];

/// Bounds on every template render.
static TEMPLATE_LIMITS: std::sync::LazyLock<vtl::Limits> =
    std::sync::LazyLock::new(vtl::Limits::default);

/// Renders a mapping template; a failure becomes AWS's answer (500, or 400
/// when the client's body is not the JSON the template reads) and names the
/// template and position. `carried` is what the request template left in
/// `$context.responseOverride` / `requestOverride` (for a response template).
pub(crate) fn render(
    template: &Template,
    ctx: &RequestContext,
    body: &[u8],
    from_client: bool,
    carried: Option<&serde_json::Value>,
    what: &str,
) -> Result<vtl::Rendered, RequestError> {
    let mut bindings = ctx.template_bindings(body, from_client, template.reads());
    bindings
        .header
        .retain(|(name, _)| !HIDDEN_FROM_TEMPLATES.contains(&name.to_ascii_lowercase().as_str()));
    if let (Some(serde_json::Value::Object(carried)), vtl::Value::Map(context)) =
        (carried, &bindings.context)
    {
        let mut context = context.borrow_mut();
        for (key, value) in carried {
            context.insert(key.clone(), vtl::Value::from_json(value));
        }
    }
    template
        .render(&bindings, &TEMPLATE_LIMITS)
        .map_err(|e| match e {
            vtl::RenderError::BadBody(message) => RequestError::UnparsableBody(message),
            other => RequestError::TemplateFailed(format!("{what}: {other}")),
        })
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

/// The body a non-proxy integration sends.
pub(crate) struct MappedBody {
    pub body: Bytes,
    /// A template made it (it is JSON unless the template says otherwise).
    pub templated: bool,
    /// `$context.requestOverride.header.*` from the template.
    pub header_overrides: Vec<(String, String)>,
    /// What the template left for the response.
    pub carried: Carried,
}

/// The request template for the request's content type, rendered, or the
/// body as received when passthrough allows it (else 415).
pub(crate) fn map_request_body(
    passthrough: &Passthrough,
    handling: ContentHandling,
    ctx: &RequestContext,
    body: Bytes,
) -> Result<MappedBody, RequestError> {
    let pass = |body| MappedBody {
        body,
        templated: false,
        header_overrides: Vec::new(),
        carried: Carried::default(),
    };
    let binary_types = ctx
        .stage
        .as_ref()
        .map_or(&[][..], |s| &s.api.binary_media_types[..]);
    let payload_is_binary = is_binary(binary_types, ctx.header("content-type").unwrap_or(""));
    let converted =
        content::request(body, payload_is_binary, handling).map_err(RequestError::BadRequest)?;
    let body = converted.body;
    if converted.binary {
        // Templates map text; binary payloads go to the backend as they are.
        return Ok(pass(body));
    }
    match passthrough {
        Passthrough::Body => Ok(pass(body)),
        Passthrough::Templates {
            templates,
            others_pass,
        } => {
            let content_type = request_content_type(ctx);
            if let Some(template) = templates.get(&content_type) {
                let what = format!("request template for {content_type}");
                let rendered = render(template, ctx, &body, true, None, &what)?;
                let carried = Carried::from_rendered(&rendered);
                return Ok(MappedBody {
                    body: Bytes::from(rendered.text),
                    templated: true,
                    header_overrides: rendered.request_header_overrides,
                    carried,
                });
            }
            if *others_pass {
                return Ok(pass(body));
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

/// Whether the client's Accept header names one of the binary media types
/// (`*/*` does not count).
pub(crate) fn accepts_binary(accept: Option<&str>, binary_media_types: &[String]) -> bool {
    let Some(accept) = accept else { return false };
    accept.split(',').any(|wanted| {
        let wanted = wanted.split(';').next().unwrap_or("").trim();
        wanted != "*/*" && is_binary(binary_media_types, wanted)
    })
}

/// The request's X-Ray trace header, `X-Amzn-Trace-Id`: the client's when
/// it sent one, else made from its `traceparent` or new
/// (`observability::trace`), the same for the event, the backend request
/// and the answer.
pub(crate) fn trace_id(ctx: &RequestContext) -> String {
    ctx.trace_header()
}

/// Sets `X-Amzn-Trace-Id` on an integration's answer, as AWS does for
/// Lambda and HTTP integrations (MOCK answers carry none).
pub(crate) fn add_trace_header(response: &mut Response<Body>, ctx: &RequestContext) {
    if let Ok(value) = HeaderValue::from_str(&trace_id(ctx)) {
        response.headers_mut().insert("x-amzn-trace-id", value);
    }
}

/// Headers AWS writes as `x-amzn-Remapped-<name>` when an integration
/// answers them (HTTP_PROXY) or a method response maps them, keeping its
/// own `Content-Length`, `Date`, `Connection` and so on.
const REMAPPED: &[&str] = &[
    "authorization",
    "connection",
    "content-length",
    "content-md5",
    "date",
    "expect",
    "host",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "trailer",
    "upgrade",
    "user-agent",
    "www-authenticate",
    "x-amzn-requestid",
];

/// The name a response header goes out under: `x-amzn-remapped-<name>`
/// for the ones AWS reserves, else its own.
pub(crate) fn response_header_name(name: &HeaderName) -> HeaderName {
    if REMAPPED.contains(&name.as_str()) {
        if let Ok(remapped) = HeaderName::from_bytes(format!("x-amzn-remapped-{name}").as_bytes()) {
            return remapped;
        }
    }
    name.clone()
}

/// The X-Forwarded-Port a request arrived on (its Host's port, else 80).
pub(crate) fn forwarded_port(ctx: &RequestContext) -> &str {
    ctx.domain_name
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("80")
}
