//! Cluster scenarios on a simulated network (`apigw sim`, and the
//! `apigw-simulations` crate, which re-exports this module).
//!
//! [`raft_scenario`] runs N nodes of the real cluster code (QUIC transport
//! over turmoil's UDP through [`udp::SimSocket`], openraft with its state on
//! disk, CRDT gossip) in one process, with a client writing through every
//! node and a partition that cuts the first leader off, then heals. After
//! every simulation step it checks that no term has two leaders; at the end,
//! that every acknowledged write is on every node and that the counters
//! converged. The network (delivery order, latency, the partition) follows
//! the seed; openraft's election timeouts get a one-millisecond window (one
//! per node), so its random draw cannot differ: a seed replays the same
//! leaders and verdicts (the count of writes acknowledged during the
//! partition can still differ by one or two; that last nondeterminism is not
//! traced yet).

pub mod checker;
pub mod cli;
pub mod geo;
pub mod linearizability;
pub mod udp;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apigw_cluster::raft::{Application, Command, RaftNode, RaftTiming};
use apigw_cluster::{pki, CrdtCounters, Gossip, Identity, Peer, Transport, TransportOptions};
use serde::Serialize;

/// What a scenario does.
#[derive(Debug, Clone)]
pub struct RaftScenario {
    pub seed: u64,
    pub nodes: u64,
    /// Writes the client makes (one every 100 ms, through every node in turn).
    pub writes: usize,
    /// When the first leader is cut off from the others, and for how long.
    pub partition_at: Duration,
    pub partition_for: Duration,
    /// Simulated one-way latency between nodes.
    pub latency: Duration,
}

impl Default for RaftScenario {
    fn default() -> Self {
        RaftScenario {
            seed: 1,
            nodes: 3,
            writes: 40,
            partition_at: Duration::from_secs(3),
            partition_for: Duration::from_secs(3),
            latency: Duration::from_millis(5),
        }
    }
}

/// What a run saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub seed: u64,
    /// (term, leader) in the order they were first seen.
    pub leaders: Vec<(u64, u64)>,
    pub acknowledged_writes: usize,
    pub refused_writes: usize,
    /// Acknowledged writes missing on some node at the end.
    pub lost_writes: Vec<String>,
    pub counters: BTreeMap<u64, u64>,
    pub violations: Vec<String>,
    pub simulated_ms: u128,
}

/// A key-value map driven by `key=value` commands.
#[derive(Default)]
struct Kv(Mutex<BTreeMap<String, String>>);

impl Application for Kv {
    fn apply(&self, command: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(command);
        if let Some((k, v)) = text.split_once('=') {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(k.into(), v.into());
        }
        Vec::new()
    }
    fn snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(&*self.0.lock().unwrap_or_else(|e| e.into_inner())).unwrap_or_default()
    }
    fn restore(&self, snapshot: &[u8]) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) =
            serde_json::from_slice(snapshot).unwrap_or_default();
    }
}

/// One simulated node's handles.
#[derive(Clone)]
struct Member {
    raft: Arc<RaftNode>,
    kv: Arc<Kv>,
    counters: Arc<CrdtCounters>,
}

type Registry = Arc<Mutex<HashMap<u64, Member>>>;

const PORT: u16 = 7000;
const COUNTED: u64 = 25;

fn host(id: u64) -> String {
    format!("n{id}")
}

/// Runs a scenario; `dir` receives the certificates and the nodes' disks.
pub fn raft_scenario(scenario: &RaftScenario, dir: &std::path::Path) -> Result<Report, String> {
    let _ = std::fs::remove_dir_all(dir);
    let certs = dir.join("certs");
    let ids: Vec<u64> = (1..=scenario.nodes).collect();
    pki::init(&certs, "sim", &ids).map_err(|e| e.to_string())?;
    let registry: Registry = Arc::default();
    let writes = Writes::default();
    let mut sim = turmoil::Builder::new()
        .rng_seed(scenario.seed)
        .simulation_duration(Duration::from_secs(120))
        .tick_duration(Duration::from_millis(1))
        .min_message_latency(scenario.latency)
        .max_message_latency(scenario.latency * 2)
        .build();
    start_nodes(&mut sim, &ids, &certs, dir, &registry);
    start_client(&mut sim, scenario, &registry, &writes);
    let mut watch = Watch::new(scenario.seed);
    loop {
        let done = sim.step().map_err(|e| e.to_string())?;
        let now = sim.elapsed();
        watch.leaders(&registry, now);
        watch.partition(&mut sim, scenario, &ids, now);
        if done {
            break;
        }
    }
    let mut report = watch.report;
    report.simulated_ms = sim.elapsed().as_millis();
    let members = registry.lock().unwrap_or_else(|e| e.into_inner()).clone();
    writes.check(&mut report, &members, scenario.nodes);
    Ok(report)
}

