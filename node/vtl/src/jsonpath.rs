//! JSONPath as `$input.path`/`$input.json` read it: RFC 9535
//! (serde_json_path) with Jayway's leniencies (`$.foo-bar`, `$.1st`, a
//! missing `$`), one node for a definite path (null when absent), a list for
//! wildcards, slices, filters and descendants.
//!
//! serde_json_path has no bounds of its own, so a path is checked before it
//! runs: its brackets may nest [`MAX_PATH_NESTING`] deep (the parser
//! recurses) and its filters [`MAX_FILTER_NESTING`] deep (the parser's time
//! doubles with each), and an estimate of the nodes it may visit in this
//! document must stay under [`MAX_PATH_VISITS`] (see [`estimated_visits`]).

use serde_json::Value;

/// How deep brackets and parentheses may nest in a path.
pub const MAX_PATH_NESTING: usize = 32;
/// The most node visits a path is estimated to make in one document.
pub const MAX_PATH_VISITS: u128 = 10_000_000;
/// How deep filters may nest inside filters (`$[?$[?@.a]]` is two):
/// serde_json_path's parser takes about twice as long for each level
/// (20 levels: ten seconds).
pub const MAX_FILTER_NESTING: usize = 4;
/// Paths longer than this are refused.
const MAX_PATH_BYTES: usize = 16 * 1024;

/// Why a path was not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Not a JSONPath, even with the leniencies.
    Invalid(String),
    /// A path that would do too much work (or nests too deeply to parse).
    TooCostly(String),
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathError::Invalid(m) | PathError::TooCostly(m) => f.write_str(m),
        }
    }
}

/// What a path selected.
#[derive(Debug, Clone, PartialEq)]
pub enum Found<'d> {
    /// A definite path: its node, if present.
    One(Option<&'d Value>),
    /// An indefinite path: every node it matched, in order.
    Many(Vec<&'d Value>),
}

/// `$input.path`/`$input.json`: the node (or a JSON array of the nodes) a
/// path selects, cloned.
pub fn json_path(doc: &Value, path: &str) -> Result<Value, String> {
    let found = select(doc, path, count_nodes(doc)).map_err(|e| e.to_string())?;
    Ok(match found {
        Found::One(node) => node.cloned().unwrap_or(Value::Null),
        Found::Many(nodes) => Value::Array(nodes.into_iter().cloned().collect()),
    })
}

/// The nodes `path` selects in `doc`, which has `nodes_in_doc` nodes.
pub fn select<'d>(doc: &'d Value, path: &str, nodes_in_doc: usize) -> Result<Found<'d>, PathError> {
    let path = path.trim();
    let path = if path.is_empty() { "$" } else { path };
    let compiled = match parse(path) {
        Ok(compiled) => compiled,
        Err(first) => match lenient_path(path).map(|p| parse(&p)) {
            Some(Ok(compiled)) => compiled,
            Some(Err(e @ PathError::TooCostly(_))) => return Err(e),
            _ => return Err(first),
        },
    };
    let visits = estimated_visits(path, nodes_in_doc);
    if visits > MAX_PATH_VISITS {
        return Err(PathError::TooCostly(format!(
            "the JSONPath `{path}` could visit about {visits} nodes of this {nodes_in_doc}-node document (at most {MAX_PATH_VISITS})"
        )));
    }
    let nodes = compiled.query(doc).all();
    Ok(if path_is_indefinite(path) {
        Found::Many(nodes)
    } else {
        Found::One(nodes.first().copied())
    })
}

/// serde_json_path's parser, for a path (as written, or as the leniencies
/// rewrote it) whose shape passed [`check_shape`]. The parser panics on
/// some input that ends inside a string (`nom::Err::Incomplete`,
/// "unreachable"): such paths are refused before it runs, and a panic that
/// still happens is taken as a parse error.
fn parse(path: &str) -> Result<serde_json_path::JsonPath, PathError> {
    check_shape(path)?;
    let invalid = |why: &dyn std::fmt::Display| {
        PathError::Invalid(format!("`{path}` is not a JSONPath: {why}"))
    };
    if ends_in_string(path) {
        return Err(invalid(&"a string in it is not closed"));
    }
    match std::panic::catch_unwind(|| serde_json_path::JsonPath::parse(path)) {
        Ok(parsed) => parsed.map_err(|e| invalid(&e)),
        Err(_) => Err(invalid(&"the parser gave up")),
    }
}

/// The nodes of a document (each value, array and object counts one).
pub fn count_nodes(doc: &Value) -> usize {
    let mut count = 0;
    let mut stack = vec![doc];
    while let Some(v) = stack.pop() {
        count += 1;
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(fields) => stack.extend(fields.values()),
            _ => {}
        }
    }
    count
}

