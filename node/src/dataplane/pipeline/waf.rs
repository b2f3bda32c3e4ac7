//! Phase `waf`: the stage's web ACL, before any policy or authorizer sees
//! the request. Stages carry no web ACL yet, so this lets every request
//! through; the WAF engine (node/waf, `apigw-waf`) plugs in here.

use super::exchange::Exchange;
use super::Gateway;
use crate::dataplane::error::RequestError;
use crate::snapshot::StageView;

impl Gateway {
    /// Lets the request through (no stage has a web ACL yet).
    pub(super) fn waf<B>(
        &self,
        _ex: &mut Exchange<'_, B>,
        _stage: &StageView,
    ) -> Result<(), RequestError> {
        Ok(())
    }
}
