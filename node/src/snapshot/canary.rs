//! A stage's canary release as the data plane serves it: the canary
//! deployment compiled beside the stage's own, the stage variables the
//! canary sees (the stage's, overlaid by the overrides), its own cache
//! entries unless `useStageCache`, and the per-request choice between
//! the two.
//!
//! The choice is a pure function of a number the caller draws for each
//! request (uniform in `[0, 1)`), so it is random per request, not per
//! connection, and tests can drive it. Every node of a cluster holds the
//! same canary settings (they replicate with the stage record), so every
//! node splits at the same share.

use std::sync::Arc;

use super::{CompiledApi, StageView};
use crate::model::{CanarySettings, Stage};

/// The canary of a stage.
#[derive(Debug)]
pub struct CanaryView {
    /// The share of requests it takes, from 0.0 to 1.0.
    pub share: f64,
    /// What a canary request is served with.
    pub stage: Arc<StageView>,
}

impl CanaryView {
    /// The canary of `stage` as `settings` describe it, serving `api`.
    pub(super) fn new(
        stage: &Stage,
        settings: &CanarySettings,
        api: Arc<CompiledApi>,
    ) -> CanaryView {
        let mut view = StageView::new(stage, api, settings.variables(&stage.variables));
        view.canary_request = Some(true);
        if !settings.use_stage_cache {
            view.cache_scope = format!("{}/canary", stage.stage_name);
        }
        CanaryView {
            share: (settings.percent_traffic / 100.0).clamp(0.0, 1.0),
            stage: Arc::new(view),
        }
    }
}

impl StageView {
    /// The view one request is served with: the canary's when `roll`
    /// (uniform in `[0, 1)`) falls below its share, else this one.
    pub fn split(self: &Arc<Self>, roll: f64) -> &Arc<StageView> {
        match &self.canary {
            Some(canary) if roll < canary.share => &canary.stage,
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn api(deployment: &str) -> Arc<CompiledApi> {
        let d = crate::model::Deployment {
            id: deployment.into(),
            rest_api_id: "a".into(),
            description: None,
            created_date: 0,
            api: crate::import::test_api(
                r#"{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {}}"#,
            ),
        };
        Arc::new(super::super::compile(&d).0)
    }

    fn stage_with_canary(percent: f64, shared_cache: bool) -> Arc<StageView> {
        let mut stage = Stage::new("a", "prod", "d1", 0);
        stage.variables = BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
        let settings = CanarySettings {
            deployment_id: "d2".into(),
            percent_traffic: percent,
            stage_variable_overrides: BTreeMap::from([("b".into(), "9".into())]),
            use_stage_cache: shared_cache,
        };
        stage.canary_settings = Some(settings.clone());
        let mut view = StageView::new(&stage, api("d1"), stage.variables.clone());
        view.canary = Some(CanaryView::new(&stage, &settings, api("d2")));
        Arc::new(view)
    }

    #[test]
    fn a_roll_below_the_share_goes_to_the_canary() {
        let stage = stage_with_canary(10.0, false);
        let canary = stage.split(0.05);
        assert_eq!(canary.api.deployment_id, "d2");
        assert_eq!(canary.canary_request, Some(true));
        assert_eq!(canary.variables["a"], "1");
        assert_eq!(canary.variables["b"], "9");
        assert_eq!(canary.cache_scope, "prod/canary");
        let own = stage.split(0.1);
        assert_eq!(own.api.deployment_id, "d1");
        assert_eq!(own.canary_request, Some(false));
        assert_eq!(own.variables["b"], "2");
        assert_eq!(own.cache_scope, "prod");
    }

    #[test]
    fn the_edges_of_the_share() {
        let none = stage_with_canary(0.0, true);
        assert_eq!(none.split(0.0).api.deployment_id, "d1");
        let all = stage_with_canary(100.0, true);
        assert_eq!(all.split(0.999_999).api.deployment_id, "d2");
        assert_eq!(all.split(0.5).cache_scope, "prod");
    }
}
