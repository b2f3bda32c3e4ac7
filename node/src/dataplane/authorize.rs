//! Lambda authorizers and resource policies.
//!
//! A Lambda authorizer (TOKEN or REQUEST) reads its identity sources (any
//! missing: 401 without a call), checks a TOKEN against its validation
//! expression (401), then reuses a cached result for the same identity or
//! invokes the function. The function answers with a principal, an IAM
//! policy, a context map and optionally the usage plan key; the policy is
//! evaluated against the method ARN: an explicit Deny or no Allow gives 403.
//! `Unauthorized` as the function's error gives 401; any other failure 500.
//!
//! Cached results are shared by all workers and keep the whole policy, so a
//! cached identity is judged anew for every method it calls (as on AWS).
//!
//! AWS_IAM callers are judged here too, once their signature is verified:
//! their identity policies and the API's resource policy together, as AWS
//! does for a caller of the API's own account (an explicit deny in either
//! refuses, else an allow in either admits); and whether they may ask for a
//! fresh cache entry (`execute-api:InvalidateCache`). All of it goes through
//! the one evaluator, [`crate::policy`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use quick_cache::sync::Cache;
use serde_json::{json, Value};

use super::context::{AuthorizerResult, RequestContext};
use super::error::RequestError;
use super::integration::lambda_proxy;
use crate::functions::{Functions, Invocation, Outcome};
use crate::params::{Location, Source};
use crate::policy::{self, Caller, Decision, Identity, Policy, Subject};
use crate::snapshot::{LambdaAuthorizer, StageView};

/// The longest an authorizer function may take (API Gateway's own bound).
const AUTHORIZER_TIMEOUT: Duration = Duration::from_secs(29);

/// One authorizer decision, as cached.
struct Cached {
    policy: Policy,
    result: AuthorizerResult,
    usage_key: Option<String>,
    expires: Instant,
}

/// Authorizer results by authorizer and identity, with counters.
pub struct AuthorizerCache {
    entries: Cache<String, Arc<Cached>>,
    pub calls: AtomicU64,
    pub cache_hits: AtomicU64,
    pub failures: AtomicU64,
    pub denials: AtomicU64,
    pub latency_us_total: AtomicU64,
}

impl Default for AuthorizerCache {
    fn default() -> Self {
        AuthorizerCache {
            entries: Cache::new(10_000),
            calls: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            denials: AtomicU64::new(0),
            latency_us_total: AtomicU64::new(0),
        }
    }
}

impl AuthorizerCache {
    /// Prometheus text for the authorizer counters.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        for (name, help, value) in [
            (
                "apigw_authorizer_calls_total",
                "Authorizer function invocations.",
                self.calls.load(Ordering::Relaxed),
            ),
            (
                "apigw_authorizer_cache_hits_total",
                "Authorizations answered from the cache.",
                self.cache_hits.load(Ordering::Relaxed),
            ),
            (
                "apigw_authorizer_failures_total",
                "Authorizer invocations that failed (500).",
                self.failures.load(Ordering::Relaxed),
            ),
            (
                "apigw_authorizer_denials_total",
                "Requests refused by an authorizer (401/403).",
                self.denials.load(Ordering::Relaxed),
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            ));
        }
        let seconds = self.latency_us_total.load(Ordering::Relaxed) as f64 / 1e6;
        out.push_str(&format!(
            "# HELP apigw_authorizer_latency_seconds_total Authorizer invocation time, summed.\n# TYPE apigw_authorizer_latency_seconds_total counter\napigw_authorizer_latency_seconds_total {seconds:.6}\n"
        ));
        out
    }
}

/// `arn:aws:execute-api:{region}:{account}:{api-id}`.
pub fn arn_prefix(region: &str, api_id: &str) -> String {
    format!(
        "arn:aws:execute-api:{region}:{}:{api_id}",
        policy::account()
    )
}

