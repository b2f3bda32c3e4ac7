//! An API's definitions besides its resources: models, request validators,
//! authorizers and gateway responses (`CreateModel`, `CreateAuthorizer`,
//! `PutGatewayResponse`, ...), with the ids AWS's calls use for them.
//! The model keeps them by name; ids are derived from the name, so they are
//! stable across re-imports and nodes.

mod gateway_responses;

use http::{Method as Verb, StatusCode};
use serde_json::{json, Value};

use super::patch::{segments, PatchOp};
use super::{bad_request, err, not_found, ApiError, Call, Outcome};
use crate::ids::resource_id;
use crate::model::{RequestValidator, RestApi};

pub(super) fn authorizer_id(api_id: &str, name: &str) -> String {
    resource_id(api_id, &format!("authorizer:{name}"))
}

pub(super) fn validator_id(api_id: &str, name: &str) -> String {
    resource_id(api_id, &format!("validator:{name}"))
}

/// The id of request validator `name` of `api`: the one it was made with.
pub(super) fn validator_id_in(api: &RestApi, name: &str) -> String {
    api.request_validators
        .get(name)
        .and_then(|v| v.id.clone())
        .unwrap_or_else(|| validator_id(&api.id, name))
}

fn model_id(api_id: &str, name: &str) -> String {
    resource_id(api_id, &format!("model:{name}"))
}

/// The name of the authorizer with id `id`.
pub(super) fn authorizer_name(api: &RestApi, id: &str) -> Result<String, ApiError> {
    api.authorizers
        .keys()
        .find(|n| authorizer_id(&api.id, n) == id)
        .cloned()
        .ok_or_else(|| bad_request(format!("Invalid authorizer ID specified: {id}")))
}

/// AWS's answer to a CUSTOM or COGNITO_USER_POOLS method without a valid
/// authorizer.
pub(super) fn invalid_authorizer() -> ApiError {
    bad_request("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.")
}

/// The name of the request validator with id `id`.
pub(super) fn validator_name(api: &RestApi, id: &str) -> Result<String, ApiError> {
    api.request_validators
        .keys()
        .find(|n| validator_id_in(api, n) == id)
        .cloned()
        .ok_or_else(|| bad_request("Invalid Request Validator identifier specified"))
}

fn done(status: StatusCode, body: Value, changed: bool) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        status,
        body,
        changed,
    })
}

fn conflict(message: String) -> ApiError {
    err(StatusCode::CONFLICT, "ConflictException", message)
}

fn name_of(input: &Value) -> Result<String, ApiError> {
    let name = input
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("name is required"))?;
    if name.is_empty() {
        return Err(bad_request("name must be 1 to 128 characters"));
    }
    crate::names::free_text("name", name, 128).map_err(|e| bad_request(e.to_string()))?;
    Ok(name.to_string())
}

/// Answers a call on `/restapis/{api}/{kind}/{rest...}` for the four
/// kinds this module owns; `None` for other kinds.
pub(super) fn call(
    api: &mut RestApi,
    kind: &str,
    rest: &[&str],
    call: &Call,
) -> Option<Result<Outcome, ApiError>> {
    let Call {
        verb, input, ops, ..
    } = *call;
    Some(match kind {
        "models" => models(api, verb, rest, input, ops),
        "requestvalidators" => validators(api, verb, rest, input, ops),
        "authorizers" => authorizers(api, verb, rest, input, ops),
        "gatewayresponses" => gateway_responses::call(api, verb, rest, input, ops),
        _ => return None,
    })
}

fn list(items: Vec<Value>) -> Result<Outcome, ApiError> {
    done(StatusCode::OK, json!({ "item": items }), false)
}

// ---- models ----

fn model_json(api: &RestApi, name: &str, schema: &Value) -> Value {
    let mut out = json!({
        "id": model_id(&api.id, name),
        "name": name,
        "contentType": "application/json",
        "schema": schema.to_string(),
    });
    if let Some(d) = api.model_descriptions.get(name) {
        out["description"] = json!(d);
    }
    out
}

