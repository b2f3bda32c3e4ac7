//! Cognito user pool (JWT) authorizers: a token from the identity header
//! (`Authorization`, with or without `Bearer `) is checked against the
//! authorizer's JSON Web Key Set, issuer and audience, and the method's
//! scopes; its claims reach `$context.authorizer.claims.*`.
//!
//! Every failure is AWS's 401 `{"message":"Unauthorized"}`; a method whose
//! authorizer has no key set configured fails closed with 500.

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use serde_json::Value;

use super::context::{AuthorizerResult, RequestContext};
use super::error::RequestError;
use crate::snapshot::JwtMethod;

/// How tokens of one authorizer are checked.
#[derive(Debug, Clone)]
pub struct JwtVerifier {
    pub issuer: String,
    /// Accepted `aud` (ID tokens) or `client_id` (access tokens); empty: any.
    pub audiences: Vec<String>,
    pub keys: JwkSet,
}

/// Verifiers by authorizer name.
#[derive(Debug, Clone, Default)]
pub struct JwtAuthorizers {
    by_name: HashMap<String, JwtVerifier>,
}

impl JwtAuthorizers {
    pub fn new(by_name: HashMap<String, JwtVerifier>) -> JwtAuthorizers {
        JwtAuthorizers { by_name }
    }
}

fn unauthorized(why: impl Into<String>) -> RequestError {
    RequestError::Unauthorized(why.into())
}

/// Checks the request's token for a method.
pub fn verify(
    authorizers: &JwtAuthorizers,
    method: &JwtMethod,
    ctx: &RequestContext,
) -> Result<AuthorizerResult, RequestError> {
    let verifier = authorizers.by_name.get(&method.authorizer).ok_or_else(|| {
        RequestError::AuthorizationUnsupported(format!(
            "COGNITO_USER_POOLS authorizer `{}` has no issuer and key set in the config (jwt_authorizers)",
            method.authorizer
        ))
    })?;
    let raw = ctx
        .header(&method.header)
        .ok_or_else(|| unauthorized("no token"))?;
    let token = raw.strip_prefix("Bearer ").unwrap_or(raw).trim();
    let claims = verified_claims(verifier, token)?;
    if !verifier.audiences.is_empty() && !audience_ok(verifier, &claims) {
        return Err(unauthorized("the token is for another audience"));
    }
    if !method.scopes.is_empty() && !scope_ok(method, &claims) {
        return Err(unauthorized("the token has none of the method's scopes"));
    }
    Ok(result(&claims))
}

/// The token's claims once its signature (by the key its `kid` names, or
/// the only key), issuer and times check out.
fn verified_claims(verifier: &JwtVerifier, token: &str) -> Result<Value, RequestError> {
    let header = decode_header(token).map_err(|e| unauthorized(format!("malformed token: {e}")))?;
    let jwk = match &header.kid {
        Some(kid) => verifier.keys.find(kid),
        None if verifier.keys.keys.len() == 1 => verifier.keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| unauthorized("no key matches the token's kid"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| unauthorized(format!("unusable key: {e}")))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[verifier.issuer.as_str()]);
    validation.validate_aud = false;
    validation.leeway = 0;
    Ok(decode::<Value>(token, &key, &validation)
        .map_err(|e| unauthorized(format!("invalid token: {e}")))?
        .claims)
}

/// Whether `aud` (ID tokens) or `client_id` (access tokens) is accepted.
fn audience_ok(verifier: &JwtVerifier, claims: &Value) -> bool {
    ["aud", "client_id"]
        .iter()
        .any(|field| match claims.get(*field) {
            Some(Value::String(a)) => verifier.audiences.contains(a),
            Some(Value::Array(list)) => list.iter().any(|a| {
                a.as_str()
                    .is_some_and(|a| verifier.audiences.iter().any(|x| x == a))
            }),
            _ => false,
        })
}

/// Whether the token's `scope` grants one of the method's scopes.
fn scope_ok(method: &JwtMethod, claims: &Value) -> bool {
    let granted: Vec<&str> = claims
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    method.scopes.iter().any(|s| granted.contains(&s.as_str()))
}

/// The principal (`sub`) and the claims as `claims.*`, values as strings.
fn result(claims: &Value) -> AuthorizerResult {
    let principal_id = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let context = claims
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (format!("claims.{k}"), text)
                })
                .collect()
        })
        .unwrap_or_default();
    AuthorizerResult {
        principal_id,
        context,
    }
}
