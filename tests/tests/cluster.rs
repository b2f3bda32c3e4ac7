//! Two real nodes on loopback sharing admission counters over QUIC gossip:
//! a usage plan quota holds across both, the overshoot of concurrent
//! traffic is measured, and a stopped node is seen going down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apigw_tests::cluster::{cluster_certs, free_udp_port, wait_for_stage_count, wait_for_view};
use apigw_tests::node::TempDir;
use apigw_tests::{Client, Node};
use http::Method;

const API: &str = r#"
openapi: 3.0.1
info: {title: shared}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
paths:
  /:
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
"#;

const SEQUENTIAL: &str = "sequential-0123456789abcdef";
const CONCURRENT: &str = "concurrent-0123456789abcdef";

/// A node's config; only the node that `declares` lists keys, plans and the
/// API: the other gets them through Raft.
fn config(certs: &str, id: u64, port: u16, peer: u64, peer_port: u16, declares: bool) -> String {
    let cluster = format!(
        r#"
cluster:
  name: lab
  node_id: {id}
  listen: 127.0.0.1:{port}
  certs: '{certs}'
  gossip_interval_ms: 50
  peers: [{{id: {peer}, addr: '127.0.0.1:{peer_port}'}}]
"#
    );
    if !declares {
        return cluster;
    }
    cluster
        + &format!(
            r#"
api_keys:
  - {{name: sequential, value: {SEQUENTIAL}}}
  - {{name: concurrent, value: {CONCURRENT}}}
usage_plans:
  - {{name: small, quota: {{limit: 20, period: DAY}}, stages: [{{api: shared, stage: prod}}], keys: [sequential]}}
  - {{name: busy, quota: {{limit: 200, period: DAY}}, stages: [{{api: shared, stage: prod}}], keys: [concurrent]}}
apis:
  - {{id: shared, openapi: api.yaml, stages: [{{name: prod}}]}}
"#
        )
}

async fn wait_for_peer(node: &Node, up: bool) {
    wait_for_view(node, &format!("every peer up={up}"), |view| {
        view["peers"]
            .as_array()
            .is_some_and(|p| p.iter().all(|p| p["up"] == up))
    })
    .await;
}

/// In a cluster the config's APIs arrive through Raft after the node
/// starts: wait until the node serves a stage.
async fn wait_for_stages(client: &Client, node: &Node) {
    wait_for_stage_count(client, node, 1).await;
}

