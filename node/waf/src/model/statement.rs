//! `Statement` and every statement type of botocore's `wafv2` model. Like the
//! model, `Statement` is a structure of optional members of which exactly
//! one is set; the compiler checks that.

use super::field::{FallbackBehavior, FieldToMatch, TextTransformation};
use super::lenient;
use super::{ManagedRuleGroupConfig, RuleAction};
use serde::{Deserialize, Serialize};

/// `Statement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "ByteMatchStatement", skip_serializing_if = "Option::is_none")]
    pub byte_match: Option<ByteMatchStatement>,
    #[serde(rename = "SqliMatchStatement", skip_serializing_if = "Option::is_none")]
    pub sqli_match: Option<SqliMatchStatement>,
    #[serde(rename = "XssMatchStatement", skip_serializing_if = "Option::is_none")]
    pub xss_match: Option<XssMatchStatement>,
    #[serde(
        rename = "SizeConstraintStatement",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_constraint: Option<SizeConstraintStatement>,
    #[serde(rename = "GeoMatchStatement", skip_serializing_if = "Option::is_none")]
    pub geo_match: Option<GeoMatchStatement>,
    #[serde(
        rename = "RuleGroupReferenceStatement",
        skip_serializing_if = "Option::is_none"
    )]
    pub rule_group_reference: Option<RuleGroupReferenceStatement>,
    #[serde(
        rename = "IPSetReferenceStatement",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip_set_reference: Option<IpSetReferenceStatement>,
    #[serde(
        rename = "RegexPatternSetReferenceStatement",
        skip_serializing_if = "Option::is_none"
    )]
    pub regex_pattern_set_reference: Option<RegexPatternSetReferenceStatement>,
    #[serde(rename = "RateBasedStatement", skip_serializing_if = "Option::is_none")]
    pub rate_based: Option<Box<RateBasedStatement>>,
    #[serde(rename = "AndStatement", skip_serializing_if = "Option::is_none")]
    pub and: Option<AndStatement>,
    #[serde(rename = "OrStatement", skip_serializing_if = "Option::is_none")]
    pub or: Option<OrStatement>,
    #[serde(rename = "NotStatement", skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<NotStatement>>,
    #[serde(
        rename = "ManagedRuleGroupStatement",
        skip_serializing_if = "Option::is_none"
    )]
    pub managed_rule_group: Option<Box<ManagedRuleGroupStatement>>,
    #[serde(
        rename = "LabelMatchStatement",
        skip_serializing_if = "Option::is_none"
    )]
    pub label_match: Option<LabelMatchStatement>,
    #[serde(
        rename = "RegexMatchStatement",
        skip_serializing_if = "Option::is_none"
    )]
    pub regex_match: Option<RegexMatchStatement>,
    #[serde(rename = "AsnMatchStatement", skip_serializing_if = "Option::is_none")]
    pub asn_match: Option<AsnMatchStatement>,
}

/// `PositionalConstraint` of a byte match.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PositionalConstraint {
    Exactly,
    StartsWith,
    EndsWith,
    Contains,
    ContainsWord,
}

/// `ByteMatchStatement` (the console's "string match").
///
/// `SearchString` is a blob: base64 in the API's JSON (and so in
/// `get-web-acl` output and Terraform's `rule_json`), plain text in
/// CloudFormation, which also offers `SearchStringBase64`. It is kept as
/// given; [`crate::Dialect`] says how to read it.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ByteMatchStatement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_string_base64: Option<String>,
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
    pub positional_constraint: PositionalConstraint,
}

/// `SensitivityLevel` of a SQL injection match.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SensitivityLevel {
    Low,
    High,
}

/// `SqliMatchStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SqliMatchStatement {
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity_level: Option<SensitivityLevel>,
}

/// `XssMatchStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct XssMatchStatement {
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
}

/// `ComparisonOperator` of a size constraint.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComparisonOperator {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
}

/// `SizeConstraintStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SizeConstraintStatement {
    pub field_to_match: FieldToMatch,
    pub comparison_operator: ComparisonOperator,
    #[serde(deserialize_with = "lenient::i64")]
    pub size: i64,
    pub text_transformations: Vec<TextTransformation>,
}

/// `ForwardedIPConfig`: take the client address from a header.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardedIpConfig {
    pub header_name: String,
    pub fallback_behavior: FallbackBehavior,
}

/// `GeoMatchStatement`. Country codes are kept as strings (ISO 3166 alpha-2).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GeoMatchStatement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_codes: Option<Vec<String>>,
    #[serde(rename = "ForwardedIPConfig", skip_serializing_if = "Option::is_none")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
}

/// `ExcludedRule`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExcludedRule {
    pub name: String,
}

/// `RuleActionOverride`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleActionOverride {
    pub name: String,
    pub action_to_use: RuleAction,
}

/// `RuleGroupReferenceStatement` (CloudFormation spells `ARN` as `Arn`).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleGroupReferenceStatement {
    #[serde(rename = "ARN", alias = "Arn")]
    pub arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_rules: Option<Vec<ExcludedRule>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_action_overrides: Option<Vec<RuleActionOverride>>,
}

/// `ForwardedIPPosition`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ForwardedIpPosition {
    First,
    Last,
    Any,
}

