//! The production request pipeline on a simulated regional node: the
//! scenario's APIs imported and deployed into a store (as `apigw serve`
//! does with its config), its keys and usage plans, and per node a
//! [`Gateway`] over that snapshot with the cluster's admission counters
//! (CRDT, spread by the node's gossip) and its replicated stage cache,
//! answering forwarded QUIC streams through [`serve_stream`], the path
//! production regional nodes take.
//!
//! What is not production: MOCK integrations are preceded by the
//! scenario's simulated backend (latency, failures, timeouts; no socket),
//! the admission clock is simulated time, and the stage cache is wrapped
//! to count hits and misses per API for the report.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apigw_cluster::{CrdtCounters, Gossip, Transport};

use super::apis::{api_id, BackendSpec};
use super::scenario::Scenario;
use crate::access::{Access, ApiKey, PlanStage, UsagePlan};
use crate::cache::{CachedResponse, LocalCache, ResponseCache};
use crate::dataplane::edge::serve_stream;
use crate::dataplane::error::RequestError;
use crate::dataplane::integration::mock::{BackendCall, SimulatedBackend};
use crate::dataplane::{Gateway, Limits, Services};
use crate::model::{Deployment, MethodSetting, Stage};
use crate::snapshot::Deployed;
use crate::throttle::{Period, Quota, Rate};

/// Simulated time starts at this Unix time (a whole day: quota windows
/// do not roll over during a run).
const EPOCH_S: u64 = 1_767_225_600;

/// The admission clock: simulated time from [`EPOCH_S`].
fn sim_clock() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(EPOCH_S) + turmoil::sim_elapsed().unwrap_or_default()
}

/// Stage cache hits and misses per API id, over every node of the run.
#[derive(Default)]
pub struct CacheTally(Mutex<BTreeMap<String, (u64, u64)>>);

impl CacheTally {
    /// (hits, misses) per API id.
    pub fn counts(&self) -> BTreeMap<String, (u64, u64)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What every node's gateway is built from, made once per run.
pub struct Served {
    deployed: Arc<Deployed>,
    keys: Vec<ApiKey>,
    plans: Vec<UsagePlan>,
    observability: Arc<crate::observability::Observability>,
    backends: HashMap<String, BackendSpec>,
    seed: u64,
    pub tally: Arc<CacheTally>,
}

impl Served {
    /// Imports and deploys the scenario's APIs into a store under `dir`;
    /// `None` when the scenario has none.
    pub fn build(scenario: &Scenario, dir: &Path) -> Result<Option<Served>, String> {
        if scenario.loaded.is_empty() {
            return Ok(None);
        }
        let store = crate::store::Store::open(&dir.join("apis")).map_err(|e| e.to_string())?;
        let put = |what: &str, r: Result<(), crate::store::StoreError>| {
            r.map_err(|e| format!("storing {what}: {e}"))
        };
        for loaded in &scenario.loaded {
            let api = &loaded.api;
            put("an API", store.put_api(api))?;
            let deployment = Deployment {
                id: format!("sim{}", api.id),
                rest_api_id: api.id.clone(),
                description: Some("deployed by the simulator".into()),
                created_date: EPOCH_S,
                api: api.clone(),
            };
            put("a deployment", store.put_deployment(&deployment))?;
            put("a stage", store.put_stage(&stage(loaded, &deployment.id)))?;
        }
        let (keys, plans) = keys_and_plans(scenario);
        for key in &keys {
            put("a key", store.put_api_key(key))?;
        }
        for plan in &plans {
            put("a usage plan", store.put_usage_plan(plan))?;
        }
        let deployed = Arc::new(Deployed::default());
        let findings = deployed.reload(&store).map_err(|e| e.to_string())?;
        if let Some(f) = findings.first() {
            return Err(format!("apis: {}: {}", f.at, f.message));
        }
        let observability = crate::observability::Observability::start(Default::default())
            .map_err(|e| e.to_string())?;
        Ok(Some(Served {
            deployed,
            keys,
            plans,
            observability: Arc::new(observability),
            backends: scenario
                .loaded
                .iter()
                .map(|l| (l.api.id.clone(), l.spec.backend.clone()))
                .collect(),
            seed: scenario.seed,
            tally: Arc::default(),
        }))
    }

