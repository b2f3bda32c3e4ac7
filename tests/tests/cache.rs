//! The stage cache, in front of a backend that counts its calls; and CORS as
//! API Gateway users set it up (an OPTIONS MOCK plus gateway responses).

use apigw_tests::backend::{describe, json_response, Seen};
use apigw_tests::{Backend, Client, Node};
use http::Method;
use serde_json::json;

fn api(backend: &str) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: cached}}
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX:
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
paths:
  /items/{{id}}:
    get:
      parameters:
        - {{name: id, in: path, required: true}}
        - {{name: v, in: query}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: {backend}/items/{{id}}
        requestParameters:
          integration.request.path.id: method.request.path.id
        cacheKeyParameters: [method.request.querystring.v]
    post:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: POST
        uri: {backend}/items
    options:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.Access-Control-Allow-Origin: "'https://example.com'"
              method.response.header.Access-Control-Allow-Methods: "'GET,POST,OPTIONS'"
              method.response.header.Access-Control-Allow-Headers: "'Content-Type,X-Api-Key'"
  /fail:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: {backend}/fail
"#
    )
}

async fn counting_backend() -> Backend {
    Backend::start(|seen: Seen| async move {
        if seen.target == "/fail" {
            return json_response(500, &json!({"oops": true}));
        }
        json_response(200, &describe(&seen))
    })
    .await
}

fn start(backend: &Backend) -> Node {
    let config = r#"
apis:
  - id: cached
    openapi: api.yaml
    stages:
      - name: prod
        cache: {enabled: true, ttl_seconds: 60}
      - name: open
        cache: {enabled: true, ttl_seconds: 60, require_authorization: false}
      - name: strict
        cache: {enabled: true, ttl_seconds: 60, unauthorized: FAIL_WITH_403}
      - name: short
        cache: {enabled: true, ttl_seconds: 1}
      - name: none
"#;
    Node::builder()
        .file("api.yaml", &api(&backend.url()))
        .config(config)
        .start()
        .expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_cached_per_key_and_flushed() {
    let backend = counting_backend().await;
    let node = start(&backend);
    let client = Client::default();
    let url = |stage: &str, q: &str| node.invoke_url("cached", stage, &format!("/items/1{q}"));
    let calls = || backend.seen().len();

    let first = client.get(&url("prod", "?v=1")).await.expect("reply");
    assert_eq!(first.status, 200);
    let again = client
        .get(&url("prod", "?v=1&ignored=x"))
        .await
        .expect("reply");
    assert_eq!(again.body, first.body, "served from the cache");
    assert_eq!(
        calls(),
        1,
        "query parameters that are not cache keys do not matter"
    );
    client.get(&url("prod", "?v=2")).await.expect("reply");
    assert_eq!(calls(), 2, "a cache key parameter makes another entry");
    client
        .get(&node.invoke_url("cached", "prod", "/items/2?v=1"))
        .await
        .expect("reply");
    assert_eq!(calls(), 3, "another path is another entry");

    // POST is not cached; failures are not cached.
    client
        .send(Method::POST, &url("prod", ""), &[], "x")
        .await
        .expect("reply");
    client
        .send(Method::POST, &url("prod", ""), &[], "x")
        .await
        .expect("reply");
    assert_eq!(calls(), 5);
    client
        .get(&node.invoke_url("cached", "prod", "/fail"))
        .await
        .expect("reply");
    client
        .get(&node.invoke_url("cached", "prod", "/fail"))
        .await
        .expect("reply");
    assert_eq!(calls(), 7);

    // A stage without a cache calls every time.
    client.get(&url("none", "?v=1")).await.expect("reply");
    client.get(&url("none", "?v=1")).await.expect("reply");
    assert_eq!(calls(), 9);

    // Flushing the stage (AWS's FlushStageCache path on the admin listener).
    let flush = node
        .admin_client()
        .send(
            Method::DELETE,
            "/restapis/cached/stages/prod/cache/data",
            "",
        )
        .await
        .expect("flush");
    assert_eq!(flush.status, 202);
    client.get(&url("prod", "?v=1")).await.expect("reply");
    assert_eq!(calls(), 10, "flushed entries are fetched again");

    let metrics = node
        .admin_client()
        .get("/metrics")
        .await
        .expect("metrics")
        .text();
    assert!(metrics.contains("apigw_cache_hits_total 1\n"), "{metrics}");
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidation_needs_authorization_and_ttls_expire() {
    let backend = counting_backend().await;
    let node = start(&backend);
    let client = Client::default();
    let calls = || backend.seen().len();
    let fresh = [("cache-control", "max-age=0")];

    // Default: not authorized, served from the cache with a warning.
    let url = node.invoke_url("cached", "prod", "/items/1");
    client.get(&url).await.expect("reply");
    let warned = client
        .send(Method::GET, &url, &fresh, "")
        .await
        .expect("reply");
    assert_eq!(calls(), 1);
    assert!(
        warned
            .header("warning")
            .is_some_and(|w| w.contains("not authorized")),
        "{:?}",
        warned.headers
    );

    // require_authorization off: max-age=0 refreshes the entry.
    let url = node.invoke_url("cached", "open", "/items/1");
    client.get(&url).await.expect("reply");
    client
        .send(Method::GET, &url, &fresh, "")
        .await
        .expect("reply");
    assert_eq!(calls(), 3);

    // FAIL_WITH_403.
    let url = node.invoke_url("cached", "strict", "/items/1");
    let refused = client
        .send(Method::GET, &url, &fresh, "")
        .await
        .expect("reply");
    assert_eq!(refused.status, 403);

    // A one-second TTL.
    let url = node.invoke_url("cached", "short", "/items/1");
    client.get(&url).await.expect("reply");
    client.get(&url).await.expect("reply");
    assert_eq!(calls(), 4);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    client.get(&url).await.expect("reply");
    assert_eq!(calls(), 5, "expired");
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_and_error_headers() {
    let backend = counting_backend().await;
    let node = start(&backend);
    let client = Client::default();
    let preflight = client
        .send(
            Method::OPTIONS,
            &node.invoke_url("cached", "none", "/items/1"),
            &[
                ("origin", "https://example.com"),
                ("access-control-request-method", "POST"),
            ],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(preflight.status, 200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://example.com")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET,POST,OPTIONS")
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("Content-Type,X-Api-Key")
    );
    // Errors carry the CORS header the API's gateway responses add.
    let missing = client
        .get(&node.invoke_url("cached", "none", "/nowhere"))
        .await
        .expect("reply");
    assert_eq!(missing.status, 403);
    assert_eq!(missing.header("access-control-allow-origin"), Some("*"));
    node.stop().expect("stops");
}
