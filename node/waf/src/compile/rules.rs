//! Compiling rules: names and priorities, actions and their custom request
//! and response handling, labels, rule group references (own and managed)
//! with their exclusions and overrides, rate-based rules, and capacity.

use super::statement::{self, chain, compile as compile_stmt, kind_of};
use super::types::*;
use super::{immunity, Ctx, Resources};
use crate::error::CompileError;
use crate::managed;
use crate::model::*;
use crate::wcu;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

const RESERVED: [&str; 8] = ["awswaf", "aws", "waf", "rulegroup", "webacl", "regexpatternset", "ipset", "managed"];

impl Ctx<'_> {
    fn for_rule<'b>(&'b self, name: &'b str) -> Ctx<'b> {
        Ctx {
            rule: Some(name),
            dialect: self.dialect,
            resources: self.resources,
            opts: self.opts,
            namespace: self.namespace.clone(),
            bodies: self.bodies,
            managed: self.managed,
            instance: self.instance.clone(),
            captcha_immunity: self.captcha_immunity,
            challenge_immunity: self.challenge_immunity,
        }
    }
}

fn fms_rule(g: &FirewallManagerRuleGroup) -> Rule {
    let s = &g.firewall_manager_statement;
    Rule {
        name: g.name.clone(),
        priority: g.priority,
        statement: Statement {
            managed_rule_group: s.managed_rule_group_statement.clone().map(Box::new),
            rule_group_reference: s.rule_group_reference_statement.clone(),
            ..Statement::default()
        },
        action: None,
        override_action: Some(g.override_action.clone()),
        rule_labels: None,
        visibility_config: g.visibility_config.clone(),
        captcha_config: None,
        challenge_config: None,
    }
}

/// The ACL's rule lists in evaluation order: Firewall Manager pre-process
/// groups, the ACL's rules, Firewall Manager post-process groups.
pub(super) fn rule_lists(acl: &WebAcl) -> Vec<(Vec<Rule>, &'static str)> {
    let fms = |l: &Option<Vec<FirewallManagerRuleGroup>>| l.iter().flatten().map(fms_rule).collect::<Vec<_>>();
    vec![
        (fms(&acl.pre_process_firewall_manager_rule_groups), "PreProcessFirewallManagerRuleGroups"),
        (acl.rules.clone().unwrap_or_default(), "Rules"),
        (fms(&acl.post_process_firewall_manager_rule_groups), "PostProcessFirewallManagerRuleGroups"),
    ]
}

/// Counts rules, including those inside referenced groups.
pub(super) fn count(rules: &[CRule]) -> usize {
    rules
        .iter()
        .map(|r| match &r.body {
            RuleBody::Group(g) => 1 + g.group.rules.len(),
            _ => 1,
        })
        .sum()
}

fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Compiles one list of rules (sorted by priority) and sums its WCUs.
pub(super) fn compile_rules(
    ctx: &Ctx,
    rules: &[Rule],
    what: &str,
    in_group: bool,
) -> Result<(Vec<CRule>, u64), CompileError> {
    let (mut names, mut prios) = (HashSet::new(), HashSet::new());
    for r in rules {
        if !valid_name(&r.name) {
            return Err(CompileError::invalid(Some(&r.name), "RULE", r.name.clone(), "Rule names must match ^[\\w\\-]+$ (1-128 characters)."));
        }
        if !names.insert(r.name.as_str()) {
            return Err(CompileError::invalid(Some(&r.name), "RULE", r.name.clone(), format!("Duplicate rule name in {what}.")));
        }
        if r.priority < 0 || !prios.insert(r.priority) {
            return Err(CompileError::invalid(Some(&r.name), "RULE", r.priority.to_string(), format!("Duplicate or negative rule priority in {what}.")));
        }
    }
    let rate_limit = if in_group { 4 } else { 10 };
    let rates = rules.iter().filter(|r| r.statement.rate_based.is_some()).count();
    if rates > rate_limit {
        return Err(ctx.limits("RateBasedStatement", format!("At most {rate_limit} rate-based rules are allowed here.")));
    }
    let mut sorted: Vec<&Rule> = rules.iter().collect();
    sorted.sort_by_key(|r| r.priority);
    let mut out = Vec::with_capacity(sorted.len());
    let mut capacity = 0;
    for r in sorted {
        let rctx = ctx.for_rule(&r.name);
        capacity += wcu::rule(&rctx, r)?;
        out.push(compile_rule(&rctx, r, in_group)?);
    }
    Ok((out, capacity))
}

