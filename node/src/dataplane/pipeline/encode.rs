//! Phase `encode`: the answer's content encoding, as API Gateway's payload
//! compression: an answer is compressed (gzip or deflate,
//! `dataplane::compression`) only when the API has a
//! `minimumCompressionSize`, the client's `Accept-Encoding` asks for a
//! coding the gateway has, the integration's answer has no
//! `Content-Encoding`, and the mapped body is at least the minimum. The
//! body is compressed as it streams (HTTP_PROXY answers too); one of
//! unknown length is taken to be over the minimum.

use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH};
use http::{HeaderValue, Method, Response, StatusCode};
use hyper::body::Body as _;

use super::exchange::Exchange;
use super::Gateway;
use crate::dataplane::body::Body;
use crate::dataplane::compression::{accepted, compress, Coding};

impl Gateway {
    /// Compresses the answer when the API, the client and the answer
    /// allow it; else hands it on unchanged.
    pub(super) fn encode<B>(
        &self,
        ex: &Exchange<'_, B>,
        response: Response<Body>,
    ) -> Response<Body> {
        let ctx = &ex.ctx;
        let minimum = ctx
            .stage
            .as_ref()
            .and_then(|s| s.api.minimum_compression_size);
        let coding = accepted(ctx.header(ACCEPT_ENCODING.as_str()));
        match (minimum, coding) {
            (Some(minimum), Some(coding)) if compressible(&ctx.method, &response, minimum) => {
                compressed(response, coding)
            }
            _ => response,
        }
    }
}

/// Whether an answer qualifies: not already coded, a body that may have
/// one, and at least `minimum` bytes (as declared or known).
fn compressible(method: &Method, response: &Response<Body>, minimum: u64) -> bool {
    let no_body = *method == Method::HEAD
        || matches!(
            response.status(),
            StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
        );
    if no_body || response.headers().contains_key(CONTENT_ENCODING) {
        return false;
    }
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared.or(response.body().size_hint().exact()) {
        Some(0) => false,
        Some(length) => length >= minimum,
        None => true,
    }
}

/// The answer with its body compressed and its headers saying so.
fn compressed(response: Response<Body>, coding: Coding) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
    Response::from_parts(parts, compress(body, coding))
}
