//! Import tests: the PetStore sample in both dialects, extensions, and
//! every kind of finding.

use super::*;
use crate::{EndpointType, GatewayResponseType, IntegrationType, PassthroughBehavior};

const PETSTORE_OAS3: &str = include_str!("../../../../ops/examples/petstore-openapi3.yaml");

fn options() -> ImportOptions {
    ImportOptions {
        api_id: "abcdef1234".into(),
        max_integration_timeout_ms: 29_000,
    }
}

fn import_text(text: &str) -> Result<Imported, ImportError> {
    import(&parse_document(text)?, &options())
}

#[test]
fn petstore_openapi3_imports() {
    let imported = import_text(PETSTORE_OAS3).expect("petstore imports");
    let api = &imported.api;
    assert_eq!(api.name, "PetStore");
    assert_eq!(
        api.resources.keys().collect::<Vec<_>>(),
        vec!["/", "/pets", "/pets/{petId}"]
    );
    let get_pets = &api.resources["/pets"].methods["GET"];
    let integration = get_pets.integration.as_ref().expect("integration");
    assert_eq!(integration.kind, IntegrationType::Http);
    assert_eq!(integration.http_method.as_deref(), Some("GET"));
    assert_eq!(
        integration.request_parameters["integration.request.querystring.page"],
        "method.request.querystring.page"
    );
    assert_eq!(
        integration.integration_responses["200"].selection_pattern,
        None
    );
    assert_eq!(
        get_pets
            .request_parameters
            .get("method.request.querystring.type"),
        Some(&false)
    );
    assert_eq!(
        api.resources["/pets"].methods["POST"].request_models["application/json"],
        "NewPet"
    );
    let root = &api.resources["/"].methods["GET"];
    assert_eq!(
        root.integration.as_ref().map(|i| i.kind),
        Some(IntegrationType::Mock)
    );
    assert!(api.models.contains_key("PetType"));
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
}

const SWAGGER2: &str = r##"{
  "swagger": "2.0",
  "info": {"title": "PetStore", "version": "1"},
  "basePath": "/prod",
  "x-amazon-apigateway-binary-media-types": ["image/png"],
  "x-amazon-apigateway-endpoint-configuration": {"types": ["REGIONAL"]},
  "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": true, "validateRequestParameters": true}},
  "x-amazon-apigateway-request-validator": "all",
  "x-amazon-apigateway-gateway-responses": {
    "MISSING_AUTHENTICATION_TOKEN": {"statusCode": 404, "responseTemplates": {"application/json": "{\"msg\": $context.error.messageString}"}}
  },
  "securityDefinitions": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
  "paths": {
    "/pets/{petId}": {
      "get": {
        "parameters": [{"name": "petId", "in": "path", "required": true, "type": "string"}],
        "security": [{"api_key": []}],
        "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}},
        "x-amazon-apigateway-integration": {
          "type": "HTTP_PROXY", "httpMethod": "GET", "uri": "http://backend/pets/{petId}",
          "timeoutInMillis": 5000, "passthroughBehavior": "never",
          "requestParameters": {"integration.request.path.petId": "method.request.path.petId"}
        }
      }
    },
    "/{proxy+}": {
      "x-amazon-apigateway-any-method": {
        "x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "ANY", "uri": "http://backend/{proxy}"}
      }
    }
  },
  "definitions": {"Pet": {"type": "object"}}
}"##;

#[test]
fn swagger2_imports_with_extensions() {
    let imported = import_text(SWAGGER2).expect("imports");
    let api = &imported.api;
    assert_eq!(api.endpoint_type, EndpointType::Regional);
    assert_eq!(api.binary_media_types, vec!["image/png"]);
    assert_eq!(api.default_request_validator.as_deref(), Some("all"));
    let custom = &api.gateway_responses[&GatewayResponseType::MissingAuthenticationToken];
    assert_eq!(custom.status_code, Some(404));
    let get = &api.resources["/pets/{petId}"].methods["GET"];
    assert!(get.api_key_required);
    assert!(get.request_parameters["method.request.path.petId"]);
    assert_eq!(
        get.method_responses["200"].response_models["application/json"],
        "Pet"
    );
    let integration = get.integration.as_ref().expect("integration");
    assert_eq!(integration.timeout_in_millis, 5000);
    assert_eq!(integration.passthrough_behavior, PassthroughBehavior::Never);
    assert!(api.resources["/{proxy+}"].methods.contains_key("ANY"));
}

