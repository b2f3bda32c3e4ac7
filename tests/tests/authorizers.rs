//! Lambda authorizers (TOKEN and REQUEST, run as local Python functions) and
//! resource policies, through a real node.

use apigw_tests::python::python_with_lambda_ric;
use apigw_tests::{Client, Node};
use http::Method;
use serde_json::json;

const HANDLERS: &str = include_str!("../functions/python/app.py");

fn uri(name: &str) -> String {
    format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{name}/invocations")
}

fn api() -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: authz}}
components:
  securitySchemes:
    tokenAuth:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: '{token}'
        authorizerResultTtlInSeconds: 300
        identityValidationExpression: '[a-z-]+'
    requestAuth:
      type: apiKey
      name: unused
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: '{request}'
        identitySource: method.request.header.X-User, method.request.querystring.tenant
        authorizerResultTtlInSeconds: 0
paths:
  /token:
    get:
      security: [{{tokenAuth: []}}]
      x-amazon-apigateway-integration: &who
        type: mock
        requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"principal": "$context.authorizer.principalId", "user": "$context.authorizer.user", "n": "$context.authorizer.n"}}'
    post:
      security: [{{tokenAuth: []}}]
      x-amazon-apigateway-integration: *who
  /request:
    get:
      security: [{{requestAuth: []}}]
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: '{echo}'}}
"#,
        token = uri("token-auth"),
        request = uri("request-auth"),
        echo = uri("echo"),
    )
}

fn policy_api(allowed: &str) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: walled}}
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - {{Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*"}}
    - Effect: Deny
      Principal: "*"
      Action: "execute-api:Invoke"
      Resource: "execute-api:/*"
      Condition: {{NotIpAddress: {{aws:SourceIp: ["{allowed}"]}}}}
paths:
  /:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
        responses: {{default: {{statusCode: "200"}}}}
"#
    )
}

const KEYED_API: &str = r#"
openapi: 3.0.1
info: {title: keyed}
x-amazon-apigateway-api-key-source: AUTHORIZER
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
    tokenAuth:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:token-auth/invocations'
        authorizerResultTtlInSeconds: 0