fn compile_rule(ctx: &Ctx, r: &Rule, in_group: bool) -> Result<CRule, CompileError> {
    let kind = kind_of(&r.statement).map_err(|m| ctx.invalid("STATEMENT", "Statement", m))?;
    let is_group = matches!(kind, "RULE_GROUP_REFERENCE_STATEMENT" | "MANAGED_RULE_SET_STATEMENT");
    if is_group && in_group {
        return Err(ctx.invalid("STATEMENT", kind, "A rule group can't reference another rule group."));
    }
    let captcha_immunity = immunity(&r.captcha_config, ctx.captcha_immunity).map_err(|m| ctx.invalid("CHALLENGE_CONFIG", "CaptchaConfig", m))?;
    let challenge_immunity = immunity(&r.challenge_config, ctx.challenge_immunity).map_err(|m| ctx.invalid("CHALLENGE_CONFIG", "ChallengeConfig", m))?;
    let (action, override_count, body) = if is_group {
        if r.action.is_some() {
            return Err(ctx.invalid("RULE_ACTION", "Action", "A rule that references a rule group takes an OverrideAction, not an Action."));
        }
        if r.rule_labels.as_ref().is_some_and(|l| !l.is_empty()) {
            return Err(ctx.invalid("RULE", "RuleLabels", "A rule that references a rule group can't add labels."));
        }
        let o = r.override_action.as_ref().ok_or_else(|| ctx.invalid("OVERRIDE_ACTION", "OverrideAction", "A rule that references a rule group needs an OverrideAction."))?;
        let count = match (&o.count, &o.none) {
            (Some(_), None) => true,
            (None, Some(_)) => false,
            _ => return Err(ctx.invalid("OVERRIDE_ACTION", "OverrideAction", "Set exactly one of Count or None.")),
        };
        let body = RuleBody::Group(Box::new(group_ref(ctx, r)?));
        (CAction::Count(Vec::new()), count, body)
    } else {
        if r.override_action.is_some() {
            return Err(ctx.invalid("OVERRIDE_ACTION", "OverrideAction", "Only a rule that references a rule group takes an OverrideAction."));
        }
        let a = r.action.as_ref().ok_or_else(|| ctx.invalid("RULE_ACTION", "Action", "The rule needs an Action."))?;
        let body = match &r.statement.rate_based {
            Some(rb) => RuleBody::Rate(Box::new(rate(ctx, rb)?)),
            None => RuleBody::Regular(compile_stmt(ctx, &r.statement, 0)?),
        };
        (rule_action(ctx, a)?, false, body)
    };
    Ok(CRule {
        name: r.name.clone(),
        metric_name: r.visibility_config.metric_name.clone(),
        body,
        action,
        override_count,
        labels: labels(ctx, r.rule_labels.as_deref().unwrap_or_default())?,
        captcha_immunity,
        challenge_immunity,
    })
}

fn labels(ctx: &Ctx, list: &[Label]) -> Result<Vec<String>, CompileError> {
    list.iter()
        .map(|l| {
            let parts: Vec<&str> = l.name.split(':').collect();
            let ok_chars = l.name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'));
            let ok_parts = parts.len() <= 6 && parts.iter().all(|p| (1..=128).contains(&p.len()));
            let reserved = ctx.managed.is_none() && parts.iter().any(|p| RESERVED.contains(p));
            if !ok_chars || !ok_parts || reserved {
                return Err(ctx.invalid(
                    "RULE",
                    l.name.clone(),
                    "Labels are up to five namespaces and a name of 1-128 characters [0-9A-Za-z_-], without the reserved words awswaf, aws, waf, rulegroup, webacl, regexpatternset, ipset, managed.",
                ));
            }
            Ok(format!("{}{}", ctx.namespace, l.name))
        })
        .collect()
}

fn insert_headers(ctx: &Ctx, h: &HandlingAction) -> Result<Vec<HeaderPair>, CompileError> {
    let Some(c) = &h.custom_request_handling else { return Ok(Vec::new()) };
    if c.insert_headers.is_empty() || c.insert_headers.len() > 10 {
        return Err(ctx.invalid("CUSTOM_REQUEST_HANDLING", "InsertHeaders", "Custom request handling inserts 1 to 10 headers."));
    }
    let mut seen = HashSet::new();
    c.insert_headers
        .iter()
        .map(|h| {
            header_ok(ctx, h, "CUSTOM_REQUEST_HANDLING")?;
            if !seen.insert(h.name.to_ascii_lowercase()) {
                return Err(ctx.invalid("CUSTOM_REQUEST_HANDLING", h.name.clone(), "Duplicate header names are not allowed."));
            }
            Ok((format!("x-amzn-waf-{}", h.name), h.value.clone()))
        })
        .collect()
}

