//! Property tests for the parsers that read what users and clients send,
//! through the same public entry points as the cargo-fuzz targets in
//! `node/fuzz`: the OpenAPI import (JSON and YAML, then compiled as a
//! deployment), request models (JSON Schema draft 4, compiled and checked
//! against bodies) and SigV4 `Authorization` headers. Each asserts that the
//! code answers with a value or an error and never panics, and what the
//! answer must satisfy; the regressions below them are inputs that once
//! could have run away (deep nesting, alias bombs, reference cycles, huge
//! numbers).

use std::net::{IpAddr, Ipv4Addr};

use apigw::dataplane::context::RequestContext;
use apigw::dataplane::iam;
use apigw::dataplane::validate::validate;
use apigw::import::{self, ImportError, ImportOptions};
use apigw::model::Deployment;
use apigw::snapshot::{compile, CompiledApi};
use http::{HeaderMap, HeaderValue, Method};
use proptest::prelude::*;
use serde_json::{json, Value};

fn options() -> ImportOptions {
    ImportOptions {
        api_id: "fuzz".into(),
        max_integration_timeout_ms: 29_000,
    }
}

/// Imports `text` and, when it imports, compiles it as a deployment.
fn import_and_compile(text: &str) -> Result<CompiledApi, ImportError> {
    let doc = import::parse_document(text)?;
    let imported = import::import(&doc, &options())?;
    let deployment = Deployment {
        id: "d1".into(),
        rest_api_id: "fuzz".into(),
        description: None,
        created_date: 0,
        api: imported.api,
    };
    Ok(compile(&deployment).0)
}

/// Numbers that break careless code: extremes, fractions, negative zero.
fn awkward_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(json!(1.0e308)),
        Just(json!(-1.0e308)),
        Just(json!(0.5)),
        Just(json!(-0.0)),
        Just(json!(18446744073709551615u64)),
        Just(json!(-9223372036854775808i64)),
        (-1000i64..1000).prop_map(Value::from),
    ]
}

/// Any JSON, a few levels deep.
fn anything() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        awkward_number(),
        "[ -~]{0,8}".prop_map(Value::from),
        prop::sample::select(vec![
            "GET",
            "ANY",
            "mock",
            "http",
            "aws_proxy",
            "200",
            "5\\d{2}",
            "$request.body",
            "method.request.header.x"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z$-]{1,6}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A value in one of the shapes an OpenAPI field takes, or anything.
fn field(shape: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop_oneof![3 => shape, 1 => anything()]
}

fn integration() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "mock",
            "http",
            "http_proxy",
            "aws",
            "aws_proxy",
            "MOCK",
            "bogus",
        ]),
        field("[ -~]{0,24}".prop_map(Value::from)),
        field(awkward_number()),
        field(
            prop::sample::select(vec![
                "#set($a = 1)$a",
                "{\"statusCode\": 200}",
                "#if(",
                "$input.json('$')",
                "#foreach($i in [1..5])$i#end",
            ])
            .prop_map(|t| json!({"application/json": t})),
        ),
        field(Just(
            json!({"default": {"statusCode": "200"}, "5\\d{2}": {"statusCode": "503"}}),
        )),
        field(
            prop::sample::select(vec!["WHEN_NO_MATCH", "NEVER", "WHEN_NO_TEMPLATES", "x"])
                .prop_map(Value::from),
        ),
    )
        .prop_map(|(kind, uri, timeout, templates, responses, passthrough)| {
            json!({
                "type": kind,
                "uri": uri,
                "httpMethod": "POST",
                "timeoutInMillis": timeout,
                "requestTemplates": templates,
                "responses": responses,
                "passthroughBehavior": passthrough,
            })
        })
}

fn operation() -> impl Strategy<Value = Value> {
    (
        field(integration()),
        field(Just(
            json!([{"name": "id", "in": "path", "required": true}, {"name": "q", "in": "query"}]),
        )),
        field(Just(json!({"200": {"description": "ok"}}))),
        field(Just(json!([{"api_key": []}]))),
    )
        .prop_map(|(integration, parameters, responses, security)| {
            json!({
                "x-amazon-apigateway-integration": integration,
                "parameters": parameters,
                "responses": responses,
                "security": security,
            })
        })
}

