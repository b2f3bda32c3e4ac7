//! Resources, methods, method responses, integrations and integration
//! responses one by one (`CreateResource`, `PutMethod`, `PutIntegration`,
//! ...): each call edits the stored API, which is served once deployed.
//! Integrations are read by the importer, so a call refuses what an import
//! would refuse, with the same messages.

mod integration_responses;
mod method_patch;
mod update;

use std::collections::BTreeMap;

use http::{Method as Verb, StatusCode};
use serde_json::{json, Value};

use super::definitions::{
    authorizer_id, authorizer_name, invalid_authorizer, validator_id_in, validator_name,
};
use super::patch::{segments, PatchOp};
use super::{bad_request, err, not_found, ApiError, Call, Outcome};
use crate::ids::resource_id;
use crate::model::{
    Integration, IntegrationResponse, IntegrationType, Method, MethodResponse, Resource, RestApi,
};
use integration_responses::{patch_integration_response, put_integration_response};
use method_patch::{
    check_method_parameters, finish_authorization, missing_below_method, patch_method,
};

/// The verbs a method may have.
const VERBS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

fn read(body: Value) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        status: StatusCode::OK,
        body,
        changed: false,
    })
}

fn wrote(status: StatusCode, body: Value) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        status,
        body,
        changed: true,
    })
}

/// Answers a call on `/restapis/{api}/resources/{rest...}`, editing `api`
/// in place when the call writes.
pub(super) fn call(api: &mut RestApi, rest: &[&str], call: &Call) -> Result<Outcome, ApiError> {
    let Call {
        verb, input, ops, ..
    } = *call;
    let path = path_of(api, rest[0])?;
    match (verb, &rest[1..]) {
        (&Verb::GET, []) => read(resource_json(api, &api.resources[&path], true)),
        (&Verb::POST, []) => create_child(api, &path, input),
        (&Verb::DELETE, []) => delete_resource(api, &path),
        (&Verb::PATCH, []) => {
            let path = update::update(api, &path, ops)?;
            wrote(
                StatusCode::OK,
                resource_json(api, &api.resources[&path], false),
            )
        }
        (_, ["methods", m, tail @ ..]) => {
            let m = m.to_ascii_uppercase();
            if !VERBS.contains(&m.as_str()) && !tail.is_empty() {
                // Below a method AWS looks the verb up rather than check it.
                return Err(not_found(missing_below_method(verb, tail)));
            }
            if !VERBS.contains(&m.as_str()) {
                return Err(bad_request(
                    "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY",
                ));
            }
            method_call(api, &path, &m, tail, call)
        }
        _ => Err(not_found("Invalid Resource identifier specified")),
    }
}

fn method_call(
    api: &mut RestApi,
    path: &str,
    m: &str,
    tail: &[&str],
    call: &Call,
) -> Result<Outcome, ApiError> {
    let Call {
        verb, input, ops, ..
    } = *call;
    if !matches!((verb, tail), (&Verb::PUT, [])) {
        // Everything but PutMethod needs the method.
        method(api, path, m).map_err(|_| not_found(missing_below_method(verb, tail)))?;
    }
    match (verb, tail) {
        (&Verb::GET, []) => read(method_json(api, path, method(api, path, m)?)),
        (&Verb::PUT, []) => put_method(api, path, m, input),
        (&Verb::PATCH, []) => {
            let mut updated = method(api, path, m)?.clone();
            let mut authorizer = None;
            for op in ops {
                patch_method(api, &mut updated, op, &mut authorizer)?;
            }
            finish_authorization(api, &mut updated, authorizer)?;
            let body = method_json(api, path, &updated);
            set_method(api, path, updated);
            wrote(StatusCode::OK, body)
        }
        (&Verb::DELETE, []) => {
            if let Some(r) = api.resources.get_mut(path) {
                r.methods.remove(m);
            }
            wrote(StatusCode::NO_CONTENT, json!({}))
        }
        (verb, ["responses", code]) => {
            let code = status_code(code)?;
            let mut updated = method(api, path, m)?.clone();
            let out = match *verb {
                Verb::GET => {
                    let r = updated
                        .method_responses
                        .get(&code)
                        .ok_or_else(|| not_found("Invalid Response status code specified"))?;
                    return read(method_response_json(&code, r));
                }
                Verb::PUT => {
                    let response = MethodResponse {
                        response_parameters: bool_map(input.get("responseParameters"))?,
                        response_models: string_map(input.get("responseModels"))?,
                        given_empty: given_empty(input, &["responseParameters", "responseModels"]),
                    };
                    let body = method_response_json(&code, &response);
                    updated.method_responses.insert(code, response);
                    (StatusCode::CREATED, body)
                }
                Verb::DELETE => {
                    updated
                        .method_responses
                        .remove(&code)
                        .ok_or_else(|| not_found("Invalid Response status code specified"))?;
                    (StatusCode::NO_CONTENT, json!({}))
                }
                Verb::PATCH => {
                    let response = updated
                        .method_responses
                        .get_mut(&code)
                        .ok_or_else(|| not_found("Invalid Response status code specified"))?;
                    for op in ops {
                        patch_method_response(api, response, op)?;
                    }
                    // AWS answers an UpdateMethodResponse with 201.
                    (StatusCode::CREATED, method_response_json(&code, response))
                }
                _ => return Err(not_found("Invalid method for a method response")),
            };
            set_method(api, path, updated);
            wrote(out.0, out.1)
        }
        (_, ["integration", tail @ ..]) => integration_call(api, path, m, tail, call),
        _ => Err(not_found("Invalid Method identifier specified")),
    }
}

