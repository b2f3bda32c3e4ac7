//! `patchOperations`, as every `Update*` call of API Gateway takes them:
//! parsing, path escapes, and reading values of the right type.

use serde_json::Value;

use super::{bad_request, ApiError};

/// One patch operation.
#[derive(Debug, Clone)]
pub(super) struct PatchOp {
    /// `add`, `remove`, `replace`, `move` or `copy`.
    pub op: String,
    pub path: String,
    pub value: Option<String>,
    /// `copy` and `move`: where the value comes from.
    pub from: Option<String>,
}

impl PatchOp {
    /// The value, required.
    pub fn value(&self) -> Result<&str, ApiError> {
        self.value
            .as_deref()
            .ok_or_else(|| bad_request(format!("{} {} needs a value", self.op, self.path)))
    }

    /// The value as a boolean (`"true"` / `"false"`).
    pub fn bool(&self) -> Result<bool, ApiError> {
        match self.value()? {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(bad_request(format!(
                "Invalid boolean value {other} for {}",
                self.path
            ))),
        }
    }

    /// The value as a number.
    pub fn number<T: std::str::FromStr>(&self) -> Result<T, ApiError> {
        let text = self.value()?;
        text.trim()
            .parse()
            .map_err(|_| bad_request(format!("Invalid number {text} for {}", self.path)))
    }

    /// Whether this sets a value (`add` or `replace`).
    pub fn sets(&self) -> bool {
        matches!(self.op.as_str(), "add" | "replace")
    }

    /// The error for a path this resource does not take, as AWS words it
    /// for the resources whose paths are not listed in the message.
    pub fn unsupported(&self) -> ApiError {
        bad_request(format!("Invalid patch path {}", self.path))
    }

    /// The error for a path or `op` AWS does not take, in the words of
    /// the resources whose messages quote them (the doubled space is AWS's).
    pub fn not_supported(&self) -> ApiError {
        bad_request(format!(
            "Invalid patch path  '{}' specified for op '{}'. Please choose supported operations",
            self.path, self.op
        ))
    }

    /// The error for a path this resource does not take, naming the ones
    /// it does (`/description, /schema`).
    pub fn path_not_one_of(&self, allowed: &str) -> ApiError {
        bad_request(format!(
            "Invalid patch path  '{}' specified for op '{}'. Must be one of: [{allowed}]",
            self.path, self.op
        ))
    }

    /// The error for an `op` AWS does not allow on this path, naming the
    /// ones it does (`[replace]`).
    pub fn op_not_one_of(&self, allowed: &str) -> ApiError {
        bad_request(format!(
            "Invalid patch operation specified. Must be one of: [{allowed}]"
        ))
    }
}

/// The operations of an `Update*` body (none: an empty list).
pub(super) fn operations(body: &[u8]) -> Result<Vec<PatchOp>, ApiError> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let input: Value = serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
    let list = match input.get("patchOperations") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(bad_request("patchOperations must be a list")),
    };
    list.iter()
        .map(|op| {
            // AWS names a missing path `null` in its messages.
            let path = op.get("path").and_then(Value::as_str).unwrap_or("null");
            let kind = op.get("op").and_then(Value::as_str).unwrap_or("replace");
            if !matches!(
                kind,
                "add" | "remove" | "replace" | "move" | "copy" | "test"
            ) {
                return Err(bad_request(format!("Invalid patch operation {kind}")));
            }
            Ok(PatchOp {
                op: kind.to_string(),
                path: path.to_string(),
                value: match op.get("value") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Null) | None => None,
                    Some(other) => Some(other.to_string()),
                },
                from: op.get("from").and_then(Value::as_str).map(str::to_string),
            })
        })
        .collect()
}

/// What AWS's request validation says about an `Update*` call before the
/// operation looks at anything: each unknown `op` (numbered from 1 in
/// `{input}.patchOperations`), then a `statusCode` that is not `[1-5]\d\d`,
/// all in one `ValidationException`. `input` is the operation's input shape
/// (`updateMethodResponseInput`).
pub(super) fn validate(
    body: &[u8],
    input: &str,
    status_code: Option<&str>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let list = parsed
        .as_ref()
        .and_then(|v| v.get("patchOperations"))
        .and_then(Value::as_array);
    for (i, op) in list.into_iter().flatten().enumerate() {
        if let Some(kind) = op.get("op").and_then(Value::as_str) {
            if !OPS.contains(&kind) {
                errors.push(format!(
                    "Value '{kind}' at '{input}.patchOperations.{}.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]",
                    i + 1
                ));
            }
        }
    }
    if let Some(code) = status_code {
        let valid = code.len() == 3
            && matches!(code.as_bytes()[0], b'1'..=b'5')
            && code.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            errors.push(format!(
                "Value '{code}' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
            ));
        }
    }
    validation_errors(errors)
}

/// AWS's request-layer `ValidationException` listing `errors` (none: Ok).
pub(super) fn validation_errors(errors: Vec<String>) -> Result<(), ApiError> {
    match errors.len() {
        0 => Ok(()),
        n => Err(super::err(
            http::StatusCode::BAD_REQUEST,
            "ValidationException",
            format!(
                "{n} validation error{} detected: {}",
                if n == 1 { "" } else { "s" },
                errors.join("; ")
            ),
        )),
    }
}

/// The patch operations AWS knows.
const OPS: &[&str] = &["add", "remove", "move", "test", "replace", "copy"];

/// JSON Patch escapes in one path segment (`~1` is `/`, `~0` is `~`).
pub(super) fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// The segments of a patch path, unescaped (`/a/b~1c` -> `a`, `b/c`).
pub(super) fn segments(path: &str) -> Vec<String> {
    path.trim_start_matches('/')
        .split('/')
        .map(unescape)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_read_with_escapes_and_types() {
        let ops = operations(
            br#"{"patchOperations": [{"op": "replace", "path": "/variables/a~1b", "value": "1"},
                {"op": "remove", "path": "/x"}, {"path": "/n", "value": "12"}]}"#,
        )
        .expect("ops");
        assert_eq!(segments(&ops[0].path), ["variables", "a/b"]);
        assert!(ops[0].sets() && !ops[1].sets() && ops[2].sets());
        assert_eq!(ops[2].number::<u32>().ok(), Some(12));
        assert!(ops[1].value().is_err());
        assert!(operations(br#"{"patchOperations": [{"op": "smash", "path": "/x"}]}"#).is_err());
        assert!(operations(b"not json").is_err());
        assert!(operations(b"").expect("empty").is_empty());
    }
}
