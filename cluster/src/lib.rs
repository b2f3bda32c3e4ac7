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

pub use counters::CrdtCounters;
pub use gossip::{Gossip, Peer, PeerStatus};
pub use pki::Identity;
pub use transport::{
    read_head, write_head, Kind, StreamHandler, Transport, TransportError, TransportOptions,
};
