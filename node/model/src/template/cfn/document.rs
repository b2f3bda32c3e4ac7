//! The parts of a RestApi that become pieces of its OpenAPI document:
//! `Authorizer` (security definitions), `Model` (`definitions`),
//! `RequestValidator`, `GatewayResponse`, and each `Method` as an operation
//! with its `x-amazon-apigateway-integration`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{token, Api, ROOT_TOKEN, TOKEN};
use crate::template::intrinsics::scalar_text;
use crate::template::{number, openapi, TemplateError};

pub(super) fn authorizer(
    api: &mut Api,
    id: &str,
    p: &Map<String, Value>,
    names: &BTreeMap<String, String>,
    at: &str,
) -> Result<(), TemplateError> {
    let kind = p
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| TemplateError::at(&format!("{at}.Type"), "is required"))?
        .to_ascii_lowercase();
    let mut authorizer = json!({"type": kind});
    for (from, to) in [
        ("AuthorizerUri", "authorizerUri"),
        ("IdentitySource", "identitySource"),
        (
            "IdentityValidationExpression",
            "identityValidationExpression",
        ),
        (
            "AuthorizerResultTtlInSeconds",
            "authorizerResultTtlInSeconds",
        ),
        ("ProviderARNs", "providerARNs"),
        ("AuthorizerCredentials", "authorizerCredentials"),
    ] {
        if let Some(v) = p.get(from) {
            authorizer[to] = if to == "authorizerResultTtlInSeconds" {
                json!(number(v).unwrap_or(300.0) as u64)
            } else {
                v.clone()
            };
        }
    }
    let header = p
        .get("IdentitySource")
        .and_then(Value::as_str)
        .and_then(|s| s.strip_prefix("method.request.header."))
        .unwrap_or("Authorization")
        .to_string();
    let authtype = if kind == "cognito_user_pools" {
        "cognito_user_pools"
    } else {
        "custom"
    };
    let defs = openapi::section(&mut api.doc, "securityDefinitions").expect("a mapping");
    defs.insert(names[id].clone(), json!({"type": "apiKey", "name": header, "in": "header", "x-amazon-apigateway-authtype": authtype, "x-amazon-apigateway-authorizer": authorizer}));
    Ok(())
}

pub(super) fn model(
    api: &mut Api,
    id: &str,
    p: &Map<String, Value>,
    names: &BTreeMap<String, String>,
    at: &str,
) -> Result<(), TemplateError> {
    let schema = match p.get("Schema") {
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|e| TemplateError::at(&format!("{at}.Schema"), format!("not JSON: {e}")))?,
        Some(v) => v.clone(),
        None => json!({}),
    };
    openapi::section(&mut api.doc, "definitions")
        .expect("a mapping")
        .insert(names[id].clone(), schema);
    Ok(())
}

pub(super) fn validator(
    api: &mut Api,
    id: &str,
    p: &Map<String, Value>,
    names: &BTreeMap<String, String>,
) -> Result<(), TemplateError> {
    let flag = |k: &str| p.get(k).and_then(Value::as_bool).unwrap_or(false);
    openapi::section(&mut api.doc, "x-amazon-apigateway-request-validators").expect("a mapping").insert(
        names[id].clone(),
        json!({"validateRequestBody": flag("ValidateRequestBody"), "validateRequestParameters": flag("ValidateRequestParameters")}),
    );
    Ok(())
}

pub(super) fn gateway_response(
    api: &mut Api,
    p: &Map<String, Value>,
    at: &str,
) -> Result<(), TemplateError> {
    let kind = p
        .get("ResponseType")
        .and_then(Value::as_str)
        .ok_or_else(|| TemplateError::at(&format!("{at}.ResponseType"), "is required"))?;
    let mut response = json!({});
    if let Some(code) = p.get("StatusCode").and_then(scalar_text) {
        response["statusCode"] = json!(code);
    }
    for (from, to) in [
        ("ResponseParameters", "responseParameters"),
        ("ResponseTemplates", "responseTemplates"),
    ] {
        if let Some(v) = p.get(from) {
            response[to] = v.clone();
        }
    }
    openapi::section(&mut api.doc, "x-amazon-apigateway-gateway-responses")
        .expect("a mapping")
        .insert(kind.to_string(), response);
    Ok(())
}

