//! AWS service integrations (`type: AWS`, `arn:aws:apigateway:…`) against a
//! local moto server: each service called through the gateway with real
//! HTTP, and what the call did read back from moto through boto3 (the
//! object in the bucket, the message in the queue, the item in the table,
//! the record in the stream, the execution, the event). Signatures, the
//! STS role flow and the protocol headers are checked against
//! `scripts/sigv4_checker.py`, which verifies SigV4 as AWS does.

use apigw_tests::aws::StandIn;
use apigw_tests::python::script_json;
use apigw_tests::{Client, Node, Reply};
use http::Method;
use serde_json::{json, Value};

/// The API: one method per service action, shaped as in the AWS
/// developer guide's tutorials.
fn api(account: &str, machine: &str) -> String {
    let arn = |rest: &str| format!("arn:aws:apigateway:us-east-1:{rest}");
    let sqs_path = arn(&format!("sqs:path/{account}/apigw-queue"));
    let queue_url = format!("https://sqs.us-east-1.amazonaws.com/{account}/apigw-queue");
    format!(
        r##"
openapi: 3.0.1
info: {{title: aws-services}}
x-amazon-apigateway-binary-media-types: [application/octet-stream]
paths:
  /s3:
    get:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: GET
        uri: {s3_list}
        responses: {{default: {{statusCode: "200"}}}}
  /s3/{{key}}:
    parameters: [{{name: key, in: path, required: true}}]
    get:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: GET
        uri: {s3_object}
        requestParameters: {{integration.request.path.key: method.request.path.key}}
        responses:
          "404": {{statusCode: "404", selectionPattern: "404"}}
          default:
            statusCode: "200"
            responseParameters: {{method.response.header.Content-Type: integration.response.header.Content-Type}}
    put:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: PUT
        uri: {s3_object}
        requestParameters:
          integration.request.path.key: method.request.path.key
          integration.request.header.Content-Type: method.request.header.Content-Type
        responses: {{default: {{statusCode: "200"}}}}
  /sqs:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {sqs_action}
        requestTemplates:
          application/json: "QueueUrl=$util.urlEncode('{queue_url}')&MessageBody=$util.urlEncode($input.body)"
        responses: {{default: {{statusCode: "200"}}}}
  /sqs-path:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {sqs_path}
        requestParameters:
          integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
        requestTemplates:
          application/json: "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
        passthroughBehavior: never
        responses: {{default: {{statusCode: "200"}}}}
  /items:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {ddb_put}
        requestTemplates:
          application/json: '{{"TableName": "apigw-table", "Item": {{"id": {{"S": "$input.path(''$.id'')"}}, "name": {{"S": "$input.path(''$.name'')"}}}}}}'
        responses:
          "400": {{statusCode: "400", selectionPattern: "4\\d{{2}}"}}
          default: {{statusCode: "200"}}
    get:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {ddb_scan}
        requestTemplates:
          application/json: '{{"TableName": "apigw-table"}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"count": $input.path(''$.Count'')}}'
  /items/{{id}}:
    parameters: [{{name: id, in: path, required: true}}]
    get:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {ddb_get}
        requestTemplates:
          application/json: '{{"TableName": "apigw-table", "Key": {{"id": {{"S": "$input.params(''id'')"}}}}}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"name": "$input.path(''$.Item.name.S'')"}}'
  /items/{{id}}/query:
    parameters: [{{name: id, in: path, required: true}}]
    get:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {ddb_query}
        requestTemplates:
          application/json: '{{"TableName": "apigw-table", "KeyConditionExpression": "id = :v", "ExpressionAttributeValues": {{":v": {{"S": "$input.params(''id'')"}}}}}}'
        responses: {{default: {{statusCode: "200"}}}}
  /records:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {kinesis_put}
        requestTemplates:
          application/json: '{{"StreamName": "apigw-stream", "PartitionKey": "p", "Data": "$util.base64Encode($input.body)"}}'
        responses: {{default: {{statusCode: "200"}}}}
  /records/batch:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {kinesis_puts}
        requestTemplates:
          application/json: '{{"StreamName": "apigw-stream", "Records": [#foreach($r in $input.path(''$.records''))#if($foreach.index > 0),#end{{"PartitionKey": "p", "Data": "$util.base64Encode($r)"}}#end]}}'
        responses: {{default: {{statusCode: "200"}}}}
  /executions:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {sfn_start}
        requestTemplates:
          application/json: '{{"stateMachineArn": "{machine}", "input": "$util.escapeJavaScript($input.body)"}}'
        responses: {{default: {{statusCode: "200"}}}}
  /events:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {events_put}
        requestTemplates:
          application/json: '{{"Entries": [{{"Source": "apigw.test", "DetailType": "test", "EventBusName": "default", "Detail": "$util.escapeJavaScript($input.body)"}}]}}'
        responses: {{default: {{statusCode: "200"}}}}
  /greeting:
    get:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {ssm_get}
        requestTemplates:
          application/json: '{{"Name": "/apigw/greeting"}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"greeting": "$input.path(''$.Parameter.Value'')"}}'
"##,
        s3_list = arn("s3:path/apigw-bucket"),
        s3_object = arn("s3:path/apigw-bucket/{key}"),
        sqs_action = arn("sqs:action/SendMessage"),
        ddb_put = arn("dynamodb:action/PutItem"),
        ddb_get = arn("dynamodb:action/GetItem"),
        ddb_query = arn("dynamodb:action/Query"),
        ddb_scan = arn("dynamodb:action/Scan"),
        kinesis_put = arn("kinesis:action/PutRecord"),
        kinesis_puts = arn("kinesis:action/PutRecords"),
        sfn_start = arn("states:action/StartExecution"),
        events_put = arn("events:action/PutEvents"),
        ssm_get = arn("ssm:action/GetParameter"),
    )
}

