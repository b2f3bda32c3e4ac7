//! Failing over faster than gossip declares a region down: one forwarded
//! request is a race over the planned targets, and the edge's memory of
//! each regional node (the circuit breaker) and of each region's answer
//! times (the hedging percentile).
//!
//! Gossip takes three intervals and at least a second to call a silent
//! node down; a request to a node that died waits that long. The race
//! does not wait:
//! - **transport signals**: an attempt that cannot open its stream, or
//!   whose stream is reset or whose connection is lost, fails at once and
//!   the next target is tried (always when nothing reached the node, and
//!   after that for retryable requests);
//! - **hedging** (GET, HEAD, OPTIONS without a body): once an attempt has
//!   waited its region's recent answer-time percentile (never less than a
//!   floor), a second copy goes to the next target; the first answer wins,
//!   the other is dropped. Percentile hedges draw on a budget (a share of
//!   requests), so a slow region does not double the load;
//! - **suspicion**: an attempt older than the floor to a node not heard by
//!   gossip for a few intervals is retried on the next target (kept racing
//!   for hedged requests, dropped for PUT and DELETE, whose copies should
//!   not run side by side); silence alone changes nothing, so a slow
//!   network that delays gossip does not move a request that is on time;
//! - **the breaker**: a node that failed an attempt, or lost a race while
//!   silent, is left out of plans until it is heard from again
//!   ([`super::edge::plan`]). These openings are what a false positive is:
//!   a live node left out for a while; they are counted.
//!
//! Only requests without a body are retried or hedged once their stream
//! was opened ([`Retry`]): nothing of the answer has been sent to the
//! client before the race is won, so a retry is invisible to it. The same
//! code serves the gateway's edge and the simulator's.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::Poll;
use std::time::Duration;

use apigw_cluster::Gossip;
use serde::{Deserialize, Serialize};
// tokio's clock: simulated under turmoil.
use tokio::time::Instant;

/// Where an edge forward goes: one regional node.
#[derive(Debug, Clone)]
pub struct Target {
    pub node: u64,
    pub addr: SocketAddr,
    pub region: String,
}

/// How the race behaves; the defaults are the gateway's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FailoverOptions {
    /// Hedge idempotent reads after the region's answer-time percentile.
    pub hedge: bool,
    /// The percentile (0.99: the slowest 1 % of answers are hedged).
    pub hedge_percentile: f64,
    /// No hedge or suspicion retry before an attempt is this old, ms.
    pub hedge_floor_ms: u64,
    /// Percentile hedges per request, on average (a token bucket).
    pub hedge_budget: f64,
    /// Retry an attempt whose node gossip has not heard from for
    /// `suspect_intervals` intervals.
    pub suspicion: bool,
    pub suspect_intervals: f64,
    /// Leave a node that failed (or lost a race while silent) out of plans
    /// until it is heard from again.
    pub breaker: bool,
    /// Targets tried per request at most.
    pub max_attempts: usize,
}

impl Default for FailoverOptions {
    fn default() -> Self {
        FailoverOptions {
            hedge: true,
            hedge_percentile: 0.99,
            hedge_floor_ms: 100,
            hedge_budget: 0.1,
            suspicion: true,
            suspect_intervals: 2.0,
            breaker: true,
            max_attempts: 3,
        }
    }
}

impl FailoverOptions {
    /// Only what gossip and the transport say: no hedge, no suspicion (how
    /// the edge behaved before; the simulator compares against it).
    pub fn gossip_only() -> FailoverOptions {
        FailoverOptions {
            hedge: false,
            suspicion: false,
            ..FailoverOptions::default()
        }
    }
}

/// What a request allows once its stream was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// GET, HEAD, OPTIONS without a body: hedged, retried.
    Hedge,
    /// PUT, DELETE without a body: retried when an attempt fails or its
    /// node is suspect (the attempt is dropped), never hedged.
    OnFailure,
    /// Anything else: only an attempt that reached nothing is retried.
    Never,
}

