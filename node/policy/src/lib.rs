//! apigw-policy: IAM policy documents and the one evaluator the gateway
//! judges them with: resource policies (before routing on), Lambda
//! authorizer results, and
//! the identity policies of IAM users (data-plane callers signing
//! `execute-api` requests, admin users of the management API).
//!
//! As AWS evaluates a request: every statement whose principal, action,
//! resource and conditions match is applicable; an applicable Deny decides
//! (explicit deny), else an applicable Allow (allow), else nothing does
//! (implicit deny). `Action`/`NotAction` match case-insensitively,
//! `Resource`/`NotResource` case-sensitively, both with `*` and `?`
//! ([`wildcard`]). Conditions are in [`condition`]; one this engine does not
//! know fails closed, and is named in the log when the policy is loaded.
//!
//! The actions API Gateway defines are [`INVOKE`], [`INVALIDATE_CACHE`] and
//! [`MANAGE_CONNECTIONS`] (reserved for the WebSocket `@connections` API)
//! on `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`,
//! and `apigateway:{VERB}` on `arn:aws:apigateway:{region}::{path}` for the
//! management API ([`identity`]).

mod condition;
mod document;
pub mod identity;
mod wildcard;

use std::net::IpAddr;
use std::time::SystemTime;

use serde_json::Value;

use document::{Principals, Statement};
pub use identity::{Grant, Identities, Identity};
pub use wildcard::{wildcard, wildcard_ignore_case};

/// The account id a gateway carries in its ARNs when none is configured.
pub const DEFAULT_ACCOUNT: &str = "000000000000";

static CONFIGURED_ACCOUNT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A refused account id: AWS account ids are exactly 12 decimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("account id `{0}` is not 12 digits")]
    Malformed(String),
    #[error("the account id is already set to {0}")]
    AlreadySet(String),
}

/// The account every ARN of this gateway carries (`node.account_id`,
/// `--account-id`), [`DEFAULT_ACCOUNT`] until [`set_account`] is called.
pub fn account() -> &'static str {
    CONFIGURED_ACCOUNT
        .get()
        .map(String::as_str)
        .unwrap_or(DEFAULT_ACCOUNT)
}

/// Checks an account id: 12 ASCII digits.
pub fn check_account(id: &str) -> Result<(), AccountError> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AccountError::Malformed(id.to_string()))
    }
}

/// Sets the process's account id, once, at start-up (the binary does,
/// before anything makes an ARN). Setting the same id again is a no-op.
pub fn set_account(id: &str) -> Result<(), AccountError> {
    check_account(id)?;
    let set = CONFIGURED_ACCOUNT.get_or_init(|| id.to_string());
    if set == id {
        Ok(())
    } else {
        Err(AccountError::AlreadySet(set.clone()))
    }
}
/// Calling a method.
pub const INVOKE: &str = "execute-api:Invoke";
/// `Cache-Control: max-age=0` on a cached method.
pub const INVALIDATE_CACHE: &str = "execute-api:InvalidateCache";
/// The WebSocket callback API (`@connections`), when it lands.
pub const MANAGE_CONNECTIONS: &str = "execute-api:ManageConnections";

/// The outcome of evaluating policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

impl Decision {
    /// Two verdicts on one request from policies of the same account (an
    /// identity policy and a resource policy, AWS's "Table A"): an explicit
    /// deny in either wins, then an allow in either, else implicit deny.
    pub fn merge(self, other: Decision) -> Decision {
        use Decision::*;
        match (self, other) {
            (ExplicitDeny, _) | (_, ExplicitDeny) => ExplicitDeny,
            (Allow, _) | (_, Allow) => Allow,
            _ => ImplicitDeny,
        }
    }
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// Who is calling, for principals and `aws:username`, `aws:PrincipalTag/*`.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub arn: &'a str,
    pub name: &'a str,
    pub account: &'a str,
    pub tags: &'a [(String, String)],
}

/// What a request looks like to a policy.
pub struct Subject<'a> {
    pub action: &'a str,
    /// The ARN acted on (for execute-api, the method ARN).
    pub resource: &'a str,
    /// `arn:aws:execute-api:{region}:{account}:{api-id}`, for resources
    /// written `execute-api:/stage/METHOD/path` (resource policies).
    pub arn_prefix: &'a str,
    /// The signed caller; `None` for anonymous ones (and Lambda authorizer
    /// results, whose statements name no principal).
    pub caller: Option<Caller<'a>>,
    pub source_ip: IpAddr,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// `aws:CurrentTime`, `aws:EpochTime`.
    pub now: SystemTime,
    pub user_agent: Option<&'a str>,
    pub referer: Option<&'a str>,
}

