//! Linearizability of the control plane under faults, in the simulator:
//! three Raft nodes (the real cluster code, as [`super::raft_scenario`]
//! runs them) hold stages as registers (`stage = deployment`); one client
//! per node writes deployments to stages and reads them back through its
//! node, concurrently, while the harness cuts the leader off, heals it,
//! cuts a follower off and kills a node. Every operation is recorded with
//! its call and return times (simulated) and the history is checked with
//! [`super::checker`].
//!
//! Writes go through [`RaftNode::write`]; reads through
//! [`RaftNode::read_barrier`] and then the node's own state (what a
//! linearizable GET would do). The same moment's plain local read (what
//! reading a node's store without a barrier gives, as the management API's
//! GETs do) is recorded too and checked on its own: it is reported, not
//! asserted, since nothing promises it.
//!
//! The management API itself does not run here (the simulator hosts the
//! cluster, not the HTTP listeners): its writes are these Raft writes.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apigw_cluster::pki;
use apigw_cluster::raft::{Command, RaftFailure};
use serde::Serialize;

use super::checker::{check, Event, Op, Verdict};
use super::{host, start_nodes, Member, Registry};

/// States the checker may visit per key.
const BUDGET: usize = 500_000;
const KEYS: [&str; 3] = ["prod", "beta", "dev"];

/// What a run did and what the checker said.
#[derive(Debug, Clone, Serialize)]
pub struct LinReport {
    pub seed: u64,
    /// Through barriers: must be linearizable.
    pub verdict: Verdict,
    /// Plain local reads with the same writes: reported only.
    pub local_verdict: Verdict,
    pub history: Vec<Event>,
    pub writes_acknowledged: usize,
    /// Refused before they were proposed (no leader, no quorum).
    pub writes_refused: usize,
    /// Timed out or failed after they may have been proposed.
    pub writes_unknown: usize,
    pub reads: usize,
    pub faults: Vec<String>,
}

