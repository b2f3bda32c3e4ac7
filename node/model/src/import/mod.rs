//! Import of OpenAPI 3.0 and Swagger 2.0 documents, with the
//! `x-amazon-apigateway-*` extensions, into a [`RestApi`].
//!
//! The document is taken unchanged (JSON or YAML). Everything the import
//! cannot honour is reported by name: problems make the import fail (as AWS's
//! `ImportRestApi` does), warnings are returned beside the API, so nothing is
//! dropped silently. Each report carries the field path it is about
//! (`paths./pets.get.x-amazon-apigateway-integration.type`).

mod extensions;
mod integration;
pub mod limits;
mod paths;
mod security;
mod walker;

use serde_json::Value;

use crate::{Integration, IntegrationResponse, RestApi};
pub use extensions::MODEL_BASE_URL;
pub use walker::Finding;
use walker::Walker;

/// What the importer needs to know that the document does not say.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The id the imported API gets.
    pub api_id: String,
    /// Ceiling on `timeoutInMillis` (AWS: 29,000; raised by configuration).
    pub max_integration_timeout_ms: u64,
}

/// A successful import: the API and what was not honoured.
#[derive(Debug, Clone)]
pub struct Imported {
    pub api: RestApi,
    pub warnings: Vec<Finding>,
}

/// Why a document could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not an OpenAPI 3 or Swagger 2 document: {0}")]
    NotOpenApi(String),
    #[error("{} problem(s) in the document:\n{}", .0.len(), Finding::list(.0))]
    Invalid(Vec<Finding>),
    /// Over one of [`limits`]; the message names it.
    #[error("{0}")]
    Limit(String),
}

/// Parses the text of a document, JSON or YAML, into a JSON value.
/// Refuses, before parsing, text nested deeper than [`limits::MAX_DEPTH`];
/// after, a document over any of the [`limits`].
pub fn parse_document(text: &str) -> Result<Value, ImportError> {
    limits::check_text(text).map_err(ImportError::Limit)?;
    let doc = parse_text(text)?;
    limits::check_value(&doc).map_err(ImportError::Limit)?;
    Ok(doc)
}

fn parse_text(text: &str) -> Result<Value, ImportError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| ImportError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        });
    }
    check_flow_nesting(text)?;
    crate::yaml::parse_json(text).map_err(|e| ImportError::Syntax {
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

/// How deep YAML flow collections (`[...]`, `{...}`) may nest: libyaml's
/// work grows with the nesting for every token (100,000 levels take about
/// a minute), and serde refuses more than 128 levels anyway.
const MAX_FLOW_NESTING: usize = 128;

/// Refuses YAML whose flow collections nest past [`MAX_FLOW_NESTING`],
/// before the parser sees it. Brackets inside quoted scalars (a quote that
/// opens a scalar, after `:`, `-`, `,`, `[`, `{`, `?` or at a line's start)
/// and comments do not count; in plain and block scalars they do, so only
/// text with more than 128 unclosed brackets there could be refused wrongly.
fn check_flow_nesting(text: &str) -> Result<(), ImportError> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut previous = '\n';
    // The last character before this one that is not a space.
    let mut last_token = '\n';
    let mut chars = text.chars().peekable();
    let (mut line, mut column) = (1, 0);
    while let Some(c) = chars.next() {
        column += 1;
        match (quote, c) {
            (Some('#'), '\n') => quote = None,
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some('\''), '\'') if chars.peek() == Some(&'\'') => {
                chars.next();
            }
            (Some(q), c) if c == q && q != '#' => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'')
                if matches!(last_token, ':' | '-' | ',' | '[' | '{' | '?' | '\n') =>
            {
                quote = Some(c);
            }
            (None, '#') if previous.is_whitespace() => quote = Some('#'),
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_FLOW_NESTING {
                    return Err(ImportError::Syntax {
                        line,
                        column,
                        message: format!(
                            "collections nest more than {MAX_FLOW_NESTING} levels deep"
                        ),
                    });
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == '\n' {
            line += 1;
            column = 0;
            last_token = '\n';
        } else if !c.is_whitespace() {
            last_token = c;
        }
        previous = c;
    }
    Ok(())
}

/// Which OpenAPI dialect a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Swagger2,
    OpenApi3,
}

