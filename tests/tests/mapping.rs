//! Mapping templates (VTL), request validation and content handling, through
//! a real node in front of a real backend.

use apigw_tests::backend::{describe, json_response, Seen};
use apigw_tests::{Backend, Client, Node};
use bytes::Bytes;
use http::Method;
use serde_json::{json, Value};

fn api(backend: &str) -> String {
    format!(
        r##"
openapi: 3.0.1
info: {{title: mapping}}
x-amazon-apigateway-binary-media-types: [image/png]
x-amazon-apigateway-request-validators:
  all: {{validateRequestBody: true, validateRequestParameters: true}}
components:
  schemas:
    Pet:
      type: object
      required: [name, age]
      properties:
        name: {{type: string, minLength: 1}}
        age: {{type: integer, minimum: 0}}
        tags: {{type: array, items: {{type: string}}}}
        owner: {{$ref: '#/components/schemas/Owner'}}
    Owner:
      type: object
      required: [id]
      properties: {{id: {{type: string}}}}
paths:
  /pets/{{id}}:
    post:
      x-amazon-apigateway-request-validator: all
      parameters:
        - {{name: id, in: path, required: true}}
        - {{name: q, in: query, required: true}}
        - {{name: X-Client, in: header, required: true}}
      requestBody:
        content:
          application/json: {{schema: {{$ref: '#/components/schemas/Pet'}}}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: {backend}/store/{{id}}
        requestParameters:
          integration.request.path.id: method.request.path.id
        passthroughBehavior: never
        requestTemplates:
          application/json: |
            #set($pet = $input.path('$'))
            #set($next = $pet.age + 1)
            {{
              "petId": "$input.params('id')",
              "query": "$input.params('q')",
              "client": "$input.params('X-Client')",
              "name": "$util.escapeJavaScript($pet.name)",
              "nextAge": $next,
              "tags": [#foreach($t in $pet.tags)"$t.toUpperCase()"#if($foreach.hasNext),#end#end],
              "owner": #if($pet.owner)"$pet.owner.id"#{{else}}null#end,
              "stage": "$context.stage",
              "color": "$stageVariables.color"
            }}
        responses:
          "2\\d{{2}}":
            statusCode: "201"
            responseParameters:
              method.response.header.X-Backend-Method: integration.response.body.method
            responseTemplates:
              application/json: |
                #set($context.responseOverride.header.X-Target = $input.path('$.target'))
                {{"stored": $input.json('$.body'), "method": "$input.path('$.method')", "target": "$input.path('$.target')"}}
          default:
            statusCode: "500"
  /broken:
    post:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            {{"statusCode": 200}}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: |
                line one
                $input.path('$[').size()
  /teapot:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{{"statusCode": 200}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: |
                #set($context.responseOverride.status = 418)
                #foreach($i in [1..3])$i#if($foreach.hasNext)-#end#end
  /image:
    get:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: {backend}/png
        responses:
          default:
            statusCode: "200"
  /image-as-text:
    get:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: {backend}/png
        responses:
          default:
            statusCode: "200"
            contentHandling: CONVERT_TO_TEXT
            responseTemplates:
              application/json: '{{"png": "$input.body"}}'
"##
    )
}

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff];

async fn backend() -> Backend {
    Backend::start(|seen: Seen| async move {
        if seen.target == "/png" {
            return http::Response::builder()
                .header("content-type", "image/png")
                .body(http_body_util::Full::new(Bytes::from_static(PNG)))
                .unwrap_or_default();
        }
        json_response(200, &describe(&seen))
    })
    .await
}

fn start(backend: &Backend) -> Node {
    let config = "apis:\n  - id: mapping\n    openapi: api.yaml\n    stages:\n      - {name: prod, variables: {color: blue}}\n";
    Node::builder()
        .file("api.yaml", &api(&backend.url()))
        .config(config)
        .start()
        .expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_and_response_templates_map_both_ways() {
    let backend = backend().await;
    let node = start(&backend);
    let pet =
        json!({"name": "O'Malley", "age": 3, "tags": ["cat", "orange"], "owner": {"id": "u1"}});
    let reply = Client::default()
        .send(
            Method::POST,
            &node.invoke_url("mapping", "prod", "/pets/7?q=find"),
            &[("content-type", "application/json"), ("x-client", "tests")],
            pet.to_string(),
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(
        reply.header("x-target"),
        Some("/store/7"),
        "response override header"
    );
    assert_eq!(
        reply.header("x-backend-method"),
        Some("POST"),
        "JSONPath response parameter"
    );
    let out = reply.json();
    assert_eq!(out["method"], "POST");
    assert_eq!(out["target"], "/store/7");
    let stored = out["stored"].as_str().expect("the body the backend saw");
    // $util.escapeJavaScript escapes single quotes, as on AWS (which makes
    // `\'` in JSON: a known AWS quirk kept for fidelity).
    assert!(stored.contains(r#""name": "O\'Malley""#), "{stored}");
    let stored: Value = serde_json::from_str(&stored.replace("\\'", "'")).expect("json");
    assert_eq!(
        stored,
        json!({
            "petId": "7", "query": "find", "client": "tests", "name": "O'Malley",
            "nextAge": 4, "tags": ["CAT", "ORANGE"], "owner": "u1", "stage": "prod", "color": "blue"
        })
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_check_parameters_and_bodies() {
    let backend = backend().await;
    let node = start(&backend);
    let client = Client::default();
    let url = |q: &str| node.invoke_url("mapping", "prod", &format!("/pets/7{q}"));
    let good = json!({"name": "Rex", "age": 2}).to_string();

    let missing = client
        .send(
            Method::POST,
            &url(""),
            &[("content-type", "application/json")],
            good.clone(),
        )
        .await
        .expect("reply");
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json(),
        json!({"message": "Missing required request parameters: [X-Client, q]"})
    );
    assert_eq!(
        missing.header("x-amzn-errortype"),
        Some("BadRequestException")
    );

    for bad in [
        json!({"name": "Rex"}),
        json!({"name": "", "age": 2}),
        json!({"name": "Rex", "age": -1}),
        json!({"name": "Rex", "age": 2, "owner": {}}),
    ] {
        let reply = client
            .send(
                Method::POST,
                &url("?q=x"),
                &[("content-type", "application/json"), ("x-client", "t")],
                bad.to_string(),
            )
            .await
            .expect("reply");
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(
            reply.json(),
            json!({"message": "Invalid request body"}),
            "{bad}"
        );
    }
    let not_json = client
        .send(
            Method::POST,
            &url("?q=x"),
            &[("content-type", "application/json"), ("x-client", "t")],
            "{oops",
        )
        .await
        .expect("reply");
    assert_eq!(not_json.status, 400);

    // passthroughBehavior NEVER: a content type without a template is refused.
    let xml = client
        .send(
            Method::POST,
            &url("?q=x"),
            &[("content-type", "application/xml"), ("x-client", "t")],
            "<pet/>",
        )
        .await
        .expect("reply");
    assert_eq!(xml.status, 415);
    assert_eq!(xml.json(), json!({"message": "Unsupported Media Type"}));
    assert_eq!(
        backend.seen().len(),
        0,
        "nothing invalid reached the backend"
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_failures_and_overrides() {
    let backend = backend().await;
    let node = start(&backend);
    let client = Client::default();
    let broken = client
        .send(
            Method::POST,
            &node.invoke_url("mapping", "prod", "/broken"),
            &[],
            "{}",
        )
        .await
        .expect("reply");
    assert_eq!(broken.status, 500);
    assert_eq!(broken.json(), json!({"message": "Internal server error"}));
    let request_id = broken.header("x-amzn-requestid").expect("id").to_string();
    let logged = node
        .wait_for_log(|v| v["requestId"] == request_id.as_str() && v["message"] == "request failed")
        .expect("the failure is logged");
    let error = logged["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("response template 200 for application/json"),
        "{error}"
    );
    assert!(error.contains("line 2, column"), "{error}");

    let teapot = client
        .get(&node.invoke_url("mapping", "prod", "/teapot"))
        .await
        .expect("reply");
    assert_eq!(teapot.status, 418);
    assert_eq!(
        teapot.text(),
        "1-2-3\n",
        "the block scalar ends with a newline"
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_responses_follow_accept_and_content_handling() {
    let backend = backend().await;
    let node = start(&backend);
    let client = Client::default();
    let url = node.invoke_url("mapping", "prod", "/image");
    let as_binary = client
        .send(Method::GET, &url, &[("accept", "image/png")], Bytes::new())
        .await
        .expect("reply");
    assert_eq!(as_binary.status, 200);
    assert_eq!(as_binary.body.as_ref(), PNG);
    assert_eq!(as_binary.header("content-type"), Some("image/png"));

    // A text Accept gets the binary payload base64-encoded.
    let as_text = client
        .send(
            Method::GET,
            &url,
            &[("accept", "application/json")],
            Bytes::new(),
        )
        .await
        .expect("reply");
    use base64::Engine;
    assert_eq!(
        as_text.text(),
        base64::engine::general_purpose::STANDARD.encode(PNG)
    );

    let converted = client
        .send(
            Method::GET,
            &node.invoke_url("mapping", "prod", "/image-as-text"),
            &[("accept", "image/png")],
            Bytes::new(),
        )
        .await
        .expect("reply");
    assert_eq!(
        converted.json(),
        json!({"png": base64::engine::general_purpose::STANDARD.encode(PNG)})
    );
    node.stop().expect("stops");
}
