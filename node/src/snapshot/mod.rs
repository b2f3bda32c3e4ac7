//! What the data plane serves: every stage of every API with its compiled
//! deployment, behind one atomically swapped pointer.
//!
//! The hot path loads the current [`Snapshot`] (`ArcSwap::load`, no lock) and
//! never waits for the store; a new snapshot is built beside the old one
//! (reusing compiled deployments that did not change) and swapped in.

mod aws_service;
mod canary;
mod compile;
mod compiled;
mod router;
mod websocket;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arc_swap::ArcSwap;

pub use aws_service::{AwsTarget, Protocol, Service, SERVICES};
pub use canary::CanaryView;
pub use compile::{compile, parse_uri};
pub use compiled::*;
pub use router::{Matched, Router};
pub use websocket::{
    compile_ws, identity_source, selection_path, IdentitySource, WsAuth, WsAuthorizer,
    WsIntegration, WsRoute, WsSnapshot, WsStage, WsTarget,
};

use crate::cache::{CachePolicy, UnauthorizedStrategy};
use crate::import::Finding;
use crate::model::{MethodSetting, Stage};
use crate::store::{Store, StoreError};

/// A stage as the data plane sees it.
#[derive(Debug)]
pub struct StageView {
    pub stage_name: String,
    pub variables: BTreeMap<String, String>,
    /// Throttles from the stage's method settings, keyed `/pets/GET` or `*/*`.
    pub throttles: HashMap<String, crate::throttle::Rate>,
    /// Whether the stage cache is on.
    pub cache_enabled: bool,
    pub method_settings: BTreeMap<String, MethodSetting>,
    pub api: Arc<CompiledApi>,
    /// The stage's canary, on the stage's own view (`None` on a canary's
    /// view and on stages without one).
    pub canary: Option<CanaryView>,
    /// `$context.isCanaryRequest`: `None` on stages without a canary.
    pub canary_request: Option<bool>,
    /// The stage part of this view's cache keys: the stage name, or
    /// `{stage}/canary` for a canary that keeps its own entries.
    pub cache_scope: String,
    /// `accessLogSettings` compiled (both a destination and a format).
    pub access_log: Option<Arc<crate::observability::access_format::StageAccessLog>>,
    /// `tracingEnabled`.
    pub tracing_enabled: bool,
    /// Methods counted by `{resource,method}` (`metricsEnabled`).
    pub method_metrics: crate::observability::metrics::MethodMetrics,
    /// The client certificate (`clientCertificateId`) HTTP integrations
    /// present to their backends.
    pub client_identity: Option<Arc<crate::outbound::ClientIdentity>>,
}

impl StageView {
    /// The view of `stage` serving `api` with `variables`.
    fn new(stage: &Stage, api: Arc<CompiledApi>, variables: BTreeMap<String, String>) -> StageView {
        StageView {
            throttles: stage
                .method_settings
                .iter()
                .filter_map(|(key, setting)| {
                    Some((
                        key.clone(),
                        crate::throttle::Rate {
                            per_second: setting.throttling_rate_limit?,
                            burst: setting.throttling_burst_limit?,
                        },
                    ))
                })
                .collect(),
            cache_enabled: stage.cache_cluster_enabled,
            method_settings: stage.method_settings.clone(),
            stage_name: stage.stage_name.clone(),
            variables,
            api,
            canary: None,
            canary_request: stage.canary_settings.as_ref().map(|_| false),
            cache_scope: stage.stage_name.clone(),
            access_log: crate::observability::access_format::StageAccessLog::of(
                stage.access_log_settings.as_ref(),
            )
            .map(Arc::new),
            tracing_enabled: stage.tracing_enabled,
            method_metrics: crate::observability::metrics::MethodMetrics::new(
                stage
                    .method_settings
                    .iter()
                    .map(|(k, m)| (k.as_str(), m.metrics_enabled)),
            ),
            client_identity: None,
        }
    }

    /// A view of no stored stage, named `name`, serving `api` with
    /// `variables` (TestInvokeMethod's `test-invoke-stage`).
    pub fn detached(
        name: &str,
        api: Arc<CompiledApi>,
        variables: BTreeMap<String, String>,
    ) -> StageView {
        let stage = Stage::new(&api.api_id, name, &api.deployment_id, 0);
        StageView::new(&stage, api, variables)
    }