fn integration_call(
    api: &mut RestApi,
    path: &str,
    m: &str,
    tail: &[&str],
    call: &Call,
) -> Result<Outcome, ApiError> {
    let Call {
        verb,
        input,
        ops,
        max_timeout_ms,
    } = *call;
    let mut updated = method(api, path, m)?.clone();
    let no_integration = || not_found("Invalid Integration identifier specified");
    let out = match (verb, tail) {
        (&Verb::GET, []) => {
            return read(integration_json(
                api,
                path,
                updated.integration.as_ref().ok_or_else(no_integration)?,
            ))
        }
        (&Verb::PUT, []) => {
            check_serializable(input)?;
            check_integration_input(input)?;
            let mut integration = crate::import::integration(input, max_timeout_ms)
                .map_err(|e| bad_request(e.to_string()))?;
            // A new integration keeps no responses of the old one (as AWS).
            integration.integration_responses.clear();
            let body = integration_json(api, path, &integration);
            updated.integration = Some(integration);
            (StatusCode::CREATED, body)
        }
        (&Verb::PATCH, []) => {
            let current = updated.integration.clone().ok_or_else(no_integration)?;
            let patched = patch_integration(current, ops, max_timeout_ms)?;
            let body = integration_json(api, path, &patched);
            updated.integration = Some(patched);
            (StatusCode::OK, body)
        }
        (&Verb::DELETE, []) => {
            updated.integration.take().ok_or_else(no_integration)?;
            (StatusCode::NO_CONTENT, json!({}))
        }
        (verb, ["responses", code]) => {
            let code = status_code(code)?;
            let integration = updated.integration.as_mut().ok_or_else(no_integration)?;
            let missing = || not_found("Invalid Response status code specified");
            match *verb {
                Verb::GET => {
                    let r = integration
                        .integration_responses
                        .get(&code)
                        .ok_or_else(missing)?;
                    return read(integration_response_json(r));
                }
                Verb::PUT => {
                    let mut response = put_integration_response(&code, input)?;
                    response.given_empty =
                        given_empty(input, &["responseParameters", "responseTemplates"]);
                    let body = integration_response_json(&response);
                    integration.integration_responses.insert(code, response);
                    (StatusCode::CREATED, body)
                }
                Verb::DELETE => {
                    integration
                        .integration_responses
                        .remove(&code)
                        .ok_or_else(missing)?;
                    (StatusCode::NO_CONTENT, json!({}))
                }
                Verb::PATCH => {
                    let response = integration
                        .integration_responses
                        .get_mut(&code)
                        .ok_or_else(missing)?;
                    for op in ops {
                        patch_integration_response(response, op)?;
                    }
                    (StatusCode::OK, integration_response_json(response))
                }
                _ => return Err(not_found("Invalid method for an integration response")),
            }
        }
        _ => return Err(not_found("Invalid Integration identifier specified")),
    };
    set_method(api, path, updated);
    wrote(out.0, out.1)
}

