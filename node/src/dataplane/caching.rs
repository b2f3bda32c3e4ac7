//! The stage cache in the pipeline: look a response up before the
//! integration, keep a successful one after it.
//!
//! The key is `{api}/{stage}/{METHOD} {path}` plus the method's cache key
//! parameters. `Cache-Control: max-age=0` asks for a fresh answer (fetched,
//! and kept in place of the old entry); it needs authorization (an AWS_IAM
//! caller whose policies allow `execute-api:InvalidateCache` on the method
//! ARN) unless the stage turns that requirement off, and an unauthorized
//! ask is handled by the stage's strategy: 403, or served from the cache
//! with (or without) a `Warning` header.

use tokio::time::Instant;

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL};
use http::Response;
use http_body_util::BodyExt;

use super::body::{full, Body};
use super::context::RequestContext;
use super::error::RequestError;
use crate::cache::{
    CachePolicy, CachedResponse, ResponseCache, UnauthorizedStrategy, MAX_CACHED_BODY,
};
use crate::snapshot::CompiledMethod;

/// The largest response a cached method may give (AWS: 10 MB).
const RESPONSE_LIMIT: usize = 10 * 1024 * 1024;

/// Sent with a cached answer when an unauthorized client asked for a fresh one.
const UNAUTHORIZED_WARNING: &str =
    "199 apigw \"Cache-Control max-age=0 ignored: invalidation not authorized\"";

/// What the lookup decided.
pub(crate) enum Lookup {
    /// Serve this.
    Hit(Response<Body>),
    /// Call the integration, then offer its answer to [`store`] under this key.
    Miss { key: String, warn: bool },
}

/// The cache key of a request.
pub(crate) fn key(
    ctx: &RequestContext,
    method: &CompiledMethod,
    api_id: &str,
    stage: &str,
) -> String {
    let mut key = format!("{api_id}/{stage}/{} {}", ctx.method, ctx.stage_path);
    for source in &method.cache_key {
        key.push('\u{0}');
        if let Some(v) = ctx.source_value(source) {
            key.push_str(&v);
        }
    }
    key
}

/// Looks the request up; `may_invalidate` says whether the caller holds
/// `execute-api:InvalidateCache` (asked only for a `max-age=0`).
pub(crate) fn lookup(
    cache: &dyn ResponseCache,
    policy: &CachePolicy,
    ctx: &RequestContext,
    key: String,
    may_invalidate: &dyn Fn() -> bool,
) -> Result<Lookup, RequestError> {
    let wants_fresh = ctx
        .headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("max-age=0"))
        });
    let mut warn = false;
    if wants_fresh {
        if !policy.require_authorization || may_invalidate() {
            cache.invalidate(&key);
            return Ok(Lookup::Miss { key, warn });
        }
        match policy.unauthorized {
            UnauthorizedStrategy::FailWith403 => return Err(RequestError::CacheInvalidationDenied),
            UnauthorizedStrategy::SucceedWithResponseHeader => warn = true,
            UnauthorizedStrategy::SucceedWithoutResponseHeader => {}
        }
    }
    match cache.get(&key) {
        Some(hit) => {
            let mut response = Response::new(full(hit.body.clone()));
            *response.status_mut() = hit.status;
            *response.headers_mut() = hit.headers.clone();
            if warn {
                response
                    .headers_mut()
                    .insert("warning", HeaderValue::from_static(UNAUTHORIZED_WARNING));
            }
            Ok(Lookup::Hit(response))
        }
        None => Ok(Lookup::Miss { key, warn }),
    }
}

/// Keeps a successful response (at most 1 MB) and gives it back whole.
pub(crate) async fn store(
    cache: &dyn ResponseCache,
    policy: &CachePolicy,
    key: String,
    warn: bool,
    response: Response<Body>,
) -> Result<Response<Body>, RequestError> {
    if !response.status().is_success() {
        return Ok(response);
    }
    let (mut parts, mut body) = response.into_parts();
    let mut buffer = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            RequestError::IntegrationFailure(format!("reading the response to cache it: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            buffer.extend_from_slice(&data);
            if buffer.len() > RESPONSE_LIMIT {
                return Err(RequestError::IntegrationFailure(format!(
                    "the response is over {RESPONSE_LIMIT} bytes"
                )));
            }
        }
    }
    let collected = buffer.freeze();
    if collected.len() <= MAX_CACHED_BODY {
        cache.put(
            key,
            CachedResponse {
                status: parts.status,
                headers: parts.headers.clone(),
                body: Bytes::clone(&collected),
                expires: Instant::now() + policy.ttl,
            },
        );
    }
    if warn {
        parts
            .headers
            .insert("warning", HeaderValue::from_static(UNAUTHORIZED_WARNING));
    }
    Ok(Response::from_parts(parts, full(collected)))
}