    /// The stage throttle for a method key (`/pets/GET`), else the stage's `*/*`.
    pub fn throttle_for(&self, method_key: &str) -> Option<crate::throttle::Rate> {
        self.throttles
            .get(method_key)
            .or_else(|| self.throttles.get("*/*"))
            .copied()
    }

    /// How this stage caches a method (`None`: not cached): GET methods by
    /// default, others only when their own setting enables caching; TTL 300 s
    /// unless set (at most 3600; 0 turns caching off).
    pub fn cache_policy(&self, method_key: &str, verb: &http::Method) -> Option<CachePolicy> {
        if !self.cache_enabled {
            return None;
        }
        let own = self.method_settings.get(method_key);
        let all = self.method_settings.get("*/*");
        let pick =
            |f: fn(&MethodSetting) -> Option<u32>| own.and_then(f).or_else(|| all.and_then(f));
        let enabled = match own.and_then(|s| s.caching_enabled) {
            Some(explicit) => explicit,
            None => {
                *verb == http::Method::GET && all.and_then(|s| s.caching_enabled).unwrap_or(true)
            }
        };
        let ttl = pick(|s| s.cache_ttl_in_seconds).unwrap_or(300).min(3600);
        if !enabled || ttl == 0 {
            return None;
        }
        let require_authorization = own
            .and_then(|s| s.require_authorization_for_cache_control)
            .or_else(|| all.and_then(|s| s.require_authorization_for_cache_control))
            .unwrap_or(true);
        let unauthorized = own
            .and_then(|s| s.unauthorized_cache_control_header_strategy.as_deref())
            .or_else(|| all.and_then(|s| s.unauthorized_cache_control_header_strategy.as_deref()))
            .and_then(UnauthorizedStrategy::parse)
            .unwrap_or_default();
        Some(CachePolicy {
            ttl: std::time::Duration::from_secs(u64::from(ttl)),
            require_authorization,
            unauthorized,
        })
    }
}

/// Every served stage, by API id then stage name.
#[derive(Debug, Default)]
pub struct Snapshot {
    apis: HashMap<String, HashMap<String, Arc<StageView>>>,
}

impl Snapshot {
    /// The stage `stage` of API `api_id`; `Err(true)` if the API exists without that stage.
    pub fn stage(&self, api_id: &str, stage: &str) -> Result<&Arc<StageView>, bool> {
        let stages = self.apis.get(api_id).ok_or(false)?;
        stages.get(stage).ok_or(true)
    }

    /// Number of stages served.
    pub fn stage_count(&self) -> usize {
        self.apis.values().map(HashMap::len).sum()
    }
}

/// The deployed configuration, shared by all data-plane tasks.
#[derive(Default)]
pub struct Deployed {
    current: ArcSwap<Snapshot>,
    /// The WebSocket APIs' stages.
    websocket: ArcSwap<WsSnapshot>,
}

impl Deployed {
    /// The snapshot to serve a request with.
    pub fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// The WebSocket stages to serve a connection or message with.
    pub fn load_ws(&self) -> arc_swap::Guard<Arc<WsSnapshot>> {
        self.websocket.load()
    }

    /// Rebuilds both snapshots from the store and swaps them in; returns
    /// what could not be compiled (those methods answer 500 until fixed).
    pub fn reload(&self, store: &Store) -> Result<Vec<Finding>, StoreError> {
        let (ws, mut findings) = compile_ws(&store.list_ws_apis()?);
        self.websocket.store(Arc::new(ws));
        findings.extend(self.reload_rest(store)?);
        Ok(findings)
    }

