//! The wafv2 model: `WebACL`, `RuleGroup`, `IPSet` and `RegexPatternSet`
//! with every member botocore's `wafv2` service model lists, in the
//! PascalCase JSON that the API, `aws wafv2 get-web-acl`, Terraform's
//! `rule_json` and CloudFormation use. Parsed with serde and serialized back
//! unchanged (absent members stay absent). Members the engine does not act
//! on but must return (Firewall Manager bookkeeping, data protection, the
//! fraud-control configs) are kept as typed structures or as raw JSON.
//!
//! [`parse_web_acl`] and friends accept the shapes people paste: the bare
//! object, `get-web-acl`'s `{"WebACL": ..., "LockToken": ...}` and a
//! CloudFormation resource `{"Type": "AWS::WAFv2::WebACL", "Properties": ...}`.

pub mod field;
mod lenient;
pub mod statement;

use crate::error::ParseError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub use field::*;
pub use statement::*;

/// `CustomHTTPHeader`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomHttpHeader {
    pub name: String,
    pub value: String,
}

/// `CustomResponse` of a Block action.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResponse {
    #[serde(deserialize_with = "lenient::i64")]
    pub response_code: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_response_body_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_headers: Option<Vec<CustomHttpHeader>>,
}

/// `CustomRequestHandling` of a non-blocking action.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomRequestHandling {
    pub insert_headers: Vec<CustomHttpHeader>,
}

/// `BlockAction`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_response: Option<CustomResponse>,
}

/// `AllowAction`, `CountAction`, `CaptchaAction`, `ChallengeAction`: all
/// carry only optional custom request handling.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HandlingAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_request_handling: Option<CustomRequestHandling>,
}

/// `DefaultAction`: Allow or Block.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DefaultAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<BlockAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<HandlingAction>,
}

/// `RuleAction`: exactly one member is set.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<BlockAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<HandlingAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<HandlingAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captcha: Option<HandlingAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<HandlingAction>,
}

/// `OverrideAction` of a rule group rule: Count or None.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OverrideAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<HandlingAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub none: Option<Empty>,
}

/// `Label`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Label {
    pub name: String,
}

/// `VisibilityConfig`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VisibilityConfig {
    pub sampled_requests_enabled: bool,
    pub cloud_watch_metrics_enabled: bool,
    pub metric_name: String,
}

/// `ImmunityTimeProperty`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImmunityTimeProperty {
    #[serde(deserialize_with = "lenient::i64")]
    pub immunity_time: i64,
}

/// `CaptchaConfig` / `ChallengeConfig`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImmunityConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immunity_time_property: Option<ImmunityTimeProperty>,
}

/// `Rule`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub name: String,
    #[serde(deserialize_with = "lenient::i64")]
    pub priority: i64,
    pub statement: Statement,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<RuleAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_action: Option<OverrideAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_labels: Option<Vec<Label>>,
    pub visibility_config: VisibilityConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captcha_config: Option<ImmunityConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_config: Option<ImmunityConfig>,
}

/// `CustomResponseBody`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResponseBody {
    pub content_type: ResponseContentType,
    pub content: String,
}

/// `ResponseContentType`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResponseContentType {
    TextPlain,
    TextHtml,
    ApplicationJson,
}

impl ResponseContentType {
    /// The `Content-Type` header value AWS sends for this type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::TextPlain => "text/plain",
            Self::TextHtml => "text/html",
            Self::ApplicationJson => "application/json",
        }
    }
}

/// `RequestBodyAssociatedResourceTypeConfig`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestBodyConfig {
    pub default_size_inspection_limit: SizeInspectionLimit,
}

/// `SizeInspectionLimit`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SizeInspectionLimit {
    #[serde(rename = "KB_16")]
    Kb16,
    #[serde(rename = "KB_32")]
    Kb32,
    #[serde(rename = "KB_48")]
    Kb48,
    #[serde(rename = "KB_64")]
    Kb64,
}

impl SizeInspectionLimit {
    /// The limit in bytes.
    pub fn bytes(self) -> usize {
        match self {
            Self::Kb16 => 16 * 1024,
            Self::Kb32 => 32 * 1024,
            Self::Kb48 => 48 * 1024,
            Self::Kb64 => 64 * 1024,
        }
    }
}

/// `AssociationConfig`: body inspection limits per associated resource type
/// (`CLOUDFRONT`, `API_GATEWAY`, `COGNITO_USER_POOL`, ...).
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssociationConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<BTreeMap<String, RequestBodyConfig>>,
}

/// `FirewallManagerStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FirewallManagerStatement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_rule_group_statement: Option<ManagedRuleGroupStatement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_group_reference_statement: Option<RuleGroupReferenceStatement>,
}

/// `FirewallManagerRuleGroup`: evaluated before (pre-process) or after
/// (post-process) the web ACL's own rules.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FirewallManagerRuleGroup {
    pub name: String,
    #[serde(deserialize_with = "lenient::i64")]
    pub priority: i64,
    pub firewall_manager_statement: FirewallManagerStatement,
    pub override_action: OverrideAction,
    pub visibility_config: VisibilityConfig,
}

/// `ManagedRuleGroupConfig`. The fraud-control and bot-control members are
/// kept as raw JSON: the engine does not run those groups.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedRuleGroupConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_field: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_field: Option<Value>,
    #[serde(
        rename = "AWSManagedRulesBotControlRuleSet",
        skip_serializing_if = "Option::is_none"
    )]
    pub aws_managed_rules_bot_control_rule_set: Option<Value>,
    #[serde(
        rename = "AWSManagedRulesATPRuleSet",
        skip_serializing_if = "Option::is_none"
    )]
    pub aws_managed_rules_atp_rule_set: Option<Value>,
    #[serde(
        rename = "AWSManagedRulesACFPRuleSet",
        skip_serializing_if = "Option::is_none"
    )]
    pub aws_managed_rules_acfp_rule_set: Option<Value>,
    #[serde(
        rename = "AWSManagedRulesAntiDDoSRuleSet",
        skip_serializing_if = "Option::is_none"
    )]
    pub aws_managed_rules_anti_ddos_rule_set: Option<Value>,
}

