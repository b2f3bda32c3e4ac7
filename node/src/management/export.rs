//! `GetExport`: a deployed API as an OpenAPI 3.0 (`oas30`) or Swagger 2.0
//! (`swagger`) document with the `x-amazon-apigateway-*` extensions, in
//! the shape AWS's export writes (its host and stage base path, members
//! left out where AWS leaves them out) and the importer reads, so an
//! export imports back to the same API. The operations are in
//! `operation`.

mod operation;

use serde_json::{json, Map, Value};

use crate::model::{EndpointType, RestApi};

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

/// Where an exported stage is served, as the document names it.
pub(super) struct Served<'a> {
    /// The stage: Swagger's `basePath`, OpenAPI 3's `basePath` variable.
    pub stage: &'a str,
    /// The API's host as AWS names it (`{api}.execute-api.{region}.amazonaws.com`).
    pub host: String,
    /// `info.version` for an API without a version: the deployment's date
    /// (RFC 3339), as AWS writes it.
    pub deployed: String,
}

/// The document for `api` as deployed to `served.stage`. Models are
/// rewritten to point at the dialect's schema location.
pub(super) fn export(api: &RestApi, served: &Served<'_>, dialect: Dialect) -> Value {
    let mut doc = match dialect {
        Dialect::OpenApi3 => json!({
            "openapi": "3.0.1",
            "info": info(api, served),
            "servers": [{
                "url": format!("https://{}/{{basePath}}", served.host),
                "variables": {"basePath": {"default": served.stage}},
            }],
        }),
        Dialect::Swagger2 => json!({
            "swagger": "2.0",
            "info": info(api, served),
            "host": served.host,
            "basePath": format!("/{}", served.stage),
            "schemes": ["https"],
        }),
    };
    doc["paths"] = paths(api, dialect);
    definitions(&mut doc, api, dialect);
    api_extensions(&mut doc, api);
    doc
}

fn info(api: &RestApi, served: &Served<'_>) -> Value {
    let version = api
        .version
        .clone()
        .unwrap_or_else(|| served.deployed.clone());
    let mut info = json!({"title": api.name, "version": version});
    if let Some(d) = &api.description {
        info["description"] = json!(d);
    }
    info
}

/// The resources with methods, each method as an operation.
fn paths(api: &RestApi, dialect: Dialect) -> Value {
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
            item.insert(verb, operation::operation(m, dialect));
        }
        paths.insert(resource.path.clone(), Value::Object(item));
    }
    Value::Object(paths)
}

