//! Phase `locate`: which API and stage a request is for.

use std::sync::Arc;

use super::exchange::Exchange;
use super::Gateway;
use crate::dataplane::error::RequestError;
use crate::dataplane::locate::{locate, normalize};
use crate::snapshot::StageView;

impl Gateway {
    /// Finds the stage from the host or the `/restapis/...` path (dot
    /// segments are resolved before anything is decided on the path), and
    /// the stage's canary for the share of requests it takes; sets the
    /// context's stage and the path inside it.
    pub(super) fn locate<B>(
        &self,
        ex: &mut Exchange<'_, B>,
    ) -> Result<Arc<StageView>, RequestError> {
        let ctx = &mut ex.ctx;
        let path = normalize(&ctx.raw_path);
        // `Host`, else HTTP/2's `:authority`, else the TLS server name.
        let host = Some(ctx.domain_name.clone())
            .filter(|h| !h.is_empty())
            .or_else(|| ctx.tls.as_ref().map(|t| t.server_name.clone()));
        let domains = self.services.domains.routes();
        let located = locate(&domains, host.as_deref(), &path).ok_or(RequestError::NoSuchStage)?;
        ctx.base_path_matched = located.base_path.map(str::to_string);
        let stage = self
            .deployed
            .load()
            .stage(located.api_id, located.stage)
            .map_err(|_| RequestError::NoSuchStage)?
            // A canary release takes its share of requests, each drawn anew.
            .split(rand::random::<f64>())
            .clone();
        let stage_path = located.path.to_string();
        ctx.stage = Some(stage.clone());
        ctx.stage_path = stage_path;
        Ok(stage)
    }
}
