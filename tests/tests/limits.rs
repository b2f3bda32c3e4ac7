//! Limits and failures: timeouts, dead backends, payload and header sizes.

use std::time::{Duration, Instant};

use apigw_tests::{Backend, Client, Node};
use http::Method;

fn api(uri: &str, timeout_ms: u64) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: limits}}
paths:
  /{{proxy+}}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: {uri}/{{proxy}}
        timeoutInMillis: {timeout_ms}
"#
    )
}

fn node_for(uri: &str, timeout_ms: u64, extra_config: &str) -> Node {
    let config = format!("{extra_config}apis:\n  - id: limits\n    openapi: api.yaml\n    stages: [{{name: prod}}]\n");
    Node::builder()
        .file("api.yaml", &api(uri, timeout_ms))
        .config(&config)
        .start()
        .expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_backend_times_out_with_504() {
    let backend = Backend::start(|_| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        apigw_tests::backend::json_response(200, &serde_json::json!({}))
    })
    .await;
    let node = node_for(&backend.url(), 200, "");
    let started = Instant::now();
    let reply = Client::default()
        .get(&node.invoke_url("limits", "prod", "/slow"))
        .await
        .expect("reply");
    let took = started.elapsed();
    assert_eq!(reply.status, 504);
    assert_eq!(reply.text(), r#"{"message":"Endpoint request timed out"}"#);
    assert!(
        took < Duration::from_secs(3),
        "answered after the 200 ms timeout, not the backend's 5 s: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_backend_gets_an_aws_error_not_a_hang() {
    // A port that was bound and released: nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = dead.local_addr().expect("addr");
    drop(dead);
    let node = node_for(&format!("http://{addr}"), 29_000, "");
    let reply = Client::default()
        .get(&node.invoke_url("limits", "prod", "/x"))
        .await
        .expect("reply");
    assert_eq!(reply.status, 504);
    assert_eq!(reply.text(), r#"{"message": "Internal server error"}"#);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("InternalServerErrorException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_above_29s_need_the_configured_ceiling() {
    let api_text = api("http://127.0.0.1:9", 60_000);
    let config = "apis:\n  - id: limits\n    openapi: api.yaml\n    stages: [{name: prod}]\n";
    let refused = Node::builder()
        .file("api.yaml", &api_text)
        .config(config)
        .start();
    let err = refused
        .err()
        .expect("60 s timeout refused by default")
        .to_string();
    assert!(err.contains("timeoutInMillis"), "{err}");
    let raised = format!("limits: {{max_integration_timeout_ms: 120000}}\n{config}");
    Node::builder()
        .file("api.yaml", &api_text)
        .config(&raised)
        .start()
        .expect("allowed when raised");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413() {
    let backend = Backend::echo().await;
    let node = node_for(&backend.url(), 29_000, "");
    let client = Client::default();
    let limit = 10 * 1024 * 1024;
    let ok = client
        .send(
            Method::POST,
            &node.invoke_url("limits", "prod", "/up"),
            &[],
            vec![b'a'; limit],
        )
        .await
        .expect("reply");
    assert_eq!(ok.status, 200, "exactly 10 MiB is allowed");
    let big = client
        .send(
            Method::POST,
            &node.invoke_url("limits", "prod", "/up"),
            &[],
            vec![b'a'; limit + 1],
        )
        .await
        .expect("reply");
    assert_eq!(big.status, 413);
    assert_eq!(
        big.text(),
        r#"{"message":"HTTP content length exceeded 10485760 bytes."}"#
    );
    assert_eq!(
        backend.seen().len(),
        1,
        "the oversized body never reached the backend"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_bodies_are_limited_too() {
    let backend = Backend::echo().await;
    let node = node_for(&backend.url(), 29_000, "limits: {max_body_bytes: 1000}\n");
    // A raw chunked request declares no length, so the limit applies while reading.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(node.data)
        .await
        .expect("connect");
    let chunk = "a".repeat(600);
    let request = format!(
        "POST /restapis/limits/prod/_user_request_/up HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("HTTP content length exceeded 1000 bytes."),
        "{response}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_refused() {
    let backend = Backend::echo().await;
    let node = node_for(&backend.url(), 29_000, "");
    let huge = "v".repeat(20_000);
    let result = Client::default()
        .send(
            Method::GET,
            &node.invoke_url("limits", "prod", "/h"),
            &[("x-huge", &huge)],
            "",
        )
        .await;
    match result {
        Ok(reply) => assert_eq!(reply.status, 431),
        Err(e) => panic!("expected 431, got {e}"),
    }
    assert!(backend.seen().is_empty());
    let fine = Client::default()
        .get(&node.invoke_url("limits", "prod", "/h"))
        .await
        .expect("still serving");
    assert_eq!(fine.status, 200);
}
