//! Connection slots: clients that hold a connection without using it are
//! closed after their timeout, one source cannot take every slot, a full
//! data plane answers 503 while the admin listener keeps answering, HTTP/1.1
//! requests need exactly one Host, and a slow backend gets at most its cap
//! of connections.
//!
//! Everything runs on real sockets against a real `apigw serve`: raw TCP
//! for the misbehaving clients (bare connects, header trickles, slow bodies,
//! idle keep-alive, idle h2c), the test client for the well-behaved ones.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use apigw_tests::raw::{
    connect_from, h2_get, h2c_client, raw_request, read_one_response, until_closed,
};
use apigw_tests::{Backend, Client, Node};
use tokio::io::{AsyncRead, AsyncWriteExt};

/// Connections of one kind held at once in each test.
const HELD: usize = 8;
/// The longest a held connection may stay open after its 1 s timeout
/// before the test calls it hung (generous: the machine is shared).
const CLOSE_BOUND: Duration = Duration::from_secs(20);

fn api(uri: &str, timeout_ms: u64) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: slots}}
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

/// A node in front of `backend` with the given `limits:` (YAML flow map body).
fn node(backend: &Backend, timeout_ms: u64, limits: &str) -> Node {
    let config = format!(
        "limits: {{{limits}}}\napis:\n  - id: slots\n    openapi: api.yaml\n    stages: [{{name: prod}}]\n"
    );
    Node::builder()
        .file("api.yaml", &api(&backend.url(), timeout_ms))
        .config(&config)
        .start()
        .expect("node starts")
}

/// Short timeouts, and a per-source cap of exactly the connections held.
fn short_limits() -> String {
    format!(
        "header_timeout_ms: 1000, idle_timeout_ms: 1000, body_timeout_ms: 1000, \
         h2_keepalive_interval_ms: 200, h2_keepalive_timeout_ms: 10000, \
         max_connections_per_ip: {HELD}"
    )
}

const PATH: &str = "/restapis/slots/prod/_user_request_/x";

