//! A node's place in its cluster: its id, region and role, and the cluster
//! services the data plane and the admin API read (gossip, transport, Raft).

use std::sync::Arc;

/// A node's place in its cluster, for the admin API and metrics.
pub struct ClusterView {
    pub node_id: u64,
    pub region: String,
    pub role: String,
    pub gossip: Arc<apigw_cluster::Gossip>,
    pub transport: Arc<apigw_cluster::Transport>,
    pub raft: Arc<apigw_cluster::raft::RaftNode>,
}