fn models(
    api: &mut RestApi,
    verb: &Verb,
    rest: &[&str],
    input: &Value,
    ops: &[PatchOp],
) -> Result<Outcome, ApiError> {
    let missing = || not_found("Invalid model name specified");
    match (verb, rest) {
        (&Verb::GET, []) => list(
            api.models
                .iter()
                .map(|(n, s)| model_json(api, n, s))
                .collect(),
        ),
        (&Verb::POST, []) => {
            let name = input.get("name").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() {
                return Err(bad_request("Model name must be non-empty"));
            }
            let name = name.to_string();
            crate::names::model_name(&name).map_err(|e| bad_request(e.to_string()))?;
            if api.models.contains_key(&name) {
                return Err(conflict(
                    "Model name already exists for this REST API".into(),
                ));
            }
            let schema = schema_of(required_schema(input.get("schema"))?)?;
            match input.get("description").and_then(Value::as_str) {
                Some(d) if !d.is_empty() => {
                    api.model_descriptions.insert(name.clone(), d.to_string());
                }
                _ => {}
            }
            api.models.insert(name.clone(), schema);
            let body = model_json(api, &name, &api.models[&name]);
            done(StatusCode::CREATED, body, true)
        }
        (&Verb::GET, [name]) => {
            let schema = api.models.get(*name).ok_or_else(missing)?;
            done(StatusCode::OK, model_json(api, name, schema), false)
        }
        (&Verb::PATCH, [name]) => {
            api.models.get(*name).ok_or_else(missing)?;
            for op in ops {
                match (op.sets(), op.path.as_str()) {
                    (true, "/schema") => {
                        let text = json!(op.value.clone().unwrap_or_default());
                        let schema = schema_of(required_schema(Some(&text))?)?;
                        api.models.insert(name.to_string(), schema);
                    }
                    (true, "/description") => {
                        match op.value.as_deref().filter(|d| !d.is_empty()) {
                            Some(d) => api.model_descriptions.insert(name.to_string(), d.into()),
                            None => api.model_descriptions.remove(*name),
                        };
                    }
                    (false, "/description") => {
                        api.model_descriptions.remove(*name);
                    }
                    _ if op.op == "replace" => {
                        return Err(op.path_not_one_of("/description, /schema"))
                    }
                    _ => return Err(unsupported_op(op)),
                }
            }
            done(
                StatusCode::OK,
                model_json(api, name, &api.models[*name]),
                true,
            )
        }
        (&Verb::DELETE, [name]) => {
            api.models.get(*name).ok_or_else(missing)?;
            // AWS names the last method (in path order) whose request uses
            // the model, as `{path}/{METHOD}`.
            let in_request = api
                .methods()
                .filter(|(_, m)| m.request_models.values().any(|n| n == name))
                .last()
                .map(|(path, m)| ("request", path, m));
            let in_response = || {
                api.methods()
                    .filter(|(_, m)| {
                        m.method_responses
                            .values()
                            .any(|r| r.response_models.values().any(|n| n == name))
                    })
                    .last()
                    .map(|(path, m)| ("response", path, m))
            };
            if let Some((part, path, m)) = in_request.or_else(in_response) {
                return Err(conflict(format!(
                    "Cannot delete model '{name}', is referenced in method {part}: {path}/{}",
                    m.http_method
                )));
            }
            api.models.remove(*name);
            api.model_descriptions.remove(*name);
            done(StatusCode::ACCEPTED, json!({}), true)
        }
        _ => Err(not_found("Invalid model operation")),
    }
}

/// A schema that is there: AWS refuses a model without one (or with an
/// empty one) before it parses it.
fn required_schema(v: Option<&Value>) -> Result<Option<&Value>, ApiError> {
    match v {
        None | Some(Value::Null) => Err(no_schema()),
        Some(Value::String(text)) if text.trim().is_empty() => Err(no_schema()),
        some => Ok(some),
    }
}

fn no_schema() -> ApiError {
    bad_request("Model schema must have at least 1 property or array items defined")
}

