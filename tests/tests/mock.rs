//! MOCK integrations: status selection from the request template, response
//! templates and parameters; the example API from ops/examples.

use apigw_tests::{Client, Node};
use http::Method;

const API: &str = r#"
openapi: 3.0.1
info: {title: mock}
paths:
  /status/{code}:
    post:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": $input.params(''code'')}'
          text/plain: '{"statusCode": 202}'
        responses:
          "5\\d{2}":
            statusCode: "503"
            responseTemplates: {application/json: '{"down": true}'}
          "202":
            statusCode: "202"
            responseTemplates:
              text/plain: 'accepted $input.params(''code'')'
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.X-Stage: "stageVariables.color"
              method.response.header.Cache-Control: "'no-store'"
            responseTemplates:
              application/json: '{"ok": "$context.stage"}'
              application/xml: '<ok>$context.stage</ok>'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_selects_by_status_and_content_type() {
    let config = "apis:\n  - id: mock\n    openapi: api.yaml\n    stages: [{name: beta, variables: {color: green}}]\n";
    let node = Node::builder()
        .file("api.yaml", API)
        .config(config)
        .start()
        .expect("starts");
    let client = Client::default();
    let ok = client
        .send(
            Method::POST,
            &node.invoke_url("mock", "beta", "/status/200"),
            &[],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), serde_json::json!({"ok": "beta"}));
    assert_eq!(ok.header("x-stage"), Some("green"));
    assert_eq!(ok.header("cache-control"), Some("no-store"));

    let xml = client
        .send(
            Method::POST,
            &node.invoke_url("mock", "beta", "/status/200"),
            &[("accept", "application/xml")],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(xml.text(), "<ok>beta</ok>");
    assert_eq!(xml.header("content-type"), Some("application/xml"));

    let down = client
        .send(
            Method::POST,
            &node.invoke_url("mock", "beta", "/status/500"),
            &[],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(down.status, 503);
    assert_eq!(down.json(), serde_json::json!({"down": true}));

    let text = client
        .send(
            Method::POST,
            &node.invoke_url("mock", "beta", "/status/7"),
            &[("content-type", "text/plain")],
            "hi",
        )
        .await
        .expect("reply");
    assert_eq!(text.status, 202, "the text/plain request template was used");
    assert_eq!(text.text(), "accepted 7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_answers() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/examples");
    let api = std::fs::read_to_string(format!("{examples}/hello-api.yaml")).expect("example api");
    let config = std::fs::read_to_string(format!("{examples}/hello.yaml")).expect("example config");
    let node = Node::builder()
        .file("hello-api.yaml", &api)
        .config(&config)
        .start()
        .expect("starts");
    let client = Client::default();
    let pets = client
        .get(&node.invoke_url("hello", "prod", "/pets"))
        .await
        .expect("reply");
    assert_eq!(pets.status, 200);
    assert_eq!(pets.json()[0]["type"], "dog");
    let pet = client
        .get(&node.invoke_url("hello", "prod", "/pets/3"))
        .await
        .expect("reply");
    assert_eq!(pet.json()["id"], "3");
    let hello = client
        .get(&node.invoke_url("hello", "dev", "/"))
        .await
        .expect("reply");
    assert_eq!(hello.json()["message"], "Hi from apigw");
}