/// One turmoil host per node (restartable: a bounced host runs the same
/// closure again).
fn start_nodes(
    sim: &mut turmoil::Sim<'_>,
    ids: &[u64],
    certs: &Path,
    dir: &Path,
    registry: &Registry,
) {
    for &id in ids {
        let (registry, certs, data, ids) = (
            registry.clone(),
            certs.to_path_buf(),
            dir.join(format!("node-{id}")),
            ids.to_vec(),
        );
        sim.host(host(id), move || {
            let (registry, certs, data, ids) =
                (registry.clone(), certs.clone(), data.clone(), ids.clone());
            async move {
                node(id, ids, certs, data, registry).await;
                Ok(())
            }
        });
    }
}

/// What the client's writes came to.
#[derive(Clone, Default)]
struct Writes {
    acked: Arc<Mutex<Vec<String>>>,
    refused: Arc<Mutex<usize>>,
}

/// The client: once every node is up, `writes` writes, one every 100 ms,
/// through every node in turn; then time for the cluster to settle.
fn start_client(
    sim: &mut turmoil::Sim<'_>,
    scenario: &RaftScenario,
    registry: &Registry,
    writes: &Writes,
) {
    let (registry, writes, count, nodes) = (
        registry.clone(),
        writes.clone(),
        scenario.writes,
        scenario.nodes,
    );
    sim.client("client", async move {
        while registry.lock().unwrap_or_else(|e| e.into_inner()).len() < nodes as usize {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for i in 0..count {
            let through = (i as u64 % nodes) + 1;
            let member = registry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&through)
                .cloned();
            if let Some(member) = member {
                writes.write(&member, i).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Let the cluster settle after the partition healed.
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok(())
    });
}

impl Writes {
    /// Write `w{i}={i}` through `member`, counted as acknowledged or refused.
    async fn write(&self, member: &Member, i: usize) {
        let command = Command {
            id: format!("w{i}"),
            data: format!("w{i}={i}").into_bytes(),
        };
        match tokio::time::timeout(
            Duration::from_secs(2),
            member.raft.write(command, Duration::from_secs(1)),
        )
        .await
        {
            Ok(Ok(_)) => self
                .acked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("w{i}")),
            _ => *self.refused.lock().unwrap_or_else(|e| e.into_inner()) += 1,
        }
    }

    /// The end checks: every acknowledged write on every node, every
    /// node's counter at `COUNTED` from each of the `nodes`.
    fn check(&self, report: &mut Report, members: &HashMap<u64, Member>, nodes: u64) {
        let acked = self.acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
        report.acknowledged_writes = acked.len();
        report.refused_writes = *self.refused.lock().unwrap_or_else(|e| e.into_inner());
        for write in &acked {
            for (id, m) in members {
                if !m
                    .kv
                    .0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains_key(write)
                {
                    report.lost_writes.push(format!("{write} on node {id}"));
                }
            }
        }
        for (id, m) in members {
            report.counters.insert(*id, m.counters.total("k", 0));
        }
        let expected = COUNTED * nodes;
        if report.counters.values().any(|v| *v != expected) {
            report.violations.push(format!(
                "counters did not converge to {expected}: {:?}",
                report.counters
            ));
        }
        if !report.lost_writes.is_empty() {
            report.violations.push(format!(
                "{} acknowledged writes missing",
                report.lost_writes.len()
            ));
        }
    }
}

/// What the harness watches after every step: one leader per term, and the
/// partition (the first leader cut off at `partition_at`, healed
/// `partition_for` later).
struct Watch {
    report: Report,
    leader_of_term: HashMap<u64, u64>,
    cut: Option<u64>,
    healed: bool,
}

impl Watch {
    fn new(seed: u64) -> Watch {
        Watch {
            report: Report {
                seed,
                ..Report::default()
            },
            leader_of_term: HashMap::new(),
            cut: None,
            healed: false,
        }
    }

    /// Invariant: one leader per term, whoever is asked.
    fn leaders(&mut self, registry: &Registry, now: Duration) {
        for (id, member) in registry.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let (term, _, leader) = member.raft.status();
            let Some(leader) = leader else { continue };
            match self.leader_of_term.get(&term) {
                None => {
                    self.leader_of_term.insert(term, leader);
                    self.report.leaders.push((term, leader));
                }
                Some(known) if *known != leader => self.report.violations.push(format!(
                    "at {now:?}: node {id} sees leader {leader} in term {term}, already led by {known}"
                )),
                Some(_) => {}
            }
        }
    }

    /// Cuts the latest leader off when the partition is due, heals it after.
    fn partition(
        &mut self,
        sim: &mut turmoil::Sim<'_>,
        scenario: &RaftScenario,
        ids: &[u64],
        now: Duration,
    ) {
        if self.cut.is_none() && now >= scenario.partition_at {
            if let Some((_, leader)) = self.report.leaders.last().copied() {
                for other in ids.iter().filter(|i| **i != leader) {
                    sim.partition(host(leader), host(*other).as_str());
                }
                self.cut = Some(leader);
            }
        }
        if let (Some(leader), false) = (self.cut, self.healed) {
            if now >= scenario.partition_at + scenario.partition_for {
                for other in ids.iter().filter(|i| **i != leader) {
                    sim.repair(host(leader), host(*other));
                }
                self.healed = true;
            }
        }
    }
}