/// The models CreateRestApi gives every new API, as AWS does: `Empty`
/// and `Error` with their descriptions.
pub(super) fn add_default_models(api: &mut RestApi) {
    const DRAFT4: &str = "http://json-schema.org/draft-04/schema#";
    let defaults = [
        (
            "Empty",
            json!({"$schema": DRAFT4, "title": "Empty Schema", "type": "object"}),
            "This is a default empty schema model",
        ),
        (
            "Error",
            json!({"$schema": DRAFT4, "title": "Error Schema", "type": "object",
                "properties": {"message": {"type": "string"}}}),
            "This is a default error schema model",
        ),
    ];
    for (name, schema, description) in defaults {
        api.models.insert(name.into(), schema);
        api.model_descriptions
            .insert(name.into(), description.into());
    }
}

/// A model's schema: AWS takes it as a JSON string.
fn schema_of(v: Option<&Value>) -> Result<Value, ApiError> {
    let schema = match v {
        Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
            bad_request(format!("Invalid model specified: schema is not JSON: {e}"))
        })?,
        Some(v @ Value::Object(_)) => v.clone(),
        None | Some(Value::Null) => json!({}),
        Some(_) => {
            return Err(bad_request(
                "Invalid model specified: schema must be a JSON object",
            ))
        }
    };
    if !schema.is_object() {
        return Err(bad_request(
            "Invalid model specified: schema must be a JSON object",
        ));
    }
    Ok(schema)
}

// ---- request validators ----

fn validator_json(api_id: &str, name: &str, v: &RequestValidator) -> Value {
    json!({
        "id": v.id.clone().unwrap_or_else(|| validator_id(api_id, name)),
        "name": name,
        "validateRequestBody": v.validate_request_body,
        "validateRequestParameters": v.validate_request_parameters,
    })
}

fn validators(
    api: &mut RestApi,
    verb: &Verb,
    rest: &[&str],
    input: &Value,
    ops: &[PatchOp],
) -> Result<Outcome, ApiError> {
    let flag = |key: &str| input.get(key).and_then(Value::as_bool).unwrap_or(false);
    match (verb, rest) {
        (&Verb::GET, []) => list(
            api.request_validators
                .iter()
                .map(|(n, v)| validator_json(&api.id, n, v))
                .collect(),
        ),
        (&Verb::POST, []) => {
            let name = name_of(input)?;
            if api.request_validators.contains_key(&name) {
                return Err(conflict(format!(
                    "Validator {name} already exists for this REST API"
                )));
            }
            let v = RequestValidator {
                id: None,
                validate_request_body: flag("validateRequestBody"),
                validate_request_parameters: flag("validateRequestParameters"),
            };
            let body = validator_json(&api.id, &name, &v);
            api.request_validators.insert(name, v);
            done(StatusCode::CREATED, body, true)
        }
        (verb, [id]) => {
            let name = validator_name(api, id)
                .map_err(|_| not_found("Invalid Request Validator identifier specified"))?;
            match *verb {
                Verb::GET => done(
                    StatusCode::OK,
                    validator_json(&api.id, &name, &api.request_validators[&name]),
                    false,
                ),
                Verb::PATCH => {
                    let mut v = api.request_validators[&name].clone();
                    let mut new_name = name.clone();
                    for op in ops {
                        patch_validator(&mut v, &mut new_name, op)?;
                    }
                    if new_name != name {
                        rename_validator(api, &name, &new_name, &mut v)?;
                    }
                    let body = validator_json(&api.id, &new_name, &v);
                    api.request_validators.insert(new_name, v);
                    done(StatusCode::OK, body, true)
                }
                Verb::DELETE => {
                    let in_use = api
                        .methods()
                        .any(|(_, m)| m.request_validator.as_deref() == Some(name.as_str()))
                        || api.default_request_validator.as_deref() == Some(name.as_str());
                    if in_use {
                        return Err(conflict(format!("Request validator {name} is in use")));
                    }
                    api.request_validators.remove(&name);
                    done(StatusCode::ACCEPTED, json!({}), true)
                }
                _ => Err(not_found("Invalid request validator operation")),
            }
        }
        _ => Err(not_found("Invalid request validator operation")),
    }
}