fn header_ok(ctx: &Ctx, h: &CustomHttpHeader, field: &'static str) -> Result<(), CompileError> {
    let name_ok = (1..=64).contains(&h.name.len()) && h.name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._$-".contains(&b));
    let value_ok = (1..=255).contains(&h.value.len()) && !h.value.bytes().any(|b| b == b'\r' || b == b'\n');
    if name_ok && value_ok {
        Ok(())
    } else {
        Err(ctx.invalid(field, h.name.clone(), "Header names match ^[a-zA-Z0-9._$-]+$ (1-64), values are 1-255 characters."))
    }
}

fn custom_response(ctx: &Ctx, r: &CustomResponse) -> Result<CustomResponseSpec, CompileError> {
    let status = u16::try_from(r.response_code)
        .ok()
        .filter(|s| (200..=599).contains(s))
        .ok_or_else(|| ctx.invalid("CUSTOM_RESPONSE", r.response_code.to_string(), "ResponseCode must be 200-599."))?;
    let list = r.response_headers.as_deref().unwrap_or_default();
    if list.len() > 10 {
        return Err(ctx.invalid("CUSTOM_RESPONSE", "ResponseHeaders", "A custom response has at most 10 headers."));
    }
    let mut headers = Vec::with_capacity(list.len());
    for h in list {
        header_ok(ctx, h, "CUSTOM_RESPONSE")?;
        headers.push((h.name.clone(), h.value.clone()));
    }
    let body = match &r.custom_response_body_key {
        None => None,
        Some(key) => {
            let b = ctx.bodies.and_then(|m| m.get(key)).ok_or_else(|| {
                ctx.invalid("CUSTOM_RESPONSE_BODY", key.clone(), "The CustomResponseBodyKey is not defined in CustomResponseBodies.")
            })?;
            Some((b.content.clone(), b.content_type.mime()))
        }
    };
    Ok(CustomResponseSpec { status, headers, body })
}

pub(super) fn rule_action(ctx: &Ctx, a: &RuleAction) -> Result<CAction, CompileError> {
    let set = [a.block.is_some(), a.allow.is_some(), a.count.is_some(), a.captcha.is_some(), a.challenge.is_some()];
    if set.iter().filter(|s| **s).count() != 1 {
        return Err(ctx.invalid("RULE_ACTION", "Action", "Set exactly one of Allow, Block, Count, Captcha or Challenge."));
    }
    Ok(if let Some(b) = &a.block {
        CAction::Block(b.custom_response.as_ref().map(|r| custom_response(ctx, r).map(Arc::new)).transpose()?)
    } else if let Some(h) = &a.allow {
        CAction::Allow(insert_headers(ctx, h)?)
    } else if let Some(h) = &a.count {
        CAction::Count(insert_headers(ctx, h)?)
    } else if let Some(h) = &a.captcha {
        CAction::Captcha(insert_headers(ctx, h)?)
    } else {
        CAction::Challenge(insert_headers(ctx, a.challenge.as_ref().unwrap_or(&HandlingAction::default()))?)
    })
}

pub(super) fn default_action(ctx: &Ctx, d: &DefaultAction) -> Result<CAction, CompileError> {
    let a = RuleAction { block: d.block.clone(), allow: d.allow.clone(), ..RuleAction::default() };
    rule_action(ctx, &a).map_err(|mut e| {
        e.field = "DEFAULT_ACTION";
        e
    })
}

/// Checks an ACL's or group's custom response bodies against AWS's quotas.
pub(super) fn check_bodies(b: Option<&BTreeMap<String, CustomResponseBody>>) -> Result<(), CompileError> {
    let Some(b) = b else { return Ok(()) };
    let total: usize = b.values().map(|v| v.content.len()).sum();
    if b.len() > 50 || total > 50 * 1024 {
        return Err(CompileError::limits(None, "CustomResponseBodies", "At most 50 bodies and 50 KB of body content."));
    }
    match b.iter().find(|(k, v)| !valid_name(k) || v.content.is_empty() || v.content.len() > 4096) {
        Some((k, _)) => Err(CompileError::invalid(None, "CUSTOM_RESPONSE_BODY", k.clone(), "Body keys match ^[\\w\\-]+$; content is 1 byte to 4 KB.")),
        None => Ok(()),
    }
}

