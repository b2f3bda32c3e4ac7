//! Templates translated end to end, and the documents they give imported.

use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::import::{import, ImportOptions};

/// Reads files from a folder of the repository.
struct Folder(PathBuf);

impl Files for Folder {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| format!("{path}: {e}"))
    }
}

fn examples(sub: &str) -> Folder {
    Folder(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../ops/examples")
            .join(sub),
    )
}

fn none() -> Folder {
    Folder(PathBuf::from("/nonexistent"))
}

/// The method at `path` with `verb`.
fn method<'a>(api: &'a crate::RestApi, path: &str, verb: &str) -> Option<&'a crate::Method> {
    api.methods()
        .find(|(p, m)| *p == path && m.http_method == verb)
        .map(|(_, m)| m)
}

fn imported(api: &TemplateApi) -> crate::RestApi {
    let options = ImportOptions {
        api_id: api.id.clone(),
        max_integration_timeout_ms: crate::DEFAULT_INTEGRATION_TIMEOUT_MS,
    };
    import(&api.document, &options)
        .unwrap_or_else(|e| panic!("{} imports: {e}\n{:#}", api.logical_id, api.document))
        .api
}

#[test]
fn sam_hello_world_gives_the_implicit_api_and_its_function() {
    let folder = examples("sam-hello-world");
    let text = folder.read("template.yaml").expect("template");
    let out = translate(&text, &Inputs::default(), &folder).expect("translates");
    let [api] = out.apis.as_slice() else {
        panic!("one API: {:?}", out.apis)
    };
    assert_eq!(api.logical_id, "ServerlessRestApi");
    let stages: Vec<&str> = api.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stages, ["Prod", "Stage"]);
    let model = imported(api);
    let (path, method) = model.methods().next().expect("a method");
    assert_eq!((path, method.http_method.as_str()), ("/hello", "GET"));
    let uri = method
        .integration
        .as_ref()
        .and_then(|i| i.uri.clone())
        .unwrap_or_default();
    assert!(
        uri.ends_with("function:HelloWorldFunction/invocations"),
        "{uri}"
    );
    let [f] = out.functions.as_slice() else {
        panic!("one function")
    };
    assert_eq!(
        (f.code_dir.as_str(), f.runtime.as_str()),
        ("hello_world/", "python3.11")
    );
    assert_eq!(f.handler.as_deref(), Some("app.lambda_handler"));
    assert_eq!(f.environment["GREETING"], "hello world");
    assert_eq!(f.environment["STAGE"], "dev", "from Globals");
    assert_eq!(
        f.environment["LOG_LEVEL"], "DEBUG",
        "!If on a false condition"
    );
    assert_eq!(f.environment["REGION_AND_STACK"], "us-east-1/sam-app");
    let url = &out
        .outputs
        .iter()
        .find(|(k, _)| k == "HelloWorldApi")
        .expect("output")
        .1;
    assert_eq!(
        url,
        &format!(
            "https://{}.execute-api.us-east-1.amazonaws.com/Prod/hello/",
            api.id
        )
    );
    assert!(out
        .outputs
        .iter()
        .any(|(k, v)| k == "HelloWorldFunctionIamRole"
            && v.ends_with(":role/HelloWorldFunctionRole")));
}

#[test]
fn parameter_overrides_reach_conditions_and_values() {
    let folder = examples("sam-hello-world");
    let text = folder.read("template.yaml").expect("template");
    let mut inputs = Inputs {
        overrides: parameters::parse_overrides(&["Greeting=bonjour Stage=prod".into()])
            .expect("ok"),
        ..Inputs::default()
    };
    let out = translate(&text, &inputs, &folder).expect("translates");
    let f = &out.functions[0];
    assert_eq!(
        (
            f.environment["GREETING"].as_str(),
            f.environment["STAGE"].as_str()
        ),
        ("bonjour", "prod")
    );
    assert_eq!(f.environment["LOG_LEVEL"], "WARNING");
    inputs.overrides = parameters::parse_overrides(&["Stage=qa".into()]).expect("ok");
    let err = translate(&text, &inputs, &folder).expect_err("not allowed");
    assert!(err.to_string().starts_with("Parameters.Stage"), "{err}");
}

