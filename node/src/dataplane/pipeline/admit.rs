//! Phase `admit`: the account and stage throttles, the API key and the usage
//! plan's throttle and quota.

use super::exchange::{Exchange, Route};
use super::Gateway;
use crate::access::{self, Refusal};
use crate::dataplane::error::RequestError;

impl Gateway {
    /// Admits the request or refuses it (429, or 403 without a valid key);
    /// sets the API key it was admitted with. The key is the `x-api-key`
    /// header, or the one a Lambda authorizer named when the API takes keys
    /// from its authorizer.
    pub(super) fn admit<B>(
        &self,
        ex: &mut Exchange<'_, B>,
        route: &Route,
    ) -> Result<(), RequestError> {
        let stage = &route.stage;
        let api_key = if stage.api.api_key_from_authorizer {
            ex.usage_key.take()
        } else {
            ex.ctx.header("x-api-key").map(str::to_string)
        };
        let admitted = self
            .services
            .access
            .admit(&access::Request {
                api_id: &stage.api.api_id,
                stage: &stage.stage_name,
                method_key: &route.method_key,
                stage_throttle: stage.throttle_for(&route.method_key),
                api_key_required: route.method.api_key_required,
                api_key: api_key.as_deref(),
            })
            .map_err(refused)?;
        ex.ctx.api_key = admitted.api_key;
        ex.ctx.api_key_id = admitted.api_key_id;
        Ok(())
    }
}

/// The error a refusal answers with.
fn refused(refusal: Refusal) -> RequestError {
    match refusal {
        Refusal::Throttled(by) => RequestError::Throttled(by),
        Refusal::Forbidden => RequestError::ApiKeyRequired,
        Refusal::QuotaExceeded { plan, key } => {
            RequestError::QuotaExceeded(format!("usage plan {plan}, key {key}"))
        }
    }
}
