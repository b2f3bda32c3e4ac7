//! Gossip: every interval a node sends the counters that changed (and every
//! tenth round all of them, so a healed partition converges) to each peer,
//! with a deadline; a message received is also a heartbeat. A peer not heard
//! from for three intervals (at least a second) is down, and up again as
//! soon as it is heard. Each message also tells the sender's region, role
//! (`edge` or `regional`) and load (requests in flight), so edges learn
//! where to route without configuration.
//!
//! Each delivered message is also a ping: its round trip feeds a per-peer
//! RTT EWMA (callers add their own samples, e.g. forwarded requests'
//! network time), which edges weigh when they choose a region. How long a
//! peer has been silent is exposed too ([`Gossip::silent_for`]): a faster,
//! noisier signal than "down", for callers that only act on it while a
//! request to that peer is also late.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// tokio's clock: the real one in a node, the simulated one under turmoil.
use tokio::time::Instant;

use serde::{Deserialize, Serialize};

use crate::counters::{CrdtCounters, Entry};
use crate::transport::{Kind, Transport};

/// A peer node.
#[derive(Debug, Clone)]
pub struct Peer {
    pub id: u64,
    pub addr: SocketAddr,
    pub region: String,
}

/// What one gossip message carries.
#[derive(Debug, Serialize, Deserialize)]
enum Frame {
    /// Counter deltas (and a heartbeat).
    Counters {
        region: String,
        role: String,
        load: u64,
        counters: Vec<Entry>,
    },
    /// An opaque message of the node's (cache fills and invalidations).
    App(Vec<u8>),
}

/// Receives the node's own messages from peers.
pub type AppHandler = Arc<dyn Fn(u64, Vec<u8>) + Send + Sync>;

/// A peer as this node sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PeerStatus {
    pub id: u64,
    pub addr: SocketAddr,
    pub region: String,
    /// As the peer last told (`None`: not heard yet).
    pub role: Option<String>,
    /// Requests in flight on the peer, as last told.
    pub load: u64,
    pub up: bool,
    /// Milliseconds since it was last heard from (`None`: never).
    pub last_seen_ms: Option<u64>,
    /// Round-trip time EWMA, milliseconds (`None`: not measured yet).
    pub rtt_ms: Option<f64>,
}

/// Weight of a new RTT sample in the EWMA.
const RTT_ALPHA: f64 = 0.25;

/// Per-peer round-trip EWMA (ms). A peer's first gossip round trip also
/// holds the QUIC handshake: it is skipped.
#[derive(Default)]
struct Rtt {
    pings: HashMap<u64, u32>,
    ewma: HashMap<u64, f64>,
}

impl Rtt {
    fn observe(&mut self, id: u64, ms: f64) {
        let e = self.ewma.entry(id).or_insert(ms);
        *e += RTT_ALPHA * (ms - *e);
    }
}

/// This node's gossip.
pub struct Gossip {
    region: String,
    role: String,
    /// Requests in flight on this node (the node keeps it current).
    pub load: AtomicU64,
    /// What each peer last told of itself: (region, role, load).
    told: Mutex<HashMap<u64, (String, String, u64)>>,
    peers: Mutex<Arc<Vec<Peer>>>,
    counters: Arc<CrdtCounters>,
    interval: Duration,
    seen: Mutex<HashMap<u64, Instant>>,
    rtt: Mutex<Rtt>,
    app: Mutex<Option<AppHandler>>,
    /// Set by `run`; weak, since the transport's handler holds this gossip.
    transport: std::sync::OnceLock<std::sync::Weak<Transport>>,
    pub messages_sent: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub send_failures: AtomicU64,
}

impl Gossip {
    pub fn new(
        region: String,
        role: String,
        peers: Vec<Peer>,
        counters: Arc<CrdtCounters>,
        interval: Duration,
    ) -> Arc<Gossip> {
        Arc::new(Gossip {
            region,
            role,
            load: AtomicU64::new(0),
            told: Mutex::new(HashMap::new()),
            peers: Mutex::new(Arc::new(peers)),
            counters,
            interval,
            seen: Mutex::new(HashMap::new()),
            rtt: Mutex::new(Rtt::default()),
            app: Mutex::new(None),
            transport: std::sync::OnceLock::new(),
            messages_sent: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            send_failures: AtomicU64::new(0),
        })
    }

