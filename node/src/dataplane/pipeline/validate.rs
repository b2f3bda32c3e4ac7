//! Phase `validate`: the method's request validator over the request, its
//! body read first (within the payload limit and pace) and decoded if the
//! client compressed it.

use bytes::Bytes;

use super::exchange::{Exchange, Route};
use super::Gateway;
use crate::dataplane::body::RequestBody;
use crate::dataplane::error::RequestError;
use crate::dataplane::validate::validate;

impl Gateway {
    /// Reads the body and checks required parameters and the body model;
    /// returns the body for the integration.
    pub(super) async fn validate<B: RequestBody>(
        &self,
        ex: &mut Exchange<'_, B>,
        route: &Route,
    ) -> Result<Bytes, RequestError> {
        let body = self.body_bytes(ex).await?;
        let body = self.decoded_body(ex, body)?;
        validate(&route.method.validation, &ex.ctx, &body)?;
        Ok(body)
    }
}
