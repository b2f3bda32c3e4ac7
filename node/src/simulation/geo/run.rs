//! Runs a [`Scenario`] on turmoil's simulated network with the cluster's
//! real code: every regional node has the QUIC transport (over simulated
//! UDP), gossip telling its region, role and load, a Raft member with its
//! log on disk, and CRDT counters; it answers forwarded requests on QUIC
//! streams, admitting them against the cluster-wide limit. Each client
//! population has an edge at its location that chooses a region with the
//! gateway's [`Chooser`] from what gossip says (load and RTT), races its
//! attempts with the gateway's [`Failover`] (retries, hedges, the breaker),
//! and records every request and every breaker opening. Without `apis` a
//! request is a bare forwarded stream and its answer 200 (or 429 past the
//! limit); with them each node runs the gateway's pipeline on what edges
//! forward (`gateway.rs`), and clients send their request mix
//! (`requests.rs`).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::dataplane::edge::{plan, served_header, take_served, ReplyHead};
use crate::dataplane::edge_failover::{Failover, Retry};
use apigw_cluster::raft::{Application, Command, RaftNode, RaftTiming};
use apigw_cluster::{pki, CrdtCounters, Gossip, Identity, Kind, Peer, Transport, TransportOptions};
use apigw_geo::choose::ChooserOptions;
use apigw_geo::{distance_km, Catalog, Chooser, Region};
// tokio's clock: simulated under turmoil.
use tokio::time::Instant;

use super::gateway::Served;
use super::record::{ApiRequest, Opening, Outcome, RunOutput, Sample};
use super::requests::Mix;
use super::scenario::{Action, Event, Scenario};
use crate::simulation::udp::SimSocket;

const PORT: u16 = 7000;
const QUOTA_KEY: &str = "quota";
/// How long a bare GET of a scenario without APIs may take to answer.
const LEGACY_TIMEOUT: Duration = Duration::from_secs(10);

/// A regional node of the scenario.
#[derive(Debug, Clone)]
struct NodeSpec {
    id: u64,
    host: String,
    region: String,
}

/// Applied deployments: name -> simulated time of apply.
#[derive(Default)]
struct Deployments(Mutex<BTreeMap<String, Duration>>);

impl Application for Deployments {
    fn apply(&self, command: &[u8]) -> Vec<u8> {
        let name = String::from_utf8_lossy(command).to_string();
        let now = turmoil::sim_elapsed().unwrap_or_default();
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name)
            .or_insert(now);
        Vec::new()
    }
    fn snapshot(&self) -> Vec<u8> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        serde_json::to_vec(&map.keys().collect::<Vec<_>>()).unwrap_or_default()
    }
    fn restore(&self, snapshot: &[u8]) {
        let names: Vec<String> = serde_json::from_slice(snapshot).unwrap_or_default();
        let now = turmoil::sim_elapsed().unwrap_or_default();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for n in names {
            map.entry(n).or_insert(now);
        }
    }
}

/// A running regional node's handles.
#[derive(Clone)]
struct Member {
    raft: Arc<RaftNode>,
    deployments: Arc<Deployments>,
    counters: Arc<CrdtCounters>,
}

type Registry = Arc<Mutex<HashMap<u64, Member>>>;
type Samples = Arc<Mutex<Vec<Sample>>>;
/// Breaker openings of every edge: (edge host, node, simulated time).
type Openings = Arc<Mutex<Vec<(String, u64, Duration)>>>;

fn nodes_of(scenario: &Scenario) -> Vec<NodeSpec> {
    let mut nodes = Vec::new();
    for region in &scenario.regions {
        for i in 0..region.nodes {
            nodes.push(NodeSpec {
                id: nodes.len() as u64 + 1,
                host: format!("{}-n{i}", region.name),
                region: region.name.clone(),
            });
        }
    }
    nodes
}

fn latency(scenario: &Scenario, a: &str, b: &str) -> Duration {
    let spec = &scenario.latency;
    if a == b {
        return Duration::from_millis(spec.intra_ms);
    }
    if let Some(ms) = spec
        .between
        .get(&format!("{a}/{b}"))
        .or_else(|| spec.between.get(&format!("{b}/{a}")))
    {
        return Duration::from_millis(*ms);
    }
    let (ra, rb) = (
        scenario.regions.iter().find(|r| r.name == a),
        scenario.regions.iter().find(|r| r.name == b),
    );
    match (ra, rb) {
        (Some(ra), Some(rb)) => {
            let km = distance_km(ra.lat, ra.lon, rb.lat, rb.lon);
            Duration::from_micros((km / 1000.0 * spec.per_1000km_ms * 1000.0) as u64 + 1000)
        }
        _ => Duration::from_millis(spec.intra_ms),
    }
}

