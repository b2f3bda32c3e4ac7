//! apigw-cluster: what nodes share.
//!
//! - [`pki`]: the cluster CA and node certificates (`apigw cluster init`);
//! - [`transport`]: QUIC between nodes (quinn + rustls, mutual TLS, peer
//!   certificate checked against the node id, traffic kinds by ALPN,
//!   versioned bincode frames, deadlines);
//! - [`counters`]: CRDT counters (GCounter per key and window);
//! - [`gossip`]: spreading counter deltas, heartbeats and peer health.
//!
//! - [`raft`]: the replicated control plane (openraft, log and state on
//!   disk in redb, RPCs over the transport, idempotent commands).
//!
//! It is generic: it carries the node's data as bytes and knows nothing of
//! APIs.

pub mod counters;
pub mod gossip;
pub mod pki;
pub mod raft;
pub mod transport;

use std::sync::{Arc, OnceLock, Weak};

/// Where a member's transport handler finds its Raft node once started.
/// It holds the node weakly: the node holds the transport, which holds the
/// handler, and a strong link back would keep the socket open forever
/// after the node is dropped.
pub type RaftCell = Arc<OnceLock<Weak<raft::RaftNode>>>;

/// The transport handler of a member: gossip to `gossip`, Raft RPCs to the
/// Raft node once it is set in `raft` (refused until then and after it is
/// dropped); forwarded requests come as streams
/// ([`Transport::set_stream_handler`]), not here.
pub fn member_handler(gossip: Arc<Gossip>, raft: RaftCell) -> transport::Handler {
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