/// `IPSetForwardedIPConfig`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpSetForwardedIpConfig {
    pub header_name: String,
    pub fallback_behavior: FallbackBehavior,
    pub position: ForwardedIpPosition,
}

/// `IPSetReferenceStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpSetReferenceStatement {
    #[serde(rename = "ARN", alias = "Arn")]
    pub arn: String,
    #[serde(
        rename = "IPSetForwardedIPConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip_set_forwarded_ip_config: Option<IpSetForwardedIpConfig>,
}

/// `RegexPatternSetReferenceStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegexPatternSetReferenceStatement {
    #[serde(rename = "ARN", alias = "Arn")]
    pub arn: String,
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
}

/// `RateBasedStatementAggregateKeyType`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AggregateKeyType {
    Ip,
    ForwardedIp,
    CustomKeys,
    Constant,
}

/// `RateBasedStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateBasedStatement {
    #[serde(deserialize_with = "lenient::i64")]
    pub limit: i64,
    #[serde(
        default,
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub evaluation_window_sec: Option<i64>,
    pub aggregate_key_type: AggregateKeyType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_down_statement: Option<Statement>,
    #[serde(rename = "ForwardedIPConfig", skip_serializing_if = "Option::is_none")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_keys: Option<Vec<RateBasedStatementCustomKey>>,
}

/// A named key with transformations (`RateLimitHeader`, `RateLimitCookie`,
/// `RateLimitQueryArgument`).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateLimitNamed {
    pub name: String,
    pub text_transformations: Vec<TextTransformation>,
}

/// A key with transformations only (`RateLimitQueryString`, `RateLimitUriPath`).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateLimitTransformed {
    pub text_transformations: Vec<TextTransformation>,
}

/// `RateLimitLabelNamespace`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateLimitLabelNamespace {
    pub namespace: String,
}

/// `RateLimitJA3Fingerprint` / `RateLimitJA4Fingerprint`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RateLimitFingerprint {
    pub fallback_behavior: FallbackBehavior,
}

/// `RateBasedStatementCustomKey`: exactly one member is set.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateBasedStatementCustomKey {
    #[serde(rename = "Header", skip_serializing_if = "Option::is_none")]
    pub header: Option<RateLimitNamed>,
    #[serde(rename = "Cookie", skip_serializing_if = "Option::is_none")]
    pub cookie: Option<RateLimitNamed>,
    #[serde(rename = "QueryArgument", skip_serializing_if = "Option::is_none")]
    pub query_argument: Option<RateLimitNamed>,
    #[serde(rename = "QueryString", skip_serializing_if = "Option::is_none")]
    pub query_string: Option<RateLimitTransformed>,
    #[serde(rename = "HTTPMethod", skip_serializing_if = "Option::is_none")]
    pub http_method: Option<super::field::Empty>,
    #[serde(rename = "ForwardedIP", skip_serializing_if = "Option::is_none")]
    pub forwarded_ip: Option<super::field::Empty>,
    #[serde(rename = "IP", skip_serializing_if = "Option::is_none")]
    pub ip: Option<super::field::Empty>,
    #[serde(rename = "LabelNamespace", skip_serializing_if = "Option::is_none")]
    pub label_namespace: Option<RateLimitLabelNamespace>,
    #[serde(rename = "UriPath", skip_serializing_if = "Option::is_none")]
    pub uri_path: Option<RateLimitTransformed>,
    #[serde(rename = "JA3Fingerprint", skip_serializing_if = "Option::is_none")]
    pub ja3_fingerprint: Option<RateLimitFingerprint>,
    #[serde(rename = "JA4Fingerprint", skip_serializing_if = "Option::is_none")]
    pub ja4_fingerprint: Option<RateLimitFingerprint>,
    #[serde(rename = "ASN", skip_serializing_if = "Option::is_none")]
    pub asn: Option<super::field::Empty>,
}

/// `AndStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AndStatement {
    pub statements: Vec<Statement>,
}

/// `OrStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrStatement {
    pub statements: Vec<Statement>,
}

/// `NotStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotStatement {
    pub statement: Statement,
}

/// `ManagedRuleGroupStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedRuleGroupStatement {
    pub vendor_name: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_rules: Option<Vec<ExcludedRule>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope_down_statement: Option<Statement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_rule_group_configs: Option<Vec<ManagedRuleGroupConfig>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_action_overrides: Option<Vec<RuleActionOverride>>,
}

/// `LabelMatchScope`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LabelMatchScope {
    Label,
    Namespace,
}

/// `LabelMatchStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LabelMatchStatement {
    pub scope: LabelMatchScope,
    pub key: String,
}

/// `RegexMatchStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegexMatchStatement {
    pub regex_string: String,
    pub field_to_match: FieldToMatch,
    pub text_transformations: Vec<TextTransformation>,
}

/// `AsnMatchStatement`.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsnMatchStatement {
    #[serde(deserialize_with = "lenient::vec_i64")]
    pub asn_list: Vec<i64>,
    #[serde(rename = "ForwardedIPConfig", skip_serializing_if = "Option::is_none")]
    pub forwarded_ip_config: Option<ForwardedIpConfig>,
}