/// AWS's deserialiser refuses a `requestParameters` value that is not a
/// string before anything else is checked.
fn check_serializable(input: &Value) -> Result<(), ApiError> {
    let values = input
        .get("requestParameters")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values());
    for v in values {
        let class = match v {
            Value::String(_) | Value::Null => continue,
            Value::Bool(_) => "java.lang.Boolean",
            Value::Number(_) => "java.lang.Integer",
            Value::Array(_) => "java.util.ArrayList",
            Value::Object(_) => "java.util.LinkedHashMap",
        };
        return Err(err(
            StatusCode::BAD_REQUEST,
            "SerializationException",
            format!("class {class} can not be converted to an String"),
        ));
    }
    Ok(())
}

/// `PutIntegration`'s checks that AWS words its own way (before the
/// importer's): the backend verb, an HTTP URL, an AWS service ARN with a
/// `path` or `action`, and AWS_PROXY only toward Lambda functions (or
/// Firehose actions).
fn check_integration_input(input: &Value) -> Result<(), ApiError> {
    let text = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or("");
    let kind = text("type").to_ascii_uppercase();
    let uri = text("uri");
    if matches!(kind.as_str(), "HTTP" | "HTTP_PROXY" | "AWS") && text("httpMethod").is_empty() {
        return Err(bad_request(
            "Enumeration value for HttpMethod must be non-empty",
        ));
    }
    match kind.as_str() {
        "HTTP" | "HTTP_PROXY" if !uri.is_empty() && !uri.contains("${") => {
            let valid = uri.parse::<http::Uri>().ok().is_some_and(|u| {
                matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
            });
            if !valid {
                return Err(bad_request("Invalid HTTP endpoint specified for URI"));
            }
        }
        "AWS" | "AWS_PROXY" if !uri.is_empty() => {
            let parts: Vec<&str> = uri.splitn(6, ':').collect();
            if parts.len() < 6 || parts[0] != "arn" {
                return Err(bad_request("Invalid ARN specified in the request"));
            }
            let (service, action) = (parts[4], parts[5]);
            if parts[2] != "apigateway"
                || !(action.starts_with("path/") || action.starts_with("action/"))
            {
                return Err(bad_request(
                    "AWS ARN for integration must contain path or action",
                ));
            }
            let lambda = service == "lambda" && action.starts_with("path/2015-03-31/functions/");
            let firehose = service == "firehose" && action.starts_with("action/");
            if kind == "AWS_PROXY" && !lambda && !firehose {
                return Err(bad_request(
                    "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The path of the resource with id `rid`.
pub(super) fn path_of(api: &RestApi, rid: &str) -> Result<String, ApiError> {
    api.resources
        .keys()
        .find(|p| api.resource_id(p) == rid)
        .cloned()
        .ok_or_else(|| not_found("Invalid Resource identifier specified"))
}

fn method<'a>(api: &'a RestApi, path: &str, m: &str) -> Result<&'a Method, ApiError> {
    api.resources
        .get(path)
        .and_then(|r| r.methods.get(m))
        .ok_or_else(|| not_found("Invalid Method identifier specified"))
}

fn set_method(api: &mut RestApi, path: &str, m: Method) {
    if let Some(r) = api.resources.get_mut(path) {
        r.methods.insert(m.http_method.clone(), m);
    }
}

fn status_code(code: &str) -> Result<String, ApiError> {
    match code.parse::<u16>() {
        Ok(n) if (100..=599).contains(&n) => Ok(n.to_string()),
        _ => Err(bad_request(format!("Invalid status code {code}"))),
    }
}

/// `CreateResource`: a child `pathPart` under the resource at `parent`.
fn create_child(api: &mut RestApi, parent: &str, input: &Value) -> Result<Outcome, ApiError> {
    let part = input
        .get("pathPart")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("pathPart is required"))?;
    check_path_part(part)?;
    if parent.contains('+') {
        let greedy = parent.rsplit('/').next().unwrap_or(parent);
        return Err(bad_request(format!(
            "Cannot create a child of a resource with a greedy path variable: {greedy}"
        )));
    }
    let path = if parent == "/" {
        format!("/{part}")
    } else {
        format!("{parent}/{part}")
    };
    if api.resources.contains_key(&path) {
        return Err(err(
            StatusCode::CONFLICT,
            "ConflictException",
            "Another resource with the same parent already has this name",
        ));
    }
    let is_variable = |p: &str| p.starts_with('{');
    let sibling_variable = api.resources.keys().find_map(|other| {
        other.rsplit_once('/').and_then(|(dir, last)| {
            ((if dir.is_empty() { "/" } else { dir }) == parent
                && is_variable(last)
                && is_variable(part)
                && last != part)
                .then_some(last)
        })
    });
    if let Some(sibling) = sibling_variable {
        return Err(bad_request(format!(
            "A sibling ({sibling}) of this resource already has a variable path part -- only one is allowed"
        )));
    }
    // A moved resource may hold the id this path derives to.
    let derived = resource_id(&api.id, &path);
    if api.resource_ids.values().any(|id| *id == derived) {
        let fresh = (1..=1000)
            .map(|n| resource_id(&api.id, &format!("{path}#{n}")))
            .find(|id| !api.resource_ids.values().any(|taken| taken == id))
            .unwrap_or(derived);
        api.resource_ids.insert(path.clone(), fresh);
    }
    let resource = Resource {
        path: path.clone(),
        methods: BTreeMap::new(),
    };
    let body = resource_json(api, &resource, false);
    api.resources.insert(path, resource);
    wrote(StatusCode::CREATED, body)
}

/// A path part as AWS takes it: letters, digits, `-._~:@!$&'()*+,;=` and
/// `{name}` / `{name+}` variables.
pub(super) fn check_path_part(part: &str) -> Result<(), ApiError> {
    crate::names::path_part(part).map_err(|e| bad_request(e.to_string()))
}

/// `DeleteResource`: the resource and everything under it; never the root.
fn delete_resource(api: &mut RestApi, path: &str) -> Result<Outcome, ApiError> {
    if path == "/" {
        return Err(bad_request("Cannot delete the root resource"));
    }
    let prefix = format!("{path}/");
    api.resources
        .retain(|p, _| p != path && !p.starts_with(&prefix));
    api.resource_ids
        .retain(|p, _| p != path && !p.starts_with(&prefix));
    wrote(StatusCode::ACCEPTED, json!({}))
}

/// `PutMethod`: a new method (an existing one is a conflict, as on AWS).
fn put_method(api: &mut RestApi, path: &str, m: &str, input: &Value) -> Result<Outcome, ApiError> {
    if method(api, path, m).is_ok() {
        return Err(err(
            StatusCode::CONFLICT,
            "ConflictException",
            "Method already exists for this resource",
        ));
    }
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_string);
    let authorization_type = text("authorizationType")
        .ok_or_else(|| bad_request("authorizationType is required"))?
        .to_ascii_uppercase();
    let mut new = Method {
        http_method: m.to_string(),
        authorization_type: String::new(),
        authorizer: None,
        authorization_scopes: match input.get("authorizationScopes") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        },
        api_key_required: input
            .get("apiKeyRequired")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        operation_name: text("operationName"),
        parameter_order: Vec::new(),
        request_parameters: bool_map(input.get("requestParameters"))?,
        request_models: string_map(input.get("requestModels"))?,
        request_validator: None,
        method_responses: BTreeMap::new(),
        integration: None,
    };
    check_method_parameters(&new.request_parameters)?;
    set_authorization(api, &mut new, &authorization_type, text("authorizerId"))?;
    if let Some(v) = text("requestValidatorId") {
        new.request_validator = Some(validator_name(api, &v)?);
    }
    check_models(api, &new.request_models)?;
    let body = method_json(api, path, &new);
    set_method(api, path, new);
    wrote(StatusCode::CREATED, body)
}

fn set_authorization(
    api: &RestApi,
    m: &mut Method,
    kind: &str,
    authorizer: Option<String>,
) -> Result<(), ApiError> {
    match kind {
        "NONE" | "AWS_IAM" => m.authorizer = None,
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            let id = authorizer
                .or_else(|| m.authorizer.as_ref().map(|n| authorizer_id(&api.id, n)))
                .ok_or_else(invalid_authorizer)?;
            m.authorizer = Some(authorizer_name(api, &id).map_err(|_| invalid_authorizer())?);
        }
        other => {
            return Err(bad_request(format!(
                "Invalid authorization type {other}: NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS"
            )))
        }
    }
    m.authorization_type = kind.to_string();
    Ok(())
}

