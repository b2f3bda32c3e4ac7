//! The VTL parser: a scanner that splits template text into text,
//! references and directives, whitespace gobbling for lines that hold only
//! directives, and a recursive-descent expression parser built from winnow's
//! token parsers.
//!
//! Every slice the parser handles is a slice of the template text, so a
//! position is the distance from the text's start (`offset_of`).

use std::collections::HashSet;

use winnow::ascii::{digit1, multispace0};
use winnow::prelude::*;
use winnow::token::take_while;

use super::ast::{BinOp, Expr, MacroDef, Node, Offset, Step, Target};

/// A parse failure at a byte offset of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub at: Offset,
    pub message: String,
}

type PResult<T> = Result<T, ParseError>;

/// Expressions open inside one another while parsing (the parser recurses).
pub const MAX_NESTING: usize = 64;
/// How deep one expression's tree may be (`a + b + c` is three deep).
pub const MAX_EXPR_DEPTH: usize = 64;
/// How deep `#if`, `#foreach` and `#macro` blocks may nest.
pub const MAX_BLOCK_DEPTH: usize = 64;

/// Directives Velocity has that API Gateway templates cannot use here.
const UNSUPPORTED: &[&str] = &["define", "include", "parse", "evaluate"];
const DIRECTIVES: &[&str] = &[
    "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "macro",
];

/// A flat piece of a template before blocks are nested.
#[derive(Debug)]
enum Tok {
    Text(String),
    Print(Expr, Offset),
    Set(Target, Expr, Offset),
    If(Expr, Offset),
    ElseIf(Expr, Offset),
    Else(Offset),
    End(Offset),
    Foreach(String, Expr, Offset),
    Break,
    Stop,
    MacroStart(String, Vec<String>, Offset),
    /// `#name(args)`, and its source (printed as text if no such macro).
    Call(String, Vec<Expr>, Offset, String),
}

impl Tok {
    /// `#if`, `#foreach` and `#macro`, which open a block.
    fn opens_block(&self) -> bool {
        matches!(self, Tok::If(..) | Tok::Foreach(..) | Tok::MacroStart(..))
    }

    /// Directives that stand alone on a line take the line with them.
    fn is_line_directive(&self) -> bool {
        !matches!(self, Tok::Text(_) | Tok::Print(..) | Tok::Call(..))
    }
}

