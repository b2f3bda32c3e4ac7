//! The report of a scenario run: per-phase success, latency p50/p99 per
//! client population, failover times, config propagation, rate-limit
//! overshoot and invariant violations; with APIs, per-API status counts,
//! cache hit rates and 429/5xx per second (`report_api.rs`); as text and
//! JSON (`page.rs` draws the chart and the HTML page from it).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::record::{Outcome, RunOutput, Sample};
use super::scenario::{Action, Event, Scenario};

/// A deployment as the run saw it: name, when written, when each node applied it.
type Deploy = (
    String,
    std::time::Duration,
    BTreeMap<u64, Option<std::time::Duration>>,
);

#[derive(Debug, Clone, Serialize)]
pub struct ClientPhase {
    pub client: String,
    pub requests: usize,
    pub answered: usize,
    /// Of the answered, how many the cluster-wide limit refused (429).
    pub limited: usize,
    /// Answered (200 or 429) / sent.
    pub success_ratio: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answered requests per region.
    pub regions: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: String,
    pub from_s: f64,
    pub to_s: f64,
    pub clients: Vec<ClientPhase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failover {
    pub region: String,
    pub client: String,
    pub at_s: f64,
    /// From the fault to the client's first answer (200 or 429) from
    /// another region.
    pub failover_ms: Option<u64>,
    pub failed_requests: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Propagation {
    pub deploy: String,
    pub at_s: f64,
    /// Until the last running node applied it (`None`: some never did).
    pub all_applied_ms: Option<u64>,
    pub not_applied_on: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub seed: u64,
    pub simulated_s: f64,
    pub phases: Vec<Phase>,
    pub failovers: Vec<Failover>,
    pub propagation: Vec<Propagation>,
    pub rate_limit: Option<u64>,
    pub admitted: u64,
    pub overshoot: i64,
    pub leaders: Vec<(u64, u64)>,
    pub violations: Vec<String>,
    /// What the simulation could not do (not failures of the cluster).
    pub notes: Vec<String>,
    /// Edges' breaker openings (a node left out until heard again).
    pub breaker_openings: Vec<super::record::Opening>,
    /// Of them, how many no crash or partition explains (a live node).
    pub false_positives: usize,
    /// Times each client population's group moved region.
    pub switches: BTreeMap<String, usize>,
    /// Requests sent with no body and allowed a retry (every simulated one)
    /// that failed.
    pub failed_idempotent: usize,
    /// With APIs: each API's answers by status and its cache hit rate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub apis: Vec<super::report_api::ApiFigures>,
    /// With APIs: requests, 429s and 5xx per second.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_second: Vec<super::report_api::Second>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

/// An event of the timeline in a few words (phase names, chart labels).
pub(super) fn describe(action: &Action) -> String {
    match action {
        Action::RegionDown(r) => format!("{r} down"),
        Action::RegionUp(r) => format!("{r} up"),
        Action::Partition([a, b]) => format!("{a} | {b} partitioned"),
        Action::Heal([a, b]) => format!("{a} | {b} healed"),
        Action::LatencySpike {
            between: [a, b],
            ms,
            ..
        } => format!("{a}-{b} latency {ms} ms"),
        Action::KillNode(n) => format!("{n} killed"),
        Action::KillLeader => "leader killed".into(),
        Action::Deploy { via } => format!("deploy via {via}"),
    }
}

/// Builds the report from what the run saw.
pub fn build(scenario: &Scenario, out: RunOutput) -> Report {
    // Samples are stamped in simulated time from the start of the run; the
    // load starts 2 s in (edges first hear gossip).
    let mut events = scenario.timeline.clone();
    events.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    let end_s = out.simulated.as_secs_f64();
    let phases = phases(scenario, &events, &out.samples, end_s);
    let failovers = failovers(scenario, &events, &out.samples);
    let propagation = out.deploys.iter().map(propagation).collect();
    let mut violations = out.violations;
    let totals: Vec<u64> = out.counters_at_end.values().copied().collect();
    if totals.windows(2).any(|w| w[0] != w[1]) {
        violations.push(format!(
            "rate-limit counters did not converge: {:?}",
            out.counters_at_end
        ));
    }
    let limit = scenario.rate_limit.as_ref().map(|r| r.limit);
    // Every 200 is an admission (crashed nodes' own counts die with them).
    let admitted = out
        .samples
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Ok { .. }))
        .filter(|s| s.api.as_ref().is_none_or(|a| a.status == Some(200)))
        .count() as u64;
    let apis = super::report_api::figures(&out.samples, &out.cache);
    let per_second = super::report_api::per_second(&out.samples);
    Report {
        seed: scenario.seed,
        simulated_s: end_s,
        phases,
        failovers,
        propagation,
        rate_limit: limit,
        admitted,
        // Only a limit that was reached can be overshot.
        overshoot: limit.map_or(0, |l| (admitted as i64 - l as i64).max(0)),
        leaders: out.leaders,
        violations,
        notes: out.notes,
        false_positives: out.openings.iter().filter(|o| o.false_positive).count(),
        breaker_openings: out.openings,
        switches: scenario
            .clients
            .iter()
            .map(|c| {
                let n = out
                    .samples
                    .iter()
                    .filter(|s| s.client == c.name && s.switched)
                    .count();
                (c.name.clone(), n)
            })
            .collect(),
        failed_idempotent: out
            .samples
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed))
            .filter(|s| {
                s.api.as_ref().is_none_or(|a| {
                    let method = a.request.split(' ').next().unwrap_or_default();
                    matches!(method, "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE")
                })
            })
            .count(),
        apis,
        per_second,
    }
}

