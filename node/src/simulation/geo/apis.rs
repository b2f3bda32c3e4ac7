//! The request side of a scenario: the APIs its regional nodes serve
//! (OpenAPI files, as `apigw serve` takes them, each deployed to a stage
//! with its cache and its simulated backend), API keys, usage plans, and
//! each client population's request mix. Read and checked when the
//! scenario is parsed, so a bad file or an unknown name is refused then,
//! with the file or field named.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::import::{self, ImportOptions};
use crate::model::{IntegrationType, RestApi};

/// An API the regional nodes serve.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    /// How requests and the report name it; its id is derived from it.
    pub name: String,
    /// The OpenAPI 3 / Swagger 2 file, relative to the scenario file.
    pub openapi: PathBuf,
    #[serde(default = "prod")]
    pub stage: String,
    /// The stage cache (off unless given).
    #[serde(default)]
    pub cache: Option<CacheSpec>,
    /// The backend behind the API's MOCK integrations.
    #[serde(default)]
    pub backend: BackendSpec,
}

fn prod() -> String {
    "prod".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Entries live this long (AWS: 300 s by default, at most 3600).
    #[serde(default = "ttl")]
    pub ttl_s: u32,
}

fn yes() -> bool {
    true
}

fn ttl() -> u32 {
    300
}

/// A simulated backend: the latency and failures put around a MOCK
/// integration's answer (no socket is opened).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BackendSpec {
    #[serde(default)]
    pub latency_ms: u64,
    /// Up to this much more, drawn per call (seeded).
    #[serde(default)]
    pub jitter_ms: u64,
    /// Share of calls that fail (the gateway answers 504, AWS's
    /// `INTEGRATION_FAILURE` response, `InternalServerErrorException`).
    #[serde(default)]
    pub error_rate: f64,
    /// Share of calls that time out (504, `INTEGRATION_TIMEOUT`, after
    /// `timeout_ms`).
    #[serde(default)]
    pub timeout_rate: f64,
    /// How long a call that times out holds the request (the method's
    /// integration timeout; AWS's default is 29 s).
    #[serde(default = "timeout_ms")]
    pub timeout_ms: u64,
}

fn timeout_ms() -> u64 {
    29_000
}

impl Default for BackendSpec {
    fn default() -> Self {
        BackendSpec {
            latency_ms: 0,
            jitter_ms: 0,
            error_rate: 0.0,
            timeout_rate: 0.0,
            timeout_ms: timeout_ms(),
        }
    }
}

/// An API key; its value defaults to one derived from its name.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl KeySpec {
    /// The value clients send in `x-api-key`.
    pub fn value(&self) -> String {
        self.value
            .clone()
            .unwrap_or_else(|| format!("sim-key-{}-0123456789", self.name))
    }
}

/// A usage plan over the stages of `apis`, for `keys`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSpec {
    pub name: String,
    /// Requests per second, cluster-wide (absent: no throttle).
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default)]
    pub burst: Option<u32>,
    #[serde(default)]
    pub quota: Option<QuotaSpec>,
    /// API names (each API's stage).
    pub apis: Vec<String>,
    /// Key names.
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSpec {
    pub limit: u64,
    /// `DAY`, `WEEK` or `MONTH`.
    #[serde(default = "day")]
    pub period: String,
}

fn day() -> String {
    "DAY".into()
}

/// One kind of request in a client population's mix.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// Its share of the mix, against the other entries' weights.
    #[serde(default = "one")]
    pub weight: u32,
    /// The API's name (may be left out when the scenario has one API).
    #[serde(default)]
    pub api: Option<String>,
    #[serde(default = "get")]
    pub method: String,
    /// The path inside the stage, with its query (`/pets?limit=2`).
    pub path: String,
    /// The API key's name, sent in `x-api-key`.
    #[serde(default)]
    pub key: Option<String>,
    /// A JSON body (sent with `content-type: application/json`).
    #[serde(default)]
    pub body: Option<String>,
}

fn one() -> u32 {
    1
}

fn get() -> String {
    "GET".into()
}

/// An API read from its file and imported, with the id it is served under.
#[derive(Debug, Clone)]
pub struct LoadedApi {
    pub spec: ApiSpec,
    pub api: RestApi,
}

