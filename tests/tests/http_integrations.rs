//! HTTP_PROXY and HTTP integrations against real backends.

use apigw_tests::backend::json_response;
use apigw_tests::{Backend, Client, Node};
use http::Method;

fn api(backend: &str) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: proxy}}
paths:
  /{{proxy+}}:
    x-amazon-apigateway-any-method:
      parameters: [{{name: proxy, in: path, required: true}}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: {backend}/upstream/{{proxy}}
        requestParameters:
          integration.request.path.proxy: method.request.path.proxy
  /items/{{id}}:
    get:
      parameters:
        - {{name: id, in: path, required: true}}
        - {{name: q, in: query}}
        - {{name: X-Client, in: header}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://${{stageVariables.backend}}/things/{{thing}}
        requestParameters:
          integration.request.path.thing: method.request.path.id
          integration.request.querystring.search: method.request.querystring.q
          integration.request.header.X-From-Client: method.request.header.X-Client
          integration.request.header.X-Stage: stageVariables.color
          integration.request.header.X-Request: context.requestId
          integration.request.querystring.fixed: "'yes please'"
        responses:
          "4\\d{{2}}":
            statusCode: "404"
            responseParameters:
              method.response.header.X-Backend-Status: integration.response.header.X-Status
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.X-Backend-Status: integration.response.header.X-Status
              method.response.header.X-Literal: "'fixed'"
"#
    )
}

async fn start(backend: &Backend) -> Node {
    start_with(backend, &[]).await
}

async fn start_with(backend: &Backend, args: &[&str]) -> Node {
    let config = format!(
        "apis:\n  - id: proxy\n    openapi: api.yaml\n    stages:\n      - name: prod\n        variables: {{backend: '{}', color: blue}}\n",
        backend.addr
    );
    let mut builder = Node::builder()
        .file("api.yaml", &api(&backend.url()))
        .config(&config);
    for arg in args {
        builder = builder.arg(arg);
    }
    builder.start().expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_passes_the_request_through() {
    let backend = Backend::echo().await;
    let node = start(&backend).await;
    let reply = Client::default()
        .send(
            Method::PUT,
            &node.invoke_url("proxy", "prod", "/a/b%20c/d?x=1&y=two"),
            &[("x-custom", "hello"), ("content-type", "text/plain")],
            "the body",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let echoed = reply.json();
    assert_eq!(echoed["method"], "PUT");
    assert_eq!(echoed["target"], "/upstream/a/b%20c/d?x=1&y=two");
    assert_eq!(echoed["body"], "the body");
    assert_eq!(echoed["headers"]["x-custom"], "hello");
    assert_eq!(echoed["headers"]["content-type"], "text/plain");
    assert_eq!(echoed["headers"]["host"], backend.addr.to_string());
    assert_eq!(echoed["headers"]["x-forwarded-for"], "127.0.0.1");
    assert!(reply.header("x-amzn-requestid").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_returns_backend_status_and_headers() {
    let backend = Backend::start(|_| async {
        http::Response::builder()
            .status(418)
            .header("x-teapot", "short and stout")
            .body(http_body_util::Full::new(bytes::Bytes::from_static(
                b"I'm a teapot",
            )))
            .unwrap_or_default()
    })
    .await;
    let node = start(&backend).await;
    let reply = Client::default()
        .get(&node.invoke_url("proxy", "prod", "/anything"))
        .await
        .expect("reply");
    assert_eq!(reply.status, 418);
    assert_eq!(reply.header("x-teapot"), Some("short and stout"));
    assert_eq!(reply.text(), "I'm a teapot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_integration_maps_parameters_and_selects_responses() {
    let backend = Backend::start(|seen| async move {
        let status = if seen.target.starts_with("/things/missing") {
            404
        } else {
            200
        };
        let mut response = json_response(status, &apigw_tests::backend::describe(&seen));
        response
            .headers_mut()
            .insert("x-status", status.to_string().parse().expect("header"));
        response
    })
    .await;
    let node = start(&backend).await;
    let client = Client::default();
    let reply = client
        .send(
            Method::GET,
            &node.invoke_url("proxy", "prod", "/items/42?q=red%20shoes&ignored=1"),
            &[("x-client", "cli-1"), ("x-not-mapped", "secret")],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-backend-status"), Some("200"));
    assert_eq!(reply.header("x-literal"), Some("fixed"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let seen = &backend.seen()[0];
    assert_eq!(seen.method, "POST", "integration httpMethod wins");
    assert!(seen.target.starts_with("/things/42?"), "{}", seen.target);
    assert!(
        seen.target.contains("search=red%20shoes"),
        "{}",
        seen.target
    );
    assert!(
        seen.target.contains("fixed=yes%20please"),
        "{}",
        seen.target
    );
    assert!(
        !seen.target.contains("ignored"),
        "non-proxy sends only mapped query: {}",
        seen.target
    );
    assert_eq!(
        seen.headers
            .get("x-from-client")
            .and_then(|v| v.to_str().ok()),
        Some("cli-1")
    );
    assert_eq!(
        seen.headers.get("x-stage").and_then(|v| v.to_str().ok()),
        Some("blue")
    );
    assert_eq!(
        seen.headers.get("x-request").and_then(|v| v.to_str().ok()),
        reply.header("x-amzn-requestid")
    );
    assert!(
        seen.headers.get("x-not-mapped").is_none(),
        "non-proxy sends only mapped headers"
    );

    let missing = client
        .get(&node.invoke_url("proxy", "prod", "/items/missing"))
        .await
        .expect("reply");
    assert_eq!(
        missing.status, 404,
        "selection pattern 4\\d{{2}} picks the 404 response"
    );
    assert_eq!(missing.header("x-backend-status"), Some("404"));
    assert!(missing.header("x-literal").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_connections_are_kept_alive_and_reused() {
    let backend = Backend::echo().await;
    // One worker: one backend pool (each worker thread keeps its own).
    let node = start_with(&backend, &["--workers", "1"]).await;
    let client = Client::default();
    for i in 0..20 {
        let reply = client
            .get(&node.invoke_url("proxy", "prod", &format!("/n/{i}")))
            .await
            .expect("reply");
        assert_eq!(reply.status, 200);
    }
    assert_eq!(backend.seen().len(), 20);
    // A connection goes back to the pool as its response ends, a moment after
    // the client has it, so a second one may open; without pooling there are 20.
    assert!(
        backend.connections() <= 2,
        "sequential requests reuse pooled connections: {}",
        backend.connections()
    );
}