/// Parses a whole template.
pub fn parse(src: &str) -> PResult<Vec<Node>> {
    let mut p = Scanner {
        base: src,
        nesting: 0,
        depth: 0,
        deepest: 0,
    };
    let mut toks = p.scan(src, false)?;
    gobble(&mut toks);
    let macros: HashSet<String> = toks
        .iter()
        .filter_map(|t| match t {
            Tok::MacroStart(name, ..) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut it = toks.into_iter().peekable();
    let (nodes, end) = build(&mut it, &macros, 0)?;
    match end {
        None => Ok(nodes),
        Some(EndTok::End(at) | EndTok::Else(at) | EndTok::ElseIf(_, at)) => Err(ParseError {
            at,
            message: "this directive closes a block that was never opened".into(),
        }),
    }
}

struct Scanner<'s> {
    base: &'s str,
    /// Expressions being parsed now, one inside the other.
    nesting: usize,
    /// The depth of the expression parsed last.
    depth: usize,
    /// The deepest expression parsed since this was last reset.
    deepest: usize,
}

impl<'s> Scanner<'s> {
    fn offset_of(&self, s: &str) -> Offset {
        (s.as_ptr() as usize).saturating_sub(self.base.as_ptr() as usize)
    }

    /// Records that the expression just built is `depth` deep; refused
    /// past [`MAX_EXPR_DEPTH`].
    fn built(&mut self, depth: usize, at: &str) -> PResult<()> {
        if depth > MAX_EXPR_DEPTH {
            return self.err(
                at,
                format!("the expression nests more than {MAX_EXPR_DEPTH} levels deep"),
            );
        }
        self.depth = depth;
        self.deepest = self.deepest.max(depth);
        Ok(())
    }

    /// Opens one more expression inside the ones being parsed.
    fn open(&mut self, at: &str) -> PResult<()> {
        if self.nesting >= MAX_NESTING {
            return self.err(
                at,
                format!("expressions nest more than {MAX_NESTING} levels deep"),
            );
        }
        self.nesting += 1;
        Ok(())
    }

    fn err<T>(&self, at: &str, message: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            at: self.offset_of(at),
            message: message.into(),
        })
    }

    /// Splits `src` into tokens. In a double-quoted string, text is unescaped.
    fn scan(&mut self, src: &'s str, in_string: bool) -> PResult<Vec<Tok>> {
        let mut toks = Vec::new();
        let mut text = String::new();
        let mut rest = src;
        let flush = |text: &mut String, toks: &mut Vec<Tok>| {
            if !text.is_empty() {
                toks.push(Tok::Text(std::mem::take(text)));
            }
        };
        while let Some(pos) = rest.find(['$', '#', '\\']) {
            push_text(&mut text, &rest[..pos], in_string);
            let at = &rest[pos..];
            match at.as_bytes()[0] {
                b'\\' => {
                    // `\$` and `\#` print the character; other escapes are
                    // text (string literal escapes are handled in push_text).
                    match at.as_bytes().get(1) {
                        Some(b'$') | Some(b'#') => {
                            text.push_str(&at[1..2]);
                            rest = &at[2..];
                        }
                        Some(_) if in_string => {
                            let len = at[1..].chars().next().map_or(0, char::len_utf8);
                            push_text(&mut text, &at[..1 + len], true);
                            rest = &at[1 + len..];
                        }
                        _ => {
                            text.push('\\');
                            rest = &at[1..];
                        }
                    }
                }
                b'$' => match self.reference(&mut &at[..])? {
                    Some((expr, used)) => {
                        flush(&mut text, &mut toks);
                        toks.push(Tok::Print(expr, self.offset_of(at)));
                        rest = &at[used..];
                    }
                    None => {
                        text.push('$');
                        rest = &at[1..];
                    }
                },
                _ => {
                    let after = &at[1..];
                    if let Some(comment) = after.strip_prefix('#') {
                        // `##` to the end of the line, newline included.
                        rest = comment.find('\n').map_or("", |n| &comment[n + 1..]);
                        continue;
                    }
                    if let Some(block) = after.strip_prefix('*') {
                        let Some(close) = block.find("*#") else {
                            return self.err(at, "unterminated #* comment *#");
                        };
                        rest = &block[close + 2..];
                        continue;
                    }
                    if let Some(raw) = after.strip_prefix("[[") {
                        let Some(close) = raw.find("]]#") else {
                            return self.err(at, "unterminated #[[ literal ]]#");
                        };
                        text.push_str(&raw[..close]);
                        rest = &raw[close + 3..];
                        continue;
                    }
                    match self.directive(at)? {
                        Some((tok, used)) => {
                            flush(&mut text, &mut toks);
                            toks.push(tok);
                            rest = &at[used..];
                        }
                        None => {
                            text.push('#');
                            rest = after;
                        }
                    }
                }
            }
        }
        push_text(&mut text, rest, in_string);
        flush(&mut text, &mut toks);
        Ok(toks)
    }

    /// A directive at `#`, with the bytes it used; `None` if the `#` is text.
    fn directive(&mut self, at: &'s str) -> PResult<Option<(Tok, usize)>> {
        let after = &at[1..];
        let (name, mut rest) = match after.strip_prefix('{') {
            Some(braced) => {
                let end = braced.find('}').unwrap_or(0);
                let name = &braced[..end];
                if end == 0 || !is_identifier(name) {
                    return Ok(None);
                }
                (name, &braced[end + 1..])
            }
            None => {
                let len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                let name = &after[..len];
                if name.is_empty() || !name.as_bytes()[0].is_ascii_alphabetic() {
                    return Ok(None);
                }
                (name, &after[len..])
            }
        };
        let offset = self.offset_of(at);
        let used = |rest: &str| at.len() - rest.len();
        if UNSUPPORTED.contains(&name) {
            return self.err(
                at,
                format!("#{name} is not supported in API Gateway mapping templates"),
            );
        }
        if !DIRECTIVES.contains(&name) {
            // `#name(` calls a macro; anything else is text.
            let mut args_at = rest;
            let _: PResult<()> = skip_inline_space(&mut args_at);
            if !args_at.starts_with('(') {
                return Ok(None);
            }
            let mut input = &args_at[1..];
            let args = self.macro_args(&mut input)?;
            let source = at[..used(input)].to_string();
            return Ok(Some((
                Tok::Call(name.to_string(), args, offset, source),
                used(input),
            )));
        }
        let tok = match name {
            "else" => Tok::Else(offset),
            "end" => Tok::End(offset),
            "break" => Tok::Break,
            "stop" => Tok::Stop,
            _ => {
                let _: PResult<()> = skip_inline_space(&mut rest);
                let Some(inner) = rest.strip_prefix('(') else {
                    return self.err(at, format!("#{name} needs its arguments in parentheses"));
                };
                let mut input = inner;
                let tok = match name {
                    "set" => {
                        let target = self.set_target(&mut input)?;
                        self.ws(&mut input);
                        let Some(after_eq) = input.strip_prefix('=') else {
                            return self.err(input, "#set needs `=`");
                        };
                        input = after_eq;
                        let value = self.expr(&mut input)?;
                        Tok::Set(target, value, offset)
                    }
                    "if" => Tok::If(self.expr(&mut input)?, offset),
                    "elseif" => Tok::ElseIf(self.expr(&mut input)?, offset),
                    "foreach" => {
                        self.ws(&mut input);
                        let var = self.variable_name(&mut input)?;
                        self.ws(&mut input);
                        let Some(after_in) = input.strip_prefix("in") else {
                            return self.err(input, "#foreach needs `in`");
                        };
                        input = after_in;
                        Tok::Foreach(var, self.expr(&mut input)?, offset)
                    }
                    _ => {
                        // macro: a name, then parameters.
                        self.ws(&mut input);
                        let name_len = input
                            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                            .unwrap_or(input.len());
                        let macro_name = &input[..name_len];
                        if !is_identifier(macro_name) {
                            return self.err(input, "#macro needs a name");
                        }
                        input = &input[name_len..];
                        let mut params = Vec::new();
                        loop {
                            self.ws(&mut input);
                            if let Some(after_comma) = input.strip_prefix(',') {
                                input = after_comma;
                                continue;
                            }
                            if input.starts_with('$') {
                                params.push(self.variable_name(&mut input)?);
                            } else {
                                break;
                            }
                        }
                        Tok::MacroStart(macro_name.to_string(), params, offset)
                    }
                };
                self.ws(&mut input);
                let Some(after_paren) = input.strip_prefix(')') else {
                    return self.err(input, format!("expected `)` to close #{name}"));
                };
                return Ok(Some((tok, used(after_paren))));
            }
        };
        Ok(Some((tok, used(rest))))
    }

    fn macro_args(&mut self, input: &mut &'s str) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        loop {
            self.ws(input);
            if let Some(after) = input.strip_prefix(')') {
                *input = after;
                return Ok(args);
            }
            if let Some(after) = input.strip_prefix(',') {
                *input = after;
                continue;
            }
            if input.is_empty() {
                return self.err(input, "expected `)` to close the macro call");
            }
            args.push(self.primary(input)?);
        }
    }

    /// `$name` (as `#foreach` and `#macro` declare it).
    fn variable_name(&mut self, input: &mut &'s str) -> PResult<String> {
        let Some(after) = input.strip_prefix('$') else {
            return self.err(input, "expected a variable like `$item`");
        };
        let after = after.strip_prefix('!').unwrap_or(after);
        let (braced, after) = match after.strip_prefix('{') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let mut rest = after;
        let name = identifier(&mut rest).map_err(|_| ParseError {
            at: self.offset_of(after),
            message: "expected a variable name".into(),
        })?;
        if braced {
            rest = rest.strip_prefix('}').ok_or_else(|| ParseError {
                at: self.offset_of(rest),
                message: "expected `}`".into(),
            })?;
        }
        *input = rest;
        Ok(name.to_string())
    }

    fn set_target(&mut self, input: &mut &'s str) -> PResult<Target> {
        self.ws(input);
        let start = *input;
        let Some((expr, used)) = self.reference(&mut &input[..])? else {
            return self.err(start, "#set needs a reference to assign to, like `$name`");
        };
        *input = &input[used..];
        match expr {
            Expr::Var(name) => Ok(Target::Var(name)),
            Expr::Property(base, name) => Ok(Target::Path(base, Step::Property(name))),
            Expr::Index(base, index) => Ok(Target::Path(base, Step::Index(*index))),
            _ => self.err(start, "#set cannot assign to a method call"),
        }
    }

    /// A reference at `$`: `$a`, `$!a`, `${a}`, with `.prop`, `.method(args)`
    /// and `[index]` steps. Returns the expression and the bytes it used, or
    /// `None` if the `$` starts no reference.
    fn reference(&mut self, input: &mut &'s str) -> PResult<Option<(Expr, usize)>> {
        let whole = *input;
        let Some(mut rest) = whole.strip_prefix('$') else {
            return Ok(None);
        };
        if let Some(r) = rest.strip_prefix('!') {
            rest = r;
        }
        let braced = rest.starts_with('{');
        if braced {
            rest = &rest[1..];
        }
        let Ok(name) = identifier(&mut rest) else {
            return Ok(None);
        };
        let mut expr = Expr::Var(name.to_string());
        let mut depth = 1;
        loop {
            if let Some(after_dot) = rest.strip_prefix('.') {
                let mut probe = after_dot;
                let Ok(member) = identifier(&mut probe) else {
                    break;
                };
                if let Some(args_src) = probe.strip_prefix('(') {
                    let call_at = self.offset_of(after_dot);
                    let mut args_input = args_src;
                    let (args, deepest_arg) = self.arguments(&mut args_input)?;
                    depth = depth.max(deepest_arg) + 1;
                    self.built(depth, after_dot)?;
                    expr = Expr::Call(Box::new(expr), member.to_string(), args, call_at);
                    rest = args_input;
                } else {
                    depth += 1;
                    self.built(depth, after_dot)?;
                    expr = Expr::Property(Box::new(expr), member.to_string());
                    rest = probe;
                }
            } else if let Some(after_bracket) = rest.strip_prefix('[') {
                let mut index_input = after_bracket;
                let index = self.expr(&mut index_input)?;
                depth = depth.max(self.depth) + 1;
                self.built(depth, after_bracket)?;
                self.ws(&mut index_input);
                let Some(after_close) = index_input.strip_prefix(']') else {
                    return self.err(index_input, "expected `]`");
                };
                expr = Expr::Index(Box::new(expr), Box::new(index));
                rest = after_close;
            } else {
                break;
            }
        }
        if braced {
            match rest.strip_prefix('}') {
                Some(after) => rest = after,
                None => return Ok(None),
            }
        }
        self.built(depth, whole)?;
        Ok(Some((expr, whole.len() - rest.len())))
    }

    /// `(a, b)` after a method name (the `(` already taken), and the depth
    /// of the deepest argument.
    fn arguments(&mut self, input: &mut &'s str) -> PResult<(Vec<Expr>, usize)> {
        let mut args = Vec::new();
        let mut deepest = 0;
        self.ws(input);
        if let Some(after) = input.strip_prefix(')') {
            *input = after;
            return Ok((args, deepest));
        }
        loop {
            args.push(self.expr(input)?);
            deepest = deepest.max(self.depth);
            self.ws(input);
            if let Some(after) = input.strip_prefix(',') {
                *input = after;
            } else if let Some(after) = input.strip_prefix(')') {
                *input = after;
                return Ok((args, deepest));
            } else {
                return self.err(input, "expected `,` or `)` in the argument list");
            }
        }
    }

    fn ws(&self, input: &mut &'s str) {
        let _: Result<&str, winnow::error::ContextError> = multispace0.parse_next(input);
    }

    /// A full expression (lowest precedence: `||`).
    fn expr(&mut self, input: &mut &'s str) -> PResult<Expr> {
        self.open(input)?;
        let expr = self.binary(input, 0);
        self.nesting -= 1;
        expr
    }

    /// Precedence climbing over the binary operators.
    fn binary(&mut self, input: &mut &'s str, level: usize) -> PResult<Expr> {
        const LEVELS: &[&[(&str, BinOp)]] = &[
            &[("||", BinOp::Or), ("or", BinOp::Or)],
            &[("&&", BinOp::And), ("and", BinOp::And)],
            &[
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                ("eq", BinOp::Eq),
                ("ne", BinOp::Ne),
            ],
            &[
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
                ("le", BinOp::Le),
                ("ge", BinOp::Ge),
                ("lt", BinOp::Lt),
                ("gt", BinOp::Gt),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        if level == LEVELS.len() {
            return self.unary(input);
        }
        let mut left = self.binary(input, level + 1)?;
        let mut depth = self.depth;
        loop {
            self.ws(input);
            let found = LEVELS[level].iter().find(|(symbol, _)| {
                input.starts_with(symbol)
                    && (!symbol.as_bytes()[0].is_ascii_alphabetic()
                        || !input[symbol.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
            });
            let Some((symbol, op)) = found else {
                return Ok(left);
            };
            let at = self.offset_of(input);
            *input = &input[symbol.len()..];
            let right = self.binary(input, level + 1)?;
            depth = depth.max(self.depth) + 1;
            self.built(depth, input)?;
            left = Expr::Binary(*op, Box::new(left), Box::new(right), at);
        }
    }

    fn unary(&mut self, input: &mut &'s str) -> PResult<Expr> {
        self.ws(input);
        let start = *input;
        let negate = if let Some(after) = input.strip_prefix('!') {
            Some((after, true))
        } else if input.starts_with("not")
            && !input[3..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        {
            Some((&input[3..], true))
        } else {
            input
                .strip_prefix('-')
                .filter(|after| !after.starts_with(|c: char| c.is_ascii_digit()))
                .map(|after| (after, false))
        };
        let Some((after, not)) = negate else {
            return self.primary(input);
        };
        *input = after;
        self.open(start)?;
        let inner = self.unary(input);
        self.nesting -= 1;
        let inner = Box::new(inner?);
        self.built(self.depth + 1, start)?;
        Ok(if not {
            Expr::Not(inner)
        } else {
            Expr::Neg(inner)
        })
    }

    fn primary(&mut self, input: &mut &'s str) -> PResult<Expr> {
        self.ws(input);
        let start = *input;
        let Some(first) = start.chars().next() else {
            return self.err(start, "expected a value, found the end of the template");
        };
        match first {
            '$' => {
                let Some((expr, used)) = self.reference(&mut &start[..])? else {
                    return self.err(start, "expected a reference after `$`");
                };
                *input = &start[used..];
                Ok(expr)
            }
            '\'' => {
                let (text, used) = self.quoted(start, '\'')?;
                *input = &start[used..];
                self.built(1, start)?;
                Ok(Expr::Str(text.replace("''", "'")))
            }
            '"' => {
                let (raw, used) = self.quoted(start, '"')?;
                *input = &start[used..];
                if raw.contains(['$', '#']) {
                    let outer_deepest = std::mem::take(&mut self.deepest);
                    let toks = self.scan(raw, true)?;
                    let blocks = toks.iter().filter(|t| t.opens_block()).count();
                    let depth = self.deepest + blocks + 1;
                    self.deepest = outer_deepest;
                    self.built(depth, start)?;
                    let mut it = toks.into_iter().peekable();
                    let (nodes, _) = build(&mut it, &HashSet::new(), 0)?;
                    Ok(Expr::Interpolated(nodes))
                } else {
                    let mut text = String::new();
                    push_text(&mut text, raw, true);
                    self.built(1, start)?;
                    Ok(Expr::Str(text))
                }
            }
            '(' => {
                *input = &start[1..];
                let inner = self.expr(input)?;
                self.ws(input);
                match input.strip_prefix(')') {
                    Some(after) => {
                        *input = after;
                        Ok(inner)
                    }
                    None => self.err(input, "expected `)`"),
                }
            }
            '[' => self.list_or_range(input),
            '{' => self.map_literal(input),
            '-' | '0'..='9' => self.number(input),
            _ => {
                let mut probe = start;
                if let Ok(word) = identifier(&mut probe) {
                    let value = match word {
                        "true" => Some(Expr::Bool(true)),
                        "false" => Some(Expr::Bool(false)),
                        "null" => Some(Expr::Null),
                        _ => None,
                    };
                    if let Some(v) = value {
                        *input = probe;
                        self.built(1, start)?;
                        return Ok(v);
                    }
                }
                self.err(start, format!("unexpected `{first}` in an expression"))
            }
        }
    }

    /// A quoted string starting at `start`: its raw inside and the bytes used
    /// (a doubled quote, or a backslash-escaped one, stays inside).
    fn quoted(&self, start: &'s str, quote: char) -> PResult<(&'s str, usize)> {
        let body = &start[1..];
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\\' && quote == '"' {
                chars.next();
            } else if c == quote {
                if chars.peek().is_some_and(|(_, n)| *n == quote) {
                    chars.next();
                    continue;
                }
                return Ok((&body[..i], i + 2));
            }
        }
        self.err(start, "unterminated string")
    }

    fn number(&mut self, input: &mut &'s str) -> PResult<Expr> {
        let start = *input;
        let mut rest = start;
        let negative = rest.starts_with('-');
        if negative {
            rest = &rest[1..];
        }
        let whole: Result<&str, winnow::error::ContextError> = digit1.parse_next(&mut rest);
        if whole.is_err() {
            return self.err(start, "expected a number");
        }
        let mut is_float = false;
        if rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
            rest = &rest[1..];
            let _: Result<&str, winnow::error::ContextError> = digit1.parse_next(&mut rest);
            is_float = true;
        }
        let text = &start[..start.len() - rest.len()];
        *input = rest;
        self.built(1, start)?;
        if is_float {
            text.parse()
                .map(Expr::Float)
                .or_else(|_| self.err(start, "invalid number"))
        } else {
            match text.parse::<i64>() {
                Ok(i) => Ok(Expr::Int(i)),
                Err(_) => text
                    .parse()
                    .map(Expr::Float)
                    .or_else(|_| self.err(start, "invalid number")),
            }
        }
    }

    fn list_or_range(&mut self, input: &mut &'s str) -> PResult<Expr> {
        *input = &input[1..];
        self.ws(input);
        let start = *input;
        if let Some(after) = input.strip_prefix(']') {
            *input = after;
            self.built(1, start)?;
            return Ok(Expr::List(Vec::new()));
        }
        let first = self.expr(input)?;
        let mut deepest = self.depth;
        self.ws(input);
        if let Some(after) = input.strip_prefix("..") {
            *input = after;
            let last = self.expr(input)?;
            self.built(deepest.max(self.depth) + 1, start)?;
            self.ws(input);
            return match input.strip_prefix(']') {
                Some(after) => {
                    *input = after;
                    Ok(Expr::Range(Box::new(first), Box::new(last)))
                }
                None => self.err(input, "expected `]` to close the range"),
            };
        }
        let mut items = vec![first];
        loop {
            self.ws(input);
            if let Some(after) = input.strip_prefix(']') {
                *input = after;
                self.built(deepest + 1, start)?;
                return Ok(Expr::List(items));
            }
            let Some(after) = input.strip_prefix(',') else {
                return self.err(input, "expected `,` or `]` in the list");
            };
            *input = after;
            items.push(self.expr(input)?);
            deepest = deepest.max(self.depth);
        }
    }

    fn map_literal(&mut self, input: &mut &'s str) -> PResult<Expr> {
        let start = *input;
        *input = &input[1..];
        let mut entries = Vec::new();
        let mut deepest = 0;
        loop {
            self.ws(input);
            if let Some(after) = input.strip_prefix('}') {
                *input = after;
                self.built(deepest + 1, start)?;
                return Ok(Expr::Map(entries));
            }
            if !entries.is_empty() {
                let Some(after) = input.strip_prefix(',') else {
                    return self.err(input, "expected `,` or `}` in the map");
                };
                *input = after;
            }
            let key = self.expr(input)?;
            deepest = deepest.max(self.depth);
            self.ws(input);
            let Some(after) = input.strip_prefix(':') else {
                return self.err(input, "expected `:` after the map key");
            };
            *input = after;
            let value = self.expr(input)?;
            deepest = deepest.max(self.depth);
            entries.push((key, value));
        }
    }
}

/// An identifier: a letter or `_`, then letters, digits, `_`, and `-`
/// when a letter follows it (`$stageVariables.my-var`, but `$a-1` is a
/// subtraction).
fn identifier<'s>(input: &mut &'s str) -> Result<&'s str, winnow::error::ContextError> {
    let start = *input;
    let first = start
        .chars()
        .next()
        .filter(|c| c.is_ascii_alphabetic() || *c == '_');
    if first.is_none() {
        return Err(winnow::error::ContextError::new());
    }
    let bytes = start.as_bytes();
    let mut end = 1;
    while end < bytes.len() {
        let b = bytes[end];
        let joins = b == b'-' && bytes.get(end + 1).is_some_and(|n| n.is_ascii_alphabetic());
        if b.is_ascii_alphanumeric() || b == b'_' || joins {
            end += 1;
        } else {
            break;
        }
    }
    let mut taken = start;
    let ident: Result<&str, winnow::error::ContextError> =
        take_while(end, |_c: char| true).parse_next(&mut taken);
    *input = taken;
    ident
}

