//! The OpenAPI (Swagger 2.0, as SAM writes it) pieces SAM and
//! CloudFormation resources become: Lambda proxy operations, CORS
//! preflight methods, authorizers, gateway responses, binary media types.

use serde_json::{json, Map, Value};

use super::intrinsics::scalar_text;

/// An empty Swagger 2.0 document titled `title`.
pub fn document(title: &str) -> Value {
    json!({"swagger": "2.0", "info": {"version": "1.0", "title": title}, "paths": {}})
}

/// The invocation URI of a Lambda function for an API in `region`.
pub fn lambda_uri(region: &str, function_arn: &str) -> String {
    format!(
        "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
}

/// The key an HTTP method has under a path (`get`, or the ANY extension).
pub fn method_key(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    if lower == "any" {
        "x-amazon-apigateway-any-method".into()
    } else {
        lower
    }
}

/// A Lambda proxy operation, as SAM generates it for an `Api` event.
pub fn proxy_operation(uri: &str) -> Value {
    json!({
        "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri},
        "responses": {},
    })
}

/// The mutable `paths` object of a document (made when absent).
pub fn paths(doc: &mut Value) -> Option<&mut Map<String, Value>> {
    let root = doc.as_object_mut()?;
    root.entry("paths")
        .or_insert_with(|| json!({}))
        .as_object_mut()
}

/// A named entry of a document-level map (`securityDefinitions`...).
pub fn section<'d>(doc: &'d mut Value, name: &str) -> Option<&'d mut Map<String, Value>> {
    let root = doc.as_object_mut()?;
    root.entry(name)
        .or_insert_with(|| json!({}))
        .as_object_mut()
}

/// CORS as SAM's `Cors` property gives it (header values already quoted).
#[derive(Debug, Clone, Default)]
pub struct Cors {
    pub allow_origin: String,
    pub allow_methods: Option<String>,
    pub allow_headers: Option<String>,
    pub max_age: Option<String>,
    pub allow_credentials: bool,
}

impl Cors {
    /// From SAM's `Cors`: a string (the origin) or a mapping.
    pub fn from_sam(value: &Value) -> Option<Cors> {
        if let Some(origin) = value.as_str() {
            return Some(Cors {
                allow_origin: origin.to_string(),
                ..Cors::default()
            });
        }
        let map = value.as_object()?;
        let text = |k: &str| map.get(k).and_then(scalar_text);
        Some(Cors {
            allow_origin: text("AllowOrigin")?,
            allow_methods: text("AllowMethods"),
            allow_headers: text("AllowHeaders"),
            max_age: text("MaxAge"),
            allow_credentials: map.get("AllowCredentials").and_then(Value::as_bool) == Some(true),
        })
    }
}

/// Adds SAM's CORS preflight (`OPTIONS`, a MOCK integration answering the
/// `Access-Control-*` headers) to every path that has no OPTIONS method.
pub fn add_cors(doc: &mut Value, cors: &Cors) {
    let Some(paths) = paths(doc) else { return };
    for (_, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        if item.contains_key("options") {
            continue;
        }
        let methods = cors.allow_methods.clone().unwrap_or_else(|| {
            let mut verbs: Vec<String> = item
                .keys()
                .filter_map(|k| match k.as_str() {
                    "x-amazon-apigateway-any-method" => {
                        Some("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT".to_string())
                    }
                    "parameters" => None,
                    k if !k.starts_with("x-") => Some(k.to_ascii_uppercase()),
                    _ => None,
                })
                .collect();
            verbs.push("OPTIONS".into());
            verbs.sort();
            verbs.dedup();
            format!("'{}'", verbs.join(","))
        });
        let mut headers = vec![
            (
                "Access-Control-Allow-Origin",
                Some(cors.allow_origin.clone()),
            ),
            ("Access-Control-Allow-Methods", Some(methods)),
            ("Access-Control-Allow-Headers", cors.allow_headers.clone()),
            ("Access-Control-Max-Age", cors.max_age.clone()),
        ];
        if cors.allow_credentials {
            headers.push(("Access-Control-Allow-Credentials", Some("'true'".into())));
        }
        let present: Vec<(&str, String)> = headers
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        let parameters: Map<String, Value> = present
            .iter()
            .map(|(k, v)| {
                (
                    format!("method.response.header.{k}"),
                    Value::String(v.clone()),
                )
            })
            .collect();
        let declared: Map<String, Value> = present
            .iter()
            .map(|(k, _)| (k.to_string(), json!({"type": "string"})))
            .collect();
        item.insert(
            "options".into(),
            json!({
                "summary": "CORS support",
                "consumes": ["application/json"],
                "produces": ["application/json"],
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\n  \"statusCode\" : 200\n}\n"},
                    "responses": {"default": {
                        "statusCode": "200",
                        "responseParameters": parameters,
                        "responseTemplates": {"application/json": "{}\n"},
                    }},
                },
                "responses": {"200": {"description": "Default response for CORS method", "headers": declared}},
            }),
        );
    }
}

/// Gateway responses from SAM's `GatewayResponses` (`ResponseParameters`
/// split into `Headers`, `Paths`, `QueryStrings`).
pub fn sam_gateway_responses(value: &Value) -> Value {
    let mut out = Map::new();
    let Some(map) = value.as_object() else {
        return Value::Object(out);
    };
    for (kind, spec) in map {
        let mut response = Map::new();
        if let Some(code) = spec.get("StatusCode").and_then(scalar_text) {
            response.insert("statusCode".into(), Value::String(code));
        }
        let mut parameters = Map::new();
        for (group, prefix) in [
            ("Headers", "header"),
            ("Paths", "path"),
            ("QueryStrings", "querystring"),
        ] {
            for (name, v) in spec
                .pointer(&format!("/ResponseParameters/{group}"))
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                parameters.insert(format!("gatewayresponse.{prefix}.{name}"), v.clone());
            }
        }
        if !parameters.is_empty() {
            response.insert("responseParameters".into(), Value::Object(parameters));
        }
        if let Some(t) = spec.get("ResponseTemplates") {
            response.insert("responseTemplates".into(), t.clone());
        }
        out.insert(kind.clone(), Value::Object(response));
    }
    Value::Object(out)
}

/// `BinaryMediaTypes` as SAM writes them (`image~1png` is `image/png`).
pub fn binary_media_types(value: &Value) -> Value {
    Value::Array(
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|t| Value::String(t.replace("~1", "/")))
            .collect(),
    )
}

/// Adds a security requirement to every operation of a document that has
/// none of its own (`skip_options`: leave CORS preflights open).
pub fn default_security(doc: &mut Value, requirement: &Value, skip_options: bool) {
    for_each_operation(doc, |verb, op| {
        if skip_options && verb == "options" {
            return;
        }
        if let Some(op) = op.as_object_mut() {
            op.entry("security").or_insert_with(|| json!([]));
            if let Some(list) = op.get_mut("security").and_then(Value::as_array_mut) {
                if !list.contains(requirement) {
                    list.push(requirement.clone());
                }
            }
        }
    });
}

/// Calls `f` with every operation of the document (verb, operation).
pub fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &mut Value)) {
    let Some(paths) = paths(doc) else { return };
    for (_, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (verb, op) in item.iter_mut() {
            if verb == "parameters"
                || (verb.starts_with("x-") && verb != "x-amazon-apigateway-any-method")
            {
                continue;
            }
            f(verb, op);
        }
    }
}
