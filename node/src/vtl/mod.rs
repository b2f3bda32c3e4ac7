//! Velocity Template Language, as API Gateway's mapping templates use it:
//! compiled once when a deployment is loaded, rendered per request.
//!
//! - [`parse`]: text, references and directives (`#set`, `#if`/`#elseif`/
//!   `#else`, `#foreach` with `$foreach`, `#break`, `#stop`, `#macro`,
//!   comments), expressions with arithmetic, comparisons, lists, maps and
//!   ranges; errors carry the line and column;
//! - [`eval`]: rendering with Velocity 1.7's rules (a null `#set` leaves the
//!   target alone, null prints as nothing as on AWS) and the methods
//!   templates call on strings, lists, maps and numbers;
//! - [`aws`]: `$input`, `$util`, JSONPath;
//! - [`value`]: values and how they print.
//!
//! A render is bounded ([`Limits`]): steps, loop iterations, output size and
//! macro depth, so no template hangs or exhausts memory.

mod ast;
pub mod aws;
mod eval;
mod parse;
pub mod value;

pub use aws::Bindings;
pub use value::Value;

/// A compiled template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<ast::Node>,
    /// Line starts of the source, to report positions.
    lines: Vec<usize>,
    is_static: Option<String>,
}

/// Why a template does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct TemplateError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Why a render failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The template did something it cannot (a bad regex, a JSONPath error...).
    #[error("line {line}, column {column}: {message}")]
    Eval {
        line: usize,
        column: usize,
        message: String,
    },
    /// A bound was hit (steps, loop size, output size, depth).
    #[error("line {line}, column {column}: limit reached: {message}")]
    Limit {
        line: usize,
        column: usize,
        message: String,
    },
    /// The client's body is not the JSON the template reads (AWS: 400).
    #[error("{0}")]
    BadBody(String),
}

impl RenderError {
    /// An evaluation error at a byte offset (line and column are filled in
    /// by [`Template::render`]).
    pub(crate) fn eval(at: usize, message: impl Into<String>) -> RenderError {
        RenderError::Eval {
            line: 0,
            column: at,
            message: message.into(),
        }
    }

    pub(crate) fn limit(at: usize, message: impl Into<String>) -> RenderError {
        RenderError::Limit {
            line: 0,
            column: at,
            message: message.into(),
        }
    }
}

/// Bounds on one render.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_steps: u64,
    /// Items one `#foreach` may visit (AWS: 1,000).
    pub max_loop_iterations: usize,
    pub max_output_bytes: usize,
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 1_000_000,
            max_loop_iterations: 1_000,
            max_output_bytes: 10 * 1024 * 1024,
            max_depth: 32,
        }
    }
}

/// A rendered template, and what it asked to override
/// (`$context.responseOverride`, `$context.requestOverride`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub status_override: Option<u16>,
    /// `responseOverride.header` or `requestOverride.header`.
    pub header_overrides: Vec<(String, String)>,
    pub querystring_overrides: Vec<(String, String)>,
    pub path_overrides: Vec<(String, String)>,
}

impl Template {
    /// Compiles `text`.
    pub fn compile(text: &str) -> Result<Template, TemplateError> {
        let lines: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let nodes = parse::parse(text).map_err(|e| {
            let (line, column) = position(&lines, text, e.at);
            TemplateError {
                line,
                column,
                message: e.message,
            }
        })?;
        let is_static = match nodes.as_slice() {
            [] => Some(String::new()),
            [ast::Node::Text(t)] => Some(t.clone()),
            _ => None,
        };
        Ok(Template {
            nodes,
            lines,
            is_static,
        })
    }

    /// Whether the template is plain text.
    pub fn is_static(&self) -> bool {
        self.is_static.is_some()
    }

    /// Renders with `bindings` within `limits`.
    pub fn render(
        &self,
        bindings: &Bindings<'_>,
        limits: &Limits,
    ) -> Result<Rendered, RenderError> {
        if let Some(text) = &self.is_static {
            return Ok(Rendered {
                text: text.clone(),
                ..Rendered::default()
            });
        }
        let mut ev = eval::Evaluator::new(bindings, limits);
        let result = ev.run(&self.nodes);
        if let Err(e) = result {
            return Err(self.locate(e));
        }
        let context = ev.vars.get("context").cloned().unwrap_or_default();
        let mut rendered = Rendered {
            text: std::mem::take(&mut ev.out),
            ..Rendered::default()
        };
        read_overrides(&context, &mut rendered);
        Ok(rendered)
    }

    fn locate(&self, e: RenderError) -> RenderError {
        let fill = |at: usize| {
            let line = self.lines.partition_point(|start| *start <= at).max(1);
            (line, at - self.lines[line - 1] + 1)
        };
        match e {
            RenderError::Eval {
                column, message, ..
            } => {
                let (line, column) = fill(column);
                RenderError::Eval {
                    line,
                    column,
                    message,
                }
            }
            RenderError::Limit {
                column, message, ..
            } => {
                let (line, column) = fill(column);
                RenderError::Limit {
                    line,
                    column,
                    message,
                }
            }
            other => other,
        }
    }
}

fn position(lines: &[usize], text: &str, at: usize) -> (usize, usize) {
    let line = lines.partition_point(|start| *start <= at).max(1);
    let start = lines[line - 1];
    let column = text
        .get(start..at.min(text.len()))
        .map_or(1, |s| s.chars().count() + 1);
    (line, column)
}

/// Reads `$context.responseOverride` / `requestOverride` after a render.
fn read_overrides(context: &Value, out: &mut Rendered) {
    let Value::Map(context) = context else { return };
    let context = context.borrow();
    let pairs = |v: Option<&Value>| -> Vec<(String, String)> {
        match v {
            Some(Value::Map(m)) => m
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.render()))
                .collect(),
            _ => Vec::new(),
        }
    };
    for key in ["responseOverride", "requestOverride"] {
        if let Some(Value::Map(section)) = context.get(key) {
            let section = section.borrow();
            if let Some(status) = section.get("status").and_then(Value::as_i64) {
                out.status_override = u16::try_from(status).ok();
            }
            out.header_overrides.extend(pairs(section.get("header")));
            out.querystring_overrides
                .extend(pairs(section.get("querystring")));
            out.path_overrides.extend(pairs(section.get("path")));
        }
    }
}

#[cfg(test)]
mod tests;