impl LinReport {
    /// The history, one operation a line (for a failing test).
    pub fn history_text(&self) -> String {
        let mut lines: Vec<&Event> = self.history.iter().collect();
        lines.sort_by_key(|e| (e.call, e.ret));
        lines
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A deterministic draw for client `c`'s `i`th operation.
fn draw(seed: u64, c: u64, i: u64) -> u64 {
    let mut x = seed ^ (c << 32) ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}

fn now_us() -> u64 {
    turmoil::sim_elapsed().unwrap_or_default().as_micros() as u64
}

type History = Arc<Mutex<Vec<Event>>>;

/// What the clients record, and the write tallies.
#[derive(Clone, Default)]
struct Record {
    history: History,
    local: History,
    tallies: Arc<Mutex<(usize, usize, usize)>>,
}

/// Runs the scenario with `seed`; `dir` receives certificates and disks.
pub fn linearizability(seed: u64, dir: &Path) -> Result<LinReport, String> {
    let _ = std::fs::remove_dir_all(dir);
    let certs = dir.join("certs");
    let ids: Vec<u64> = (1..=3).collect();
    pki::init(&certs, "sim", &ids).map_err(|e| e.to_string())?;
    let registry: Registry = Arc::default();
    let record = Record::default();
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .simulation_duration(Duration::from_secs(90))
        .tick_duration(Duration::from_millis(1))
        .min_message_latency(Duration::from_millis(5))
        .max_message_latency(Duration::from_millis(15))
        .build();
    start_nodes(&mut sim, &ids, &certs, dir, &registry);
    for &id in &ids {
        let (registry, record) = (registry.clone(), record.clone());
        sim.client(format!("client-{id}").as_str(), async move {
            client(seed, id, registry, record).await;
            Ok(())
        });
    }
    let faults = play_faults(&mut sim, &registry)?;
    let history = record
        .history
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let local = record
        .local
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let (acked, refused, unknown) = *record.tallies.lock().unwrap_or_else(|e| e.into_inner());
    let reads = history
        .iter()
        .filter(|e| matches!(e.op, Op::Read(_)))
        .count();
    Ok(LinReport {
        seed,
        verdict: check(&history, BUDGET),
        local_verdict: check(&local, BUDGET),
        history,
        writes_acknowledged: acked,
        writes_refused: refused,
        writes_unknown: unknown,
        reads,
        faults,
    })
}

/// Steps the simulation, playing the faults: the leader cut off at 3 s
/// (healed at 6 s), a follower cut off at 8 s (healed at 10 s), a node
/// killed at 12 s (for good).
fn play_faults(sim: &mut turmoil::Sim<'_>, registry: &Registry) -> Result<Vec<String>, String> {
    let mut faults = Vec::new();
    let mut cut: Option<u64> = None;
    let mut stage = 0;
    let at = |s: u64| Duration::from_secs(s);
    loop {
        let done = sim.step().map_err(|e| e.to_string())?;
        let now = sim.elapsed();
        let leader = registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .find_map(|m| m.raft.status().2);
        let others = |n: u64| (1..=3u64).filter(move |o| *o != n);
        match stage {
            0 | 2 if now >= at(if stage == 0 { 3 } else { 8 }) => {
                let target = match (stage, leader) {
                    (0, Some(l)) => Some(l),
                    (2, Some(l)) => others(l).next(),
                    _ => None,
                };
                if let Some(t) = target {
                    for o in others(t) {
                        sim.partition(host(t), host(o));
                    }
                    faults.push(format!("{now:?}: n{t} cut off"));
                    cut = Some(t);
                    stage += 1;
                }
            }
            1 | 3 if now >= at(if stage == 1 { 6 } else { 10 }) => {
                if let Some(t) = cut.take() {
                    for o in others(t) {
                        sim.repair(host(t), host(o));
                    }
                    faults.push(format!("{now:?}: n{t} healed"));
                }
                stage += 1;
            }
            4 if now >= at(12) => {
                let victim = leader.map_or(3, |l| others(l).next_back().unwrap_or(3));
                sim.crash(host(victim));
                faults.push(format!("{now:?}: n{victim} killed"));
                stage += 1;
            }
            _ => {}
        }
        if done {
            return Ok(faults);
        }
    }
}

/// One client: for 15 s, writes and reads through node `id`.
async fn client(seed: u64, id: u64, registry: Registry, record: Record) {
    while registry.lock().unwrap_or_else(|e| e.into_inner()).len() < 3 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let member = registry
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned();
    let Some(member) = member else { return };
    let name = format!("c{id}");
    let until = turmoil::sim_elapsed().unwrap_or_default() + Duration::from_secs(15);
    let mut i = 0u64;
    while turmoil::sim_elapsed().unwrap_or_default() < until {
        let d = draw(seed, id, i);
        let key = KEYS[(d % KEYS.len() as u64) as usize];
        if (d >> 8) % 2 == 0 {
            write(&member, &record, &name, key, format!("{name}-d{i}")).await;
        } else {
            read(&member, &record, &name, key).await;
        }
        i += 1;
        tokio::time::sleep(Duration::from_millis(20 + (d >> 16) % 80)).await;
    }
    // Let pending writes land before the run ends.
    tokio::time::sleep(Duration::from_secs(5)).await;
}

async fn write(member: &Member, record: &Record, client: &str, key: &str, value: String) {
    let call = now_us();
    let command = Command {
        id: value.clone(),
        data: format!("{key}={value}").into_bytes(),
    };
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        member.raft.write(command, Duration::from_secs(2)),
    )
    .await;
    let mut tallies = record.tallies.lock().unwrap_or_else(|e| e.into_inner());
    let ret = match result {
        Ok(Ok(_)) => {
            tallies.0 += 1;
            Some(now_us())
        }
        // Refused before it was proposed: it never happened.
        Ok(Err(RaftFailure::NoLeader | RaftFailure::NoQuorum(_))) => {
            tallies.1 += 1;
            return;
        }
        _ => {
            tallies.2 += 1;
            None
        }
    };
    let event = Event {
        client: client.into(),
        key: key.into(),
        op: Op::Write(value),
        call,
        ret,
    };
    record
        .local
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(event.clone());
    record
        .history
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(event);
}

fn local_value(member: &Member, key: &str) -> Option<String> {
    member
        .kv
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(key)
        .cloned()
}

async fn read(member: &Member, record: &Record, client: &str, key: &str) {
    let at = now_us();
    record
        .local
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Event {
            client: client.into(),
            key: key.into(),
            op: Op::Read(local_value(member, key)),
            call: at,
            ret: Some(at),
        });
    let call = now_us();
    let barrier = tokio::time::timeout(
        Duration::from_secs(5),
        member.raft.read_barrier(Duration::from_secs(2)),
    )
    .await;
    if !matches!(barrier, Ok(Ok(()))) {
        return;
    }
    let value = local_value(member, key);
    record
        .history
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Event {
            client: client.into(),
            key: key.into(),
            op: Op::Read(value),
            call,
            ret: Some(now_us()),
        });
}
