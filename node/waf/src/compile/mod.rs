//! Compiling a web ACL: validation as the wafv2 API does it (duplicate
//! names and priorities, actions that fit the statement, labels, custom
//! responses, limits, capacity) and the build of [`CompiledWebAcl`].
//! Referenced rule groups, IP sets and regex pattern sets come from
//! [`Resources`], keyed by ARN; AWS managed rule groups from
//! [`crate::managed`].

mod actions;
mod rate;
mod rules;
pub(crate) mod statement;
pub(crate) mod types;

use crate::error::CompileError;
use crate::managed::IpReputationLists;
use crate::model::*;
use crate::token::TokenKey;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
pub use types::{CAction, CompiledWebAcl, CustomResponseSpec, HeaderPair};
use types::{CRule, IpMatcher};

/// The default immunity time for CAPTCHA and Challenge (AWS: 300 s).
pub const DEFAULT_IMMUNITY: u64 = 300;
/// The body inspection limit without an `AssociationConfig` (16 KB).
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024;
/// AWS's maximum web ACL capacity.
pub const MAX_WEB_ACL_CAPACITY: u64 = 5000;

/// The rule groups, IP sets and regex pattern sets a web ACL may reference,
/// by ARN.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    /// Rule groups by ARN.
    pub rule_groups: HashMap<String, RuleGroup>,
    /// IP sets by ARN.
    pub ip_sets: HashMap<String, IpSet>,
    /// Regex pattern sets by ARN.
    pub regex_pattern_sets: HashMap<String, RegexPatternSet>,
}

impl Resources {
    /// Adds a rule group under its `ARN` (or `arn` if it has none).
    pub fn add_rule_group(&mut self, arn: &str, g: RuleGroup) {
        self.rule_groups
            .insert(g.arn.clone().unwrap_or_else(|| arn.to_owned()), g);
    }

    /// Adds an IP set under its `ARN` (or `arn` if it has none).
    pub fn add_ip_set(&mut self, arn: &str, s: IpSet) {
        self.ip_sets
            .insert(s.arn.clone().unwrap_or_else(|| arn.to_owned()), s);
    }

    /// Adds a regex pattern set under its `ARN` (or `arn` if it has none).
    pub fn add_regex_pattern_set(&mut self, arn: &str, s: RegexPatternSet) {
        self.regex_pattern_sets
            .insert(s.arn.clone().unwrap_or_else(|| arn.to_owned()), s);
    }
}

/// Deploy-time settings the JSON does not carry.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// How `SearchString` blobs are encoded.
    pub dialect: Dialect,
    /// The account in label namespaces when the ACL has no ARN.
    pub account_id: String,
    /// The capacity above which the ACL is refused (AWS: at most 5,000).
    pub max_capacity: u64,
    /// The key CAPTCHA/Challenge tokens are verified with; without it no
    /// token is valid, so those actions always answer with 405 / 202.
    pub token_key: Option<TokenKey>,
    /// The addresses behind `AWSManagedRulesAmazonIpReputationList`.
    pub ip_reputation: IpReputationLists,
    /// The `AssociationConfig` key whose body limit applies.
    pub resource_type: String,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            dialect: Dialect::Api,
            account_id: "000000000000".to_owned(),
            max_capacity: MAX_WEB_ACL_CAPACITY,
            token_key: None,
            ip_reputation: IpReputationLists::default(),
            resource_type: "API_GATEWAY".to_owned(),
        }
    }
}

/// The context a rule is compiled in: the web ACL or one rule group.
pub(crate) struct Ctx<'a> {
    pub rule: Option<&'a str>,
    pub dialect: Dialect,
    pub resources: &'a Resources,
    pub opts: &'a CompileOptions,
    /// The label namespace (`awswaf:111122223333:webacl:name:`).
    pub namespace: String,
    pub bodies: Option<&'a BTreeMap<String, CustomResponseBody>>,
    /// Inside a managed rule group (trusted definitions, built-in IP sets).
    pub managed: Option<&'a HashMap<String, Arc<IpMatcher>>>,
    /// Prefix of rate-based rule instance names.
    pub instance: String,
    pub captcha_immunity: u64,
    pub challenge_immunity: u64,
}

impl Ctx<'_> {
    pub fn invalid(
        &self,
        field: &'static str,
        param: impl Into<String>,
        reason: impl Into<String>,
    ) -> CompileError {
        CompileError::invalid(self.rule, field, param, reason)
    }

    pub fn limits(&self, param: impl Into<String>, reason: impl Into<String>) -> CompileError {
        CompileError::limits(self.rule, param, reason)
    }

    /// A label key as the rule's context reads it: fully qualified keys
    /// (starting `awswaf:`) as they are, others under the context's namespace.
    pub fn qualify(&self, key: &str) -> String {
        if key.starts_with("awswaf:") {
            key.to_owned()
        } else {
            format!("{}{key}", self.namespace)
        }
    }

    pub fn ip_set(&self, arn: &str) -> Result<Arc<IpMatcher>, CompileError> {
        if let Some(m) = self.managed.and_then(|m| m.get(arn)) {
            return Ok(m.clone());
        }
        let set = self
            .resources
            .ip_sets
            .get(arn)
            .ok_or_else(|| CompileError::nonexistent(self.rule, "IP_SET", arn))?;
        statement::ip_matcher(set)
            .map(Arc::new)
            .map_err(|(p, r)| self.invalid("IP_ADDRESS", p, r))
    }
}

/// The account of an ARN `arn:aws:wafv2:region:account:...`.
fn account_of(arn: Option<&str>) -> Option<&str> {
    arn?.split(':').nth(4).filter(|a| !a.is_empty())
}

