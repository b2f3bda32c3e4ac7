//! HTTP and HTTP_PROXY integrations over a pooled keep-alive client.
//!
//! HTTP_PROXY passes the request through (method, headers, query, body) and
//! streams the backend's response back unchanged. HTTP (non-proxy) sends only
//! what `requestParameters` map, then selects an integration response by the
//! backend's status code.
//!
//! Each request to a backend holds a slot of [`BackendSlots`](crate::outbound::slots::BackendSlots) while
//! it is in flight (a cap per `scheme://host:port`, shared by the workers);
//! waiting for one counts against the integration's timeout, and a request
//! that timed out keeps its slot until the backend answers it.

use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{HeaderMap, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{map_request_body, method_response};
use crate::dataplane::body::{full, Body, BoxError};
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::outbound::slots::Leased;
use crate::outbound::{backend_key, HttpClient, SendError};
use crate::params::{Location, Source};
use crate::snapshot::{HttpIntegration, UriPiece};
use crate::vtl::url::decode_path_component as decode;

/// Headers that belong to one connection and are never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
];

/// Calls the backend and returns the method response.
pub(crate) async fn call(
    integration: &HttpIntegration,
    client: &HttpClient,
    ctx: &mut RequestContext,
    body: Bytes,
) -> Result<Response<Body>, RequestError> {
    let request = build_request(integration, ctx, body)?;
    let backend = backend_key(request.uri());
    let started = Instant::now();
    let exchange = async {
        let lease = client
            .slots()
            .acquire(&backend, integration.timeout)
            .await
            .map_err(|e| {
                tracing::debug!(requestId = %ctx.request_id, error = %e, "backend queue");
                RequestError::IntegrationTimeout(integration.timeout.as_millis())
            })?;
        let (response, lease) = client
            .send_holding(request, lease, 2 * integration.timeout)
            .await
            .map_err(|e| match e {
                SendError::TimedOut(hold) => RequestError::IntegrationTimeout(hold.as_millis()),
                SendError::Failed(reason) => RequestError::IntegrationFailure(reason),
            })?;
        if integration.proxy {
            let leased = |body| Leased {
                body,
                lease: Some(lease),
            };
            return Ok((
                response.map(|b| leased(b).map_err(BoxError::from).boxed()),
                None,
            ));
        }
        let (parts, incoming) = response.into_parts();
        let collected = http_body_util::Limited::new(incoming, client.max_response_bytes())
            .collect()
            .await
            .map_err(|e| {
                RequestError::IntegrationFailure(format!("reading the backend's response: {e}"))
            })?;
        Ok((
            Response::from_parts(parts, full(Bytes::new())),
            Some(collected.to_bytes()),
        ))
    };
    let outcome = tokio::time::timeout(integration.timeout, exchange).await;
    ctx.integration_latency_ms = Some(started.elapsed().as_millis());
    let (response, collected) = match outcome {
        Ok(result) => result?,
        Err(_) => {
            return Err(RequestError::IntegrationTimeout(
                integration.timeout.as_millis(),
            ))
        }
    };
    ctx.integration_status = Some(response.status().as_u16());
    match collected {
        None => Ok(strip_hop_by_hop(response)),
        Some(bytes) => {
            let selector = response.status().as_u16().to_string();
            let selected = integration
                .responses
                .select(&selector)
                .ok_or(RequestError::NoIntegrationResponse(selector))?;
            method_response(selected, ctx, Some(response.headers()), bytes)
        }
    }
}

fn build_request(
    integration: &HttpIntegration,
    ctx: &RequestContext,
    body: Bytes,
) -> Result<Request<Full<Bytes>>, RequestError> {
    let target = target_uri(integration, ctx)?;
    let uri: Uri = target.parse().map_err(|e| {
        RequestError::IntegrationUnavailable(format!(
            "integration URI `{target}` is not valid: {e}"
        ))
    })?;
    let method = integration
        .method
        .clone()
        .unwrap_or_else(|| ctx.method.clone());
    let mut headers = HeaderMap::new();
    if integration.proxy {
        for (name, value) in &ctx.headers {
            if !HOP_BY_HOP.contains(&name.as_str()) && name != HOST && name != CONTENT_LENGTH {
                headers.append(name.clone(), value.clone());
            }
        }
    }
    for p in integration
        .request_parameters
        .iter()
        .filter(|p| matches!(p.location, Location::Header | Location::MultiValueHeader))
    {
        let value = ctx.source_value(&p.source);
        match (
            HeaderName::from_bytes(p.name.as_bytes()),
            value.and_then(|v| HeaderValue::from_str(&v).ok()),
        ) {
            (Ok(name), Some(value)) => {
                headers.insert(name, value);
            }
            _ => continue,
        }
    }
    let body = request_body(integration, ctx, body, &mut headers)?;
    forwarded_headers(ctx, &mut headers);
    if let Some(authority) = uri.authority() {
        if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
            headers.insert(HOST, v);
        }
    }
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Full::new(body))
        .map_err(|e| RequestError::IntegrationUnavailable(e.to_string()))?;
    *request.headers_mut() = headers;
    Ok(request)
}