/// Documents shaped like OpenAPI 3 or Swagger 2, with fields swapped for
/// noise now and then.
fn openapi_doc() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            json!({"openapi": "3.0.1"}),
            json!({"swagger": "2.0"}),
            json!({"openapi": 3}),
            json!({}),
        ]),
        field("[ -~]{0,12}".prop_map(|t| json!({"title": t, "version": "1"}))),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "/",
                    "/pets",
                    "/pets/{id}",
                    "/{proxy+}",
                    "/a//b",
                    "pets",
                    "/{",
                    "/x/{id}/{id}",
                ]),
                prop::sample::select(vec![
                    "get",
                    "post",
                    "x-amazon-apigateway-any-method",
                    "options",
                    "bogus",
                ]),
                operation(),
            ),
            0..4,
        ),
        field(Just(
            json!({"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}),
        )),
        field(anything()),
    )
        .prop_map(|(version, info, paths, schemes, extension)| {
            let mut doc = version;
            doc["info"] = info;
            let mut all = serde_json::Map::new();
            for (path, verb, op) in paths {
                let entry = all.entry(path.to_string()).or_insert_with(|| json!({}));
                entry[verb] = op;
            }
            doc["paths"] = Value::Object(all);
            doc["components"] =
                json!({"securitySchemes": schemes, "schemas": {"M": {"type": "object"}}});
            doc["securityDefinitions"] =
                json!({"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}});
            doc["x-amazon-apigateway-minimum-compression-size"] = extension.clone();
            doc["x-amazon-apigateway-binary-media-types"] = extension;
            doc
        })
}

/// A JSON Schema (draft 4) drawn from its vocabulary.
fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "object", "array", "string", "integer", "number", "boolean", "null"
        ])
        .prop_map(|t| json!({"type": t})),
        awkward_number().prop_map(|n| json!({"minimum": n})),
        awkward_number().prop_map(|n| json!({"multipleOf": n})),
        awkward_number().prop_map(|n| json!({"maxLength": n})),
        prop::sample::select(vec![
            "^a+$",
            "(a|b)*c",
            "[",
            "(?=x)",
            "a{1000}{1000}",
            "\\d+",
            ".*.*.*x"
        ])
        .prop_map(|p| json!({"type": "string", "pattern": p})),
        prop::sample::select(vec![
            "#/definitions/M",
            "#/definitions/N",
            "#/definitions/missing",
            "#",
            "other.json#/x"
        ])
        .prop_map(|r| json!({"$ref": r})),
        Just(json!({"enum": [1, "a", null, [1], {"a": 1}]})),
        Just(json!({"format": "date-time"})),
        Just(json!({})),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(("[a-c]{1,2}", inner.clone()), 0..3).prop_map(|kv| {
                json!({"type": "object", "properties": Value::Object(kv.into_iter().collect()), "required": ["a"]})
            }),
            inner.clone().prop_map(|s| json!({"type": "array", "items": s, "minItems": 1})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({"anyOf": v})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({"allOf": v})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({"oneOf": v})),
            inner.clone().prop_map(|s| json!({"not": s})),
            inner.prop_map(|s| json!({"additionalProperties": s})),
        ]
    })
}

/// A Swagger 2 API whose POST /x validates its body against model `M`.
fn api_with_models(m: &Value, n: &Value) -> String {
    json!({
        "swagger": "2.0",
        "info": {"title": "models", "version": "1"},
        "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": true, "validateRequestParameters": true}},
        "definitions": {"M": m, "N": n},
        "paths": {"/x": {"post": {
            "x-amazon-apigateway-request-validator": "all",
            "consumes": ["application/json"],
            "parameters": [{"name": "body", "in": "body", "required": true, "schema": {"$ref": "#/definitions/M"}}],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}, "responses": {"default": {"statusCode": "200"}}}
        }}}
    })
    .to_string()
}

fn post_context() -> RequestContext {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let uri: http::Uri = "/x".parse().expect("uri");
    RequestContext::new(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        Method::POST,
        &uri,
        headers,
        http::Version::HTTP_11,
    )
}

/// Validates `body` against POST /x of `api`, if the API has it.
fn check_body(api: &CompiledApi, body: &[u8]) {
    let Some(found) = api.router.find("/x") else {
        return;
    };
    if let Some(method) = found.value.method(&Method::POST) {
        // Either verdict is fine; what matters is that one comes back.
        let _ = validate(&method.validation, &post_context(), body);
    }
}

