//! What API Gateway gives templates: `$input` (body, JSONPath, parameters),
//! `$util` (escaping, JSON, URL and base64), `$context` and
//! `$stageVariables` (built by the caller as maps).
//!
//! Every value these build is charged to the render's meter before it is
//! made: lengths are computed first (escaping, encoding, the lossy UTF-8
//! of a body), JSON is charged by an estimate while it is parsed and by its
//! exact cost before it becomes values, and JSON text is written into a
//! buffer capped at the room left.

use base64::Engine;
use indexmap::IndexMap;

use super::ast::Offset;
use super::bindings::parse_estimate;
use super::budget::{self, Fallible, Fault, Meter};
use super::eval::Evaluator;
use super::jsonpath::{self, Found};
use super::url;
use super::value::{self, Value};
use super::RenderError;

pub use super::jsonpath::json_path;

impl Evaluator<'_> {
    /// `$input.*` methods.
    pub(super) fn input_method(
        &mut self,
        name: &str,
        args: &[Value],
        at: Offset,
    ) -> Result<Value, RenderError> {
        input_method(self, name, args, at)
    }

    /// `$util.*` methods.
    pub(super) fn util_method(&mut self, name: &str, args: &[Value]) -> Fallible<Value> {
        util_method(self, name, args)
    }
}

fn input_method(
    ev: &mut Evaluator<'_>,
    name: &str,
    args: &[Value],
    at: Offset,
) -> Result<Value, RenderError> {
    let bindings = ev.bindings;
    let fault = |f: Fault| f.at(at);
    Ok(match name {
        // An empty request body reads as `{}`, as on AWS.
        "body" | "getBody" if bindings.body_from_client && bindings.body.is_empty() => {
            Value::str("{}")
        }
        "body" | "getBody" => {
            ev.charge_str(lossy_len(bindings.body)).map_err(fault)?;
            Value::str(String::from_utf8_lossy(bindings.body).into_owned())
        }
        "json" | "path" => {
            let path = match args.first() {
                Some(p) => ev.key_text(p).map_err(fault)?,
                None => "$".to_string(),
            };
            let room = ev.text_room();
            let (doc, nodes) = ev.input.document(bindings, &mut ev.meter, at)?;
            let found = jsonpath::select(doc, &path, nodes).map_err(|e| match e {
                jsonpath::PathError::Invalid(m) => RenderError::eval(at, m),
                jsonpath::PathError::TooCostly(m) => RenderError::limit(at, m),
            })?;
            let value = if name == "path" {
                found_value(&found, &mut ev.meter)
            } else {
                found_json(&found, room, &mut ev.meter)
            };
            value.map_err(fault)?
        }
        "params" => params(ev, args).map_err(fault)?,
        _ => Value::Null,
    })
}

/// `$input.path`: the found nodes as values, charged first.
fn found_value(found: &Found<'_>, meter: &mut Meter) -> Fallible<Value> {
    let (docs, as_list) = match found {
        Found::One(None) => return Ok(Value::Null),
        Found::One(Some(node)) => (vec![*node], false),
        Found::Many(nodes) => (nodes.clone(), true),
    };
    let cost = value::json_cost(&docs, as_list, meter.room()).ok_or_else(|| meter.exceeded())?;
    meter.charge(cost)?;
    Ok(if as_list {
        Value::json_list(docs.into_iter().map(Value::from_json).collect())
    } else {
        Value::from_json(docs[0])
    })
}

/// `$input.json`: the found nodes as JSON text, written within the room.
fn found_json(found: &Found<'_>, room: usize, meter: &mut Meter) -> Fallible<Value> {
    let mut out = Capped::new(room.saturating_sub(budget::STR_HEADER));
    let written = match found {
        Found::One(None) => serde_json::to_writer(&mut out, &serde_json::Value::Null),
        Found::One(Some(node)) => serde_json::to_writer(&mut out, node),
        Found::Many(nodes) => serde_json::to_writer(&mut out, nodes),
    };
    if written.is_err() {
        return Err(meter.exceeded());
    }
    let text = String::from_utf8_lossy(&out.bytes).into_owned();
    meter.charge(budget::str_cost(text.len()))?;
    Ok(Value::str(text))
}

/// A byte buffer that refuses writes past its cap.
struct Capped {
    bytes: Vec<u8>,
    cap: usize,
}

