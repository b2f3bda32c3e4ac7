//! A VPC link integration's request: built as for HTTP / HTTP_PROXY (the
//! URI's host stays the `Host` header), sent to a target the link's group
//! picks. A target that refuses the connection counts against it and the
//! request goes once more to another target (nothing was sent); a timeout
//! counts against it too. No target healthy: 503 at once.

use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Full};

use super::group::Group;
use super::Upstreams;
use crate::dataplane::body::Body;
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::dataplane::integration::http::{answer, build_request, exchange, remap_proxy_headers};
use crate::outbound::HttpClient;
use crate::snapshot::{HttpIntegration, UriPiece, UriTemplate};

/// Calls the integration through its VPC link and returns the method response.
pub(crate) async fn call(
    integration: &HttpIntegration,
    upstreams: &Upstreams,
    client: &HttpClient,
    ctx: &mut RequestContext,
    body: Bytes,
) -> Result<Response<Body>, RequestError> {
    let link = match &integration.vpc_link {
        Some(template) => link_id(template, ctx)?,
        None => return Err(RequestError::IntegrationUnavailable("no VPC link".into())),
    };
    let group = upstreams
        .group_of_link(&link)
        .map_err(RequestError::IntegrationUnavailable)?;
    let (request, carried) = build_request(integration, ctx, body)?;
    let started = Instant::now();
    let outcome = send(
        &group,
        integration,
        client,
        request,
        &ctx.request_id,
        started,
    )
    .await;
    ctx.integration_latency_ms = Some(started.elapsed().as_millis());
    let (response, collected) = outcome?;
    ctx.integration_status = Some(response.status().as_u16());
    match collected {
        None => Ok(remap_proxy_headers(response)),
        Some(bytes) => answer(integration, ctx, &response, bytes, &carried),
    }
}

/// Sends `request` to a target of `group`, a second one if the first
/// could not be connected to.
async fn send(
    group: &std::sync::Arc<Group>,
    integration: &HttpIntegration,
    client: &HttpClient,
    request: Request<Full<Bytes>>,
    request_id: &str,
    started: Instant,
) -> Result<(Response<Body>, Option<Bytes>), RequestError> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let mut avoid = None;
    let mut last = None;
    for _attempt in 0..2 {
        let Some(picked) = group.pick(avoid) else {
            break;
        };
        let to_target = retarget(&parts, &body, picked.addr())?;
        let left = integration.timeout.saturating_sub(started.elapsed());
        match exchange(client, to_target, integration.proxy, left, request_id).await {
            Ok(answered) => {
                picked.succeeded();
                return Ok(answered);
            }
            Err(RequestError::IntegrationFailure(reason)) if not_connected(&reason) => {
                picked.failed();
                avoid = Some(picked.index);
                last = Some(RequestError::IntegrationFailure(reason));
            }
            Err(e @ RequestError::IntegrationTimeout(_)) => {
                picked.failed();
                return Err(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        RequestError::NoHealthyTarget(format!(
            "no healthy target behind {}",
            group.config().target_arn
        ))
    }))
}

/// Whether a send failed before anything reached the target.
fn not_connected(reason: &str) -> bool {
    reason.contains("(Connect)") || reason.contains("tcp connect error")
}

/// The request, addressed to the target `addr` (its `Host` header kept).
fn retarget(
    parts: &http::request::Parts,
    body: &Bytes,
    addr: &str,
) -> Result<Request<Full<Bytes>>, RequestError> {
    let scheme = parts.uri.scheme_str().unwrap_or("http");
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri: Uri = format!("{scheme}://{addr}{path}").parse().map_err(|e| {
        RequestError::IntegrationUnavailable(format!("upstream target `{addr}`: {e}"))
    })?;
    let mut request = Request::new(Full::new(body.clone()));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = parts.headers.clone();
    Ok(request)
}

/// The VPC link id an integration's `connectionId` names.
fn link_id(template: &UriTemplate, ctx: &RequestContext) -> Result<String, RequestError> {
    let mut id = String::new();
    for piece in &template.pieces {
        match piece {
            UriPiece::Text(t) => id.push_str(t),
            UriPiece::StageVariable(name) => {
                id.push_str(ctx.stage_variable(name).ok_or_else(|| {
                    RequestError::IntegrationUnavailable(format!(
                        "stage variable `{name}` in the connectionId is not set"
                    ))
                })?)
            }
            UriPiece::Path { name, .. } => {
                return Err(RequestError::IntegrationUnavailable(format!(
                    "the connectionId has a `{{{name}}}`"
                )))
            }
        }
    }
    Ok(id)
}
