//! Fuzzes request models: the input's first line is a JSON Schema (draft 4)
//! used as model `M` of POST /x, the rest is a request body. The API is
//! imported and compiled as a deployment (where models compile), then the
//! body is validated; either verdict is fine, a panic or a hang is not.
//! `cargo +nightly fuzz run model`.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use apigw::dataplane::context::RequestContext;
use apigw::dataplane::validate::validate;
use apigw::import::{self, ImportOptions};
use apigw::model::Deployment;
use http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;

fn api(model: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "swagger": "2.0",
        "info": {"title": "models", "version": "1"},
        "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": true, "validateRequestParameters": false}},
        "definitions": {"M": model},
        "paths": {"/x": {"post": {
            "x-amazon-apigateway-request-validator": "all",
            "consumes": ["application/json"],
            "parameters": [{"name": "body", "in": "body", "schema": {"$ref": "#/definitions/M"}}],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": {"statusCode": "200"}}}
        }}}
    })
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (schema, body) = data.split_at(split);
    let Ok(model) = serde_json::from_slice::<serde_json::Value>(schema) else {
        return;
    };
    let options = ImportOptions {
        api_id: "fuzz".into(),
        max_integration_timeout_ms: 29_000,
    };
    let Ok(imported) = import::import(&api(model), &options) else {
        return;
    };
    let deployment = Deployment {
        id: "d1".into(),
        rest_api_id: "fuzz".into(),
        description: None,
        created_date: 0,
        api: imported.api,
    };
    let compiled = apigw::snapshot::compile(&deployment).0;
    let Some(found) = compiled.router.find("/x") else {
        return;
    };
    let Some(method) = found.value.method(&Method::POST) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let uri: http::Uri = "/x".parse().expect("a constant URI");
    let ctx = RequestContext::new(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        Method::POST,
        &uri,
        headers,
        http::Version::HTTP_11,
    );
    let _ = validate(&method.validation, &ctx, body.get(1..).unwrap_or_default());
});
