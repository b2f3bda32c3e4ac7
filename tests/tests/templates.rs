//! `apigw serve|check|apply --template`: SAM and CloudFormation templates
//! served by a real node and called over HTTP: the SAM hello-world app and
//! a CDK-synthesised LambdaRestApi (both under ops/examples, their Python
//! functions run through the official runtime interface client), a
//! template of explicit AWS::ApiGateway resources with an API key and a
//! usage plan, parameter overrides, unsupported resources reported by
//! logical id, and malformed templates refused with the place named.

use std::path::{Path, PathBuf};

use apigw_tests::node::{run_apigw, TempDir};
use apigw_tests::python::python_with_lambda_ric;
use apigw_tests::{Client, Node};
use http::Method;
use serde_json::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops/examples")
}

/// Copies a folder (the example, so its functions run outside the tree).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A node serving `template` (a path inside a copy of `example`).
fn serve(example: &str, template: &str, extra: &[&str]) -> Node {
    let dir = std::sync::Arc::new(TempDir::new("template").expect("temp dir"));
    copy_dir(&examples().join(example), &dir.0.join("app"));
    let python = python_with_lambda_ric().expect("python with awslambdaric");
    let path = dir.0.join("app").join(template);
    let mut builder = Node::builder()
        .arg("--template")
        .arg(path.to_str().expect("utf-8 path"))
        .env("APIGW_PYTHON", python.to_str().expect("utf-8 path"));
    for a in extra {
        builder = builder.arg(a);
    }
    builder.start_in(dir).expect("node starts")
}

/// The id the node gave the template's API `logical_id`.
fn api_id(node: &Node, logical_id: &str) -> String {
    let line = node
        .wait_for_log(|v| v["message"] == "api from template" && v["logical_id"] == logical_id)
        .expect("the API's log line");
    line["api"].as_str().expect("api id").to_string()
}