/// One node: transport over simulated UDP, Raft, gossip, a counter it
/// increments.
async fn node(id: u64, ids: Vec<u64>, certs: PathBuf, data: PathBuf, registry: Registry) {
    let Some(socket) = udp::SimSocket::bind_port(PORT).await else {
        return;
    };
    let Ok(identity) = Identity::load(&certs, "sim", id) else {
        return;
    };
    let peers: Vec<Peer> = ids
        .iter()
        .filter(|p| **p != id)
        .map(|p| Peer {
            id: *p,
            addr: SocketAddr::new(turmoil::lookup(host(*p)), PORT),
            region: "sim".into(),
        })
        .collect();
    let counters = Arc::new(CrdtCounters::new(id));
    let gossip = Gossip::new(
        "sim".into(),
        "regional".into(),
        peers.clone(),
        counters.clone(),
        Duration::from_millis(100),
    );
    let Ok(member) = apigw_cluster::Member::open(gossip, |handler| {
        Transport::bind_socket(socket, identity, TransportOptions::default(), handler)
    }) else {
        return;
    };
    let kv = Arc::new(Kv::default());
    // A one-millisecond election window: openraft draws the timeout from it,
    // so the draw cannot differ between runs and the seed decides everything.
    let timing = RaftTiming {
        snapshot_every: 20,
        election_min_ms: 500 + 37 * id,
        election_max_ms: 501 + 37 * id,
        ..RaftTiming::default()
    };
    let Ok(raft) = member.start_raft(id, &data, kv.clone(), timing).await else {
        return;
    };
    if id == 1 {
        let mut members = BTreeMap::new();
        members.insert(id, SocketAddr::new(turmoil::lookup(host(id)), PORT));
        for p in &peers {
            members.insert(p.id, p.addr);
        }
        let _ = raft.initialize(members).await;
    }
    registry.lock().unwrap_or_else(|e| e.into_inner()).insert(
        id,
        Member {
            raft,
            kv,
            counters: counters.clone(),
        },
    );
    for _ in 0..COUNTED {
        counters.add("k", 0, 1);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    std::future::pending::<()>().await;
}
