//! API keys, usage plans and the throttling settings around them, and the
//! admission check a request passes before its integration:
//!
//! 1. the account's rate (default 10,000 rps, burst 5,000);
//! 2. the stage's method settings (`/pets/GET`, else `*/*`);
//! 3. for methods that require an API key: the key (`x-api-key`) must exist,
//!    be enabled and belong to a usage plan of this stage (else 403
//!    Forbidden); then the plan's throttle (per method if set) -> 429
//!    `Too Many Requests`, and its quota -> 429 `Limit Exceeded`.
//!
//! Every counter goes through [`Counters`], so a cluster can share them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub use crate::model::usage::{ApiKey, PlanStage, UsagePlan};
use crate::throttle::{Counters, LocalCounters, Rate};

/// Why admission refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("throttled by {0}")]
    Throttled(String),
    #[error("API key missing, unknown, disabled or not in a usage plan of this stage")]
    Forbidden,
    #[error("usage plan {plan} quota exhausted for key {key}")]
    QuotaExceeded { plan: String, key: String },
}

/// Everything admission needs: settings and counters.
pub struct Access {
    account: Rate,
    registry: arc_swap::ArcSwap<Registry>,
    counters: Arc<dyn Counters>,
    refused: Refused,
    /// The time throttles and quota windows are judged at: the system's,
    /// or a simulation's.
    clock: fn() -> SystemTime,
}

/// Keys and plans, looked up by admission; replaced whole when they change.
#[derive(Default)]
struct Registry {
    keys_by_value: HashMap<String, Arc<ApiKey>>,
    plans_by_key: HashMap<String, Vec<Arc<UsagePlan>>>,
}

impl Registry {
    fn new(keys: Vec<ApiKey>, plans: Vec<UsagePlan>) -> Registry {
        let keys_by_value = keys
            .into_iter()
            .map(|k| (k.value.clone(), Arc::new(k)))
            .collect();
        let mut plans_by_key: HashMap<String, Vec<Arc<UsagePlan>>> = HashMap::new();
        for plan in plans {
            let plan = Arc::new(plan);
            for key in &plan.keys {
                plans_by_key
                    .entry(key.clone())
                    .or_default()
                    .push(plan.clone());
            }
        }
        Registry {
            keys_by_value,
            plans_by_key,
        }
    }
}

/// How many requests admission refused, by reason.
#[derive(Default)]
struct Refused {
    throttled: AtomicU64,
    quota: AtomicU64,
    forbidden: AtomicU64,
}

impl Default for Access {
    fn default() -> Self {
        Access::new(
            Rate {
                per_second: 10_000.0,
                burst: 5_000,
            },
            Vec::new(),
            Vec::new(),
            Arc::new(LocalCounters::default()),
        )
    }
}

/// The request facts admission looks at.
pub struct Request<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    /// `{resourcePath}/{METHOD}`, as method settings are keyed.
    pub method_key: &'a str,
    /// The stage's throttle for this method, if any (method, else `*/*`).
    pub stage_throttle: Option<Rate>,
    pub api_key_required: bool,
    pub api_key: Option<&'a str>,
}

/// What admission learned: the key the request used, for `$context.identity.apiKey`.
#[derive(Debug, Default)]
pub struct Admitted {
    pub api_key_id: Option<String>,
    pub api_key: Option<String>,
}

impl Access {
    pub fn new(
        account: Rate,
        keys: Vec<ApiKey>,
        plans: Vec<UsagePlan>,
        counters: Arc<dyn Counters>,
    ) -> Access {
        Access {
            account,
            registry: arc_swap::ArcSwap::from_pointee(Registry::new(keys, plans)),
            counters,
            refused: Refused::default(),
            clock: SystemTime::now,
        }
    }

    /// The same admission judged at `clock`'s time (a simulation's, which
    /// runs apart from the system's).
    pub fn with_clock(mut self, clock: fn() -> SystemTime) -> Access {
        self.clock = clock;
        self
    }

    /// Replaces the keys and plans (when the control plane changed them).
    pub fn load(&self, keys: Vec<ApiKey>, plans: Vec<UsagePlan>) {
        self.registry.store(Arc::new(Registry::new(keys, plans)));
    }