async fn get_json(client: &Client, url: &str) -> Value {
    let reply = client.get(url).await.expect("reply");
    assert_eq!(reply.status, 200, "{url}: {}", reply.text());
    reply.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sam_hello_world_is_served_on_prod_and_stage() {
    let node = serve("sam-hello-world", "template.yaml", &[]);
    let id = api_id(&node, "ServerlessRestApi");
    let client = Client::new(false);
    let body = get_json(&client, &node.invoke_url(&id, "Prod", "/hello")).await;
    assert_eq!(body["message"], "hello world");
    assert_eq!(body["api_stage"], "Prod");
    assert_eq!(body["stage"], "dev", "Globals reach the function");
    assert_eq!(body["log_level"], "DEBUG", "!If on the IsProd condition");
    assert_eq!(
        body["region_and_stack"], "us-east-1/app",
        "!Sub with pseudo parameters"
    );
    assert_eq!(body["function"], "HelloWorldFunction");
    let body = get_json(&client, &node.invoke_url(&id, "Stage", "/hello")).await;
    assert_eq!(body["api_stage"], "Stage");
    let missing = client
        .get(&node.invoke_url(&id, "Prod", "/nothing"))
        .await
        .expect("reply");
    assert_eq!(missing.status, 403, "{}", missing.text());
    let output = node
        .wait_for_log(|v| v["output"] == "HelloWorldApi")
        .expect("the outputs are logged");
    assert_eq!(
        output["value"],
        format!("https://{id}.execute-api.us-east-1.amazonaws.com/Prod/hello/")
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_overrides_change_what_the_function_sees() {
    let node = serve(
        "sam-hello-world",
        "template.yaml",
        &[
            "--parameter-overrides",
            "Greeting=bonjour",
            "ParameterKey=Stage,ParameterValue=prod",
            "--stack-name",
            "shop",
        ],
    );
    let id = api_id(&node, "ServerlessRestApi");
    let body = get_json(&Client::new(false), &node.invoke_url(&id, "Prod", "/hello")).await;
    assert_eq!(body["message"], "bonjour");
    assert_eq!(body["stage"], "prod");
    assert_eq!(body["log_level"], "WARNING");
    assert_eq!(body["region_and_stack"], "us-east-1/shop");
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdk_lambda_rest_api_is_served_and_its_table_reported() {
    let node = serve("cdk-lambda-rest-api", "cdk.out/CdkStack.template.json", &[]);
    let id = api_id(&node, "LambdaRestApi95870433");
    let client = Client::new(false);
    let body = get_json(&client, &node.invoke_url(&id, "prod", "/orders/42?x=1")).await;
    assert_eq!(body["resource"], "/{proxy+}");
    assert_eq!(body["path"], "/orders/42");
    assert_eq!(body["pathParameters"]["proxy"], "orders/42");
    assert_eq!(body["queryStringParameters"]["x"], "1");
    assert_eq!(body["function"], "Handler886CB40B");
    assert_eq!(
        body["table"], "Table",
        "Ref of an unserved table is its logical id"
    );
    let (status, reply) = client
        .send(
            Method::POST,
            &node.invoke_url(&id, "prod", "/"),
            &[],
            String::new(),
        )
        .await
        .map(|r| (r.status.as_u16(), r.json()))
        .expect("reply");
    assert_eq!((status, reply["resource"].as_str()), (200, Some("/")));
    let warning = node
        .wait_for_log(|v| v["logical_id"] == "Table")
        .expect("the table is reported");
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["kind"], "AWS::DynamoDB::Table");
    node.stop().expect("stops");
}

const EXPLICIT: &str = r#"
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env: {Type: String, Default: test}
  KeyValue: {Type: String, Default: template-key-0123456789abcdef, NoEcho: true}
Conditions:
  IsTest: !Equals [!Ref Env, test]
Mappings:
  Colors: {test: {Value: green}, live: {Value: red}}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: !Sub 'orders-${Env}'}
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: orders}
  GetOrders:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: GET
      AuthorizationType: NONE
      ApiKeyRequired: true
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses:
          - StatusCode: 200
            ResponseTemplates:
              application/json: !Join ['', ['{"env": "', !Ref Env, '", "color": "$stageVariables.color", "test": "', !If [IsTest, 'yes', 'no'], '"}']]
      MethodResponses: [{StatusCode: 200}]
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: GetOrders
    Properties: {RestApiId: !Ref Api}
  Live:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: !Ref Env
      Variables: {color: !FindInMap [Colors, !Ref Env, Value]}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Name: partner, Enabled: true, Value: !Ref KeyValue}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Api, Stage: !Ref Live}]
      Throttle: {RateLimit: 100, BurstLimit: 50}
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  Queue:
    Type: AWS::SQS::Queue
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_resources_with_a_key_and_a_plan_answer_as_declared() {
    let dir = std::sync::Arc::new(TempDir::new("explicit").expect("temp dir"));
    let path = dir.0.join("template.yaml");
    let node = Node::builder()
        .file("template.yaml", EXPLICIT)
        .arg("--template")
        .arg(path.to_str().expect("utf-8 path"))
        .start_in(dir)
        .expect("node starts");
    let id = api_id(&node, "Api");
    let client = Client::new(false);
    let url = node.invoke_url(&id, "test", "/orders");
    let refused = client.get(&url).await.expect("reply");
    assert_eq!(refused.status, 403, "no key: {}", refused.text());
    let reply = client
        .send(
            Method::GET,
            &url,
            &[("x-api-key", "template-key-0123456789abcdef")],
            String::new(),
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        (
            body["env"].as_str(),
            body["color"].as_str(),
            body["test"].as_str()
        ),
        (Some("test"), Some("green"), Some("yes"))
    );
    let queue = node
        .wait_for_log(|v| v["logical_id"] == "Queue")
        .expect("queue reported");
    assert_eq!(queue["kind"], "AWS::SQS::Queue");
    node.stop().expect("stops");
}

#[test]
fn check_lists_what_a_template_declares_and_cannot_serve() {
    let template = examples().join("cdk-lambda-rest-api/cdk.out/CdkStack.template.json");
    let (status, out, err) =
        run_apigw(&["check", "--template", template.to_str().expect("utf-8")]).expect("runs");
    assert!(status.success(), "{out}{err}");
    assert!(
        out.contains("ok: API \"LambdaRestApi\" with 2 resources and 2 methods"),
        "{out}"
    );
    assert!(
        out.contains("Table (AWS::DynamoDB::Table): not served"),
        "{out}"
    );
    assert!(
        out.contains("HandlerServiceRoleFCDC14AE (AWS::IAM::Role): ignored"),
        "{out}"
    );
    assert!(out.contains("function Handler886CB40B"), "{out}");
}

