//! How values print, as AWS prints them, within a size and a depth: maps
//! as Java maps (`{foo=bar, n=1}`), lists that came from JSON as JSON
//! (`[{"foo":"bar"}]`), lists made in the template as Java lists
//! (`[a, b]`), null as nothing. And Velocity's `==`, which compares what
//! values print as when their kinds differ.
//!
//! Every printer writes into a buffer that refuses to grow past the room it
//! is given, so a value that shares one big string many times, or a
//! list of lists doubled sixty times, stops at the bound instead of
//! allocating what it would print as.

use std::fmt::Write;

use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::budget::{Fallible, Fault, Meter};
use super::value::{Value, MAX_VALUE_DEPTH};

/// Bytes [`Value::render`] prints at most.
const RENDER_CAP: usize = 1024 * 1024;

/// Why a value could not be printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PrintError {
    /// It prints as more than the room given.
    TooLong,
    /// It nests more than [`MAX_VALUE_DEPTH`] levels.
    TooDeep,
}

impl PrintError {
    /// The fault, for a print that was given `max` bytes.
    pub fn fault(self, max: usize) -> Fault {
        match self {
            PrintError::TooLong => {
                Fault::Limit(format!("a value would print as more than {max} bytes"))
            }
            PrintError::TooDeep => Fault::Limit(format!(
                "a value nests more than {MAX_VALUE_DEPTH} levels deep"
            )),
        }
    }
}

type Printed<T> = Result<T, PrintError>;

impl Value {
    /// The text the value prints as, cut at a MiB (for messages and the
    /// overrides read after a render; the engine prints with [`Value::write_text`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        match self.write_text(&mut out, RENDER_CAP) {
            Ok(()) => out,
            Err(_) => out,
        }
    }

    /// The printed text, if it fits in `max` bytes.
    pub(super) fn text(&self, max: usize) -> Printed<String> {
        let mut out = String::new();
        self.write_text(&mut out, max)?;
        Ok(out)
    }

    /// Appends the printed text to `out`, which may not grow past `max`
    /// bytes (what was written before the bound was hit stays).
    pub(super) fn write_text(&self, out: &mut String, max: usize) -> Printed<()> {
        self.write_at(out, max, 0)
    }

    fn write_at(&self, out: &mut String, max: usize, depth: usize) -> Printed<()> {
        if depth > MAX_VALUE_DEPTH {
            return Err(PrintError::TooDeep);
        }
        match self {
            Value::Null | Value::Builtin(_) => Ok(()),
            Value::Bool(b) => push(out, if *b { "true" } else { "false" }, max),
            Value::Int(i) => {
                let mut digits = String::new();
                let _ = write!(digits, "{i}");
                push(out, &digits, max)
            }
            Value::Float(f) => push(out, &java_double(*f), max),
            Value::Str(s) => push(out, s, max),
            Value::List { json: true, .. } => {
                let json = self.json_at(max.saturating_sub(out.len()), depth)?;
                push(out, &json, max)
            }
            Value::List { items, json: false } => {
                push(out, "[", max)?;
                for (i, item) in items.borrow().iter().enumerate() {
                    if i > 0 {
                        push(out, ", ", max)?;
                    }
                    item.write_at(out, max, depth + 1)?;
                }
                push(out, "]", max)
            }
            Value::Map(m) => {
                push(out, "{", max)?;
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        push(out, ", ", max)?;
                    }
                    push(out, k, max)?;
                    push(out, "=", max)?;
                    v.write_at(out, max, depth + 1)?;
                }
                push(out, "}", max)
            }
        }
    }

    /// The value as JSON text of at most `max` bytes (strings stay strings,
    /// non-finite numbers and builtins become null).
    #[cfg(test)]
    pub(super) fn json(&self, max: usize) -> Printed<String> {
        self.json_at(max, 0)
    }

    fn json_at(&self, max: usize, depth: usize) -> Printed<String> {
        let mut writer = Capped {
            out: Vec::new(),
            max,
        };
        let view = Json { value: self, depth };
        match serde_json::to_writer(&mut writer, &view) {
            // serde_json writes UTF-8.
            Ok(()) => Ok(String::from_utf8_lossy(&writer.out).into_owned()),
            Err(e) if e.is_io() => Err(PrintError::TooLong),
            Err(_) => Err(PrintError::TooDeep),
        }
    }

    /// Velocity's `==`: numbers by value, same kinds by content, others by
    /// their printed text (each printed within `max` bytes, the work
    /// counted); null equals null and, as AWS shows, the empty string.
    pub(super) fn loose_eq(&self, other: &Value, meter: &mut Meter, max: usize) -> Fallible<bool> {
        Ok(match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Null, Value::Str(s)) | (Value::Str(s), Value::Null) => s.is_empty(),
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (a, b) if a.as_f64().is_some() && b.as_f64().is_some() => a.as_f64() == b.as_f64(),
            (Value::Str(a), Value::Str(b)) => {
                meter.work(a.len().min(b.len()))?;
                a == b
            }
            (a, b) if a.container_id().is_some() && a.container_id() == b.container_id() => true,
            (Value::Str(s), other) | (other, Value::Str(s)) => printed_as(other, s, meter)?,
            (a, b) => {
                let left = a.text(max).map_err(|e| e.fault(max))?;
                // The printed text is held while the other side prints.
                meter.charge(left.len())?;
                let same = printed_as(b, &left, meter);
                meter.refund(left.len());
                same?
            }
        })
    }
}

