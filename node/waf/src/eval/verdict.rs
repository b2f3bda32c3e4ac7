//! The result of an evaluation ([`Verdict`]) and what the data plane sends
//! for it ([`WafResponse`]).

use crate::compile::types::{CAction, HeaderPair};

/// The final disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Forward the request (with [`Verdict::inserted_headers`]).
    Allow,
    /// Refuse it: [`Verdict::response`] if the rule set a custom response,
    /// else the gateway's `WAF_FILTERED` response (403 `{"message":"Forbidden"}`).
    Block,
    /// Answer 405 with `x-amzn-waf-action: captcha`.
    Captcha,
    /// Answer 202 with `x-amzn-waf-action: challenge`.
    Challenge,
}

impl Action {
    /// As AWS logs it.
    pub fn log_name(self) -> &'static str {
        match self {
            Self::Allow => "ALLOW",
            Self::Block => "BLOCK",
            Self::Captcha => "CAPTCHA",
            Self::Challenge => "CHALLENGE",
        }
    }
}

/// A response the WAF itself sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WafResponse {
    /// The status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<HeaderPair>,
    /// The body and its `Content-Type`, if any.
    pub body: Option<(String, &'static str)>,
}

/// `terminatingRuleType` of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleType {
    /// A rule with a match statement, or the default action.
    Regular,
    /// A rate-based rule.
    RateBased,
    /// A rule in one of the account's rule groups.
    Group,
    /// A rule in a managed rule group.
    ManagedRuleGroup,
}

impl RuleType {
    /// As AWS logs it.
    pub fn log_name(self) -> &'static str {
        match self {
            Self::Regular => "REGULAR",
            Self::RateBased => "RATE_BASED",
            Self::Group => "GROUP",
            Self::ManagedRuleGroup => "MANAGED_RULE_GROUP",
        }
    }
}

/// A rule that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// The rule's name.
    pub rule_id: String,
    /// The action applied (`COUNT`, `BLOCK`...).
    pub action: &'static str,
    /// The rule's own action when an override or exclusion replaced it.
    pub overridden_action: Option<&'static str>,
}

/// What happened inside one rule group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleGroupTrace {
    /// The group's ARN, or `AWS#<name>` for a managed group.
    pub rule_group_id: String,
    /// The group rule that terminated the evaluation.
    pub terminating_rule: Option<RuleMatch>,
    /// Group rules that matched without terminating.
    pub non_terminating: Vec<RuleMatch>,
    /// The group's excluded rules.
    pub excluded_rules: Vec<String>,
}

/// A rate-based rule that was over its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateBasedTrace {
    /// The rule's name.
    pub rule_name: String,
    /// `IP`, `FORWARDED_IP`, `CONSTANT` or `CUSTOM_KEYS`.
    pub limit_key: &'static str,
    /// The aggregation value (the IP for IP aggregation).
    pub limit_value: String,
    /// The limit.
    pub max_rate_allowed: u64,
    /// The window.
    pub evaluation_window_sec: u64,
}

/// The per-rule counters AWS publishes as CloudWatch metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// `AllowedRequests`.
    Allowed,
    /// `BlockedRequests`.
    Blocked,
    /// `CountedRequests`.
    Counted,
    /// `CaptchaRequests`.
    Captcha,
    /// `ChallengeRequests`.
    Challenge,
}

impl Tally {
    pub(crate) fn from_action(a: &CAction) -> Self {
        match a {
            CAction::Allow(_) => Self::Allowed,
            CAction::Block(_) => Self::Blocked,
            CAction::Count(_) => Self::Counted,
            CAction::Captcha(_) => Self::Captcha,
            CAction::Challenge(_) => Self::Challenge,
        }
    }
}

impl From<Action> for Tally {
    fn from(a: Action) -> Self {
        match a {
            Action::Allow => Self::Allowed,
            Action::Block => Self::Blocked,
            Action::Captcha => Self::Captcha,
            Action::Challenge => Self::Challenge,
        }
    }
}

/// Everything besides the decision that logs and metrics need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// Web ACL rules that matched without terminating (`nonTerminatingMatchingRules`).
    pub non_terminating: Vec<RuleMatch>,
    /// Rule groups in which a rule matched (`ruleGroupList`).
    pub rule_groups: Vec<RuleGroupTrace>,
    /// Rate-based rules over their limit (`rateBasedRuleList`).
    pub rate_based: Vec<RateBasedTrace>,
    /// Inspected components over AWS's limits (`oversizeFields`).
    pub oversize_fields: Vec<&'static str>,
    /// (metric name, tally) for every rule that matched, the terminating
    /// one, and `ALL` for the web ACL as a whole.
    pub tallies: Vec<(String, Tally)>,
}

/// The outcome of evaluating a web ACL for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The final action.
    pub action: Action,
    /// What to send instead of forwarding: `Some` for a custom Block
    /// response and for CAPTCHA / Challenge, `None` for Allow and for a
    /// plain Block (send the gateway's `WAF_FILTERED` response).
    pub response: Option<WafResponse>,
    /// The rule that decided, or `Default_Action`.
    pub terminating_rule_id: String,
    /// Its type.
    pub terminating_rule_type: RuleType,
    /// Headers to add to the forwarded request (already `x-amzn-waf-`
    /// prefixed; they replace headers of the same name). Empty unless Allow.
    pub inserted_headers: Vec<HeaderPair>,
    /// The labels the request collected, in order.
    pub labels: Vec<String>,
    /// For CAPTCHA / Challenge: the status sent and why the token failed
    /// (`TOKEN_MISSING`, `TOKEN_EXPIRED`, `TOKEN_INVALID`).
    pub challenge_failure: Option<(u16, &'static str)>,
    /// The client's country, if the lookup knew it.
    pub country: Option<String>,
    /// The web ACL's ARN.
    pub web_acl_arn: String,
    /// The trace for logs and metrics.
    pub trace: Trace,
}

impl Verdict {
    /// The status code the client gets (403 for a plain Block).
    pub fn status(&self) -> Option<u16> {
        match (&self.action, &self.response) {
            (Action::Allow, _) => None,
            (_, Some(r)) => Some(r.status),
            (_, None) => Some(403),
        }
    }
}

pub(crate) fn status_of(a: &CAction) -> u16 {
    match a {
        CAction::Captcha(_) => 405,
        CAction::Challenge(_) => 202,
        CAction::Block(Some(c)) => c.status,
        _ => 403,
    }
}

/// The final action and the response for a terminating rule action.
pub(crate) fn response(a: &CAction) -> (Action, Option<WafResponse>) {
    let waf_action = |v: &str, status| WafResponse {
        status,
        headers: vec![("x-amzn-waf-action".to_owned(), v.to_owned())],
        body: None,
    };
    match a {
        CAction::Allow(_) | CAction::Count(_) => (Action::Allow, None),
        CAction::Block(None) => (Action::Block, None),
        CAction::Block(Some(c)) => (
            Action::Block,
            Some(WafResponse {
                status: c.status,
                headers: c.headers.clone(),
                body: c.body.clone(),
            }),
        ),
        CAction::Captcha(_) => (Action::Captcha, Some(waf_action("captcha", 405))),
        CAction::Challenge(_) => (Action::Challenge, Some(waf_action("challenge", 202))),
    }
}
