//! Imports run off the threads that serve requests and within limits: a
//! hostile document (nesting that costs the YAML scanner quadratic time,
//! too many paths) gets a 400 naming the limit at once, and the data plane
//! keeps answering while a large legitimate document imports (its latency
//! meanwhile is printed).

use std::time::{Duration, Instant};

use apigw_tests::{Client, Node};
use http::Method;

const API: &str = r#"
openapi: 3.0.1
info: {title: steady}
paths:
  /ping:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
"#;

fn start(workers: &str) -> Node {
    Node::builder()
        .file("api.yaml", API)
        .config("apis:\n  - {id: steady, openapi: api.yaml, stages: [{name: prod}]}\n")
        .arg("--workers")
        .arg(workers)
        .env("APIGW_ADMIN_ACCESS_KEY_ID", "AKIAADMINLIMITS00001")
        .env(
            "APIGW_ADMIN_SECRET_ACCESS_KEY",
            "admin-limits-secret-0123456789",
        )
        .start()
        .expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_get_a_400_naming_the_limit() {
    let node = start("1");
    let admin = node.admin_client();
    let depth = 200_000;
    let deep = format!(
        "openapi: 3.0.1\ninfo: {{title: deep}}\npaths: {{}}\nx-deep: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let started = Instant::now();
    let reply = admin
        .send(Method::POST, "/restapis?mode=import", deep)
        .await
        .expect("an answer");
    println!(
        "a document nested {depth} levels deep: {} in {:?}",
        reply.status,
        started.elapsed()
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("BadRequestException")
    );
    let message = reply.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("nested deeper than 64 levels"),
        "{message}"
    );

    let block: String = (0..70)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    let reply = admin
        .send(
            Method::POST,
            "/restapis?mode=import",
            format!(
                "openapi: 3.0.1\ninfo: {{title: b}}\npaths: {{}}\nx-deep:\n{block}{}v: 1\n",
                "  ".repeat(71)
            ),
        )
        .await
        .expect("an answer");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.text().contains("nested deeper than 64 levels"),
        "{}",
        reply.text()
    );

    let paths: String = (0..20_001).map(|i| format!("  /p{i}: {{}}\n")).collect();
    let reply = admin
        .send(
            Method::POST,
            "/restapis?mode=import",
            format!("openapi: 3.0.1\ninfo: {{title: wide}}\npaths:\n{paths}"),
        )
        .await
        .expect("an answer");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.text().contains("at most 20000 are allowed"),
        "{}",
        reply.text()
    );

    let listed = admin.get("/restapis").await.expect("list").json();
    assert_eq!(listed["item"].as_array().map(Vec::len), Some(1), "{listed}");
    // The data plane answered throughout.
    let ping = Client::default()
        .get(&node.invoke_url("steady", "prod", "/ping"))
        .await
        .expect("ping");
    assert_eq!(ping.status, 200);
    node.stop().expect("stops");
}

#[test]
fn a_config_naming_a_hostile_document_does_not_start() {
    let deep = format!(
        "openapi: 3.0.1\ninfo: {{title: deep}}\npaths: {{}}\nx-deep: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let started = Node::builder()
        .file("deep.yaml", &deep)
        .config("apis:\n  - {id: deep, openapi: deep.yaml, stages: [{name: prod}]}\n")
        .start();
    let Err(e) = started else {
        panic!("a node started with a hostile document");
    };
    assert!(
        format!("{e:#}").contains("nested deeper than 64 levels"),
        "{e:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_plane_answers_during_a_large_import() {
    // One data-plane worker: before, the admin listener shared its thread.
    let node = start("1");
    let admin = node.admin_client();
    // A legitimate document of about 8 MiB: a few paths and a large
    // extension value (shallow, as real documents are).
    let items: Vec<String> = (0..450_000).map(|i| format!("[{i}, x{i}]")).collect();
    let big = format!(
        "openapi: 3.0.1\ninfo: {{title: big}}\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-integration: {{type: mock}}\nx-data: [{}]\n",
        items.join(", ")
    );
    println!("document: {} bytes", big.len());
    let import = tokio::spawn(async move {
        let started = Instant::now();
        let reply = admin
            .send(Method::POST, "/restapis?mode=import", big)
            .await
            .expect("import answers");
        (started, Instant::now(), reply.status)
    });
    let client = Client::default();
    let url = node.invoke_url("steady", "prod", "/ping");
    // (sent, answered) of every request made while the import runs.
    let mut seen: Vec<(Instant, Instant)> = Vec::new();
    while !import.is_finished() {
        let sent = Instant::now();
        let reply = client.get(&url).await.expect("ping");
        assert_eq!(reply.status, 200);
        seen.push((sent, Instant::now()));
    }
    let (started, finished, status) = import.await.expect("import task");
    assert_eq!(status, 201, "the import succeeds");
    let import_took = finished - started;
    let during: Vec<(Instant, Instant)> = seen
        .into_iter()
        .filter(|(sent, _)| *sent >= started && *sent < finished)
        .collect();
    let mut latencies: Vec<Duration> = during.iter().map(|(s, a)| *a - *s).collect();
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
    };
    println!(
        "import took {import_took:?}; data-plane requests sent during it: {}, latency p50 {:?}, p99 {:?}, max {:?}",
        during.len(),
        pick(0.5),
        pick(0.99),
        latencies.last()
    );
    // Kept answering: no request waited through half of the import (when
    // the import shared the worker's thread, one waited through all of it).
    let stalled = latencies.last().is_some_and(|max| *max * 2 > import_took);
    assert!(!stalled, "a data-plane request waited for the import");
    node.stop().expect("stops");
}
