//! apigw-waf: the AWS WAF v2 web ACL engine.
//!
//! - [`model`]: `WebACL`, `RuleGroup`, `IPSet`, `RegexPatternSet` as the
//!   wafv2 API's JSON (every member botocore's model lists), parsed from
//!   what users paste ([`parse_web_acl`]) and serialized back unchanged;
//! - [`compile()`]: validation in AWS's terms ([`CompileError`] names the
//!   rule, the field and the reason) and the [`CompiledWebAcl`] built once
//!   per deployment, with its capacity in WCUs;
//! - [`evaluate`]: one request ([`RequestView`], plain data) in, one
//!   [`Verdict`] out, with rate counting through [`RateCounters`] and
//!   locations through [`GeoLookup`] so the node plugs in its CRDT counters
//!   and MaxMind database;
//! - [`log::record`]: the AWS WAF log record; [`Tallies`]: per-rule counts;
//! - [`managed`]: AWS's managed rule groups by name, with our own rules;
//! - [`transform`]: the text transformations; [`token`]: CAPTCHA/Challenge tokens.
//!
//! No dependency on any other apigw crate.

pub mod compile;
pub mod detect;
pub mod error;
pub mod eval;
pub mod geo;
pub mod json;
pub mod log;
pub mod managed;
pub mod metrics;
pub mod model;
pub mod rate;
pub mod request;
pub mod token;
pub mod transform;
mod wcu;

pub use compile::{
    check_capacity, check_rule_group, compile, CAction, CompileOptions, CompiledWebAcl,
    CustomResponseSpec, Resources,
};
pub use error::{AwsException, CompileError, ParseError};
pub use eval::{evaluate, Action, RuleType, Verdict, WafResponse};
pub use geo::{GeoInfo, GeoLookup, NoGeo, StaticGeo};
pub use log::LogContext;
pub use managed::IpReputationLists;
pub use metrics::{Counts, Tallies};
pub use model::{
    parse_ip_set, parse_regex_pattern_set, parse_rule_group, parse_web_acl, Dialect, WebAcl,
};
pub use rate::{InMemoryRateCounters, RateCounters, RateKey};
pub use request::RequestView;
pub use token::{TokenKey, TokenTimes};