/// Pieces of `Authorization` headers.
fn auth_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "AWS4-HMAC-SHA256",
            " ",
            "Credential=",
            "SignedHeaders=",
            "Signature=",
            "/",
            ",",
            ", ",
            ";",
            "=",
            "AKID",
            "20260101",
            "eu-west-1",
            "execute-api",
            "aws4_request",
            "host",
            "x-amz-date",
            "é",
            "\t",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn openapi_documents_import_or_say_why(doc in openapi_doc()) {
        let json_text = doc.to_string();
        let yaml_text = apigw::model::yaml::to_string(&doc).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for text in [json_text, yaml_text] {
            match import_and_compile(&text) {
                Ok(api) => prop_assert_eq!(api.api_id.as_str(), "fuzz"),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn any_text_imports_or_says_why(text in "[ -~\n]{0,200}") {
        if let Err(e) = import_and_compile(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn models_compile_and_check_any_body(m in schema(), n in schema(), body in anything(), noise in prop::collection::vec(any::<u8>(), 0..16)) {
        if let Ok(api) = import_and_compile(&api_with_models(&m, &n)) {
            check_body(&api, body.to_string().as_bytes());
            check_body(&api, &noise);
        }
    }

    #[test]
    fn authorization_headers_parse_or_are_refused(pieces in prop::collection::vec(auth_piece(), 0..16)) {
        let header = pieces.concat();
        if let Some(a) = iam::parse(&header) {
            for part in [a.access_key_id, a.region, a.service, a.signature] {
                prop_assert!(header.contains(part));
            }
            prop_assert!(a.signed_headers.len() <= header.len());
        }
    }

    #[test]
    fn authorization_headers_round_trip(
        key in "[A-Z0-9]{1,20}",
        date in "[0-9]{8}",
        region in "[a-z0-9-]{1,16}",
        service in "[a-z-]{1,16}",
        signed in prop::collection::vec("[a-z0-9-]{1,12}", 1..6),
        signature in "[0-9a-f]{1,64}",
    ) {
        let header = format!(
            "AWS4-HMAC-SHA256 Credential={key}/{date}/{region}/{service}/aws4_request, SignedHeaders={}, Signature={signature}",
            signed.join(";")
        );
        let a = iam::parse(&header).ok_or_else(|| TestCaseError::fail(header.clone()))?;
        prop_assert_eq!((a.access_key_id, a.region, a.service, a.signature), (key.as_str(), region.as_str(), service.as_str(), signature.as_str()));
        prop_assert_eq!(a.signed_headers, signed.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// The harnesses above reach the code they are about: a document of their
/// shape imports, and a model of theirs refuses a body that breaks it.
#[test]
fn the_harnesses_reach_import_and_validation() {
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "paths": {"/pets": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}, "responses": {"default": {"statusCode": "200"}}}, "responses": {"200": {"description": "ok"}}}}}
    });
    let api = import_and_compile(&doc.to_string()).expect("imports");
    assert!(api.router.find("/pets").is_some());
    let m = json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}});
    let api = import_and_compile(&api_with_models(&m, &json!({}))).expect("imports");
    let method = api
        .router
        .find("/x")
        .and_then(|found| found.value.method(&Method::POST).cloned())
        .expect("POST /x");
    assert!(validate(&method.validation, &post_context(), br#"{"a": 1}"#).is_ok());
    assert!(validate(&method.validation, &post_context(), br#"{"a": "x"}"#).is_err());
    assert!(validate(&method.validation, &post_context(), b"not json").is_err());
}

#[test]
fn deeply_nested_documents_are_refused_not_overflowed() {
    let depth = 100_000;
    let json_text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let yaml_flow = format!("a: {}{}", "[".repeat(depth), "]".repeat(depth));
    let yaml_block: String = (0..400).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    for text in [json_text, yaml_flow, yaml_block] {
        assert!(import_and_compile(&text).is_err());
    }
}

#[test]
fn yaml_alias_bombs_are_refused() {
    // Nine levels of nine aliases: a billion nodes if expanded.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("openapi: 3.0.1\ninfo: {title: bomb}\npaths: {}\n");
    assert!(import_and_compile(&text).is_err());
}

#[test]
fn huge_numbers_are_read_or_refused() {
    for timeout in [
        "1e400",
        "-1e400",
        "18446744073709551616",
        "1e308",
        "-0",
        "0.5",
        "NaN",
        ".inf",
    ] {
        let text = format!(
            "openapi: 3.0.1\ninfo: {{title: n}}\nx-amazon-apigateway-minimum-compression-size: {timeout}\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-integration: {{type: mock, timeoutInMillis: {timeout}}}\n"
        );
        let _ = import_and_compile(&text);
        let json_text = format!(
            r#"{{"openapi": "3.0.1", "info": {{"title": "n"}}, "paths": {{"/a": {{"get": {{"x-amazon-apigateway-integration": {{"type": "mock", "timeoutInMillis": {timeout}}}}}}}}}}}"#
        );
        let _ = import_and_compile(&json_text);
    }
}

#[test]
fn model_reference_cycles_are_checked_without_running_away() {
    let cycles = [
        (
            json!({"$ref": "#/definitions/N"}),
            json!({"$ref": "#/definitions/M"}),
        ),
        (json!({"$ref": "#/definitions/M"}), json!({})),
        (
            json!({"type": "object", "properties": {"next": {"$ref": "#/definitions/M"}}}),
            json!({}),
        ),
        (
            json!({"allOf": [{"$ref": "#/definitions/N"}]}),
            json!({"anyOf": [{"$ref": "#/definitions/M"}]}),
        ),
    ];
    let mut nested = json!({"next": null});
    for _ in 0..100 {
        nested = json!({"next": nested});
    }
    for (m, n) in cycles {
        if let Ok(api) = import_and_compile(&api_with_models(&m, &n)) {
            check_body(&api, nested.to_string().as_bytes());
            check_body(&api, b"{}");
        }
    }
}