#[test]
fn malformed_templates_are_refused_naming_the_place() {
    let dir = TempDir::new("bad-template").expect("temp dir");
    let cases = [
        ("indent.yaml", "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n   Properties: {}\n", "line 4"),
        (
            "ref.yaml",
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n      Runtime: python3.12\n      Handler: a.b\n      Environment: {Variables: {TABLE: !Ref Tabel}}\n",
            "Resources.Fn.Properties.Environment.Variables.TABLE.Ref: `Tabel` is no parameter",
        ),
        (
            "import.yaml",
            "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {Name: !ImportValue shared-api-name}\n",
            "Resources.Api.Properties.Name.Fn::ImportValue",
        ),
        ("tag.yaml", "Resources:\n  Api:\n    Type: !Bogus x\n", "`!Bogus` is not a CloudFormation intrinsic function"),
    ];
    for (name, text, expected) in cases {
        let path = dir.0.join(name);
        std::fs::write(&path, text).expect("write");
        let (status, out, err) =
            run_apigw(&["check", "--template", path.to_str().expect("utf-8")]).expect("runs");
        assert!(!status.success(), "{name}: {out}{err}");
        assert!(
            out.contains(expected),
            "{name}: expected `{expected}` in:\n{out}{err}"
        );
    }
    let refused = Node::builder()
        .arg("--template")
        .arg(dir.0.join("ref.yaml").to_str().expect("utf-8"))
        .start();
    let error = format!("{:#}", refused.err().expect("serve refuses the template"));
    assert!(
        error.contains("Resources.Fn.Properties.Environment.Variables.TABLE.Ref"),
        "{error}"
    );
}

#[test]
fn unknown_parameter_overrides_are_refused() {
    let template = examples().join("sam-hello-world/template.yaml");
    let path = template.to_str().expect("utf-8");
    let (status, out, err) = run_apigw(&[
        "check",
        "--template",
        path,
        "--parameter-overrides",
        "Greting=hi",
    ])
    .expect("runs");
    assert!(!status.success(), "{out}{err}");
    assert!(
        out.contains("the template declares no parameter `Greting`"),
        "{out}{err}"
    );
}

const AUTH_TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, CodeUri: src/, Timeout: 5}
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      Cors: {AllowOrigin: "'https://app.example.com'", AllowHeaders: "'Content-Type,Authorization'"}
      GatewayResponses:
        UNAUTHORIZED:
          StatusCode: 401
          ResponseTemplates: {application/json: '{"error": "who are you"}'}
      Auth:
        DefaultAuthorizer: Tokens
        AddDefaultAuthorizerToCorsPreflight: false
        AddApiKeyRequiredToCorsPreflight: false
        ApiKeyRequired: true
        UsagePlan: {CreateUsagePlan: PER_API, Throttle: {RateLimit: 100, BurstLimit: 50}}
        Authorizers:
          Tokens:
            FunctionArn: !GetAtt AuthFunction.Arn
            Identity: {Header: Authorization, ReauthorizeEvery: 0}
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties: {Handler: app.authorize}
  AppFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.hello
      Events:
        Hello: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /hello, Method: get}}
        Open: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /open, Method: get, Auth: {Authorizer: NONE, ApiKeyRequired: false}}}
"#;

const AUTH_APP: &str = r#"
import json

def authorize(event, context):
    if event.get("authorizationToken") != "Bearer let-me-in":
        raise Exception("Unauthorized")
    return {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]},
        "context": {"team": "blue"},
    }