/// An `AWS::ApiGateway::Method` as an operation of the built document.
pub(super) fn method(
    api: &mut Api,
    p: &Map<String, Value>,
    paths: &BTreeMap<String, String>,
    names: &BTreeMap<String, String>,
    at: &str,
) -> Result<(), TemplateError> {
    if !api.built {
        return Err(TemplateError::at(
            at,
            "a Method of a RestApi that has a Body: declare it in the Body",
        ));
    }
    let resource = p.get("ResourceId").unwrap_or(&Value::Null);
    let path = if token(resource, ROOT_TOKEN).is_some() {
        "/".to_string()
    } else {
        let id = token(resource, TOKEN).ok_or_else(|| {
            TemplateError::at(
                &format!("{at}.ResourceId"),
                "give !GetAtt Api.RootResourceId or !Ref of a Resource",
            )
        })?;
        paths.get(id).cloned().ok_or_else(|| {
            TemplateError::at(
                &format!("{at}.ResourceId"),
                format!("`{id}` is no AWS::ApiGateway::Resource"),
            )
        })?
    };
    let verb = p
        .get("HttpMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| TemplateError::at(&format!("{at}.HttpMethod"), "is required"))?;
    let mut op = json!({"responses": {}});
    if let Some(integration) = p.get("Integration") {
        op["x-amazon-apigateway-integration"] = integration_of(integration);
    }
    for r in p
        .get("MethodResponses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let code = r
            .get("StatusCode")
            .and_then(scalar_text)
            .unwrap_or_else(|| "200".into());
        let mut response = json!({"description": format!("{code} response")});
        let headers: Map<String, Value> = r
            .get("ResponseParameters")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, _)| {
                k.strip_prefix("method.response.header.")
                    .map(|h| (h.to_string(), json!({"type": "string"})))
            })
            .collect();
        if !headers.is_empty() {
            response["headers"] = Value::Object(headers);
        }
        if let Some(model) = r
            .get("ResponseModels")
            .and_then(Value::as_object)
            .and_then(|m| m.values().next())
            .and_then(Value::as_str)
        {
            response["schema"] = json!({"$ref": format!("#/definitions/{model}")});
        }
        op["responses"][code] = response;
    }
    let mut parameters: Vec<Value> = Vec::new();
    for (name, required) in p
        .get("RequestParameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some((place, param)) = name
            .strip_prefix("method.request.")
            .and_then(|r| r.split_once('.'))
        {
            let place = match place {
                "querystring" => "query",
                "header" => "header",
                _ => "path",
            };
            parameters.push(json!({"name": param, "in": place, "required": place == "path" || required.as_bool() == Some(true), "type": "string"}));
        }
    }
    if let Some(model) = p
        .get("RequestModels")
        .and_then(Value::as_object)
        .and_then(|m| m.values().next())
        .and_then(Value::as_str)
    {
        parameters.push(json!({"in": "body", "name": model, "required": true, "schema": {"$ref": format!("#/definitions/{model}")}}));
    }
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    let mut security = Vec::new();
    match p
        .get("AuthorizationType")
        .and_then(Value::as_str)
        .unwrap_or("NONE")
    {
        "AWS_IAM" => {
            openapi::section(&mut api.doc, "securityDefinitions").expect("a mapping").insert("AWS_IAM".into(), json!({"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}));
            security.push(json!({"AWS_IAM": []}));
        }
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            let id = p
                .get("AuthorizerId")
                .and_then(|v| token(v, TOKEN))
                .ok_or_else(|| {
                    TemplateError::at(
                        &format!("{at}.AuthorizerId"),
                        "give !Ref of an AWS::ApiGateway::Authorizer",
                    )
                })?;
            let scopes = p
                .get("AuthorizationScopes")
                .cloned()
                .unwrap_or_else(|| json!([]));
            security
                .push(json!({ names.get(id).cloned().unwrap_or_else(|| id.to_string()): scopes }));
        }
        _ => {}
    }
    if p.get("ApiKeyRequired").and_then(Value::as_bool) == Some(true) {
        openapi::section(&mut api.doc, "securityDefinitions")
            .expect("a mapping")
            .insert(
                "api_key".into(),
                json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
            );
        security.push(json!({"api_key": []}));
    }
    if !security.is_empty() {
        op["security"] = Value::Array(security);
    }
    if let Some(v) = p.get("RequestValidatorId").and_then(|v| token(v, TOKEN)) {
        op["x-amazon-apigateway-request-validator"] =
            json!(names.get(v).cloned().unwrap_or_else(|| v.to_string()));
    }
    if let Some(name) = p.get("OperationName") {
        op["operationId"] = name.clone();
    }
    let paths = openapi::paths(&mut api.doc).expect("a mapping");
    let item = paths.entry(path).or_insert_with(|| json!({}));
    item[openapi::method_key(verb)] = op;
    Ok(())
}

/// A Method's `Integration` as `x-amazon-apigateway-integration`.
fn integration_of(i: &Value) -> Value {
    let mut out = json!({"type": i.get("Type").and_then(Value::as_str).unwrap_or("MOCK").to_ascii_lowercase()});
    for (from, to) in [
        ("IntegrationHttpMethod", "httpMethod"),
        ("Uri", "uri"),
        ("RequestTemplates", "requestTemplates"),
        ("RequestParameters", "requestParameters"),
        ("TimeoutInMillis", "timeoutInMillis"),
        ("ContentHandling", "contentHandling"),
        ("CacheKeyParameters", "cacheKeyParameters"),
        ("CacheNamespace", "cacheNamespace"),
        ("ConnectionType", "connectionType"),
        ("ConnectionId", "connectionId"),
        ("Credentials", "credentials"),
    ] {
        if let Some(v) = i.get(from) {
            out[to] = v.clone();
        }
    }
    if let Some(p) = i.get("PassthroughBehavior").and_then(Value::as_str) {
        out["passthroughBehavior"] = json!(p.to_ascii_lowercase());
    }
    let mut responses = Map::new();
    for r in i
        .get("IntegrationResponses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = r
            .get("SelectionPattern")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
            .to_string();
        let mut response = json!({"statusCode": r.get("StatusCode").and_then(scalar_text).unwrap_or_else(|| "200".into())});
        for (from, to) in [
            ("ResponseParameters", "responseParameters"),
            ("ResponseTemplates", "responseTemplates"),
            ("ContentHandling", "contentHandling"),
        ] {
            if let Some(v) = r.get(from) {
                response[to] = v.clone();
            }
        }
        responses.insert(key, response);
    }
    if !responses.is_empty() {
        out["responses"] = Value::Object(responses);
    }
    out
}