fn is_identifier(s: &str) -> bool {
    let mut probe = s;
    identifier(&mut probe).is_ok_and(|id| id.len() == s.len())
}

fn skip_inline_space(input: &mut &str) -> PResult<()> {
    *input = input.trim_start_matches([' ', '\t']);
    Ok(())
}

/// Appends template text; inside a double-quoted string, `\"`, `\\`, `\n`,
/// `\t`, `\r` and a doubled `""` are unescaped.
fn push_text(out: &mut String, text: &str, in_string: bool) {
    if !in_string {
        out.push_str(text);
        return;
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some('\'') => out.push('\''),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '"' if chars.peek() == Some(&'"') => {
                chars.next();
                out.push('"');
            }
            c => out.push(c),
        }
    }
}

/// Lines that hold only directives (and spaces) vanish whole: their
/// indentation and their newline are not printed.
fn gobble(toks: &mut [Tok]) {
    // Text tokens that begin at the start of a line (the template's start,
    // or after a line already gobbled).
    let mut starts_line = vec![false; toks.len()];
    if let Some(first) = starts_line.first_mut() {
        *first = true;
    }
    let mut i = 0;
    while i < toks.len() {
        if !toks[i].is_line_directive() {
            i += 1;
            continue;
        }
        let first = i;
        while i < toks.len() && toks[i].is_line_directive() {
            i += 1;
        }
        let last = i; // one past the group
        let before_ok = match first.checked_sub(1).map(|p| &toks[p]) {
            None => true,
            Some(Tok::Text(t)) => {
                let line = t.rsplit('\n').next().unwrap_or("");
                line.chars().all(|c| c == ' ' || c == '\t')
                    && (t.contains('\n') || starts_line[first - 1])
            }
            Some(_) => false,
        };
        let after_ok = match toks.get(last) {
            None => true,
            Some(Tok::Text(t)) => {
                let trimmed = t.trim_start_matches([' ', '\t']);
                trimmed.starts_with('\n')
                    || trimmed.starts_with("\r\n")
                    || trimmed.is_empty() && last + 1 == toks.len()
            }
            Some(_) => false,
        };
        if before_ok && after_ok {
            if let Some(Tok::Text(t)) = first.checked_sub(1).map(|p| &mut toks[p]) {
                let keep = t.trim_end_matches([' ', '\t']).len();
                t.truncate(keep);
            }
            if let Some(Tok::Text(t)) = toks.get_mut(last) {
                let trimmed = t.trim_start_matches([' ', '\t']);
                let trimmed = trimmed
                    .strip_prefix("\r\n")
                    .or_else(|| trimmed.strip_prefix('\n'))
                    .unwrap_or(trimmed);
                *t = trimmed.to_string();
                starts_line[last] = true;
            }
        }
    }
}

