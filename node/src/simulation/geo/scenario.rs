//! A scenario file (YAML): regions with coordinates and nodes, latency
//! between them, client populations by location, a shared rate limit, and
//! a timeline of faults; optionally the APIs the nodes serve, their keys
//! and usage plans, and each population's request mix (`apis.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use super::apis::{ApiSpec, KeySpec, LoadedApi, PlanSpec, RequestSpec};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default = "one")]
    pub seed: u64,
    /// Simulated seconds of load.
    pub duration_s: u64,
    pub regions: Vec<RegionSpec>,
    #[serde(default)]
    pub latency: LatencySpec,
    pub clients: Vec<ClientSpec>,
    /// A cluster-wide limit on requests, counted with the CRDT counters.
    #[serde(default)]
    pub rate_limit: Option<RateLimitSpec>,
    #[serde(default)]
    pub timeline: Vec<Event>,
    /// The edges' failover (retries, hedging, suspicion, the breaker); the
    /// gateway's defaults unless given.
    #[serde(default)]
    pub failover: crate::dataplane::edge_failover::FailoverOptions,
    /// APIs the regional nodes serve through the gateway's pipeline (none:
    /// each forwarded request is answered 200, or 429 past `rate_limit`).
    #[serde(default)]
    pub apis: Vec<ApiSpec>,
    #[serde(default)]
    pub keys: Vec<KeySpec>,
    #[serde(default)]
    pub usage_plans: Vec<PlanSpec>,
    /// The APIs' files, read and imported by [`Scenario::parse_in`].
    #[serde(skip)]
    pub loaded: Vec<LoadedApi>,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// Regional nodes (all are Raft voters).
    pub nodes: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    /// One-way latency inside a region, ms.
    #[serde(default = "intra")]
    pub intra_ms: u64,
    /// One-way latency per 1,000 km of great-circle distance between
    /// regions, ms (light in fibre: ~5 ms, routes are longer: 8 by default).
    #[serde(default = "per_1000km")]
    pub per_1000km_ms: f64,
    /// Overrides, keyed `region-a/region-b`, ms.
    #[serde(default)]
    pub between: BTreeMap<String, u64>,
}

fn intra() -> u64 {
    1
}

fn per_1000km() -> f64 {
    8.0
}

impl Default for LatencySpec {
    fn default() -> Self {
        LatencySpec {
            intra_ms: intra(),
            per_1000km_ms: per_1000km(),
            between: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// Requests per second this population sends (through its own edge).
    pub rps: u32,
    /// What it sends, when the scenario has `apis`: a weighted mix, taken
    /// in a fixed interleaved order (the shares are exact).
    #[serde(default)]
    pub requests: Vec<RequestSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    /// Requests admitted cluster-wide over the whole run.
    pub limit: u64,
}

/// One fault or change at a moment of the run.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub at_s: f64,
    #[serde(flatten)]
    pub action: Action,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Every node of the region crashes.
    RegionDown(String),
    /// The region's nodes start again (same disks).
    RegionUp(String),
    /// Two regions cannot reach each other.
    Partition([String; 2]),
    Heal([String; 2]),
    /// Latency between two regions (or a region and a client population's
    /// edge) rises to `ms` for `for_s` seconds.
    LatencySpike {
        between: [String; 2],
        ms: u64,
        for_s: f64,
    },
    /// A node (`eu-central-1/0`) crashes.
    KillNode(String),
    /// Whoever leads Raft crashes.
    KillLeader,
    /// A control-plane write (a deployment) through a node of `via`.
    Deploy {
        via: String,
    },
}

impl Scenario {
    /// Reads and checks a scenario; its API files are read relative to
    /// the current folder (see [`Scenario::parse_in`]).
    pub fn parse(text: &str) -> Result<Scenario, String> {
        Scenario::parse_in(text, Path::new("."))
    }

    /// Reads and checks a scenario whose API files are relative to `base`
    /// (the scenario file's folder), and imports them.
    pub fn parse_in(text: &str, base: &Path) -> Result<Scenario, String> {
        let mut scenario: Scenario =
            crate::model::yaml::from_str(text).map_err(|e| e.to_string())?;
        scenario.check()?;
        let mixes: Vec<(&str, &[RequestSpec])> = scenario
            .clients
            .iter()
            .map(|c| (c.name.as_str(), c.requests.as_slice()))
            .collect();
        super::apis::check(
            &scenario.apis,
            &scenario.keys,
            &scenario.usage_plans,
            &mixes,
        )?;
        scenario.loaded = super::apis::load(&scenario.apis, base)?;
        Ok(scenario)
    }

    fn check(&self) -> Result<(), String> {
        if self.regions.is_empty() || self.clients.is_empty() {
            return Err("a scenario needs regions and clients".into());
        }
        if !self.apis.is_empty() && self.rate_limit.is_some() {
            return Err(
                "rate_limit counts bare forwards: with `apis`, limit with usage_plans".into(),
            );
        }
        let voters: u32 = self.regions.iter().map(|r| r.nodes).sum();
        if voters == 0 || voters > 9 {
            return Err(format!("{voters} nodes: use 1 to 9 regional nodes"));
        }
        if self.duration_s == 0 || self.duration_s > 600 {
            return Err("duration_s must be 1 to 600".into());
        }
        let region = |name: &str| {
            self.regions
                .iter()
                .any(|r| r.name == name)
                .then_some(())
                .ok_or_else(|| format!("timeline names unknown region `{name}`"))
        };
        for event in &self.timeline {
            match &event.action {
                Action::RegionDown(r) | Action::RegionUp(r) | Action::Deploy { via: r } => {
                    region(r)?
                }
                Action::Partition([a, b]) | Action::Heal([a, b]) => {
                    region(a)?;
                    region(b)?;
                }
                Action::LatencySpike {
                    between: [a, b], ..
                } => {
                    for x in [a, b] {
                        if !self.clients.iter().any(|c| &c.name == x) {
                            region(x)?;
                        }
                    }
                }
                Action::KillNode(node) => {
                    let (r, i) = node
                        .split_once('/')
                        .ok_or_else(|| format!("kill_node `{node}`: write REGION/INDEX"))?;
                    region(r)?;
                    let i: u32 = i
                        .parse()
                        .map_err(|_| format!("kill_node `{node}`: bad index"))?;
                    let count = self
                        .regions
                        .iter()
                        .find(|x| x.name == r)
                        .map_or(0, |x| x.nodes);
                    if i >= count {
                        return Err(format!("kill_node `{node}`: the region has {count} nodes"));
                    }
                }
                Action::KillLeader => {}
            }
        }
        Ok(())
    }
}