/// The request as policies see it.
fn subject<'a>(
    ctx: &'a RequestContext,
    action: &'a str,
    arn: &'a str,
    prefix: &'a str,
    caller: Option<Caller<'a>>,
) -> Subject<'a> {
    Subject {
        action,
        resource: arn,
        arn_prefix: prefix,
        caller,
        source_ip: ctx.source_ip,
        // This version's data plane listens in plain HTTP only.
        secure_transport: false,
        now: ctx.started_at,
        user_agent: ctx.header("user-agent"),
        referer: ctx.header("referer"),
    }
}

/// The resource policy's verdict (`None`: the API has none).
fn resource_policy(
    ctx: &RequestContext,
    stage: &StageView,
    prefix: &str,
    arn: &str,
    caller: Option<Caller<'_>>,
) -> Result<Option<Decision>, RequestError> {
    let Some(policy) = &stage.api.policy else {
        return Ok(None);
    };
    let policy = policy.as_ref().map_err(|e| {
        RequestError::IntegrationUnavailable(format!("the resource policy cannot be read: {e}"))
    })?;
    Ok(Some(policy.evaluate(&subject(
        ctx,
        policy::INVOKE,
        arn,
        prefix,
        caller,
    ))))
}

/// Whether a verified AWS_IAM caller may invoke the method: its identity
/// policies merged with the resource policy (an API without one leaves the
/// identity's verdict alone). Refusals carry AWS's `Message`.
pub fn authorize_iam(
    identity: &Identity,
    ctx: &RequestContext,
    stage: &StageView,
    region: &str,
) -> Result<(), RequestError> {
    let prefix = arn_prefix(region, &stage.api.api_id);
    let arn = method_arn(&prefix, ctx, stage);
    let user_arn = identity.arn();
    let caller = identity.caller(&user_arn);
    let own = identity.decide(&subject(ctx, policy::INVOKE, &arn, &prefix, Some(caller)));
    let decision = match resource_policy(ctx, stage, &prefix, &arn, Some(caller))? {
        Some(resource) => own.merge(resource),
        None => own,
    };
    match decision {
        Decision::Allow => Ok(()),
        denied => Err(RequestError::PolicyDenied(policy::denial(
            &user_arn,
            policy::INVOKE,
            &arn,
            denied,
        ))),
    }
}

/// Whether a verified AWS_IAM caller may invalidate the method's cache entry.
pub fn may_invalidate_cache(
    identity: &Identity,
    ctx: &RequestContext,
    stage: &StageView,
    region: &str,
) -> bool {
    let prefix = arn_prefix(region, &stage.api.api_id);
    let arn = method_arn(&prefix, ctx, stage);
    let user_arn = identity.arn();
    let caller = identity.caller(&user_arn);
    let subject = subject(ctx, policy::INVALIDATE_CACHE, &arn, &prefix, Some(caller));
    identity.decide(&subject) == Decision::Allow
}

/// The method ARN of a request: `{prefix}/{stage}/{METHOD}/{path}`.
pub fn method_arn(prefix: &str, ctx: &RequestContext, stage: &StageView) -> String {
    format!(
        "{prefix}/{}/{}/{}",
        stage.stage_name,
        ctx.method.as_str(),
        ctx.stage_path.trim_start_matches('/')
    )
}

/// The API's resource policy, for an anonymous caller (every method but
/// AWS_IAM ones, whose callers [`authorize_iam`] judges).
pub fn check_resource_policy(
    ctx: &RequestContext,
    stage: &StageView,
    region: &str,
) -> Result<(), RequestError> {
    let prefix = arn_prefix(region, &stage.api.api_id);
    let arn = method_arn(&prefix, ctx, stage);
    match resource_policy(ctx, stage, &prefix, &arn, None)? {
        None | Some(Decision::Allow) => Ok(()),
        Some(denied) => Err(RequestError::PolicyDenied(policy::denial(
            "anonymous",
            policy::INVOKE,
            &arn,
            denied,
        ))),
    }
}

