//! What IAM users may do: the identity policies configured for data-plane
//! callers (`iam_users`) and admin users of the management API
//! (`admin_users`), by access key id, and the ARNs their actions are on.
//!
//! Compatibility: a data-plane user configured without `policies` may
//! invoke every AWS_IAM method and nothing more ([`Grant::InvokeOnly`]), as
//! before policies existed; an admin user without `policies` and the node's
//! own admin pair may do everything ([`Grant::Everything`]). A user with
//! `policies` (even an empty list) may do exactly what they allow.

use std::collections::HashMap;

use super::{decide, Caller, Decision, Policy, Subject, INVOKE};

/// The rights a user holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Grant {
    /// Every action on every resource.
    Everything,
    /// `execute-api:Invoke` on every method, nothing else.
    InvokeOnly,
    /// What these policies allow.
    Policies(Vec<Policy>),
}

/// An IAM user as policies see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub name: String,
    /// Tags, for `aws:PrincipalTag/{key}`.
    pub tags: Vec<(String, String)>,
    pub grant: Grant,
}

impl Identity {
    /// A user configured without policies.
    pub fn invoke_only(name: &str) -> Identity {
        Identity {
            name: name.to_string(),
            tags: Vec::new(),
            grant: Grant::InvokeOnly,
        }
    }

    /// `arn:aws:iam::{account}:user/{name}`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", super::account(), self.name)
    }

    /// The identity-based verdict on `subject` (whose caller should be
    /// this user, see [`Identity::caller`]).
    pub fn decide(&self, subject: &Subject<'_>) -> Decision {
        match &self.grant {
            Grant::Everything => Decision::Allow,
            Grant::InvokeOnly if subject.action.eq_ignore_ascii_case(INVOKE) => Decision::Allow,
            Grant::InvokeOnly => Decision::ImplicitDeny,
            Grant::Policies(policies) => decide(policies, subject),
        }
    }

    /// The user as a policy's caller (`arn` is [`Identity::arn`]).
    pub fn caller<'a>(&'a self, arn: &'a str) -> Caller<'a> {
        Caller {
            arn,
            name: &self.name,
            account: super::account(),
            tags: &self.tags,
        }
    }
}

/// Users by access key id.
#[derive(Debug, Clone, Default)]
pub struct Identities {
    by_key: HashMap<String, Identity>,
}

impl Identities {
    pub fn new(users: impl IntoIterator<Item = (String, Identity)>) -> Identities {
        Identities {
            by_key: users.into_iter().collect(),
        }
    }

    /// The user who signs with `access_key_id`.
    pub fn get(&self, access_key_id: &str) -> Option<&Identity> {
        self.by_key.get(access_key_id)
    }
}

/// `apigateway:{VERB}`, the management action of an HTTP verb.
pub fn management_action(verb: &http::Method) -> String {
    format!("apigateway:{}", verb.as_str())
}

/// `arn:aws:apigateway:{region}::{path}`, the management resource of a
/// request path (`/restapis/a1b2/stages/prod`).
pub fn management_arn(region: &str, path: &str) -> String {
    format!("arn:aws:apigateway:{region}::{path}")
}
