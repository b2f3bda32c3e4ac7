//! The import's bookkeeping: the document, the dialect, and the findings.

use std::fmt;

use serde_json::Value;

use super::Dialect;

/// One thing the import found wrong or could not honour, at a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Dotted path of the field (`paths./pets.get.responses`).
    pub at: String,
    pub message: String,
}

impl Finding {
    /// One finding a line, for error messages.
    pub fn list(findings: &[Finding]) -> String {
        findings
            .iter()
            .map(|f| format!("  - {f}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A finding without a field path is worded as AWS words it and shown alone.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            return f.write_str(&self.message);
        }
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Carries what every reader of the document needs and collects findings.
pub(crate) struct Walker<'d> {
    pub doc: &'d Value,
    pub dialect: Dialect,
    pub max_timeout_ms: u64,
    /// The resource path and verb of the method being read, for the
    /// findings AWS words with them.
    pub method: Option<(String, String)>,
    problems: Vec<Finding>,
    warnings: Vec<Finding>,
}

impl<'d> Walker<'d> {
    pub fn new(doc: &'d Value, dialect: Dialect, max_timeout_ms: u64) -> Self {
        Walker {
            doc,
            dialect,
            max_timeout_ms,
            method: None,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Something that makes the document unimportable.
    pub fn problem(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Finding {
            at: at.into(),
            message: message.into(),
        });
    }

    /// Something imported but not honoured, or ignored.
    pub fn warn(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Finding {
            at: at.into(),
            message: message.into(),
        });
    }

    /// Follows a local `$ref` (`#/components/parameters/x`); other values pass through.
    pub fn resolve<'v>(&mut self, at: &str, value: &'v Value) -> Option<&'v Value>
    where
        'd: 'v,
    {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Some(value);
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            self.problem(
                at,
                format!("only local references are supported, not `{reference}`"),
            );
            return None;
        };
        match self.doc.pointer(pointer) {
            Some(target) => Some(target),
            None => {
                self.problem(at, format!("reference `{reference}` points at nothing"));
                None
            }
        }
    }

    /// Warns about every `x-amazon-apigateway-*` key of `object` not in `known`.
    pub fn check_extensions(&mut self, at: &str, object: &Value, known: &[&str]) {
        let Some(map) = object.as_object() else {
            return;
        };
        for key in map.keys() {
            if key.starts_with("x-amazon-apigateway-") && !known.contains(&key.as_str()) {
                let why = if HTTP_API_ONLY.contains(&key.as_str()) {
                    "belongs to HTTP APIs (API Gateway v2), not REST APIs; ignored"
                } else {
                    "is not supported here; ignored"
                };
                self.warn(
                    format!("{at}{}{key}", dot(at)),
                    format!("extension `{key}` {why}"),
                );
            }
        }
    }

    pub fn finish(self) -> (Vec<Finding>, Vec<Finding>) {
        (self.problems, self.warnings)
    }
}

/// Extensions that only HTTP APIs understand.
const HTTP_API_ONLY: &[&str] = &[
    "x-amazon-apigateway-cors",
    "x-amazon-apigateway-importexport-version",
    "x-amazon-apigateway-integrations",
];

/// The separator to put between a path and its next key.
pub(crate) fn dot(at: &str) -> &'static str {
    if at.is_empty() {
        ""
    } else {
        "."
    }
}

/// `at` joined with `key`.
pub(crate) fn join(at: &str, key: &str) -> String {
    format!("{at}{}{key}", dot(at))
}