fn rate(ctx: &Ctx, rb: &RateBasedStatement) -> Result<CRate, CompileError> {
    let f = "RATE_BASED_STATEMENT";
    let limit = u64::try_from(rb.limit)
        .ok()
        .filter(|l| (10..=2_000_000_000).contains(l))
        .ok_or_else(|| ctx.invalid(f, rb.limit.to_string(), "Limit must be between 10 and 2000000000."))?;
    let window_sec = rb.evaluation_window_sec.unwrap_or(300);
    if ![60, 120, 300, 600].contains(&window_sec) {
        return Err(ctx.invalid(f, window_sec.to_string(), "EvaluationWindowSec must be 60, 120, 300 or 600."));
    }
    let fwd = rb.forwarded_ip_config.as_ref().map(|c| statement::fwd(ctx, c)).transpose()?;
    let keys = rb.custom_keys.as_deref().unwrap_or_default();
    let aggregate = match rb.aggregate_key_type {
        AggregateKeyType::Ip => CAggregate::Ip,
        AggregateKeyType::ForwardedIp if fwd.is_some() => CAggregate::ForwardedIp,
        AggregateKeyType::ForwardedIp => return Err(ctx.invalid("FORWARDED_IP_CONFIG", "ForwardedIPConfig", "FORWARDED_IP needs a ForwardedIPConfig.")),
        AggregateKeyType::Constant if rb.scope_down_statement.is_some() => CAggregate::Constant,
        AggregateKeyType::Constant => return Err(ctx.invalid("SCOPE_DOWN", "ScopeDownStatement", "CONSTANT needs a ScopeDownStatement.")),
        AggregateKeyType::CustomKeys => CAggregate::Custom(custom_keys(ctx, keys, fwd.is_some())?),
    };
    if !matches!(aggregate, CAggregate::Custom(_)) && !keys.is_empty() {
        return Err(ctx.invalid("CUSTOM_KEYS", "CustomKeys", "CustomKeys is only allowed with AggregateKeyType CUSTOM_KEYS."));
    }
    let scope_down = rb.scope_down_statement.as_ref().map(|s| compile_stmt(ctx, s, 1)).transpose()?;
    Ok(CRate {
        instance: Arc::from(format!("{}|{}", ctx.instance, ctx.rule.unwrap_or_default())),
        limit,
        window_sec: window_sec as u64,
        aggregate,
        scope_down,
        fwd,
    })
}

fn custom_keys(ctx: &Ctx, keys: &[RateBasedStatementCustomKey], has_fwd: bool) -> Result<Vec<CKey>, CompileError> {
    if keys.is_empty() || keys.len() > 5 {
        return Err(ctx.invalid("CUSTOM_KEYS", "CustomKeys", "CUSTOM_KEYS takes 1 to 5 keys."));
    }
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let mut one: Vec<CKey> = Vec::new();
        let named = |n: &RateLimitNamed, mk: fn(String, Vec<TextTransformationType>) -> CKey| -> Result<CKey, CompileError> {
            Ok(mk(n.name.to_ascii_lowercase(), chain(ctx, &n.text_transformations)?))
        };
        if let Some(n) = &k.header {
            one.push(named(n, CKey::Header)?);
        }
        if let Some(n) = &k.cookie {
            one.push(CKey::Cookie(n.name.clone(), chain(ctx, &n.text_transformations)?));
        }
        if let Some(n) = &k.query_argument {
            one.push(named(n, CKey::QueryArgument)?);
        }
        if let Some(t) = &k.query_string {
            one.push(CKey::QueryString(chain(ctx, &t.text_transformations)?));
        }
        if let Some(t) = &k.uri_path {
            one.push(CKey::UriPath(chain(ctx, &t.text_transformations)?));
        }
        if k.http_method.is_some() {
            one.push(CKey::Method);
        }
        if k.ip.is_some() {
            one.push(CKey::Ip);
        }
        if k.forwarded_ip.is_some() {
            if !has_fwd {
                return Err(ctx.invalid("FORWARDED_IP_CONFIG", "ForwardedIPConfig", "A ForwardedIP key needs the statement's ForwardedIPConfig."));
            }
            one.push(CKey::ForwardedIp);
        }
        if let Some(l) = &k.label_namespace {
            if !l.namespace.ends_with(':') {
                return Err(ctx.invalid("CUSTOM_KEYS", l.namespace.clone(), "A label namespace ends with ':'."));
            }
            one.push(CKey::LabelNamespace(ctx.qualify(&l.namespace)));
        }
        if let Some(j) = &k.ja3_fingerprint {
            one.push(CKey::Ja3(j.fallback_behavior));
        }
        if let Some(j) = &k.ja4_fingerprint {
            one.push(CKey::Ja4(j.fallback_behavior));
        }
        if k.asn.is_some() {
            one.push(CKey::Asn);
        }
        if one.len() != 1 {
            return Err(ctx.invalid("CUSTOM_KEYS", "CustomKeys", "Each custom key sets exactly one key type."));
        }
        out.append(&mut one);
    }
    let only_ip = out.len() == 1 && matches!(out[0], CKey::Ip | CKey::ForwardedIp);
    if only_ip {
        return Err(ctx.invalid("CUSTOM_KEYS", "CustomKeys", "An IP or ForwardedIP custom key needs at least one other key; use AggregateKeyType IP or FORWARDED_IP instead."));
    }
    Ok(out)
}