/// Runs a Lambda authorizer for the request; on success fills
/// `ctx.authorizer` and returns the usage plan key it named, if any.
pub async fn authorize_lambda(
    authorizer: &LambdaAuthorizer,
    functions: &Functions,
    cache: &AuthorizerCache,
    region: &str,
    ctx: &mut RequestContext,
    stage: &StageView,
) -> Result<Option<String>, RequestError> {
    let identity = checked_identity(authorizer, cache, ctx)?;
    let prefix = arn_prefix(region, &stage.api.api_id);
    let arn = method_arn(&prefix, ctx, stage);
    let key = format!("{}\u{0}{}", authorizer.id, identity.join("\u{0}"));
    let decision = match cached(authorizer, cache, &key) {
        Some(hit) => {
            cache.cache_hits.fetch_add(1, Ordering::Relaxed);
            hit
        }
        None => {
            let fresh =
                Arc::new(invoke(authorizer, functions, cache, ctx, stage, &arn, &identity).await?);
            if !authorizer.ttl.is_zero() {
                cache.entries.insert(key, fresh.clone());
            }
            fresh
        }
    };
    let verdict = decision
        .policy
        .evaluate(&subject(ctx, policy::INVOKE, &arn, &prefix, None));
    let denied = match verdict {
        Decision::Allow => {
            ctx.authorizer = Some(decision.result.clone());
            return Ok(decision.usage_key.clone());
        }
        Decision::ExplicitDeny => {
            "User is not authorized to access this resource with an explicit deny"
        }
        Decision::ImplicitDeny => "User is not authorized to access this resource",
    };
    cache.denials.fetch_add(1, Ordering::Relaxed);
    Err(RequestError::AccessDenied(denied.into()))
}

/// The identity source values, each present and, for a TOKEN authorizer,
/// matching its validation expression (else 401, counted as a denial).
fn checked_identity(
    authorizer: &LambdaAuthorizer,
    cache: &AuthorizerCache,
    ctx: &RequestContext,
) -> Result<Vec<String>, RequestError> {
    let identity = identity(authorizer, ctx).ok_or_else(|| {
        cache.denials.fetch_add(1, Ordering::Relaxed);
        RequestError::Unauthorized("an identity source is missing".into())
    })?;
    if let Some(validation) = &authorizer.validation {
        if !validation
            .0
            .is_match(identity.first().map_or("", String::as_str))
        {
            cache.denials.fetch_add(1, Ordering::Relaxed);
            return Err(RequestError::Unauthorized(
                "the token does not match identityValidationExpression".into(),
            ));
        }
    }
    Ok(identity)
}

/// The cached decision for this authorizer and identity, while it lasts
/// (none is kept with a TTL of 0).
fn cached(
    authorizer: &LambdaAuthorizer,
    cache: &AuthorizerCache,
    key: &str,
) -> Option<Arc<Cached>> {
    if authorizer.ttl.is_zero() {
        return None;
    }
    cache
        .entries
        .get(key)
        .filter(|c| c.expires > Instant::now())
}

/// The identity source values, or `None` if one is missing or empty.
fn identity(authorizer: &LambdaAuthorizer, ctx: &RequestContext) -> Option<Vec<String>> {
    authorizer
        .identity_sources
        .iter()
        .map(|source| {
            let value = match source {
                Source::MethodRequest(Location::Header | Location::MultiValueHeader, name) => {
                    ctx.header(name).map(str::to_string)
                }
                other => ctx.source_value(other).map(|v| v.into_owned()),
            };
            value.filter(|v| !v.is_empty())
        })
        .collect()
}

/// Calls the authorizer function and reads its decision.
async fn invoke(
    authorizer: &LambdaAuthorizer,
    functions: &Functions,
    cache: &AuthorizerCache,
    ctx: &RequestContext,
    stage: &StageView,
    arn: &str,
    identity: &[String],
) -> Result<Cached, RequestError> {
    let event = event(authorizer, ctx, stage, arn, identity);
    let name = super::integration::lambda::resolve_function(&authorizer.function, ctx)?;
    let payload = call(authorizer, functions, cache, &ctx.request_id, &name, event).await?;
    decision(&payload, authorizer).map_err(|reason| failed(cache, authorizer, reason))
}

