//! apigw-cluster: what nodes share.
//!
//! - [`pki`]: the cluster CA and node certificates (`apigw cluster init`);
//! - [`transport`]: QUIC between nodes (quinn + rustls, mutual TLS, peer
//!   certificate checked against the node id, traffic kinds by ALPN,
//!   versioned bincode frames, deadlines);
//! - [`counters`]: CRDT counters (GCounter per key and window);
//! - [`gossip`]: spreading counter deltas, heartbeats and peer health.
//!
//! - [`redb_file`]: opening the redb files state lives in, refusing damaged
//!   or 0-byte ones with an error that names them;
//! - [`raft`]: the replicated control plane (openraft, log and state on
//!   disk in redb, RPCs over the transport, idempotent commands).
//!
//! It is generic: it carries the node's data as bytes and knows nothing of
//! APIs.

pub mod counters;
pub mod gossip;
pub mod pki;
pub mod raft;
pub mod redb_file;
pub mod transport;

use std::sync::{Arc, OnceLock, Weak};

/// A cluster member's endpoint: its transport, with gossip running on it,
/// and (once [`Member::start_raft`] has run) its Raft node. Building a
/// member here is the one way: the transport's handler sends gossip frames
/// to the gossip and Raft RPCs to the Raft node, which it holds weakly (the
/// node holds the transport, which holds the handler: a strong link back
/// would keep the socket open after the node is dropped).
pub struct Member {
    pub transport: Arc<Transport>,
    pub gossip: Arc<Gossip>,
    raft: Arc<OnceLock<Weak<raft::RaftNode>>>,
}

impl Member {
    /// Opens the endpoint with `bind` (given the member's handler) and
    /// spawns the gossip rounds; call inside a tokio runtime.
    pub fn open(
        gossip: Arc<Gossip>,
        bind: impl FnOnce(transport::Handler) -> Result<Arc<Transport>, TransportError>,
    ) -> Result<Member, TransportError> {
        let raft: Arc<OnceLock<Weak<raft::RaftNode>>> = Arc::default();
        let transport = bind(handler(gossip.clone(), raft.clone()))?;
        tokio::spawn(gossip.clone().run(transport.clone()));
        Ok(Member {
            transport,
            gossip,
            raft,
        })
    }

    /// Starts the member's Raft node (log and state in `dir`) and lets the
    /// transport hand it Raft RPCs.
    pub async fn start_raft(
        &self,
        node_id: u64,
        dir: &std::path::Path,
        app: Arc<dyn raft::Application>,
        timing: raft::RaftTiming,
    ) -> Result<Arc<raft::RaftNode>, raft::RaftFailure> {
        let node = raft::RaftNode::start(node_id, dir, self.transport.clone(), app, timing).await?;
        let _ = self.raft.set(Arc::downgrade(&node));
        Ok(node)
    }
}

/// The transport handler of a member: gossip to `gossip`, Raft RPCs to the
/// Raft node once it is set in `raft` (refused until then and after it is
/// dropped); forwarded requests come as streams
/// ([`Transport::set_stream_handler`]), not here.
fn handler(gossip: Arc<Gossip>, raft: Arc<OnceLock<Weak<raft::RaftNode>>>) -> transport::Handler {
    Arc::new(move |from, kind, payload: Vec<u8>| match kind {
        Kind::Gossip => {
            let result = gossip.receive(from, &payload);
            Box::pin(async move { result })
        }
        Kind::Raft => match raft.get().and_then(Weak::upgrade) {
            Some(raft) => raft.handle(payload),
            None => Box::pin(async { Err("raft is not running".to_string()) }),
        },
        Kind::Forward => Box::pin(async { Err("forwarded requests come as streams".to_string()) }),
    })
}

pub use counters::CrdtCounters;
pub use gossip::{Gossip, Peer, PeerStatus};
pub use pki::Identity;
pub use transport::{
    read_head, write_head, Kind, StreamHandler, Transport, TransportError, TransportOptions,
};
