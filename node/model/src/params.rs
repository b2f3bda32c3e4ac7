//! Parameter mapping expressions, as AWS writes them in `requestParameters`
//! and `responseParameters`:
//!
//! - targets: `integration.request.header.X`, `method.response.header.X`,
//!   `gatewayresponse.header.X`...
//! - sources: `method.request.path.id`, `integration.response.header.X`,
//!   `stageVariables.name`, `context.requestId`, `'a literal'`...
//!
//! They are parsed once, at import (to report mistakes) and at deploy time
//! (to compile the routes); the data plane only evaluates parsed values.

use std::fmt;

/// Where in a request a parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    Path,
    QueryString,
    Header,
    MultiValueQueryString,
    MultiValueHeader,
}

impl Location {
    fn parse(s: &str) -> Option<Location> {
        Some(match s {
            "path" => Location::Path,
            "querystring" => Location::QueryString,
            "header" => Location::Header,
            "multivaluequerystring" => Location::MultiValueQueryString,
            "multivalueheader" => Location::MultiValueHeader,
            _ => return None,
        })
    }
}

/// The right-hand side of a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `'text'`
    Literal(String),
    /// `method.request.{location}.{name}`
    MethodRequest(Location, String),
    /// `method.request.body` (the whole body)
    MethodRequestBody,
    /// `stageVariables.{name}`
    StageVariable(String),
    /// `context.{a.b}`
    Context(String),
    /// `integration.response.header.{name}` (single or multi-value)
    IntegrationResponseHeader(String),
    /// `integration.response.body`
    IntegrationResponseBody,
    /// `integration.response.body.{JSONPath}`, evaluated once JSONPath lands.
    IntegrationResponseBodyPath(String),
}

/// Why a mapping expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{expression}`: {reason}")]
pub struct ParamError {
    pub expression: String,
    pub reason: &'static str,
}

fn err(expression: &str, reason: &'static str) -> ParamError {
    ParamError {
        expression: expression.to_string(),
        reason,
    }
}

/// Parses `integration.request.{location}.{name}`.
pub fn parse_integration_request_target(key: &str) -> Result<(Location, String), ParamError> {
    let rest = key
        .strip_prefix("integration.request.")
        .ok_or_else(|| err(key, "must start with integration.request."))?;
    located_name(key, rest)
}

/// Parses `method.response.header.{name}`.
pub fn parse_method_response_target(key: &str) -> Result<String, ParamError> {
    header_name(key, "method.response.header.")
}

/// Parses `gatewayresponse.header.{name}`.
pub fn parse_gateway_response_target(key: &str) -> Result<String, ParamError> {
    header_name(key, "gatewayresponse.header.")
}

fn header_name(key: &str, prefix: &str) -> Result<String, ParamError> {
    let name = key
        .strip_prefix(prefix)
        .ok_or_else(|| err(key, "must name a response header"))?;
    if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(err(key, "is not a valid header name"));
    }
    Ok(name.to_string())
}

fn located_name(whole: &str, rest: &str) -> Result<(Location, String), ParamError> {
    let (location, name) = rest
        .split_once('.')
        .ok_or_else(|| err(whole, "needs a location and a name"))?;
    let location = Location::parse(location).ok_or_else(|| {
        err(
            whole,
            "location must be path, querystring, header or their multivalue forms",
        )
    })?;
    if name.is_empty() {
        return Err(err(whole, "has an empty name"));
    }
    Ok((location, name.to_string()))
}

/// Parses the source of a request-side mapping.
pub fn parse_request_source(value: &str) -> Result<Source, ParamError> {
    let value = value.trim();
    if let Some(source) = common_source(value)? {
        return Ok(source);
    }
    if value == "method.request.body" {
        return Ok(Source::MethodRequestBody);
    }
    if value.starts_with("method.request.body.") {
        return Err(err(
            value,
            "JSONPath into the request body is not supported in parameter mappings yet",
        ));
    }
    if let Some(rest) = value.strip_prefix("method.request.") {
        let (location, name) = located_name(value, rest)?;
        return Ok(Source::MethodRequest(location, name));
    }
    Err(err(
        value,
        "must be method.request.*, stageVariables.*, context.* or a 'quoted literal'",
    ))
}

/// Parses the source of a method-response mapping.
pub fn parse_response_source(value: &str) -> Result<Source, ParamError> {
    let value = value.trim();
    if let Some(source) = common_source(value)? {
        return Ok(source);
    }
    if value == "integration.response.body" {
        return Ok(Source::IntegrationResponseBody);
    }
    if let Some(path) = value.strip_prefix("integration.response.body.") {
        return Ok(Source::IntegrationResponseBodyPath(path.to_string()));
    }
    for prefix in [
        "integration.response.header.",
        "integration.response.multivalueheader.",
    ] {
        if let Some(name) = value.strip_prefix(prefix) {
            return Ok(Source::IntegrationResponseHeader(name.to_string()));
        }
    }
    Err(err(
        value,
        "must be integration.response.*, stageVariables.*, context.* or a 'quoted literal'",
    ))
}

/// Parses the source of a gateway-response mapping (request values allowed).
pub fn parse_gateway_response_source(value: &str) -> Result<Source, ParamError> {
    parse_request_source(value)
}

fn common_source(value: &str) -> Result<Option<Source>, ParamError> {
    if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
        return Ok(Some(Source::Literal(value[1..value.len() - 1].to_string())));
    }
    if let Some(name) = value.strip_prefix("stageVariables.") {
        if name.is_empty() {
            return Err(err(value, "has an empty stage variable name"));
        }
        return Ok(Some(Source::StageVariable(name.to_string())));
    }
    if let Some(path) = value.strip_prefix("context.") {
        if path.is_empty() {
            return Err(err(value, "has an empty context path"));
        }
        return Ok(Some(Source::Context(path.to_string())));
    }
    Ok(None)
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Location::Path => "path",
            Location::QueryString => "querystring",
            Location::Header => "header",
            Location::MultiValueQueryString => "multivaluequerystring",
            Location::MultiValueHeader => "multivalueheader",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_mappings_parse() {
        assert_eq!(
            parse_integration_request_target("integration.request.querystring.page"),
            Ok((Location::QueryString, "page".into()))
        );
        assert_eq!(
            parse_request_source("method.request.path.petId"),
            Ok(Source::MethodRequest(Location::Path, "petId".into()))
        );
        assert_eq!(
            parse_request_source("'abc'"),
            Ok(Source::Literal("abc".into()))
        );
        assert_eq!(
            parse_request_source("stageVariables.x"),
            Ok(Source::StageVariable("x".into()))
        );
        assert_eq!(
            parse_request_source("context.identity.sourceIp"),
            Ok(Source::Context("identity.sourceIp".into()))
        );
        assert!(parse_request_source("method.request.cookie.x").is_err());
        assert!(parse_request_source("nonsense").is_err());
        assert!(parse_integration_request_target("integration.request.path").is_err());
    }

    #[test]
    fn response_mappings_parse() {
        assert_eq!(
            parse_method_response_target("method.response.header.X-Id"),
            Ok("X-Id".to_string())
        );
        assert!(parse_method_response_target("method.response.header.bad header").is_err());
        assert_eq!(
            parse_response_source("integration.response.header.ETag"),
            Ok(Source::IntegrationResponseHeader("ETag".into()))
        );
        assert_eq!(
            parse_response_source("integration.response.body"),
            Ok(Source::IntegrationResponseBody)
        );
    }
}