#[test]
fn cdk_lambda_rest_api_is_built_from_its_resources() {
    let folder = examples("cdk-lambda-rest-api/cdk.out");
    let text = folder.read("CdkStack.template.json").expect("template");
    let out = translate(&text, &Inputs::default(), &folder).expect("translates");
    let [api] = out.apis.as_slice() else {
        panic!("one API")
    };
    assert_eq!(api.name, "LambdaRestApi");
    assert_eq!(
        api.stages
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["prod"]
    );
    let model = imported(api);
    let mut methods: Vec<(String, String)> = model
        .methods()
        .map(|(p, m)| (p.to_string(), m.http_method.clone()))
        .collect();
    methods.sort();
    assert_eq!(
        methods,
        [
            ("/".to_string(), "ANY".to_string()),
            ("/{proxy+}".into(), "ANY".into())
        ]
    );
    let f = &out.functions[0];
    assert_eq!(f.name, "Handler886CB40B");
    assert!(f.code_dir.starts_with("asset."), "{}", f.code_dir);
    assert_eq!(f.environment["TABLE_NAME"], "Table");
    let table = out
        .findings
        .iter()
        .find(|f| f.logical_id == "Table")
        .expect("the table is reported");
    assert_eq!(
        (table.kind.as_str(), table.severity),
        ("AWS::DynamoDB::Table", Severity::Unsupported)
    );
    for ignored in ["HandlerServiceRoleFCDC14AE", "CDKMetadata"] {
        assert!(
            out.findings
                .iter()
                .any(|f| f.logical_id == ignored && f.severity == Severity::Ignored),
            "{ignored}"
        );
    }
    let endpoint = &out.outputs[0].1;
    assert_eq!(
        endpoint,
        &format!(
            "https://{}.execute-api.us-east-1.amazonaws.com/prod/",
            api.id
        )
    );
}

const EXPLICIT: &str = r#"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: explicit, BinaryMediaTypes: [image/png]}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Item:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Items, PathPart: '{id}'}
  Auth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: tokens
      Type: TOKEN
      IdentitySource: method.request.header.Authorization
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties: {RestApiId: !Ref Api, Name: body-only, ValidateRequestBody: true}
  ItemModel:
    Type: AWS::ApiGateway::Model
    Properties: {RestApiId: !Ref Api, Name: Item, ContentType: application/json, Schema: {type: object, required: [name]}}
  Missing:
    Type: AWS::ApiGateway::GatewayResponse
    Properties: {RestApiId: !Ref Api, ResponseType: MISSING_AUTHENTICATION_TOKEN, StatusCode: '404', ResponseTemplates: {application/json: '{"message":"no such route"}'}}
  GetItem:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Item
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Auth
      ApiKeyRequired: true
      RequestParameters: {method.request.path.id: true}
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses: [{StatusCode: 200, ResponseTemplates: {application/json: '{"id": "$input.params(''id'')"}'}}]
      MethodResponses: [{StatusCode: 200}]
  PostItems:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: POST
      AuthorizationType: NONE
      RequestValidatorId: !Ref Validator
      RequestModels: {application/json: Item}
      Integration: {Type: MOCK, RequestTemplates: {application/json: '{"statusCode": 201}'}, IntegrationResponses: [{StatusCode: 201}]}
      MethodResponses: [{StatusCode: 201}]
  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties: {RestApiId: !Ref Api}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: v1
      Variables: {color: blue}
      MethodSettings: [{ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 10, ThrottlingBurstLimit: 5}]
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Name: partner, Enabled: true, Value: abcdefghijklmnopqrstuvwxyz}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{ApiId: !Ref Api, Stage: !Ref Prod}]
      Quota: {Limit: 100, Period: DAY}
      Throttle: {RateLimit: 5, BurstLimit: 2}
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Code: {ZipFile: 'def b(e, c): pass'}}
"#;