    fn reload_rest(&self, store: &Store) -> Result<Vec<Finding>, StoreError> {
        let old = self.current.load_full();
        let mut compiled: HashMap<(String, String), Arc<CompiledApi>> = HashMap::new();
        for stages in old.apis.values() {
            for view in stages.values() {
                let key = (view.api.api_id.clone(), view.api.deployment_id.clone());
                compiled.insert(key, view.api.clone());
                if let Some(canary) = &view.canary {
                    let api = &canary.stage.api;
                    let key = (api.api_id.clone(), api.deployment_id.clone());
                    compiled.insert(key, api.clone());
                }
            }
        }
        let mut deployments = Deployments {
            store,
            compiled,
            findings: Vec::new(),
        };
        let mut next = Snapshot::default();
        let mut identities = Identities::new(store)?;
        for stage in store.all_stages()? {
            let Some(api) = deployments.get(&stage, &stage.deployment_id)? else {
                continue;
            };
            let identity = identities.of(&stage);
            let canary = match &stage.canary_settings {
                Some(settings) => deployments
                    .get(&stage, &settings.deployment_id)?
                    .map(|api| CanaryView::new(&stage, settings, api))
                    .map(|mut canary| {
                        // Just made: the only reference.
                        debug_assert!(Arc::get_mut(&mut canary.stage).is_some());
                        if let Some(view) = Arc::get_mut(&mut canary.stage) {
                            view.client_identity = identity.clone();
                        }
                        canary
                    }),
                None => None,
            };
            let mut view = StageView::new(&stage, api, stage.variables.clone());
            view.canary = canary;
            view.client_identity = identity;
            next.apis
                .entry(stage.rest_api_id.clone())
                .or_default()
                .insert(stage.stage_name.clone(), Arc::new(view));
        }
        let findings = deployments.findings;
        self.current.store(Arc::new(next));
        Ok(findings)
    }
}

/// The account's client certificates as the stages naming them present
/// them, each read once per reload.
struct Identities {
    stored: BTreeMap<String, crate::model::account::ClientCertificate>,
    read: HashMap<String, Option<Arc<crate::outbound::ClientIdentity>>>,
}

impl Identities {
    fn new(store: &Store) -> Result<Identities, StoreError> {
        Ok(Identities {
            stored: store.get_account()?.client_certificates,
            read: HashMap::new(),
        })
    }

    /// The identity `stage` presents; `None` (logged) when its certificate
    /// is gone or does not parse: the backend then sees no certificate.
    fn of(&mut self, stage: &Stage) -> Option<Arc<crate::outbound::ClientIdentity>> {
        let id = stage.client_certificate_id.as_deref()?;
        if let Some(known) = self.read.get(id) {
            return known.clone();
        }
        let made = match self.stored.get(id) {
            Some(c) => crate::outbound::ClientIdentity::from_pem(
                id,
                &c.pem_encoded_certificate,
                &c.private_key_pem,
            )
            .map(Arc::new)
            .map_err(|e| tracing::warn!(stage = %stage.stage_name, "{e}"))
            .ok(),
            None => {
                tracing::warn!(stage = %stage.stage_name, certificate = id, "the stage's client certificate is gone");
                None
            }
        };
        self.read.insert(id.to_string(), made.clone());
        made
    }
}

/// The compiled deployments a reload serves: those of the last snapshot
/// reused, others read and compiled once each.
struct Deployments<'s> {
    store: &'s Store,
    compiled: HashMap<(String, String), Arc<CompiledApi>>,
    findings: Vec<Finding>,
}

impl Deployments<'_> {
    /// Deployment `id` of `stage`'s API, compiled; `None` (and a finding)
    /// if it is missing.
    fn get(&mut self, stage: &Stage, id: &str) -> Result<Option<Arc<CompiledApi>>, StoreError> {
        let key = (stage.rest_api_id.clone(), id.to_string());
        if let Some(api) = self.compiled.get(&key) {
            return Ok(Some(api.clone()));
        }
        let Some(deployment) = self.store.get_deployment(&stage.rest_api_id, id)? else {
            self.findings.push(Finding {
                at: format!("stage {}/{}", stage.rest_api_id, stage.stage_name),
                message: format!("deployment {id} is missing"),
            });
            return Ok(None);
        };
        let (api, found) = compile(&deployment);
        self.findings.extend(found.into_iter().map(|f| Finding {
            at: format!(
                "API {} deployment {}: {}",
                deployment.rest_api_id, deployment.id, f.at
            ),
            message: f.message,
        }));
        let api = Arc::new(api);
        self.compiled.insert(key, api.clone());
        Ok(Some(api))
    }
}
