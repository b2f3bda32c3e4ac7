//! The compiled form of a web ACL: what evaluation reads. Built once at
//! deploy time by [`crate::compile`]; immutable and shareable (`Send +
//! Sync`) afterwards. Regexes are compiled, IP sets are prefix lists,
//! custom response bodies are resolved, labels are fully qualified.

use crate::model::{
    BodyParsingFallbackBehavior, ComparisonOperator, FallbackBehavior, ForwardedIpPosition,
    LabelMatchScope, MatchScope, OversizeHandling, PositionalConstraint, TextTransformationType,
};
use crate::token::TokenKey;
use ipnet::IpNet;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A header to insert (name already `x-amzn-waf-` prefixed) or to send.
pub type HeaderPair = (String, String);

/// A resolved custom Block response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomResponseSpec {
    /// The status code (200-599).
    pub status: u16,
    /// Response headers, as configured.
    pub headers: Vec<HeaderPair>,
    /// The body and its `Content-Type`, if a body key was given.
    pub body: Option<(String, &'static str)>,
}

/// A rule action with its customization resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CAction {
    /// Allow, inserting these headers.
    Allow(Vec<HeaderPair>),
    /// Block, with an optional custom response.
    Block(Option<Arc<CustomResponseSpec>>),
    /// Count, inserting these headers.
    Count(Vec<HeaderPair>),
    /// CAPTCHA (headers are inserted if the token is valid).
    Captcha(Vec<HeaderPair>),
    /// Challenge (headers are inserted if the token is valid).
    Challenge(Vec<HeaderPair>),
}

impl CAction {
    /// The action's name as AWS logs it (`BLOCK`, `COUNT`...).
    pub fn log_name(&self) -> &'static str {
        match self {
            Self::Allow(_) => "ALLOW",
            Self::Block(_) => "BLOCK",
            Self::Count(_) => "COUNT",
            Self::Captcha(_) => "CAPTCHA",
            Self::Challenge(_) => "CHALLENGE",
        }
    }
}

/// Header and cookie name filters.
#[derive(Debug, Clone)]
pub(crate) enum NameFilter {
    All,
    Include(Vec<String>),
    Exclude(Vec<String>),
}

/// JSON body element selection.
#[derive(Debug, Clone)]
pub(crate) enum JsonPattern {
    All,
    Paths(Vec<String>),
}

/// A compiled `FieldToMatch`.
#[derive(Debug, Clone)]
pub(crate) enum CField {
    SingleHeader(String),
    SingleQueryArgument(String),
    AllQueryArguments,
    UriPath,
    QueryString,
    Method,
    Body(OversizeHandling),
    JsonBody {
        pattern: JsonPattern,
        scope: MatchScope,
        fallback: Option<BodyParsingFallbackBehavior>,
        oversize: OversizeHandling,
    },
    Headers {
        filter: NameFilter,
        scope: MatchScope,
        oversize: OversizeHandling,
    },
    Cookies {
        filter: NameFilter,
        scope: MatchScope,
        oversize: OversizeHandling,
    },
    HeaderOrder(OversizeHandling),
    Ja3(FallbackBehavior),
    Ja4(FallbackBehavior),
    UriFragment(FallbackBehavior),
}

/// What an inspection statement tests the transformed bytes for.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    Bytes {
        needle: Vec<u8>,
        pos: PositionalConstraint,
    },
    Regex(Arc<Vec<regex::bytes::Regex>>),
    Size {
        op: ComparisonOperator,
        size: u64,
    },
    Sqli {
        high: bool,
    },
    Xss,
}

/// An inspection statement: a component, a transformation chain, a test.
#[derive(Debug, Clone)]
pub(crate) struct Inspect {
    pub field: CField,
    pub chain: Vec<TextTransformationType>,
    pub matcher: Matcher,
}

/// `ForwardedIPConfig` compiled.
#[derive(Debug, Clone)]
pub(crate) struct Fwd {
    pub header: String,
    pub fallback: FallbackBehavior,
}

/// An IP set as sorted prefix lists.
#[derive(Debug, Clone, Default)]
pub(crate) struct IpMatcher {
    pub nets: Vec<IpNet>,
}

