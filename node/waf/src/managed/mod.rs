//! AWS managed rule groups, by name: our own rules under AWS's rule names
//! and labels (AWS does not publish its patterns). Each group is a list of
//! ordinary wafv2 rules in `*.json` beside this file (CloudFormation
//! dialect: plain search strings), compiled like any rule group under the
//! namespace `awswaf:managed:aws:<group>:`, so exclusions, overrides,
//! labels and logs work exactly as for AWS's groups. The JSON files are
//! written by `node/waf/tools/gen_managed.py`; `RULES.md` says what each
//! rule detects.

use crate::compile::types::{CRuleGroup, IpMatcher};
use crate::compile::Ctx;
use crate::error::{AwsException, CompileError};
use crate::model::{Dialect, ManagedRuleGroupStatement, Rule};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The addresses behind the Amazon IP reputation list's three rules (AWS's
/// lists come from its threat intelligence; here the operator supplies them,
/// as CIDRs, IPv4 or IPv6).
#[derive(Debug, Clone, Default)]
pub struct IpReputationLists {
    /// `AWSManagedIPReputationList`: addresses identified as bots.
    pub reputation: Vec<String>,
    /// `AWSManagedReconnaissanceList`: addresses performing reconnaissance.
    pub reconnaissance: Vec<String>,
    /// `AWSManagedIPDDoSList`: addresses engaged in DDoS (rule action Count).
    pub ddos: Vec<String>,
}

/// One managed rule group we implement.
#[derive(Debug)]
pub struct ManagedGroup {
    /// The group's name (`AWSManagedRulesCommonRuleSet`).
    pub name: &'static str,
    /// The label namespace component (`core-rule-set`).
    pub label: &'static str,
    /// The capacity AWS publishes for the group.
    pub capacity: u64,
    /// Whether AWS versions the group (`Version_1.x`).
    pub versioned: bool,
    json: &'static str,
}

/// The managed rule groups this engine runs.
pub const GROUPS: &[ManagedGroup] = &[
    ManagedGroup {
        name: "AWSManagedRulesCommonRuleSet",
        label: "core-rule-set",
        capacity: 700,
        versioned: true,
        json: include_str!("common.json"),
    },
    ManagedGroup {
        name: "AWSManagedRulesKnownBadInputsRuleSet",
        label: "known-bad-inputs",
        capacity: 200,
        versioned: true,
        json: include_str!("known_bad_inputs.json"),
    },
    ManagedGroup {
        name: "AWSManagedRulesSQLiRuleSet",
        label: "sql-database",
        capacity: 200,
        versioned: true,
        json: include_str!("sqli.json"),
    },
    ManagedGroup {
        name: "AWSManagedRulesAmazonIpReputationList",
        label: "amazon-ip-list",
        capacity: 25,
        versioned: false,
        json: include_str!("ip_reputation.json"),
    },
];

impl ManagedGroup {
    /// The group's rules as wafv2 JSON objects.
    pub fn rules(&self) -> &'static [Rule] {
        static PARSED: OnceLock<Vec<Vec<Rule>>> = OnceLock::new();
        let all = PARSED.get_or_init(|| {
            GROUPS
                .iter()
                .map(|g| serde_json::from_str(g.json).unwrap_or_default())
                .collect()
        });
        let idx = GROUPS.iter().position(|g| g.name == self.name).unwrap_or(0);
        all.get(idx).map_or(&[], Vec::as_slice)
    }
}

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
    let (rules, _) = super::compile::rules_for_managed(&inner, g.rules())?;
    Ok((
        CRuleGroup {
            name: g.name.to_owned(),
            rules,
        },
        format!("AWS#{}", g.name),
    ))
}