/// Renames validator `old` to `new` (keeping its id), and the methods and
/// default that name it.
fn rename_validator(
    api: &mut RestApi,
    old: &str,
    new: &str,
    v: &mut RequestValidator,
) -> Result<(), ApiError> {
    if new.is_empty() || api.request_validators.contains_key(new) {
        return Err(bad_request(format!("Invalid validator name {new}")));
    }
    v.id = Some(validator_id_in(api, old));
    api.request_validators.remove(old);
    for resource in api.resources.values_mut() {
        for m in resource.methods.values_mut() {
            if m.request_validator.as_deref() == Some(old) {
                m.request_validator = Some(new.to_string());
            }
        }
    }
    if api.default_request_validator.as_deref() == Some(old) {
        api.default_request_validator = Some(new.to_string());
    }
    Ok(())
}

// ---- authorizers ----

/// Fields an authorizer keeps in its stored (OpenAPI extension) form.
const AUTHORIZER_FIELDS: &[&str] = &[
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
    "authType",
];

fn authorizer_json(api_id: &str, name: &str, stored: &Value) -> Value {
    let mut out = json!({
        "id": authorizer_id(api_id, name),
        "name": name,
        "type": stored.get("type").and_then(Value::as_str).unwrap_or("token").to_ascii_uppercase(),
    });
    for field in AUTHORIZER_FIELDS {
        if let Some(v) = stored.get(*field) {
            out[*field] = v.clone();
        }
    }
    if out.get("authType").is_none() {
        // AWS names a Lambda authorizer's kind `custom` and a user pool's
        // `cognito_user_pools` when the caller gave none.
        let kind = match out["type"].as_str() {
            Some("COGNITO_USER_POOLS") => "cognito_user_pools",
            _ => "custom",
        };
        out["authType"] = json!(kind);
    }
    out
}

/// An authorizer from `CreateAuthorizer`'s body, in the stored form.
fn authorizer_from(input: &Value) -> Result<Value, ApiError> {
    let kind = input
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .ok_or_else(|| bad_request("type is required"))?;
    let mut stored = json!({ "type": kind.to_ascii_lowercase() });
    for field in AUTHORIZER_FIELDS {
        if let Some(v) = input.get(*field).filter(|v| !v.is_null()) {
            stored[*field] = v.clone();
        }
    }
    check_authorizer(&stored)?;
    Ok(stored)
}

fn check_authorizer(stored: &Value) -> Result<(), ApiError> {
    let has = |f: &str| stored.get(f).is_some_and(|v| !v.is_null());
    match stored.get("type").and_then(Value::as_str) {
        Some("token" | "request") if !has("authorizerUri") => Err(bad_request(
            "authorizerUri is required for a TOKEN or REQUEST authorizer",
        )),
        Some("token") if !has("identitySource") => Err(bad_request(
            "identitySource is required for a TOKEN authorizer",
        )),
        Some("cognito_user_pools") if !has("providerARNs") => Err(bad_request(
            "providerARNs is required for a COGNITO_USER_POOLS authorizer",
        )),
        Some("token" | "request" | "cognito_user_pools") => {
            match stored.get("authorizerResultTtlInSeconds") {
                Some(ttl) if ttl.as_u64().is_none_or(|t| t > 3600) => Err(bad_request(
                    "authorizerResultTtlInSeconds must be between 0 and 3600",
                )),
                _ => Ok(()),
            }
        }
        _ => Err(bad_request(
            "type must be TOKEN, REQUEST or COGNITO_USER_POOLS",
        )),
    }
}

