//! Phase `finish`: what every answer gets, whichever phase ended the
//! request: a failed phase's gateway response, the request ids, the
//! region header in a cluster, and the access-log line.

use http::header::HeaderValue;
use http::Response;

use super::Gateway;
use crate::dataplane::access_log;
use crate::dataplane::body::Body;
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::dataplane::respond::gateway_response;

impl Gateway {
    /// The answer the client gets, logged.
    pub(super) fn finish(
        &self,
        ctx: &mut RequestContext,
        outcome: Result<Response<Body>, RequestError>,
    ) -> Response<Body> {
        let mut response = match outcome {
            Ok(response) => response,
            Err(error) => refuse(ctx, &error),
        };
        self.stamp(ctx, &mut response);
        crate::dataplane::respond::finish(ctx, &mut response);
        let answered = access_log::Answered {
            status: response.status().as_u16(),
            length: hyper::body::Body::size_hint(response.body())
                .exact()
                .or_else(|| declared_length(&response)),
        };
        access_log::record(ctx, answered.status);
        access_log::observe(&self.services.observability, ctx, &answered);
        response
    }

    /// The ids (`x-amzn-requestid`, `x-amz-apigw-id`) and, in a cluster,
    /// the region that answered.
    fn stamp(&self, ctx: &RequestContext, response: &mut Response<Body>) {
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
            headers.insert("x-amzn-requestid", v);
        }
        if let Ok(v) = HeaderValue::from_str(&ctx.extended_request_id) {
            headers.insert("x-amz-apigw-id", v);
        }
        if let Some(region) = &self.region_header {
            if !headers.contains_key("x-apigw-region") {
                headers.insert("x-apigw-region", region.clone());
            }
        }
    }
}

/// The gateway response for a failed phase, logged as the operator's fault
/// (warn) or the client's (debug).
fn refuse(ctx: &mut RequestContext, error: &RequestError) -> Response<Body> {
    if error.is_operator_fault() {
        tracing::warn!(requestId = %ctx.request_id, error = %error, "request failed");
    } else {
        tracing::debug!(requestId = %ctx.request_id, error = %error, "request refused");
    }
    gateway_response(error, ctx)
}

/// A streamed answer's `Content-Length`, when it declares one.
fn declared_length(response: &Response<Body>) -> Option<u64> {
    response
        .headers()
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