const CONFIG: &str = "apis:\n  - id: aws\n    openapi: api.yaml\n    stages: [{name: prod}]\n";

/// moto with the resources set up, and a node whose AWS endpoint it is.
fn start() -> (StandIn, Node, Value) {
    let moto = StandIn::moto().expect("moto starts");
    let made = script_json("aws_stand_in.py", &["setup".into(), moto.url()]).expect("setup");
    let api = api(
        made["account"].as_str().unwrap_or_default(),
        made["machine"].as_str().unwrap_or_default(),
    );
    let node = Node::builder()
        .file("api.yaml", &api)
        .config(CONFIG)
        .env("AWS_ENDPOINT_URL", &moto.url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .start()
        .expect("node starts");
    (moto, node, made)
}

fn check(moto: &StandIn) -> Value {
    script_json("aws_stand_in.py", &["check".into(), moto.url()]).expect("check")
}

async fn call(
    node: &Node,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    Client::default()
        .send(
            method,
            &node.invoke_url("aws", "prod", path),
            headers,
            bytes::Bytes::copy_from_slice(body),
        )
        .await
        .expect("reply")
}

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_objects_go_in_and_come_out_binary() {
    let (moto, node, _) = start();
    let bytes: Vec<u8> = (0..=255u8).collect();
    let put = call(
        &node,
        Method::PUT,
        "/s3/uploaded.bin",
        &[("content-type", "application/octet-stream")],
        &bytes,
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let stored = check(&moto);
    let object = &stored["objects"]["uploaded.bin"];
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(&bytes);
    assert_eq!(object["base64"], expected.as_str(), "{stored}");
    assert_eq!(object["content_type"], "application/octet-stream");

    let got = call(
        &node,
        Method::GET,
        "/s3/uploaded.bin",
        &[("accept", "application/octet-stream")],
        b"",
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.body.as_ref(),
        &bytes[..],
        "the object's bytes, unchanged"
    );
    let seed = call(&node, Method::GET, "/s3/seed.txt", &[], b"").await;
    assert_eq!(
        (seed.status.as_u16(), seed.text().as_str()),
        (200, "seeded")
    );
    assert_eq!(seed.header("content-type"), Some("text/plain"));
    let missing = call(&node, Method::GET, "/s3/nothing-here", &[], b"").await;
    assert_eq!(
        missing.status,
        404,
        "selected by S3's status: {}",
        missing.text()
    );
    assert!(missing.text().contains("NoSuchKey"), "{}", missing.text());
    let listed = call(&node, Method::GET, "/s3", &[], b"").await;
    assert_eq!(listed.status, 200);
    let list = listed.text();
    assert!(
        list.contains("<Key>seed.txt</Key>") && list.contains("<Key>uploaded.bin</Key>"),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_messages_are_sent_in_both_forms() {
    let (moto, node, _) = start();
    let action = call(&node, Method::POST, "/sqs", JSON, br#"{"order": 1}"#).await;
    assert_eq!(action.status, 200, "{}", action.text());
    assert!(action.text().contains("MessageId"), "{}", action.text());
    let path = call(&node, Method::POST, "/sqs-path", JSON, br#"{"order": 2}"#).await;
    assert_eq!(path.status, 200, "{}", path.text());
    let stored = check(&moto);
    let mut messages: Vec<&str> = stored["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    messages.sort();
    assert_eq!(messages, [r#"{"order": 1}"#, r#"{"order": 2}"#], "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_items_are_put_got_queried_and_scanned() {
    let (moto, node, _) = start();
    for (id, name) in [("a1", "Ada"), ("b2", "Brian")] {
        let body = json!({"id": id, "name": name}).to_string();
        let put = call(&node, Method::POST, "/items", JSON, body.as_bytes()).await;
        assert_eq!(put.status, 200, "{}", put.text());
    }
    let stored = check(&moto);
    let mut names: Vec<&str> = stored["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["name"]["S"].as_str())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    assert_eq!(names, ["Ada", "Brian"], "{stored}");
    let got = call(&node, Method::GET, "/items/a1", &[], b"").await;
    assert_eq!(got.json(), json!({"name": "Ada"}), "{}", got.text());
    let queried = call(&node, Method::GET, "/items/b2/query", &[], b"").await;
    assert_eq!(
        queried.json()["Items"][0]["name"]["S"],
        "Brian",
        "{}",
        queried.text()
    );
    let scanned = call(&node, Method::GET, "/items", &[], b"").await;
    assert_eq!(scanned.json(), json!({"count": 2}), "{}", scanned.text());
    // DynamoDB's 400 (no such key attribute) selects the 4xx response.
    let bad = call(&node, Method::POST, "/items", JSON, br#"{"name": "no id"}"#).await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert!(bad.text().contains("ValidationException"), "{}", bad.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_step_functions_eventbridge_and_ssm() {
    let (moto, node, _) = start();
    let one = call(&node, Method::POST, "/records", JSON, b"first record").await;
    assert_eq!(one.status, 200, "{}", one.text());
    assert!(one.json()["SequenceNumber"].is_string(), "{}", one.text());
    let batch = call(
        &node,
        Method::POST,
        "/records/batch",
        JSON,
        br#"{"records": ["second", "third"]}"#,
    )
    .await;
    assert_eq!(batch.json()["FailedRecordCount"], 0, "{}", batch.text());
    let started = call(
        &node,
        Method::POST,
        "/executions",
        JSON,
        br#"{"order": "o-7"}"#,
    )
    .await;
    assert_eq!(started.status, 200, "{}", started.text());
    assert!(
        started.json()["executionArn"].is_string(),
        "{}",
        started.text()
    );
    let event = call(
        &node,
        Method::POST,
        "/events",
        JSON,
        br#"{"kind": "shipped"}"#,
    )
    .await;
    assert_eq!(event.json()["FailedEntryCount"], 0, "{}", event.text());
    let greeting = call(&node, Method::GET, "/greeting", &[], b"").await;
    assert_eq!(
        greeting.json(),
        json!({"greeting": "hello from ssm"}),
        "{}",
        greeting.text()
    );

    let stored = check(&moto);
    assert_eq!(
        stored["records"],
        json!(["first record", "second", "third"]),
        "{stored}"
    );
    assert_eq!(stored["executions"], json!([{"order": "o-7"}]), "{stored}");
    assert_eq!(
        stored["events"],
        json!([{"source": "apigw.test", "detail": {"kind": "shipped"}}]),
        "{stored}"
    );
}

/// An API whose methods all reach the signature checker.
const CHECKED_API: &str = r##"
openapi: 3.0.1
info: {title: signed}
paths:
  /ddb:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem
        requestTemplates: {application/json: '{"TableName": "t"}'}
        responses: {default: {statusCode: "200"}}
  /sqs:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:eu-west-1:sqs:action/SendMessage
        requestParameters:
          integration.request.querystring.QueueUrl: "'https://sqs.eu-west-1.amazonaws.com/1/q'"
          integration.request.querystring.MessageBody: method.request.querystring.text
        responses: {default: {statusCode: "200"}}
  /s3/{key}:
    put:
      parameters: [{name: key, in: path, required: true}]
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: PUT
        uri: arn:aws:apigateway:eu-west-1:s3:path/my-bucket/{key}
        requestParameters: {integration.request.path.key: method.request.path.key}
        responses: {default: {statusCode: "200"}}
  /assumed:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        credentials: arn:aws:iam::123456789012:role/apigw-assumed
        uri: arn:aws:apigateway:eu-west-1:dynamodb:action/GetItem
        responses: {default: {statusCode: "200"}}
  /mapped:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        credentials: arn:aws:iam::123456789012:role/apigw-mapped
        uri: arn:aws:apigateway:eu-west-1:kinesis:action/PutRecord
        responses: {default: {statusCode: "200"}}
  /sync:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:eu-west-1:states:action/StartSyncExecution
        responses: {default: {statusCode: "200"}}
  /proxy:
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:eu-west-1:sqs:action/SendMessage
"##;

fn start_checked(checker: &StandIn) -> Node {
    let config = format!(
        "{}aws:\n  endpoints: {{sqs: '{url}'}}\n  roles:\n    arn:aws:iam::123456789012:role/apigw-mapped:\n      access_key_id: AKIDMAPPED\n      secret_access_key: mapped-secret\n",
        CONFIG.replace("id: aws", "id: signed"),
        url = checker.url()
    );
    Node::builder()
        .file("api.yaml", CHECKED_API)
        .config(&config)
        .env("AWS_ENDPOINT_URL", &checker.url())
        // Overridden by the config's `aws.endpoints.sqs`:
        .env("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9")
        // Used before AWS_ENDPOINT_URL: nothing listens there.
        .env("AWS_ENDPOINT_URL_SFN", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "AKIDNODE")
        .env("AWS_SECRET_ACCESS_KEY", "node-secret")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .start()
        .expect("node starts")
}

async fn signed_call(node: &Node, path: &str, body: &[u8]) -> Reply {
    Client::default()
        .send(
            Method::POST,
            &node.invoke_url("signed", "prod", path),
            JSON,
            bytes::Bytes::copy_from_slice(body),
        )
        .await
        .expect("reply")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_signed_for_the_service_and_region_with_the_protocols_headers() {
    let checker = StandIn::sigv4_checker(&["AKIDNODE:node-secret", "AKIDMAPPED:mapped-secret"])
        .expect("checker starts");
    let node = start_checked(&checker);

    let ddb = signed_call(&node, "/ddb", b"{}").await.json();
    assert_eq!(ddb["valid"], true, "{ddb}");
    assert_eq!(
        (
            ddb["key"].as_str(),
            ddb["service"].as_str(),
            ddb["region"].as_str()
        ),
        (Some("AKIDNODE"), Some("dynamodb"), Some("eu-west-1"))
    );
    assert_eq!(ddb["headers"]["x-amz-target"], "DynamoDB_20120810.PutItem");
    assert_eq!(ddb["headers"]["content-type"], "application/x-amz-json-1.0");
    assert_eq!(
        (ddb["method"].as_str(), ddb["path"].as_str()),
        (Some("POST"), Some("/"))
    );
    assert_eq!(ddb["body"], r#"{"TableName": "t"}"#);

    let sqs = Client::default()
        .send(
            Method::POST,
            &node.invoke_url("signed", "prod", "/sqs?text=hi%20there"),
            &[],
            bytes::Bytes::new(),
        )
        .await
        .expect("reply")
        .json();
    assert_eq!(
        sqs["valid"], true,
        "config endpoint over AWS_ENDPOINT_URL_SQS: {sqs}"
    );
    assert_eq!(sqs["service"], "sqs");
    assert_eq!(
        sqs["query"],
        "Action=SendMessage&MessageBody=hi%20there&QueueUrl=https%3A%2F%2Fsqs.eu-west-1.amazonaws.com%2F1%2Fq"
    );

    let s3 = Client::default()
        .send(
            Method::PUT,
            &node.invoke_url("signed", "prod", "/s3/a%20b.txt"),
            &[("content-type", "text/plain")],
            "object body",
        )
        .await
        .expect("reply")
        .json();
    assert_eq!(s3["valid"], true, "{s3}");
    assert_eq!(
        (s3["service"].as_str(), s3["path"].as_str()),
        (Some("s3"), Some("/my-bucket/a%20b.txt"))
    );
    assert!(s3["headers"]["x-amz-content-sha256"].is_string(), "{s3}");
    assert_eq!(s3["body"], "object body");

    // Step Functions' per-service variable comes before AWS_ENDPOINT_URL:
    // nothing answers there (AWS's integration failure, 504).
    let sync = signed_call(&node, "/sync", b"{}").await;
    assert_eq!(sync.status, 504, "{}", sync.text());
    // AWS_PROXY serves Lambda only: the method answers 500.
    assert_eq!(signed_call(&node, "/proxy", b"{}").await.status, 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integration_roles_are_assumed_through_sts_or_mapped_in_the_config() {
    let checker = StandIn::sigv4_checker(&["AKIDNODE:node-secret", "AKIDMAPPED:mapped-secret"])
        .expect("checker starts");
    let node = start_checked(&checker);
    for _ in 0..2 {
        let assumed = signed_call(&node, "/assumed", b"{}").await.json();
        assert_eq!(assumed["valid"], true, "{assumed}");
        assert_eq!(assumed["key"], "ASIAASSUMEDROLE", "{assumed}");
        assert_eq!(assumed["headers"]["x-amz-security-token"], "assumed-token");
        assert_eq!(
            assumed["headers"]["x-amz-target"],
            "DynamoDB_20120810.GetItem"
        );
    }
    let mapped = signed_call(&node, "/mapped", b"{}").await.json();
    assert_eq!(
        (mapped["valid"].as_bool(), mapped["key"].as_str()),
        (Some(true), Some("AKIDMAPPED")),
        "{mapped}"
    );
    assert_eq!(
        mapped["headers"]["x-amz-target"],
        "Kinesis_20131202.PutRecord"
    );
    assert_eq!(
        mapped["headers"]["content-type"],
        "application/x-amz-json-1.1"
    );
    let logs = node.log_lines().join("\n");
    for secret in [
        "node-secret",
        "mapped-secret",
        "assumed-secret",
        "assumed-token",
    ] {
        assert!(
            !logs.contains(secret),
            "a secret in the node's log: {secret}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_the_call_fails_closed() {
    let checker = StandIn::sigv4_checker(&["AKIDNODE:node-secret"]).expect("checker starts");
    let node = Node::builder()
        .file("api.yaml", CHECKED_API)
        .config(&CONFIG.replace("id: aws", "id: signed"))
        .env("AWS_ENDPOINT_URL", &checker.url())
        .env("AWS_ACCESS_KEY_ID", "")
        .env("AWS_SECRET_ACCESS_KEY", "")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .start()
        .expect("node starts");
    let reply = signed_call(&node, "/ddb", b"{}").await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json(), json!({"message": "Internal server error"}));
}
