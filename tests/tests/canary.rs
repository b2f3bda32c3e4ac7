//! Canary releases on a real node: a canary deployment made through the
//! management API takes its share of requests (drawn per request, on one
//! kept-alive connection pool), sees the stage variables overlaid by its
//! overrides and `$context.isCanaryRequest`; promotion by `copy` moves the
//! stage onto the canary's deployment and variables; removal ends it.

use std::collections::HashMap;

use apigw_tests::{AdminClient, Client, Node};
use http::Method;
use serde_json::{json, Value};

/// GET / as a MOCK whose answer tells the deployment, the canary flag and
/// a stage variable apart.
const API: &str = r#"{
  "openapi": "3.0.1",
  "info": {"title": "canary"},
  "paths": {"/": {"get": {
    "responses": {"200": {"description": "ok"}},
    "x-amazon-apigateway-integration": {
      "type": "mock",
      "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
      "responses": {"default": {"statusCode": "200", "responseTemplates": {
        "application/json": "{\"deployment\": \"$context.deploymentId\", \"canary\": \"$context.isCanaryRequest\", \"color\": \"$stageVariables.color\", \"size\": \"$stageVariables.size\"}"
      }}}
    }
  }}}
}"#;

async fn call(admin: &AdminClient, method: Method, path: &str, body: Value) -> Value {
    let reply = admin
        .send(method, path, body.to_string())
        .await
        .expect("management reply");
    assert!(
        reply.status.is_success(),
        "{path}: {} {}",
        reply.status,
        reply.text()
    );
    reply.json()
}

/// How many of `n` requests (16 at a time) answered each body.
async fn tally(client: &Client, url: &str, n: usize) -> HashMap<Value, usize> {
    let mut counts = HashMap::new();
    let mut pending = Vec::new();
    for i in 0..n {
        let (client, url) = (client.clone(), url.to_string());
        pending.push(tokio::spawn(async move { client.get(&url).await }));
        if pending.len() == 16 || i + 1 == n {
            for task in pending.drain(..) {
                let reply = task.await.expect("task").expect("reply");
                assert_eq!(reply.status, 200, "{}", reply.text());
                *counts.entry(reply.json()).or_insert(0) += 1;
            }
        }
    }
    counts
}