impl Retry {
    /// What a request of `method` allows (`empty`: it has no body).
    pub fn of(method: &http::Method, empty: bool) -> Retry {
        use http::Method;
        match method {
            _ if !empty => Retry::Never,
            &Method::GET | &Method::HEAD | &Method::OPTIONS => Retry::Hedge,
            &Method::PUT | &Method::DELETE => Retry::OnFailure,
            _ => Retry::Never,
        }
    }
}

/// Why one attempt gave no answer.
#[derive(Debug)]
pub enum AttemptError {
    /// The stream could not be opened: nothing reached the node.
    Unreachable(String),
    /// The node took the request and failed it (or went away).
    Failed(String),
}

/// One attempt's future.
pub type AttemptFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AttemptError>> + Send + 'a>>;

/// The answer of a won race.
pub struct Won<T> {
    pub value: T,
    /// The target (index into the plan) that answered.
    pub target: usize,
    /// From the winning attempt's start to its answer.
    pub took: Duration,
    /// Attempts started (1: no retry, no hedge).
    pub attempts: usize,
}

/// Counters of the race, for `/metrics` and the simulator's report.
#[derive(Default)]
pub struct FailoverMetrics {
    pub hedges: AtomicU64,
    pub hedges_won: AtomicU64,
    pub suspicions: AtomicU64,
    pub breaker_opened: AtomicU64,
}

/// Answer times kept per region for the percentile.
const ANSWERS_KEPT: usize = 128;
/// Breaker openings kept for [`Failover::take_openings`].
const OPENINGS_KEPT: usize = 10_000;
/// How often a running race looks at its attempts' age and nodes.
const TICK: Duration = Duration::from_millis(10);

/// An edge's failover memory: the breaker per node, answer times per
/// region, the hedge budget.
pub struct Failover {
    pub options: FailoverOptions,
    failed: Mutex<HashMap<u64, Instant>>,
    answers: Mutex<HashMap<String, VecDeque<u32>>>,
    budget: Mutex<f64>,
    openings: Mutex<Vec<(u64, Instant)>>,
    pub metrics: FailoverMetrics,
}

/// One running attempt.
struct Running<'a, T> {
    target: usize,
    started: Instant,
    future: AttemptFuture<'a, T>,
}

impl Failover {
    pub fn new(options: FailoverOptions) -> Failover {
        Failover {
            options,
            failed: Mutex::new(HashMap::new()),
            answers: Mutex::new(HashMap::new()),
            budget: Mutex::new(1.0),
            openings: Mutex::new(Vec::new()),
            metrics: FailoverMetrics::default(),
        }
    }

    /// How long ago each node that failed did so (for [`super::edge::plan`]).
    pub fn failed_ago(&self) -> impl Fn(u64) -> Option<Duration> {
        let failed = self
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        move |id| failed.get(&id).map(Instant::elapsed)
    }

    /// Opens the breaker of `node`: it stays out of plans until heard again.
    pub fn open(&self, node: u64) {
        if !self.options.breaker {
            return;
        }
        let now = Instant::now();
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(node, now);
        self.metrics.breaker_opened.fetch_add(1, Ordering::Relaxed);
        let mut openings = self.openings.lock().unwrap_or_else(|e| e.into_inner());
        if openings.len() < OPENINGS_KEPT {
            openings.push((node, now));
        }
    }