/// The scenario's hosts: its regional nodes, one edge per client population
/// (ids after the nodes'), and what the harness reads back from them.
struct World {
    nodes: Vec<NodeSpec>,
    edges: Vec<u64>,
    certs: PathBuf,
    registry: Registry,
    samples: Samples,
    openings: Openings,
    catalog: Catalog,
    /// The APIs every node serves, if the scenario has any.
    served: Option<Arc<Served>>,
}

/// Runs the scenario; `dir` receives certificates and the nodes' disks.
pub fn run(scenario: &Scenario, dir: &Path) -> Result<RunOutput, String> {
    let _ = std::fs::remove_dir_all(dir);
    let world = World::new(scenario, dir)?;
    let mut sim = simulation(scenario);
    world.start_regionals(&mut sim, scenario, dir);
    world.start_edges(&mut sim, scenario);
    let links = Links::new(scenario, &world);
    links.set(&sim, None);
    let mut play = Play::new(scenario);
    let run_for = Duration::from_secs(scenario.duration_s);
    loop {
        let done = sim.step().map_err(|e| e.to_string())?;
        let now = sim.elapsed();
        play.watch_leaders(&world.registry, now);
        play.end_spike(&sim, &links, now);
        play.due_events(&mut sim, &world, &links, now);
        play.submit_deploys(&mut sim, &world);
        if done || now > run_for + Duration::from_secs(10) {
            break;
        }
    }
    Ok(play.output(&world, sim.elapsed()))
}

/// The simulated network: seeded, ticking every millisecond, running a
/// minute past the load.
fn simulation(scenario: &Scenario) -> turmoil::Sim<'static> {
    let run_for = Duration::from_secs(scenario.duration_s);
    turmoil::Builder::new()
        .rng_seed(scenario.seed)
        .simulation_duration(run_for + Duration::from_secs(60))
        .tick_duration(Duration::from_millis(1))
        .min_message_latency(Duration::from_millis(scenario.latency.intra_ms))
        .max_message_latency(Duration::from_millis(scenario.latency.intra_ms))
        .build()
}

impl World {
    /// The hosts of the scenario, with certificates for each under `dir`.
    fn new(scenario: &Scenario, dir: &Path) -> Result<World, String> {
        let nodes = nodes_of(scenario);
        let edges: Vec<u64> = (0..scenario.clients.len())
            .map(|i| nodes.len() as u64 + 1 + i as u64)
            .collect();
        let certs = dir.join("certs");
        let all_ids: Vec<u64> = nodes
            .iter()
            .map(|n| n.id)
            .chain(edges.iter().copied())
            .collect();
        pki::init(&certs, "sim", &all_ids).map_err(|e| e.to_string())?;
        let served = Served::build(scenario, dir)?.map(Arc::new);
        let catalog = Catalog::new(
            scenario
                .regions
                .iter()
                .map(|r| Region {
                    name: r.name.clone(),
                    lat: r.lat,
                    lon: r.lon,
                })
                .collect(),
        );
        Ok(World {
            nodes,
            edges,
            certs,
            registry: Arc::default(),
            samples: Arc::default(),
            openings: Arc::default(),
            catalog,
            served,
        })
    }

    /// One turmoil host per regional node (restartable: a bounced host runs
    /// the same closure again).
    fn start_regionals(&self, sim: &mut turmoil::Sim<'_>, scenario: &Scenario, dir: &Path) {
        let limit = scenario.rate_limit.as_ref().map(|r| r.limit);
        let edge_hosts: Vec<(u64, String)> = self
            .edges
            .iter()
            .zip(&scenario.clients)
            .map(|(id, c)| (*id, format!("edge-{}", c.name)))
            .collect();
        for node in self.nodes.clone() {
            // Kept across restarts: when the node first applied each deployment
            // (a restarted node replays its log; that is not propagation).
            let applied = Arc::new(Deployments::default());
            let (registry, certs, data, all, edge_hosts) = (
                self.registry.clone(),
                self.certs.clone(),
                dir.join(format!("node-{}", node.id)),
                self.nodes.clone(),
                edge_hosts.clone(),
            );
            let host = node.host.clone();
            let served = self.served.clone();
            sim.host(host.as_str(), move || {
                let (registry, certs, data, all, node, edge_hosts, applied) = (
                    registry.clone(),
                    certs.clone(),
                    data.clone(),
                    all.clone(),
                    node.clone(),
                    edge_hosts.clone(),
                    applied.clone(),
                );
                let answer = match &served {
                    Some(served) => Answer::Gateway(served.clone()),
                    None => Answer::Bare(limit),
                };
                async move {
                    regional(
                        node, all, edge_hosts, certs, data, registry, answer, applied,
                    )
                    .await;
                    Ok(())
                }
            });
        }
    }

