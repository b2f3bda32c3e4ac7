//! ImportRestApi, PutRestApi and GetExport answer as AWS's recorded
//! answers do (tests/conformance), against a real node with signed
//! requests: what an import derives from the document (path parameters,
//! the default request validator, authorizer `authType`, model references
//! and descriptions), AWS's warning for a parameter that is not a string,
//! bad files, a merging put, and the export's shape and download headers.

use apigw_tests::{AdminClient, Node, Reply};
use http::Method;
use serde_json::{json, Value};

const DOC: &str = r##"{
  "openapi": "3.0.1",
  "info": {"title": "fidelity", "version": 7},
  "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": true, "validateRequestParameters": true}},
  "x-amazon-apigateway-request-validator": "all",
  "components": {
    "schemas": {
      "Person": {"type": "object", "description": "Someone", "properties": {"home": {"$ref": "#/components/schemas/House"}}},
      "House": {"type": "object"}
    },
    "securitySchemes": {
      "pool": {"type": "apiKey", "name": "X-Auth", "in": "header",
        "x-amazon-apigateway-authtype": "cognito_user_pools",
        "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools",
          "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"]}}
    }
  },
  "paths": {
    "/people/{id}": {
      "get": {
        "security": [{"pool": []}],
        "parameters": [{"name": "zone", "in": "query"}, {"name": "after", "in": "query"}],
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "mock",
          "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
          "requestParameters": {"integration.request.header.kept": "'yes'", "integration.request.header.nothing": true},
          "responses": {"default": {"statusCode": "200"}}}
      }
    },
    "/bare": {"get": {"responses": {"200": {"description": "no integration"}}}}
  }
}"##;

async fn call(admin: &AdminClient, method: Method, path: &str, body: &str) -> Reply {
    admin
        .send(method, path, body.to_string())
        .await
        .unwrap_or_else(|e| panic!("{path}: {e:#}"))
}

async fn json_of(admin: &AdminClient, path: &str) -> Value {
    let reply = call(admin, Method::GET, path, "").await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    reply.json()
}

