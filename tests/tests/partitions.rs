//! Partitions as users meet them (issue 25, part 4), with real processes
//! on loopback: three Raft voters; two are frozen with SIGSTOP (to the
//! third, a stopped peer and a cut link look the same: nothing answers).
//! The node left alone keeps serving its last applied configuration, and a
//! management write through it answers AWS's 503 ServiceUnavailableException
//! within seconds instead of hanging, whether it was the leader (cut off
//! from the majority) or a follower. Once the others run again, writes
//! through it succeed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use apigw_tests::cluster::{cluster_certs, free_udp_port, wait_for_view};
use apigw_tests::node::TempDir;
use apigw_tests::{Client, Node};
use http::Method;

const API: &str = "openapi: 3.0.1\ninfo: {title: kept}\npaths:\n  /:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n        responses: {default: {statusCode: \"200\", responseTemplates: {application/json: '{\"config\": \"last applied\"}'}}}\n";

/// Freezes (`STOP`) or thaws (`CONT`) a node we started, by its pid.
fn signal(node: &Node, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &node.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{sig}");
}

fn three_nodes() -> (TempDir, Vec<Node>) {
    let (certs, certs_path) = cluster_certs("1,2,3");
    let ports: Vec<u16> = (0..3).map(|_| free_udp_port()).collect();
    let config = |id: usize| {
        let peers: Vec<String> = (0..3)
            .filter(|j| *j != id)
            .map(|j| format!("{{id: {}, addr: '127.0.0.1:{}'}}", j + 1, ports[j]))
            .collect();
        let mut text = format!(
            "cluster: {{name: lab, node_id: {}, listen: '127.0.0.1:{}', certs: '{certs_path}', gossip_interval_ms: 50, peers: [{}]}}\n",
            id + 1,
            ports[id],
            peers.join(", ")
        );
        if id == 0 {
            text.push_str("apis:\n  - {id: kept, openapi: api.yaml, stages: [{name: prod}]}\n");
        }
        text
    };
    let start = |id: usize| {
        Node::builder()
            .file("api.yaml", API)
            .config(&config(id))
            .start_in(Arc::new(TempDir::new("node").expect("dir")))
            .expect("node starts")
    };
    // Nodes 2 and 3 first: node 1 (the lowest id) makes the membership.
    let (n2, n3) = (start(1), start(2));
    (certs, vec![start(0), n2, n3])
}

/// A management write (CreateRestApi) through `node`: status, error type
/// and how long it took.
async fn create_api(node: &Node, name: &str) -> (u16, String, Duration) {
    let began = Instant::now();
    let reply = node
        .admin_client()
        .send(
            Method::POST,
            "/restapis",
            serde_json::json!({"name": name}).to_string(),
        )
        .await
        .expect("an answer");
    let kind = reply
        .header("x-amzn-ErrorType")
        .unwrap_or_default()
        .to_string();
    (reply.status.as_u16(), kind, began.elapsed())
}

async fn serves_last_config(client: &Client, node: &Node) {
    let reply = client
        .get(&node.invoke_url("kept", "prod", "/"))
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), serde_json::json!({"config": "last applied"}));
}

async fn leader_of(node: &Node) -> usize {
    let view = node
        .admin_client()
        .get("/cluster")
        .await
        .expect("view")
        .json();
    view["raft"]["leader"].as_u64().expect("a leader") as usize
}

/// Freezes every node but `alone`, checks what `alone` does, thaws them
/// and waits until a write through `alone` succeeds again.
async fn cut_off(nodes: &[Node], alone: usize, client: &Client) {
    for (i, n) in nodes.iter().enumerate() {
        if i != alone {
            signal(n, "STOP");
        }
    }
    // Give the cut a moment to be felt (a leader notices its lost quorum
    // after two election timeouts; a follower after one).
    tokio::time::sleep(Duration::from_secs(3)).await;
    serves_last_config(client, &nodes[alone]).await;
    for attempt in 0..2 {
        let (status, kind, took) =
            create_api(&nodes[alone], &format!("cut-{alone}-{attempt}")).await;
        assert_eq!(status, 503, "a write through a cut-off node");
        assert_eq!(kind, "ServiceUnavailableException");
        assert!(took < Duration::from_secs(5), "answered after {took:?}");
    }
    serves_last_config(client, &nodes[alone]).await;
    for (i, n) in nodes.iter().enumerate() {
        if i != alone {
            signal(n, "CONT");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, _) = create_api(&nodes[alone], "after-the-heal").await;
        if status == 201 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes never recovered: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_from_the_majority_serves_and_refuses_writes_quickly() {
    let (_certs, nodes) = three_nodes();
    let client = Client::default();
    for n in &nodes {
        wait_for_view(n, "a leader", |v| v["raft"]["leader"].as_u64().is_some()).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for n in &nodes {
        loop {
            let reply = client
                .get(&n.invoke_url("kept", "prod", "/"))
                .await
                .expect("reply");
            if reply.status == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "the API never reached a node");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // The leader cut off from both followers.
    let leader = leader_of(&nodes[0]).await - 1;
    cut_off(&nodes, leader, &client).await;
    // A follower cut off from the leader and the other follower.
    let leader = leader_of(&nodes[0]).await - 1;
    let follower = (0..3).find(|i| *i != leader).expect("a follower");
    cut_off(&nodes, follower, &client).await;
    for n in nodes {
        n.stop().expect("stops");
    }
}