fn authorizers(
    api: &mut RestApi,
    verb: &Verb,
    rest: &[&str],
    input: &Value,
    ops: &[PatchOp],
) -> Result<Outcome, ApiError> {
    match (verb, rest) {
        (&Verb::GET, []) => list(
            api.authorizers
                .iter()
                .map(|(n, a)| authorizer_json(&api.id, n, a))
                .collect(),
        ),
        (&Verb::POST, []) => {
            let name = name_of(input)?;
            if api.authorizers.contains_key(&name) {
                return Err(conflict(format!(
                    "Authorizer {name} already exists for this REST API"
                )));
            }
            let stored = authorizer_from(input)?;
            let body = authorizer_json(&api.id, &name, &stored);
            api.authorizers.insert(name, stored);
            done(StatusCode::CREATED, body, true)
        }
        (verb, [id]) => {
            let name = authorizer_name(api, id)
                .map_err(|_| not_found("Invalid Authorizer identifier specified"))?;
            match *verb {
                Verb::GET => done(
                    StatusCode::OK,
                    authorizer_json(&api.id, &name, &api.authorizers[&name]),
                    false,
                ),
                Verb::PATCH => {
                    let mut stored = api.authorizers[&name].clone();
                    for op in ops {
                        let parts = segments(&op.path);
                        match parts.as_slice() {
                            [f] if AUTHORIZER_FIELDS.contains(&f.as_str())
                                && f != "providerARNs" =>
                            {
                                if !op.sets() {
                                    stored.as_object_mut().map(|m| m.remove(f.as_str()));
                                } else if f == "authorizerResultTtlInSeconds" {
                                    stored[f.as_str()] = json!(op.number::<u64>()?);
                                } else {
                                    stored[f.as_str()] = json!(op.value()?);
                                }
                            }
                            [f] if f == "type" && op.sets() => {
                                stored["type"] = json!(op.value()?.to_ascii_lowercase());
                            }
                            _ => return Err(op.unsupported()),
                        }
                    }
                    check_authorizer(&stored)?;
                    let body = authorizer_json(&api.id, &name, &stored);
                    api.authorizers.insert(name, stored);
                    done(StatusCode::OK, body, true)
                }
                Verb::DELETE => {
                    if let Some((path, m)) = api
                        .methods()
                        .find(|(_, m)| m.authorizer.as_deref() == Some(name.as_str()))
                    {
                        return Err(conflict(format!(
                            "Cannot delete authorizer '{name}', is referenced in method: {} {path}",
                            m.http_method
                        )));
                    }
                    api.authorizers.remove(&name);
                    done(StatusCode::ACCEPTED, json!({}), true)
                }
                _ => Err(not_found("Invalid authorizer operation")),
            }
        }
        _ => Err(not_found("Invalid authorizer operation")),
    }
}

/// One `UpdateRequestValidator` operation: `replace` only; a flag
/// without a value is false, a name must not be blank.
fn patch_validator(
    v: &mut RequestValidator,
    name: &mut String,
    op: &PatchOp,
) -> Result<(), ApiError> {
    const PATHS: &str = "/name, /validateRequestParameters, /validateRequestBody";
    let known = PATHS.split(", ").any(|p| p == op.path);
    match (op.op.as_str(), known) {
        ("replace", true) => {}
        ("replace", false) => return Err(op.path_not_one_of(PATHS)),
        _ => return Err(unsupported_op(op)),
    }
    let flag = op.value.as_deref() == Some("true");
    match op.path.as_str() {
        "/name" => match op.value.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => *name = n.to_string(),
            _ => return Err(bad_request("Request Validator name cannot be blank")),
        },
        "/validateRequestBody" => v.validate_request_body = flag,
        _ => v.validate_request_parameters = flag,
    }
    Ok(())
}