impl Policy {
    /// Parses a policy document (a JSON object, or JSON text in a string).
    /// Conditions this engine does not know are logged (they fail closed).
    pub fn parse(doc: &Value) -> Result<Policy, String> {
        let doc = match doc {
            Value::String(text) => {
                &serde_json::from_str(text).map_err(|e| format!("the policy is not JSON: {e}"))?
            }
            other => other,
        };
        let policy = Policy {
            statements: document::statements(doc)?,
        };
        let unsupported = policy.unsupported_conditions();
        if !unsupported.is_empty() {
            tracing::warn!(
                conditions = %unsupported.join(", "),
                "policy conditions not supported: their Allow statements never apply, their Deny statements always do"
            );
        }
        Ok(policy)
    }

    /// The `operator key` pairs of conditions this engine cannot evaluate.
    pub fn unsupported_conditions(&self) -> Vec<String> {
        self.statements
            .iter()
            .flat_map(|s| s.conditions.iter().filter_map(|c| c.unknown()))
            .collect()
    }

    /// Evaluates the policy for a request.
    pub fn evaluate(&self, subject: &Subject<'_>) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            if !applies(s, subject) {
                continue;
            }
            if !s.allow {
                return Decision::ExplicitDeny;
            }
            allowed = true;
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

/// Evaluates several policies together (a user's identity policies).
pub fn decide<'p>(policies: impl IntoIterator<Item = &'p Policy>, s: &Subject<'_>) -> Decision {
    policies
        .into_iter()
        .map(|p| p.evaluate(s))
        .fold(Decision::ImplicitDeny, Decision::merge)
}

fn applies(s: &Statement, subject: &Subject<'_>) -> bool {
    if !principal_matches(&s.principal, subject.caller.as_ref()) {
        return false;
    }
    let action = s
        .actions
        .patterns
        .iter()
        .any(|a| wildcard_ignore_case(a, subject.action));
    if action == s.actions.not {
        return false;
    }
    let resource = s.resources.patterns.iter().any(|r| {
        match r.strip_prefix("execute-api:") {
            // `execute-api:/stage/GET/path` names this API's methods.
            Some(rest) if rest.starts_with('/') => {
                wildcard(&format!("{}{rest}", subject.arn_prefix), subject.resource)
            }
            _ => wildcard(r, subject.resource),
        }
    });
    if resource == s.resources.not {
        return false;
    }
    // Every known condition must hold; an unknown one could go either way,
    // so it makes an Allow inapplicable and leaves a Deny applicable.
    let mut unknown = false;
    for clause in &s.conditions {
        match clause.holds(subject) {
            Some(true) => {}
            Some(false) => return false,
            None => unknown = true,
        }
    }
    !(unknown && s.allow)
}

fn principal_matches(principal: &Principals, caller: Option<&Caller<'_>>) -> bool {
    match principal {
        Principals::Unstated | Principals::Anyone => true,
        Principals::Listed { patterns, not } => {
            let named = caller.is_some_and(|c| {
                patterns.iter().any(|p| {
                    let root = format!("arn:aws:iam::{}:root", c.account);
                    p == "*" || p == c.account || *p == root || wildcard(p, c.arn)
                })
            });
            named != *not
        }
    }
}

/// AWS's refusal text: `User: {who} is not authorized to perform: {action}
/// on resource: {resource}`, `with an explicit deny` when one decided. The
/// account in an execute-api ARN is masked but for its last four digits.
pub fn denial(who: &str, action: &str, resource: &str, decision: Decision) -> String {
    let resource = mask_account(resource);
    let explicit = match decision {
        Decision::ExplicitDeny => " with an explicit deny",
        _ => "",
    };
    format!("User: {who} is not authorized to perform: {action} on resource: {resource}{explicit}")
}

fn mask_account(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "execute-api", region, account, rest] if account.len() > 4 => {
            let tail = &account[account.len() - 4..];
            format!("arn:{partition}:execute-api:{region}:********{tail}:{rest}")
        }
        _ => arn.to_string(),
    }
}

#[cfg(test)]
mod tests;