fn immunity(c: &Option<ImmunityConfig>, default: u64) -> Result<u64, String> {
    match c.as_ref().and_then(|c| c.immunity_time_property.as_ref()) {
        None => Ok(default),
        Some(p) if (60..=259_200).contains(&p.immunity_time) => Ok(p.immunity_time as u64),
        Some(p) => Err(format!(
            "ImmunityTime {} is outside 60..259200 seconds.",
            p.immunity_time
        )),
    }
}

fn body_limit(acl: &WebAcl, resource_type: &str) -> usize {
    acl.association_config
        .as_ref()
        .and_then(|a| a.request_body.as_ref())
        .and_then(|m| m.get(resource_type))
        .map_or(DEFAULT_BODY_LIMIT, |c| {
            c.default_size_inspection_limit.bytes()
        })
}

/// Compiles a web ACL. Refusals name the rule and say why, in AWS's terms.
pub fn compile(
    acl: &WebAcl,
    resources: &Resources,
    opts: &CompileOptions,
) -> Result<CompiledWebAcl, CompileError> {
    let account = account_of(acl.arn.as_deref())
        .unwrap_or(&opts.account_id)
        .to_owned();
    let namespace = acl
        .label_namespace
        .clone()
        .unwrap_or_else(|| format!("awswaf:{account}:webacl:{}:", acl.name));
    let invalid = |f: &'static str, p: &str, r: String| CompileError::invalid(None, f, p, r);
    let captcha_immunity = immunity(&acl.captcha_config, DEFAULT_IMMUNITY)
        .map_err(|r| invalid("CHALLENGE_CONFIG", "CaptchaConfig", r))?;
    let challenge_immunity = immunity(&acl.challenge_config, DEFAULT_IMMUNITY)
        .map_err(|r| invalid("CHALLENGE_CONFIG", "ChallengeConfig", r))?;
    actions::check_bodies(acl.custom_response_bodies.as_ref())?;
    let ctx = Ctx {
        rule: None,
        dialect: opts.dialect,
        resources,
        opts,
        namespace,
        bodies: acl.custom_response_bodies.as_ref(),
        managed: None,
        instance: acl.arn.clone().unwrap_or_else(|| acl.name.clone()),
        captcha_immunity,
        challenge_immunity,
    };
    let default_action = actions::default_action(&ctx, &acl.default_action)?;
    let mut compiled: Vec<CRule> = Vec::new();
    let mut capacity = 0u64;
    for (list, what) in rules::rule_lists(acl) {
        let (rs, cap) = rules::compile_rules(&ctx, &list, what, false)?;
        compiled.extend(rs);
        capacity += cap;
    }
    if capacity > opts.max_capacity {
        return Err(CompileError::limits(
            None,
            "Capacity",
            format!(
                "The web ACL needs {capacity} WCUs, more than its limit of {}.",
                opts.max_capacity
            ),
        ));
    }
    let rule_count = rules::count(&compiled);
    Ok(CompiledWebAcl {
        name: acl.name.clone(),
        arn: acl.arn.clone().unwrap_or_else(|| acl.name.clone()),
        metric_name: acl.visibility_config.metric_name.clone(),
        default_action,
        rules: compiled,
        body_limit: body_limit(acl, &opts.resource_type),
        capacity,
        token_key: opts.token_key.clone(),
        rule_count,
    })
}

/// Checks a rule group as `CreateRuleGroup` would and returns the WCUs its
/// rules use (which must fit its declared `Capacity`).
pub fn check_rule_group(
    group: &RuleGroup,
    resources: &Resources,
    opts: &CompileOptions,
) -> Result<u64, CompileError> {
    let immunities = (DEFAULT_IMMUNITY, DEFAULT_IMMUNITY);
    rules::compile_rule_group(group, resources, opts, "check", immunities).map(|(_, used)| used)
}

/// Compiles a managed group's rule list (in the managed context).
pub(crate) fn rules_for_managed(
    ctx: &Ctx,
    list: &[Rule],
) -> Result<(Vec<CRule>, u64), CompileError> {
    rules::compile_rules(ctx, list, "the managed rule group", true)
}

/// The WCUs a list of rules needs, validated as `CheckCapacity` does (the
/// rules compile in a web ACL context with no capacity limit).
pub fn check_capacity(
    rules: &[Rule],
    resources: &Resources,
    opts: &CompileOptions,
) -> Result<u64, CompileError> {
    let acl = WebAcl {
        name: "CheckCapacity".to_owned(),
        id: None,
        arn: None,
        default_action: DefaultAction {
            allow: Some(HandlingAction::default()),
            block: None,
        },
        description: None,
        rules: Some(rules.to_vec()),
        visibility_config: VisibilityConfig {
            sampled_requests_enabled: false,
            cloud_watch_metrics_enabled: false,
            metric_name: "CheckCapacity".to_owned(),
        },
        data_protection_config: None,
        capacity: None,
        pre_process_firewall_manager_rule_groups: None,
        post_process_firewall_manager_rule_groups: None,
        managed_by_firewall_manager: None,
        label_namespace: None,
        custom_response_bodies: None,
        captcha_config: None,
        challenge_config: None,
        token_domains: None,
        association_config: None,
        retrofitted_by_firewall_manager: None,
        on_source_ddos_protection_config: None,
        application_config: None,
    };
    let opts = CompileOptions {
        max_capacity: u64::MAX,
        ..opts.clone()
    };
    compile(&acl, resources, &opts).map(|c| c.capacity())
}