#[test]
fn unsupported_extensions_are_named() {
    let doc = r#"
openapi: 3.0.1
info: {title: t}
x-amazon-apigateway-cors: {allowOrigins: ["*"]}
x-amazon-apigateway-shiny-new-thing: 1
x-amazon-apigateway-documentation: {version: "1", documentationParts: []}
paths:
  /a:
    get:
      x-amazon-apigateway-integration:
        type: mock
        payloadFormatVersion: "1.0"
"#;
    let imported = import_text(doc).expect("imports");
    let named: Vec<&str> = imported.warnings.iter().map(|f| f.at.as_str()).collect();
    assert!(named.contains(&"x-amazon-apigateway-cors"), "{named:?}");
    assert!(
        named.contains(&"x-amazon-apigateway-shiny-new-thing"),
        "{named:?}"
    );
    // AWS takes these without a warning.
    assert!(
        !named
            .iter()
            .any(|n| n.ends_with("payloadFormatVersion") || n.contains("documentation")),
        "{named:?}"
    );
}

#[test]
fn problems_carry_field_paths() {
    let doc = r#"
openapi: 3.0.1
info: {title: t}
paths:
  /a/{id}/b:
    get:
      x-amazon-apigateway-integration:
        type: teleport
  /a/{name}:
    post:
      x-amazon-apigateway-integration:
        type: http
        uri: ftp://x
        timeoutInMillis: 40000
        requestParameters:
          integration.request.nowhere.x: method.request.path.name
        responses:
          "5\\d{2": {statusCode: "500"}
"#;
    let Err(ImportError::Invalid(problems)) = import_text(doc) else {
        panic!("expected problems");
    };
    let at: Vec<&str> = problems.iter().map(|f| f.at.as_str()).collect();
    for expected in [
        "paths./a/{id}/b.get.x-amazon-apigateway-integration.type",
        "paths./a/{name}.post.x-amazon-apigateway-integration.httpMethod",
        "paths./a/{name}.post.x-amazon-apigateway-integration.uri",
        "paths./a/{name}.post.x-amazon-apigateway-integration.timeoutInMillis",
        "paths./a/{name}.post.x-amazon-apigateway-integration.requestParameters.integration.request.nowhere.x",
        "paths./a/{name}.post.x-amazon-apigateway-integration.responses.5\\d{2",
        "paths./a/{name}",
    ] {
        assert!(at.contains(&expected), "missing {expected} in {at:?}");
    }
}

#[test]
fn syntax_errors_give_a_line() {
    let Err(ImportError::Syntax { line, .. }) = parse_document("openapi: 3.0.1\ninfo: [unclosed\n")
    else {
        panic!("expected a syntax error");
    };
    assert!(line >= 2);
}

#[test]
fn not_openapi_is_refused() {
    assert!(matches!(
        import_text("swagger: '1.2'\n"),
        Err(ImportError::NotOpenApi(_))
    ));
    assert!(matches!(
        import_text("hello: world\n"),
        Err(ImportError::NotOpenApi(_))
    ));
    assert!(matches!(
        import_text("[1, 2]"),
        Err(ImportError::NotOpenApi(_))
    ));
}

#[test]
fn deep_yaml_flow_nesting_is_refused_before_parsing() {
    // libyaml's work grows with the depth for every token: 100,000 levels
    // took about a minute before this check.
    let deep = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = parse_document(&deep).expect_err("too deep");
    assert!(err.to_string().contains("nest"), "{err}");
    let hidden = format!("- it's\n- {}{}", "[".repeat(1000), "]".repeat(1000));
    assert!(parse_document(&hidden).is_err());
    // Brackets in quoted scalars and comments do not count.
    let quoted = format!(
        "a: '{0}'\nb: \"{0}\"\nc: 1 # {0}\nd: [[1]]\n",
        "[".repeat(500)
    );
    assert!(parse_document(&quoted).is_ok());
}

#[test]
fn a_document_imports_to_the_same_api_every_time() {
    let doc = r##"
openapi: 3.0.1
info: {title: t, version: 2}
x-amazon-apigateway-request-validators: {all: {validateRequestBody: true}}
x-amazon-apigateway-request-validator: all
x-amazon-apigateway-documentation:
  documentationParts:
    - {location: {type: API}, properties: {description: d}}
    - {location: {type: METHOD, method: GET, path: "/a/{id}"}, properties: {summary: s}}
components:
  schemas:
    A: {type: object, description: an A, properties: {b: {$ref: "#/components/schemas/B"}}}
    B: {type: string}
paths:
  /a/{id}:
    get:
      parameters: [{name: q, in: query}]
      x-amazon-apigateway-integration: {type: mock}
"##;
    let first = import_text(doc).expect("imports").api;
    assert_eq!(import_text(doc).expect("imports").api, first);
    assert_eq!(first.version.as_deref(), Some("2"));
    assert_eq!(first.documentation.parts.len(), 2);
    assert_eq!(first.model_descriptions["A"], "an A");
    assert_eq!(
        first.models["A"]["properties"]["b"]["$ref"],
        "https://apigateway.amazonaws.com/restapis/abcdef1234/models/B"
    );
    let get = &first.resources["/a/{id}"].methods["GET"];
    assert_eq!(get.request_validator.as_deref(), Some("all"));
    assert_eq!(
        get.request_parameters.get("method.request.path.id"),
        Some(&true)
    );
    assert_eq!(get.parameter_order, ["method.request.querystring.q"]);
}