/// What ended a block.
enum EndTok {
    End(Offset),
    Else(Offset),
    ElseIf(Expr, Offset),
}

type Toks = std::iter::Peekable<std::vec::IntoIter<Tok>>;

/// Nests tokens into nodes until a block-ending token (returned) or the end.
fn build(
    it: &mut Toks,
    macros: &HashSet<String>,
    depth: usize,
) -> PResult<(Vec<Node>, Option<EndTok>)> {
    let mut nodes = Vec::new();
    // A block inside this one: refused past the bound, before it recurses.
    let inner = |at: Offset| {
        if depth >= MAX_BLOCK_DEPTH {
            return Err(ParseError {
                at,
                message: format!("blocks nest more than {MAX_BLOCK_DEPTH} levels deep"),
            });
        }
        Ok(depth + 1)
    };
    while let Some(tok) = it.next() {
        match tok {
            Tok::Text(t) => {
                if t.is_empty() {
                    continue;
                }
                if let Some(Node::Text(prev)) = nodes.last_mut() {
                    prev.push_str(&t);
                } else {
                    nodes.push(Node::Text(t));
                }
            }
            Tok::Print(expr, at) => nodes.push(Node::Print { expr, at }),
            Tok::Set(target, value, at) => nodes.push(Node::Set { target, value, at }),
            Tok::Break => nodes.push(Node::Break),
            Tok::Stop => nodes.push(Node::Stop),
            Tok::End(at) => return Ok((nodes, Some(EndTok::End(at)))),
            Tok::Else(at) => return Ok((nodes, Some(EndTok::Else(at)))),
            Tok::ElseIf(e, at) => return Ok((nodes, Some(EndTok::ElseIf(e, at)))),
            Tok::If(cond, at) => {
                let mut branches = Vec::new();
                let mut otherwise = Vec::new();
                let mut cond = cond;
                let depth = inner(at)?;
                loop {
                    let (body, end) = build(it, macros, depth)?;
                    match end {
                        Some(EndTok::End(_)) => {
                            branches.push((cond, body));
                            break;
                        }
                        Some(EndTok::ElseIf(next, _)) => {
                            branches.push((cond, body));
                            cond = next;
                        }
                        Some(EndTok::Else(_)) => {
                            branches.push((cond, body));
                            let (rest, end) = build(it, macros, depth)?;
                            if !matches!(end, Some(EndTok::End(_))) {
                                return Err(ParseError {
                                    at,
                                    message: "#else needs an #end".into(),
                                });
                            }
                            otherwise = rest;
                            break;
                        }
                        None => {
                            return Err(ParseError {
                                at,
                                message: "#if without #end".into(),
                            })
                        }
                    }
                }
                nodes.push(Node::If {
                    branches,
                    otherwise,
                });
            }
            Tok::Foreach(var, iterable, at) => {
                let (body, end) = build(it, macros, inner(at)?)?;
                if !matches!(end, Some(EndTok::End(_))) {
                    return Err(ParseError {
                        at,
                        message: "#foreach without #end".into(),
                    });
                }
                nodes.push(Node::Foreach {
                    var,
                    iterable,
                    body,
                    at,
                });
            }
            Tok::MacroStart(name, params, at) => {
                let (body, end) = build(it, macros, inner(at)?)?;
                if !matches!(end, Some(EndTok::End(_))) {
                    return Err(ParseError {
                        at,
                        message: "#macro without #end".into(),
                    });
                }
                nodes.push(Node::Macro(std::sync::Arc::new(MacroDef {
                    name,
                    params,
                    body,
                })));
            }
            Tok::Call(name, args, at, source) => {
                if macros.contains(&name) {
                    nodes.push(Node::MacroCall { name, args, at });
                } else if let Some(Node::Text(prev)) = nodes.last_mut() {
                    prev.push_str(&source);
                } else {
                    nodes.push(Node::Text(source));
                }
            }
        }
    }
    Ok((nodes, None))
}
