//! API keys, usage plans (throttle and quota) and stage throttling, against
//! a real node; the throttle test measures the admitted rate.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apigw_tests::{Client, Node};
use http::Method;
use serde_json::json;

const API: &str = r#"
openapi: 3.0.1
info: {title: keys}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
paths:
  /open:
    get:
      x-amazon-apigateway-integration: &mock
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"key": "$context.identity.apiKeyId"}'}
  /keyed:
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration: *mock
  /keyed-slow:
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration: *mock
  /limited:
    get:
      x-amazon-apigateway-integration: *mock
"#;

const ALICE: &str = "alice-key-0123456789abcdef";
const BOB: &str = "bob-key-0123456789abcdefgh";
const CAROL: &str = "carol-key-0123456789abcdef";

fn config() -> String {
    format!(
        r#"
api_keys:
  - {{name: alice, value: {ALICE}}}
  - {{name: bob, value: {BOB}, enabled: false}}
  - {{name: carol, value: {CAROL}}}
usage_plans:
  - name: basic
    throttle: {{rate: 1000, burst: 1000}}
    quota: {{limit: 5, period: DAY}}
    stages:
      - api: keys
        stage: prod
        methods:
          /keyed-slow/GET: {{rate: 1, burst: 1}}
    keys: [alice, bob]
apis:
  - id: keys
    openapi: api.yaml
    stages:
      - name: prod
        methods:
          /limited/GET: {{throttle: {{rate: 20, burst: 5}}}}
"#
    )
}

fn start() -> Node {
    Node::builder()
        .file("api.yaml", API)
        .config(&config())
        .start()
        .expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_and_usage_plans() {
    let node = start();
    let client = Client::default();
    let keyed = node.invoke_url("keys", "prod", "/keyed");
    let get = |key: Option<&'static str>| {
        let client = client.clone();
        let url = keyed.clone();
        async move {
            let headers: Vec<(&str, &str)> =
                key.map(|k| vec![("x-api-key", k)]).unwrap_or_default();
            client
                .send(Method::GET, &url, &headers, "")
                .await
                .expect("reply")
        }
    };

    let open = client
        .get(&node.invoke_url("keys", "prod", "/open"))
        .await
        .expect("reply");
    assert_eq!(
        open.status, 200,
        "methods without apiKeyRequired need no key"
    );

    for (key, why) in [
        (None, "no key"),
        (Some("not-a-key-at-all-000000"), "unknown"),
        (Some(BOB), "disabled"),
        (Some(CAROL), "in no plan"),
    ] {
        let reply = get(key).await;
        assert_eq!(reply.status, 403, "{why}");
        assert_eq!(reply.json(), json!({"message": "Forbidden"}), "{why}");
    }

    // alice's plan allows 5 requests a day.
    for n in 0..5 {
        let reply = get(Some(ALICE)).await;
        assert_eq!(reply.status, 200, "request {n}");
        assert!(
            reply.json()["key"].as_str().is_some_and(|k| !k.is_empty()),
            "$context.identity.apiKeyId"
        );
    }
    let over = get(Some(ALICE)).await;
    assert_eq!(over.status, 429);
    assert_eq!(over.json(), json!({"message": "Limit Exceeded"}));
    assert_eq!(
        over.header("x-amzn-errortype"),
        Some("LimitExceededException")
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_method_throttles() {
    let node = start();
    let client = Client::default();
    let url = node.invoke_url("keys", "prod", "/keyed-slow");
    let first = client
        .send(Method::GET, &url, &[("x-api-key", ALICE)], "")
        .await
        .expect("reply");
    assert_eq!(first.status, 200);
    let second = client
        .send(Method::GET, &url, &[("x-api-key", ALICE)], "")
        .await
        .expect("reply");
    assert_eq!(second.status, 429);
    assert_eq!(second.json(), json!({"message": "Too Many Requests"}));
    node.stop().expect("stops");
}

/// 8 clients hammer a method throttled at 20 rps with a burst of 5 for 3 s.
/// A token bucket admits burst + rate x time = 65; we accept +-15%.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_throttle_admits_the_configured_rate() {
    let node = start();
    let url = node.invoke_url("keys", "prod", "/limited");
    let admitted = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let window = Duration::from_secs(3);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (url, admitted, refused) = (url.clone(), admitted.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            let client = Client::default();
            while started.elapsed() < window {
                let reply = client.get(&url).await.expect("reply");
                match reply.status.as_u16() {
                    200 => admitted.fetch_add(1, Ordering::Relaxed),
                    429 => refused.fetch_add(1, Ordering::Relaxed),
                    other => panic!("unexpected status {other}"),
                };
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let admitted = admitted.load(Ordering::Relaxed) as f64;
    let expected = 5.0 + 20.0 * elapsed;
    let refused = refused.load(Ordering::Relaxed);
    eprintln!("stage throttle 20 rps burst 5: admitted {admitted} in {elapsed:.2}s (expected {expected:.1}), refused {refused}");
    assert!(refused > 0, "the clients asked for more than the limit");
    assert!(
        (admitted - expected).abs() <= expected * 0.15,
        "admitted {admitted} in {elapsed:.2}s, expected {expected:.0} +-15% ({refused} refused)"
    );
    node.stop().expect("stops");
}

/// Keys live in the store; a key dropped from the config is revoked at the
/// next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_dropped_from_the_config_are_revoked() {
    let dir = std::sync::Arc::new(apigw_tests::node::TempDir::new("revoke").expect("dir"));
    let client = Client::default();
    let node = Node::builder()
        .file("api.yaml", API)
        .config(&config())
        .start_in(dir.clone())
        .expect("starts");
    let url = node.invoke_url("keys", "prod", "/keyed");
    let ok = client
        .send(Method::GET, &url, &[("x-api-key", ALICE)], "")
        .await
        .expect("reply");
    assert_eq!(ok.status, 200);
    node.stop().expect("stops");

    let without_alice = config()
        .replace(&format!("  - {{name: alice, value: {ALICE}}}\n"), "")
        .replace("keys: [alice, bob]", "keys: [bob]");
    let node = Node::builder()
        .file("api.yaml", API)
        .config(&without_alice)
        .start_in(dir.clone())
        .expect("restarts");
    let url = node.invoke_url("keys", "prod", "/keyed");
    let revoked = client
        .send(Method::GET, &url, &[("x-api-key", ALICE)], "")
        .await
        .expect("reply");
    assert_eq!(revoked.status, 403);
    node.stop().expect("stops");
}