fn overrides(ctx: &Ctx, list: &Option<Vec<RuleActionOverride>>, group: &CRuleGroup) -> Result<HashMap<String, CAction>, CompileError> {
    let mut out = HashMap::new();
    for o in list.iter().flatten() {
        if !group.rules.iter().any(|r| r.name == o.name) {
            return Err(ctx.invalid("RULE_ACTION", o.name.clone(), format!("RuleActionOverrides names a rule that rule group {} doesn't have.", group.name)));
        }
        out.insert(o.name.clone(), rule_action(ctx, &o.action_to_use)?);
    }
    Ok(out)
}

fn excluded(ctx: &Ctx, list: &Option<Vec<ExcludedRule>>, group: &CRuleGroup) -> Result<HashSet<String>, CompileError> {
    let mut out = HashSet::new();
    for e in list.iter().flatten() {
        if !group.rules.iter().any(|r| r.name == e.name) {
            return Err(ctx.invalid("EXCLUDED_RULE", e.name.clone(), format!("ExcludedRules names a rule that rule group {} doesn't have.", group.name)));
        }
        out.insert(e.name.clone());
    }
    Ok(out)
}

fn group_ref(ctx: &Ctx, r: &Rule) -> Result<CGroupRef, CompileError> {
    let instance = format!("{}|{}", ctx.instance, r.name);
    if let Some(m) = &r.statement.managed_rule_group {
        let (group, id) = managed::compile(ctx, m, &instance)?;
        let scope_down = m.scope_down_statement.as_ref().map(|s| compile_stmt(ctx, s, 1)).transpose()?;
        return Ok(CGroupRef {
            excluded: excluded(ctx, &m.excluded_rules, &group)?,
            overrides: overrides(ctx, &m.rule_action_overrides, &group)?,
            group: Arc::new(group),
            id,
            managed: true,
            scope_down,
        });
    }
    let g = r.statement.rule_group_reference.as_ref().ok_or_else(|| ctx.invalid("STATEMENT", "Statement", "Not a rule group reference."))?;
    let rg = ctx.resources.rule_groups.get(&g.arn).ok_or_else(|| CompileError::nonexistent(ctx.rule, "RULE_GROUP", &g.arn))?;
    let (group, _) = compile_rule_group(rg, ctx.resources, ctx.opts, &instance, (ctx.captcha_immunity, ctx.challenge_immunity))?;
    Ok(CGroupRef {
        excluded: excluded(ctx, &g.excluded_rules, &group)?,
        overrides: overrides(ctx, &g.rule_action_overrides, &group)?,
        group: Arc::new(group),
        id: g.arn.clone(),
        managed: false,
        scope_down: None,
    })
}

/// Compiles a rule group in its own context and checks its capacity.
pub(super) fn compile_rule_group(
    rg: &RuleGroup,
    resources: &Resources,
    opts: &super::CompileOptions,
    instance: &str,
    immunities: (u64, u64),
) -> Result<(CRuleGroup, u64), CompileError> {
    let account = super::account_of(rg.arn.as_deref()).unwrap_or(&opts.account_id).to_owned();
    check_bodies(rg.custom_response_bodies.as_ref())?;
    let ctx = Ctx {
        rule: None,
        dialect: opts.dialect,
        resources,
        opts,
        namespace: rg.label_namespace.clone().unwrap_or_else(|| format!("awswaf:{account}:rulegroup:{}:", rg.name)),
        bodies: rg.custom_response_bodies.as_ref(),
        managed: None,
        instance: format!("{instance}|{}", rg.name),
        captcha_immunity: immunities.0,
        challenge_immunity: immunities.1,
    };
    let (rules, used) = compile_rules(&ctx, rg.rules.as_deref().unwrap_or_default(), "the rule group", true)?;
    let declared = u64::try_from(rg.capacity).unwrap_or(0);
    if used > declared || declared > super::MAX_WEB_ACL_CAPACITY {
        return Err(CompileError::limits(
            None,
            "Capacity",
            format!("Rule group {} needs {used} WCUs but its Capacity is {declared}.", rg.name),
        ));
    }
    Ok((CRuleGroup { name: rg.name.clone(), rules }, used))
}