/// The run cut at every timeline event, each stretch with every client
/// population's figures.
fn phases(scenario: &Scenario, events: &[Event], samples: &[Sample], end_s: f64) -> Vec<Phase> {
    let mut bounds = vec![(0.0, "start".to_string())];
    for e in events {
        bounds.push((e.at_s, describe(&e.action)));
    }
    let mut phases = Vec::new();
    for (i, (from, name)) in bounds.iter().enumerate() {
        let to = bounds.get(i + 1).map_or(end_s, |b| b.0);
        let clients = scenario
            .clients
            .iter()
            .map(|c| {
                let in_phase: Vec<&Sample> = samples
                    .iter()
                    .filter(|s| {
                        s.client == c.name
                            && (s.at_ms as f64) >= from * 1000.0
                            && (s.at_ms as f64) < to * 1000.0
                    })
                    .collect();
                client_phase(&c.name, &in_phase)
            })
            .collect();
        phases.push(Phase {
            name: name.clone(),
            from_s: *from,
            to_s: to,
            clients,
        });
    }
    phases
}

/// One client population's figures over one stretch of the run.
fn client_phase(client: &str, in_phase: &[&Sample]) -> ClientPhase {
    let mut latencies: Vec<u64> = in_phase
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Ok { .. } | Outcome::Limited { .. }))
        .map(|s| s.latency_us)
        .collect();
    latencies.sort_unstable();
    let mut regions = BTreeMap::new();
    for region in in_phase.iter().filter_map(|s| s.outcome.region()) {
        *regions.entry(region.to_string()).or_insert(0) += 1;
    }
    let limited = in_phase
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Limited { .. }))
        .count();
    ClientPhase {
        client: client.to_string(),
        requests: in_phase.len(),
        answered: latencies.len(),
        limited,
        success_ratio: if in_phase.is_empty() {
            1.0
        } else {
            latencies.len() as f64 / in_phase.len() as f64
        },
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        regions,
    }
}

/// For every region taken down, each client population that was served
/// there: how long until another region answered it, and what failed
/// meanwhile.
fn failovers(scenario: &Scenario, events: &[Event], samples: &[Sample]) -> Vec<Failover> {
    let mut failovers = Vec::new();
    for e in events {
        let Action::RegionDown(region) = &e.action else {
            continue;
        };
        for c in &scenario.clients {
            let mine: Vec<&Sample> = samples.iter().filter(|s| s.client == c.name).collect();
            failovers.extend(failover(&c.name, region, e.at_s, &mine));
        }
    }
    failovers
}