fn check_models(api: &RestApi, models: &BTreeMap<String, String>) -> Result<(), ApiError> {
    for model in models.values() {
        if !api.models.contains_key(model) && model != "Empty" && model != "Error" {
            return Err(bad_request(format!(
                "Invalid model identifier specified: {model}"
            )));
        }
    }
    Ok(())
}

/// `UpdateMethodResponse`'s paths, with AWS's messages: a parameter or
/// model is added with `add`; `replace` and `remove` need it to exist.
fn patch_method_response(
    api: &RestApi,
    r: &mut MethodResponse,
    op: &PatchOp,
) -> Result<(), ApiError> {
    let parts = segments(&op.path);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let no_parameter = || not_found("Invalid parameter name specified");
    let no_content_type = || not_found("Content-Type specified was not found");
    match (op.op.as_str(), parts.as_slice()) {
        (kind @ ("add" | "replace"), ["responseParameters", name]) => {
            if kind == "replace" && !r.response_parameters.contains_key(*name) {
                return Err(no_parameter());
            }
            let required = op.value.as_deref() == Some("true");
            r.response_parameters.insert(name.to_string(), required);
        }
        ("remove", ["responseParameters", name]) => {
            r.response_parameters
                .remove(*name)
                .ok_or_else(no_parameter)?;
        }
        (kind @ ("add" | "replace"), ["responseModels", content_type]) => {
            if kind == "replace" && !r.response_models.contains_key(*content_type) {
                return Err(no_content_type());
            }
            let model = op.value()?.to_string();
            check_models(api, &BTreeMap::from([(String::new(), model.clone())]))?;
            r.response_models.insert(content_type.to_string(), model);
        }
        ("remove", ["responseModels", content_type]) => {
            r.response_models
                .remove(*content_type)
                .ok_or_else(no_content_type)?;
        }
        _ => return Err(bad_request(format!("Invalid patch path {}", op.path))),
    }
    Ok(())
}

