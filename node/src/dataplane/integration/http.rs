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
use http::header::{
    HeaderName, HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT,
};
use http::{HeaderMap, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{
    add_trace_header, forwarded_port, map_request_body, method_response, response_header_name,
    trace_id, Carried,
};
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

/// Client headers HTTP_PROXY does not pass on besides those (AWS drops
/// them: `Expect`, `Max-Forwards`, `Via`, `Server`, `WWW-Authenticate`,
/// `Content-MD5`, `Content-Encoding` (a mapping may set it), and sets its
/// own `Host`, `Content-Length` and trace header).
const NOT_PASSED: &[&str] = &[
    "expect",
    "max-forwards",
    "via",
    "server",
    "www-authenticate",
    "content-md5",
    "content-encoding",
    "host",
    "content-length",
    "x-amzn-trace-id",
];

/// Mapped request headers AWS leaves out even when `requestParameters`
/// name them.
const NEVER_MAPPED: &[&str] = &["connection", "expect", "proxy-authenticate", "te", "via"];

/// Mapped request headers AWS refuses at invoke time (500).
const REFUSED_MAPPINGS: &[&str] = &["content-length", "transfer-encoding"];

/// Calls the backend and returns the method response.
pub(crate) async fn call(
    integration: &HttpIntegration,
    client: &HttpClient,
    ctx: &mut RequestContext,
    body: Bytes,
) -> Result<Response<Body>, RequestError> {
    if integration.vpc_link.is_some() {
        return Err(RequestError::IntegrationUnavailable(
            "VPC link integrations are sent by the gateway's upstream groups".into(),
        ));
    }
    let (request, carried) = build_request(integration, ctx, body)?;
    let identity = ctx.stage.as_ref().and_then(|s| s.client_identity.as_ref());
    let client = &client
        .for_backend(identity, integration.insecure_skip_verification)
        .map_err(|e| RequestError::IntegrationFailure(format!("backend TLS: {e}")))?;
    let started = Instant::now();
    let outcome = exchange(
        client,
        request,
        integration.proxy,
        integration.timeout,
        &ctx.request_id,
    )
    .await;
    ctx.integration_latency_ms = Some(started.elapsed().as_millis());
    let (response, collected) = outcome?;
    ctx.integration_status = Some(response.status().as_u16());
    match collected {
        // HTTP_PROXY answers carry the backend's headers (as the backend
        // spelled their names, on HTTP/1.1), no trace header.
        None => {
            let record = response
                .extensions()
                .get::<crate::outbound::spelling::Spelled>()
                .cloned();
            let written = record.as_ref().and_then(|r| r.take());
            let mut response = remap_proxy_headers(response);
            if let (Some(record), Some(written)) = (record, written) {
                // The remapped names follow from the written ones: what
                // spelled the last answer with these names spells this one.
                let headers = response.headers();
                let spelled = record.made_for(&written, |written| {
                    super::header_case::spelling(&spelled_as_written(headers, written))
                });
                super::header_case::apply(&mut response, spelled);
            }
            Ok(response)
        }
        Some(bytes) => answer(integration, ctx, &response, bytes, &carried),
    }
}

/// The names of `headers` (one per value, in the map's order) as the
/// backend wrote them, for those it wrote (each name's first spelling).
fn spelled_as_written(headers: &http::HeaderMap, written: &[String]) -> Vec<String> {
    headers
        .iter()
        .filter_map(|(name, _)| {
            written
                .iter()
                .find(|w| w.eq_ignore_ascii_case(name.as_str()))
                .cloned()
        })
        .collect()
}

/// The method response for a non-proxy backend's answer: the integration
/// response its status selects, mapped.
pub(super) fn answer(
    integration: &HttpIntegration,
    ctx: &RequestContext,
    response: &Response<Body>,
    bytes: Bytes,
    carried: &Carried,
) -> Result<Response<Body>, RequestError> {
    let selector = response.status().as_u16().to_string();
    let selected = integration
        .responses
        .select(&selector)
        .ok_or(RequestError::NoIntegrationResponse(selector))?;
    let mut response = method_response(selected, ctx, Some(response.headers()), bytes, carried)?;
    add_trace_header(&mut response, ctx);
    Ok(response)
}

/// Sends `request` within `timeout`, holding a slot of its backend: the
/// answer streaming (`stream`, HTTP_PROXY) or its body read whole (up to
/// the client's cap).
pub(super) async fn exchange(
    client: &HttpClient,
    request: Request<Full<Bytes>>,
    stream: bool,
    timeout: std::time::Duration,
    request_id: &str,
) -> Result<(Response<Body>, Option<Bytes>), RequestError> {
    let backend = backend_key(request.uri());
    let exchange = async {
        let lease = client
            .slots()
            .acquire(&backend, timeout)
            .await
            .map_err(|e| {
                tracing::debug!(requestId = %request_id, error = %e, "backend queue");
                RequestError::IntegrationTimeout(timeout.as_millis())
            })?;
        let (response, lease) = client
            .send_holding(request, lease, 2 * timeout)
            .await
            .map_err(|e| match e {
                SendError::TimedOut(hold) => RequestError::IntegrationTimeout(hold.as_millis()),
                SendError::Failed(reason) => RequestError::IntegrationFailure(reason),
            })?;
        if stream {
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
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(RequestError::IntegrationTimeout(timeout.as_millis())),
    }
}

/// The request to the backend, and what its request template left for the
/// response.
pub(super) fn build_request(
    integration: &HttpIntegration,
    ctx: &RequestContext,
    body: Bytes,
) -> Result<(Request<Full<Bytes>>, Carried), RequestError> {
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
    let mut headers = mapped_headers(integration, ctx)?;
    let (body, carried) = request_body(integration, ctx, body, &mut headers)?;
    aws_headers(integration, ctx, &mut headers);
    if let Ok(v) = HeaderValue::from_str(&body.len().to_string()) {
        headers.insert(CONTENT_LENGTH, v);
    }
    if !headers.contains_key(HOST) {
        if let Some(authority) = uri.authority() {
            if let Ok(v) = HeaderValue::from_str(authority.as_str()) {
                headers.insert(HOST, v);
            }
        }
    }
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Full::new(body))
        .map_err(|e| RequestError::IntegrationUnavailable(e.to_string()))?;
    *request.headers_mut() = headers;
    Ok((request, carried))
}

/// The headers a backend request starts with: the client's (HTTP_PROXY)
/// and those `requestParameters` map.
pub(super) fn mapped_headers(
    integration: &HttpIntegration,
    ctx: &RequestContext,
) -> Result<HeaderMap, RequestError> {
    let mut headers = HeaderMap::new();
    if integration.proxy {
        for (name, value) in &ctx.headers {
            let name_str = name.as_str();
            if !HOP_BY_HOP.contains(&name_str) && !NOT_PASSED.contains(&name_str) {
                headers.append(name.clone(), value.clone());
            }
        }
    }
    for p in integration
        .request_parameters
        .iter()
        .filter(|p| matches!(p.location, Location::Header | Location::MultiValueHeader))
    {
        let lower = p.name.to_ascii_lowercase();
        if REFUSED_MAPPINGS.contains(&lower.as_str()) {
            return Err(RequestError::IntegrationUnavailable(format!(
                "the integration maps the request header `{}`, which API Gateway sets itself",
                p.name
            )));
        }
        if NEVER_MAPPED.contains(&lower.as_str()) {
            continue;
        }
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
    Ok(headers)
}

/// The body to send, with the content type that goes with it, and what
/// the request template left for the response.
pub(super) fn request_body(
    integration: &HttpIntegration,
    ctx: &RequestContext,
    body: Bytes,
    headers: &mut HeaderMap,
) -> Result<(Bytes, Carried), RequestError> {
    if integration.proxy {
        return Ok((body, Carried::default()));
    }
    let mapped = map_request_body(
        &integration.passthrough,
        integration.content_handling,
        ctx,
        body,
    )?;
    if mapped.templated {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    } else if let Some(ct) = ctx
        .headers
        .get(CONTENT_TYPE)
        .filter(|_| !mapped.body.is_empty())
    {
        // A body passed through keeps its type; no body, no type (AWS).
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
    Ok((mapped.body, mapped.carried))
}

/// What API Gateway adds to every backend request: its API id and the
/// trace header; for HTTP (non-proxy) `Accept: application/json` and its
/// own `User-Agent` unless mapped; for HTTP_PROXY the `X-Forwarded-*`
/// headers (AWS sends those only when it proxies).
pub(super) fn aws_headers(
    integration: &HttpIntegration,
    ctx: &RequestContext,
    headers: &mut HeaderMap,
) {
    let api_id = ctx.stage.as_ref().map_or("", |s| s.api.api_id.as_str());
    if let Ok(v) = HeaderValue::from_str(api_id) {
        headers.insert("x-amzn-apigateway-api-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&trace_id(ctx)) {
        headers.insert("x-amzn-trace-id", v);
    }
    if let Some(Ok(v)) = ctx
        .trace
        .traceparent_to_send()
        .map(|t| HeaderValue::from_str(&t))
    {
        headers.insert("traceparent", v);
    }
    if integration.proxy {
        forwarded_headers(ctx, headers);
        return;
    }
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    }
    if !headers.contains_key(USER_AGENT) {
        if let Ok(v) = HeaderValue::from_str(&format!("AmazonAPIGateway_{api_id}")) {
            headers.insert(USER_AGENT, v);
        }
    }
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
    if let Ok(v) = HeaderValue::from_str(forwarded_port(ctx)) {
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
pub(super) fn target_uri(
    integration: &HttpIntegration,
    ctx: &RequestContext,
) -> Result<String, RequestError> {
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

/// An HTTP_PROXY answer as AWS passes it on: the backend's `Connection`,
/// `Content-Length`, `Date`, `Server`, `x-amzn-RequestId` and the like kept
/// as `x-amzn-Remapped-*` (the gateway writes its own), other hop-by-hop
/// headers dropped. The body streams through, so its length stays the same.
pub(super) fn remap_proxy_headers(mut response: Response<Body>) -> Response<Body> {
    let backend = std::mem::take(response.headers_mut());
    let headers = response.headers_mut();
    let mut last = None;
    for (name, value) in backend {
        let name = match name {
            Some(name) => {
                last = Some(name.clone());
                name
            }
            None => match &last {
                Some(name) => name.clone(),
                None => continue,
            },
        };
        let remapped = response_header_name(&name);
        if remapped == name && HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        headers.append(remapped, value);
    }
    if let Some(length) = headers.get("x-amzn-remapped-content-length").cloned() {
        headers.insert(CONTENT_LENGTH, length);
    }
    response
}
