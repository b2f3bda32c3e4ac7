//! Gateway responses: AWS defaults, and per-API customization from
//! `x-amazon-apigateway-gateway-responses`.

use apigw_tests::{Client, Node};
use http::Method;

const API: &str = r#"
openapi: 3.0.1
info: {title: gr}
x-amazon-apigateway-gateway-responses:
  MISSING_AUTHENTICATION_TOKEN:
    statusCode: 404
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'a.b.c'"
      gatewayresponse.header.x-request-header: method.request.header.Accept
      gatewayresponse.header.x-request-query: method.request.querystring.q
    responseTemplates:
      application/json: '{"message": $context.error.messageString, "type": "$context.error.responseType", "stage": "$context.stage", "var": "$stageVariables.a"}'
  DEFAULT_5XX:
    responseParameters:
      gatewayresponse.header.x-five: "'family'"
    responseTemplates:
      application/json: '{"oops": $context.error.messageString, "id": "$context.requestId"}'
paths:
  /keyed:
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
  /nomatch:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 500}'}
        responses:
          "2\\d{2}": {statusCode: "200"}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
"#;

const CONFIG: &str =
    "apis:\n  - id: gr\n    openapi: api.yaml\n    stages: [{name: prod, variables: {a: A}}]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customized_response_type_changes_status_body_and_headers() {
    let node = Node::builder()
        .file("api.yaml", API)
        .config(CONFIG)
        .start()
        .expect("starts");
    let reply = Client::default()
        .send(
            Method::GET,
            &node.invoke_url("gr", "prod", "/missing?q=find"),
            &[("accept", "application/json")],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json(),
        serde_json::json!({"message": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN", "stage": "prod", "var": "A"})
    );
    assert_eq!(reply.header("access-control-allow-origin"), Some("a.b.c"));
    assert_eq!(reply.header("x-request-header"), Some("application/json"));
    assert_eq!(reply.header("x-request-query"), Some("find"));
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn family_default_applies_keeping_the_types_status() {
    let node = Node::builder()
        .file("api.yaml", API)
        .config(CONFIG)
        .start()
        .expect("starts");
    let reply = Client::default()
        .get(&node.invoke_url("gr", "prod", "/nomatch"))
        .await
        .expect("reply");
    assert_eq!(reply.status, 500, "no integration response matches 500");
    assert_eq!(reply.json()["oops"], "Internal server error");
    assert_eq!(
        reply.json()["id"].as_str(),
        reply.header("x-amzn-requestid")
    );
    assert_eq!(reply.header("x-five"), Some("family"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncustomized_types_keep_aws_defaults() {
    let node = Node::builder()
        .file("api.yaml", API)
        .config(CONFIG)
        .start()
        .expect("starts");
    let reply = Client::default()
        .get(&node.invoke_url("gr", "prod", "/keyed"))
        .await
        .expect("reply");
    assert_eq!(
        reply.status, 403,
        "a method that needs an API key refuses calls without a valid one"
    );
    assert_eq!(reply.text(), r#"{"message":"Forbidden"}"#);
    assert_eq!(reply.header("x-amzn-errortype"), Some("ForbiddenException"));
}