/// `GET` through the data plane from `source`, closing after.
async fn get_from(source: &str, node: &Node) -> Result<String> {
    let request = format!("GET {PATH} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    raw_request(source, node.data, &request).await
}

/// Waits until the data plane holds `n` connections (by `/metrics`).
async fn wait_for_open(node: &Node, n: usize) -> Result<()> {
    let want = format!("apigw_connections_open{{listener=\"dataplane\"}} {n}\n");
    for _ in 0..400 {
        let metrics = node.admin_client().get("/metrics").await?;
        if metrics.text().contains(&want) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("the node never held {n} connections")
}

/// While `HELD` connections from 127.0.0.1 are held: the admin listener
/// answers, another source's request is served, and one more connection
/// from 127.0.0.1 is refused with 503.
async fn still_serving_during(node: &Node) -> Result<()> {
    wait_for_open(node, HELD).await?;
    let health = Client::default()
        .get(&format!("http://{}/health", node.admin))
        .await?;
    anyhow::ensure!(health.status == 200, "health: {}", health.status);
    let other = get_from("127.0.0.2", node).await?;
    anyhow::ensure!(other.starts_with("HTTP/1.1 200"), "127.0.0.2: {other}");
    let extra = get_from("127.0.0.1", node).await?;
    anyhow::ensure!(
        extra.starts_with("HTTP/1.1 503") && extra.contains(r#"{"message":"Service Unavailable"}"#),
        "over the per-source cap: {extra}"
    );
    Ok(())
}

/// Opens `HELD` connections with `open`, checks the node still serves,
/// then that each held connection is closed; returns what each received.
async fn hold_and_expect_close<F, Fut, R>(node: &Node, open: F) -> Vec<Vec<u8>>
where
    F: Fn(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = Result<R>>,
    R: AsyncRead + Unpin,
{
    let mut held = Vec::new();
    for _ in 0..HELD {
        held.push(open(node.data).await.expect("open a connection"));
    }
    still_serving_during(node)
        .await
        .expect("serving during the attack");
    let mut received = Vec::new();
    for mut stream in held {
        received.push(
            until_closed(&mut stream, CLOSE_BOUND)
                .await
                .expect("closed by the node"),
        );
    }
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_connections_are_closed_after_the_header_timeout() {
    let backend = Backend::echo().await;
    let node = node(&backend, 29_000, &short_limits());
    let received = hold_and_expect_close(&node, |to| connect_from("127.0.0.1", to)).await;
    assert!(
        received.iter().all(Vec::is_empty),
        "nothing was asked, nothing said"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_trickles_are_closed_after_the_header_timeout() {
    let backend = Backend::echo().await;
    let node = node(&backend, 29_000, &short_limits());
    let open = |to| async move {
        let stream = connect_from("127.0.0.1", to).await?;
        let (reader, mut writer) = stream.into_split();
        // The request line, then one header line every 200 ms, never the
        // blank line that ends the head.
        tokio::spawn(async move {
            let start = format!("GET {PATH} HTTP/1.1\r\nhost: x\r\n");
            if writer.write_all(start.as_bytes()).await.is_err() {
                return;
            }
            for i in 0..600 {
                let line = format!("x-trickle-{i}: y\r\n");
                if writer.write_all(line.as_bytes()).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Ok(reader)
    };
    hold_and_expect_close(&node, open).await;
    assert_eq!(
        backend.seen().len(),
        1,
        "only the other source's request reached the backend"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_get_408_after_the_body_timeout() {
    let backend = Backend::echo().await;
    let node = node(&backend, 29_000, &short_limits());
    let open = |to| async move {
        let mut stream = connect_from("127.0.0.1", to).await?;
        let head = format!("POST {PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&[b'a'; 10]).await?;
        Ok(stream)
    };
    let received = hold_and_expect_close(&node, open).await;
    for answer in received {
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains(r#"{"message":"Request Timeout"}"#), "{text}");
    }
    let seen = backend.seen();
    assert_eq!(
        seen.len(),
        1,
        "only the other source's request reached the backend"
    );
    assert_eq!(seen[0].method, "GET");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let backend = Backend::echo().await;
    let node = node(&backend, 29_000, &short_limits());
    let open = |to| async move {
        let mut stream = connect_from("127.0.0.1", to).await?;
        let request = format!("GET {PATH} HTTP/1.1\r\nhost: x\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        read_one_response(&mut stream).await?;
        Ok(stream)
    };
    let received = hold_and_expect_close(&node, open).await;
    assert!(received.iter().all(Vec::is_empty), "closed without a word");
    assert_eq!(
        backend.seen().len(),
        HELD + 1,
        "each held connection was served once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_h2c_connections_are_pinged_then_closed_after_the_idle_timeout() {
    let backend = Backend::echo().await;
    let node = node(&backend, 29_000, &short_limits());
    let mut clients = Vec::new();
    for _ in 0..HELD {
        let stream = connect_from("127.0.0.1", node.data).await.expect("connect");
        clients.push(tokio::spawn(async move {
            h2c_client(stream, &[], CLOSE_BOUND).await
        }));
    }
    still_serving_during(&node)
        .await
        .expect("serving during the attack");
    for client in clients {
        let seen = client.await.expect("joined").expect("closed by the node");
        assert!(
            seen.pinged,
            "the node checks an idle HTTP/2 peer with PINGs"
        );
        assert!(seen.goaway, "and closes it with GOAWAY");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_nothing_is_closed_after_the_send_timeout() {
    // 32 MiB: more than loopback's socket buffers hold.
    let big = bytes::Bytes::from(vec![b'z'; 32 << 20]);
    let backend = Backend::start(move |_| {
        let big = big.clone();
        async move { http::Response::new(http_body_util::Full::new(big)) }
    })
    .await;
    let node = node(&backend, 29_000, "send_timeout_ms: 1000");
    let mut stream = connect_from("127.0.0.1", node.data).await.expect("connect");
    let request = format!("GET {PATH} HTTP/1.1\r\nhost: x\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    wait_for_open(&node, 1).await.expect("held");
    // Never read: the node's writes block, and it gives up on them.
    wait_for_open(&node, 0).await.expect("closed by the node");
    assert_eq!(backend.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_h2c_client_that_opens_no_window_is_closed_after_the_send_timeout() {
    let big = bytes::Bytes::from(vec![b'z'; 1 << 20]);
    let backend = Backend::start(move |_| {
        let big = big.clone();
        async move { http::Response::new(http_body_util::Full::new(big)) }
    })
    .await;
    let node = node(
        &backend,
        29_000,
        "send_timeout_ms: 1000, h2_keepalive_interval_ms: 200",
    );
    let stream = connect_from("127.0.0.1", node.data).await.expect("connect");
    // It reads everything and answers PINGs, but grants no window beyond
    // the first 65,535 bytes: the node's writes never block.
    let seen = h2c_client(stream, &h2_get(PATH), CLOSE_BOUND)
        .await
        .expect("closed by the node");
    assert!(seen.data_bytes > 0 && seen.data_bytes <= 65_535, "{seen:?}");
    assert_eq!(backend.seen().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_data_plane_answers_503_while_the_admin_listener_answers() {
    let backend = Backend::echo().await;
    let node = node(
        &backend,
        29_000,
        "max_connections: 8, max_connections_per_ip: 0, header_timeout_ms: 60000",
    );
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from("127.0.0.1", node.data).await.expect("connect"));
    }
    wait_for_open(&node, 8).await.expect("all held");
    for source in ["127.0.0.1", "127.0.0.2"] {
        let answer = get_from(source, &node)
            .await
            .expect("an answer, not a hang");
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(
            answer.contains(r#"{"message":"Service Unavailable"}"#),
            "{answer}"
        );
    }
    let health = Client::default()
        .get(&format!("http://{}/health", node.admin))
        .await
        .expect("health");
    assert_eq!(health.status, 200);
    let metrics = node.admin_client().get("/metrics").await.expect("metrics");
    assert!(
        metrics
            .text()
            .contains("apigw_connections_refused_total{listener=\"dataplane\",reason=\"full\"} 2"),
        "{}",
        metrics.text()
    );
    drop(held);
    wait_for_open(&node, 0).await.expect("slots given back");
    let answer = get_from("127.0.0.1", &node).await.expect("answer");
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "served again once slots are free: {answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_source_cap_refuses_one_source_and_lets_another_in() {
    let backend = Backend::echo().await;
    let node = node(
        &backend,
        29_000,
        &format!("max_connections_per_ip: {HELD}, header_timeout_ms: 60000"),
    );
    let mut held = Vec::new();
    for _ in 0..HELD {
        held.push(connect_from("127.0.0.1", node.data).await.expect("connect"));
    }
    still_serving_during(&node)
        .await
        .expect("one source capped, another served");
    let metrics = node.admin_client().get("/metrics").await.expect("metrics");
    assert!(
        metrics.text().contains(
            "apigw_connections_refused_total{listener=\"dataplane\",reason=\"per_source\"} 1"
        ),
        "{}",
        metrics.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http11_without_exactly_one_host_gets_400() {
    let backend = Backend::echo().await;
    let node = node(&backend, 29_000, "");
    let missing = format!("GET {PATH} HTTP/1.1\r\nconnection: close\r\n\r\n");
    let twice = format!("GET {PATH} HTTP/1.1\r\nhost: a\r\nhost: b\r\nconnection: close\r\n\r\n");
    for request in [&missing, &twice] {
        let answer = raw_request("127.0.0.1", node.data, request)
            .await
            .expect("answer");
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.ends_with(r#"{"message":"Bad Request"}"#), "{answer}");
    }
    assert!(backend.seen().is_empty(), "neither reached the backend");
    let old = format!("GET {PATH} HTTP/1.0\r\n\r\n");
    let answer = raw_request("127.0.0.1", node.data, &old)
        .await
        .expect("answer");
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "HTTP/1.0 may omit Host: {answer}"
    );
    let one = format!("GET {PATH} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let answer = raw_request("127.0.0.1", node.data, &one)
        .await
        .expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// A backend that answers after `delay` and records how many requests it
/// had in flight at most.
async fn slow_backend(delay: Duration) -> (Backend, Arc<AtomicUsize>) {
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let peak = most.clone();
    let backend = Backend::start(move |_| {
        let (now, most) = (now.clone(), most.clone());
        async move {
            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            now.fetch_sub(1, Ordering::SeqCst);
            apigw_tests::backend::json_response(200, &serde_json::json!({"ok": true}))
        }
    })
    .await;
    (backend, peak)
}

/// Sends `n` requests at once; their statuses and bodies.
async fn burst(node: &Node, n: usize) -> Vec<(u16, String)> {
    let client = Client::default();
    let url = node.invoke_url("slots", "prod", "/slow");
    let calls = (0..n).map(|_| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move { client.get(&url).await })
    });
    let mut out = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        let reply = call.await.expect("joined").expect("reply");
        out.push((reply.status.as_u16(), reply.text()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_backend_gets_at_most_its_cap_of_connections() {
    let (backend, peak) = slow_backend(Duration::from_millis(300)).await;
    let node = node(&backend, 29_000, "backend_max_connections: 2");
    let replies = burst(&node, 20).await;
    assert!(replies.iter().all(|(s, _)| *s == 200), "{replies:?}");
    assert_eq!(
        peak.load(Ordering::SeqCst),
        2,
        "in flight at the backend at most"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_queued_past_the_integration_timeout_get_504() {
    let (backend, peak) = slow_backend(Duration::from_millis(1000)).await;
    let node = node(&backend, 1500, "backend_max_connections: 2");
    let replies = burst(&node, 20).await;
    let ok = replies.iter().filter(|(s, _)| *s == 200).count();
    let timed_out: Vec<_> = replies.iter().filter(|(s, _)| *s != 200).collect();
    assert!(
        (1..=4).contains(&ok),
        "the first ones got through: {replies:?}"
    );
    assert!(!timed_out.is_empty());
    let timed_out_count = timed_out.len();
    for (status, body) in timed_out {
        assert_eq!(*status, 504);
        assert_eq!(body, r#"{"message":"Endpoint request timed out"}"#);
    }
    assert!(peak.load(Ordering::SeqCst) <= 2);
    let metrics = node
        .admin_client()
        .get("/metrics")
        .await
        .expect("metrics")
        .text();
    let refused = metrics
        .lines()
        .find(|l| {
            l.starts_with(&format!(
                "apigw_backend_refused_total{{backend=\"http://{}\"}}",
                backend.addr
            ))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<u64>().ok());
    // Those that never got a slot; the others timed out at the backend.
    assert!(
        refused.is_some_and(|n| n >= 1 && n as usize <= timed_out_count),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "apigw_backend_queued{{backend=\"http://{}\"}} 0",
            backend.addr
        )),
        "{metrics}"
    );
}