fn answer(deployment: &str, canary: &str, color: &str, size: &str) -> Value {
    json!({"deployment": deployment, "canary": canary, "color": color, "size": size})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_split_promotion_and_removal() {
    let node = Node::builder().start().expect("starts");
    let admin = node.admin_client();
    let api = call(
        &admin,
        Method::POST,
        "/restapis?mode=import",
        serde_json::from_str(API).expect("the API"),
    )
    .await;
    let id = api["id"].as_str().expect("api id").to_string();
    let deployments = format!("/restapis/{id}/deployments");
    let stage_path = format!("/restapis/{id}/stages/prod");
    let d1 = call(
        &admin,
        Method::POST,
        &deployments,
        json!({"stageName": "prod", "variables": {"color": "blue", "size": "s"}}),
    )
    .await;
    let d1 = d1["id"].as_str().expect("d1").to_string();
    let d2 = call(
        &admin,
        Method::POST,
        &deployments,
        json!({"stageName": "prod",
        "canarySettings": {"percentTraffic": 10, "stageVariableOverrides": {"color": "green"}}}),
    )
    .await;
    let d2 = d2["id"].as_str().expect("d2").to_string();
    let stage = call(&admin, Method::GET, &stage_path, json!({})).await;
    assert_eq!(
        stage["deploymentId"],
        json!(d1),
        "the stage keeps its deployment"
    );
    assert_eq!(
        stage["canarySettings"],
        json!({"deploymentId": d2, "percentTraffic": 10.0,
        "stageVariableOverrides": {"color": "green"}, "useStageCache": false})
    );

    // The split: 5,000 requests, about 10 % to the canary.
    let client = Client::default();
    let url = node.invoke_url(&id, "prod", "/");
    let counts = tally(&client, &url, 5000).await;
    let own = counts
        .get(&answer(&d1, "false", "blue", "s"))
        .copied()
        .unwrap_or(0);
    let canary = counts
        .get(&answer(&d2, "true", "green", "s"))
        .copied()
        .unwrap_or(0);
    assert_eq!(own + canary, 5000, "only the two answers: {counts:?}");
    let share = canary as f64 / 50.0;
    println!("canary share at percentTraffic 10: {share:.2} % ({canary} of 5000)");
    assert!((8.5..=11.5).contains(&share), "canary share {share} %");

    // Promotion: the stage takes the canary's deployment and overrides;
    // the canary stays, at 0 %.
    let promote = json!({"patchOperations": [
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0.0"},
        {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"},
        {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"}]});
    let promoted = call(&admin, Method::PATCH, &stage_path, promote).await;
    assert_eq!(promoted["deploymentId"], json!(d2));
    assert_eq!(
        promoted["variables"],
        json!({"color": "green", "size": "s"})
    );
    let counts = tally(&client, &url, 200).await;
    assert_eq!(
        counts.get(&answer(&d2, "false", "green", "s")),
        Some(&200),
        "{counts:?}"
    );

    // Removal: no canary, no isCanaryRequest.
    let removed = call(
        &admin,
        Method::PATCH,
        &stage_path,
        json!({"patchOperations": [{"op": "remove", "path": "/canarySettings"}]}),
    )
    .await;
    assert!(removed.get("canarySettings").is_none(), "{removed}");
    let counts = tally(&client, &url, 50).await;
    assert_eq!(
        counts.get(&answer(&d2, "", "green", "s")),
        Some(&50),
        "{counts:?}"
    );
    node.stop().expect("stops");
}

/// The API of [`API`] as a config file declares it for a cluster.
const CLUSTER_API: &str = "openapi: 3.0.1\ninfo: {title: shared}\npaths:\n  /:\n    get:\n      x-amazon-apigateway-integration:\n        type: mock\n        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n        responses: {default: {statusCode: \"200\", responseTemplates: {application/json: '{\"deployment\": \"$context.deploymentId\", \"canary\": \"$context.isCanaryRequest\"}'}}}\n";

/// Three nodes; node 1 declares the API. Returns the nodes (node 1 first)
/// and the certificates' folder, which must outlive them.
fn three_nodes() -> (Vec<Node>, apigw_tests::node::TempDir) {
    use apigw_tests::cluster::{cluster_certs, free_udp_port};
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
            text.push_str("apis:\n  - {id: shared, openapi: api.yaml, stages: [{name: prod}]}\n");
        }
        text
    };
    let start = |id: usize| {
        Node::builder()
            .file("api.yaml", CLUSTER_API)
            .config(&config(id))
            .start()
            .expect("node starts")
    };
    // Nodes 2 and 3 first: node 1 (the lowest id) makes the membership.
    let (two, three) = (start(1), start(2));
    (vec![start(0), two, three], certs)
}

/// Waits (20 s) until `node`'s own store shows the stage's canary.
async fn wait_for_canary(node: &Node) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let stage = node
            .admin_client()
            .get("/restapis/shared/stages/prod")
            .await;
        if let Some(stage) = stage.ok().filter(|r| r.status == 200).map(|r| r.json()) {
            if stage.get("canarySettings").is_some() {
                return stage;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the canary never reached {}",
            node.admin
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_of_a_cluster_splits_the_same_way() {
    let (nodes, _certs) = three_nodes();
    let client = Client::default();
    for node in &nodes {
        apigw_tests::cluster::wait_for_stage_count(&client, node, 1).await;
    }
    // The canary deployment, made through node 3 (forwarded to the leader).
    let canary = json!({"stageName": "prod", "canarySettings": {"percentTraffic": 10}});
    let made = call(
        &nodes[2].admin_client(),
        Method::POST,
        "/restapis/shared/deployments",
        canary,
    )
    .await;
    let d2 = made["id"].as_str().expect("deployment id").to_string();
    for (i, node) in nodes.iter().enumerate() {
        let stage = wait_for_canary(node).await;
        assert_eq!(
            stage["canarySettings"]["deploymentId"],
            json!(d2),
            "node {}",
            i + 1
        );
        let d1 = stage["deploymentId"]
            .as_str()
            .expect("deployment")
            .to_string();
        let counts = tally(&client, &node.invoke_url("shared", "prod", "/"), 5000).await;
        let own = counts
            .get(&json!({"deployment": d1, "canary": "false"}))
            .copied()
            .unwrap_or(0);
        let canary = counts
            .get(&json!({"deployment": d2, "canary": "true"}))
            .copied()
            .unwrap_or(0);
        assert_eq!(own + canary, 5000, "node {}: {counts:?}", i + 1);
        let share = canary as f64 / 50.0;
        println!(
            "node {}: canary share {share:.2} % ({canary} of 5000)",
            i + 1
        );
        assert!(
            (8.5..=11.5).contains(&share),
            "node {}: canary share {share} %",
            i + 1
        );
    }
    for node in nodes {
        node.stop().expect("stops");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_cache_entries_are_separate_unless_use_stage_cache() {
    let node = Node::builder().start().expect("starts");
    let admin = node.admin_client();
    let cached = API.replace(
        "\\\"size\\\": \\\"$stageVariables.size\\\"",
        "\\\"request\\\": \\\"$context.requestId\\\"",
    );
    assert_ne!(cached, API);
    let api = call(
        &admin,
        Method::POST,
        "/restapis?mode=import",
        serde_json::from_str(&cached).expect("the API"),
    )
    .await;
    let id = api["id"].as_str().expect("api id").to_string();
    let stage_path = format!("/restapis/{id}/stages/prod");
    let deployments = format!("/restapis/{id}/deployments");
    call(
        &admin,
        Method::POST,
        &deployments,
        json!({"stageName": "prod", "cacheClusterEnabled": true}),
    )
    .await;
    call(
        &admin,
        Method::POST,
        &deployments,
        json!({"stageName": "prod", "canarySettings": {"percentTraffic": 100}}),
    )
    .await;
    let patch = |ops: Value| {
        call(
            &admin,
            Method::PATCH,
            &stage_path,
            json!({"patchOperations": ops}),
        )
    };
    let client = Client::default();
    let url = node.invoke_url(&id, "prod", "/");
    let get = || async { client.get(&url).await.expect("reply").json() };

    let canary = get().await;
    assert_eq!(canary["canary"], "true");
    assert_eq!(get().await, canary, "the canary's entry is served again");
    patch(json!([{"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"}])).await;
    let own = get().await;
    assert_eq!(
        own["canary"], "false",
        "the stage does not get the canary's entry: {own}"
    );
    assert_ne!(own["request"], canary["request"]);
    patch(json!([
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "100"},
        {"op": "replace", "path": "/canarySettings/useStageCache", "value": "true"}]))
    .await;
    assert_eq!(
        get().await,
        own,
        "useStageCache: the canary is served the stage's entry"
    );
    node.stop().expect("stops");
}