/// Reads and imports every API's file (relative to `base`), refusing what
/// the simulator cannot serve.
pub fn load(apis: &[ApiSpec], base: &Path) -> Result<Vec<LoadedApi>, String> {
    let mut loaded = Vec::new();
    for (i, spec) in apis.iter().enumerate() {
        let path = base.join(&spec.openapi);
        let at = format!("apis[{i}] `{}` ({})", spec.name, path.display());
        if apis[..i].iter().any(|a| a.name == spec.name) {
            return Err(format!("{at}: a second API of that name"));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{at}: cannot read: {e}"))?;
        let doc = import::parse_document(&text).map_err(|e| format!("{at}: {e}"))?;
        let options = ImportOptions {
            api_id: api_id(&spec.name),
            max_integration_timeout_ms: 29_000,
        };
        let imported = import::import(&doc, &options).map_err(|e| format!("{at}: {e}"))?;
        servable(&imported.api).map_err(|e| format!("{at}: {e}"))?;
        loaded.push(LoadedApi {
            spec: spec.clone(),
            api: imported.api,
        });
    }
    Ok(loaded)
}

/// The id an API of the scenario is served under.
pub fn api_id(name: &str) -> String {
    crate::ids::api_id_for_name(&format!("sim:{name}"))
}

/// Only MOCK integrations and NONE authorization run in the simulator: an
/// HTTP integration would open a real socket, a Lambda one needs a process.
fn servable(api: &RestApi) -> Result<(), String> {
    for (path, resource) in &api.resources {
        for (verb, method) in &resource.methods {
            if method.authorization_type != "NONE" {
                return Err(format!(
                    "{verb} {path} uses authorization {}: the simulator runs NONE (with or without an API key) only",
                    method.authorization_type
                ));
            }
            match &method.integration {
                Some(i) if i.kind != IntegrationType::Mock => {
                    return Err(format!(
                        "{verb} {path} integrates {:?}: the simulator serves MOCK integrations (the scenario's `backend` gives them latency and failures)",
                        i.kind
                    ))
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Checks the names the keys, plans and request mixes (each client
/// population's name and requests) use.
pub fn check(
    apis: &[ApiSpec],
    keys: &[KeySpec],
    plans: &[PlanSpec],
    clients: &[(&str, &[RequestSpec])],
) -> Result<(), String> {
    let api = |name: &str, at: &str| {
        apis.iter()
            .any(|a| a.name == name)
            .then_some(())
            .ok_or_else(|| format!("{at}: unknown API `{name}`"))
    };
    let key = |name: &str, at: &str| {
        keys.iter()
            .any(|k| k.name == name)
            .then_some(())
            .ok_or_else(|| format!("{at}: unknown key `{name}`"))
    };
    for (i, a) in apis.iter().enumerate() {
        let b = &a.backend;
        let rates = [b.error_rate, b.timeout_rate];
        if rates.iter().any(|r| !(0.0..=1.0).contains(r)) || b.error_rate + b.timeout_rate > 1.0 {
            return Err(format!(
                "apis[{i}].backend: error_rate and timeout_rate are shares, 0 to 1 together"
            ));
        }
        if a.cache.as_ref().is_some_and(|c| c.ttl_s > 3600) {
            return Err(format!("apis[{i}].cache.ttl_s: at most 3600"));
        }
    }
    for (i, k) in keys.iter().enumerate() {
        if keys[..i].iter().any(|o| o.name == k.name) {
            return Err(format!("keys[{i}]: a second key named `{}`", k.name));
        }
        if k.value().len() < 20 {
            return Err(format!(
                "keys[{i}].value: API key values are at least 20 characters"
            ));
        }
    }
    for (i, p) in plans.iter().enumerate() {
        let at = format!("usage_plans[{i}] `{}`", p.name);
        for a in &p.apis {
            api(a, &format!("{at}.apis"))?;
        }
        for k in &p.keys {
            key(k, &format!("{at}.keys"))?;
        }
        if p.rate.is_some() != p.burst.is_some() {
            return Err(format!("{at}: give rate and burst together"));
        }
        if let Some(q) = &p.quota {
            if !matches!(q.period.as_str(), "DAY" | "WEEK" | "MONTH") {
                return Err(format!("{at}.quota.period: DAY, WEEK or MONTH"));
            }
        }
    }
    for (name, requests) in clients {
        check_mix(apis, name, requests, &api, &key)?;
    }
    Ok(())
}

/// Checks one client population's mix.
fn check_mix(
    apis: &[ApiSpec],
    name: &str,
    requests: &[RequestSpec],
    api: &dyn Fn(&str, &str) -> Result<(), String>,
    key: &dyn Fn(&str, &str) -> Result<(), String>,
) -> Result<(), String> {
    if apis.is_empty() {
        if !requests.is_empty() {
            return Err(format!(
                "clients `{name}`.requests: the scenario has no `apis`"
            ));
        }
        return Ok(());
    }
    if requests.is_empty() {
        return Err(format!(
            "clients `{name}`: give `requests` when the scenario has `apis`"
        ));
    }
    for (j, r) in requests.iter().enumerate() {
        let at = format!("clients `{name}`.requests[{j}]");
        match (&r.api, apis) {
            (Some(name), _) => api(name, &format!("{at}.api"))?,
            (None, [_]) => {}
            (None, _) => return Err(format!("{at}: name the `api` (the scenario has several)")),
        }
        if let Some(k) = &r.key {
            key(k, &format!("{at}.key"))?;
        }
        if !r.path.starts_with('/') || http::Method::from_bytes(r.method.as_bytes()).is_err() {
            return Err(format!("{at}: a method and a path starting with `/`"));
        }
    }
    if requests.iter().all(|r| r.weight == 0) {
        return Err(format!("clients `{name}`.requests: every weight is 0"));
    }
    Ok(())
}