paths:
  /:
    get:
      security: [{tokenAuth: [], api_key: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"key": "$context.identity.apiKey"}'}
"#;

fn start() -> Node {
    let python = python_with_lambda_ric().expect("python with awslambdaric");
    let python = python.display();
    let config = format!(
        r#"
functions:
  - {{name: token-auth, command: ['{python}', -m, awslambdaric, app.token_authorizer], cwd: '.'}}
  - {{name: request-auth, command: ['{python}', -m, awslambdaric, app.request_authorizer], cwd: '.'}}
  - {{name: echo, command: ['{python}', -m, awslambdaric, app.echo], cwd: '.'}}
api_keys:
  - {{name: gold, value: gold-0123456789abcdefghij}}
usage_plans:
  - {{name: gold, stages: [{{api: keyed, stage: prod}}], keys: [gold]}}
apis:
  - {{id: keyed, openapi: keyed.yaml, stages: [{{name: prod}}]}}
  - {{id: authz, openapi: api.yaml, stages: [{{name: prod}}]}}
  - {{id: inside, openapi: inside.yaml, stages: [{{name: prod}}]}}
  - {{id: outside, openapi: outside.yaml, stages: [{{name: prod}}]}}
"#
    );
    Node::builder()
        .file("api.yaml", &api())
        .file("keyed.yaml", KEYED_API)
        .file("inside.yaml", &policy_api("127.0.0.0/8"))
        .file("outside.yaml", &policy_api("10.0.0.0/8"))
        .file("app.py", HANDLERS)
        .config(&config)
        .start()
        .expect("node starts")
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_authorizers_allow_deny_and_cache() {
    let node = start();
    let client = Client::default();
    let url = node.invoke_url("authz", "prod", "/token");
    let with = |token: &'static str| vec![("authorization", token)];

    let missing = client.get(&url).await.expect("reply");
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json(), json!({"message": "Unauthorized"}));
    let malformed = client
        .send(Method::GET, &url, &with("NOT VALID!"), "")
        .await
        .expect("reply");
    assert_eq!(
        malformed.status, 401,
        "identityValidationExpression refuses it without a call"
    );

    let allowed = client
        .send(Method::GET, &url, &with("ann"), "")
        .await
        .expect("reply");
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        allowed.json(),
        json!({"principal": "user-ann", "user": "ann", "n": "3"})
    );
    // The cached policy only allows GET: POST is judged by it too.
    let post = client
        .send(Method::POST, &url, &with("ann"), "")
        .await
        .expect("reply");
    assert_eq!(post.status, 403);
    assert_eq!(
        post.json(),
        json!({"message": "User is not authorized to access this resource"})
    );
    assert_eq!(
        post.header("x-amzn-errortype"),
        Some("AccessDeniedException")
    );

    let denied = client
        .send(Method::GET, &url, &with("deny"), "")
        .await
        .expect("reply");
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.json(),
        json!({"message": "User is not authorized to access this resource with an explicit deny"})
    );
    let unauthorized = client
        .send(Method::GET, &url, &with("unauthorized"), "")
        .await
        .expect("reply");
    assert_eq!(unauthorized.status, 401);
    let broken = client
        .send(Method::GET, &url, &with("broken"), "")
        .await
        .expect("reply");
    assert_eq!(broken.status, 500);
    assert_eq!(broken.json(), json!({"message": null}));
    assert_eq!(
        broken.header("x-amzn-errortype"),
        Some("AuthorizerConfigurationException")
    );

    let metrics = node
        .admin_client()
        .get("/metrics")
        .await
        .expect("metrics")
        .text();
    // ann (once: the POST was a cache hit), deny, unauthorized, broken.
    assert_eq!(
        metric(&metrics, "apigw_authorizer_calls_total"),
        4,
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "apigw_authorizer_cache_hits_total"),
        1,
        "{metrics}"
    );
    assert_eq!(
        metric(&metrics, "apigw_authorizer_failures_total"),
        1,
        "{metrics}"
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_authorizers_see_the_request_and_pass_context_on() {
    let node = start();
    let client = Client::default();
    let url = |q: &str| node.invoke_url("authz", "prod", &format!("/request{q}"));
    let missing = client
        .send(Method::GET, &url(""), &[("x-user", "bo")], "")
        .await
        .expect("reply");
    assert_eq!(
        missing.status, 401,
        "a missing identity source is refused without a call"
    );
    let other = client
        .send(Method::GET, &url("?tenant=evil"), &[("x-user", "bo")], "")
        .await
        .expect("reply");
    assert_eq!(other.status, 403);
    let ok = client
        .send(Method::GET, &url("?tenant=acme"), &[("x-user", "bo")], "")
        .await
        .expect("reply");
    assert_eq!(ok.status, 200, "{}", ok.text());
    let event = &ok.json()["event"];
    assert_eq!(
        event["requestContext"]["authorizer"],
        json!({"principalId": "bo", "tenant": "acme", "type": "REQUEST"})
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_policies_filter_by_source_ip() {
    let node = start();
    let client = Client::default();
    let inside = client
        .get(&node.invoke_url("inside", "prod", "/"))
        .await
        .expect("reply");
    assert_eq!(inside.status, 200, "{}", inside.text());
    let outside = client
        .get(&node.invoke_url("outside", "prod", "/"))
        .await
        .expect("reply");
    assert_eq!(outside.status, 403);
    let message = outside.json()["Message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.starts_with("User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:")
            && message.ends_with(":outside/prod/GET/ with an explicit deny"),
        "{message}"
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_can_come_from_the_authorizer() {
    let node = start();
    let client = Client::default();
    let url = node.invoke_url("keyed", "prod", "/");
    let keyed = client
        .send(Method::GET, &url, &[("authorization", "key-gold")], "")
        .await
        .expect("reply");
    assert_eq!(keyed.status, 200, "{}", keyed.text());
    assert_eq!(keyed.json(), json!({"key": "gold-0123456789abcdefghij"}));
    // The header is not where keys come from for this API.
    let header_only = client
        .send(
            Method::GET,
            &url,
            &[
                ("authorization", "ann"),
                ("x-api-key", "gold-0123456789abcdefghij"),
            ],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(header_only.status, 403);
    node.stop().expect("stops");
}
