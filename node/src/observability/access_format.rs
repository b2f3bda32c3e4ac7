//! Access-log formats as API Gateway takes them (`accessLogSettings.format`):
//! the checks UpdateStage applies (size, one line, a request id), the
//! console's four presets, and the format compiled once per deployment
//! into pieces that render one line per request.

/// The largest format AWS takes: 3 KB.
pub const MAX_FORMAT_BYTES: usize = 3 * 1024;

/// The console's presets, each as one line (the developer guide shows them
/// folded with `\` continuations).
pub mod presets {
    /// Common Log Format.
    pub const CLF: &str = "$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] \"$context.httpMethod $context.resourcePath $context.protocol\" $context.status $context.responseLength $context.requestId $context.extendedRequestId";
    pub const JSON: &str = "{ \"requestId\":\"$context.requestId\", \"extendedRequestId\":\"$context.extendedRequestId\", \"ip\": \"$context.identity.sourceIp\", \"caller\":\"$context.identity.caller\", \"user\":\"$context.identity.user\", \"requestTime\":\"$context.requestTime\", \"httpMethod\":\"$context.httpMethod\", \"resourcePath\":\"$context.resourcePath\", \"status\":\"$context.status\", \"protocol\":\"$context.protocol\", \"responseLength\":\"$context.responseLength\" }";
    pub const XML: &str = "<request id=\"$context.requestId\"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>";
    pub const CSV: &str = "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId";
}

/// Why UpdateStage refuses a format (AWS's messages, BadRequestException).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("Access Log format must be at most 3 KB")]
    TooLong,
    #[error("Access Log format must be single line, new line character is allowed only at end of the format: '{0}'")]
    MultiLine(String),
    #[error("Access Log format must include either $context.requestId or $context.extendedRequestId : '{0}'")]
    NoRequestId(String),
}

/// Checks a format as UpdateStage does.
pub fn validate(format: &str) -> Result<(), FormatError> {
    if format.len() > MAX_FORMAT_BYTES {
        return Err(FormatError::TooLong);
    }
    let body = format.strip_suffix('\n').unwrap_or(format);
    if body.contains(['\n', '\r']) {
        return Err(FormatError::MultiLine(format.to_string()));
    }
    let names_id = scan(format).any(
        |p| matches!(p, Scanned::Var(name) if name == "requestId" || name == "extendedRequestId"),
    );
    if !names_id {
        return Err(FormatError::NoRequestId(format.to_string()));
    }
    Ok(())
}

/// A variable of a format: the answer's figures by name, the rest
/// (`Context`) read from the request context.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Status,
    ResponseLength,
    ResponseLatency,
    IntegrationLatency,
    IntegrationStatus,
    IntegrationError,
    XrayTraceId,
    /// Any other `$context.NAME`.
    Context(String),
}

impl Field {
    fn of(name: &str) -> Field {
        match name {
            "status" => Field::Status,
            "responseLength" => Field::ResponseLength,
            "responseLatency" => Field::ResponseLatency,
            "integrationLatency" | "integration.latency" => Field::IntegrationLatency,
            "integrationStatus" | "integration.status" | "integration.integrationStatus" => {
                Field::IntegrationStatus
            }
            "integration.error" | "integrationErrorMessage" => Field::IntegrationError,
            "xrayTraceId" => Field::XrayTraceId,
            other => Field::Context(other.to_string()),
        }
    }
}

/// What a line is rendered from: appends a field's value to the line
/// (`-` when it has none, as AWS writes).
pub trait LogValues {
    fn append(&self, field: &Field, line: &mut String);
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Var(Field),
}

/// A format compiled at deploy time.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledFormat {
    pieces: Vec<Piece>,
    /// Text length, a hint for the line's capacity.
    size: usize,
}

impl CompiledFormat {
    pub fn compile(format: &str) -> CompiledFormat {
        let pieces = scan(format)
            .map(|p| match p {
                Scanned::Text(t) => Piece::Text(t.to_string()),
                Scanned::Var(name) => Piece::Var(Field::of(name)),
            })
            .collect();
        CompiledFormat {
            pieces,
            size: format.len(),
        }
    }

    /// One access-log line (a trailing newline added when the format has none).
    pub fn render(&self, values: &dyn LogValues) -> String {
        let mut line = String::with_capacity(self.size + 128);
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => line.push_str(text),
                Piece::Var(field) => values.append(field, &mut line),
            }
        }
        if !line.ends_with('\n') {
            line.push('\n');
        }
        line
    }
}

enum Scanned<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits a format into text and `$context.NAME` / `${context.NAME}` variables.
fn scan(format: &str) -> impl Iterator<Item = Scanned<'_>> {
    let mut rest = format;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some((at, var, len)) = next_var(rest) else {
            let text = rest;
            rest = "";
            return Some(Scanned::Text(text));
        };
        if at > 0 {
            let text = &rest[..at];
            rest = &rest[at..];
            return Some(Scanned::Text(text));
        }
        rest = &rest[len..];
        Some(Scanned::Var(var))
    })
}

/// The first variable in `text`: where it starts, its name, its length.
fn next_var(text: &str) -> Option<(usize, &str, usize)> {
    let name_len = |s: &str| {
        s.bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            .count()
    };
    let mut from = 0;
    while let Some(found) = text[from..].find('$') {
        let at = from + found;
        let after = &text[at + 1..];
        if let Some(inner) = after.strip_prefix("{context.") {
            if let Some(close) = inner.find('}') {
                let name = &inner[..close];
                return Some((at, name, 1 + "{context.".len() + close + 1));
            }
        } else if let Some(inner) = after.strip_prefix("context.") {
            let n = name_len(inner);
            // A trailing `.` ends a sentence, not a name.
            let n = inner[..n].trim_end_matches('.').len();
            if n > 0 {
                return Some((at, &inner[..n], 1 + "context.".len() + n));
            }
        }
        from = at + 1;
    }
    None
}

/// A stage's access log as the data plane uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct StageAccessLog {
    pub destination_arn: String,
    pub format: CompiledFormat,
}

impl StageAccessLog {
    /// The stage's settings compiled, when they name both a destination
    /// and a format (AWS writes nothing otherwise).
    pub fn of(settings: Option<&crate::model::AccessLogSettings>) -> Option<StageAccessLog> {
        let s = settings?;
        Some(StageAccessLog {
            destination_arn: s.destination_arn.clone()?,
            format: CompiledFormat::compile(s.format.as_deref()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_under_the_limit() {
        for p in [presets::CLF, presets::JSON, presets::XML, presets::CSV] {
            assert_eq!(validate(p), Ok(()));
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(
            validate(&"$context.requestId ".repeat(200)),
            Err(FormatError::TooLong)
        );
        assert!(matches!(
            validate("$context.status"),
            Err(FormatError::NoRequestId(_))
        ));
        assert!(matches!(
            validate("$context.requestId\n$context.status"),
            Err(FormatError::MultiLine(_))
        ));
        assert_eq!(validate("${context.extendedRequestId}\n"), Ok(()));
    }

    #[test]
    fn variables_found() {
        let names: Vec<&str> =
            scan("[$context.requestTime] ${context.identity.sourceIp}x $ $context.")
                .filter_map(|p| match p {
                    Scanned::Var(n) => Some(n),
                    Scanned::Text(_) => None,
                })
                .collect();
        assert_eq!(names, ["requestTime", "identity.sourceIp"]);
    }
}
