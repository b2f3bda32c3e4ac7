//! The Java methods templates call on strings, lists, maps and numbers.
//!
//! Each method charges the render's meter for what it builds before it
//! builds it (a result's exact size is computed first where that is cheap:
//! `concat`, `replace`, case changes), or as it builds (`replaceAll`,
//! `split`), and counts the bytes it scans as work; an insertion that would
//! make a list or map contain itself is refused.

use std::borrow::Cow;
use std::rc::Rc;

use super::budget::{self, Fallible, Fault};
use super::eval::Evaluator;
use super::value::{List, Map, Value};

/// Patterns compiled per render at most (a template uses a handful).
const MAX_CACHED_REGEXES: usize = 32;
/// Steps one regex compilation costs, beyond one per pattern byte.
const REGEX_COMPILE_STEPS: usize = 1_000;

fn arg_int(args: &[Value], i: usize) -> Option<i64> {
    args.get(i).and_then(Value::as_i64)
}

fn eval_fault(message: impl Into<String>) -> Fault {
    Fault::Eval(message.into())
}

impl Evaluator<'_> {
    /// An argument's text: a string as it is, anything else printed within
    /// the room left.
    pub(super) fn arg_text<'v>(&mut self, args: &'v [Value], i: usize) -> Fallible<Cow<'v, str>> {
        match args.get(i) {
            Some(Value::Str(s)) => Ok(Cow::Borrowed(s)),
            Some(other) => Ok(Cow::Owned(self.key_text(other)?)),
            None => Ok(Cow::Borrowed("")),
        }
    }

    /// A new string value, charged first.
    pub(super) fn new_str(&mut self, s: impl Into<Rc<str>> + AsRef<str>) -> Fallible<Value> {
        self.charge_str(s.as_ref().len())?;
        Ok(Value::str(s))
    }

    /// `toString` and `equals`, which every value has.
    pub(super) fn common_method(
        &mut self,
        base: &Value,
        name: &str,
        args: &[Value],
    ) -> Fallible<Value> {
        Ok(match name {
            "toString" => {
                let room = self.text_room();
                let text = base.text(room).map_err(|e| self.print_fault(e, room))?;
                self.new_str(text)?
            }
            "equals" => match args.first() {
                Some(a) => {
                    let max = self.text_room();
                    Value::Bool(a.loose_eq(base, &mut self.meter, max)?)
                }
                None => Value::Bool(false),
            },
            _ => Value::Null,
        })
    }

    /// A regular expression, compiled once per render (each compilation
    /// costs steps).
    fn regex(&mut self, pattern: &str) -> Fallible<regex::Regex> {
        if let Some(re) = self.regexes.get(pattern) {
            return Ok(re.clone());
        }
        self.meter.work(
            REGEX_COMPILE_STEPS
                .saturating_add(pattern.len())
                .saturating_mul(1024),
        )?;
        let re = java_regex(pattern)?;
        if self.regexes.len() < MAX_CACHED_REGEXES {
            self.regexes.insert(pattern.to_string(), re.clone());
        }
        Ok(re)
    }

    /// Java `String` methods templates use.
    pub(super) fn string_method(
        &mut self,
        s: &Rc<str>,
        name: &str,
        args: &[Value],
    ) -> Fallible<Value> {
        if !matches!(
            name,
            "length" | "size" | "isEmpty" | "toString" | "hashCode"
        ) {
            // Most methods read the whole string.
            self.meter.work(s.len())?;
        }
        Ok(match name {
            "length" | "size" => Value::Int(s.chars().count() as i64),
            "isEmpty" => Value::Bool(s.is_empty()),
            "isBlank" => Value::Bool(s.trim().is_empty()),
            "toLowerCase" => {
                let len = s
                    .chars()
                    .flat_map(char::to_lowercase)
                    .map(char::len_utf8)
                    .sum();
                self.charge_str(len)?;
                Value::str(s.to_lowercase())
            }
            "toUpperCase" => {
                let len = s
                    .chars()
                    .flat_map(char::to_uppercase)
                    .map(char::len_utf8)
                    .sum();
                self.charge_str(len)?;
                Value::str(s.to_uppercase())
            }
            "trim" | "strip" => self.new_str(s.trim())?,
            "contains" => Value::Bool(s.contains(self.arg_text(args, 0)?.as_ref())),
            "startsWith" => Value::Bool(s.starts_with(self.arg_text(args, 0)?.as_ref())),
            "endsWith" => Value::Bool(s.ends_with(self.arg_text(args, 0)?.as_ref())),
            "equalsIgnoreCase" => {
                let other = self.arg_text(args, 0)?;
                let lower = |t: &str| t.chars().flat_map(char::to_lowercase).collect::<String>();
                let (a, b) = (lower(s), lower(&other));
                Value::Bool(a == b)
            }
            "indexOf" => Value::Int(find_chars(s, &self.arg_text(args, 0)?, false)),
            "lastIndexOf" => Value::Int(find_chars(s, &self.arg_text(args, 0)?, true)),
            "charAt" => match arg_int(args, 0)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| s.chars().nth(i))
            {
                Some(c) => self.new_str(c.to_string())?,
                None => Value::Null,
            },
            "substring" => {
                let len = s.chars().count();
                let from = arg_int(args, 0).unwrap_or(0).clamp(0, len as i64) as usize;
                let to = arg_int(args, 1).map_or(len, |t| t.clamp(0, len as i64) as usize);
                if from > to {
                    return Err(eval_fault(format!(
                        "substring({from}, {to}): begin is after end"
                    )));
                }
                let part: String = s.chars().skip(from).take(to - from).collect();
                self.new_str(part)?
            }
            "concat" => {
                let tail = self.arg_text(args, 0)?;
                self.charge_str(s.len().saturating_add(tail.len()))?;
                Value::str(format!("{s}{tail}"))
            }
            "replace" => self.replace(s, args)?,
            "replaceAll" | "replaceFirst" => self.replace_regex(s, name == "replaceAll", args)?,
            "matches" => {
                let pattern = format!("^(?:{})$", self.arg_text(args, 0)?);
                Value::Bool(self.regex(&pattern)?.is_match(s))
            }
            "split" => self.split(s, args)?,
            "toString" => Value::Str(s.clone()),
            "equals" => Value::Bool(
                args.first()
                    .is_some_and(|a| matches!(a, Value::Str(o) if o == s)),
            ),
            "hashCode" => {
                self.meter.work(s.len())?;
                Value::Int(java_hash(s))
            }
            _ => Value::Null,
        })
    }

    /// `replace(target, replacement)`: the result's size is known before it
    /// is built (Java replaces an empty target between every character).
    fn replace(&mut self, s: &str, args: &[Value]) -> Fallible<Value> {
        let from = self.arg_text(args, 0)?.into_owned();
        let to = self.arg_text(args, 1)?;
        let count = if from.is_empty() {
            s.chars().count() + 1
        } else {
            s.matches(from.as_str()).count()
        };
        let len = (s.len() - count.saturating_mul(from.len()).min(s.len()))
            .saturating_add(count.saturating_mul(to.len()));
        self.charge_str(len)?;
        Ok(Value::str(s.replace(from.as_str(), &to)))
    }

    /// `replaceAll`/`replaceFirst` with Java's `$n` group references: each
    /// piece is charged before it is appended.
    fn replace_regex(&mut self, s: &str, all: bool, args: &[Value]) -> Fallible<Value> {
        let pattern = self.arg_text(args, 0)?.into_owned();
        let re = self.regex(&pattern)?;
        let pieces = java_replacement(&self.arg_text(args, 1)?, re.captures_len())?;
        let mut out = String::new();
        let mut last = 0;
        self.charge_str(0)?;
        for caps in re.captures_iter(s) {
            self.meter.tick()?;
            let Some(whole) = caps.get(0) else { continue };
            let mut len = whole.start() - last;
            for piece in &pieces {
                len = len.saturating_add(match piece {
                    Piece::Text(t) => t.len(),
                    Piece::Group(g) => caps.get(*g).map_or(0, |m| m.len()),
                });
            }
            self.grow(out.len(), len)?;
            out.push_str(&s[last..whole.start()]);
            for piece in &pieces {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
                }
            }
            last = whole.end();
            if !all {
                break;
            }
        }
        self.grow(out.len(), s.len() - last)?;
        out.push_str(&s[last..]);
        Ok(Value::str(out))
    }

    /// Charges `more` bytes for a string of `len` bytes being built.
    fn grow(&mut self, len: usize, more: usize) -> Fallible<()> {
        if len.saturating_add(more) > self.limits.max_output_bytes {
            return Err(Fault::Limit(format!(
                "a value would exceed {} bytes",
                self.limits.max_output_bytes
            )));
        }
        self.meter.charge(more)
    }

    /// `split(regex)`: every part is charged as it is cut; Java drops
    /// trailing empty strings.
    fn split(&mut self, s: &str, args: &[Value]) -> Fallible<Value> {
        let pattern = self.arg_text(args, 0)?.into_owned();
        let re = self.regex(&pattern)?;
        self.meter.charge(budget::list_cost(0))?;
        let mut parts = Vec::new();
        for part in re.split(s) {
            self.meter.tick()?;
            self.meter
                .charge(budget::str_cost(part.len()) + budget::VALUE_SLOT)?;
            parts.push(Value::str(part));
        }
        while parts
            .last()
            .is_some_and(|p| matches!(p, Value::Str(x) if x.is_empty()))
        {
            parts.pop();
        }
        Ok(Value::list(parts))
    }

    /// `java.util.List` methods templates use.
    pub(super) fn list_method(
        &mut self,
        base: &Value,
        items: &List,
        json: bool,
        name: &str,
        args: &[Value],
    ) -> Fallible<Value> {
        let len = items.borrow().len();
        let index = |i: usize| arg_int(args, i).and_then(|v| usize::try_from(v).ok());
        Ok(match name {
            "size" => Value::Int(len as i64),
            "isEmpty" => Value::Bool(len == 0),
            "get" => index(0)
                .and_then(|i| items.borrow().get(i).cloned())
                .unwrap_or_default(),
            "contains" => Value::Bool(self.position(items, args.first())?.is_some()),
            "indexOf" => Value::Int(self.position(items, args.first())?.map_or(-1, |p| p as i64)),
            "add" => {
                let (position, value) = match (args.len(), index(0)) {
                    (2, Some(i)) if i <= len => (Some(i), args[1].clone()),
                    _ => (None, args.first().cloned().unwrap_or_default()),
                };
                value.check_insert(base, &mut self.meter)?;
                self.meter.charge(budget::VALUE_SLOT)?;
                match position {
                    Some(i) => items.borrow_mut().insert(i, value),
                    None => items.borrow_mut().push(value),
                }
                Value::Bool(true)
            }
            "addAll" => {
                if let Some(Value::List { items: more, .. }) = args.first() {
                    let more = more.borrow().clone();
                    for item in &more {
                        item.check_insert(base, &mut self.meter)?;
                    }
                    self.meter
                        .charge(more.len().saturating_mul(budget::VALUE_SLOT))?;
                    items.borrow_mut().extend(more);
                }
                Value::Bool(true)
            }
            "set" => match index(0) {
                Some(i) if i < len => {
                    let value = args.get(1).cloned().unwrap_or_default();
                    value.check_insert(base, &mut self.meter)?;
                    std::mem::replace(&mut items.borrow_mut()[i], value)
                }
                _ => Value::Null,
            },
            "remove" => match args.first() {
                Some(Value::Int(i)) if *i >= 0 && (*i as usize) < len => {
                    items.borrow_mut().remove(*i as usize)
                }
                Some(_) => match self.position(items, args.first())? {
                    Some(p) => {
                        items.borrow_mut().remove(p);
                        Value::Bool(true)
                    }
                    None => Value::Bool(false),
                },
                None => Value::Null,
            },
            "clear" => {
                items.borrow_mut().clear();
                Value::Null
            }
            "subList" => {
                let from = index(0).unwrap_or(0).min(len);
                let to = index(1).unwrap_or(len).min(len).max(from);
                self.meter.charge(budget::list_cost(to - from))?;
                let part = items.borrow()[from..to].to_vec();
                if json {
                    Value::json_list(part)
                } else {
                    Value::list(part)
                }
            }
            _ => self.common_method(base, name, args)?,
        })
    }

    /// Where `wanted` is in the list (by Velocity's `==`).
    fn position(&mut self, items: &List, wanted: Option<&Value>) -> Fallible<Option<usize>> {
        let Some(wanted) = wanted else {
            return Ok(None);
        };
        let snapshot = items.borrow().clone();
        let max = self.text_room();
        for (i, item) in snapshot.iter().enumerate() {
            self.meter.tick()?;
            if item.loose_eq(wanted, &mut self.meter, max)? {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// `java.util.Map` methods templates use.
    pub(super) fn map_method(
        &mut self,
        base: &Value,
        map: &Map,
        name: &str,
        args: &[Value],
    ) -> Fallible<Value> {
        let n = map.borrow().len();
        Ok(match name {
            "get" => {
                let key = self.arg_text(args, 0)?;
                map.borrow().get(key.as_ref()).cloned().unwrap_or_default()
            }
            "getOrDefault" => {
                let key = self.arg_text(args, 0)?;
                map.borrow()
                    .get(key.as_ref())
                    .cloned()
                    .or_else(|| args.get(1).cloned())
                    .unwrap_or_default()
            }
            "put" => {
                let key = self.arg_text(args, 0)?.into_owned();
                let value = args.get(1).cloned().unwrap_or_default();
                value.check_insert(base, &mut self.meter)?;
                if !map.borrow().contains_key(&key) {
                    self.meter
                        .charge(budget::MAP_ENTRY.saturating_add(key.len()))?;
                }
                map.borrow_mut().insert(key, value).unwrap_or_default()
            }
            "putAll" => {
                if let Some(Value::Map(other)) = args.first() {
                    let entries: Vec<(String, Value)> = other
                        .borrow()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    for (k, v) in &entries {
                        v.check_insert(base, &mut self.meter)?;
                        self.meter
                            .charge(budget::MAP_ENTRY.saturating_add(k.len()))?;
                    }
                    map.borrow_mut().extend(entries);
                }
                Value::Null
            }
            "remove" => {
                let key = self.arg_text(args, 0)?;
                map.borrow_mut()
                    .shift_remove(key.as_ref())
                    .unwrap_or_default()
            }
            "containsKey" => {
                let key = self.arg_text(args, 0)?;
                Value::Bool(map.borrow().contains_key(key.as_ref()))
            }
            "containsValue" => match args.first() {
                Some(wanted) => {
                    let values: Vec<Value> = map.borrow().values().cloned().collect();
                    let max = self.text_room();
                    let mut found = false;
                    for v in &values {
                        self.meter.tick()?;
                        if v.loose_eq(wanted, &mut self.meter, max)? {
                            found = true;
                            break;
                        }
                    }
                    Value::Bool(found)
                }
                None => Value::Bool(false),
            },
            "keySet" => {
                let keys: Vec<String> = map.borrow().keys().cloned().collect();
                let cost = keys.iter().fold(budget::list_cost(n), |sum, k| {
                    sum.saturating_add(budget::str_cost(k.len()))
                });
                self.meter.charge(cost)?;
                Value::list(keys.into_iter().map(Value::str).collect())
            }
            "values" => {
                self.meter.charge(budget::list_cost(n))?;
                Value::list(map.borrow().values().cloned().collect())
            }
            "entrySet" => {
                let entry = budget::map_cost(["key", "value"].into_iter());
                let cost = map.borrow().keys().fold(budget::list_cost(n), |sum, k| {
                    sum.saturating_add(entry)
                        .saturating_add(budget::str_cost(k.len()))
                });
                self.meter.charge(cost)?;
                Value::list(
                    map.borrow()
                        .iter()
                        .map(|(k, v)| Value::entry(k, v.clone()))
                        .collect(),
                )
            }
            "size" => Value::Int(n as i64),
            "isEmpty" => Value::Bool(n == 0),
            "toString" | "equals" => self.common_method(base, name, args)?,
            _ if args.is_empty() => {
                // `getKey()` on an entry, `hasNext()` on $foreach: the bean
                // property of that name.
                let property = name
                    .strip_prefix("get")
                    .or_else(|| name.strip_prefix("is"))
                    .map(|p| {
                        let mut p = p.to_string();
                        if let Some(first) = p.get_mut(0..1) {
                            first.make_ascii_lowercase();
                        }
                        p
                    })
                    .unwrap_or_else(|| name.to_string());
                map.borrow().get(&property).cloned().unwrap_or_default()
            }
            _ => Value::Null,
        })
    }

    pub(super) fn number_method(
        &mut self,
        n: &Value,
        name: &str,
        args: &[Value],
    ) -> Fallible<Value> {
        Ok(match name {
            "intValue" | "longValue" => n
                .as_f64()
                .map_or(Value::Null, |f| Value::Int(f.trunc() as i64)),
            "doubleValue" | "floatValue" => n.as_f64().map_or(Value::Null, Value::Float),
            "compareTo" => match args.first().and_then(|a| n.compare(a)) {
                Some(o) => Value::Int(o as i64),
                None => Value::Null,
            },
            _ => self.common_method(n, name, args)?,
        })
    }
}

fn find_chars(s: &str, needle: &str, last: bool) -> i64 {
    let found = if last {
        s.rfind(needle)
    } else {
        s.find(needle)
    };
    found.map_or(-1, |byte| s[..byte].chars().count() as i64)
}

fn java_hash(s: &str) -> i64 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    i64::from(h)
}

/// A Java regex for Rust's engine (the common syntax is shared; what Rust
/// lacks, such as look-around, is reported).
fn java_regex(pattern: &str) -> Fallible<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| eval_fault(format!("regular expression `{pattern}`: {e}")))
}

