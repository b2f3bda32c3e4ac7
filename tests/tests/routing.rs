//! Routing and invocation forms, against a real node.

use apigw_tests::{Client, Node};
use http::Method;

/// Every method answers with its resource path and parameters.
fn mock(verb: &str) -> String {
    format!(
        r#"
      {verb}:
        x-amazon-apigateway-integration:
          type: mock
          requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
          responses:
            default:
              statusCode: "200"
              responseTemplates:
                application/json: '{{"resource": "$context.resourcePath", "method": "$context.httpMethod", "id": "$input.params(''id'')", "proxy": "$input.params(''proxy'')"}}'"#
    )
}

fn api() -> String {
    format!(
        "openapi: 3.0.1\ninfo: {{title: routes}}\npaths:\n  /:{}\n  /pets:{}{}\n  /pets/{{id}}:{}\n  /pets/mine:{}\n  /files/{{proxy+}}:{}\n",
        mock("get"),
        mock("get"),
        mock("post"),
        mock("get"),
        mock("get"),
        mock("x-amazon-apigateway-any-method"),
    )
}

const CONFIG: &str =
    "apis:\n  - id: routes\n    openapi: api.yaml\n    stages: [{name: prod}, {name: dev}]\n";

fn start() -> Node {
    Node::builder()
        .file("api.yaml", &api())
        .config(CONFIG)
        .start()
        .expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_by_literal_param_and_greedy_segments() {
    let node = start();
    let client = Client::default();
    let cases = [
        ("/", "/", ""),
        ("/pets", "/pets", ""),
        ("/pets/", "/pets", ""),
        ("/pets/mine", "/pets/mine", ""),
        ("/pets/42", "/pets/{id}", "42"),
        ("/pets/a%20b", "/pets/{id}", "a b"),
    ];
    for (path, resource, id) in cases {
        let reply = client
            .get(&node.invoke_url("routes", "prod", path))
            .await
            .expect("reply");
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["resource"], resource, "{path}");
        assert_eq!(body["id"], id, "{path}");
    }
    for method in [Method::GET, Method::DELETE, Method::PATCH] {
        let reply = client
            .send(
                method.clone(),
                &node.invoke_url("routes", "prod", "/files/a/b/c.txt"),
                &[],
                "",
            )
            .await
            .expect("reply");
        assert_eq!(reply.status, 200, "{method}");
        assert_eq!(reply.json()["proxy"], "a/b/c.txt");
        assert_eq!(reply.json()["method"], method.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_get_missing_authentication_token() {
    let node = start();
    let client = Client::default();
    for (method, path) in [
        (Method::GET, "/nothing"),
        (Method::DELETE, "/pets"),
        (Method::GET, "/files"),
        (Method::PUT, "/pets/1"),
    ] {
        let reply = client
            .send(
                method.clone(),
                &node.invoke_url("routes", "prod", path),
                &[],
                "",
            )
            .await
            .expect("reply");
        assert_eq!(reply.status, 403, "{method} {path}");
        assert_eq!(
            reply.text(),
            r#"{"message":"Missing Authentication Token"}"#
        );
        assert_eq!(
            reply.header("x-amzn-errortype"),
            Some("MissingAuthenticationTokenException")
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_form_stages_and_ids() {
    let node = start();
    let client = Client::default();
    let reply = client
        .send(
            Method::GET,
            &node.url("/dev/pets/7"),
            &[("host", "routes.execute-api.localhost")],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["id"], "7");
    let request_id = reply
        .header("x-amzn-requestid")
        .expect("request id")
        .to_string();
    assert_eq!(request_id.len(), 36);
    assert!(reply
        .header("x-amz-apigw-id")
        .is_some_and(|v| v.len() == 16));
    let again = client
        .get(&node.invoke_url("routes", "prod", "/pets"))
        .await
        .expect("reply");
    assert_ne!(
        again.header("x-amzn-requestid"),
        Some(request_id.as_str()),
        "ids are per request"
    );

    for url in [
        node.invoke_url("routes", "staging", "/pets"),
        node.invoke_url("nosuchapi", "prod", "/pets"),
        node.url("/pets"),
    ] {
        let reply = client.get(&url).await.expect("reply");
        assert_eq!(reply.status, 403, "{url}");
        assert_eq!(reply.text(), r#"{"message":"Forbidden"}"#);
        assert!(
            reply.header("x-amzn-requestid").is_some(),
            "ids on gateway responses too"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_cleartext_is_served() {
    let node = start();
    let reply = Client::new(true)
        .get(&node.invoke_url("routes", "prod", "/pets/9"))
        .await
        .expect("h2c reply");
    assert_eq!(reply.version, http::Version::HTTP_2);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["id"], "9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_gets_one_json_access_log_line() {
    let node = start();
    let reply = Client::default()
        .get(&node.invoke_url("routes", "prod", "/pets/5?x=1"))
        .await
        .expect("reply");
    let request_id = reply.header("x-amzn-requestid").expect("id").to_string();
    let line = node
        .wait_for_log(|v| v["target"] == "apigw::access" && v["requestId"] == request_id.as_str())
        .expect("access log line");
    assert_eq!(line["status"], 200);
    assert_eq!(line["method"], "GET");
    assert_eq!(line["ip"], "127.0.0.1");
    assert_eq!(line["path"], "/restapis/routes/prod/_user_request_/pets/5");
    assert_eq!(line["resourcePath"], "/pets/{id}");
    assert!(line["latency_ms"].as_f64().is_some_and(|l| l >= 0.0));
}
