//! apigw-vtl: the Velocity Template Language as AWS API Gateway's mapping
//! templates use it, compiled once (when a deployment is loaded) and
//! rendered per request. It depends on no other apigw crate and can be used
//! alone:
//!
//! ```
//! use apigw_vtl::{Bindings, Limits, Template, Value};
//!
//! let template = Template::compile(r#"{"name": "$input.path('$.name')"}"#).unwrap();
//! let bindings = Bindings {
//!     body: br#"{"name": "Ada"}"#,
//!     path: vec![],
//!     querystring: vec![],
//!     header: vec![],
//!     context: Value::map(Default::default()),
//!     stage_variables: Value::map(Default::default()),
//!     body_from_client: true,
//! };
//! let rendered = template.render(&bindings, &Limits::default()).unwrap();
//! assert_eq!(rendered.text, r#"{"name": "Ada"}"#);
//! ```
//!
//! - `parse`: text, references and directives (`#set`, `#if`/`#elseif`/
//!   `#else`, `#foreach` with `$foreach`, `#break`, `#stop`, `#macro`,
//!   comments), expressions with arithmetic, comparisons, lists, maps and
//!   ranges; errors carry the line and column;
//! - `eval`: rendering with Velocity 1.7's rules (a null `#set` leaves the
//!   target alone, null prints as nothing as on AWS) and the methods
//!   templates call on strings, lists, maps and numbers;
//! - [`Bindings`]: what a render reads; [`aws`]: `$input`, `$util`;
//!   [`jsonpath`]: JSONPath with Jayway's leniencies and a cost check;
//!   [`url`]: URL and form coding (`$util.urlEncode`/`urlDecode`, which the
//!   gateway's query strings and path parameters follow too);
//! - [`value`]: values; `print`: how they print and compare;
//! - `methods`: the String/List/Map methods; `budget`: what a render may
//!   spend.
//!
//! A render is bounded ([`Limits`]): steps, loop iterations, output size,
//! the bytes of every value it builds, macro depth and nesting, so no
//! template hangs, exhausts memory or overflows the stack. Compiling is
//! bounded too: expressions and blocks nest at most 64 levels.

mod ast;
pub mod aws;
mod bindings;
mod budget;
mod eval;
pub mod jsonpath;
mod methods;
mod parse;
mod print;
pub mod url;
pub mod value;

pub use bindings::Bindings;
pub use value::Value;

/// A compiled template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<ast::Node>,
    /// Line starts of the source, to report positions.
    lines: Vec<usize>,
    is_static: Option<String>,
    reads: Reads,
}

/// Which of the gateway's values a template can read at all: a name its
/// text never spells it cannot reach (VTL has no dynamic variable lookup,
/// and `#evaluate`, `#parse` and `#include` are refused), so the gateway
/// need not build those values for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// `$context`.
    pub context: bool,
    /// `$input.params()`: path, query string and header parameters.
    pub params: bool,
    /// `$stageVariables`.
    pub stage_variables: bool,
}

impl Reads {
    /// Everything (a caller with no template in hand).
    pub const ALL: Reads = Reads {
        context: true,
        params: true,
        stage_variables: true,
    };

    fn of(text: &str) -> Reads {
        Reads {
            context: text.contains("context"),
            params: text.contains("params"),
            stage_variables: text.contains("stageVariables"),
        }
    }
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
    /// A bound was hit (steps, loop size, output size, the memory budget,
    /// depth).
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
    /// Steps: each directive, expression and loop pass, each KiB a string
    /// operation reads or writes, each container a walk visits.
    pub max_steps: u64,
    /// Items one `#foreach` may visit (AWS: 1,000).
    pub max_loop_iterations: usize,
    /// The rendered text; also the largest single string value.
    pub max_output_bytes: usize,
    /// The memory budget: bytes of the values (strings, lists, maps, the
    /// parsed body) the render holds at once, counted as they are built.
    pub max_value_bytes: usize,
    /// Macro calls open at once.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 1_000_000,
            max_loop_iterations: 1_000,
            max_output_bytes: 10 * 1024 * 1024,
            // Room for a 10 MiB JSON body parsed (2-4 times its size in
            // memory) and a body-sized value or two beside it.
            max_value_bytes: 64 * 1024 * 1024,
            max_depth: 32,
        }
    }
}

/// What a render spent (for tests, benchmarks and logs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderStats {
    pub steps: u64,
    /// The most value bytes held at once (the budget's high-water mark).
    pub peak_value_bytes: usize,
}

/// A rendered template, and what it asked to override
/// (`$context.responseOverride`, `$context.requestOverride`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub text: String,
    /// `responseOverride.status`.
    pub status_override: Option<u16>,
    /// `responseOverride.header`.
    pub header_overrides: Vec<(String, String)>,
    /// `requestOverride.header`.
    pub request_header_overrides: Vec<(String, String)>,
    /// `requestOverride.querystring`.
    pub querystring_overrides: Vec<(String, String)>,
    /// `requestOverride.path`.
    pub path_overrides: Vec<(String, String)>,
    /// `$context.responseOverride` and `requestOverride` as the template
    /// left them (custom keys too), as a JSON object with those two keys:
    /// AWS hands them on from the request template to the response one.
    pub carried: Option<serde_json::Value>,
    pub stats: RenderStats,
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
            reads: Reads::of(text),
        })
    }

    /// What the template can read (see [`Reads`]).
    pub fn reads(&self) -> Reads {
        self.reads
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
            stats: RenderStats {
                steps: ev.meter.steps(),
                peak_value_bytes: ev.meter.peak(),
            },
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
    let mut carried = serde_json::Map::new();
    if let Some(Value::Map(section)) = context.get("responseOverride") {
        let section = section.borrow();
        if let Some(status) = section.get("status").and_then(Value::as_i64) {
            out.status_override = u16::try_from(status).ok();
        }
        out.header_overrides.extend(pairs(section.get("header")));
    }
    if let Some(Value::Map(section)) = context.get("requestOverride") {
        let section = section.borrow();
        out.request_header_overrides
            .extend(pairs(section.get("header")));
        out.querystring_overrides
            .extend(pairs(section.get("querystring")));
        out.path_overrides.extend(pairs(section.get("path")));
    }
    for key in ["responseOverride", "requestOverride"] {
        if let Some(json) = context.get(key).and_then(Value::to_json) {
            carried.insert(key.to_string(), json);
        }
    }
    if !carried.is_empty() {
        out.carried = Some(serde_json::Value::Object(carried));
    }
}

#[cfg(test)]
mod tests;
