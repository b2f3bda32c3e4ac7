//! The request body as the phases see it: a declared length over the limit
//! refused early (phase `limit_body`), and the body read at the client's
//! pace when a phase needs its bytes.

use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};

use super::exchange::{Exchange, Pending};
use super::Gateway;
use crate::dataplane::body::{drain, read_paced, ReadError, RequestBody};
use crate::dataplane::compression::{decode, request_coding, DecodeError};
use crate::dataplane::error::RequestError;

impl Gateway {
    /// Refuses a body whose declared length is over the payload limit
    /// (drained first, so the connection stays usable).
    pub(super) async fn limit_body<B: RequestBody>(
        &self,
        ex: &mut Exchange<'_, B>,
    ) -> Result<(), RequestError> {
        let limit = self.limits.max_body_bytes;
        let declared = ex
            .ctx
            .header(CONTENT_LENGTH.as_str())
            .and_then(|v| v.parse::<usize>().ok());
        let refused = match request_coding(ex.ctx.header(CONTENT_ENCODING.as_str())) {
            Err(e) => Some(decode_error(e)),
            Ok(_) if declared.is_some_and(|len| len > limit) => {
                Some(RequestError::RequestTooLarge { limit })
            }
            Ok(_) => None,
        };
        let Some(refused) = refused else {
            return Ok(());
        };
        if let Pending::Unread(body) = ex.body.take() {
            drain(body).await;
        }
        Err(refused)
    }

    /// The body as mapping templates and backends see it: decoded when the
    /// client sent it gzip- or deflate-coded (the decoded size within the
    /// payload limit). The request's headers stay as sent (templates read
    /// `Content-Encoding` as AWS's do; HTTP_PROXY never passes it on).
    pub(super) fn decoded_body<B>(
        &self,
        ex: &Exchange<'_, B>,
        body: Bytes,
    ) -> Result<Bytes, RequestError> {
        let coding = request_coding(ex.ctx.header(CONTENT_ENCODING.as_str()));
        let Some(coding) = coding.map_err(decode_error)? else {
            return Ok(body);
        };
        decode(coding, &body, self.limits.max_body_bytes).map_err(decode_error)
    }

    /// The body's bytes, read now if still on the wire.
    pub(super) async fn body_bytes<B: RequestBody>(
        &self,
        ex: &mut Exchange<'_, B>,
    ) -> Result<Bytes, RequestError> {
        match ex.body.take() {
            Pending::Unread(incoming) => self.read_body(incoming).await,
            Pending::Read(bytes) => Ok(bytes),
            Pending::Taken => Err(RequestError::IntegrationUnavailable(
                "body already read".into(),
            )),
        }
    }

    /// Reads a body within the payload limit and pace.
    async fn read_body<B: RequestBody>(&self, body: B) -> Result<Bytes, RequestError> {
        let limit = self.limits.max_body_bytes;
        let pace = self.limits.body_pace;
        read_paced(body, limit, pace).await.map_err(|e| match e {
            ReadError::TooLarge => RequestError::RequestTooLarge { limit },
            ReadError::TooSlow => RequestError::BodyTimeout,
            ReadError::Broken(reason) => RequestError::BadRequest(reason),
        })
    }
}

/// A request body's coding problem as the gateway answers it: 415 for a
/// coding it does not take or a body not in it, 413 past the limit.
fn decode_error(e: DecodeError) -> RequestError {
    match e {
        DecodeError::TooLarge(limit) => RequestError::RequestTooLarge { limit },
        other => RequestError::UnsupportedMediaType(other.to_string()),
    }
}
