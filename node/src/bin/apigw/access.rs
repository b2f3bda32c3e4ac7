//! Builds the node's API keys and usage plans from the config.

use std::sync::Arc;

use anyhow::Result;
use apigw::access::{Access, ApiKey, PlanStage, UsagePlan};
use apigw::throttle::{Counters, LocalCounters, Period, Quota, Rate};

use crate::config::{Loaded, ThrottleSection};

fn rate(t: &ThrottleSection) -> Rate {
    Rate {
        per_second: t.rate,
        burst: t.burst,
    }
}

/// Keys, plans and the account throttle, over this node's counters.
pub fn build(loaded: &Loaded) -> Result<Access> {
    let file = &loaded.file;
    let keys = file
        .api_keys
        .iter()
        .map(|k| ApiKey {
            id: apigw::ids::api_id_for_name(&format!("key:{}", k.name)),
            name: k.name.clone(),
            value: k.value.clone(),
            enabled: k.enabled,
        })
        .collect::<Vec<_>>();
    let key_id = |name: &str| keys.iter().find(|k| k.name == name).map(|k| k.id.clone());
    let plans = file
        .usage_plans
        .iter()
        .map(|p| UsagePlan {
            id: apigw::ids::api_id_for_name(&format!("plan:{}", p.name)),
            name: p.name.clone(),
            throttle: p.throttle.as_ref().map(rate),
            quota: p.quota.as_ref().map(|q| Quota {
                limit: q.limit,
                period: match q.period.as_str() {
                    "WEEK" => Period::Week,
                    "MONTH" => Period::Month,
                    _ => Period::Day,
                },
                offset: q.offset,
            }),
            stages: p
                .stages
                .iter()
                .map(|s| PlanStage {
                    api_id: s.api.clone(),
                    stage: s.stage.clone(),
                    methods: s
                        .methods
                        .iter()
                        .map(|(k, t)| (k.clone(), rate(t)))
                        .collect(),
                })
                .collect(),
            keys: p.keys.iter().filter_map(|k| key_id(k)).collect(),
        })
        .collect();
    let counters: Arc<dyn Counters> = Arc::new(LocalCounters::default());
    Ok(Access::new(
        Rate {
            per_second: file.limits.account_rate_limit,
            burst: file.limits.account_burst_limit,
        },
        keys,
        plans,
        counters,
    ))
}