    /// One turmoil client per client population: its edge and its load.
    fn start_edges(&self, sim: &mut turmoil::Sim<'_>, scenario: &Scenario) {
        let run_for = Duration::from_secs(scenario.duration_s);
        for (client, edge_id) in scenario.clients.iter().zip(&self.edges) {
            let host = format!("edge-{}", client.name);
            let world = EdgeWorld {
                edge_id: *edge_id,
                certs: self.certs.clone(),
                nodes: self.nodes.clone(),
                catalog: self.catalog.clone(),
                samples: self.samples.clone(),
                openings: self.openings.clone(),
                failover: scenario.failover.clone(),
                mix: Mix::of(scenario, client).map(Arc::new),
            };
            let client = client.clone();
            sim.client(host.as_str(), async move {
                edge(client, world, run_for).await;
                Ok(())
            });
        }
    }
}

/// Every host with its region (an edge sits in its clients' nearest
/// region), for link latencies and partitions.
struct Links<'s> {
    scenario: &'s Scenario,
    located: Vec<(String, String)>,
}

impl<'s> Links<'s> {
    fn new(scenario: &'s Scenario, world: &World) -> Links<'s> {
        let mut located: Vec<(String, String)> = world
            .nodes
            .iter()
            .map(|n| (n.host.clone(), n.region.clone()))
            .collect();
        for c in &scenario.clients {
            located.push((
                format!("edge-{}", c.name),
                world
                    .catalog
                    .by_distance(c.lat, c.lon)
                    .first()
                    .map_or_else(String::new, |(r, _)| r.name.clone()),
            ));
        }
        Links { scenario, located }
    }

    /// Sets every link's latency from the scenario, the `spike` (between two
    /// regions) in place of it where one is given.
    fn set(&self, sim: &turmoil::Sim<'_>, spike: Option<(&str, &str, Duration)>) {
        let is = |h: &str, r: &str, name: &str| r == name || h == format!("edge-{name}");
        for (i, (ha, ra)) in self.located.iter().enumerate() {
            for (hb, rb) in self.located.iter().skip(i + 1) {
                let mut l = latency(self.scenario, ra, rb);
                if let Some((a, b, d)) = spike {
                    if (is(ha, ra, a) && is(hb, rb, b)) || (is(ha, ra, b) && is(hb, rb, a)) {
                        l = d;
                    }
                }
                sim.set_link_latency(ha.as_str(), hb.as_str(), l);
            }
        }
    }

    /// The hosts of a region (its nodes and the edges located there), or
    /// a client population's edge.
    fn hosts_of(&self, name: &str) -> Vec<String> {
        self.located
            .iter()
            .filter(|(h, r)| r == name || *h == format!("edge-{name}"))
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// Cuts (or, `cut` false, repairs) every link between two regions.
    fn partition(&self, sim: &mut turmoil::Sim<'_>, [a, b]: &[String; 2], cut: bool) {
        for ha in self.hosts_of(a) {
            for hb in self.hosts_of(b) {
                if cut {
                    sim.partition(ha.as_str(), hb.as_str());
                } else {
                    sim.repair(ha.as_str(), hb.as_str());
                }
            }
        }
    }
}

/// The harness's side of a run: the timeline played, the leaders watched
/// (one per term), the deployments submitted, and what it saw.
struct Play {
    timeline: Vec<Event>,
    next_event: usize,
    bounced: Vec<u64>,
    spike_ends: Option<Duration>,
    leaders: Vec<(u64, u64)>,
    leader_of_term: HashMap<u64, u64>,
    violations: Vec<String>,
    deploys: Vec<(String, Duration)>,
    pending_deploys: Vec<(String, String)>,
    faults: Vec<Fault>,
}

/// A stretch of time when `b`'s hosts could not be reached from `a`'s
/// (`a` empty: from anywhere: a crash). Open while `to` is `None`.
struct Fault {
    a: Vec<String>,
    b: Vec<String>,
    from: Duration,
    to: Option<Duration>,
}

/// How long after a fault ends a breaker opening still counts as seeing it.
const FAULT_LINGER: Duration = Duration::from_secs(2);

impl Fault {
    fn cuts(&self, edge: &str, node: &str, at: Duration) -> bool {
        let between = |x: &[String], y: &[String]| {
            (x.is_empty() || x.iter().any(|h| h == edge)) && y.iter().any(|h| h == node)
        };
        let during = self.from <= at && self.to.is_none_or(|to| at <= to + FAULT_LINGER);
        during && (between(&self.a, &self.b) || between(&self.b, &self.a))
    }
}

impl Play {
    fn new(scenario: &Scenario) -> Play {
        let mut timeline = scenario.timeline.clone();
        timeline.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
        Play {
            timeline,
            next_event: 0,
            bounced: Vec::new(),
            spike_ends: None,
            leaders: Vec::new(),
            leader_of_term: HashMap::new(),
            violations: Vec::new(),
            deploys: Vec::new(),
            pending_deploys: Vec::new(),
            faults: Vec::new(),
        }
    }

    /// Records each term's leader, and a violation when two nodes see
    /// different leaders in one term.
    fn watch_leaders(&mut self, registry: &Registry, now: Duration) {
        for (id, member) in registry.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let (term, _, leader) = member.raft.status();
            let Some(leader) = leader else { continue };
            match self.leader_of_term.get(&term) {
                None => {
                    self.leader_of_term.insert(term, leader);
                    self.leaders.push((term, leader));
                }
                Some(known) if *known != leader => self.violations.push(format!(
                    "at {now:?}: node {id} sees leader {leader} in term {term}, already led by {known}"
                )),
                Some(_) => {}
            }
        }
    }

    fn end_spike(&mut self, sim: &turmoil::Sim<'_>, links: &Links<'_>, now: Duration) {
        if self.spike_ends.is_some_and(|end| now >= end) {
            links.set(sim, None);
            self.spike_ends = None;
        }
    }

    /// Plays every timeline event that is due.
    fn due_events(
        &mut self,
        sim: &mut turmoil::Sim<'_>,
        world: &World,
        links: &Links<'_>,
        now: Duration,
    ) {
        while self.next_event < self.timeline.len()
            && now >= Duration::from_secs_f64(self.timeline[self.next_event].at_s.max(0.0))
        {
            let action = self.timeline[self.next_event].action.clone();
            self.act(sim, world, links, &action, now);
            self.next_event += 1;
        }
    }

    fn act(
        &mut self,
        sim: &mut turmoil::Sim<'_>,
        world: &World,
        links: &Links<'_>,
        action: &Action,
        now: Duration,
    ) {
        let nodes = &world.nodes;
        match action {
            Action::RegionDown(region) => {
                for h in nodes.iter().filter(|n| &n.region == region) {
                    self.crash(sim, world, h, now);
                }
            }
            Action::RegionUp(region) => {
                self.close_faults(&[], &links.hosts_of(region), now);
                self.region_up(sim, world, region);
            }
            Action::Partition(pair) => {
                self.faults.push(Fault {
                    a: links.hosts_of(&pair[0]),
                    b: links.hosts_of(&pair[1]),
                    from: now,
                    to: None,
                });
                links.partition(sim, pair, true);
            }
            Action::Heal(pair) => {
                self.close_faults(&links.hosts_of(&pair[0]), &links.hosts_of(&pair[1]), now);
                links.partition(sim, pair, false);
            }
            Action::LatencySpike {
                between: [a, b],
                ms,
                for_s,
            } => {
                links.set(sim, Some((a, b, Duration::from_millis(*ms))));
                self.spike_ends = Some(now + Duration::from_secs_f64(for_s.max(0.0)));
            }
            Action::KillNode(name) => {
                let host = name.replacen('/', "-n", 1);
                if let Some(n) = nodes.iter().find(|n| n.host == host) {
                    self.crash(sim, world, n, now);
                }
            }
            Action::KillLeader => {
                let leader = self.leaders.last().map(|l| l.1);
                if let Some(n) = nodes.iter().find(|n| Some(n.id) == leader) {
                    self.crash(sim, world, n, now);
                }
            }
            Action::Deploy { via } => {
                let name = format!("deploy-{}", self.next_event);
                self.pending_deploys.push((name.clone(), via.clone()));
                self.deploys.push((name, now));
            }
        }
    }

    /// Crashes a node and notes the fault.
    fn crash(&mut self, sim: &mut turmoil::Sim<'_>, world: &World, node: &NodeSpec, now: Duration) {
        self.faults.push(Fault {
            a: Vec::new(),
            b: vec![node.host.clone()],
            from: now,
            to: None,
        });
        crash(sim, &world.registry, node);
    }

    /// Ends the open faults between `a` and `b` (`a` empty: crashes of `b`).
    fn close_faults(&mut self, a: &[String], b: &[String], now: Duration) {
        for f in self.faults.iter_mut().filter(|f| f.to.is_none()) {
            let same = |x: &[String], y: &[String]| x == y;
            if (same(&f.a, a) && same(&f.b, b)) || (same(&f.a, b) && same(&f.b, a)) {
                f.to = Some(now);
            }
        }
    }

    /// Every edge's breaker openings, each told whether a fault explains it.
    fn openings(&self, world: &World) -> Vec<Opening> {
        let openings = world.openings.lock().unwrap_or_else(|e| e.into_inner());
        openings
            .iter()
            .map(|(edge, node, at)| {
                let host = world
                    .nodes
                    .iter()
                    .find(|n| n.id == *node)
                    .map_or_else(String::new, |n| n.host.clone());
                Opening {
                    edge: edge.clone(),
                    node: host.clone(),
                    at_ms: at.as_millis() as u64,
                    false_positive: !self.faults.iter().any(|f| f.cuts(edge, &host, *at)),
                }
            })
            .collect()
    }

    /// Restarts a region's crashed nodes.
    fn region_up(&mut self, sim: &mut turmoil::Sim<'_>, world: &World, region: &str) {
        for h in world.nodes.iter().filter(|n| n.region == region) {
            if !sim.is_host_running(h.host.as_str()) {
                sim.bounce(h.host.as_str());
                self.bounced.push(h.id);
            }
        }
    }

    /// Deployments are submitted by the harness to the leader (as a node
    /// of `via` would forward them), retried while there is none.
    fn submit_deploys(&mut self, sim: &mut turmoil::Sim<'_>, world: &World) {
        for (name, via) in self.pending_deploys.drain(..) {
            let registry = world.registry.clone();
            let via_ids: Vec<u64> = world
                .nodes
                .iter()
                .filter(|n| n.region == via)
                .map(|n| n.id)
                .collect();
            sim.client(format!("deployer-{name}").as_str(), async move {
                deploy(registry, via_ids, name).await;
                Ok(())
            });
        }
    }

    /// What the run saw: samples, leaders, violations, when each node applied
    /// each deployment, the counters at the end.
    fn output(self, world: &World, simulated: Duration) -> RunOutput {
        let openings = self.openings(world);
        let members = world
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let deploys = self
            .deploys
            .into_iter()
            .map(|(name, at)| {
                let applied = applied_at(&members, &name);
                (name, at, applied)
            })
            .collect();
        let counters_at_end: BTreeMap<u64, u64> = members
            .iter()
            .map(|(id, m)| (*id, m.counters.total(QUOTA_KEY, 0)))
            .collect();
        let samples = world
            .samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let cache = world.served.as_ref().map_or_else(BTreeMap::new, |s| {
            let counts = s.tally.counts();
            scenario_names(&samples)
                .into_iter()
                .map(|name| {
                    let id = super::apis::api_id(&name);
                    (name, counts.get(&id).copied().unwrap_or_default())
                })
                .collect()
        });
        let notes = self
            .bounced
            .iter()
            .filter(|id| !members.contains_key(id))
            .map(|id| {
                format!(
                    "node {id} was restarted but could not bind its simulated socket again \
                     (the crashed instance's socket is not released): it stays down"
                )
            })
            .collect();
        RunOutput {
            cache,
            openings,
            notes,
            samples,
            leaders: self.leaders,
            violations: self.violations,
            deploys,
            counters_at_end,
            simulated,
        }
    }
}

/// The API names the samples used.
fn scenario_names(samples: &[Sample]) -> std::collections::BTreeSet<String> {
    samples
        .iter()
        .filter_map(|s| s.api.as_ref().map(|a| a.api.clone()))
        .collect()
}

/// When each member applied a deployment (`None`: it never did).
fn applied_at(members: &HashMap<u64, Member>, name: &str) -> BTreeMap<u64, Option<Duration>> {
    members
        .iter()
        .map(|(id, m)| {
            let t = m
                .deployments
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(name)
                .copied();
            (*id, t)
        })
        .collect()
}

/// Writes a deployment through the leader a node of `via_ids` knows,
/// retrying (40 times, every 500 ms) while there is none or the write fails.
async fn deploy(registry: Registry, via_ids: Vec<u64>, name: String) {
    for _ in 0..40 {
        let target = {
            let members = registry.lock().unwrap_or_else(|e| e.into_inner());
            let leader = via_ids
                .iter()
                .find_map(|id| members.get(id).and_then(|m| m.raft.status().2));
            leader.and_then(|l| members.get(&l).cloned())
        };
        if let Some(member) = target {
            let command = Command {
                id: name.clone(),
                data: name.clone().into_bytes(),
            };
            if member
                .raft
                .write(command, Duration::from_secs(5))
                .await
                .is_ok()
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn addr_of(host: &str) -> SocketAddr {
    SocketAddr::new(turmoil::lookup(host), PORT)
}

/// How long an edge client waits after its last request before it is done.
const SETTLE: Duration = Duration::from_secs(2);

/// Crashes a regional node. Its registry entry goes first: the last
/// handle on its QUIC socket must drop inside the host (while turmoil
/// crashes it), or the simulated port stays bound and a restart cannot
/// bind it again.
fn crash(sim: &mut turmoil::Sim, registry: &Registry, node: &NodeSpec) {
    registry
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&node.id);
    sim.crash(node.host.as_str());
}

/// How a regional node answers forwarded requests.
enum Answer {
    /// 200, or 429 past the cluster-wide limit.
    Bare(Option<u64>),
    /// The gateway's pipeline over the scenario's APIs.
    Gateway(Arc<Served>),
}

/// A regional node: transport, gossip, Raft, counters, and the answer to
/// forwarded requests.
#[allow(clippy::too_many_arguments)]
async fn regional(
    node: NodeSpec,
    all: Vec<NodeSpec>,
    edges: Vec<(u64, String)>,
    certs: PathBuf,
    data: PathBuf,
    registry: Registry,
    answer: Answer,
    deployments: Arc<Deployments>,
) {
    let Some(socket) = SimSocket::bind_port(PORT).await else {
        return;
    };
    let Ok(identity) = Identity::load(&certs, "sim", node.id) else {
        return;
    };
    let counters = Arc::new(CrdtCounters::new(node.id));
    let gossip = Gossip::new(
        node.region.clone(),
        "regional".into(),
        regional_peers(&node, &all, &edges),
        counters.clone(),
        Duration::from_millis(100),
    );
    let Ok(member) = apigw_cluster::Member::open(gossip.clone(), |handler| {
        Transport::bind_socket(socket, identity, TransportOptions::default(), handler)
    }) else {
        return;
    };
    match answer {
        Answer::Bare(limit) => answer_forwards(&member.transport, &counters, &gossip, limit),
        Answer::Gateway(served) => {
            let peers = all.len().saturating_sub(1);
            let built = served.gateway(
                node.id,
                &node.region,
                counters.clone(),
                gossip.clone(),
                peers,
            );
            let Ok(gateway) = built else {
                return;
            };
            super::gateway::serve_forwards(&member.transport, Arc::new(gateway), gossip.clone());
        }
    }
    let timing = RaftTiming {
        snapshot_every: 50,
        election_min_ms: 1500 + 37 * node.id,
        election_max_ms: 1501 + 37 * node.id,
        heartbeat_ms: 300,
    };
    let Ok(raft) = member
        .start_raft(node.id, &data, deployments.clone(), timing)
        .await
    else {
        return;
    };
    if node.id == 1 {
        // A second call after a restart is refused by openraft: harmless.
        let mut members = BTreeMap::new();
        for n in &all {
            members.insert(n.id, addr_of(&n.host));
        }
        let _ = raft.initialize(members).await;
    }
    registry.lock().unwrap_or_else(|e| e.into_inner()).insert(
        node.id,
        Member {
            raft,
            deployments,
            counters,
        },
    );
    std::future::pending::<()>().await;
}

/// A regional node's gossip peers: the other regional nodes, and the edges
/// (which hear regional nodes' gossip: region, role, load).
fn regional_peers(node: &NodeSpec, all: &[NodeSpec], edges: &[(u64, String)]) -> Vec<Peer> {
    let mut peers: Vec<Peer> = all
        .iter()
        .filter(|p| p.id != node.id)
        .map(|p| Peer {
            id: p.id,
            addr: addr_of(&p.host),
            region: p.region.clone(),
        })
        .collect();
    for (id, host) in edges {
        peers.push(Peer {
            id: *id,
            addr: addr_of(host),
            region: "edge".into(),
        });
    }
    peers
}

/// Answers forwarded requests: `200`, counted against the cluster-wide
/// `limit`, or `429` once the count reached it; the request counts as load
/// while it is served.
fn answer_forwards(
    transport: &Transport,
    counters: &Arc<CrdtCounters>,
    gossip: &Arc<Gossip>,
    limit: Option<u64>,
) {
    let (counters, gossip) = (counters.clone(), gossip.clone());
    transport.set_stream_handler(Arc::new(move |_from, _head, mut send, mut recv| {
        let (counters, gossip) = (counters.clone(), gossip.clone());
        Box::pin(async move {
            let began = Instant::now();
            gossip.load.fetch_add(1, Ordering::Relaxed);
            let _ = recv.read_to_end(1024).await;
            let status: &[u8] = match limit {
                Some(l) if counters.total(QUOTA_KEY, 0) >= l => b"429",
                _ => {
                    counters.add(QUOTA_KEY, 0, 1);
                    b"200"
                }
            };
            // A little work, so load means something.
            tokio::time::sleep(Duration::from_millis(2)).await;
            let reply = ReplyHead {
                status: if status == b"200" { 200 } else { 429 },
                headers: vec![served_header(began.elapsed())],
            };
            let Ok(reply) = reply.encode() else { return };
            let _ = apigw_cluster::write_head(&mut send, &reply).await;
            let _ = send.finish();
            gossip.load.fetch_sub(1, Ordering::Relaxed);
        })
    }));
}

/// What an edge of the scenario is given.
struct EdgeWorld {
    edge_id: u64,
    certs: PathBuf,
    nodes: Vec<NodeSpec>,
    catalog: Catalog,
    samples: Samples,
    openings: Openings,
    failover: crate::dataplane::edge_failover::FailoverOptions,
    /// What the clients send, when the scenario has APIs.
    mix: Option<Arc<Mix>>,
}

/// An edge at a client population: sends its requests to the region the
/// chooser picks, raced with the gateway's failover.
async fn edge(client: super::scenario::ClientSpec, world: EdgeWorld, run_for: Duration) {
    let Some(socket) = SimSocket::bind_port(PORT).await else {
        return;
    };
    let Ok(identity) = Identity::load(&world.certs, "sim", world.edge_id) else {
        return;
    };
    let peers: Vec<Peer> = world
        .nodes
        .iter()
        .map(|p| Peer {
            id: p.id,
            addr: addr_of(&p.host),
            region: p.region.clone(),
        })
        .collect();
    let gossip = Gossip::new(
        "edge".into(),
        "edge".into(),
        peers,
        Arc::new(CrdtCounters::new(world.edge_id)),
        Duration::from_millis(100),
    );
    let Some(transport) = edge_transport(socket, identity, &gossip) else {
        return;
    };
    let load = Load {
        gossip,
        transport,
        chooser: Arc::new(Chooser::new(world.catalog, ChooserOptions::default())),
        failover: Arc::new(Failover::new(world.failover)),
        samples: world.samples,
        client,
        mix: world.mix,
    };
    // Give gossip a moment to hear the regions before the load starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    load.run(run_for).await;
    // Requests still in flight end, and gossip settles the counters, before
    // this client (and so the run) is done.
    tokio::time::sleep(SETTLE).await;
    let now = turmoil::sim_elapsed().unwrap_or_default();
    let host = format!("edge-{}", load.client.name);
    let mut openings = world.openings.lock().unwrap_or_else(|e| e.into_inner());
    for (node, at) in load.failover.take_openings() {
        openings.push((host.clone(), node, now.saturating_sub(at.elapsed())));
    }
}

/// An edge's endpoint: it takes gossip only, and gossips itself.
fn edge_transport(
    socket: Arc<SimSocket>,
    identity: Identity,
    gossip: &Arc<Gossip>,
) -> Option<Arc<Transport>> {
    let handler_gossip = gossip.clone();
    let handler: apigw_cluster::transport::Handler = Arc::new(move |from, kind, payload| {
        let result = match kind {
            Kind::Gossip => handler_gossip.receive(from, &payload),
            _ => Err("edge".to_string()),
        };
        Box::pin(async move { result })
    });
    let transport =
        Transport::bind_socket(socket, identity, TransportOptions::default(), handler).ok()?;
    tokio::spawn(gossip.clone().run(transport.clone()));
    Some(transport)
}

/// One client population's load through its edge.
#[derive(Clone)]
struct Load {
    gossip: Arc<Gossip>,
    transport: Arc<Transport>,
    chooser: Arc<Chooser>,
    failover: Arc<Failover>,
    samples: Samples,
    client: super::scenario::ClientSpec,
    mix: Option<Arc<Mix>>,
}

impl Load {
    /// Starts a request every `1/rps` seconds for `run_for`, each recorded.
    async fn run(&self, run_for: Duration) {
        let every = Duration::from_secs_f64(1.0 / f64::from(self.client.rps.max(1)));
        let started = turmoil::sim_elapsed().unwrap_or_default();
        let mut ticker = tokio::time::interval(every);
        while turmoil::sim_elapsed().unwrap_or_default() < started + run_for {
            ticker.tick().await;
            tokio::spawn(self.clone().sample());
        }
    }

    /// One request, recorded with when it started and how long it took.
    async fn sample(self) {
        let at = turmoil::sim_elapsed().unwrap_or_default();
        let (outcome, switched, api) = match &self.mix {
            Some(mix) => self.api_request(mix).await,
            None => {
                let (outcome, switched) = self.one_request().await;
                (outcome, switched, None)
            }
        };
        let took = turmoil::sim_elapsed()
            .unwrap_or_default()
            .saturating_sub(at);
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Sample {
                client: self.client.name.clone(),
                at_ms: at.as_millis() as u64,
                latency_us: took.as_micros() as u64,
                outcome,
                switched,
                api,
            });
    }

    /// The next request of the mix through the edge's plan and race: the
    /// outcome, whether the group moved region, and the answer's status.
    async fn api_request(&self, mix: &Mix) -> (Outcome, bool, Option<ApiRequest>) {
        let (request, n) = mix.next();
        let mut api = ApiRequest {
            api: request.api.clone(),
            request: request.label.clone(),
            status: None,
            error_type: None,
        };
        let (targets, switched) = plan(
            self.gossip.peers(),
            self.failover.failed_ago(),
            &self.chooser,
            self.client.lat,
            self.client.lon,
        );
        if targets.is_empty() {
            return (Outcome::NoRegion, switched, Some(api));
        }
        let client_ip = std::net::IpAddr::from([198, 51, 100, 1]);
        let Ok(head) = request.head(client_ip, format!("{}-{n}", self.client.name)) else {
            return (Outcome::Failed, switched, Some(api));
        };
        let won = self
            .failover
            .race(&self.gossip, &targets, request.retry(), |target| {
                super::requests::attempt(
                    &self.transport,
                    target,
                    &head,
                    &request.body,
                    super::requests::ANSWER_TIMEOUT,
                )
            })
            .await;
        let outcome = match won {
            Ok(mut won) => {
                let target = &targets[won.target];
                if let Some(served) = take_served(&mut won.value.1) {
                    self.gossip
                        .observe_rtt(target.node, won.took.saturating_sub(served));
                }
                let region = target.region.clone();
                api.status = Some(won.value.0);
                api.error_type = won
                    .value
                    .1
                    .get("x-amzn-errortype")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                match won.value.0 {
                    429 => Outcome::Limited { region },
                    _ => Outcome::Ok { region },
                }
            }
            Err(_) => Outcome::Failed,
        };
        (outcome, switched, Some(api))
    }

    /// One GET through the edge's plan and race; whether the client's group
    /// moved region with it.
    async fn one_request(&self) -> (Outcome, bool) {
        let (targets, switched) = plan(
            self.gossip.peers(),
            self.failover.failed_ago(),
            &self.chooser,
            self.client.lat,
            self.client.lon,
        );
        if targets.is_empty() {
            return (Outcome::NoRegion, switched);
        }
        let head = self.client.name.clone().into_bytes();
        let no_body = bytes::Bytes::new();
        let won = self
            .failover
            .race(&self.gossip, &targets, Retry::Hedge, |target| {
                super::requests::attempt(&self.transport, target, &head, &no_body, LEGACY_TIMEOUT)
            })
            .await;
        let outcome = match won {
            Ok(mut won) => {
                let target = &targets[won.target];
                if let Some(served) = take_served(&mut won.value.1) {
                    self.gossip
                        .observe_rtt(target.node, won.took.saturating_sub(served));
                }
                let region = target.region.clone();
                match won.value.0 {
                    200 => Outcome::Ok { region },
                    _ => Outcome::Limited { region },
                }
            }
            Err(_) => Outcome::Failed,
        };
        (outcome, switched)
    }
}
