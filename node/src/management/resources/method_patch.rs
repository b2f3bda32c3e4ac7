//! `UpdateMethod`'s patch paths and `PutMethod`'s parameter checks, in
//! AWS's order and words: scalar members take `replace` only, the
//! authorizer is checked once every operation is applied, parameter names
//! are unique across locations.

use std::collections::BTreeMap;

use http::Method as Verb;

use super::super::definitions::validator_name;
use super::super::patch::{segments, PatchOp};
use super::super::{bad_request, ApiError};
use super::{check_models, set_authorization};
use crate::model::{Method, RestApi};

/// `PutMethod`'s request parameters as AWS checks them: each a
/// `method.request.{path|querystring|header}.NAME`, no NAME twice.
pub(super) fn check_method_parameters(parameters: &BTreeMap<String, bool>) -> Result<(), ApiError> {
    let mut names = std::collections::BTreeSet::new();
    for key in parameters.keys() {
        let name = ["path", "querystring", "header", "multivaluequerystring", "multivalueheader"]
            .iter()
            .find_map(|at| key.strip_prefix(&format!("method.request.{at}.")))
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad_request(format!(
                "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {key}]"
            )))?;
        if !names.insert(name) {
            return Err(bad_request(
                "Parameter names must be unique across querystring, header and path",
            ));
        }
    }
    Ok(())
}

/// `UpdateMethod`'s paths. The scalar members take `replace` only; an
/// `authorizerId` is kept in `authorizer` and checked once all operations
/// are applied ([`finish_authorization`]), as AWS checks the result.
pub(super) fn patch_method(
    api: &RestApi,
    m: &mut Method,
    op: &PatchOp,
    authorizer: &mut Option<String>,
) -> Result<(), ApiError> {
    let parts = segments(&op.path);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    const SCALARS: &[&str] = &[
        "authorizationType",
        "authorizerId",
        "apiKeyRequired",
        "operationName",
        "requestValidatorId",
    ];
    if let [one] = parts.as_slice() {
        let removable = *one == "requestValidatorId" && op.op == "remove";
        if SCALARS.contains(one) && op.op != "replace" && !removable {
            return Err(op.op_not_one_of("replace"));
        }
    }
    match (op.sets(), parts.as_slice()) {
        (true, ["authorizationType"]) => {
            let kind = op.value()?.to_ascii_uppercase();
            check_authorization_type(&kind)?;
            m.authorization_type = kind;
        }
        (true, ["authorizerId"]) => *authorizer = Some(op.value()?.to_string()),
        // AWS reads anything but `true` as false here.
        (true, ["apiKeyRequired"]) => m.api_key_required = op.value.as_deref() == Some("true"),
        (true, ["operationName"]) => m.operation_name = Some(op.value()?.to_string()),
        (true, ["requestValidatorId"]) => {
            m.request_validator = Some(validator_name(api, op.value()?)?)
        }
        (false, ["requestValidatorId"]) => m.request_validator = None,
        (true, ["requestParameters", name]) => {
            let required = op.value.as_deref() == Some("true");
            m.request_parameters.insert(name.to_string(), required);
        }
        (false, ["requestParameters", name]) => {
            m.request_parameters.remove(*name);
        }
        (true, ["requestModels", content_type]) => {
            let model = op.value()?.to_string();
            check_models(api, &BTreeMap::from([(String::new(), model.clone())]))?;
            m.request_models.insert(content_type.to_string(), model);
        }
        (false, ["requestModels", content_type]) => {
            m.request_models.remove(*content_type);
        }
        (true, ["authorizationScopes"]) => m.authorization_scopes.push(op.value()?.to_string()),
        (false, ["authorizationScopes"]) => {
            let scope = op.value.clone();
            m.authorization_scopes.retain(|s| Some(s) != scope.as_ref());
        }
        _ => return Err(op.unsupported()),
    }
    Ok(())
}

/// An `authorizationType` AWS knows.
fn check_authorization_type(kind: &str) -> Result<(), ApiError> {
    match kind {
        "NONE" | "AWS_IAM" | "CUSTOM" | "COGNITO_USER_POOLS" => Ok(()),
        other => Err(bad_request(format!(
            "Invalid authorization type {other}: NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS"
        ))),
    }
}

/// The method's authorizer once an `UpdateMethod` is applied: a CUSTOM or
/// COGNITO_USER_POOLS method needs a valid one (the new `authorizerId` or
/// the one it had); on other methods an `authorizerId` is ignored.
pub(super) fn finish_authorization(
    api: &RestApi,
    m: &mut Method,
    authorizer: Option<String>,
) -> Result<(), ApiError> {
    let kind = m.authorization_type.clone();
    match kind.as_str() {
        "CUSTOM" | "COGNITO_USER_POOLS" => set_authorization(api, m, &kind, authorizer),
        _ => {
            m.authorizer = None;
            Ok(())
        }
    }
}

/// What AWS says when a call below a method (its responses, its
/// integration) names a method that is not there.
pub(super) fn missing_below_method(verb: &Verb, tail: &[&str]) -> &'static str {
    match (verb, tail) {
        (&Verb::DELETE, ["integration", ..]) => "Invalid Integration identifier specified",
        _ => "Invalid Method identifier specified",
    }
}
