//! Runs a [`Scenario`] on turmoil's simulated network with the cluster's
//! real code: every regional node has the QUIC transport (over simulated
//! UDP), gossip telling its region, role and load, a Raft member with its
//! log on disk, and CRDT counters; it answers forwarded requests on QUIC
//! streams, admitting them against the cluster-wide limit. Each client
//! population has an edge at its location that chooses a region with the
//! gateway's [`Chooser`] from what gossip says, retries on the next node
//! when one fails, and records every request. The HTTP pipeline itself is
//! not run: a request is a forwarded stream, its answer a status.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apigw::dataplane::edge::{plan, Target};
use apigw_cluster::raft::{Application, Command, RaftNode, RaftTiming};
use apigw_cluster::{pki, CrdtCounters, Gossip, Identity, Kind, Peer, Transport, TransportOptions};
use apigw_geo::choose::ChooserOptions;
use apigw_geo::{distance_km, Catalog, Chooser, Region};
// tokio's clock: simulated under turmoil.
use tokio::time::Instant;

use super::record::{Outcome, RunOutput, Sample};
use super::scenario::{Action, Scenario};
use crate::udp::SimSocket;

const PORT: u16 = 7000;
const QUOTA_KEY: &str = "quota";

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

/// Runs the scenario; `dir` receives certificates and the nodes' disks.
pub fn run(scenario: &Scenario, dir: &Path) -> Result<RunOutput, String> {
    let _ = std::fs::remove_dir_all(dir);
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
    let registry: Registry = Arc::default();
    let samples: Samples = Arc::default();
    let limit = scenario.rate_limit.as_ref().map(|r| r.limit);
    let run_for = Duration::from_secs(scenario.duration_s);
    let mut sim = turmoil::Builder::new()
        .rng_seed(scenario.seed)
        .simulation_duration(run_for + Duration::from_secs(60))
        .tick_duration(Duration::from_millis(1))
        .min_message_latency(Duration::from_millis(scenario.latency.intra_ms))
        .max_message_latency(Duration::from_millis(scenario.latency.intra_ms))
        .build();
    let edge_hosts: Vec<(u64, String)> = edges
        .iter()
        .zip(&scenario.clients)
        .map(|(id, c)| (*id, format!("edge-{}", c.name)))
        .collect();
    for node in nodes.clone() {
        // Kept across restarts: when the node first applied each deployment
        // (a restarted node replays its log; that is not propagation).
        let applied = Arc::new(Deployments::default());
        let (registry, certs, data, all, edge_hosts) = (
            registry.clone(),
            certs.clone(),
            dir.join(format!("node-{}", node.id)),
            nodes.clone(),
            edge_hosts.clone(),
        );
        let host = node.host.clone();
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
            async move {
                regional(node, all, edge_hosts, certs, data, registry, limit, applied).await;
                Ok(())
            }
        });
    }
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
    for (client, edge_id) in scenario.clients.iter().zip(&edges) {
        let host = format!("edge-{}", client.name);
        let (client, edge_id, certs, nodes, samples, catalog) = (
            client.clone(),
            *edge_id,
            certs.clone(),
            nodes.clone(),
            samples.clone(),
            catalog.clone(),
        );
        sim.client(host.as_str(), async move {
            edge(client, edge_id, certs, nodes, catalog, samples, run_for).await;
            Ok(())
        });
    }
    // Latency: an edge sits in its clients' nearest region.
    let mut located: Vec<(String, String)> = nodes
        .iter()
        .map(|n| (n.host.clone(), n.region.clone()))
        .collect();
    for c in &scenario.clients {
        located.push((
            format!("edge-{}", c.name),
            catalog
                .by_distance(c.lat, c.lon)
                .first()
                .map_or_else(String::new, |(r, _)| r.name.clone()),
        ));
    }
    let set_latency = |sim: &turmoil::Sim, spike: Option<(&str, &str, Duration)>| {
        for (i, (ha, ra)) in located.iter().enumerate() {
            for (hb, rb) in located.iter().skip(i + 1) {
                let mut l = latency(scenario, ra, rb);
                if let Some((a, b, d)) = spike {
                    if (ra == a && rb == b) || (ra == b && rb == a) {
                        l = d;
                    }
                }
                sim.set_link_latency(ha.as_str(), hb.as_str(), l);
            }
        }
    };
    set_latency(&sim, None);

    let hosts_of = |region: &str| -> Vec<String> {
        located
            .iter()
            .filter(|(_, r)| r == region)
            .map(|(h, _)| h.clone())
            .collect()
    };
    let mut timeline = scenario.timeline.clone();
    timeline.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    let mut next_event = 0;
    let mut bounced: Vec<u64> = Vec::new();
    let mut spike_ends: Option<Duration> = None;
    let mut leaders: Vec<(u64, u64)> = Vec::new();
    let mut leader_of_term: HashMap<u64, u64> = HashMap::new();
    let mut violations = Vec::new();
    let mut deploys: Vec<(String, Duration)> = Vec::new();
    let mut pending_deploys: Vec<(String, String)> = Vec::new();
    loop {
        let done = sim.step().map_err(|e| e.to_string())?;
        let now = sim.elapsed();
        for (id, member) in registry.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let (term, _, leader) = member.raft.status();
            if let Some(leader) = leader {
                match leader_of_term.get(&term) {
                    None => {
                        leader_of_term.insert(term, leader);
                        leaders.push((term, leader));
                    }
                    Some(known) if *known != leader => violations.push(format!(
                        "at {now:?}: node {id} sees leader {leader} in term {term}, already led by {known}"
                    )),
                    Some(_) => {}
                }
            }
        }
        if spike_ends.is_some_and(|end| now >= end) {
            set_latency(&sim, None);
            spike_ends = None;
        }
        while next_event < timeline.len()
            && now >= Duration::from_secs_f64(timeline[next_event].at_s.max(0.0))
        {
            match &timeline[next_event].action {
                Action::RegionDown(region) => {
                    for h in nodes.iter().filter(|n| &n.region == region) {
                        crash(&mut sim, &registry, h);
                    }
                }
                Action::RegionUp(region) => {
                    for h in nodes.iter().filter(|n| &n.region == region) {
                        if !sim.is_host_running(h.host.as_str()) {
                            sim.bounce(h.host.as_str());
                            bounced.push(h.id);
                        }
                    }
                }
                Action::Partition([a, b]) => {
                    for ha in hosts_of(a) {
                        for hb in hosts_of(b) {
                            sim.partition(ha.as_str(), hb.as_str());
                        }
                    }
                }
                Action::Heal([a, b]) => {
                    for ha in hosts_of(a) {
                        for hb in hosts_of(b) {
                            sim.repair(ha.as_str(), hb.as_str());
                        }
                    }
                }
                Action::LatencySpike {
                    between: [a, b],
                    ms,
                    for_s,
                } => {
                    set_latency(&sim, Some((a, b, Duration::from_millis(*ms))));
                    spike_ends = Some(now + Duration::from_secs_f64(for_s.max(0.0)));
                }
                Action::KillNode(name) => {
                    let host = name.replacen('/', "-n", 1);
                    if let Some(n) = nodes.iter().find(|n| n.host == host) {
                        crash(&mut sim, &registry, n);
                    }
                }
                Action::KillLeader => {
                    let leader = leaders.last().map(|l| l.1);
                    if let Some(n) = nodes.iter().find(|n| Some(n.id) == leader) {
                        crash(&mut sim, &registry, n);
                    }
                }
                Action::Deploy { via } => {
                    let name = format!("deploy-{next_event}");
                    pending_deploys.push((name.clone(), via.clone()));
                    deploys.push((name, now));
                }
            }
            next_event += 1;
        }
        // Deployments are submitted by the harness to the leader (as a node
        // of `via` would forward them), retried while there is none.
        for (name, via) in pending_deploys.drain(..) {
            let registry = registry.clone();
            let via_ids: Vec<u64> = nodes
                .iter()
                .filter(|n| n.region == via)
                .map(|n| n.id)
                .collect();
            sim.client(format!("deployer-{name}").as_str(), async move {
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
                            return Ok(());
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Ok(())
            });
        }
        if done || now > run_for + Duration::from_secs(10) {
            break;
        }
    }
    let members = registry.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut deploy_report = Vec::new();
    for (name, at) in deploys {
        let applied: BTreeMap<u64, Option<Duration>> = members
            .iter()
            .map(|(id, m)| {
                let t = m
                    .deployments
                    .0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&name)
                    .copied();
                (*id, t)
            })
            .collect();
        deploy_report.push((name, at, applied));
    }
    let counters_at_end: BTreeMap<u64, u64> = members
        .iter()
        .map(|(id, m)| (*id, m.counters.total(QUOTA_KEY, 0)))
        .collect();
    let samples = samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut notes = Vec::new();
    for id in &bounced {
        if !members.contains_key(id) {
            notes.push(format!(
                "node {id} was restarted but could not bind its simulated socket again \
                 (the crashed instance's socket is not released): it stays down"
            ));
        }
    }
    Ok(RunOutput {
        notes,
        samples,
        leaders,
        violations,
        deploys: deploy_report,
        counters_at_end,
        simulated: sim.elapsed(),
    })
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
    limit: Option<u64>,
    deployments: Arc<Deployments>,
) {
    let Some(socket) = SimSocket::bind_port(PORT).await else {
        return;
    };
    let Ok(identity) = Identity::load(&certs, "sim", node.id) else {
        return;
    };
    let mut peers: Vec<Peer> = all
        .iter()
        .filter(|p| p.id != node.id)
        .map(|p| Peer {
            id: p.id,
            addr: addr_of(&p.host),
            region: p.region.clone(),
        })
        .collect();
    // Edges hear regional nodes' gossip (region, role, load) too.
    for (id, host) in &edges {
        peers.push(Peer {
            id: *id,
            addr: addr_of(host),
            region: "edge".into(),
        });
    }
    let counters = Arc::new(CrdtCounters::new(node.id));
    let gossip = Gossip::new(
        node.region.clone(),
        "regional".into(),
        peers.clone(),
        counters.clone(),
        Duration::from_millis(100),
    );
    let Ok(member) = apigw_cluster::Member::open(gossip.clone(), |handler| {
        Transport::bind_socket(socket, identity, TransportOptions::default(), handler)
    }) else {
        return;
    };
    let transport = member.transport.clone();
    {
        let (counters, gossip) = (counters.clone(), gossip.clone());
        transport.set_stream_handler(Arc::new(move |_from, _head, mut send, mut recv| {
            let (counters, gossip) = (counters.clone(), gossip.clone());
            Box::pin(async move {
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
                let _ = apigw_cluster::write_head(&mut send, status).await;
                let _ = send.finish();
                gossip.load.fetch_sub(1, Ordering::Relaxed);
            })
        }));
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

/// An edge at a client population: sends its requests to the region the
/// chooser picks, retrying on the next node when one fails.
async fn edge(
    client: super::scenario::ClientSpec,
    edge_id: u64,
    certs: PathBuf,
    nodes: Vec<NodeSpec>,
    catalog: Catalog,
    samples: Samples,
    run_for: Duration,
) {
    let Some(socket) = SimSocket::bind_port(PORT).await else {
        return;
    };
    let Ok(identity) = Identity::load(&certs, "sim", edge_id) else {
        return;
    };
    let peers: Vec<Peer> = nodes
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
        Arc::new(CrdtCounters::new(edge_id)),
        Duration::from_millis(100),
    );
    let handler_gossip = gossip.clone();
    let handler: apigw_cluster::transport::Handler = Arc::new(move |from, kind, payload| {
        let result = match kind {
            Kind::Gossip => handler_gossip.receive(from, &payload),
            _ => Err("edge".to_string()),
        };
        Box::pin(async move { result })
    });
    let Ok(transport) =
        Transport::bind_socket(socket, identity, TransportOptions::default(), handler)
    else {
        return;
    };
    tokio::spawn(gossip.clone().run(transport.clone()));
    let chooser = Arc::new(Chooser::new(catalog, ChooserOptions::default()));
    let failed: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    // Give gossip a moment to hear the regions before the load starts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let every = Duration::from_secs_f64(1.0 / f64::from(client.rps.max(1)));
    let started = turmoil::sim_elapsed().unwrap_or_default();
    let mut ticker = tokio::time::interval(every);
    while turmoil::sim_elapsed().unwrap_or_default() < started + run_for {
        ticker.tick().await;
        let (gossip, transport, chooser, failed, samples, client) = (
            gossip.clone(),
            transport.clone(),
            chooser.clone(),
            failed.clone(),
            samples.clone(),
            client.clone(),
        );
        tokio::spawn(async move {
            let at = turmoil::sim_elapsed().unwrap_or_default();
            let outcome = one_request(&gossip, &transport, &chooser, &failed, &client).await;
            let took = turmoil::sim_elapsed()
                .unwrap_or_default()
                .saturating_sub(at);
            samples
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Sample {
                    client: client.name.clone(),
                    at_ms: at.as_millis() as u64,
                    latency_us: took.as_micros() as u64,
                    outcome,
                });
        });
    }
    // Requests still in flight end, and gossip settles the counters, before
    // this client (and so the run) is done.
    tokio::time::sleep(SETTLE).await;
}

