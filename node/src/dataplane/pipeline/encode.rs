//! Phase `encode`: the answer's content encoding. The gateway compresses
//! nothing yet (a stage's `minimumCompressionSize` is not applied), so this
//! hands the answer on as it is; compression plugs in here.

use http::Response;

use super::exchange::Exchange;
use super::Gateway;
use crate::dataplane::body::Body;

impl Gateway {
    /// Hands the answer on unchanged.
    pub(super) fn encode<B>(
        &self,
        _ex: &Exchange<'_, B>,
        response: Response<Body>,
    ) -> Response<Body> {
        response
    }
}