/// Refuses paths too long or too deeply nested for the parser.
fn check_shape(path: &str) -> Result<(), PathError> {
    if path.len() > MAX_PATH_BYTES {
        return Err(PathError::TooCostly(format!(
            "a JSONPath of {} bytes is longer than {MAX_PATH_BYTES}",
            path.len()
        )));
    }
    let mut depth = 0usize;
    // The bracket depth at which each open filter began.
    let mut filters: Vec<usize> = Vec::new();
    for (b, quoted) in unquoted(path) {
        match b {
            _ if quoted => {}
            b'[' | b'(' => {
                depth += 1;
                if depth > MAX_PATH_NESTING {
                    return Err(PathError::TooCostly(format!(
                        "the JSONPath nests brackets more than {MAX_PATH_NESTING} deep"
                    )));
                }
            }
            b']' | b')' => {
                depth = depth.saturating_sub(1);
                if filters.last().is_some_and(|&d| depth < d) {
                    filters.pop();
                }
            }
            b'?' => {
                filters.push(depth);
                if filters.len() > MAX_FILTER_NESTING {
                    return Err(PathError::TooCostly(format!(
                        "the JSONPath nests filters more than {MAX_FILTER_NESTING} deep"
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Where a scan of a path is: inside a quoted string or not.
#[derive(Default)]
struct Quotes {
    quote: Option<u8>,
    escaped: bool,
}

impl Quotes {
    /// Takes the next byte; whether it is part of a quoted string (its
    /// quotes included).
    fn step(&mut self, b: u8) -> bool {
        let inside = self.quote.is_some();
        match self.quote {
            Some(_) if self.escaped => self.escaped = false,
            Some(_) if b == b'\\' => self.escaped = true,
            Some(q) if b == q => self.quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => self.quote = Some(b),
            None => {}
        }
        inside || self.quote.is_some()
    }
}

/// The path's bytes, each with whether it is inside a quoted string.
fn unquoted(path: &str) -> impl Iterator<Item = (u8, bool)> + '_ {
    let mut quotes = Quotes::default();
    path.bytes().map(move |b| (b, quotes.step(b)))
}

/// Whether the path ends inside a string.
fn ends_in_string(path: &str) -> bool {
    let mut quotes = Quotes::default();
    path.bytes().for_each(|b| {
        quotes.step(b);
    });
    quotes.quote.is_some()
}

/// An upper estimate of the nodes a path visits in a document of `n` nodes.
///
/// A path with no wildcard, slice, filter, union or descendant visits one
/// node per segment. Otherwise each child segment applied to distinct nodes
/// yields distinct nodes (a node has one parent), so one descendant segment
/// or any number of wildcards visit at most `n`; what multiplies is a
/// union (`[0,0]` selects a node twice), each further descendant segment
/// (`$..a..b`: every node's descendants) and each absolute query inside a
/// filter (run once per candidate): `n^(descendants + absolute queries)`
/// times the unions' sizes, and a thousand times that when regular
/// expressions (`match`, `search`) are compiled per candidate.
pub fn estimated_visits(path: &str, n: usize) -> u128 {
    let bytes: Vec<(u8, bool)> = unquoted(path).collect();
    let mut descendants = 0u32;
    let mut absolute_in_filters = 0u32;
    let mut fans_out = false;
    let mut unions: u128 = 1;
    let mut commas_here: u128 = 0;
    // Bracket depth, and the depth at which the innermost open filter began.
    let mut depth = 0usize;
    let mut filter_at: Vec<usize> = Vec::new();
    for (i, &(b, quoted)) in bytes.iter().enumerate() {
        if quoted {
            continue;
        }
        let in_filter = !filter_at.is_empty();
        match b {
            b'.' if bytes.get(i + 1).is_some_and(|&(n, q)| n == b'.' && !q) => {
                descendants += 1;
            }
            b'*' | b':' => fans_out = true,
            b'?' => {
                fans_out = true;
                filter_at.push(depth);
            }
            b'$' if in_filter => absolute_in_filters += 1,
            b'[' | b'(' => depth += 1,
            b']' | b')' => {
                depth = depth.saturating_sub(1);
                if filter_at.last().is_some_and(|&d| depth < d) {
                    filter_at.pop();
                }
                if b == b']' && depth == 0 {
                    unions = unions.saturating_mul(commas_here + 1);
                    commas_here = 0;
                }
            }
            b',' if !in_filter && depth == 1 => commas_here += 1,
            _ => {}
        }
    }
    let regexes = path.contains("match(") || path.contains("search(");
    if descendants == 0 && !fans_out && unions == 1 {
        return 1;
    }
    let exponent = (descendants + absolute_in_filters).max(1);
    let nodes = (n as u128).max(1);
    let mut visits = nodes.saturating_pow(exponent).saturating_mul(unions);
    if regexes {
        visits = visits.saturating_mul(1000);
    }
    visits
}

/// Jayway-style paths RFC 9535 refuses (`$.foo-bar`, `$.1st`, a missing
/// `$`), rewritten with brackets.
fn lenient_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix('$').unwrap_or(path);
    let mut out = String::from("$");
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut name = String::new();
                while let Some(n) = chars.peek().filter(|n| **n != '.' && **n != '[') {
                    name.push(*n);
                    chars.next();
                }
                if name == "*" {
                    out.push_str("[*]");
                } else if !name.is_empty() {
                    out.push_str(&format!("['{}']", name.replace('\'', "\\'")));
                }
            }
            '[' => {
                out.push('[');
                for n in chars.by_ref() {
                    out.push(n);
                    if n == ']' {
                        break;
                    }
                }
            }
            _ if out == "$" => {
                // `foo.bar` without `$.`
                let mut name = c.to_string();
                while let Some(n) = chars.peek().filter(|n| **n != '.' && **n != '[') {
                    name.push(*n);
                    chars.next();
                }
                out.push_str(&format!("['{}']", name.replace('\'', "\\'")));
            }
            _ => return None,
        }
    }
    Some(out)
}

fn path_is_indefinite(path: &str) -> bool {
    let bytes = path.as_bytes();
    unquoted(path).enumerate().any(|(i, (b, quoted))| {
        !quoted
            && (matches!(b, b'*' | b'?' | b',' | b':')
                || (b == b'.' && bytes.get(i + 1) == Some(&b'.')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_paths() {
        let doc = json!({"a": {"b-c": [1, 2, {"d": "x"}]}, "list": [{"n": 1}, {"n": 2}]});
        assert_eq!(
            json_path(&doc, "$.a['b-c'][2].d").expect("path"),
            json!("x")
        );
        assert_eq!(json_path(&doc, "$.a.b-c[0]").expect("lenient"), json!(1));
        assert_eq!(json_path(&doc, "$.missing").expect("path"), Value::Null);
        assert_eq!(json_path(&doc, "$.list[*].n").expect("path"), json!([1, 2]));
        assert_eq!(json_path(&doc, "$..n").expect("path"), json!([1, 2]));
        assert_eq!(json_path(&doc, "$").expect("root"), doc);
        assert_eq!(
            json_path(&doc, "$['a']['b-c'][0]").expect("quoted"),
            json!(1)
        );
        assert_eq!(
            json_path(&doc, "$['x,y']").expect("quoted comma"),
            Value::Null
        );
        assert!(json_path(&doc, "$[").is_err());
    }

    #[test]
    fn estimates_follow_the_shape() {
        assert_eq!(estimated_visits("$.a.b[0]", 1_000_000), 1);
        assert_eq!(estimated_visits("$['a,b']", 1_000_000), 1);
        assert_eq!(estimated_visits("$.a[*].b[*]", 1_000), 1_000);
        assert_eq!(estimated_visits("$..a", 1_000), 1_000);
        assert_eq!(estimated_visits("$[0,1,2]", 1_000), 3_000);
        assert_eq!(estimated_visits("$..a..b", 1_000), 1_000_000);
        assert_eq!(estimated_visits("$..[?$.x]", 1_000), 1_000_000);
        assert_eq!(estimated_visits("$[?match(@.a, 'x')]", 10), 10_000);
    }

    #[test]
    fn costly_paths_are_refused_on_big_documents() {
        let big = Value::Array((0..20_000).map(|i| json!([i])).collect());
        let n = count_nodes(&big);
        assert!(matches!(
            select(&big, "$..*..*", n),
            Err(PathError::TooCostly(_))
        ));
        assert!(select(&big, "$..*", n).is_ok());
        let small = json!([[1], [2]]);
        let found = select(&small, "$..*..*", count_nodes(&small)).expect("small");
        assert!(matches!(found, Found::Many(ref v) if v.len() == 2));
        // Found by fuzzing: serde_json_path panicked on a path ending
        // inside a string.
        for path in ["O[?$.H61\r[?$[?'0\\u", "$['\\u", "$[?@.a == '\\u00"] {
            assert!(
                matches!(select(&small, path, 5), Err(PathError::Invalid(_))),
                "{path}"
            );
        }
        // Found by fuzzing: nested filters take the parser twice as long
        // for each level.
        for path in [
            format!("${}{}", "[?$".repeat(20), "]".repeat(20)),
            format!("${}", "..W[?$.W".repeat(20)),
        ] {
            assert!(
                matches!(select(&small, &path, 5), Err(PathError::TooCostly(_))),
                "{path}"
            );
        }
        // Found by fuzzing: brackets hidden from the check inside an open
        // quote that the leniencies then closed (a stack overflow).
        let hidden = format!("&n;'''''tcS[?{}", "(".repeat(600));
        assert!(matches!(
            select(&small, &hidden, 5),
            Err(PathError::TooCostly(_))
        ));
        let sequential = "[?@.a]".repeat(50);
        assert!(select(&small, &format!("${sequential}"), 5).is_ok());
        let nested = format!("$[?{}@.a{}]", "(".repeat(40), ")".repeat(40));
        assert!(matches!(
            select(&small, &nested, 5),
            Err(PathError::TooCostly(_))
        ));
    }
}
