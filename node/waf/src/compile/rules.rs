//! Compiling rules: names and priorities, actions and their custom request
//! and response handling, labels, rule group references (own and managed)
//! with their exclusions and overrides, and capacity.

use super::actions::{check_bodies, rule_action, valid_name};
use super::statement::{compile as compile_stmt, kind_of};
use super::types::*;
use super::{immunity, Ctx, Resources};
use crate::error::CompileError;
use crate::managed;
use crate::model::*;
use crate::wcu;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

const RESERVED: [&str; 8] = [
    "awswaf",
    "aws",
    "waf",
    "rulegroup",
    "webacl",
    "regexpatternset",
    "ipset",
    "managed",
];

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
    let fms = |l: &Option<Vec<FirewallManagerRuleGroup>>| {
        l.iter().flatten().map(fms_rule).collect::<Vec<_>>()
    };
    vec![
        (
            fms(&acl.pre_process_firewall_manager_rule_groups),
            "PreProcessFirewallManagerRuleGroups",
        ),
        (acl.rules.clone().unwrap_or_default(), "Rules"),
        (
            fms(&acl.post_process_firewall_manager_rule_groups),
            "PostProcessFirewallManagerRuleGroups",
        ),
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
            return Err(CompileError::invalid(
                Some(&r.name),
                "RULE",
                r.name.clone(),
                "Rule names must match ^[\\w\\-]+$ (1-128 characters).",
            ));
        }
        if !names.insert(r.name.as_str()) {
            return Err(CompileError::invalid(
                Some(&r.name),
                "RULE",
                r.name.clone(),
                format!("Duplicate rule name in {what}."),
            ));
        }
        if r.priority < 0 || !prios.insert(r.priority) {
            return Err(CompileError::invalid(
                Some(&r.name),
                "RULE",
                r.priority.to_string(),
                format!("Duplicate or negative rule priority in {what}."),
            ));
        }
    }
    let rate_limit = if in_group { 4 } else { 10 };
    let rates = rules
        .iter()
        .filter(|r| r.statement.rate_based.is_some())
        .count();
    if rates > rate_limit {
        return Err(ctx.limits(
            "RateBasedStatement",
            format!("At most {rate_limit} rate-based rules are allowed here."),
        ));
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
    let is_group = matches!(
        kind,
        "RULE_GROUP_REFERENCE_STATEMENT" | "MANAGED_RULE_SET_STATEMENT"
    );
    if is_group && in_group {
        return Err(ctx.invalid(
            "STATEMENT",
            kind,
            "A rule group can't reference another rule group.",
        ));
    }
    let captcha_immunity = immunity(&r.captcha_config, ctx.captcha_immunity)
        .map_err(|m| ctx.invalid("CHALLENGE_CONFIG", "CaptchaConfig", m))?;
    let challenge_immunity = immunity(&r.challenge_config, ctx.challenge_immunity)
        .map_err(|m| ctx.invalid("CHALLENGE_CONFIG", "ChallengeConfig", m))?;
    let (action, override_count, body) = if is_group {
        if r.action.is_some() {
            return Err(ctx.invalid(
                "RULE_ACTION",
                "Action",
                "A rule that references a rule group takes an OverrideAction, not an Action.",
            ));
        }
        if r.rule_labels.as_ref().is_some_and(|l| !l.is_empty()) {
            return Err(ctx.invalid(
                "RULE",
                "RuleLabels",
                "A rule that references a rule group can't add labels.",
            ));
        }
        let o = r.override_action.as_ref().ok_or_else(|| {
            ctx.invalid(
                "OVERRIDE_ACTION",
                "OverrideAction",
                "A rule that references a rule group needs an OverrideAction.",
            )
        })?;
        let count = match (&o.count, &o.none) {
            (Some(_), None) => true,
            (None, Some(_)) => false,
            _ => {
                return Err(ctx.invalid(
                    "OVERRIDE_ACTION",
                    "OverrideAction",
                    "Set exactly one of Count or None.",
                ))
            }
        };
        let body = RuleBody::Group(Box::new(group_ref(ctx, r)?));
        (CAction::Count(Vec::new()), count, body)
    } else {
        if r.override_action.is_some() {
            return Err(ctx.invalid(
                "OVERRIDE_ACTION",
                "OverrideAction",
                "Only a rule that references a rule group takes an OverrideAction.",
            ));
        }
        let a = r
            .action
            .as_ref()
            .ok_or_else(|| ctx.invalid("RULE_ACTION", "Action", "The rule needs an Action."))?;
        let body = match &r.statement.rate_based {
            Some(rb) => RuleBody::Rate(Box::new(super::rate::compile(ctx, rb)?)),
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

fn overrides(
    ctx: &Ctx,
    list: &Option<Vec<RuleActionOverride>>,
    group: &CRuleGroup,
) -> Result<HashMap<String, CAction>, CompileError> {
    let mut out = HashMap::new();
    for o in list.iter().flatten() {
        if !group.rules.iter().any(|r| r.name == o.name) {
            return Err(ctx.invalid(
                "RULE_ACTION",
                o.name.clone(),
                format!(
                    "RuleActionOverrides names a rule that rule group {} doesn't have.",
                    group.name
                ),
            ));
        }
        out.insert(o.name.clone(), rule_action(ctx, &o.action_to_use)?);
    }
    Ok(out)
}

fn excluded(
    ctx: &Ctx,
    list: &Option<Vec<ExcludedRule>>,
    group: &CRuleGroup,
) -> Result<HashSet<String>, CompileError> {
    let mut out = HashSet::new();
    for e in list.iter().flatten() {
        if !group.rules.iter().any(|r| r.name == e.name) {
            return Err(ctx.invalid(
                "EXCLUDED_RULE",
                e.name.clone(),
                format!(
                    "ExcludedRules names a rule that rule group {} doesn't have.",
                    group.name
                ),
            ));
        }
        out.insert(e.name.clone());
    }
    Ok(out)
}

fn group_ref(ctx: &Ctx, r: &Rule) -> Result<CGroupRef, CompileError> {
    let instance = format!("{}|{}", ctx.instance, r.name);
    if let Some(m) = &r.statement.managed_rule_group {
        let (group, id) = managed::compile(ctx, m, &instance)?;
        let scope_down = m
            .scope_down_statement
            .as_ref()
            .map(|s| compile_stmt(ctx, s, 1))
            .transpose()?;
        return Ok(CGroupRef {
            excluded: excluded(ctx, &m.excluded_rules, &group)?,
            overrides: overrides(ctx, &m.rule_action_overrides, &group)?,
            group: Arc::new(group),
            id,
            managed: true,
            scope_down,
        });
    }
    let g = r
        .statement
        .rule_group_reference
        .as_ref()
        .ok_or_else(|| ctx.invalid("STATEMENT", "Statement", "Not a rule group reference."))?;
    let rg = ctx
        .resources
        .rule_groups
        .get(&g.arn)
        .ok_or_else(|| CompileError::nonexistent(ctx.rule, "RULE_GROUP", &g.arn))?;
    let (group, _) = compile_rule_group(
        rg,
        ctx.resources,
        ctx.opts,
        &instance,
        (ctx.captcha_immunity, ctx.challenge_immunity),
    )?;
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
    let account = super::account_of(rg.arn.as_deref())
        .unwrap_or(&opts.account_id)
        .to_owned();
    check_bodies(rg.custom_response_bodies.as_ref())?;
    let ctx = Ctx {
        rule: None,
        dialect: opts.dialect,
        resources,
        opts,
        namespace: rg
            .label_namespace
            .clone()
            .unwrap_or_else(|| format!("awswaf:{account}:rulegroup:{}:", rg.name)),
        bodies: rg.custom_response_bodies.as_ref(),
        managed: None,
        instance: format!("{instance}|{}", rg.name),
        captcha_immunity: immunities.0,
        challenge_immunity: immunities.1,
    };
    let (rules, used) = compile_rules(
        &ctx,
        rg.rules.as_deref().unwrap_or_default(),
        "the rule group",
        true,
    )?;
    let declared = u64::try_from(rg.capacity).unwrap_or(0);
    if used > declared || declared > super::MAX_WEB_ACL_CAPACITY {
        return Err(CompileError::limits(
            None,
            "Capacity",
            format!(
                "Rule group {} needs {used} WCUs but its Capacity is {declared}.",
                rg.name
            ),
        ));
    }
    Ok((
        CRuleGroup {
            name: rg.name.clone(),
            rules,
        },
        used,
    ))
}