    pub fn counters(&self) -> &Arc<CrdtCounters> {
        &self.counters
    }

    /// Handles a message from `from` (the transport's gossip handler).
    pub fn receive(&self, from: u64, payload: &[u8]) -> Result<Vec<u8>, String> {
        let (frame, _): (Frame, usize) =
            bincode::serde::decode_from_slice(payload, bincode::config::standard())
                .map_err(|e| e.to_string())?;
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(from, Instant::now());
        match frame {
            Frame::Counters {
                counters,
                region,
                role,
                load,
            } => {
                self.told
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(from, (region, role, load));
                self.counters.merge(counters)
            }
            Frame::App(bytes) => {
                let handler = self.app.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Some(handler) = handler {
                    handler(from, bytes);
                }
            }
        }
        Ok(Vec::new())
    }

    fn peer_list(&self) -> Arc<Vec<Peer>> {
        self.peers.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Adds a peer (a node that joined); a known id keeps its entry.
    pub fn add_peer(&self, peer: Peer) {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        if peers.iter().any(|p| p.id == peer.id) {
            return;
        }
        let mut next = (**peers).clone();
        next.push(peer);
        *peers = Arc::new(next);
    }

    /// Sets what receives the node's own messages.
    pub fn set_app_handler(&self, handler: AppHandler) {
        *self.app.lock().unwrap_or_else(|e| e.into_inner()) = Some(handler);
    }

    /// Sends a message of the node's to every peer of this node's region,
    /// without waiting (delivery is best effort, like gossip).
    pub fn broadcast_to_region(self: &Arc<Gossip>, payload: Vec<u8>) {
        let Some(transport) = self.transport.get().and_then(std::sync::Weak::upgrade) else {
            return;
        };
        let Ok(bytes) =
            bincode::serde::encode_to_vec(Frame::App(payload), bincode::config::standard())
        else {
            return;
        };
        for peer in self.peer_list().iter().filter(|p| p.region == self.region) {
            let deadline = (self.interval * 5).max(Duration::from_secs(2));
            tokio::spawn(self.clone().deliver(
                transport.clone(),
                peer.clone(),
                bytes.clone(),
                deadline,
            ));
        }
    }

    /// Sends one message to a peer and counts it; a delivered one also
    /// tells that the peer is up.
    async fn deliver(
        self: Arc<Gossip>,
        transport: Arc<Transport>,
        peer: Peer,
        bytes: Vec<u8>,
        deadline: Duration,
    ) {
        let size = bytes.len() as u64;
        let sent = Instant::now();
        match transport
            .call(peer.id, peer.addr, Kind::Gossip, bytes, deadline)
            .await
        {
            Ok(_) => {
                self.messages_sent.fetch_add(1, Ordering::Relaxed);
                self.bytes_sent.fetch_add(size, Ordering::Relaxed);
                self.seen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(peer.id, Instant::now());
                self.ping(peer.id, sent.elapsed());
            }
            Err(e) => {
                self.send_failures.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(target: "apigw::cluster", peer = peer.id, error = %e, "gossip not delivered");
            }
        }
    }

    /// Runs the rounds until the transport closes (spawn it).
    pub async fn run(self: Arc<Gossip>, transport: Arc<Transport>) {
        let _ = self.transport.set(Arc::downgrade(&transport));
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut round: u64 = 0;
        loop {
            ticker.tick().await;
            round += 1;
            let counters = if round % 10 == 0 {
                self.counters.snapshot()
            } else {
                self.counters.take_delta()
            };
            if round % 600 == 0 {
                self.counters.prune(Duration::from_secs(3 * 86_400));
            }
            let message = Frame::Counters {
                region: self.region.clone(),
                role: self.role.clone(),
                load: self.load.load(Ordering::Relaxed),
                counters,
            };
            let Ok(bytes) = bincode::serde::encode_to_vec(&message, bincode::config::standard())
            else {
                continue;
            };
            let deadline = (self.interval * 5).max(Duration::from_millis(500));
            for peer in self.peer_list().iter() {
                tokio::spawn(self.clone().deliver(
                    transport.clone(),
                    peer.clone(),
                    bytes.clone(),
                    deadline,
                ));
            }
        }
    }

    /// A gossip round trip to `id`: an RTT sample, but the first (it holds
    /// the handshake).
    fn ping(&self, id: u64, took: Duration) {
        let mut rtt = self.rtt.lock().unwrap_or_else(|e| e.into_inner());
        let n = rtt.pings.entry(id).or_insert(0);
        *n = n.saturating_add(1);
        if *n > 1 {
            rtt.observe(id, took.as_secs_f64() * 1000.0);
        }
    }

    /// Adds a round-trip sample for `id` measured elsewhere (an edge's
    /// forwarded request, less the time the peer spent serving it).
    pub fn observe_rtt(&self, id: u64, rtt: Duration) {
        self.rtt
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .observe(id, rtt.as_secs_f64() * 1000.0);
    }

    /// The round-trip EWMA to `id`, if measured.
    pub fn rtt(&self, id: u64) -> Option<Duration> {
        let rtt = self.rtt.lock().unwrap_or_else(|e| e.into_inner());
        rtt.ewma
            .get(&id)
            .map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    }

    /// The gossip interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How long since `id` was last heard from (`None`: never).
    pub fn silent_for(&self, id: u64) -> Option<Duration> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .map(Instant::elapsed)
    }

