//! `GetExport`: a deployed API as an OpenAPI 3.0 (`oas30`) or Swagger 2.0
//! (`swagger`) document with the `x-amazon-apigateway-*` extensions, in
//! the shape the importer reads, so an export imports back to the same API.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::model::{Integration, Method, RestApi};

/// Which document to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    OpenApi3,
    Swagger2,
}

impl Dialect {
    /// From the export type in the URL (`oas30`, `swagger`).
    pub fn from_export_type(kind: &str) -> Option<Dialect> {
        match kind {
            "oas30" => Some(Dialect::OpenApi3),
            "swagger" => Some(Dialect::Swagger2),
            _ => None,
        }
    }

    fn model_ref(self, name: &str) -> Value {
        match self {
            Dialect::OpenApi3 => json!({ "$ref": format!("#/components/schemas/{name}") }),
            Dialect::Swagger2 => json!({ "$ref": format!("#/definitions/{name}") }),
        }
    }
}

/// Security scheme names the export gives the built-in kinds.
const API_KEY_SCHEME: &str = "api_key";
const SIGV4_SCHEME: &str = "sigv4";

/// The document for `api` as deployed to `stage`. Models are rewritten to
/// point at the dialect's schema location.
pub(super) fn export(api: &RestApi, stage: &str, dialect: Dialect) -> Value {
    let mut paths = Map::new();
    for resource in api.resources.values() {
        if resource.methods.is_empty() {
            continue;
        }
        let mut item = Map::new();
        for m in resource.methods.values() {
            let verb = match m.http_method.as_str() {
                "ANY" => "x-amazon-apigateway-any-method".to_string(),
                other => other.to_ascii_lowercase(),
            };
            item.insert(verb, operation(m, dialect));
        }
        paths.insert(resource.path.clone(), Value::Object(item));
    }
    let models: Map<String, Value> = api
        .models
        .iter()
        .map(|(name, schema)| (name.clone(), rewrite_refs(schema, dialect)))
        .collect();
    let schemes = security_schemes(api);
    let mut doc = match dialect {
        Dialect::OpenApi3 => json!({
            "openapi": "3.0.1",
            "servers": [{"url": format!("/restapis/{}/{stage}/_user_request_", api.id)}],
        }),
        Dialect::Swagger2 => json!({
            "swagger": "2.0",
            "basePath": format!("/restapis/{}/{stage}/_user_request_", api.id),
            "schemes": ["http", "https"],
        }),
    };
    let mut info =
        json!({"title": api.name, "version": api.version.clone().unwrap_or_else(|| "1.0".into())});
    if let Some(d) = &api.description {
        info["description"] = json!(d);
    }
    doc["info"] = info;
    doc["paths"] = Value::Object(paths);
    match dialect {
        Dialect::OpenApi3 => {
            let mut components = Map::new();
            if !models.is_empty() {
                components.insert("schemas".into(), Value::Object(models));
            }
            if !schemes.is_empty() {
                components.insert("securitySchemes".into(), Value::Object(schemes));
            }
            if !components.is_empty() {
                doc["components"] = Value::Object(components);
            }
        }
        Dialect::Swagger2 => {
            if !models.is_empty() {
                doc["definitions"] = Value::Object(models);
            }
            if !schemes.is_empty() {
                doc["securityDefinitions"] = Value::Object(schemes);
            }
        }
    }
    let top = |doc: &mut Value, key: &str, v: Value| {
        doc[format!("x-amazon-apigateway-{key}")] = v;
    };
    if !api.binary_media_types.is_empty() {
        top(
            &mut doc,
            "binary-media-types",
            json!(api.binary_media_types),
        );
    }
    if let Some(source) = &api.api_key_source {
        top(&mut doc, "api-key-source", json!(source));
    }
    if let Some(size) = api.minimum_compression_size {
        top(&mut doc, "minimum-compression-size", json!(size));
    }
    if let Some(policy) = &api.policy {
        top(&mut doc, "policy", policy.clone());
    }
    top(
        &mut doc,
        "endpoint-configuration",
        json!({"types": [serde_json::to_value(api.endpoint_type).unwrap_or(json!("EDGE"))]}),
    );
    if !api.request_validators.is_empty() {
        top(
            &mut doc,
            "request-validators",
            json!(api.request_validators),
        );
    }
    if let Some(v) = &api.default_request_validator {
        top(&mut doc, "request-validator", json!(v));
    }
    if !api.gateway_responses.is_empty() {
        let responses: Map<String, Value> = api
            .gateway_responses
            .iter()
            .map(|(kind, r)| (kind.as_str().to_string(), json!(r)))
            .collect();
        top(&mut doc, "gateway-responses", Value::Object(responses));
    }
    doc
}

