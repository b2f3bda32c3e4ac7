//! Reference templates: the part of Velocity that gateway responses and simple
//! mapping templates use (`$context.requestId`, `${stageVariables.env}`,
//! `$input.params('id')`, quiet `$!ref`), compiled once, rendered per request.
//!
//! Directives (`#set`, `#if`, `#foreach`...) are refused at compile time with
//! the template's position, so a template this engine cannot run fails the
//! deployment loudly instead of rendering wrong text. The full VTL engine
//! replaces this module when it lands.

use std::borrow::Cow;

/// A compiled template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Ref {
        reference: Reference,
        quiet: bool,
        source: String,
    },
}

/// A variable a template reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `$context.a.b`
    Context(String),
    /// `$stageVariables.name`
    StageVariable(String),
    /// `$input.params('name')`: path, then query string, then header.
    InputParam(String),
    /// `$input.body`
    InputBody,
}

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct TemplateError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// What a template can read while rendering.
pub trait Scope {
    /// The value of a reference, or `None` if it is undefined.
    fn lookup(&self, reference: &Reference) -> Option<Cow<'_, str>>;
}

const DIRECTIVES: &[&str] = &[
    "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "macro", "define", "include",
    "parse", "evaluate",
];

impl Template {
    /// Compiles `text`.
    pub fn compile(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(pos) = rest.find(['$', '#']) {
            literal.push_str(&rest[..pos]);
            let at = &rest[pos..];
            if let Some(after_hash) = at.strip_prefix('#') {
                if starts_directive(after_hash) {
                    return Err(position_error(
                        text,
                        at,
                        "VTL directives (#set, #if, #foreach...) are not supported by this version's template engine",
                    ));
                }
                literal.push('#');
                rest = after_hash;
                continue;
            }
            match parse_reference(at) {
                Some((piece, used)) => {
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(piece);
                    rest = &at[used..];
                }
                None => {
                    if looks_like_reference(&at[1..]) {
                        return Err(position_error(
                            text,
                            at,
                            "this reference is not supported by this version's template engine",
                        ));
                    }
                    literal.push('$');
                    rest = &at[1..];
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template { pieces })
    }

    /// Renders with `scope`; an undefined reference renders as its source
    /// text (as Velocity does), or as nothing when quiet (`$!ref`).
    pub fn render(&self, scope: &dyn Scope) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Ref {
                    reference,
                    quiet,
                    source,
                } => match scope.lookup(reference) {
                    Some(v) => out.push_str(&v),
                    None if *quiet => {}
                    None => out.push_str(source),
                },
            }
        }
        out
    }

    /// Whether the template is plain text (no references).
    pub fn is_static(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Text(_)))
    }
}

fn starts_directive(after_hash: &str) -> bool {
    if after_hash.starts_with('#') || after_hash.starts_with('*') {
        return true;
    }
    let body = after_hash.strip_prefix('{').unwrap_or(after_hash);
    let word: String = body
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    DIRECTIVES.contains(&word.as_str())
}

fn looks_like_reference(after_dollar: &str) -> bool {
    let body = after_dollar.strip_prefix('!').unwrap_or(after_dollar);
    let body = body.strip_prefix('{').unwrap_or(body);
    body.starts_with(|c: char| c.is_ascii_alphabetic())
}

/// Parses a reference at `$`; returns it and the bytes it used.
fn parse_reference(at: &str) -> Option<(Piece, usize)> {
    let mut i = 1;
    let quiet = at[i..].starts_with('!');
    if quiet {
        i += 1;
    }
    let braced = at[i..].starts_with('{');
    if braced {
        i += 1;
    }
    let start = i;
    let bytes = at.as_bytes();
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric()
            || bytes[i] == b'_'
            || bytes[i] == b'.'
            || bytes[i] == b'-')
    {
        i += 1;
    }
    // A trailing dot belongs to the text (`$context.stage.`).
    while i > start && bytes[i - 1] == b'.' {
        i -= 1;
    }
    let name = &at[start..i];
    let mut reference = if let Some(path) = name.strip_prefix("context.") {
        Reference::Context(path.to_string())
    } else if let Some(var) = name.strip_prefix("stageVariables.") {
        Reference::StageVariable(var.to_string())
    } else if name == "input.body" {
        Reference::InputBody
    } else if name == "input.params" {
        let args = &at[i..];
        let close = args.find(')')?;
        let arg = args.strip_prefix('(')?[..close - 1].trim();
        let unquoted = arg
            .strip_prefix('\'')
            .and_then(|a| a.strip_suffix('\''))
            .or_else(|| arg.strip_prefix('"').and_then(|a| a.strip_suffix('"')))?;
        i += close + 1;
        Reference::InputParam(unquoted.to_string())
    } else {
        return None;
    };
    if let Reference::Context(p) | Reference::StageVariable(p) = &mut reference {
        if p.is_empty() {
            return None;
        }
    }
    if braced {
        if !at[i..].starts_with('}') {
            return None;
        }
        i += 1;
    }
    let source = at[..i].to_string();
    Some((
        Piece::Ref {
            reference,
            quiet,
            source,
        },
        i,
    ))
}

fn position_error(whole: &str, at: &str, message: &str) -> TemplateError {
    let offset = whole.len() - at.len();
    let before = &whole[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    TemplateError {
        line,
        column,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vars;
    impl Scope for Vars {
        fn lookup(&self, r: &Reference) -> Option<Cow<'_, str>> {
            match r {
                Reference::Context(p) if p == "stage" => Some("prod".into()),
                Reference::Context(p) if p == "error.messageString" => Some("\"Nope\"".into()),
                Reference::StageVariable(v) if v == "env" => Some("blue".into()),
                Reference::InputParam(p) if p == "id" => Some("42".into()),
                _ => None,
            }
        }
    }

    #[test]
    fn renders_references() {
        let t = Template::compile(r#"{"message":$context.error.messageString,"s":"${context.stage}","e":"$stageVariables.env","id":"$input.params('id')"}"#).expect("compiles");
        assert_eq!(
            t.render(&Vars),
            r#"{"message":"Nope","s":"prod","e":"blue","id":"42"}"#
        );
    }

    #[test]
    fn undefined_references_follow_velocity() {
        let t = Template::compile("a=$context.nothing b=$!context.nothing c=$5 d=# e=$")
            .expect("compiles");
        assert_eq!(t.render(&Vars), "a=$context.nothing b= c=$5 d=# e=$");
        assert!(Template::compile("plain {\"statusCode\": 200}")
            .expect("static")
            .is_static());
    }

    #[test]
    fn directives_are_refused_with_a_position() {
        let err = Template::compile("{\n  #set($x = 1)\n}").expect_err("refused");
        assert_eq!((err.line, err.column), (2, 3));
        assert!(Template::compile("$util.escapeJavaScript($x)").is_err());
        assert!(Template::compile("color: #fff; ##comment").is_err());
        assert!(Template::compile("color: #fff").is_ok());
    }
}
