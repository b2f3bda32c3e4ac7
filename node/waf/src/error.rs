//! Errors: [`ParseError`] for JSON that is not a wafv2 shape, [`CompileError`]
//! for a shape that AWS would refuse (with the AWS exception it maps to, so
//! the management API can answer in AWS's words).

use thiserror::Error;

/// The JSON could not be read as the wafv2 shape.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    Json(String),
    /// JSON, but not the expected shape (a missing required member, a wrong
    /// type, an unknown enum value).
    #[error("not a wafv2 shape: {0}")]
    Shape(String),
}

/// The AWS exception a refusal corresponds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsException {
    /// `WAFInvalidParameterException` (with Field, Parameter, Reason).
    InvalidParameter,
    /// `WAFNonexistentItemException`: a referenced ARN is unknown.
    NonexistentItem,
    /// `WAFLimitsExceededException`: capacity or a count limit.
    LimitsExceeded,
    /// `WAFExpiredManagedRuleGroupVersionException`.
    ExpiredManagedRuleGroupVersion,
}

impl AwsException {
    /// The error code as AWS's JSON protocol sends it (`__type`).
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidParameter => "WAFInvalidParameterException",
            Self::NonexistentItem => "WAFNonexistentItemException",
            Self::LimitsExceeded => "WAFLimitsExceededException",
            Self::ExpiredManagedRuleGroupVersion => "WAFExpiredManagedRuleGroupVersionException",
        }
    }
}

/// A web ACL (or rule group) that AWS would refuse, and why.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{}: rule {}: {reason} (field {field}, parameter {parameter})", exception.code(), rule.as_deref().unwrap_or("-"))]
pub struct CompileError {
    /// Which AWS exception this is.
    pub exception: AwsException,
    /// The rule the problem is in (`None` for ACL-level settings).
    pub rule: Option<String>,
    /// AWS's `ParameterExceptionField` (`RULE`, `BYTE_MATCH_STATEMENT`, ...).
    pub field: &'static str,
    /// The offending value or member, as AWS's `Parameter`.
    pub parameter: String,
    /// AWS's `Reason` text.
    pub reason: String,
}

impl CompileError {
    /// A `WAFInvalidParameterException`.
    pub fn invalid(
        rule: Option<&str>,
        field: &'static str,
        parameter: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            exception: AwsException::InvalidParameter,
            rule: rule.map(str::to_owned),
            field,
            parameter: parameter.into(),
            reason: reason.into(),
        }
    }

    /// A `WAFNonexistentItemException` for a referenced ARN.
    pub fn nonexistent(rule: Option<&str>, field: &'static str, arn: &str) -> Self {
        Self {
            exception: AwsException::NonexistentItem,
            rule: rule.map(str::to_owned),
            field,
            parameter: arn.to_owned(),
            reason: "AWS WAF couldn't perform the operation because your resource doesn't exist."
                .to_owned(),
        }
    }

    /// A `WAFLimitsExceededException`.
    pub fn limits(
        rule: Option<&str>,
        parameter: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            exception: AwsException::LimitsExceeded,
            rule: rule.map(str::to_owned),
            field: "ENTITY_LIMIT",
            parameter: parameter.into(),
            reason: reason.into(),
        }
    }

    /// The message AWS puts in the exception body (`Error reason: ...,
    /// field: ..., parameter: ...`).
    pub fn aws_message(&self) -> String {
        format!(
            "Error reason: {}, field: {}, parameter: {}",
            self.reason, self.field, self.parameter
        )
    }
}