/// Removes every `x-amazon-apigateway-*` key (an export without extensions).
pub(super) fn strip_extensions(doc: &mut Value) {
    match doc {
        Value::Object(map) => {
            map.retain(|k, _| !k.starts_with("x-amazon-apigateway-"));
            map.values_mut().for_each(strip_extensions);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_extensions),
        _ => {}
    }
}

/// One method as an operation.
fn operation(m: &Method, dialect: Dialect) -> Value {
    let mut op = Map::new();
    if let Some(name) = &m.operation_name {
        op.insert("operationId".into(), json!(name));
    }
    let mut parameters: Vec<Value> = m
        .request_parameters
        .iter()
        .filter_map(|(key, required)| {
            let rest = key.strip_prefix("method.request.")?;
            let (place, name) = rest.split_once('.')?;
            let place = match place {
                "querystring" => "query",
                "path" => "path",
                "header" => "header",
                _ => return None,
            };
            let mut p =
                json!({"name": name, "in": place, "required": *required || place == "path"});
            match dialect {
                Dialect::OpenApi3 => p["schema"] = json!({"type": "string"}),
                Dialect::Swagger2 => p["type"] = json!("string"),
            }
            Some(p)
        })
        .collect();
    if let Some((content_type, model)) = m.request_models.iter().next() {
        match dialect {
            Dialect::OpenApi3 => {
                let content: Map<String, Value> = m
                    .request_models
                    .iter()
                    .map(|(ct, model)| (ct.clone(), json!({"schema": dialect.model_ref(model)})))
                    .collect();
                op.insert(
                    "requestBody".into(),
                    json!({"content": content, "required": true}),
                );
            }
            Dialect::Swagger2 => {
                op.insert("consumes".into(), json!([content_type]));
                parameters.push(json!({"in": "body", "name": model, "required": true,
                    "schema": dialect.model_ref(model)}));
            }
        }
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    let mut responses = Map::new();
    for (code, r) in &m.method_responses {
        let mut out = json!({"description": format!("{code} response")});
        let headers: Map<String, Value> = r
            .response_parameters
            .keys()
            .filter_map(|k| k.strip_prefix("method.response.header."))
            .map(|h| {
                let schema = match dialect {
                    Dialect::OpenApi3 => json!({"schema": {"type": "string"}}),
                    Dialect::Swagger2 => json!({"type": "string"}),
                };
                (h.to_string(), schema)
            })
            .collect();
        if !headers.is_empty() {
            out["headers"] = Value::Object(headers);
        }
        match dialect {
            Dialect::OpenApi3 if !r.response_models.is_empty() => {
                let content: Map<String, Value> = r
                    .response_models
                    .iter()
                    .map(|(ct, model)| (ct.clone(), json!({"schema": dialect.model_ref(model)})))
                    .collect();
                out["content"] = Value::Object(content);
            }
            Dialect::Swagger2 => {
                if let Some(model) = r.response_models.values().next() {
                    out["schema"] = dialect.model_ref(model);
                }
            }
            _ => {}
        }
        responses.insert(code.clone(), out);
    }
    op.insert("responses".into(), Value::Object(responses));
    let mut security: Vec<Value> = Vec::new();
    match m.authorization_type.as_str() {
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            if let Some(name) = &m.authorizer {
                security.push(json!({ name: m.authorization_scopes }));
            }
        }
        "AWS_IAM" => security.push(json!({ SIGV4_SCHEME: [] })),
        _ => {}
    }
    if m.api_key_required {
        security.push(json!({ API_KEY_SCHEME: [] }));
    }
    if !security.is_empty() {
        // One requirement with every scheme: all of them apply together.
        let mut all = Map::new();
        for s in security {
            if let Value::Object(o) = s {
                all.extend(o);
            }
        }
        op.insert("security".into(), json!([all]));
    }
    if let Some(v) = &m.request_validator {
        op.insert("x-amazon-apigateway-request-validator".into(), json!(v));
    }
    if let Some(i) = &m.integration {
        op.insert("x-amazon-apigateway-integration".into(), integration(i));
    }
    Value::Object(op)
}

/// An integration as the extension: responses keyed by selection pattern.
fn integration(i: &Integration) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.remove("integrationResponses");
    }
    let responses: BTreeMap<String, Value> = i
        .integration_responses
        .values()
        .map(|r| {
            let key = r
                .selection_pattern
                .clone()
                .unwrap_or_else(|| "default".into());
            let mut out = serde_json::to_value(r).unwrap_or_default();
            if let Some(map) = out.as_object_mut() {
                map.remove("selectionPattern");
            }
            (key, out)
        })
        .collect();
    if !responses.is_empty() {
        v["responses"] = json!(responses);
    }
    v
}

