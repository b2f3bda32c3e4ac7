//! AWS managed rule groups, by name: our own rules under AWS's rule names
//! and labels (AWS does not publish its patterns). Each group is a list of
//! ordinary wafv2 rules in `*.json` beside this file (CloudFormation
//! dialect: plain search strings), compiled like any rule group under the
//! namespace `awswaf:managed:aws:<group>:`, so exclusions, overrides,
//! labels and logs work exactly as for AWS's groups. The JSON files are
//! written by `node/waf/tools/gen_managed.py`; `RULES.md` says what each
//! rule detects. They are compiled by `compile::managed_group`.

use crate::model::Rule;
use std::sync::OnceLock;

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