/// `UpdateIntegration`'s paths, checked again as a whole afterwards.
fn patch_integration(
    current: Integration,
    ops: &[PatchOp],
    max_timeout_ms: u64,
) -> Result<Integration, ApiError> {
    let responses = current.integration_responses.clone();
    let mut v = serde_json::to_value(&current).unwrap_or_default();
    for op in ops {
        let parts = segments(&op.path);
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let field = match parts.as_slice() {
            [f] if [
                "uri",
                "httpMethod",
                "connectionType",
                "connectionId",
                "credentials",
                "passthroughBehavior",
                "contentHandling",
                "cacheNamespace",
                "type",
            ]
            .contains(f) =>
            {
                *f
            }
            ["timeoutInMillis"] => {
                v["timeoutInMillis"] = json!(op.number::<u64>()?);
                continue;
            }
            [map @ ("requestParameters" | "requestTemplates"), key] => {
                if op.sets() {
                    v[*map][*key] = json!(op.value()?);
                } else if let Some(m) = v[*map].as_object_mut() {
                    m.remove(*key);
                }
                continue;
            }
            ["tlsConfig", "insecureSkipVerification"] => {
                let skip = op.sets() && op.value()? == "true";
                v["tlsConfig"] = json!({ "insecureSkipVerification": skip });
                continue;
            }
            ["cacheKeyParameters", key] => {
                let list = v["cacheKeyParameters"].as_array_mut();
                if let Some(list) = list {
                    list.retain(|k| k.as_str() != Some(*key));
                    if op.sets() {
                        list.push(json!(key));
                    }
                }
                continue;
            }
            _ => return Err(op.unsupported()),
        };
        if op.sets() {
            v[field] = json!(op.value()?);
        } else if let Some(m) = v.as_object_mut() {
            m.remove(field);
        }
    }
    if let Some(m) = v.as_object_mut() {
        m.remove("integrationResponses");
    }
    let mut patched =
        crate::import::integration(&v, max_timeout_ms).map_err(|e| bad_request(e.to_string()))?;
    patched.integration_responses = responses;
    Ok(patched)
}