    /// Every breaker opening so far (node, when), emptied.
    pub fn take_openings(&self) -> Vec<(u64, Instant)> {
        std::mem::take(&mut *self.openings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn record_answer(&self, region: &str, took: Duration) {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let kept = answers.entry(region.to_string()).or_default();
        if kept.len() == ANSWERS_KEPT {
            kept.pop_front();
        }
        kept.push_back(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
    }

    /// When an attempt to `region` is hedged: its answer-time percentile,
    /// the floor at least.
    fn hedge_after(&self, region: &str) -> Duration {
        let floor = Duration::from_millis(self.options.hedge_floor_ms);
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let Some(kept) = answers.get(region).filter(|k| !k.is_empty()) else {
            return floor;
        };
        let mut sorted: Vec<u32> = kept.iter().copied().collect();
        sorted.sort_unstable();
        let p = self.options.hedge_percentile.clamp(0.0, 1.0);
        let i = ((sorted.len() - 1) as f64 * p).round() as usize;
        Duration::from_micros(u64::from(sorted[i.min(sorted.len() - 1)])).max(floor)
    }

    /// A request's share of the hedge budget (at most 10 saved up).
    fn earn(&self) {
        let mut b = self.budget.lock().unwrap_or_else(|e| e.into_inner());
        *b = (*b + self.options.hedge_budget).min(10.0);
    }

    fn spend(&self) -> bool {
        let mut b = self.budget.lock().unwrap_or_else(|e| e.into_inner());
        if *b >= 1.0 {
            *b -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether gossip has not heard from `node` for the suspicion time.
    fn silent(&self, gossip: &Gossip, node: u64) -> bool {
        let suspect = gossip
            .interval()
            .mul_f64(self.options.suspect_intervals.max(0.0));
        gossip.silent_for(node).is_none_or(|s| s >= suspect)
    }

    /// Runs the race over `targets` (best first) with `attempt`: see the
    /// module's header. `Err` gives the last attempt's error.
    pub async fn race<'a, T>(
        &self,
        gossip: &Gossip,
        targets: &[Target],
        retry: Retry,
        mut attempt: impl FnMut(&Target) -> AttemptFuture<'a, T>,
    ) -> Result<Won<T>, String> {
        self.earn();
        let limit = targets.len().min(self.options.max_attempts.max(1));
        let mut running: Vec<Running<'a, T>> = Vec::new();
        let mut started = 0;
        let mut last_error = String::from("no target");
        let mut start = |running: &mut Vec<Running<'a, T>>, started: &mut usize| {
            running.push(Running {
                target: *started,
                started: Instant::now(),
                future: attempt(&targets[*started]),
            });
            *started += 1;
        };
        loop {
            if running.is_empty() {
                if started >= limit {
                    return Err(last_error);
                }
                start(&mut running, &mut started);
            }
            let done = tokio::select! {
                done = next_done(&mut running) => Some(done),
                () = tokio::time::sleep(TICK) => None,
            };
            match done {
                Some((run, Ok(value))) => {
                    let target = &targets[run.target];
                    let took = run.started.elapsed();
                    self.record_answer(&target.region, took);
                    if run.target > 0 {
                        self.metrics.hedges_won.fetch_add(1, Ordering::Relaxed);
                    }
                    self.judge_losers(gossip, targets, &running);
                    return Ok(Won {
                        value,
                        target: run.target,
                        took,
                        attempts: started,
                    });
                }
                Some((run, Err(error))) => {
                    let retryable = match &error {
                        AttemptError::Unreachable(e) | AttemptError::Failed(e) => {
                            last_error = e.clone();
                            matches!(error, AttemptError::Unreachable(_)) || retry != Retry::Never
                        }
                    };
                    self.open(targets[run.target].node);
                    if !retryable {
                        return Err(last_error);
                    }
                    if running.is_empty() && started < limit {
                        start(&mut running, &mut started);
                    }
                }
                None => {
                    if let Some(verdict) = self.look(gossip, targets, &mut running, retry) {
                        last_error = verdict.to_string();
                        if retry == Retry::Never {
                            return Err(last_error);
                        }
                        if started < limit {
                            start(&mut running, &mut started);
                        }
                    } else if self.hedge_due(targets, &running, retry, started < limit) {
                        self.metrics.hedges.fetch_add(1, Ordering::Relaxed);
                        start(&mut running, &mut started);
                    }
                }
            }
        }
    }

    /// Looks at the newest attempt: gone down (gossip) or suspect, it
    /// gives way to the next target. Returns why, if so.
    fn look<T>(
        &self,
        gossip: &Gossip,
        targets: &[Target],
        running: &mut Vec<Running<'_, T>>,
        retry: Retry,
    ) -> Option<&'static str> {
        let newest = running.last()?;
        let node = targets[newest.target].node;
        let age = newest.started.elapsed();
        // As before the race: a node gossip calls down ends its attempt.
        if age >= Duration::from_millis(250) && !gossip.is_up(node) {
            running.pop();
            self.open(node);
            return Some("the node went down");
        }
        let floor = Duration::from_millis(self.options.hedge_floor_ms);
        if retry == Retry::Never || !self.options.suspicion || age < floor {
            return None;
        }
        if !self.silent(gossip, node) || running.len() > 1 {
            return None;
        }
        self.metrics.suspicions.fetch_add(1, Ordering::Relaxed);
        if retry == Retry::OnFailure {
            running.pop();
            self.open(node);
        }
        Some("the node is silent")
    }

    /// Whether the newest attempt has waited past its region's percentile
    /// (and the budget allows a hedge).
    fn hedge_due<T>(
        &self,
        targets: &[Target],
        running: &[Running<'_, T>],
        retry: Retry,
        more: bool,
    ) -> bool {
        if !more || retry != Retry::Hedge || !self.options.hedge {
            return false;
        }
        let Some(newest) = running.last() else {
            return false;
        };
        newest.started.elapsed() >= self.hedge_after(&targets[newest.target].region) && self.spend()
    }

    /// Attempts still running when another won: a silent node's breaker
    /// opens (a live one was only slow).
    fn judge_losers<T>(&self, gossip: &Gossip, targets: &[Target], running: &[Running<'_, T>]) {
        for run in running {
            let node = targets[run.target].node;
            if self.silent(gossip, node) {
                self.open(node);
            }
        }
    }

    /// Prometheus text of the race's counters.
    pub fn prometheus(&self) -> String {
        let m = &self.metrics;
        let mut out = String::new();
        for (name, help, v) in [
            (
                "apigw_edge_hedges_total",
                "Second copies of idempotent requests sent after the answer-time percentile.",
                &m.hedges,
            ),
            (
                "apigw_edge_hedges_won_total",
                "Requests answered by a retry or hedge rather than the first target.",
                &m.hedges_won,
            ),
            (
                "apigw_edge_suspicions_total",
                "Attempts retried because their node had gone silent.",
                &m.suspicions,
            ),
            (
                "apigw_edge_breaker_opened_total",
                "Times a regional node was left out until heard from again.",
                &m.breaker_opened,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        out
    }
}

/// Resolves with the first running attempt that finishes (removed from
/// `running`); pending forever while there is none.
async fn next_done<'a, T>(
    running: &mut Vec<Running<'a, T>>,
) -> (Running<'a, T>, Result<T, AttemptError>) {
    std::future::poll_fn(|cx| {
        for i in 0..running.len() {
            if let Poll::Ready(result) = running[i].future.as_mut().poll(cx) {
                return Poll::Ready((running.swap_remove(i), result));
            }
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_method_allows() {
        use http::Method;
        assert_eq!(Retry::of(&Method::GET, true), Retry::Hedge);
        assert_eq!(Retry::of(&Method::HEAD, true), Retry::Hedge);
        assert_eq!(Retry::of(&Method::PUT, true), Retry::OnFailure);
        assert_eq!(Retry::of(&Method::DELETE, true), Retry::OnFailure);
        assert_eq!(Retry::of(&Method::POST, true), Retry::Never);
        assert_eq!(Retry::of(&Method::PATCH, true), Retry::Never);
        assert_eq!(Retry::of(&Method::GET, false), Retry::Never);
    }

    #[test]
    fn the_hedge_waits_for_the_percentile_and_the_floor() {
        let f = Failover::new(FailoverOptions::default());
        assert_eq!(f.hedge_after("r"), Duration::from_millis(100));
        for ms in 1..=100 {
            f.record_answer("r", Duration::from_millis(ms * 3));
        }
        // p99 of 3..300 ms.
        assert_eq!(f.hedge_after("r"), Duration::from_millis(297));
        assert_eq!(f.hedge_after("other"), Duration::from_millis(100));
    }

    #[test]
    fn the_budget_allows_a_share_of_requests() {
        let f = Failover::new(FailoverOptions::default());
        let mut hedges = 0;
        for _ in 0..100 {
            f.earn();
            if f.spend() {
                hedges += 1;
            }
        }
        // One saved up at the start, then one per ten requests.
        assert!((10..=12).contains(&hedges), "{hedges}");
    }
}