    /// A regional node's gateway: admission over the node's CRDT counters
    /// (shared with `peers` other regional nodes: `apigw serve` counts
    /// every configured peer, but edges admit nothing, so only regional
    /// ones share the headroom here), the stage cache replicated to its
    /// region by `gossip`.
    pub fn gateway(
        &self,
        node_id: u64,
        region: &str,
        counters: Arc<CrdtCounters>,
        gossip: Arc<Gossip>,
        peers: usize,
    ) -> Result<Gateway, String> {
        let shared: Arc<dyn crate::throttle::Counters> =
            Arc::new(crate::shared_counters::SharedCounters::new(counters, peers));
        let access = Access::new(
            Rate {
                per_second: 10_000.0,
                burst: 5_000,
            },
            self.keys.clone(),
            self.plans.clone(),
            shared.clone(),
        )
        .with_clock(sim_clock);
        let local = Arc::new(LocalCache::new(64 * 1024 * 1024));
        let cache = Tallied {
            inner: Arc::new(crate::replicated_cache::ReplicatedCache::new(local, gossip)),
            tally: self.tally.clone(),
        };
        let functions = Arc::new(crate::functions::Functions::new(
            tokio::runtime::Handle::current(),
        ));
        let services = Services {
            functions: functions.clone(),
            cache: Arc::new(cache),
            access: Arc::new(access),
            authorizers: Default::default(),
            iam: Default::default(),
            identities: Default::default(),
            jwt: Default::default(),
            cluster: None,
            region: region.to_string(),
            edge: None,
            networks: Default::default(),
            capacity: Default::default(),
            waf: Arc::new(crate::web_acls::WebAcls::new(shared.clone())),
            domains: Default::default(),
            websocket: Arc::new(crate::dataplane::websocket::WebSockets::new(
                Default::default(),
                functions,
                self.deployed.clone(),
                region,
                None,
                shared,
            )),
            observability: self.observability.clone(),
            aws: Default::default(),
            upstreams: Arc::new(crate::dataplane::integration::upstream::Upstreams::new(
                Vec::new(),
            )),
            simulated_backend: Some(Arc::new(Backends {
                by_api: self.backends.clone(),
                draws: Mutex::new(self.seed ^ node_id.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            })),
        };
        let client = crate::outbound::HttpClient::new(Duration::from_secs(90), 10 * 1024 * 1024)
            .map_err(|e| e.to_string())?;
        Ok(Gateway::new(
            self.deployed.clone(),
            client,
            Arc::new(services),
            Limits::default(),
        ))
    }
}

/// The stage of an API, with its cache setting.
fn stage(loaded: &super::apis::LoadedApi, deployment_id: &str) -> Stage {
    let mut stage = Stage::new(&loaded.api.id, &loaded.spec.stage, deployment_id, EPOCH_S);
    if let Some(cache) = loaded.spec.cache.as_ref().filter(|c| c.enabled) {
        stage.cache_cluster_enabled = true;
        stage.method_settings.insert(
            "*/*".into(),
            MethodSetting {
                caching_enabled: Some(true),
                cache_ttl_in_seconds: Some(cache.ttl_s),
                ..MethodSetting::default()
            },
        );
    }
    stage
}

/// The scenario's keys and plans as the store keeps them.
fn keys_and_plans(scenario: &Scenario) -> (Vec<ApiKey>, Vec<UsagePlan>) {
    let key_id = |name: &str| crate::ids::api_id_for_name(&format!("key:{name}"));
    let keys = scenario
        .keys
        .iter()
        .map(|k| ApiKey {
            id: key_id(&k.name),
            name: k.name.clone(),
            value: k.value(),
            enabled: k.enabled,
            from_config: true,
            description: None,
            customer_id: None,
            created_date: EPOCH_S,
            last_updated_date: EPOCH_S,
            created_micros: 0,
        })
        .collect();
    let stage_of = |name: &str| {
        scenario
            .apis
            .iter()
            .find(|a| a.name == name)
            .map_or_else(String::new, |a| a.stage.clone())
    };
    let plans = scenario
        .usage_plans
        .iter()
        .map(|p| UsagePlan {
            id: crate::ids::api_id_for_name(&format!("plan:{}", p.name)),
            name: p.name.clone(),
            throttle: p
                .rate
                .zip(p.burst)
                .map(|(per_second, burst)| Rate { per_second, burst }),
            quota: p.quota.as_ref().map(|q| Quota {
                limit: q.limit,
                period: Period::from_aws(&q.period).unwrap_or(Period::Day),
                offset: 0,
            }),
            stages: p
                .apis
                .iter()
                .map(|a| PlanStage {
                    api_id: api_id(a),
                    stage: stage_of(a),
                    methods: HashMap::new(),
                })
                .collect(),
            keys: p.keys.iter().map(|k| key_id(k)).collect(),
            from_config: true,
            description: None,
        })
        .collect();
    (keys, plans)
}

/// Answers forwarded streams with `gateway` (the production
/// [`serve_stream`]); a request counts as the node's load while served.
pub fn serve_forwards(transport: &Transport, gateway: Arc<Gateway>, gossip: Arc<Gossip>) {
    transport.set_stream_handler(Arc::new(move |from, head, send, recv| {
        let (gateway, gossip) = (gateway.clone(), gossip.clone());
        Box::pin(async move {
            gossip.load.fetch_add(1, Ordering::Relaxed);
            serve_stream(gateway, from, head, send, recv).await;
            gossip.load.fetch_sub(1, Ordering::Relaxed);
        })
    }));
}

/// The production cache, its lookups counted per API.
struct Tallied {
    inner: Arc<dyn ResponseCache>,
    tally: Arc<CacheTally>,
}

impl ResponseCache for Tallied {
    fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        let found = self.inner.get(key);
        // Keys start `{api}/{stage}/`.
        let api = key.split('/').next().unwrap_or_default().to_string();
        let mut tally = self.tally.0.lock().unwrap_or_else(|e| e.into_inner());
        let entry = tally.entry(api).or_default();
        if found.is_some() {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        found
    }
    fn put(&self, key: String, response: CachedResponse) {
        self.inner.put(key, response);
    }
    fn invalidate(&self, key: &str) {
        self.inner.invalidate(key);
    }
    fn flush_stage(&self, api_id: &str, stage: &str) {
        self.inner.flush_stage(api_id, stage);
    }
}

/// The scenario's simulated backends, by API id, with a seeded draw.
struct Backends {
    by_api: HashMap<String, BackendSpec>,
    /// SplitMix64 state.
    draws: Mutex<u64>,
}

impl Backends {
    /// A number in [0, 1), the next of the seeded sequence.
    fn draw(&self) -> f64 {
        let mut state = self.draws.lock().unwrap_or_else(|e| e.into_inner());
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl SimulatedBackend for Backends {
    fn call(&self, api_id: &str) -> BackendCall<'_> {
        let spec = self.by_api.get(api_id).cloned().unwrap_or_default();
        let (fate, jitter) = (self.draw(), self.draw());
        Box::pin(async move {
            let latency = spec.latency_ms + (jitter * spec.jitter_ms as f64) as u64;
            if fate < spec.error_rate {
                tokio::time::sleep(Duration::from_millis(latency)).await;
                return Err(RequestError::IntegrationFailure(
                    "the simulated backend failed".into(),
                ));
            }
            if fate < spec.error_rate + spec.timeout_rate {
                tokio::time::sleep(Duration::from_millis(spec.timeout_ms)).await;
                return Err(RequestError::IntegrationTimeout(u128::from(
                    spec.timeout_ms,
                )));
            }
            tokio::time::sleep(Duration::from_millis(latency)).await;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_simulated_backend_takes_its_latency_and_fails_its_share() {
        let spec = BackendSpec {
            latency_ms: 20,
            jitter_ms: 10,
            error_rate: 0.1,
            timeout_rate: 0.05,
            timeout_ms: 1000,
        };
        let backends = Backends {
            by_api: HashMap::from([("a".to_string(), spec)]),
            draws: Mutex::new(7),
        };
        let (mut failed, mut timed_out) = (0, 0);
        for _ in 0..2000 {
            let began = tokio::time::Instant::now();
            match backends.call("a").await {
                Ok(()) => {
                    let took = began.elapsed();
                    assert!(took >= Duration::from_millis(20) && took <= Duration::from_millis(30));
                }
                Err(RequestError::IntegrationFailure(_)) => failed += 1,
                Err(RequestError::IntegrationTimeout(_)) => {
                    assert_eq!(began.elapsed(), Duration::from_millis(1000));
                    timed_out += 1;
                }
                Err(other) => panic!("{other}"),
            }
        }
        assert!((150..250).contains(&failed), "{failed} of 2000 failed");
        assert!(
            (60..140).contains(&timed_out),
            "{timed_out} of 2000 timed out"
        );
        // An API without a backend answers at once.
        let began = tokio::time::Instant::now();
        assert!(backends.call("other").await.is_ok());
        assert_eq!(began.elapsed(), Duration::ZERO);
    }
}