fn bool_map(v: Option<&Value>) -> Result<BTreeMap<String, bool>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let map = v
        .as_object()
        .ok_or_else(|| bad_request("requestParameters must map names to booleans"))?;
    map.iter()
        .map(|(k, v)| match v {
            Value::Bool(b) => Ok((k.clone(), *b)),
            _ => Err(bad_request(format!("{k} must be true or false"))),
        })
        .collect()
}

fn string_map(v: Option<&Value>) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let map = v
        .as_object()
        .ok_or_else(|| bad_request("expected a map of strings"))?;
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(bad_request(format!("{k} must be a string"))),
        })
        .collect()
}

/// A resource in `GetResource(s)`'s shape.
pub(super) fn resource_json(api: &RestApi, r: &Resource, embed_methods: bool) -> Value {
    let methods: serde_json::Map<String, Value> = r
        .methods
        .values()
        .map(|m| {
            // Without `embed=methods` AWS names the methods only.
            let body = if embed_methods {
                method_json(api, &r.path, m)
            } else {
                json!({})
            };
            (m.http_method.clone(), body)
        })
        .collect();
    let mut out = json!({"id": api.resource_id(&r.path), "path": r.path});
    if r.path != "/" {
        let (parent, part) = r.path.rsplit_once('/').unwrap_or(("", &r.path));
        let parent = if parent.is_empty() { "/" } else { parent };
        out["parentId"] = json!(api.resource_id(parent));
        out["pathPart"] = json!(part);
    }
    if !methods.is_empty() {
        out["resourceMethods"] = Value::Object(methods);
    }
    out
}

/// A method (of the resource at `path`) in `GetMethod`'s shape: empty
/// maps left out, as AWS leaves them out.
pub(super) fn method_json(api: &RestApi, path: &str, m: &Method) -> Value {
    let mut out = json!({
        "httpMethod": m.http_method,
        "authorizationType": m.authorization_type,
        "apiKeyRequired": m.api_key_required,
        "requestParameters": m.request_parameters,
        "requestModels": m.request_models,
        "methodResponses": m.method_responses.iter()
            .map(|(code, r)| (code.clone(), method_response_json(code, r)))
            .collect::<serde_json::Map<String, Value>>(),
    });
    if let Some(a) = &m.authorizer {
        out["authorizerId"] = json!(authorizer_id(&api.id, a));
    }
    if let Some(v) = &m.request_validator {
        out["requestValidatorId"] = json!(validator_id_in(api, v));
    }
    if let Some(o) = &m.operation_name {
        out["operationName"] = json!(o);
    }
    if !m.authorization_scopes.is_empty() {
        out["authorizationScopes"] = json!(m.authorization_scopes);
    }
    if let Some(i) = &m.integration {
        out["methodIntegration"] = integration_json(api, path, i);
    }
    drop_empty(
        &mut out,
        &["requestParameters", "requestModels", "methodResponses"],
    );
    out
}

fn method_response_json(code: &str, r: &MethodResponse) -> Value {
    let mut out = json!({
        "statusCode": code,
        "responseParameters": r.response_parameters,
        "responseModels": r.response_models,
    });
    drop_empty(&mut out, &["responseParameters", "responseModels"]);
    keep_given_empty(&mut out, &r.given_empty);
    out
}