impl IpMatcher {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
            v4 => v4,
        };
        self.nets.iter().any(|n| n.contains(&ip))
    }
}

/// A compiled statement.
#[derive(Debug, Clone)]
pub(crate) enum CStatement {
    Inspect(Box<Inspect>),
    Geo {
        countries: HashSet<String>,
        fwd: Option<Fwd>,
    },
    Asn {
        asns: HashSet<u32>,
        fwd: Option<Fwd>,
    },
    IpSet {
        set: Arc<IpMatcher>,
        fwd: Option<(Fwd, ForwardedIpPosition)>,
    },
    Label {
        scope: LabelMatchScope,
        key: String,
    },
    And(Vec<CStatement>),
    Or(Vec<CStatement>),
    Not(Box<CStatement>),
}

/// One custom aggregation key of a rate-based rule.
#[derive(Debug, Clone)]
pub(crate) enum CKey {
    Header(String, Vec<TextTransformationType>),
    Cookie(String, Vec<TextTransformationType>),
    QueryArgument(String, Vec<TextTransformationType>),
    QueryString(Vec<TextTransformationType>),
    Method,
    ForwardedIp,
    Ip,
    LabelNamespace(String),
    UriPath(Vec<TextTransformationType>),
    Ja3(FallbackBehavior),
    Ja4(FallbackBehavior),
    Asn,
}

/// How a rate-based rule aggregates.
#[derive(Debug, Clone)]
pub(crate) enum CAggregate {
    Ip,
    ForwardedIp,
    Constant,
    Custom(Vec<CKey>),
}

/// A compiled rate-based statement.
#[derive(Debug, Clone)]
pub(crate) struct CRate {
    /// Unique per rule instance: the counter namespace.
    pub instance: Arc<str>,
    pub limit: u64,
    pub window_sec: u64,
    pub aggregate: CAggregate,
    pub scope_down: Option<CStatement>,
    pub fwd: Option<Fwd>,
}

/// A reference to a rule group (own or managed) from a web ACL rule.
#[derive(Debug, Clone)]
pub(crate) struct CGroupRef {
    pub group: Arc<CRuleGroup>,
    /// The ARN, or `AWS#AWSManagedRulesCommonRuleSet` for managed groups.
    pub id: String,
    pub managed: bool,
    pub excluded: HashSet<String>,
    pub overrides: HashMap<String, CAction>,
    pub scope_down: Option<CStatement>,
}

/// What a rule does.
#[derive(Debug, Clone)]
pub(crate) enum RuleBody {
    Regular(CStatement),
    Rate(Box<CRate>),
    Group(Box<CGroupRef>),
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub(crate) struct CRule {
    pub name: String,
    pub metric_name: String,
    pub body: RuleBody,
    /// The action (for group references: unused).
    pub action: CAction,
    /// Group references: `OverrideAction: Count`.
    pub override_count: bool,
    /// Fully qualified labels added on match.
    pub labels: Vec<String>,
    /// The namespace label keys are resolved against.
    pub captcha_immunity: u64,
    pub challenge_immunity: u64,
}

/// A compiled rule group.
#[derive(Debug, Clone)]
pub(crate) struct CRuleGroup {
    pub name: String,
    pub rules: Vec<CRule>,
}

/// A web ACL ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledWebAcl {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) metric_name: String,
    pub(crate) default_action: CAction,
    pub(crate) rules: Vec<CRule>,
    pub(crate) body_limit: usize,
    pub(crate) capacity: u64,
    pub(crate) token_key: Option<TokenKey>,
    pub(crate) rule_count: usize,
}

impl CompiledWebAcl {
    /// The web ACL's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ARN (the `webaclId` of log records).
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The WCUs the ACL consumes, computed as AWS documents.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// How many body bytes are inspected (16 KB unless the ACL's
    /// `AssociationConfig` raises it for `API_GATEWAY`). The data plane
    /// need not buffer more than this for the WAF.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The number of rules, counting those inside rule groups.
    pub fn rule_count(&self) -> usize {
        self.rule_count
    }
}