/// The resource at `path` in GetResources.
async fn resource_id(admin: &AdminClient, api: &str, path: &str) -> String {
    let listed = json_of(admin, &format!("/restapis/{api}/resources")).await;
    let items = listed["item"].as_array().cloned().unwrap_or_default();
    let found = items.iter().find(|r| r["path"] == path);
    found
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("{path} in {listed}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_derives_what_aws_derives_from_the_document() {
    let node = Node::builder().start().expect("node starts");
    let admin = node.admin_client();
    // AWS's warning for the non-string parameter; with failonwarnings it fails.
    let strict = call(
        &admin,
        Method::POST,
        "/restapis?mode=import&failonwarnings=true",
        DOC,
    )
    .await;
    assert_eq!(strict.status, 400, "{}", strict.text());
    let imported = call(&admin, Method::POST, "/restapis?mode=import", DOC).await;
    assert_eq!(imported.status, 201, "{}", imported.text());
    let api = imported.json();
    assert_eq!(api["version"], "7", "a numeric version is its text");
    assert_eq!(
        api["warnings"],
        json!(["Invalid format for 'requestParameters'. Expected type string for property \
                'integration.request.header.nothing' of resource '/people/{id}' and method 'GET' but got 'true'"]),
        "only AWS's warning: a method without an integration is not one"
    );
    let id = api["id"].as_str().expect("id").to_string();

    let person = resource_id(&admin, &id, "/people/{id}").await;
    let method = json_of(
        &admin,
        &format!("/restapis/{id}/resources/{person}/methods/GET"),
    )
    .await;
    assert_eq!(
        method["requestParameters"]["method.request.path.id"], true,
        "{method}"
    );
    assert!(
        method["requestValidatorId"].is_string(),
        "the default validator: {method}"
    );
    assert_eq!(
        method["methodIntegration"]["requestParameters"],
        json!({"integration.request.header.kept": "'yes'"})
    );

    let authorizers = json_of(&admin, &format!("/restapis/{id}/authorizers")).await;
    let pool = &authorizers["item"][0];
    assert_eq!(pool["authType"], "cognito_user_pools", "{authorizers}");
    assert_eq!(pool["identitySource"], "method.request.header.X-Auth");

    let model = json_of(&admin, &format!("/restapis/{id}/models/Person")).await;
    assert_eq!(model["description"], "Someone");
    let schema: Value =
        serde_json::from_str(model["schema"].as_str().unwrap_or("{}")).expect("schema");
    assert_eq!(
        schema["properties"]["home"]["$ref"],
        format!("https://apigateway.amazonaws.com/restapis/{id}/models/House")
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_and_merging_puts_answer_as_aws() {
    let node = Node::builder().start().expect("node starts");
    let admin = node.admin_client();
    for path in [
        "/restapis?mode=import",
        "/restapis/nosuchapi?mode=overwrite",
    ] {
        let method = if path.contains("mode=import") {
            Method::POST
        } else {
            Method::PUT
        };
        let bad = call(&admin, method, path, "{'key:value}").await;
        assert_eq!(bad.status, 400, "{path}: a bad file before an unknown API");
        assert_eq!(bad.json()["message"], "Invalid OpenAPI input.", "{path}");
    }
    let created = call(
        &admin,
        Method::POST,
        "/restapis",
        r#"{"name": "base", "binaryMediaTypes": ["image/heif"]}"#,
    )
    .await;
    let id = created.json()["id"].as_str().expect("id").to_string();
    let doc = r#"{"swagger": "2.0", "info": {"title": "merged", "version": "1.0.0"},
        "x-amazon-apigateway-binary-media-types": ["image/png"], "paths": {}}"#;
    let put = call(
        &admin,
        Method::PUT,
        &format!("/restapis/{id}?mode=merge"),
        doc,
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let merged = put.json();
    assert_eq!(merged["name"], "merged");
    assert_eq!(merged["version"], "1.0.0");
    assert_eq!(
        merged["binaryMediaTypes"],
        json!(["image/heif", "image/png"])
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_is_written_as_aws_writes_it() {
    let node = Node::builder().start().expect("node starts");
    let admin = node.admin_client();
    let imported = call(&admin, Method::POST, "/restapis?mode=import", DOC).await;
    let id = imported.json()["id"].as_str().expect("id").to_string();
    let deployed = call(
        &admin,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        r#"{"stageName": "live"}"#,
    )
    .await;
    assert_eq!(deployed.status, 201, "{}", deployed.text());

    let path = format!("/restapis/{id}/stages/live/exports/swagger?extensions=apigateway");
    let reply = call(&admin, Method::GET, &path, "").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(
        reply.header("content-disposition"),
        Some("attachment; filename=\"swagger_7.json\"")
    );
    let doc = reply.json();
    assert_eq!(
        doc["host"],
        format!("{id}.execute-api.{}.amazonaws.com", node.region)
    );
    assert_eq!(doc["basePath"], "/live");
    assert_eq!(doc["schemes"], json!(["https"]));
    let get = &doc["paths"]["/people/{id}"]["get"];
    let names: Vec<&str> = get["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["zone", "after", "id"],
        "declared order, then the path variable"
    );
    assert_eq!(get["consumes"], json!(["application/json"]));
    let integration = &get["x-amazon-apigateway-integration"];
    assert_eq!(integration["type"], "mock");
    assert_eq!(integration["passthroughBehavior"], "when_no_match");
    assert!(
        integration.get("timeoutInMillis").is_none(),
        "the default is left out: {integration}"
    );
    assert_eq!(
        doc["definitions"]["Person"]["properties"]["home"]["$ref"],
        "#/definitions/House"
    );
    assert!(
        doc.get("x-amazon-apigateway-endpoint-configuration")
            .is_none(),
        "EDGE is the default"
    );

    let oas = json_of(&admin, &format!("/restapis/{id}/stages/live/exports/oas30")).await;
    assert_eq!(
        oas["servers"][0]["variables"]["basePath"]["default"],
        "live"
    );
    assert_eq!(
        oas["paths"]["/bare"]["get"]["responses"]["200"]["content"],
        json!({})
    );
    assert!(oas["paths"]["/people/{id}"]["get"]
        .get("x-amazon-apigateway-integration")
        .is_none());
    node.stop().expect("stops");
}

const DOCUMENTED: &str = r#"
openapi: 3.0.0
info: {title: documented, version: "1"}
paths:
  /:
    get:
      responses: {"200": {description: ok}}
x-amazon-apigateway-documentation:
  version: "1.0"
  documentationParts:
    - location: {type: API}
      properties: {description: the API}
    - location: {type: METHOD, method: GET}
      properties: {description: the method}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documentation_parts_come_from_imports_and_calls() {
    let node = Node::builder().start().expect("node starts");
    let admin = node.admin_client();
    let imported = call(
        &admin,
        Method::POST,
        "/restapis?mode=import&failonwarnings=true",
        DOCUMENTED,
    )
    .await;
    assert_eq!(imported.status, 201, "{}", imported.text());
    let id = imported.json()["id"].as_str().expect("id").to_string();
    let parts_path = format!("/restapis/{id}/documentation/parts");
    let parts = json_of(&admin, &parts_path).await;
    let items = parts["item"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{parts}");
    assert_eq!(
        items[1]["location"],
        json!({"type": "METHOD", "method": "GET", "path": "/"}),
        "AWS fills in the root path"
    );
    let first_ids: Vec<Value> = items.iter().map(|p| p["id"].clone()).collect();

    let again = call(
        &admin,
        Method::PUT,
        &format!("{parts_path}?mode=overwrite"),
        DOCUMENTED,
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text());
    let ids = again.json()["ids"].as_array().cloned().unwrap_or_default();
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|i| !first_ids.contains(i)), "fresh ids");
    let bad = call(
        &admin,
        Method::PUT,
        &format!("{parts_path}?mode=overwrite"),
        "{'key:value}",
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["message"],
        "Unable to build importer with provided input."
    );

    let invalid = call(
        &admin,
        Method::POST,
        &parts_path,
        r#"{"location": {"type": "INVALID"}, "properties": "{}"}"#,
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.header("x-amzn-errortype"),
        Some("ValidationException")
    );
    let part = ids[0].as_str().expect("id");
    let patch = r#"{"patchOperations": [{"op": "add", "path": "/properties", "value": "{}"}]}"#;
    let refused = call(
        &admin,
        Method::PATCH,
        &format!("{parts_path}/{part}"),
        patch,
    )
    .await;
    assert_eq!(
        refused.json()["message"],
        "Invalid patch path  '/properties' specified for op 'add'. Please choose supported operations"
    );
    let versions = format!("/restapis/{id}/documentation/versions");
    let made = call(
        &admin,
        Method::POST,
        &versions,
        r#"{"documentationVersion": "v1"}"#,
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let patch =
        r#"{"patchOperations": [{"op": "replace", "path": "/description", "value": "first"}]}"#;
    let updated = call(&admin, Method::PATCH, &format!("{versions}/v1"), patch).await;
    assert_eq!(updated.json()["description"], "first");
    let gone = call(&admin, Method::DELETE, &format!("{parts_path}/{part}"), "").await;
    assert_eq!(gone.status, 202);
    let missing = call(&admin, Method::GET, &format!("{parts_path}/{part}"), "").await;
    assert_eq!(missing.status, 404);
    node.stop().expect("stops");
}