/// An integration (of the resource at `path`) in `GetIntegration`'s shape
/// (our model keeps AWS's field names). As AWS: empty maps left out, the
/// cache namespace defaults to the resource id, and an HTTP integration
/// without a connection type is `INTERNET`.
pub(super) fn integration_json(api: &RestApi, path: &str, i: &Integration) -> Value {
    let mut out = serde_json::to_value(i).unwrap_or_default();
    if i.cache_namespace.is_none() {
        out["cacheNamespace"] = json!(api.resource_id(path));
    }
    if i.connection_type.is_none()
        && matches!(i.kind, IntegrationType::Http | IntegrationType::HttpProxy)
    {
        out["connectionType"] = json!("INTERNET");
    }
    if i.kind == IntegrationType::Mock {
        // AWS answers a MOCK integration without a backend verb or URI.
        if let Some(map) = out.as_object_mut() {
            map.remove("httpMethod");
            map.remove("uri");
        }
    }
    out["integrationResponses"] = i
        .integration_responses
        .iter()
        .map(|(code, r)| (code.clone(), integration_response_json(r)))
        .collect::<serde_json::Map<String, Value>>()
        .into();
    drop_empty(
        &mut out,
        &[
            "requestParameters",
            "requestTemplates",
            "integrationResponses",
        ],
    );
    out
}

/// An integration response in `GetIntegrationResponse`'s shape, empty maps
/// left out.
fn integration_response_json(r: &IntegrationResponse) -> Value {
    let mut out = serde_json::to_value(r).unwrap_or_default();
    // An empty template is answered as null, as AWS stores it.
    if let Some(Value::Object(templates)) = out.get_mut("responseTemplates") {
        for template in templates.values_mut() {
            if template.as_str() == Some("") {
                *template = Value::Null;
            }
        }
    }
    drop_empty(&mut out, &["responseParameters", "responseTemplates"]);
    if let Some(map) = out.as_object_mut() {
        map.remove("givenEmpty");
    }
    keep_given_empty(&mut out, &r.given_empty);
    out
}

/// The members of `keys` that `input` gave as empty maps.
pub(super) fn given_empty(input: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .filter(|k| {
            input
                .get(**k)
                .and_then(Value::as_object)
                .is_some_and(|m| m.is_empty())
        })
        .map(|k| k.to_string())
        .collect()
}

/// Puts back the maps the caller set empty (dropped as empty above).
fn keep_given_empty(out: &mut Value, given: &[String]) {
    for key in given {
        if out.get(key).is_none() {
            out[key.as_str()] = json!({});
        }
    }
}

