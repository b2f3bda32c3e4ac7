//! Template values, and how Velocity (as API Gateway runs it) compares them.
//!
//! Lists and maps are shared and mutable (`$list.add(...)`, `$map.put(...)`,
//! `#set($map.key = ...)` change what every alias sees, as in Java). A list
//! or map may not contain itself (the engine refuses the insertion), so
//! values form no cycles and are freed when the render ends; dropping a
//! deeply nested value is iterative, so no nesting overflows the stack.
//! How values print is in [`super::print`].

use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Deref;
use std::rc::Rc;

use indexmap::IndexMap;

use super::budget::{self, Fallible, Fault, Meter};

/// The cell behind a list: a `RefCell` whose drop takes nested values apart
/// one by one instead of recursing.
#[derive(Debug, Default)]
pub struct ListCell(RefCell<Vec<Value>>);

/// The cell behind a map (insertion order kept), dropped like [`ListCell`].
#[derive(Debug, Default)]
pub struct MapCell(RefCell<IndexMap<String, Value>>);

/// A shared, mutable list.
pub type List = Rc<ListCell>;
/// A shared, mutable map that keeps insertion order.
pub type Map = Rc<MapCell>;

impl Deref for ListCell {
    type Target = RefCell<Vec<Value>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Deref for MapCell {
    type Target = RefCell<IndexMap<String, Value>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for ListCell {
    fn drop(&mut self) {
        dismantle(std::mem::take(self.0.get_mut()));
    }
}

impl Drop for MapCell {
    fn drop(&mut self) {
        let entries = std::mem::take(self.0.get_mut());
        dismantle(entries.into_values().collect());
    }
}

/// Drops `values` with an explicit stack: a container whose last reference
/// this is gives up its items to the stack before it is freed, so its own
/// drop finds it empty.
fn dismantle(mut stack: Vec<Value>) {
    while let Some(value) = stack.pop() {
        match value {
            Value::List { items, .. } => {
                if let Some(mut cell) = Rc::into_inner(items) {
                    stack.extend(std::mem::take(cell.0.get_mut()));
                }
            }
            Value::Map(map) => {
                if let Some(mut cell) = Rc::into_inner(map) {
                    let entries = std::mem::take(cell.0.get_mut());
                    stack.extend(entries.into_values());
                }
            }
            _ => {}
        }
    }
}

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

/// How deep values may nest when they are printed, compared or converted
/// (JSON documents nest at most 128 levels when parsed).
pub(super) const MAX_VALUE_DEPTH: usize = 200;

impl Value {
    pub fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List {
            items: Rc::new(ListCell(RefCell::new(items))),
            json: false,
        }
    }

    /// A list that prints as JSON (what JSON arrays become).
    pub fn json_list(items: Vec<Value>) -> Value {
        Value::List {
            items: Rc::new(ListCell(RefCell::new(items))),
            json: true,
        }
    }

    pub fn map(entries: IndexMap<String, Value>) -> Value {
        Value::Map(Rc::new(MapCell(RefCell::new(entries))))
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
    /// JSON lists). Callers charge [`json_cost`] first; the recursion is
    /// bounded by serde_json's own nesting limit (128) on what it parses.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(items) => {
                Value::json_list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(fields) => Value::map(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The value as JSON (maps as objects, lists as arrays, builtins as
    /// null), for carrying a template's results to another render; `None`
    /// when it nests deeper than [`MAX_VALUE_DEPTH`].
    pub fn to_json(&self) -> Option<serde_json::Value> {
        self.to_json_at(0)
    }

    fn to_json_at(&self, depth: usize) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        if depth > MAX_VALUE_DEPTH {
            return None;
        }
        Some(match self {
            Value::Null | Value::Builtin(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::List { items, .. } => J::Array(
                items
                    .borrow()
                    .iter()
                    .map(|v| v.to_json_at(depth + 1))
                    .collect::<Option<_>>()?,
            ),
            Value::Map(map) => J::Object(
                map.borrow()
                    .iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json_at(depth + 1)?)))
                    .collect::<Option<_>>()?,
            ),
        })
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

    /// The address of the list or map behind the value, to tell containers
    /// apart.
    pub(super) fn container_id(&self) -> Option<usize> {
        match self {
            Value::List { items, .. } => Some(Rc::as_ptr(items) as *const () as usize),
            Value::Map(m) => Some(Rc::as_ptr(m) as *const () as usize),
            _ => None,
        }
    }

    /// The bytes the value's own allocation was charged (a container's
    /// header, slots and keys, not what its items hold), if dropping this
    /// reference frees it.
    pub(super) fn freed_by_drop(&self) -> usize {
        match self {
            Value::Str(s) if Rc::strong_count(s) == 1 => budget::str_cost(s.len()),
            Value::List { items, .. } if Rc::strong_count(items) == 1 => {
                budget::list_cost(items.borrow().len())
            }
            Value::Map(m) if Rc::strong_count(m) == 1 => {
                budget::map_cost(m.borrow().keys().map(String::as_str))
            }
            _ => 0,
        }
    }

    /// Whether the container `target` can be reached from this value (so
    /// putting this value into `target` would make a cycle). Each container
    /// visited is a step.
    pub(super) fn reaches(&self, target: usize, meter: &mut Meter) -> Fallible<bool> {
        let mut seen = HashSet::new();
        let mut stack = vec![self.clone()];
        while let Some(value) = stack.pop() {
            let Some(id) = value.container_id() else {
                continue;
            };
            if id == target {
                return Ok(true);
            }
            if !seen.insert(id) {
                continue;
            }
            meter.tick()?;
            match &value {
                Value::List { items, .. } => stack.extend(
                    items
                        .borrow()
                        .iter()
                        .filter(|v| v.container_id().is_some())
                        .cloned(),
                ),
                Value::Map(m) => stack.extend(
                    m.borrow()
                        .values()
                        .filter(|v| v.container_id().is_some())
                        .cloned(),
                ),
                _ => {}
            }
        }
        Ok(false)
    }

    /// Refuses to put this value into `container` if that would make the
    /// container contain itself.
    pub(super) fn check_insert(&self, container: &Value, meter: &mut Meter) -> Fallible<()> {
        let Some(target) = container.container_id() else {
            return Ok(());
        };
        if self.container_id().is_some() && self.reaches(target, meter)? {
            return Err(Fault::Eval(
                "a list or map cannot contain itself".to_string(),
            ));
        }
        Ok(())
    }
}

/// The bytes [`Value::from_json`] would charge for `docs` (and a list
/// holding them when `as_list`), or `None` once that passes `cap`. Visits
/// at most one node per value slot counted, so it ends quickly.
pub(super) fn json_cost(docs: &[&serde_json::Value], as_list: bool, cap: usize) -> Option<usize> {
    let mut total = if as_list {
        budget::list_cost(docs.len())
    } else {
        0
    };
    let mut stack: Vec<&serde_json::Value> = docs.to_vec();
    while let Some(v) = stack.pop() {
        let cost = match v {
            serde_json::Value::String(s) => budget::str_cost(s.len()),
            serde_json::Value::Array(items) => {
                stack.extend(items);
                budget::list_cost(items.len())
            }
            serde_json::Value::Object(fields) => {
                stack.extend(fields.values());
                budget::map_cost(fields.keys().map(String::as_str))
            }
            _ => 0,
        };
        total = total.saturating_add(cost);
        if total > cap {
            return None;
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_values_drop_without_recursing() {
        // Far deeper than a 2 MiB stack would take recursively.
        let mut v = Value::list(Vec::new());
        for _ in 0..200_000 {
            v = Value::list(vec![v]);
        }
        let mut m = Value::map(IndexMap::new());
        for _ in 0..200_000 {
            let mut entries = IndexMap::new();
            entries.insert("k".to_string(), m);
            m = Value::map(entries);
        }
        drop(v);
        drop(m);
    }

    #[test]
    fn cycles_are_refused() {
        let limits = super::super::Limits::default();
        let mut meter = Meter::new(&limits);
        let outer = Value::list(Vec::new());
        let inner = Value::list(vec![outer.clone()]);
        assert!(outer.check_insert(&outer, &mut meter).is_err());
        assert!(inner.check_insert(&outer, &mut meter).is_err());
        let other = Value::list(Vec::new());
        assert!(inner.check_insert(&other, &mut meter).is_ok());
        assert!(Value::Int(1).check_insert(&outer, &mut meter).is_ok());
    }

    #[test]
    fn json_cost_stops_at_the_cap() {
        let doc = serde_json::json!({"a": ["xy", {"b": null}]});
        let cost = json_cost(&[&doc], false, usize::MAX).expect("under");
        assert!(cost > 0);
        assert_eq!(json_cost(&[&doc], false, cost), Some(cost));
        assert_eq!(json_cost(&[&doc], false, cost - 1), None);
    }
}