    /// Prometheus text for admission refusals.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        for (name, help, counter) in [
            (
                "apigw_throttled_total",
                "Requests refused by a throttle (429).",
                &self.refused.throttled,
            ),
            (
                "apigw_quota_exceeded_total",
                "Requests refused by a usage plan quota (429).",
                &self.refused.quota,
            ),
            (
                "apigw_api_key_refused_total",
                "Requests refused for their API key (403).",
                &self.refused.forbidden,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                counter.load(Ordering::Relaxed)
            ));
        }
        out
    }

    /// The counters (for metrics and the cluster).
    pub fn counters(&self) -> &Arc<dyn Counters> {
        &self.counters
    }

    /// Admits or refuses a request.
    pub fn admit(&self, request: &Request<'_>) -> Result<Admitted, Refusal> {
        let result = self.decide(request);
        if let Err(refusal) = &result {
            let counter = match refusal {
                Refusal::Throttled(_) => &self.refused.throttled,
                Refusal::QuotaExceeded { .. } => &self.refused.quota,
                Refusal::Forbidden => &self.refused.forbidden,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    fn decide(&self, request: &Request<'_>) -> Result<Admitted, Refusal> {
        let now = (self.clock)();
        let clock = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        if !self.counters.try_acquire("account", self.account, clock) {
            return Err(Refusal::Throttled("the account limit".into()));
        }
        if let Some(rate) = request.stage_throttle {
            let key = format!(
                "stage:{}:{}:{}",
                request.api_id, request.stage, request.method_key
            );
            if !self.counters.try_acquire(&key, rate, clock) {
                return Err(Refusal::Throttled(format!(
                    "stage {} method {}",
                    request.stage, request.method_key
                )));
            }
        }
        if !request.api_key_required {
            return Ok(Admitted::default());
        }
        let registry = self.registry.load();
        let key = request
            .api_key
            .and_then(|v| registry.keys_by_value.get(v))
            .filter(|k| k.enabled)
            .ok_or(Refusal::Forbidden)?;
        let (plan, plan_stage) = registry
            .plans_by_key
            .get(&key.id)
            .into_iter()
            .flatten()
            .find_map(|plan| {
                plan.stages
                    .iter()
                    .find(|s| s.api_id == request.api_id && s.stage == request.stage)
                    .map(|s| (plan, s))
            })
            .ok_or(Refusal::Forbidden)?;
        let method_rate = plan_stage.methods.get(request.method_key).copied();
        if let Some(rate) = method_rate.or(plan.throttle) {
            let scope = if method_rate.is_some() {
                request.method_key
            } else {
                "*"
            };
            let counter = format!("plan:{}:{}:{scope}", plan.id, key.id);
            if !self.counters.try_acquire(&counter, rate, clock) {
                return Err(Refusal::Throttled(format!(
                    "usage plan {} for key {}",
                    plan.name, key.name
                )));
            }
        }
        if let Some(quota) = plan.quota {
            let counter = format!("quota:{}:{}", plan.id, key.id);
            if self
                .counters
                .try_consume(&counter, quota.window(now), quota.limit)
                .is_none()
            {
                return Err(Refusal::QuotaExceeded {
                    plan: plan.name.clone(),
                    key: key.name.clone(),
                });
            }
        }
        Ok(Admitted {
            api_key_id: Some(key.id.clone()),
            api_key: Some(key.value.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttle::{Period, Quota};

    fn access() -> Access {
        let key = |id: &str, enabled| ApiKey {
            id: id.into(),
            name: id.into(),
            value: format!("value-{id}"),
            enabled,
            from_config: false,
            description: None,
            customer_id: None,
            created_date: 0,
            last_updated_date: 0,
            created_micros: 0,
        };
        let plan = UsagePlan {
            id: "p1".into(),
            name: "basic".into(),
            throttle: Some(Rate {
                per_second: 1000.0,
                burst: 1000,
            }),
            quota: Some(Quota {
                limit: 3,
                period: Period::Day,
                offset: 0,
            }),
            stages: vec![PlanStage {
                api_id: "api".into(),
                stage: "prod".into(),
                methods: HashMap::from([(
                    "/slow/GET".to_string(),
                    Rate {
                        per_second: 1.0,
                        burst: 1,
                    },
                )]),
            }],
            keys: vec!["a".into(), "off".into()],
            from_config: false,
            description: None,
        };
        Access::new(
            Rate {
                per_second: 10_000.0,
                burst: 5_000,
            },
            vec![key("a", true), key("off", false), key("stranger", true)],
            vec![plan],
            Arc::new(LocalCounters::default()),
        )
    }

    fn request<'a>(method_key: &'a str, key: Option<&'a str>) -> Request<'a> {
        Request {
            api_id: "api",
            stage: "prod",
            method_key,
            stage_throttle: None,
            api_key_required: true,
            api_key: key,
        }
    }

    #[test]
    fn keys_must_be_known_enabled_and_planned() {
        let a = access();
        assert_eq!(
            a.admit(&request("/x/GET", None)).err(),
            Some(Refusal::Forbidden)
        );
        assert_eq!(
            a.admit(&request("/x/GET", Some("nope"))).err(),
            Some(Refusal::Forbidden)
        );
        assert_eq!(
            a.admit(&request("/x/GET", Some("value-off"))).err(),
            Some(Refusal::Forbidden)
        );
        assert_eq!(
            a.admit(&request("/x/GET", Some("value-stranger"))).err(),
            Some(Refusal::Forbidden)
        );
        let ok = a
            .admit(&request("/x/GET", Some("value-a")))
            .expect("admitted");
        assert_eq!(ok.api_key_id.as_deref(), Some("a"));
        let mut other_stage = request("/x/GET", Some("value-a"));
        other_stage.stage = "dev";
        assert_eq!(a.admit(&other_stage).err(), Some(Refusal::Forbidden));
    }

    #[test]
    fn quota_then_limit_exceeded() {
        let a = access();
        for _ in 0..3 {
            a.admit(&request("/x/GET", Some("value-a")))
                .expect("within quota");
        }
        assert!(matches!(
            a.admit(&request("/x/GET", Some("value-a"))),
            Err(Refusal::QuotaExceeded { .. })
        ));
    }

    #[test]
    fn method_throttles_override_the_plan() {
        let a = access();
        a.admit(&request("/slow/GET", Some("value-a")))
            .expect("the burst of one");
        assert!(matches!(
            a.admit(&request("/slow/GET", Some("value-a"))),
            Err(Refusal::Throttled(_))
        ));
    }

    #[test]
    fn stage_throttles_apply_without_keys() {
        let a = access();
        let mut r = request("/x/GET", None);
        r.api_key_required = false;
        r.stage_throttle = Some(Rate {
            per_second: 1.0,
            burst: 2,
        });
        assert!(a.admit(&r).is_ok());
        assert!(a.admit(&r).is_ok());
        assert!(matches!(a.admit(&r), Err(Refusal::Throttled(_))));
    }
}