/// `WebACL`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WebAcl {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        rename = "ARN",
        alias = "Arn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub arn: Option<String>,
    pub default_action: DefaultAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Rule>>,
    pub visibility_config: VisibilityConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_protection_config: Option<Value>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub capacity: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_process_firewall_manager_rule_groups: Option<Vec<FirewallManagerRuleGroup>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_process_firewall_manager_rule_groups: Option<Vec<FirewallManagerRuleGroup>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_by_firewall_manager: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_response_bodies: Option<BTreeMap<String, CustomResponseBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captcha_config: Option<ImmunityConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_config: Option<ImmunityConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_domains: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_config: Option<AssociationConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrofitted_by_firewall_manager: Option<bool>,
    #[serde(
        rename = "OnSourceDDoSProtectionConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_source_ddos_protection_config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_config: Option<Value>,
}

/// `LabelSummary`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LabelSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `RuleGroup`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleGroup {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient::i64")]
    pub capacity: i64,
    #[serde(
        rename = "ARN",
        alias = "Arn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Rule>>,
    pub visibility_config: VisibilityConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_response_bodies: Option<BTreeMap<String, CustomResponseBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_labels: Option<Vec<LabelSummary>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_labels: Option<Vec<LabelSummary>>,
}

/// `IPAddressVersion`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IpAddressVersion {
    #[serde(rename = "IPV4")]
    Ipv4,
    #[serde(rename = "IPV6")]
    Ipv6,
}

/// `IPSet`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpSet {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        rename = "ARN",
        alias = "Arn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "IPAddressVersion")]
    pub ip_address_version: IpAddressVersion,
    pub addresses: Vec<String>,
}

/// `Regex`: one entry of a regex pattern set. CloudFormation lists bare
/// strings instead of `{"RegexString": ...}` objects; both are read.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegexEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex_string: Option<String>,
}

impl<'de> Deserialize<'de> for RegexEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Obj {
            #[serde(default)]
            regex_string: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Bare(String),
            Obj(Obj),
        }
        Ok(match Either::deserialize(d)? {
            Either::Bare(s) => Self {
                regex_string: Some(s),
            },
            Either::Obj(o) => Self {
                regex_string: o.regex_string,
            },
        })
    }
}

/// `RegexPatternSet`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegexPatternSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        rename = "ARN",
        alias = "Arn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regular_expression_list: Option<Vec<RegexEntry>>,
}

/// Which JSON dialect a document is in. They differ in one place that
/// matters: `ByteMatchStatement.SearchString` is base64 in the API's JSON
/// and plain text in CloudFormation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The wafv2 API's JSON: `get-web-acl` output, boto3/CLI input,
    /// Terraform's `rule_json`.
    Api,
    /// CloudFormation `AWS::WAFv2::*` properties.
    CloudFormation,
}

/// Unwraps `{"WebACL": x}` / `{"RuleGroup": x}` / `{"IPSet": x}` /
/// `{"RegexPatternSet": x}` (get-* output) and CloudFormation resources.
fn unwrap(mut v: Value, key: &str) -> (Value, Option<Dialect>) {
    if let Some(inner) = v.get_mut(key).map(Value::take) {
        return (inner, Some(Dialect::Api));
    }
    let is_cfn = v
        .get("Type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("AWS::WAFv2::"));
    if is_cfn {
        if let Some(props) = v.get_mut("Properties").map(Value::take) {
            return (props, Some(Dialect::CloudFormation));
        }
    }
    (v, None)
}

fn parse<T: serde::de::DeserializeOwned>(
    text: &str,
    key: &str,
) -> Result<(T, Option<Dialect>), ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ParseError::Json(e.to_string()))?;
    let (inner, dialect) = unwrap(value, key);
    let parsed = serde_path_to_error_free::deserialize(inner)?;
    Ok((parsed, dialect))
}

/// Deserializes with the failing member's path in the message.
mod serde_path_to_error_free {
    use crate::error::ParseError;
    use serde_json::Value;

    pub fn deserialize<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ParseError> {
        serde_json::from_value(v).map_err(|e| ParseError::Shape(e.to_string()))
    }
}

/// Parses a pasted web ACL. Returns the dialect the wrapper revealed
/// (`get-web-acl` output is [`Dialect::Api`], a CloudFormation resource is
/// [`Dialect::CloudFormation`]) or `None` for a bare object.
pub fn parse_web_acl(text: &str) -> Result<(WebAcl, Option<Dialect>), ParseError> {
    parse(text, "WebACL")
}

/// Parses a pasted rule group (bare, `get-rule-group` output or CloudFormation).
pub fn parse_rule_group(text: &str) -> Result<(RuleGroup, Option<Dialect>), ParseError> {
    parse(text, "RuleGroup")
}

/// Parses a pasted IP set (bare, `get-ip-set` output or CloudFormation).
pub fn parse_ip_set(text: &str) -> Result<IpSet, ParseError> {
    parse(text, "IPSet").map(|(s, _)| s)
}

/// Parses a pasted regex pattern set (bare, `get-regex-pattern-set` output
/// or CloudFormation).
pub fn parse_regex_pattern_set(text: &str) -> Result<RegexPatternSet, ParseError> {
    parse(text, "RegexPatternSet").map(|(s, _)| s)
}