impl Capped {
    fn new(cap: usize) -> Capped {
        Capped {
            bytes: Vec::new(),
            cap,
        }
    }
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.cap {
            return Err(std::io::Error::other("over the cap"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The length of `String::from_utf8_lossy(bytes)`: each invalid sequence
/// becomes U+FFFD (3 bytes).
fn lossy_len(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().len() + if c.invalid().is_empty() { 0 } else { 3 })
        .sum()
}

/// `$input.params()` (all, by location) or `$input.params('name')`.
fn params(ev: &mut Evaluator<'_>, args: &[Value]) -> Fallible<Value> {
    let bindings = ev.bindings;
    if let Some(wanted) = args.first() {
        let wanted = ev.key_text(wanted)?;
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
        return ev.new_str(value);
    }
    let sections = [
        ("path", &bindings.path),
        ("querystring", &bindings.querystring),
        ("header", &bindings.header),
    ];
    let mut cost = budget::map_cost(sections.iter().map(|(name, _)| *name));
    for (_, list) in &sections {
        cost = cost.saturating_add(budget::map_cost(list.iter().map(|(k, _)| k.as_str())));
        for (_, v) in list.iter() {
            cost = cost.saturating_add(budget::str_cost(v.len()));
        }
    }
    ev.meter.charge(cost)?;
    let mut all = IndexMap::new();
    for (name, list) in sections {
        let mut m = IndexMap::new();
        for (k, v) in list {
            m.insert(k.clone(), Value::str(v.as_str()));
        }
        all.insert(name.to_string(), Value::map(m));
    }
    Ok(Value::map(all))
}

/// `$util.*` methods. Each result's size is known, or bounded, before it
/// is built.
fn util_method(ev: &mut Evaluator<'_>, name: &str, args: &[Value]) -> Fallible<Value> {
    let arg = ev.arg_text(args, 0)?;
    ev.meter.work(arg.len())?;
    Ok(match name {
        "escapeJavaScript" => {
            let mut len = Counted(0);
            escape_javascript_into(&arg, &mut len);
            ev.charge_str(len.0)?;
            Value::str(escape_javascript(&arg))
        }
        "parseJson" => parse_json(ev, &arg)?,
        "urlEncode" => {
            let len = url::encoded_len(&arg);
            ev.charge_str(len)?;
            Value::str(url::encode(&arg))
        }
        "urlDecode" => {
            // Decoding never lengthens the text.
            ev.charge_str(arg.len())?;
            let decoded = url::decode_form_component(&arg);
            ev.meter.refund(arg.len().saturating_sub(decoded.len()));
            Value::str(decoded)
        }
        "base64Encode" => {
            ev.charge_str(arg.len().div_ceil(3).saturating_mul(4))?;
            Value::str(base64::engine::general_purpose::STANDARD.encode(arg.as_bytes()))
        }
        "base64Decode" => match base64::engine::general_purpose::STANDARD.decode(arg.trim()) {
            Ok(bytes) => {
                ev.charge_str(lossy_len(&bytes))?;
                Value::str(String::from_utf8_lossy(&bytes).into_owned())
            }
            Err(e) => return Err(Fault::Eval(format!("$util.base64Decode: {e}"))),
        },
        _ => Value::Null,
    })
}

/// `$util.parseJson`: the parse is charged by estimate while it lives, the
/// values by their exact cost before they are made. serde_json refuses
/// documents nested more than 128 deep.
fn parse_json(ev: &mut Evaluator<'_>, text: &str) -> Fallible<Value> {
    let estimate = parse_estimate(text.as_bytes());
    ev.meter.charge(estimate)?;
    let parsed = serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| Fault::Eval(format!("$util.parseJson: {e}")));
    let result = parsed.and_then(|doc| {
        let cost =
            value::json_cost(&[&doc], false, ev.meter.room()).ok_or_else(|| ev.meter.exceeded())?;
        ev.meter.charge(cost)?;
        Ok(Value::from_json(&doc))
    });
    ev.meter.refund(estimate);
    result
}

/// Counts the bytes written to it.
struct Counted(usize);

impl std::fmt::Write for Counted {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// Apache Commons `StringEscapeUtils.escapeJavaScript`, as AWS uses it
/// (single quotes and slashes are escaped too).
pub fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_javascript_into(s, &mut out);
    out
}

fn escape_javascript_into(s: &str, out: &mut impl std::fmt::Write) {
    for c in s.chars() {
        let _ = match c {
            '"' => out.write_str("\\\""),
            '\'' => out.write_str("\\'"),
            '\\' => out.write_str("\\\\"),
            '/' => out.write_str("\\/"),
            '\n' => out.write_str("\\n"),
            '\r' => out.write_str("\\r"),
            '\t' => out.write_str("\\t"),
            '\u{8}' => out.write_str("\\b"),
            '\u{c}' => out.write_str("\\f"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04X}", c as u32),
            c if (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
                Ok(())
            }
            c => out.write_char(c),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::JSON_NODE_BYTES;

    #[test]
    fn lengths_are_known_before_building() {
        for s in ["", "plain", "a\"b'c/d\\\n\u{e9}\u{1F600}\u{1}"] {
            let mut n = Counted(0);
            escape_javascript_into(s, &mut n);
            assert_eq!(n.0, escape_javascript(s).len(), "{s:?}");
        }
        assert_eq!(
            lossy_len(b"ok\xff\xfe!"),
            String::from_utf8_lossy(b"ok\xff\xfe!").len()
        );
        assert!(parse_estimate(b"[1,2,3]") >= 7 + 4 * JSON_NODE_BYTES);
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_javascript("a\"b'c/d\\\n\u{e9}"),
            "a\\\"b\\'c\\/d\\\\\\n\\u00E9"
        );
    }
}