async fn one_request(
    gossip: &Gossip,
    transport: &Transport,
    chooser: &Chooser,
    failed: &Mutex<HashMap<u64, Instant>>,
    client: &super::scenario::ClientSpec,
) -> Outcome {
    let failures = failed.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (targets, _) = plan(
        gossip.peers(),
        |id| failures.get(&id).map(Instant::elapsed),
        chooser,
        client.lat,
        client.lon,
    );
    if targets.is_empty() {
        return Outcome::NoRegion;
    }
    for Target {
        node: id,
        addr,
        region,
    } in targets.into_iter().take(3)
    {
        let attempt = async {
            let (mut send, mut recv) = transport
                .open_stream(
                    id,
                    addr,
                    client.name.clone().into_bytes(),
                    Duration::from_secs(1),
                )
                .await
                .map_err(|e| e.to_string())?;
            send.finish().map_err(|e| e.to_string())?;
            let status = apigw_cluster::read_head(&mut recv)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(status)
        };
        let result = tokio::select! {
            r = tokio::time::timeout(Duration::from_secs(10), attempt) => r.unwrap_or_else(|_| Err("timeout".into())),
            () = gossip.until_down(id) => Err("node went down".into()),
        };
        match result {
            Ok(status) if status == b"200" => return Outcome::Ok { region },
            Ok(_) => return Outcome::Limited { region },
            Err(_) => {
                transport.disconnect(id);
                failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id, Instant::now());
            }
        }
    }
    Outcome::Failed
}