/// Models and security schemes where the dialect keeps them (OpenAPI 3
/// always has `components`, as AWS writes it).
fn definitions(doc: &mut Value, api: &RestApi, dialect: Dialect) {
    let models: Map<String, Value> = api
        .models
        .iter()
        .map(|(name, schema)| (name.clone(), rewrite_refs(schema, dialect)))
        .collect();
    let schemes = security_schemes(api);
    match dialect {
        Dialect::OpenApi3 => {
            let mut components = Map::new();
            if !models.is_empty() {
                components.insert("schemas".into(), Value::Object(models));
            }
            if !schemes.is_empty() {
                components.insert("securitySchemes".into(), Value::Object(schemes));
            }
            doc["components"] = Value::Object(components);
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
}

/// The API's settings as document-level extensions, those that are set
/// (the endpoint configuration when it is not AWS's default, EDGE).
fn api_extensions(doc: &mut Value, api: &RestApi) {
    let mut top = |key: &str, v: Value| {
        doc[format!("x-amazon-apigateway-{key}")] = v;
    };
    if !api.binary_media_types.is_empty() {
        top("binary-media-types", json!(api.binary_media_types));
    }
    if let Some(source) = &api.api_key_source {
        top("api-key-source", json!(source));
    }
    if let Some(size) = api.minimum_compression_size {
        top("minimum-compression-size", json!(size));
    }
    if let Some(policy) = &api.policy {
        top("policy", policy.clone());
    }
    if api.endpoint_type != EndpointType::Edge || api.disable_execute_api_endpoint {
        let mut endpoint =
            json!({"types": [serde_json::to_value(api.endpoint_type).unwrap_or(json!("EDGE"))]});
        if api.disable_execute_api_endpoint {
            endpoint["disableExecuteApiEndpoint"] = json!(true);
        }
        top("endpoint-configuration", endpoint);
    }
    if !api.request_validators.is_empty() {
        top("request-validators", json!(api.request_validators));
    }
    if let Some(v) = &api.default_request_validator {
        top("request-validator", json!(v));
    }
    if !api.gateway_responses.is_empty() {
        let responses: Map<String, Value> = api
            .gateway_responses
            .iter()
            .map(|(kind, r)| (kind.as_str().to_string(), json!(r)))
            .collect();
        top("gateway-responses", Value::Object(responses));
    }
}

/// The headers AWS sends an export with: a download named
/// `{type}_{version}.json` (`.yaml` when asked for YAML).
pub(super) fn download_name(kind: &str, doc: &Value, yaml: bool) -> String {
    let version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let safe: String = version
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        .collect();
    let ext = if yaml { "yaml" } else { "json" };
    format!("attachment; filename=\"{kind}_{safe}.{ext}\"")
}

/// The extensions an export keeps, as `GetExport`'s `extensions` parameter
/// asks (a comma-separated list): `integrations` or `apigateway`, every
/// one; `authorizers`, the security schemes' authorizer extensions; none
/// otherwise (`postman` adds nothing here).
pub(super) fn keep_extensions(doc: &mut Value, asked: &str) {
    let asked: Vec<&str> = asked.split(',').map(str::trim).collect();
    if asked
        .iter()
        .any(|e| matches!(*e, "integrations" | "apigateway"))
    {
        return;
    }
    let keep: &[&str] = if asked.contains(&"authorizers") {
        &[
            "x-amazon-apigateway-authtype",
            "x-amazon-apigateway-authorizer",
        ]
    } else {
        &[]
    };
    strip_extensions(doc, keep);
}

/// Removes every `x-amazon-apigateway-*` key not in `keep`.
fn strip_extensions(doc: &mut Value, keep: &[&str]) {
    match doc {
        Value::Object(map) => {
            map.retain(|k, _| !k.starts_with("x-amazon-apigateway-") || keep.contains(&k.as_str()));
            map.values_mut().for_each(|v| strip_extensions(v, keep));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_extensions(v, keep)),
        _ => {}
    }
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
        let default_type = match kind {
            "cognito_user_pools" => "cognito_user_pools",
            _ => "custom",
        };
        let mut authorizer = stored.clone();
        let auth_type = authorizer
            .as_object_mut()
            .and_then(|m| m.remove("authType"))
            .unwrap_or_else(|| json!(default_type));
        out.insert(
            name.clone(),
            json!({
                "type": "apiKey",
                "name": header,
                "in": "header",
                "x-amazon-apigateway-authtype": auth_type,
                "x-amazon-apigateway-authorizer": authorizer,
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

/// Models refer to each other by `$ref` (a document's `#/...` place or
/// the model URL an import stores); point them at the dialect's place.
fn rewrite_refs(schema: &Value, dialect: Dialect) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v.as_str()) {
                        ("$ref", Some(r)) => match r.rsplit('/').next() {
                            Some(name) if r.starts_with("#/") || is_model_url(r) => {
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

/// `https://apigateway.amazonaws.com/restapis/{api}/models/{name}`.
fn is_model_url(r: &str) -> bool {
    r.strip_prefix(crate::import::MODEL_BASE_URL)
        .and_then(|rest| rest.strip_prefix("/restapis/"))
        .and_then(|rest| rest.split_once("/models/"))
        .is_some_and(|(_, name)| !name.is_empty() && !name.contains('/'))
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
                let served = Served {
                    stage: "prod",
                    host: "abc.execute-api.us-east-1.amazonaws.com".into(),
                    deployed: "2026-01-01T00:00:00Z".into(),
                };
                let doc = export(&api, &served, dialect);
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

    #[test]
    fn extensions_are_kept_as_asked() {
        let api = import_text(EVERYTHING);
        let served = Served {
            stage: "prod",
            host: "abc.execute-api.us-east-1.amazonaws.com".into(),
            deployed: "2026-01-01T00:00:00Z".into(),
        };
        let doc = export(&api, &served, Dialect::OpenApi3);
        let has = |d: &Value, key: &str| d.to_string().contains(key);
        let mut all = doc.clone();
        keep_extensions(&mut all, "integrations,postman");
        assert!(has(&all, "x-amazon-apigateway-integration"));
        let mut authorizers = doc.clone();
        keep_extensions(&mut authorizers, "authorizers");
        assert!(has(&authorizers, "x-amazon-apigateway-authorizer"));
        assert!(!has(&authorizers, "x-amazon-apigateway-integration"));
        let mut plain = doc;
        keep_extensions(&mut plain, "postman");
        assert!(!has(&plain, "x-amazon-apigateway-"));
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
