//! AWS WAF v2 objects as the control plane stores them: web ACLs, IP sets,
//! regex pattern sets and rule groups ([`WafItem`], each kept whole in the
//! wafv2 API's JSON shape, as `Get*` answers it), and which web ACL protects
//! which stage (associations, keyed by the stage's ARN). The engine that
//! reads them is `apigw-waf`; the API that writes them is the node's `wafv2`.

use serde::{Deserialize, Serialize};

/// What kind of wafv2 object an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WafKind {
    WebAcl,
    IpSet,
    RegexPatternSet,
    RuleGroup,
}

impl WafKind {
    /// The ARN's resource segment (`webacl`, `ipset`...).
    pub fn arn_segment(self) -> &'static str {
        match self {
            WafKind::WebAcl => "webacl",
            WafKind::IpSet => "ipset",
            WafKind::RegexPatternSet => "regexpatternset",
            WafKind::RuleGroup => "rulegroup",
        }
    }
}

/// One stored wafv2 object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WafItem {
    pub kind: WafKind,
    pub id: String,
    pub name: String,
    pub arn: String,
    /// Changes on every update; an update or delete must present it.
    pub lock_token: String,
    /// The object as `Get*` answers it (PascalCase members, `Id` and `ARN`
    /// included).
    pub body: serde_json::Value,
    /// Tags given at create time.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The ARN of a REST API stage, as wafv2 associations name it.
pub fn stage_arn(region: &str, api_id: &str, stage: &str) -> String {
    format!("arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}")
}

/// The API id and stage name of a stage ARN (any region).
pub fn parse_stage_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:apigateway:")?;
    let (_region, path) = rest.split_once("::")?;
    let path = path.strip_prefix("/restapis/")?;
    let (api, stage) = path.split_once("/stages/")?;
    (!api.is_empty() && !stage.is_empty() && !api.contains('/') && !stage.contains('/'))
        .then_some((api, stage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_arns_round_trip() {
        let arn = stage_arn("us-east-1", "a1b2", "prod");
        assert_eq!(
            arn,
            "arn:aws:apigateway:us-east-1::/restapis/a1b2/stages/prod"
        );
        assert_eq!(parse_stage_arn(&arn), Some(("a1b2", "prod")));
        assert_eq!(
            parse_stage_arn("arn:aws:apigateway:us-east-1::/restapis/a1b2"),
            None
        );
        assert_eq!(
            parse_stage_arn("arn:aws:apigateway:x::/restapis/a/stages/b/c"),
            None
        );
    }
}