/// A piece of a replacement: text, or a group's match.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Group(usize),
}

/// Java's replacement syntax: `$n` is group n (further digits join while
/// the group exists, as Java reads them), `\x` is `x`.
fn java_replacement(replacement: &str, groups: usize) -> Fallible<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.extend(chars.next()),
            '$' => {
                let Some(first) = chars.peek().and_then(|d| d.to_digit(10)) else {
                    // Java refuses a bare `$`; it is kept as text here.
                    text.push('$');
                    continue;
                };
                chars.next();
                let mut group = first as usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    let longer = group * 10 + d as usize;
                    if longer >= groups {
                        break;
                    }
                    group = longer;
                    chars.next();
                }
                if group >= groups {
                    return Err(eval_fault(format!(
                        "replacement `{replacement}`: no group {group}"
                    )));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Group(group));
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_read_groups_as_java_does() {
        assert_eq!(
            java_replacement("a$1b\\$c", 2).expect("valid"),
            vec![
                Piece::Text("a".into()),
                Piece::Group(1),
                Piece::Text("b$c".into())
            ]
        );
        // `$12` with two groups is group 1, then "2".
        assert_eq!(
            java_replacement("$12", 2).expect("valid"),
            vec![Piece::Group(1), Piece::Text("2".into())]
        );
        assert!(java_replacement("$3", 2).is_err());
        assert_eq!(
            java_replacement("cost: $", 1).expect("kept"),
            vec![Piece::Text("cost: $".into())]
        );
    }
}