/// The event a TOKEN or REQUEST authorizer receives.
fn event(
    authorizer: &LambdaAuthorizer,
    ctx: &RequestContext,
    stage: &StageView,
    arn: &str,
    identity: &[String],
) -> Value {
    if authorizer.token {
        return json!({"type": "TOKEN", "authorizationToken": identity.first(), "methodArn": arn});
    }
    let mut event = lambda_proxy::event(ctx, &[], &stage.api.binary_media_types);
    if let Value::Object(fields) = &mut event {
        fields.insert("type".into(), Value::from("REQUEST"));
        fields.insert("methodArn".into(), Value::from(arn));
        fields.remove("body");
        fields.remove("isBase64Encoded");
    }
    event
}

/// A failure of the authorizer (500), counted.
fn failed(cache: &AuthorizerCache, authorizer: &LambdaAuthorizer, reason: String) -> RequestError {
    cache.failures.fetch_add(1, Ordering::Relaxed);
    RequestError::AuthorizerFailed(format!("authorizer `{}`: {reason}", authorizer.name))
}

/// Invokes the function within [`AUTHORIZER_TIMEOUT`] (timed and counted);
/// its successful answer, or why there is none (`Unauthorized` from the
/// function: 401).
async fn call(
    authorizer: &LambdaAuthorizer,
    functions: &Functions,
    cache: &AuthorizerCache,
    request_id: &str,
    name: &str,
    event: Value,
) -> Result<Bytes, RequestError> {
    cache.calls.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let invocation = Invocation {
        request_id: request_id.to_string(),
        payload: Bytes::from(event.to_string()),
        trace_id: None,
    };
    let outcome =
        tokio::time::timeout(AUTHORIZER_TIMEOUT, functions.invoke(name, invocation)).await;
    cache.latency_us_total.fetch_add(
        u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
    match outcome {
        Err(_) => Err(failed(cache, authorizer, "the function timed out".into())),
        Ok(Err(e)) => Err(failed(cache, authorizer, e.to_string())),
        Ok(Ok(Outcome::FunctionError(payload))) => {
            let message = serde_json::from_slice::<Value>(&payload)
                .ok()
                .and_then(|v| {
                    v.get("errorMessage")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
            if message.as_deref() == Some("Unauthorized") {
                cache.denials.fetch_add(1, Ordering::Relaxed);
                return Err(RequestError::Unauthorized(
                    "the authorizer answered Unauthorized".into(),
                ));
            }
            let reason = format!("the function failed: {}", String::from_utf8_lossy(&payload));
            Err(failed(cache, authorizer, reason))
        }
        Ok(Ok(Outcome::Success(payload))) => Ok(payload),
    }
}

/// The decision in the function's answer: principal, policy, context and
/// usage plan key; `Err` says what is wrong with the answer.
fn decision(payload: &[u8], authorizer: &LambdaAuthorizer) -> Result<Cached, String> {
    let answer: Value =
        serde_json::from_slice(payload).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let principal_id = match answer.get("principalId") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err("the answer has no principalId".into()),
    };
    let policy = Policy::parse(answer.get("policyDocument").unwrap_or(&Value::Null))
        .map_err(|e| format!("policyDocument: {e}"))?;
    Ok(Cached {
        policy,
        result: AuthorizerResult {
            principal_id,
            context: context_of(&answer)?,
        },
        usage_key: answer
            .get("usageIdentifierKey")
            .and_then(Value::as_str)
            .map(str::to_string),
        expires: Instant::now() + authorizer.ttl,
    })
}

/// The answer's `context`, values as strings (AWS refuses objects and
/// arrays in it).
fn context_of(answer: &Value) -> Result<Vec<(String, String)>, String> {
    let mut context = Vec::new();
    if let Some(Value::Object(fields)) = answer.get("context") {
        for (key, value) in fields {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => value.to_string(),
                _ => {
                    return Err(format!(
                        "context value `{key}` is not a string, number or boolean"
                    ))
                }
            };
            context.push((key.clone(), text));
        }
    }
    Ok(context)
}
