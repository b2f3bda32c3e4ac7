//! What a run records and its report reads: every request's outcome, leader
//! changes, invariant violations, deploy propagation and counters.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Answered: 200 (no APIs), or any status but 429 (`Sample::status`).
    Ok { region: String },
    /// Answered 429: by the cluster-wide limit, or (with APIs) by a
    /// throttle or quota of the pipeline.
    Limited { region: String },
    /// Every node tried failed.
    Failed,
    /// No region was healthy.
    NoRegion,
}

/// One request.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub client: String,
    pub at_ms: u64,
    pub latency_us: u64,
    pub outcome: Outcome,
    /// The client's group moved region with this request.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub switched: bool,
    /// With APIs: which request of the mix, and its answer's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiRequest>,
}

/// An API request of a sample.
#[derive(Debug, Clone, Serialize)]
pub struct ApiRequest {
    pub api: String,
    /// `GET /pets key=gold`.
    pub request: String,
    /// `None`: no node answered.
    pub status: Option<u16>,
    /// A gateway response's `x-amzn-ErrorType` (`ForbiddenException`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
}

/// An edge's breaker leaving a node out until heard again.
#[derive(Debug, Clone, Serialize)]
pub struct Opening {
    pub edge: String,
    pub node: String,
    pub at_ms: u64,
    /// No crash or partition explains it: a live node was left out.
    pub false_positive: bool,
}

impl Outcome {
    /// The region that answered (200 or 429).
    pub fn region(&self) -> Option<&str> {
        match self {
            Outcome::Ok { region } | Outcome::Limited { region } => Some(region),
            Outcome::Failed | Outcome::NoRegion => None,
        }
    }
}

/// What the runner hands the report.
pub struct RunOutput {
    pub samples: Vec<Sample>,
    pub leaders: Vec<(u64, u64)>,
    pub violations: Vec<String>,
    /// Deploy name -> (written at, applied at per node id).
    pub deploys: Vec<(String, Duration, BTreeMap<u64, Option<Duration>>)>,
    pub counters_at_end: BTreeMap<u64, u64>,
    pub simulated: Duration,
    pub notes: Vec<String>,
    pub openings: Vec<Opening>,
    /// Stage cache (hits, misses) per API name.
    pub cache: BTreeMap<String, (u64, u64)>,
}