    /// How long a silent peer stays up: three intervals, at least a second.
    pub fn down_after(&self) -> Duration {
        (self.interval * 3).max(Duration::from_secs(1))
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn role(&self) -> &str {
        &self.role
    }

    /// Whether `id` was heard from recently (cheaper than [`Gossip::peers`]).
    pub fn is_up(&self, id: u64) -> bool {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .is_some_and(|t| t.elapsed() < self.down_after())
    }

    /// Resolves once `id` is down (checked every 100 ms after the first
    /// 250 ms): a caller waiting on that peer can give up within the
    /// detection interval instead of a transport timeout.
    pub async fn until_down(&self, id: u64) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        while self.is_up(id) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every peer, up or down.
    pub fn peers(&self) -> Vec<PeerStatus> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let told = self.told.lock().unwrap_or_else(|e| e.into_inner());
        let rtt = self.rtt.lock().unwrap_or_else(|e| e.into_inner());
        let down_after = self.down_after();
        self.peer_list()
            .iter()
            .map(|p| {
                let last = seen.get(&p.id).map(|t| t.elapsed());
                let told = told.get(&p.id);
                PeerStatus {
                    id: p.id,
                    addr: p.addr,
                    region: told.map_or_else(|| p.region.clone(), |t| t.0.clone()),
                    role: told.map(|t| t.1.clone()),
                    load: told.map_or(0, |t| t.2),
                    up: last.is_some_and(|l| l < down_after),
                    last_seen_ms: last.map(|l| l.as_millis() as u64),
                    rtt_ms: rtt.ewma.get(&p.id).copied(),
                }
            })
            .collect()
    }

    /// Prometheus text: peers up, gossip messages, bytes and failures.
    pub fn prometheus(&self) -> String {
        let mut out = String::from("# HELP apigw_cluster_peer_up Whether a peer was heard from recently.\n# TYPE apigw_cluster_peer_up gauge\n");
        for p in self.peers() {
            out.push_str(&format!(
                "apigw_cluster_peer_up{{peer=\"{}\",region=\"{}\"}} {}\n",
                p.id,
                p.region,
                u8::from(p.up)
            ));
        }
        for (name, help, v) in [
            (
                "apigw_gossip_messages_sent_total",
                "Gossip messages delivered.",
                &self.messages_sent,
            ),
            (
                "apigw_gossip_bytes_sent_total",
                "Gossip bytes delivered.",
                &self.bytes_sent,
            ),
            (
                "apigw_gossip_send_failures_total",
                "Gossip messages not delivered.",
                &self.send_failures,
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
                v.load(Ordering::Relaxed)
            ));
        }
        out.push_str(&format!(
            "# HELP apigw_cluster_counters CRDT counters held.\n# TYPE apigw_cluster_counters gauge\napigw_cluster_counters {}\n",
            self.counters.len()
        ));
        out
    }
}
