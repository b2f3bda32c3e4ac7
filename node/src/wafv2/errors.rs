//! The wafv2 API's errors in AWS's JSON 1.1 shape: HTTP 400 with
//! `{"__type": "WAF...Exception", "Message": ...}` (and `Field`,
//! `Parameter`, `Reason` for WAFInvalidParameterException), the one place
//! they become responses.

use http::header::HeaderValue;
use http::{Response, StatusCode};
use serde_json::{json, Value};

use crate::dataplane::body::{full, Body};

/// A refused wafv2 call.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct WafError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    /// Extra members (`Field`, `Parameter`, `Reason`).
    pub extra: Vec<(&'static str, String)>,
}

impl WafError {
    fn new(kind: &'static str, message: impl Into<String>) -> WafError {
        WafError {
            status: StatusCode::BAD_REQUEST,
            kind,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    /// WAFInvalidParameterException with AWS's Field and Parameter.
    pub fn invalid(field: &'static str, parameter: &str, reason: impl Into<String>) -> WafError {
        let reason = reason.into();
        let mut e = WafError::new(
            "WAFInvalidParameterException",
            format!("Error reason: {reason}, field: {field}, parameter: {parameter}"),
        );
        e.extra = vec![
            ("Field", field.to_string()),
            ("Parameter", parameter.to_string()),
            ("Reason", reason),
        ];
        e
    }

    /// The engine's refusal, in the exception it names.
    pub fn from_compile(c: &apigw_waf::CompileError) -> WafError {
        let mut e = WafError::new(c.exception.code(), c.aws_message());
        if c.exception == apigw_waf::AwsException::InvalidParameter {
            e.extra = vec![
                ("Field", c.field.to_string()),
                ("Parameter", c.parameter.clone()),
                (
                    "Reason",
                    match &c.rule {
                        Some(rule) => format!("rule {rule}: {}", c.reason),
                        None => c.reason.clone(),
                    },
                ),
            ];
            e.message = match &c.rule {
                Some(rule) => format!("{} (rule {rule})", c.aws_message()),
                None => c.aws_message(),
            };
        }
        e
    }

    pub fn nonexistent() -> WafError {
        WafError::new(
            "WAFNonexistentItemException",
            "AWS WAF couldn’t perform the operation because your resource doesn’t exist.",
        )
    }

    pub fn duplicate() -> WafError {
        WafError::new(
            "WAFDuplicateItemException",
            "AWS WAF couldn’t perform the operation because some resource in your request is a duplicate of an existing one.",
        )
    }

    pub fn optimistic_lock() -> WafError {
        WafError::new(
            "WAFOptimisticLockException",
            "AWS WAF couldn’t save your changes because you tried to update or delete a resource that has changed since you last retrieved it. Get the resource again, make any changes you need to make to the new copy, and retry your operation.",
        )
    }

    pub fn associated() -> WafError {
        WafError::new(
            "WAFAssociatedItemException",
            "AWS WAF couldn’t perform the operation because your resource is being used by another resource or it’s associated with another resource.",
        )
    }

    pub fn unknown_operation(target: &str) -> WafError {
        WafError::new(
            "UnknownOperationException",
            format!("unknown operation {target}"),
        )
    }

    pub fn serialization(message: impl Into<String>) -> WafError {
        WafError::new("SerializationException", message)
    }

    pub fn internal(e: impl std::fmt::Display) -> WafError {
        let mut err = WafError::new("WAFInternalErrorException", e.to_string());
        err.status = StatusCode::INTERNAL_SERVER_ERROR;
        err
    }

    /// The response.
    pub fn into_response(self) -> Response<Body> {
        let mut body = json!({ "__type": self.kind, "Message": self.message });
        for (k, v) in self.extra {
            body[k] = Value::String(v);
        }
        let mut r = reply(body);
        *r.status_mut() = self.status;
        r.headers_mut()
            .insert("x-amzn-errortype", HeaderValue::from_static(self.kind));
        r
    }
}

/// A 200 answer with a JSON 1.1 body.
pub fn reply(body: Value) -> Response<Body> {
    let mut r = Response::new(full(body.to_string()));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    r
}