/// One client population's failover from `region`, down at `at_s`; `None`
/// if it was not served there.
fn failover(client: &str, region: &str, at_s: f64, mine: &[&Sample]) -> Option<Failover> {
    let at_ms = (at_s * 1000.0) as u64;
    let was_there = mine
        .iter()
        .rev()
        .find_map(|s| s.outcome.region().filter(|_| s.at_ms < at_ms))
        .is_some_and(|r| r == region);
    if !was_there {
        return None;
    }
    let after: Vec<&&Sample> = mine.iter().filter(|s| s.at_ms >= at_ms).collect();
    let elsewhere = after
        .iter()
        .position(|s| s.outcome.region().is_some_and(|r| r != region));
    let first_elsewhere = elsewhere.map(|i| after[i]);
    let failed_requests = after[..elsewhere.unwrap_or(after.len())]
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Failed | Outcome::NoRegion))
        .count();
    Some(Failover {
        region: region.to_string(),
        client: client.to_string(),
        at_s,
        failover_ms: first_elsewhere.map(|s| (s.at_ms + s.latency_us / 1000).saturating_sub(at_ms)),
        failed_requests,
    })
}

/// How long one deployment took to reach every running node.
fn propagation((name, at, applied): &Deploy) -> Propagation {
    let not_applied_on: Vec<u64> = applied
        .iter()
        .filter(|(_, t)| t.is_none())
        .map(|(id, _)| *id)
        .collect();
    let last = applied.values().flatten().max().copied();
    Propagation {
        deploy: name.clone(),
        at_s: at.as_secs_f64(),
        all_applied_ms: match (not_applied_on.is_empty(), last) {
            (true, Some(last)) => Some(last.saturating_sub(*at).as_millis() as u64),
            _ => None,
        },
        not_applied_on,
    }
}

impl Report {
    /// The report as a table for a terminal.
    pub fn text(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "seed {}, {:.1} s simulated", self.seed, self.simulated_s);
        for phase in &self.phases {
            let _ = writeln!(
                t,
                "\n[{:>6.1} s .. {:>6.1} s] {}",
                phase.from_s, phase.to_s, phase.name
            );
            let _ = writeln!(
                t,
                "  {:<14} {:>6} {:>8} {:>6} {:>9} {:>9}  regions",
                "client", "reqs", "answered", "429s", "p50 ms", "p99 ms"
            );
            for c in &phase.clients {
                let regions: Vec<String> =
                    c.regions.iter().map(|(r, n)| format!("{r}:{n}")).collect();
                let _ = writeln!(
                    t,
                    "  {:<14} {:>6} {:>7.1}% {:>6} {:>9.1} {:>9.1}  {}",
                    c.client,
                    c.requests,
                    c.success_ratio * 100.0,
                    c.limited,
                    c.p50_ms,
                    c.p99_ms,
                    regions.join(" ")
                );
            }
        }
        for f in &self.failovers {
            let _ = writeln!(
                t,
                "\nfailover of {} from {} at {:.1} s: {}, {} failed requests",
                f.client,
                f.region,
                f.at_s,
                f.failover_ms
                    .map_or("never".to_string(), |ms| format!("{ms} ms")),
                f.failed_requests
            );
        }
        for p in &self.propagation {
            let _ = writeln!(
                t,
                "config propagation of {} (at {:.1} s): {}",
                p.deploy,
                p.at_s,
                p.all_applied_ms.map_or(
                    format!(
                        "not applied on {:?} by the end (no quorum reached them)",
                        p.not_applied_on
                    ),
                    |ms| format!("{ms} ms to every running node")
                )
            );
        }
        if let Some(limit) = self.rate_limit {
            let _ = writeln!(
                t,
                "rate limit {limit}: {} admitted, overshoot {}",
                self.admitted, self.overshoot
            );
        }
        t.push_str(&super::report_api::text(&self.apis, &self.per_second));
        let _ = writeln!(t, "leaders (term, node): {:?}", self.leaders);
        for n in &self.notes {
            let _ = writeln!(t, "note: {n}");
        }
        let _ = writeln!(
            t,
            "failover: {} failed requests (all idempotent); breaker opened {} times, {} on a live node (false positives); region switches {:?}",
            self.failed_idempotent,
            self.breaker_openings.len(),
            self.false_positives,
            self.switches
        );
        if self.violations.is_empty() {
            let _ = writeln!(t, "invariants: all held");
        } else {
            for v in &self.violations {
                let _ = writeln!(t, "VIOLATION: {v}");
            }
        }
        t
    }
}
