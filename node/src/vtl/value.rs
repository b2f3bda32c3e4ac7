//! Template values, and how Velocity (as API Gateway runs it) prints and
//! compares them.
//!
//! Lists and maps are shared and mutable (`$list.add(...)`, `$map.put(...)`,
//! `#set($map.key = ...)` change what every alias sees, as in Java).
//! Printing follows what AWS produces: maps print as Java maps
//! (`{foo=bar, n=1}`), lists that came from JSON print as JSON
//! (`[{"foo":"bar"}]`), lists made in the template as Java lists (`[a, b]`),
//! null prints as nothing.

use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use indexmap::IndexMap;

/// A shared, mutable list.
pub type List = Rc<RefCell<Vec<Value>>>;
/// A shared, mutable map that keeps insertion order.
pub type Map = Rc<RefCell<IndexMap<String, Value>>>;

/// A value a template computes with.
#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    /// `json`: the list came from a JSON document and prints as JSON.
    List {
        items: List,
        json: bool,
    },
    Map(Map),
    /// `$input`, `$util`: objects whose methods the engine provides.
    Builtin(Builtin),
}

/// Objects provided by the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Input,
    Util,
}

impl Value {
    pub fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List {
            items: Rc::new(RefCell::new(items)),
            json: false,
        }
    }

    pub fn map(entries: IndexMap<String, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(entries)))
    }

    /// A map entry as `entrySet()` yields it (`$e.key`, `$e.value`).
    pub fn entry(key: &str, value: Value) -> Value {
        let mut m = IndexMap::new();
        m.insert("key".to_string(), Value::str(key));
        m.insert("value".to_string(), value);
        Value::map(m)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Velocity 1.7 truth: null and false are false, everything else true.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    /// A JSON document as template values (objects become maps, arrays
    /// JSON lists).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(items) => Value::List {
                items: Rc::new(RefCell::new(items.iter().map(Value::from_json).collect())),
                json: true,
            },
            serde_json::Value::Object(fields) => Value::map(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The value as JSON (strings stay strings; builtins become null).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Builtin(_) => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::List { items, .. } => {
                serde_json::Value::Array(items.borrow().iter().map(Value::to_json).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The text the value prints as (Java's `toString()` of what AWS holds).
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    pub fn render_into(&self, out: &mut String) {
        match self {
            Value::Null | Value::Builtin(_) => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&java_double(*f)),
            Value::Str(s) => out.push_str(s),
            Value::List { items, json: true } => out.push_str(
                &serde_json::Value::Array(items.borrow().iter().map(Value::to_json).collect())
                    .to_string(),
            ),
            Value::List { items, json: false } => {
                out.push('[');
                for (i, item) in items.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.render_into(out);
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push('=');
                    v.render_into(out);
                }
                out.push('}');
            }
        }
    }

    /// A number as f64, if the value is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// A whole number: an int, a whole float, or a numeric string.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Velocity's `==`: numbers by value, same kinds by content, others by
    /// their printed text; null equals null and, as AWS shows, the empty string.
    pub fn loose_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Null, Value::Str(s)) | (Value::Str(s), Value::Null) => s.is_empty(),
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (a, b) if a.as_f64().is_some() && b.as_f64().is_some() => a.as_f64() == b.as_f64(),
            (Value::Str(a), Value::Str(b)) => a == b,
            (a, b) => a.render() == b.render(),
        }
    }

    /// Order for `<`, `>`...: numbers by value, strings by text; other pairs
    /// cannot be compared.
    pub fn compare(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self.as_f64(), other.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => match (self, other) {
                (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
                _ => None,
            },
        }
    }

    /// What `$x.class.simpleName`-style checks and error messages call the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::List { .. } => "list",
            Value::Map(_) => "map",
            Value::Builtin(_) => "object",
        }
    }

    /// Bytes this value would take printed, roughly (for memory limits).
    pub fn weight(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::List { items, .. } => 8 * items.borrow().len(),
            Value::Map(m) => 16 * m.borrow().len(),
            _ => 8,
        }
    }
}

/// Java's `Double.toString` for the common cases: `2.0`, `1.5`, `1.0E10`.
fn java_double(f: f64) -> String {
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
        let exp = abs.log10().floor() as i32;
        let mantissa = f / 10f64.powi(exp);
        let mut m = format!("{mantissa}");
        if !m.contains('.') {
            m.push_str(".0");
        }
        return format!("{m}E{exp}");
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
    }

    #[test]
    fn equality() {
        assert!(Value::Null.loose_eq(&Value::str("")));
        assert!(!Value::Null.loose_eq(&Value::str("a")));
        assert!(Value::Int(2).loose_eq(&Value::Float(2.0)));
        assert!(Value::Bool(true).loose_eq(&Value::str("true")));
        assert!(!Value::list(vec![]).loose_eq(&Value::str("")));
    }
}