#[test]
fn explicit_api_gateway_resources_become_one_document() {
    let out = translate(EXPLICIT, &Inputs::default(), &none()).expect("translates");
    let api = &out.apis[0];
    let model = imported(api);
    let get = method(&model, "/items/{id}", "GET").expect("GET /items/{id}");
    assert_eq!(get.authorization_type, "CUSTOM");
    assert!(get.api_key_required);
    let post = method(&model, "/items", "POST").expect("POST /items");
    assert!(post.request_validator.is_some(), "{post:?}");
    assert!(model.authorizers.contains_key("tokens"));
    assert_eq!(
        api.document["x-amazon-apigateway-binary-media-types"],
        json!(["image/png"])
    );
    assert!(
        api.document["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
            .is_object()
    );
    let stage = &api.stages[0];
    assert_eq!(
        (stage.name.as_str(), stage.variables["color"].as_str()),
        ("v1", "blue")
    );
    assert_eq!(
        stage.method_settings["*/*"].throttling_rate_limit,
        Some(10.0)
    );
    let plan = &out.usage_plans[0];
    assert_eq!(plan.stages, [(api.id.clone(), "v1".to_string())]);
    assert_eq!(plan.keys, ["partner"]);
    assert_eq!(plan.quota, Some((100, "DAY".into(), 0)));
    let fun = out
        .findings
        .iter()
        .find(|f| f.logical_id == "Fn")
        .expect("inline code reported");
    assert_eq!(fun.severity, Severity::Unsupported);
}

#[test]
fn sam_api_with_a_definition_auth_cors_and_usage_plan() {
    let template = r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    Cors: "'*'"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      OpenApiVersion: '3.0.1'
      Variables: {mode: fast}
      BinaryMediaTypes: [image~1png]
      GatewayResponses:
        DEFAULT_4XX:
          ResponseParameters: {Headers: {Access-Control-Allow-Origin: "'*'"}}
      MethodSettings: [{ResourcePath: /open, HttpMethod: GET, ThrottlingRateLimit: 3, ThrottlingBurstLimit: 1}]
      Auth:
        DefaultAuthorizer: Tokens
        ApiKeyRequired: true
        UsagePlan: {CreateUsagePlan: PER_API, Throttle: {RateLimit: 2, BurstLimit: 1}}
        Authorizers:
          Tokens:
            FunctionArn: !GetAtt AuthFn.Arn
            Identity: {Header: X-Token, ReauthorizeEvery: 0}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: auth/, Handler: a.h, Runtime: nodejs20.x}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.h
      Runtime: python3.12
      Events:
        Closed: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /closed, Method: post}}
        Open: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /open, Method: get, Auth: {Authorizer: NONE, ApiKeyRequired: false}}}
        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:1:q}}
"#;
    let out = translate(template, &Inputs::default(), &none()).expect("translates");
    let api = &out.apis[0];
    assert_eq!(api.stages.len(), 1, "OpenApiVersion: no `Stage` stage");
    assert_eq!(api.stages[0].variables["mode"], "fast");
    assert_eq!(
        api.stages[0].method_settings["/open/GET"].throttling_rate_limit,
        Some(3.0)
    );
    let model = imported(api);
    let closed = method(&model, "/closed", "POST").expect("closed");
    assert_eq!(closed.authorization_type, "CUSTOM");
    assert!(closed.api_key_required);
    let open = method(&model, "/open", "GET").expect("open");
    assert_eq!(open.authorization_type, "NONE");
    assert!(!open.api_key_required);
    assert!(
        method(&model, "/open", "OPTIONS").is_some(),
        "CORS preflight"
    );
    assert_eq!(
        api.document["x-amazon-apigateway-binary-media-types"],
        json!(["image/png"])
    );
    assert_eq!(out.api_keys.len(), 1);
    assert_eq!(
        out.usage_plans[0].stages,
        [(api.id.clone(), "live".to_string())]
    );
    assert!(out
        .findings
        .iter()
        .any(|f| f.logical_id == "Fn" && f.message.contains("SQS")));
    assert_eq!(out.functions.len(), 2);
}

#[test]
fn malformed_templates_name_the_place() {
    let err = translate(
        "Resources:\n  A:\n    Type: x\n   Properties: {}\n",
        &Inputs::default(),
        &none(),
    )
    .expect_err("yaml");
    assert!(err.to_string().starts_with("line 4"), "{err}");
    let bad_ref = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n      Runtime: python3.12\n      Handler: a.b\n      Environment: {Variables: {X: !Ref Nowhere}}\n";
    let err = translate(bad_ref, &Inputs::default(), &none()).expect_err("unknown ref");
    assert!(
        err.to_string()
            .starts_with("Resources.F.Properties.Environment.Variables.X.Ref"),
        "{err}"
    );
    let import = "Resources:\n  A:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {Name: !ImportValue shared-name}\n";
    let err = translate(import, &Inputs::default(), &none()).expect_err("import value");
    assert!(
        err.to_string()
            .contains("Resources.A.Properties.Name.Fn::ImportValue"),
        "{err}"
    );
    let err = translate("Resources: {}\n", &Inputs::default(), &none()).expect_err("empty");
    assert!(err.to_string().starts_with("Resources"), "{err}");
}