def hello(event, context):
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return {"statusCode": 200, "body": json.dumps({
        "principal": authorizer.get("principalId"), "team": authorizer.get("team"),
        "resource": event.get("resource")})}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sam_api_auth_cors_gateway_responses_and_usage_plan() {
    let dir = std::sync::Arc::new(TempDir::new("sam-auth").expect("temp dir"));
    std::fs::create_dir_all(dir.0.join("app/src")).expect("mkdir");
    std::fs::write(dir.0.join("app/template.yaml"), AUTH_TEMPLATE).expect("write");
    std::fs::write(dir.0.join("app/src/app.py"), AUTH_APP).expect("write");
    let python = python_with_lambda_ric().expect("python with awslambdaric");
    let template = dir.0.join("app/template.yaml");
    let node = Node::builder()
        .arg("--template")
        .arg(template.to_str().expect("utf-8"))
        .env("APIGW_PYTHON", python.to_str().expect("utf-8"))
        .start_in(dir)
        .expect("node starts");
    let id = api_id(&node, "Api");
    let keys = node
        .admin_client()
        .get("/apikeys?includeValues=true")
        .await
        .expect("keys")
        .json();
    let key = keys["item"]
        .as_array()
        .and_then(|items| items.iter().find(|k| k["name"] == "ApiApiKey"))
        .and_then(|k| k["value"].as_str())
        .unwrap_or_else(|| panic!("SAM's generated key: {keys}"))
        .to_string();
    let client = Client::new(false);
    let open = get_json(&client, &node.invoke_url(&id, "live", "/open")).await;
    assert_eq!(open["principal"], Value::Null, "Authorizer: NONE opts out");
    let url = node.invoke_url(&id, "live", "/hello");
    let call = |headers: Vec<(&'static str, String)>| {
        let (client, url) = (&client, url.clone());
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            client
                .send(Method::GET, &url, &headers, String::new())
                .await
                .expect("reply")
        }
    };
    let denied = call(vec![
        ("x-api-key", key.clone()),
        ("authorization", "Bearer nope".into()),
    ])
    .await;
    assert_eq!(denied.status, 401, "{}", denied.text());
    assert_eq!(
        denied.json()["error"],
        "who are you",
        "the template's gateway response"
    );
    let keyless = call(vec![("authorization", "Bearer let-me-in".into())]).await;
    assert_eq!(keyless.status, 403, "ApiKeyRequired: {}", keyless.text());
    let ok = call(vec![
        ("x-api-key", key.clone()),
        ("authorization", "Bearer let-me-in".into()),
    ])
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(
        (ok.json()["principal"].as_str(), ok.json()["team"].as_str()),
        (Some("alice"), Some("blue"))
    );
    let preflight = client
        .send(
            Method::OPTIONS,
            &url,
            &[
                ("origin", "https://app.example.com"),
                ("access-control-request-method", "GET"),
            ],
            String::new(),
        )
        .await
        .expect("reply");
    assert_eq!(preflight.status, 200, "{}", preflight.text());
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET,OPTIONS")
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_brings_a_running_node_in_line_with_a_template() {
    let dir = TempDir::new("apply-template").expect("temp dir");
    let path = dir.0.join("template.yaml");
    std::fs::write(
        &path,
        EXPLICIT.replace("ApiKeyRequired: true", "ApiKeyRequired: false"),
    )
    .expect("write");
    let node = Node::builder().start().expect("node starts");
    let keys = node.admin_keys().expect("keys");
    let admin = format!("http://{}", node.admin);
    let run = |command: &str| {
        let out = std::process::Command::new(apigw_tests::node::apigw_binary().expect("binary"))
            .args([
                command,
                "--template",
                path.to_str().expect("utf-8"),
                "--admin",
                &admin,
            ])
            .env("APIGW_ADMIN_ACCESS_KEY_ID", &keys.access_key_id)
            .env("APIGW_ADMIN_SECRET_ACCESS_KEY", &keys.secret_access_key)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, out) = run("diff");
    assert_eq!(code, Some(2), "changes to make: {out}");
    assert!(out.contains("stage test: new stage"), "{out}");
    let (code, out) = run("apply");
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run("diff");
    assert_eq!(code, Some(0), "nothing left: {out}");
    let id = out
        .split("API orders-test (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("the API's id in: {out}"))
        .to_string();
    let body = get_json(
        &Client::new(false),
        &node.invoke_url(&id, "test", "/orders"),
    )
    .await;
    assert_eq!(body["color"], "green", "the stage's variables came along");
    node.stop().expect("stops");
}
