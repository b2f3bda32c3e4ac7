//! What API Gateway gives templates: `$input` (body, JSONPath, parameters),
//! `$util` (escaping, JSON, URL and base64), `$context` and
//! `$stageVariables` (built by the caller as maps).

use base64::Engine;
use indexmap::IndexMap;

use super::eval::Evaluator;
use super::value::Value;
use super::RenderError;
use crate::vtl::ast::Offset;

/// The values a template renders with.
pub struct Bindings<'a> {
    /// `$input.body`: the request body (request templates) or the
    /// integration's response body (response templates).
    pub body: &'a [u8],
    /// `$input.params()`: method request parameters by location.
    pub path: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
    pub header: Vec<(String, String)>,
    /// `$context`, a map (the caller adds `responseOverride` and
    /// `requestOverride` maps the template may write to).
    pub context: Value,
    /// `$stageVariables`, a map.
    pub stage_variables: Value,
    /// Whether the body is the client's (a request template): an unparsable
    /// JSON body is then the client's fault.
    pub body_from_client: bool,
}

/// The body parsed as JSON, once per render.
#[derive(Default)]
pub(super) struct InputState {
    parsed: Option<serde_json::Value>,
}

impl InputState {
    fn document(
        &mut self,
        bindings: &Bindings<'_>,
        at: Offset,
    ) -> Result<&serde_json::Value, RenderError> {
        if self.parsed.is_none() {
            let body = bindings.body;
            let parsed = if body.iter().all(u8::is_ascii_whitespace) {
                // An empty body reads as an empty object, as on AWS.
                serde_json::Value::Object(serde_json::Map::new())
            } else {
                serde_json::from_slice(body).map_err(|e| {
                    let message = format!("Could not parse request body into json: {e}");
                    if bindings.body_from_client {
                        RenderError::BadBody(message)
                    } else {
                        RenderError::eval(at, message)
                    }
                })?
            };
            self.parsed = Some(parsed);
        }
        Ok(self.parsed.get_or_insert(serde_json::Value::Null))
    }
}

/// `$input.*` methods.
pub(super) fn input_method(
    ev: &mut Evaluator<'_>,
    name: &str,
    args: &[Value],
    at: Offset,
) -> Result<Value, RenderError> {
    let bindings = ev.bindings;
    Ok(match name {
        "body" | "getBody" => Value::str(String::from_utf8_lossy(bindings.body).into_owned()),
        "json" | "path" => {
            let path = args
                .first()
                .map(Value::render)
                .unwrap_or_else(|| "$".into());
            let doc = ev.input.document(bindings, at)?;
            let found = json_path(doc, &path).map_err(|m| RenderError::eval(at, m))?;
            if name == "path" {
                Value::from_json(&found)
            } else {
                Value::str(found.to_string())
            }
        }
        "params" => match args.first() {
            Some(wanted) => {
                let wanted = wanted.render();
                let find = |list: &[(String, String)], case_insensitive: bool| {
                    list.iter()
                        .rev()
                        .find(|(k, _)| {
                            if case_insensitive {
                                k.eq_ignore_ascii_case(&wanted)
                            } else {
                                *k == wanted
                            }
                        })
                        .map(|(_, v)| v.clone())
                };
                let value = find(&bindings.path, false)
                    .or_else(|| find(&bindings.querystring, false))
                    .or_else(|| find(&bindings.header, true))
                    .unwrap_or_default();
                Value::str(value)
            }
            None => {
                let as_map = |list: &[(String, String)]| {
                    let mut m = IndexMap::new();
                    for (k, v) in list {
                        m.insert(k.clone(), Value::str(v.as_str()));
                    }
                    Value::map(m)
                };
                let mut all = IndexMap::new();
                all.insert("path".to_string(), as_map(&bindings.path));
                all.insert("querystring".to_string(), as_map(&bindings.querystring));
                all.insert("header".to_string(), as_map(&bindings.header));
                Value::map(all)
            }
        },
        _ => Value::Null,
    })
}

/// `$util.*` methods.
pub(super) fn util_method(name: &str, args: &[Value]) -> Result<Value, String> {
    let arg = args.first().map(Value::render).unwrap_or_default();
    Ok(match name {
        "escapeJavaScript" => Value::str(escape_javascript(&arg)),
        "parseJson" => match serde_json::from_str::<serde_json::Value>(&arg) {
            Ok(v) => Value::from_json(&v),
            Err(e) => return Err(format!("$util.parseJson: {e}")),
        },
        "urlEncode" => Value::str(url_encode(&arg)),
        "urlDecode" => Value::str(crate::dataplane::context::decode_form_component(&arg)),
        "base64Encode" => {
            Value::str(base64::engine::general_purpose::STANDARD.encode(arg.as_bytes()))
        }
        "base64Decode" => match base64::engine::general_purpose::STANDARD.decode(arg.trim()) {
            Ok(bytes) => Value::str(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) => return Err(format!("$util.base64Decode: {e}")),
        },
        _ => Value::Null,
    })
}

/// Apache Commons `StringEscapeUtils.escapeJavaScript`, as AWS uses it
/// (single quotes and slashes are escaped too).
pub fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Java's `URLEncoder.encode(s, "UTF-8")`: space as `+`, `*-._` kept.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `$input.path`/`$input.json`: one node for a definite path (null when
/// absent), a list for wildcards, slices, filters and descendants.
pub fn json_path(doc: &serde_json::Value, path: &str) -> Result<serde_json::Value, String> {
    let path = path.trim();
    let path = if path.is_empty() { "$" } else { path };
    let compiled = serde_json_path::JsonPath::parse(path)
        .or_else(|first| {
            lenient_path(path)
                .and_then(|p| serde_json_path::JsonPath::parse(&p).ok())
                .ok_or(first)
        })
        .map_err(|e| format!("`{path}` is not a JSONPath: {e}"))?;
    let nodes = compiled.query(doc).all();
    let multiple = path_is_indefinite(path);
    Ok(if multiple {
        serde_json::Value::Array(nodes.into_iter().cloned().collect())
    } else {
        nodes
            .first()
            .map_or(serde_json::Value::Null, |v| (*v).clone())
    })
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
                out.push_str(&format!("['{name}']"));
            }
            _ => return None,
        }
    }
    Some(out)
}

fn path_is_indefinite(path: &str) -> bool {
    let mut in_quote = None;
    let bytes = path.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match in_quote {
            Some(q) if b == q => in_quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => in_quote = Some(b),
                b'*' | b'?' | b',' | b':' => return true,
                b'.' if bytes.get(i + 1) == Some(&b'.') => return true,
                _ => {}
            },
        }
    }
    false
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
        assert_eq!(
            json_path(&doc, "$.missing").expect("path"),
            serde_json::Value::Null
        );
        assert_eq!(json_path(&doc, "$.list[*].n").expect("path"), json!([1, 2]));
        assert_eq!(json_path(&doc, "$..n").expect("path"), json!([1, 2]));
        assert_eq!(json_path(&doc, "$").expect("root"), doc);
        assert!(json_path(&doc, "$[").is_err());
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_javascript("a\"b'c/d\\\n\u{e9}"),
            "a\\\"b\\'c\\/d\\\\\\n\\u00E9"
        );
        assert_eq!(url_encode("a b&c=d/é*"), "a+b%26c%3Dd%2F%C3%A9*");
    }
}
