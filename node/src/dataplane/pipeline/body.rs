//! The request body as the phases see it: a declared length over the limit
//! refused early (phase `limit_body`), and the body read at the client's
//! pace when a phase needs its bytes.

use bytes::Bytes;
use http::header::CONTENT_LENGTH;

use super::exchange::{Exchange, Pending};
use super::Gateway;
use crate::dataplane::body::{drain, read_paced, ReadError, RequestBody};
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
        if declared.is_some_and(|len| len > limit) {
            if let Pending::Unread(body) = ex.body.take() {
                drain(body).await;
            }
            return Err(RequestError::RequestTooLarge { limit });
        }
        Ok(())
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