async fn admitted(client: &Client, node: &Node, key: &str, max: usize) -> usize {
    let url = node.invoke_url("shared", "prod", "/");
    let mut ok = 0;
    for _ in 0..max {
        let reply = client
            .send(Method::GET, &url, &[("x-api-key", key)], "")
            .await
            .expect("reply");
        match reply.status.as_u16() {
            200 => ok += 1,
            429 => break,
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_quotas_over_gossip() {
    let (_certs, certs_path) = cluster_certs("1,2");
    let (p1, p2) = (free_udp_port(), free_udp_port());
    let one = Node::builder()
        .file("api.yaml", API)
        .config(&config(&certs_path, 1, p1, 2, p2, true))
        .start()
        .expect("node 1");
    let two = Node::builder()
        .file("api.yaml", API)
        .config(&config(&certs_path, 2, p2, 1, p1, false))
        .start()
        .expect("node 2");
    let client = Client::default();
    wait_for_peer(&one, true).await;
    wait_for_peer(&two, true).await;
    wait_for_stages(&client, &one).await;
    wait_for_stages(&client, &two).await;

    // 12 on node 1, then node 2 admits only what is left of the 20.
    assert_eq!(admitted(&client, &one, SEQUENTIAL, 12).await, 12);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        admitted(&client, &two, SEQUENTIAL, 50).await,
        8,
        "node 2 counts node 1's requests"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        admitted(&client, &one, SEQUENTIAL, 5).await,
        0,
        "and node 1 counts node 2's"
    );

    // Concurrent clients on both nodes against a quota of 200: measure the
    // overshoot that gossip's delay allows.
    let total = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for node in [&one, &two] {
        for _ in 0..4 {
            let url = node.invoke_url("shared", "prod", "/");
            let (total, sent) = (total.clone(), sent.clone());
            tasks.push(tokio::spawn(async move {
                let client = Client::default();
                for _ in 0..100 {
                    sent.fetch_add(1, Ordering::Relaxed);
                    let reply = client
                        .send(Method::GET, &url, &[("x-api-key", CONCURRENT)], "")
                        .await
                        .expect("reply");
                    if reply.status == 200 {
                        total.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("task");
    }
    let total = total.load(Ordering::Relaxed);
    let per_node_rate = sent.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64() / 2.0;
    // One node cannot see the other's admissions for up to a gossip interval
    // plus delivery; allow three intervals of the other node's rate.
    let bound = 200.0 + per_node_rate * 0.150 + 10.0;
    eprintln!(
        "quota 200 over 2 nodes, 8 concurrent clients, gossip every 50 ms: admitted {total} (overshoot {}), {per_node_rate:.0} req/s per node, bound {bound:.0}",
        total as i64 - 200
    );
    assert!(total >= 200, "the quota is used up: {total}");
    assert!(
        (total as f64) <= bound,
        "overshoot beyond what gossip's delay explains: {total} > {bound:.0}"
    );

    // Node 2 stops: node 1 sees it down.
    two.stop().expect("stops");
    wait_for_peer(&one, false).await;
    one.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_entries_and_flushes_reach_the_region() {
    let backend = apigw_tests::Backend::echo().await;
    let api = format!(
        "openapi: 3.0.1\ninfo: {{title: cached}}\npaths:\n  /item:\n    get:\n      x-amazon-apigateway-integration: {{type: http_proxy, httpMethod: GET, uri: '{}/item'}}\n",
        backend.url()
    );
    let (_certs, certs_path) = cluster_certs("1,2");
    let (p1, p2) = (free_udp_port(), free_udp_port());
    let config = |id: u64, port: u16, peer: u64, peer_port: u16| {
        format!(
            "cluster: {{name: lab, node_id: {id}, listen: '127.0.0.1:{port}', certs: '{certs_path}', gossip_interval_ms: 50, peers: [{{id: {peer}, addr: '127.0.0.1:{peer_port}'}}]}}\napis:\n  - {{id: cached, openapi: api.yaml, stages: [{{name: prod, cache: {{enabled: true, ttl_seconds: 60}}}}]}}\n"
        )
    };
    let one = Node::builder()
        .file("api.yaml", &api)
        .config(&config(1, p1, 2, p2))
        .start()
        .expect("node 1");
    let two = Node::builder()
        .file("api.yaml", &api)
        .config(&config(2, p2, 1, p1))
        .start()
        .expect("node 2");
    let client = Client::default();
    wait_for_peer(&one, true).await;
    wait_for_peer(&two, true).await;
    wait_for_stages(&client, &one).await;
    wait_for_stages(&client, &two).await;

    let first = client
        .get(&one.invoke_url("cached", "prod", "/item"))
        .await
        .expect("reply");
    assert_eq!(first.status, 200);
    assert_eq!(backend.seen().len(), 1);
    // The entry filled on node 1 is replicated to node 2.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let metrics = two
            .admin_client()
            .get("/metrics")
            .await
            .expect("metrics")
            .text();
        if !metrics.contains("apigw_cache_bytes 0\n") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the entry never reached node 2\n{}\n{}",
            one.log_lines().join("\n"),
            two.log_lines().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = client
        .get(&two.invoke_url("cached", "prod", "/item"))
        .await
        .expect("reply");
    assert_eq!(second.body, first.body);
    assert_eq!(
        backend.seen().len(),
        1,
        "node 2 answered from the replicated entry"
    );

    // A flush on node 2 empties node 1's cache too.
    let flush = two
        .admin_client()
        .send(
            Method::DELETE,
            "/restapis/cached/stages/prod/cache/data",
            "",
        )
        .await
        .expect("flush");
    assert_eq!(flush.status, 202);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let metrics = one
            .admin_client()
            .get("/metrics")
            .await
            .expect("metrics")
            .text();
        if metrics.contains("apigw_cache_bytes 0\n") {
            break;
        }
        assert!(Instant::now() < deadline, "the flush never reached node 1");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client
        .get(&one.invoke_url("cached", "prod", "/item"))
        .await
        .expect("reply");
    assert_eq!(backend.seen().len(), 2);
    two.stop().expect("stops");
    one.stop().expect("stops");
}

/// Three nodes; only node 1's config declares the API. Raft carries it to
/// the others, a killed leader is replaced, and the killed node catches up
/// when it comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_replicate_over_raft() {
    let (_certs, certs_path) = cluster_certs("1,2,3");
    let ports: Vec<u16> = (0..3).map(|_| free_udp_port()).collect();
    let config = |id: usize, with_api: bool| {
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
        if with_api {
            text.push_str("apis:\n  - {id: shared, openapi: api.yaml, stages: [{name: prod}]}\n");
        }
        text
    };
    let api = "openapi: 3.0.1\ninfo: {title: shared}\npaths:\n  /:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n        responses: {default: {statusCode: \"200\", responseTemplates: {application/json: '{\"from\": \"the log\"}'}}}\n";
    let dirs: Vec<Arc<TempDir>> = (0..3)
        .map(|_| Arc::new(TempDir::new("node").expect("dir")))
        .collect();
    let start = |id: usize, with_api: bool| {
        Node::builder()
            .file("api.yaml", api)
            .config(&config(id, with_api))
            .start_in(dirs[id].clone())
            .expect("node starts")
    };
    // Nodes 2 and 3 first: node 1 (the lowest id) makes the membership.
    let mut nodes: Vec<Option<Node>> = vec![None, Some(start(1, false)), Some(start(2, false))];
    nodes[0] = Some(start(0, true));
    let client = Client::default();
    let node = |nodes: &Vec<Option<Node>>, i: usize| {
        nodes[i]
            .as_ref()
            .expect("running")
            .invoke_url("shared", "prod", "/")
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = client.get(&node(&nodes, 2)).await.expect("reply");
        if reply.status == 200 {
            assert_eq!(reply.json(), serde_json::json!({"from": "the log"}));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node 3 never served the API deployed on node 1: {}",
            reply.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let view = |n: &Node| {
        let admin = n.admin_client();
        async move { admin.get("/cluster").await.expect("view").json() }
    };
    let leader = view(nodes[1].as_ref().expect("node 2")).await["raft"]["leader"]
        .as_u64()
        .expect("a leader") as usize;
    nodes[leader - 1]
        .take()
        .expect("leader node")
        .stop()
        .expect("stops");
    let survivor = (0..3).find(|i| nodes[*i].is_some()).expect("a survivor");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = view(nodes[survivor].as_ref().expect("survivor")).await;
        if v["raft"]["leader"]
            .as_u64()
            .is_some_and(|l| l as usize != leader)
        {
            break;
        }
        assert!(Instant::now() < deadline, "no new leader: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let still = client.get(&node(&nodes, survivor)).await.expect("reply");
    assert_eq!(
        still.status, 200,
        "the committed deployment survives the leader"
    );

    // The old leader comes back (without the API in its config) and still serves it.
    nodes[leader - 1] = Some(start(leader - 1, false));
    let back = client.get(&node(&nodes, leader - 1)).await.expect("reply");
    assert_eq!(
        back.status, 200,
        "the restarted node has the deployment from its disk and the log"
    );
    for n in nodes.into_iter().flatten() {
        n.stop().expect("stops");
    }
}

/// A third node joins two voters as a learner, receives the log, is
/// promoted to voter (it then helps elect a leader when node 1 stops), is
/// removed, and its id is refused when it tries to come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_join_get_promoted_and_removed() {
    let (_certs, certs_path) = cluster_certs("1,2,3");
    let ports: Vec<u16> = (0..3).map(|_| free_udp_port()).collect();
    let config = |id: usize, peers: &[usize], with_api: bool| {
        let peers: Vec<String> = peers
            .iter()
            .map(|j| format!("{{id: {}, addr: '127.0.0.1:{}'}}", j + 1, ports[*j]))
            .collect();
        let mut text = format!(
            "cluster: {{name: lab, node_id: {}, listen: '127.0.0.1:{}', certs: '{certs_path}', gossip_interval_ms: 50, peers: [{}]}}\n",
            id + 1,
            ports[id],
            peers.join(", ")
        );
        if with_api {
            text.push_str("apis:\n  - {id: shared, openapi: api.yaml, stages: [{name: prod}]}\n");
        }
        text
    };
    let api = "openapi: 3.0.1\ninfo: {title: shared}\npaths:\n  /:\n    get:\n      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{\"statusCode\": 200}'}, responses: {default: {statusCode: \"200\"}}}\n";
    let two = Node::builder()
        .file("api.yaml", api)
        .config(&config(1, &[0], false))
        .start()
        .expect("node 2");
    let one_dir = Arc::new(TempDir::new("node-1").expect("dir"));
    let one = Node::builder()
        .file("api.yaml", api)
        .config(&config(0, &[1], true))
        .start_in(one_dir.clone())
        .expect("node 1");
    let join = format!("1@127.0.0.1:{}", ports[0]);
    let three = Node::builder()
        .file("api.yaml", api)
        .config(&config(2, &[0, 1], false))
        .arg("--join")
        .arg(&join)
        .start()
        .expect("node 3");
    let client = Client::default();
    wait_for_stages(&client, &three).await;
    assert_eq!(
        client
            .get(&three.invoke_url("shared", "prod", "/"))
            .await
            .expect("reply")
            .status,
        200,
        "a learner serves what the log carries"
    );
    let view = |n: &Node| {
        let admin = n.admin_client();
        async move { admin.get("/cluster").await.expect("view").json() }
    };
    assert_eq!(view(&one).await["raft"]["learners"], serde_json::json!([3]));
    // Node 1 learns of node 3 from the membership and gossips with it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = view(&one).await;
        let peers = v["peers"].as_array().cloned().unwrap_or_default();
        if peers.iter().any(|p| p["id"] == 3 && p["up"] == true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node 1 never gossiped with node 3: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Promote through node 2 (forwarded to the leader if node 2 does not lead).
    let promoted = two
        .admin_client()
        .send(Method::POST, "/cluster/members/3/promote", "")
        .await
        .expect("promote");
    assert_eq!(promoted.status, 200, "{}", promoted.text());
    assert_eq!(promoted.json()["voters"], serde_json::json!([1, 2, 3]));

    // Without node 1, nodes 2 and 3 still make a majority.
    one.stop().expect("stops");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = view(&two).await;
        if v["raft"]["leader"].as_u64().is_some_and(|l| l != 1) {
            break;
        }
        assert!(Instant::now() < deadline, "no leader without node 1: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Node 1 comes back and catches up; then node 3 is removed (the new
    // membership {1, 2} has its majority) and a new node 3 is refused.
    let one = Node::builder()
        .file("api.yaml", api)
        .config(&config(0, &[1], true))
        .start_in(one_dir.clone())
        .expect("node 1 again");
    let removed = two
        .admin_client()
        .send(Method::DELETE, "/cluster/members/3", "")
        .await
        .expect("remove");
    assert_eq!(
        removed.status,
        200,
        "{}\nnode 1: {}\nnode 2: {}\nnode 3: {}",
        removed.text(),
        one.stderr(),
        two.stderr(),
        three.stderr()
    );
    three.stop().expect("stops");
    let again = Node::builder()
        .file("api.yaml", api)
        .config(&config(2, &[0, 1], false))
        .arg("--join")
        .arg(&format!("2@127.0.0.1:{}", ports[1]))
        .start()
        .expect("node 3 again");
    again
        .wait_for_log(|v| {
            v["message"] == "cannot join the cluster yet"
                && v["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("cannot be used again"))
        })
        .expect("a removed id is refused");
    again.stop().expect("stops");
    two.stop().expect("stops");
    one.stop().expect("stops");
}

/// Function declarations travel with the control plane: node 2's config
/// declares nothing, yet it runs the function node 1 declared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_are_declared_cluster_wide() {
    let python = apigw_tests::python::python_with_lambda_ric().expect("python with awslambdaric");
    let (_certs, certs_path) = cluster_certs("1,2");
    let (p1, p2) = (free_udp_port(), free_udp_port());
    let handlers = include_str!("../functions/python/app.py");
    // The function's folder is the same path on both nodes (one machine).
    let shared = TempDir::new("functions").expect("dir");
    std::fs::write(shared.0.join("app.py"), handlers).expect("handlers");
    let cluster = |id: u64, port: u16, peer: u64, peer_port: u16| {
        format!("cluster: {{name: lab, node_id: {id}, listen: '127.0.0.1:{port}', certs: '{certs_path}', gossip_interval_ms: 50, peers: [{{id: {peer}, addr: '127.0.0.1:{peer_port}'}}]}}\n")
    };
    let api = "openapi: 3.0.1\ninfo: {title: fn}\npaths:\n  /{proxy+}:\n    x-amazon-apigateway-any-method:\n      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:echo/invocations'}\n";
    let declares = format!(
        "{}functions:\n  - {{name: echo, command: ['{}', -m, awslambdaric, app.echo], cwd: '{}'}}\napis:\n  - {{id: fn, openapi: api.yaml, stages: [{{name: prod}}]}}\n",
        cluster(1, p1, 2, p2),
        python.display(),
        shared.0.display()
    );
    let one = Node::builder()
        .file("api.yaml", api)
        .config(&declares)
        .start()
        .expect("node 1");
    let two = Node::builder()
        .config(&cluster(2, p2, 1, p1))
        .start()
        .expect("node 2");
    let client = Client::default();
    wait_for_stages(&client, &two).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = client
            .get(&two.invoke_url("fn", "prod", "/hello"))
            .await
            .expect("reply");
        if reply.status == 200 {
            assert_eq!(reply.json()["event"]["path"], "/hello");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node 2 never ran the function: {} {}",
            reply.status,
            reply.text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let functions = two
        .admin_client()
        .get("/functions")
        .await
        .expect("functions")
        .json();
    assert!(
        functions["functions"]["echo"]["invocations"]
            .as_u64()
            .is_some_and(|n| n >= 1),
        "{functions}"
    );
    two.stop().expect("stops");
    one.stop().expect("stops");
}
