//! Helpers for cluster tests: certificates, free QUIC ports, waiting on a
//! node's view of its peers and stages.

use std::time::{Duration, Instant};

use crate::node::{run_apigw, TempDir};
use crate::{Client, Node};

/// A cluster CA and certificates for `nodes` (`apigw cluster init`, cluster
/// name `lab`); the folder lives as long as the first value.
pub fn cluster_certs(nodes: &str) -> (TempDir, String) {
    let certs = TempDir::new("certs").expect("dir");
    let path = certs.0.display().to_string();
    let (status, out, err) = run_apigw(&[
        "cluster", "init", "--dir", &path, "--name", "lab", "--nodes", nodes,
    ])
    .expect("runs");
    assert!(status.success(), "{out}{err}");
    (certs, path)
}

pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until `check` holds for the node's `/cluster` view (10 s; a
/// signed request, as the admin listener requires).
pub async fn wait_for_view(node: &Node, what: &str, check: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let view = node
            .admin_client()
            .get("/cluster")
            .await
            .expect("cluster view")
            .json();
        if check(&view) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {what}: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the node serves at least `count` stages (20 s).
pub async fn wait_for_stage_count(client: &Client, node: &Node, count: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = client
            .get(&format!("http://{}/ready", node.admin))
            .await
            .expect("ready")
            .json();
        if ready["stages"].as_u64().is_some_and(|n| n >= count) {
            return;
        }
        assert!(Instant::now() < deadline, "stages never arrived: {ready}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
