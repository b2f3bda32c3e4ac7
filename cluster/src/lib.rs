//! apigw-cluster: what nodes share.
//!
//! This crate will hold the Raft-replicated state machine (openraft) stored
//! on disk, the QUIC transport between nodes (quinn + rustls, mutual TLS),
//! CRDT counters spread by gossip, cache replication, membership and health.
//! It is generic: it carries the node's commands as bytes and knows nothing
//! of APIs. It is empty until the cluster work lands; a single node does not
//! need it.