/// AWS's refusal of a model or validator patch it does not take (its
/// message has the doubled space).
fn unsupported_op(op: &PatchOp) -> ApiError {
    bad_request(format!(
        "Invalid patch path  '{}' specified for op '{}'. Please choose supported operations",
        op.path, op.op
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GatewayResponseType;

    fn api() -> RestApi {
        crate::import::test_api(
            r#"{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "mock"}}}}}"#,
        )
    }

    fn run(
        api: &mut RestApi,
        verb: Verb,
        kind: &str,
        rest: &[&str],
        input: Value,
    ) -> Result<Outcome, ApiError> {
        let c = Call {
            verb: &verb,
            input: &input,
            ops: &[],
            max_timeout_ms: 29_000,
        };
        call(api, kind, rest, &c).expect("a kind of this module")
    }

    #[test]
    fn models_validators_and_authorizers_are_kept_by_name_with_stable_ids() {
        let mut api = api();
        let model = run(
            &mut api,
            Verb::POST,
            "models",
            &[],
            json!({"name": "Pet", "schema": "{\"type\": \"object\"}"}),
        )
        .expect("model");
        assert_eq!(model.status, StatusCode::CREATED);
        assert_eq!(api.models["Pet"], json!({"type": "object"}));
        assert!(run(
            &mut api,
            Verb::POST,
            "models",
            &[],
            json!({"name": "Bad", "schema": "{"})
        )
        .is_err());
        assert!(
            run(&mut api, Verb::POST, "models", &[], json!({"name": "Pet"})).is_err(),
            "a second Pet"
        );

        let v = run(
            &mut api,
            Verb::POST,
            "requestvalidators",
            &[],
            json!({"name": "body", "validateRequestBody": true}),
        )
        .expect("validator");
        let vid = v.body["id"].as_str().expect("id").to_string();
        assert_eq!(validator_name(&api, &vid).ok().as_deref(), Some("body"));

        assert!(run(
            &mut api,
            Verb::POST,
            "authorizers",
            &[],
            json!({"name": "a", "type": "TOKEN"})
        )
        .is_err());
        let a = run(&mut api, Verb::POST, "authorizers", &[], json!({
            "name": "tok", "type": "TOKEN", "authorizerUri": "arn:aws:lambda:local:function:auth",
            "identitySource": "method.request.header.Authorization", "authorizerResultTtlInSeconds": 60}))
            .expect("authorizer");
        assert_eq!(a.body["type"], "TOKEN");
        assert_eq!(api.authorizers["tok"]["type"], "token");
        let aid = a.body["id"].as_str().expect("id").to_string();
        assert_eq!(authorizer_name(&api, &aid).ok().as_deref(), Some("tok"));

        // In use: refused; once unused: deleted.
        if let Some(m) = api
            .resources
            .get_mut("/")
            .and_then(|r| r.methods.get_mut("GET"))
        {
            m.authorizer = Some("tok".into());
            m.authorization_type = "CUSTOM".into();
        }
        let in_use = run(&mut api, Verb::DELETE, "authorizers", &[&aid], json!({}));
        assert_eq!(in_use.err().map(|e| e.kind), Some("ConflictException"));
        if let Some(m) = api
            .resources
            .get_mut("/")
            .and_then(|r| r.methods.get_mut("GET"))
        {
            m.authorizer = None;
        }
        run(&mut api, Verb::DELETE, "authorizers", &[&aid], json!({})).expect("deleted");
        assert!(api.authorizers.is_empty());
    }

    #[test]
    fn gateway_responses_list_every_type_with_its_default() {
        let mut api = api();
        let all = run(&mut api, Verb::GET, "gatewayresponses", &[], json!({})).expect("list");
        let items = all.body["item"].as_array().expect("items");
        assert_eq!(items.len(), GatewayResponseType::ALL.len());
        let put = run(
            &mut api,
            Verb::PUT,
            "gatewayresponses",
            &["DEFAULT_4XX"],
            json!({
            "statusCode": "418", "responseTemplates": {"application/json": "{\"teapot\": true}"}}),
        )
        .expect("put");
        assert_eq!(put.body["defaultResponse"], false);
        assert_eq!(
            api.gateway_responses[&GatewayResponseType::Default4xx].status_code,
            Some(418)
        );
        assert!(run(
            &mut api,
            Verb::PUT,
            "gatewayresponses",
            &["NOT_A_TYPE"],
            json!({})
        )
        .is_err());
        let missing = run(
            &mut api,
            Verb::GET,
            "gatewayresponses",
            &["MISSING_AUTHENTICATION_TOKEN"],
            json!({}),
        )
        .expect("get");
        // As AWS lists them: a type not customised shows its family's
        // customisation, still marked default.
        assert_eq!(missing.body["statusCode"], "418");
        assert_eq!(missing.body["defaultResponse"], true);
        assert_eq!(
            missing.body["responseTemplates"]["application/json"],
            "{\"teapot\": true}"
        );
    }
}