/// The body to send, with the content type that goes with it.
fn request_body(
    integration: &HttpIntegration,
    ctx: &RequestContext,
    body: Bytes,
    headers: &mut HeaderMap,
) -> Result<Bytes, RequestError> {
    if integration.proxy {
        return Ok(body);
    }
    let mapped = map_request_body(
        &integration.passthrough,
        integration.content_handling,
        ctx,
        body,
    )?;
    if mapped.templated {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    } else if let Some(ct) = ctx.headers.get(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, ct.clone());
    }
    for (name, value) in &mapped.header_overrides {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    Ok(mapped.body)
}

/// `X-Forwarded-For/Proto/Port`, as API Gateway adds them.
fn forwarded_headers(ctx: &RequestContext, headers: &mut HeaderMap) {
    let ip = ctx.source_ip.to_string();
    let forwarded_for = match ctx.header("x-forwarded-for") {
        Some(prior) => format!("{prior}, {ip}"),
        None => ip,
    };
    if let Ok(v) = HeaderValue::from_str(&forwarded_for) {
        headers.insert("x-forwarded-for", v);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    let port = ctx.domain_name.rsplit_once(':').map_or("80", |(_, p)| p);
    if let Ok(v) = HeaderValue::from_str(port) {
        headers.insert("x-forwarded-port", v);
    }
}

/// Characters escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Characters escaped in a query component.
const COMPONENT: &AsciiSet = &SEGMENT.add(b'/');

/// The backend URL: URI template filled in, plus mapped and passed query.
fn target_uri(integration: &HttpIntegration, ctx: &RequestContext) -> Result<String, RequestError> {
    let mut out = String::new();
    for piece in &integration.uri.pieces {
        match piece {
            UriPiece::Text(t) => out.push_str(t),
            UriPiece::StageVariable(name) => {
                out.push_str(ctx.stage_variable(name).ok_or_else(|| {
                    RequestError::IntegrationUnavailable(format!(
                        "stage variable `{name}` used in the integration URI is not set"
                    ))
                })?)
            }
            UriPiece::Path { name, greedy } => {
                let segments = path_segments(integration, ctx, name, *greedy)?;
                let encoded: Vec<String> = segments
                    .iter()
                    .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
                    .collect();
                out.push_str(&encoded.join("/"));
            }
        }
    }
    let mut query: Vec<String> = Vec::new();
    if integration.proxy {
        if let Some(raw) = &ctx.raw_query {
            query.push(raw.clone());
        }
    }
    for p in integration.request_parameters.iter().filter(|p| {
        matches!(
            p.location,
            Location::QueryString | Location::MultiValueQueryString
        )
    }) {
        if let Some(value) = ctx.source_value(&p.source) {
            let name = utf8_percent_encode(&p.name, COMPONENT);
            for v in value
                .split(',')
                .filter(|_| p.location == Location::MultiValueQueryString)
                .chain(
                    std::iter::once(value.as_ref()).filter(|_| p.location == Location::QueryString),
                )
            {
                query.push(format!("{name}={}", utf8_percent_encode(v, COMPONENT)));
            }
        }
    }
    if !query.is_empty() {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(&query.join("&"));
    }
    Ok(out)
}

/// The decoded segments a `{name}` of the integration URI expands to.
///
/// A value taken from the path keeps the client's own segmentation: a
/// greedy parameter (`{proxy+}`) splits only where the client wrote `/`, so
/// an escaped `%2F` or `%5C` stays data inside its segment, escaped again
/// on the way out; a named `{param}` is one segment. A value from anywhere
/// else (query string, header, stage variable) splits on `/` when the URI
/// piece is greedy. A segment that is `.` or `..` is refused: the backend
/// would climb out of the prefix the integration URI names. (The client's
/// own path cannot carry one: it was normalised before routing.)
fn path_segments(
    integration: &HttpIntegration,
    ctx: &RequestContext,
    name: &str,
    greedy: bool,
) -> Result<Vec<String>, RequestError> {
    let missing = || {
        RequestError::IntegrationUnavailable(format!(
            "integration URI parameter `{{{name}}}` has no value"
        ))
    };
    let mapped = integration
        .request_parameters
        .iter()
        .find(|p| p.location == Location::Path && p.name == name)
        .map(|p| &p.source);
    let from_path = match mapped {
        None => Some(name),
        Some(Source::MethodRequest(Location::Path, param)) => Some(param.as_str()),
        Some(_) => None,
    };
    let segments: Vec<String> = match from_path {
        Some(param) => {
            let raw = ctx
                .raw_path_params
                .iter()
                .find(|(k, _)| k == param)
                .map(|(_, v)| v.as_str())
                .ok_or_else(missing)?;
            let greedy_param = ctx
                .resource_path
                .as_deref()
                .is_some_and(|r| r.contains(&format!("{{{param}+}}")));
            if greedy_param {
                raw.split('/').map(decode).collect()
            } else {
                vec![decode(raw)]
            }
        }
        None => {
            let value = mapped
                .and_then(|source| ctx.source_value(source))
                .ok_or_else(missing)?;
            if greedy || name == "proxy" {
                value.split('/').map(str::to_string).collect()
            } else {
                vec![value.into_owned()]
            }
        }
    };
    if let Some(dots) = segments.iter().find(|s| *s == "." || *s == "..") {
        return Err(RequestError::BadRequest(format!(
            "integration URI parameter `{{{name}}}` would put the dot segment `{dots}` in the backend path"
        )));
    }
    Ok(segments)
}

fn strip_hop_by_hop(mut response: Response<Body>) -> Response<Body> {
    for name in HOP_BY_HOP {
        response.headers_mut().remove(*name);
    }
    response
}