/// Authorizers, plus the API key and SigV4 schemes when methods use them.
fn security_schemes(api: &RestApi) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, stored) in &api.authorizers {
        let header = stored
            .get("identitySource")
            .and_then(Value::as_str)
            .and_then(|s| s.trim().strip_prefix("method.request.header."))
            .filter(|h| !h.contains(','))
            .unwrap_or("Authorization");
        let kind = stored
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("token");
        out.insert(
            name.clone(),
            json!({
                "type": "apiKey",
                "name": header,
                "in": "header",
                "x-amazon-apigateway-authtype": if kind == "cognito_user_pools" { "cognito_user_pools" } else { "custom" },
                "x-amazon-apigateway-authorizer": stored,
            }),
        );
    }
    if api.methods().any(|(_, m)| m.api_key_required) {
        out.insert(
            API_KEY_SCHEME.into(),
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
        );
    }
    if api
        .methods()
        .any(|(_, m)| m.authorization_type == "AWS_IAM")
    {
        out.insert(
            SIGV4_SCHEME.into(),
            json!({"type": "apiKey", "name": "Authorization", "in": "header",
                   "x-amazon-apigateway-authtype": "awsSigv4"}),
        );
    }
    out
}

/// Models refer to each other by `$ref`; point them at the dialect's place.
fn rewrite_refs(schema: &Value, dialect: Dialect) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v.as_str()) {
                        ("$ref", Some(r)) => match r.rsplit('/').next() {
                            Some(name) if r.starts_with("#/") => {
                                dialect.model_ref(name)["$ref"].clone()
                            }
                            _ => v.clone(),
                        },
                        _ => rewrite_refs(v, dialect),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| rewrite_refs(v, dialect)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_api as import_text;

    /// Models as written refer to each other where their document keeps
    /// schemas; compared with the references in one place.
    fn neutral(mut api: RestApi) -> RestApi {
        for schema in api.models.values_mut() {
            *schema = rewrite_refs(schema, Dialect::OpenApi3);
        }
        api
    }

    /// Every example API, exported in both dialects, imports back to the
    /// same API (model references aside: they point where the dialect
    /// keeps schemas).
    #[test]
    fn an_export_imports_back_to_the_same_api() {
        let examples = [
            include_str!("../../../ops/examples/petstore-openapi3.yaml"),
            include_str!("../../../ops/examples/hello-api.yaml"),
            EVERYTHING,
        ];
        for text in examples {
            let api = import_text(text);
            for dialect in [Dialect::OpenApi3, Dialect::Swagger2] {
                let doc = export(&api, "prod", dialect);
                let again = import_text(&doc.to_string());
                assert_eq!(
                    neutral(again),
                    neutral(api.clone()),
                    "{dialect:?}: {}",
                    serde_json::to_string_pretty(&doc).unwrap_or_default()
                );
            }
        }
    }

    const EVERYTHING: &str = r##"
openapi: "3.0.1"
info: {title: everything, version: "2", description: all the parts}
x-amazon-apigateway-binary-media-types: [image/png]
x-amazon-apigateway-api-key-source: HEADER
x-amazon-apigateway-request-validators:
  all: {validateRequestBody: true, validateRequestParameters: true}
x-amazon-apigateway-gateway-responses:
  DEFAULT_4XX: {statusCode: 418, responseTemplates: {application/json: '{"m": $context.error.messageString}'}}
components:
  schemas:
    Pet: {type: object, properties: {name: {type: string}, tag: {$ref: "#/components/schemas/Tag"}}}
    Tag: {type: string}
  securitySchemes:
    tok:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:auth/invocations
        authorizerResultTtlInSeconds: 60
    key: {type: apiKey, name: x-api-key, in: header}
paths:
  /pets/{petId}:
    put:
      operationId: putPet
      security: [{tok: [], key: []}]
      x-amazon-apigateway-request-validator: all
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
        - {name: dry, in: query, required: false, schema: {type: string}}
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}, required: true}
      responses:
        "200": {description: ok, headers: {x-id: {schema: {type: string}}}, content: {application/json: {schema: {$ref: "#/components/schemas/Pet"}}}}
        "404": {description: missing}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: PUT
        uri: http://127.0.0.1:1/pets/{id}
        requestParameters: {integration.request.path.id: method.request.path.petId}
        passthroughBehavior: never
        requestTemplates: {application/json: '$input.json("$")'}
        timeoutInMillis: 5000
        responses:
          default: {statusCode: "200", responseParameters: {method.response.header.x-id: integration.response.header.x-id}}
          "404": {statusCode: "404"}
  /anything/{proxy+}:
    x-amazon-apigateway-any-method:
      parameters: [{name: proxy, in: path, required: true, schema: {type: string}}]
      responses: {}
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: ANY, uri: "http://127.0.0.1:1/{proxy}",
        requestParameters: {integration.request.path.proxy: method.request.path.proxy}}
"##;
}