/// Whether `value` prints as exactly `text` (printing no more than that);
/// the text printed is counted while it is held.
fn printed_as(value: &Value, text: &str, meter: &mut Meter) -> Fallible<bool> {
    let mut out = String::new();
    let same = match value.write_text(&mut out, text.len()) {
        Ok(()) => out == text,
        // Longer than `text`: not equal.
        Err(PrintError::TooLong) => false,
        Err(e) => return Err(e.fault(text.len())),
    };
    meter.charge(out.len())?;
    meter.refund(out.len());
    Ok(same)
}

fn push(out: &mut String, text: &str, max: usize) -> Printed<()> {
    if out.len().saturating_add(text.len()) > max {
        return Err(PrintError::TooLong);
    }
    out.push_str(text);
    Ok(())
}

/// A byte buffer that refuses writes past `max`.
struct Capped {
    out: Vec<u8>,
    max: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len().saturating_add(buf.len()) > self.max {
            return Err(std::io::Error::other("too long"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A value serialized as JSON, refusing to nest past the bound.
struct Json<'v> {
    value: &'v Value,
    depth: usize,
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.depth > MAX_VALUE_DEPTH {
            return Err(S::Error::custom("too deep"));
        }
        let inner = |value| Json {
            value,
            depth: self.depth + 1,
        };
        match self.value {
            Value::Null | Value::Builtin(_) => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(_) => s.serialize_unit(),
            Value::Str(text) => s.serialize_str(text),
            Value::List { items, .. } => {
                let items = items.borrow();
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(&inner(item))?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let m = m.borrow();
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m.iter() {
                    map.serialize_entry(k, &inner(v))?;
                }
                map.end()
            }
        }
    }
}

/// Java's `Double.toString`: `2.0`, `1.5`, `1.0E10`, `1.5E-7`.
pub(super) fn java_double(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-3..1e7).contains(&abs) {
        // Rust's shortest exponent form (`1.5E10`, `1E10`), with Java's `.0`.
        let text = format!("{f:E}");
        return match text.split_once('E') {
            Some((mantissa, exp)) if !mantissa.contains('.') => format!("{mantissa}.0E{exp}"),
            _ => text,
        };
    }
    let mut s = format!("{f}");
    if !s.contains('.') {
        s.push_str(".0");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    #[test]
    fn printing_follows_aws() {
        let doc = serde_json::json!({"foo": [{"nested": "bar"}], "n": 1, "f": 2.0, "s": "x"});
        assert_eq!(
            Value::from_json(&doc).render(),
            r#"{foo=[{"nested":"bar"}], n=1, f=2.0, s=x}"#
        );
        let list = Value::from_json(&serde_json::json!([{"foo": "bar"}]));
        assert_eq!(list.render(), r#"[{"foo":"bar"}]"#);
        assert_eq!(
            Value::list(vec![Value::str("a"), Value::Int(2)]).render(),
            "[a, 2]"
        );
        assert_eq!(Value::Null.render(), "");
        assert_eq!(java_double(1.5), "1.5");
        assert_eq!(java_double(1e10), "1.0E10");
        assert_eq!(java_double(1.5e-7), "1.5E-7");
        for tiny in [f64::MIN_POSITIVE / 4.0, 5e-324, -1.0e-300] {
            let text = java_double(tiny);
            assert_eq!(text.parse::<f64>().ok(), Some(tiny), "{text}");
        }
    }

    #[test]
    fn equality() {
        let limits = Limits::default();
        let mut m = Meter::new(&limits);
        let mut eq = |a: &Value, b: &Value| a.loose_eq(b, &mut m, 1 << 20).expect("compares");
        assert!(eq(&Value::Null, &Value::str("")));
        assert!(!eq(&Value::Null, &Value::str("a")));
        assert!(eq(&Value::Int(2), &Value::Float(2.0)));
        assert!(eq(&Value::Bool(true), &Value::str("true")));
        assert!(!eq(&Value::list(vec![]), &Value::str("")));
        assert!(eq(&Value::list(vec![]), &Value::str("[]")));
        let a = Value::list(vec![Value::Int(1)]);
        assert!(eq(&a, &a.clone()));
        assert!(eq(&a, &Value::list(vec![Value::str("1")])));
    }

    #[test]
    fn printing_stops_at_its_bound() {
        // A list doubled sixty times would print as 2^60 items.
        let mut v = Value::list(vec![Value::str("x")]);
        for _ in 0..60 {
            v = Value::list(vec![v.clone(), v]);
        }
        let mut out = String::new();
        assert_eq!(v.write_text(&mut out, 1 << 16), Err(PrintError::TooLong));
        assert!(out.len() <= 1 << 16);
        assert_eq!(v.json(1 << 16), Err(PrintError::TooLong));
        assert!(v.render().len() <= RENDER_CAP);
        let mut deep = Value::list(vec![]);
        for _ in 0..=MAX_VALUE_DEPTH {
            deep = Value::list(vec![deep]);
        }
        assert_eq!(deep.text(usize::MAX), Err(PrintError::TooDeep));
        assert_eq!(deep.json(usize::MAX), Err(PrintError::TooDeep));
    }
}