/// Imports a parsed document.
pub fn import(doc: &Value, options: &ImportOptions) -> Result<Imported, ImportError> {
    let dialect = detect_dialect(doc)?;
    let mut walker = Walker::new(doc, dialect, options.max_integration_timeout_ms);
    let info = doc.get("info");
    let name = info
        .and_then(|i| i.get("title"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if name.is_empty() {
        walker.problem(
            "info.title",
            "the API needs a title (it becomes the API's name)",
        );
    }
    let mut api = RestApi {
        id: options.api_id.clone(),
        name,
        description: text_at(info, "description"),
        version: text_at(info, "version"),
        endpoint_type: Default::default(),
        ip_address_type: None,
        region: None,
        binary_media_types: Vec::new(),
        api_key_source: None,
        minimum_compression_size: None,
        disable_execute_api_endpoint: false,
        policy: None,
        resources: Default::default(),
        resource_ids: Default::default(),
        gateway_responses: Default::default(),
        request_validators: Default::default(),
        default_request_validator: None,
        models: Default::default(),
        authorizers: Default::default(),
        model_descriptions: Default::default(),
        created_date: None,
        created_micros: 0,
        documentation: Default::default(),
    };
    extensions::read_top_level(&mut walker, doc, &mut api);
    let schemes = security::read_schemes(&mut walker, doc, &mut api);
    paths::read_paths(&mut walker, doc, &schemes, &mut api);
    let (problems, warnings) = walker.finish();
    if problems.is_empty() {
        Ok(Imported { api, warnings })
    } else {
        Err(ImportError::Invalid(problems))
    }
}

/// Reads one integration in API Gateway's JSON shape (the body of
/// `PutIntegration` is the extension's shape), checked as an import checks
/// it. Its responses are not read: they come one by one.
pub fn integration(v: &Value, max_integration_timeout_ms: u64) -> Result<Integration, ImportError> {
    let mut walker = Walker::new(v, Dialect::OpenApi3, max_integration_timeout_ms);
    let mut body = v.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("responses");
    }
    let read = integration::read_integration(&mut walker, "", &body);
    match (read, walker.finish().0) {
        (Some(i), problems) if problems.is_empty() => Ok(i),
        (_, problems) => Err(ImportError::Invalid(problems)),
    }
}

/// Reads one integration response for `status` (the body of
/// `PutIntegrationResponse`), checked as an import checks it.
pub fn integration_response(status: &str, v: &Value) -> Result<IntegrationResponse, ImportError> {
    let mut entry = v.clone();
    let pattern = match entry.get("selectionPattern").and_then(Value::as_str) {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => "default".to_string(),
    };
    if let Some(map) = entry.as_object_mut() {
        map.remove("selectionPattern");
        map.insert("statusCode".into(), Value::String(status.to_string()));
    }
    let responses = serde_json::json!({ pattern: entry });
    let mut walker = Walker::new(v, Dialect::OpenApi3, 0);
    let mut read = integration::read_responses(&mut walker, "", Some(&responses));
    let problems = walker.finish().0;
    match read.remove(status) {
        Some(r) if problems.is_empty() => Ok(r),
        _ => Err(ImportError::Invalid(problems)),
    }
}

/// Test support (feature `test-support`, for other crates' tests): the API a
/// document (JSON or YAML text) imports to, as API `abc` with AWS's timeout
/// ceiling; panics with the findings otherwise.
#[cfg(any(test, feature = "test-support"))]
pub fn test_api(text: &str) -> RestApi {
    let doc = parse_document(text).unwrap_or_else(|e| panic!("{e}"));
    let options = ImportOptions {
        api_id: "abc".into(),
        max_integration_timeout_ms: crate::DEFAULT_INTEGRATION_TIMEOUT_MS,
    };
    import(&doc, &options).unwrap_or_else(|e| panic!("{e}")).api
}

fn detect_dialect(doc: &Value) -> Result<Dialect, ImportError> {
    if !doc.is_object() {
        return Err(ImportError::NotOpenApi(
            "the document is not a mapping".into(),
        ));
    }
    match (doc.get("swagger"), doc.get("openapi")) {
        (Some(v), _) if v.as_str() == Some("2.0") => Ok(Dialect::Swagger2),
        (_, Some(Value::String(v))) if v.starts_with("3.") => Ok(Dialect::OpenApi3),
        (Some(v), _) => Err(ImportError::NotOpenApi(format!(
            "swagger version {v} (need \"2.0\")"
        ))),
        (_, Some(v)) => Err(ImportError::NotOpenApi(format!(
            "openapi version {v} (need 3.x)"
        ))),
        (None, None) => Err(ImportError::NotOpenApi(
            "no `openapi: 3.x` or `swagger: \"2.0\"` field".into(),
        )),
    }
}

/// A text field; a number (`version: 1`) is taken as its text, as AWS does.
fn text_at(parent: Option<&Value>, key: &str) -> Option<String> {
    match parent?.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