/// Removes the members of `out` named in `keys` whose value is an empty
/// object (AWS omits a map it has nothing in).
fn drop_empty(out: &mut Value, keys: &[&str]) {
    if let Some(map) = out.as_object_mut() {
        for key in keys {
            if map
                .get(*key)
                .and_then(Value::as_object)
                .is_some_and(|m| m.is_empty())
            {
                map.remove(*key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> RestApi {
        crate::import::test_api(r#"{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {}}"#)
    }

    fn run(
        api: &mut RestApi,
        verb: Verb,
        rest: &[&str],
        input: Value,
    ) -> Result<Outcome, ApiError> {
        patch_with(api, verb, rest, input, &[])
    }

    fn patch_with(
        api: &mut RestApi,
        verb: Verb,
        rest: &[&str],
        input: Value,
        ops: &[PatchOp],
    ) -> Result<Outcome, ApiError> {
        let c = Call {
            verb: &verb,
            input: &input,
            ops,
            max_timeout_ms: 29_000,
        };
        call(api, rest, &c)
    }

    #[test]
    fn a_method_is_built_from_scratch() {
        let mut api = api();
        let root = resource_id("abc", "/");
        let pets = run(&mut api, Verb::POST, &[&root], json!({"pathPart": "pets"})).expect("child");
        assert_eq!(pets.status, StatusCode::CREATED);
        assert_eq!(pets.body["parentId"], root.as_str());
        let pets_id = pets.body["id"].as_str().expect("id").to_string();
        let one = run(
            &mut api,
            Verb::POST,
            &[&pets_id],
            json!({"pathPart": "{petId}"}),
        )
        .expect("var");
        assert_eq!(one.body["path"], "/pets/{petId}");
        // A second variable under the same parent, or the same name again, is refused.
        assert!(run(
            &mut api,
            Verb::POST,
            &[&pets_id],
            json!({"pathPart": "{other}"})
        )
        .is_err());
        let again = run(&mut api, Verb::POST, &[&root], json!({"pathPart": "pets"}));
        assert_eq!(again.err().map(|e| e.kind), Some("ConflictException"));
        assert!(run(&mut api, Verb::POST, &[&root], json!({"pathPart": "a/b"})).is_err());

        run(
            &mut api,
            Verb::PUT,
            &[&pets_id, "methods", "get"],
            json!({"authorizationType": "NONE"}),
        )
        .expect("method");
        let twice = run(
            &mut api,
            Verb::PUT,
            &[&pets_id, "methods", "GET"],
            json!({"authorizationType": "NONE"}),
        );
        assert_eq!(twice.err().map(|e| e.kind), Some("ConflictException"));
        run(
            &mut api,
            Verb::PUT,
            &[&pets_id, "methods", "GET", "responses", "200"],
            json!({}),
        )
        .expect("method response");
        let bad = run(
            &mut api,
            Verb::PUT,
            &[&pets_id, "methods", "GET", "integration"],
            json!({"type": "HTTP", "httpMethod": "GET"}),
        );
        assert!(bad.is_err(), "an HTTP integration needs a uri");
        run(
            &mut api,
            Verb::PUT,
            &[&pets_id, "methods", "GET", "integration"],
            json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
        )
        .expect("integration");
        run(
            &mut api,
            Verb::PUT,
            &[
                &pets_id,
                "methods",
                "GET",
                "integration",
                "responses",
                "200",
            ],
            json!({"responseTemplates": {"application/json": "[]"}}),
        )
        .expect("integration response");
        let got = run(
            &mut api,
            Verb::GET,
            &[&pets_id, "methods", "GET"],
            json!({}),
        )
        .expect("get");
        assert_eq!(got.body["methodIntegration"]["type"], "MOCK");
        assert_eq!(
            got.body["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"]
                ["application/json"],
            "[]"
        );
        assert_eq!(got.body["methodResponses"]["200"]["statusCode"], "200");

        // Patch the integration's timeout; an invalid one is refused whole.
        let ops = super::super::patch::operations(
            br#"{"patchOperations": [{"op": "replace", "path": "/timeoutInMillis", "value": "5000"}]}"#,
        )
        .expect("ops");
        patch_with(
            &mut api,
            Verb::PATCH,
            &[&pets_id, "methods", "GET", "integration"],
            json!({}),
            &ops,
        )
        .expect("patch");
        let i = api.resources["/pets"].methods["GET"]
            .integration
            .as_ref()
            .expect("i");
        assert_eq!(i.timeout_in_millis, 5000);
        assert_eq!(i.integration_responses.len(), 1, "responses are kept");
        let ops = super::super::patch::operations(
            br#"{"patchOperations": [{"op": "replace", "path": "/type", "value": "SOAP"}]}"#,
        )
        .expect("ops");
        assert!(patch_with(
            &mut api,
            Verb::PATCH,
            &[&pets_id, "methods", "GET", "integration"],
            json!({}),
            &ops,
        )
        .is_err());

        // Deleting /pets deletes /pets/{petId} too; the root stays.
        run(&mut api, Verb::DELETE, &[&pets_id], json!({})).expect("delete");
        assert_eq!(api.resources.keys().collect::<Vec<_>>(), ["/"]);
        assert!(run(&mut api, Verb::DELETE, &[&root], json!({})).is_err());
    }

    #[test]
    fn unknown_ids_are_not_found() {
        let mut api = api();
        let missing = run(&mut api, Verb::GET, &["nope"], json!({}));
        assert_eq!(missing.err().map(|e| e.status), Some(StatusCode::NOT_FOUND));
        let root = resource_id("abc", "/");
        let no_method = run(&mut api, Verb::GET, &[&root, "methods", "GET"], json!({}));
        assert_eq!(
            no_method.err().map(|e| e.status),
            Some(StatusCode::NOT_FOUND)
        );
        let bad_verb = run(
            &mut api,
            Verb::PUT,
            &[&root, "methods", "FETCH"],
            json!({"authorizationType": "NONE"}),
        );
        assert_eq!(
            bad_verb.err().map(|e| e.status),
            Some(StatusCode::BAD_REQUEST)
        );
    }
}
