//! Managed rule group statements compiled: the group looked up (vendor,
//! name, version), its rules compiled under the group's label namespace with
//! the operator's IP reputation lists, and its published capacity. The groups
//! themselves are data, in [`crate::managed`].

use super::types::{CRuleGroup, IpMatcher};
use super::Ctx;
use crate::error::{AwsException, CompileError};
use crate::managed::{IpReputationLists, ManagedGroup, GROUPS};
use crate::model::{Dialect, ManagedRuleGroupStatement};
use std::collections::HashMap;
use std::sync::Arc;

fn lookup(ctx: &Ctx, m: &ManagedRuleGroupStatement) -> Result<&'static ManagedGroup, CompileError> {
    let f = "MANAGED_RULE_SET";
    if m.vendor_name != "AWS" {
        return Err(ctx.invalid(
            f,
            m.vendor_name.clone(),
            "Only the vendor AWS's managed rule groups are available here.",
        ));
    }
    let g = GROUPS.iter().find(|g| g.name == m.name).ok_or_else(|| {
        ctx.invalid(
            f,
            m.name.clone(),
            "The managed rule group doesn't exist (or isn't implemented here).",
        )
    })?;
    if let Some(v) = &m.version {
        let known = g.versioned
            && v.strip_prefix("Version_1.")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !known {
            return Err(CompileError {
                exception: AwsException::InvalidParameter,
                rule: ctx.rule.map(str::to_owned),
                field: f,
                parameter: v.clone(),
                reason: format!("The managed rule group {} has no version {v}.", g.name),
            });
        }
    }
    Ok(g)
}

/// The capacity of a managed rule group statement (without its scope-down).
pub(crate) fn capacity(ctx: &Ctx, m: &ManagedRuleGroupStatement) -> Result<u64, CompileError> {
    lookup(ctx, m).map(|g| g.capacity)
}

fn ip_sets(lists: &IpReputationLists) -> Result<HashMap<String, Arc<IpMatcher>>, String> {
    let mk = |l: &[String]| -> Result<Arc<IpMatcher>, String> {
        let nets = l
            .iter()
            .map(|a| {
                a.trim()
                    .parse::<ipnet::IpNet>()
                    .map(|n| n.trunc())
                    .map_err(|_| a.clone())
            })
            .collect::<Result<_, _>>()?;
        Ok(Arc::new(IpMatcher { nets }))
    };
    Ok(HashMap::from([
        (
            "apigw:managed:ipset:AWSManagedIPReputationList".to_owned(),
            mk(&lists.reputation)?,
        ),
        (
            "apigw:managed:ipset:AWSManagedReconnaissanceList".to_owned(),
            mk(&lists.reconnaissance)?,
        ),
        (
            "apigw:managed:ipset:AWSManagedIPDDoSList".to_owned(),
            mk(&lists.ddos)?,
        ),
    ]))
}

/// Compiles a managed rule group statement's group; returns it and its id.
pub(crate) fn compile(
    ctx: &Ctx,
    m: &ManagedRuleGroupStatement,
    instance: &str,
) -> Result<(CRuleGroup, String), CompileError> {
    let g = lookup(ctx, m)?;
    let sets = ip_sets(&ctx.opts.ip_reputation).map_err(|a| {
        ctx.invalid(
            "IP_ADDRESS",
            a,
            "The IP reputation list holds an address that is not a CIDR block.",
        )
    })?;
    let inner = Ctx {
        rule: None,
        dialect: Dialect::CloudFormation,
        resources: ctx.resources,
        opts: ctx.opts,
        namespace: format!("awswaf:managed:aws:{}:", g.label),
        bodies: None,
        managed: Some(&sets),
        instance: format!("{instance}|{}", g.name),
        captcha_immunity: ctx.captcha_immunity,
        challenge_immunity: ctx.challenge_immunity,
    };
    let (rules, _) = super::rules_for_managed(&inner, g.rules())?;
    Ok((
        CRuleGroup {
            name: g.name.to_owned(),
            rules,
        },
        format!("AWS#{}", g.name),
    ))
}
