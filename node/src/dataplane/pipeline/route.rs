//! Phase `route`: the resource and method a request is for.

use std::sync::Arc;

use super::exchange::{Exchange, Route};
use super::Gateway;
use crate::dataplane::error::RequestError;
use crate::snapshot::StageView;
use crate::vtl::url::decode_path_component;

impl Gateway {
    /// Matches the path inside the stage to a resource, then the verb to a
    /// method (exact, then `ANY`); sets the resource path and the path
    /// parameters (as sent, and decoded). No match: AWS's
    /// `MissingAuthenticationToken`.
    pub(super) fn route<B>(
        &self,
        ex: &mut Exchange<'_, B>,
        stage: Arc<StageView>,
    ) -> Result<Route, RequestError> {
        let ctx = &mut ex.ctx;
        let matched = stage
            .api
            .router
            .find_for(&ctx.stage_path, |r| r.method(&ctx.method).is_some())
            .ok_or(RequestError::MissingAuthenticationToken)?;
        let method = matched
            .value
            .method(&ctx.method)
            .ok_or(RequestError::MissingAuthenticationToken)?
            .clone();
        ctx.resource_path = Some(matched.value.path.clone());
        ctx.raw_path_params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ctx.path_params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), decode_path_component(v)))
            .collect();
        let method_key = format!("{}/{}", method.resource_path, method.http_method);
        Ok(Route {
            stage,
            method,
            method_key,
        })
    }
}
