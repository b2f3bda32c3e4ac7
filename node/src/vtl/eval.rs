//! Evaluating a template: variables, directives, operators, and the methods
//! templates call on strings, lists, maps and numbers. Every step is counted
//! and every loop and output bounded, so no template hangs or exhausts memory.

use std::collections::HashMap;
use std::rc::Rc;

use indexmap::IndexMap;

use super::ast::{BinOp, Expr, MacroDef, Node, Offset, Step, Target};
use super::aws::{self, Bindings};
use super::value::{Builtin, Value};
use super::{Limits, RenderError};

/// What a block asks of the blocks around it.
enum Flow {
    Normal,
    Break,
    Stop,
}

pub(super) struct Evaluator<'b> {
    pub bindings: &'b Bindings<'b>,
    pub vars: HashMap<String, Value>,
    pub out: String,
    limits: &'b Limits,
    steps: u64,
    depth: usize,
    macros: HashMap<String, std::sync::Arc<MacroDef>>,
    pub input: aws::InputState,
}

type EResult<T> = Result<T, RenderError>;

impl<'b> Evaluator<'b> {
    pub fn new(bindings: &'b Bindings<'b>, limits: &'b Limits) -> Evaluator<'b> {
        let mut vars = HashMap::new();
        vars.insert("context".to_string(), bindings.context.clone());
        vars.insert(
            "stageVariables".to_string(),
            bindings.stage_variables.clone(),
        );
        vars.insert("input".to_string(), Value::Builtin(Builtin::Input));
        vars.insert("util".to_string(), Value::Builtin(Builtin::Util));
        Evaluator {
            bindings,
            vars,
            out: String::new(),
            limits,
            steps: 0,
            depth: 0,
            macros: HashMap::new(),
            input: aws::InputState::default(),
        }
    }

    pub fn run(&mut self, nodes: &[Node]) -> EResult<()> {
        self.block(nodes).map(|_| ())
    }

    fn tick(&mut self, at: Offset) -> EResult<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(RenderError::limit(
                at,
                format!("the template ran more than {} steps", self.limits.max_steps),
            ));
        }
        Ok(())
    }

    fn emit(&mut self, text: &str, at: Offset) -> EResult<()> {
        if self.out.len() + text.len() > self.limits.max_output_bytes {
            return Err(RenderError::limit(
                at,
                format!(
                    "the output would exceed {} bytes",
                    self.limits.max_output_bytes
                ),
            ));
        }
        self.out.push_str(text);
        Ok(())
    }

    fn block(&mut self, nodes: &[Node]) -> EResult<Flow> {
        for node in nodes {
            match self.node(node)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn node(&mut self, node: &Node) -> EResult<Flow> {
        match node {
            Node::Text(t) => self.emit(t, 0)?,
            Node::Print { expr, at } => {
                self.tick(*at)?;
                let value = self.eval(expr, *at)?;
                let text = value.render();
                self.emit(&text, *at)?;
            }
            Node::Set { target, value, at } => {
                self.tick(*at)?;
                let v = self.eval(value, *at)?;
                // Velocity 1.7: a null right-hand side leaves the target as it was.
                if !v.is_null() {
                    self.assign(target, v, *at)?;
                }
            }
            Node::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    if self.eval(cond, 0)?.truthy() {
                        return self.block(body);
                    }
                }
                return self.block(otherwise);
            }
            Node::Foreach {
                var,
                iterable,
                body,
                at,
            } => return self.foreach(var, iterable, body, *at),
            Node::Break => return Ok(Flow::Break),
            Node::Stop => return Ok(Flow::Stop),
            Node::Macro(def) => {
                self.macros.insert(def.name.clone(), def.clone());
            }
            Node::MacroCall { name, args, at } => {
                let Some(def) = self.macros.get(name).cloned() else {
                    return Err(RenderError::eval(
                        *at,
                        format!("macro #{name} is used before it is defined"),
                    ));
                };
                self.depth += 1;
                if self.depth > self.limits.max_depth {
                    return Err(RenderError::limit(*at, "macros nest too deeply"));
                }
                let mut saved = Vec::new();
                for (i, param) in def.params.iter().enumerate() {
                    let value = match args.get(i) {
                        Some(arg) => self.eval(arg, *at)?,
                        None => Value::Null,
                    };
                    saved.push((param.clone(), self.vars.insert(param.clone(), value)));
                }
                let flow = self.block(&def.body);
                for (param, old) in saved {
                    match old {
                        Some(v) => self.vars.insert(param, v),
                        None => self.vars.remove(&param),
                    };
                }
                self.depth -= 1;
                if matches!(flow?, Flow::Stop) {
                    return Ok(Flow::Stop);
                }
            }
        }
        Ok(Flow::Normal)
    }

    fn foreach(&mut self, var: &str, iterable: &Expr, body: &[Node], at: Offset) -> EResult<Flow> {
        let items: Vec<Value> = match self.eval(iterable, at)? {
            Value::List { items, .. } => items.borrow().clone(),
            Value::Map(m) => m.borrow().values().cloned().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        };
        if items.len() > self.limits.max_loop_iterations {
            return Err(RenderError::limit(
                at,
                format!(
                    "#foreach over {} items; the limit is {}",
                    items.len(),
                    self.limits.max_loop_iterations
                ),
            ));
        }
        let saved_var = self.vars.remove(var);
        let saved_foreach = self.vars.remove("foreach");
        let saved_count = self.vars.remove("velocityCount");
        let total = items.len();
        let mut flow = Flow::Normal;
        for (index, item) in items.into_iter().enumerate() {
            self.tick(at)?;
            let mut state = IndexMap::new();
            state.insert("index".to_string(), Value::Int(index as i64));
            state.insert("count".to_string(), Value::Int(index as i64 + 1));
            state.insert("hasNext".to_string(), Value::Bool(index + 1 < total));
            state.insert("first".to_string(), Value::Bool(index == 0));
            state.insert("last".to_string(), Value::Bool(index + 1 == total));
            self.vars.insert("foreach".to_string(), Value::map(state));
            self.vars
                .insert("velocityCount".to_string(), Value::Int(index as i64 + 1));
            self.vars.insert(var.to_string(), item);
            match self.block(body)? {
                Flow::Normal => {}
                Flow::Break => break,
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
            }
        }
        for (name, old) in [
            (var, saved_var),
            ("foreach", saved_foreach),
            ("velocityCount", saved_count),
        ] {
            match old {
                Some(v) => self.vars.insert(name.to_string(), v),
                None => self.vars.remove(name),
            };
        }
        Ok(flow)
    }

    fn assign(&mut self, target: &Target, value: Value, at: Offset) -> EResult<()> {
        match target {
            Target::Var(name) => {
                self.vars.insert(name.clone(), value);
            }
            Target::Path(base, step) => {
                let container = self.eval(base, at)?;
                match (container, step) {
                    (Value::Map(m), Step::Property(key)) => {
                        m.borrow_mut().insert(key.clone(), value);
                    }
                    (Value::Map(m), Step::Index(key)) => {
                        let key = self.eval(key, at)?.render();
                        m.borrow_mut().insert(key, value);
                    }
                    (Value::List { items, .. }, Step::Index(index)) => {
                        let index = self.eval(index, at)?.as_i64();
                        let mut items = items.borrow_mut();
                        match index
                            .and_then(|i| usize::try_from(i).ok())
                            .filter(|i| *i < items.len())
                        {
                            Some(i) => items[i] = value,
                            None => {
                                return Err(RenderError::eval(at, "#set: list index out of range"))
                            }
                        }
                    }
                    // Setting a property of something that is not a map is
                    // ignored, as Velocity does when no setter exists.
                    _ => {}
                }
            }
        }
        Ok(())
    }

    pub fn eval(&mut self, expr: &Expr, at: Offset) -> EResult<Value> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(RenderError::limit(
                at,
                format!("the template ran more than {} steps", self.limits.max_steps),
            ));
        }
        Ok(match expr {
            Expr::Null => Value::Null,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => Value::str(s.as_str()),
            Expr::Interpolated(nodes) => {
                let outer = std::mem::take(&mut self.out);
                let result = self.block(nodes);
                let inner = std::mem::replace(&mut self.out, outer);
                result?;
                Value::str(inner)
            }
            Expr::Var(name) => self.vars.get(name).cloned().unwrap_or_default(),
            Expr::Property(base, name) => {
                let base = self.eval(base, at)?;
                self.property(base, name, at)?
            }
            Expr::Index(base, index) => {
                let base = self.eval(base, at)?;
                let index = self.eval(index, at)?;
                index_of(&base, &index)
            }
            Expr::Call(base, name, args, call_at) => {
                let base = self.eval(base, *call_at)?;
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(a, *call_at)?);
                }
                self.call(base, name, values, *call_at)?
            }
            Expr::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for i in items {
                    values.push(self.eval(i, at)?);
                }
                Value::list(values)
            }
            Expr::Map(entries) => {
                let mut map = IndexMap::new();
                for (k, v) in entries {
                    let key = self.eval(k, at)?.render();
                    let value = self.eval(v, at)?;
                    map.insert(key, value);
                }
                Value::map(map)
            }
            Expr::Range(a, b) => {
                let (Some(a), Some(b)) = (self.eval(a, at)?.as_i64(), self.eval(b, at)?.as_i64())
                else {
                    return Ok(Value::Null);
                };
                let len = a.abs_diff(b) as usize + 1;
                if len > self.limits.max_loop_iterations {
                    return Err(RenderError::limit(
                        at,
                        format!("a range of {len} items exceeds the loop limit"),
                    ));
                }
                let items = if a <= b {
                    (a..=b).map(Value::Int).collect()
                } else {
                    (b..=a).rev().map(Value::Int).collect()
                };
                Value::list(items)
            }
            Expr::Not(e) => Value::Bool(!self.eval(e, at)?.truthy()),
            Expr::Neg(e) => match self.eval(e, at)? {
                Value::Int(i) => i
                    .checked_neg()
                    .map_or(Value::Float(-(i as f64)), Value::Int),
                Value::Float(f) => Value::Float(-f),
                _ => Value::Null,
            },
            Expr::Binary(op, a, b, op_at) => self.binary(*op, a, b, *op_at)?,
        })
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, at: Offset) -> EResult<Value> {
        match op {
            BinOp::And => {
                return Ok(Value::Bool(
                    self.eval(a, at)?.truthy() && self.eval(b, at)?.truthy(),
                ));
            }
            BinOp::Or => {
                return Ok(Value::Bool(
                    self.eval(a, at)?.truthy() || self.eval(b, at)?.truthy(),
                ));
            }
            _ => {}
        }
        let left = self.eval(a, at)?;
        let right = self.eval(b, at)?;
        use std::cmp::Ordering::*;
        Ok(match op {
            BinOp::Eq => Value::Bool(left.loose_eq(&right)),
            BinOp::Ne => Value::Bool(!left.loose_eq(&right)),
            BinOp::Lt => Value::Bool(left.compare(&right) == Some(Less)),
            BinOp::Le => Value::Bool(matches!(left.compare(&right), Some(Less | Equal))),
            BinOp::Gt => Value::Bool(left.compare(&right) == Some(Greater)),
            BinOp::Ge => Value::Bool(matches!(left.compare(&right), Some(Greater | Equal))),
            BinOp::Add if matches!(left, Value::Str(_)) || matches!(right, Value::Str(_)) => {
                let joined = format!("{}{}", left.render(), right.render());
                self.check_size(joined.len(), at)?;
                Value::str(joined)
            }
            _ => arithmetic(op, &left, &right),
        })
    }

    fn check_size(&self, len: usize, at: Offset) -> EResult<()> {
        if len > self.limits.max_output_bytes {
            return Err(RenderError::limit(
                at,
                format!(
                    "a value would exceed {} bytes",
                    self.limits.max_output_bytes
                ),
            ));
        }
        Ok(())
    }

    fn property(&mut self, base: Value, name: &str, at: Offset) -> EResult<Value> {
        match &base {
            Value::Map(m) => Ok(m.borrow().get(name).cloned().unwrap_or_default()),
            Value::Builtin(Builtin::Input) if name == "body" => {
                self.call(base, "body", Vec::new(), at)
            }
            Value::Null => Ok(Value::Null),
            _ => {
                // Java bean properties: `$list.empty` is `isEmpty()`.
                let mut capital = name.to_string();
                if let Some(first) = capital.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                for method in [format!("get{capital}"), format!("is{capital}")] {
                    let v = self.call(base.clone(), &method, Vec::new(), at)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Value::Null)
            }
        }
    }

    /// A method call; unknown methods give null, as Velocity does.
    fn call(&mut self, base: Value, name: &str, args: Vec<Value>, at: Offset) -> EResult<Value> {
        let result = match &base {
            Value::Builtin(Builtin::Input) => aws::input_method(self, name, &args, at)?,
            Value::Builtin(Builtin::Util) => {
                aws::util_method(name, &args).map_err(|m| RenderError::eval(at, m))?
            }
            Value::Str(s) => string_method(s, name, &args).map_err(|m| RenderError::eval(at, m))?,
            Value::List { items, json } => list_method(items, *json, name, &args),
            Value::Map(m) => map_method(m, name, &args),
            Value::Int(_) | Value::Float(_) => number_method(&base, name, &args),
            Value::Bool(b) => match name {
                "booleanValue" => Value::Bool(*b),
                _ => common_method(&base, name, &args),
            },
            Value::Null => Value::Null,
        };
        self.check_size(result.weight(), at)?;
        Ok(result)
    }
}

fn arithmetic(op: BinOp, left: &Value, right: &Value) -> Value {
    match (left, right) {
        (Value::Int(a), Value::Int(b)) => {
            let (a, b) = (*a, *b);
            let exact = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => a.checked_div(b),
                BinOp::Rem => a.checked_rem(b),
                _ => None,
            };
            match exact {
                Some(v) => Value::Int(v),
                None if b == 0 => Value::Null,
                None => float_op(op, a as f64, b as f64),
            }
        }
        _ => match (left.as_f64(), right.as_f64()) {
            (Some(a), Some(b)) => float_op(op, a, b),
            _ => Value::Null,
        },
    }
}

fn float_op(op: BinOp, a: f64, b: f64) -> Value {
    match op {
        BinOp::Add => Value::Float(a + b),
        BinOp::Sub => Value::Float(a - b),
        BinOp::Mul => Value::Float(a * b),
        BinOp::Div if b != 0.0 => Value::Float(a / b),
        BinOp::Rem if b != 0.0 => Value::Float(a % b),
        _ => Value::Null,
    }
}

fn index_of(base: &Value, index: &Value) -> Value {
    match base {
        Value::List { items, .. } => {
            let items = items.borrow();
            index
                .as_i64()
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| items.get(i).cloned())
                .unwrap_or_default()
        }
        Value::Map(m) => m.borrow().get(&index.render()).cloned().unwrap_or_default(),
        _ => Value::Null,
    }
}

fn arg_str(args: &[Value], i: usize) -> String {
    args.get(i).map(Value::render).unwrap_or_default()
}

fn arg_int(args: &[Value], i: usize) -> Option<i64> {
    args.get(i).and_then(Value::as_i64)
}

fn common_method(base: &Value, name: &str, args: &[Value]) -> Value {
    match name {
        "toString" => Value::str(base.render()),
        "equals" => Value::Bool(args.first().is_some_and(|a| a.loose_eq(base))),
        _ => Value::Null,
    }
}

/// Java `String` methods templates use.
fn string_method(s: &Rc<str>, name: &str, args: &[Value]) -> Result<Value, String> {
    let chars = || s.chars().count();
    // Substrings work on characters (Java counts UTF-16 units; the same for
    // most text).
    let char_slice = |from: usize, to: usize| -> String {
        s.chars().skip(from).take(to.saturating_sub(from)).collect()
    };
    Ok(match name {
        "length" | "size" => Value::Int(chars() as i64),
        "isEmpty" => Value::Bool(s.is_empty()),
        "isBlank" => Value::Bool(s.trim().is_empty()),
        "toLowerCase" => Value::str(s.to_lowercase()),
        "toUpperCase" => Value::str(s.to_uppercase()),
        "trim" | "strip" => Value::str(s.trim()),
        "contains" => Value::Bool(s.contains(arg_str(args, 0).as_str())),
        "startsWith" => Value::Bool(s.starts_with(arg_str(args, 0).as_str())),
        "endsWith" => Value::Bool(s.ends_with(arg_str(args, 0).as_str())),
        "equalsIgnoreCase" => Value::Bool(s.to_lowercase() == arg_str(args, 0).to_lowercase()),
        "indexOf" => Value::Int(find_chars(s, &arg_str(args, 0), false)),
        "lastIndexOf" => Value::Int(find_chars(s, &arg_str(args, 0), true)),
        "charAt" => arg_int(args, 0)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| s.chars().nth(i))
            .map_or(Value::Null, |c| Value::str(c.to_string())),
        "substring" => {
            let len = chars();
            let from = arg_int(args, 0).unwrap_or(0).clamp(0, len as i64) as usize;
            let to = arg_int(args, 1).map_or(len, |t| t.clamp(0, len as i64) as usize);
            if from > to {
                return Err(format!("substring({from}, {to}): begin is after end"));
            }
            Value::str(char_slice(from, to))
        }
        "concat" => Value::str(format!("{s}{}", arg_str(args, 0))),
        "replace" => Value::str(s.replace(arg_str(args, 0).as_str(), &arg_str(args, 1))),
        "replaceAll" | "replaceFirst" => {
            let re = java_regex(&arg_str(args, 0))?;
            let replacement = java_replacement(&arg_str(args, 1));
            let out = if name == "replaceAll" {
                re.replace_all(s, replacement.as_str())
            } else {
                re.replace(s, replacement.as_str())
            };
            Value::str(out.into_owned())
        }
        "matches" => Value::Bool(java_regex(&format!("^(?:{})$", arg_str(args, 0)))?.is_match(s)),
        "split" => {
            let re = java_regex(&arg_str(args, 0))?;
            let mut parts: Vec<Value> = re.split(s).map(Value::str).collect();
            // Java drops trailing empty strings.
            while parts
                .last()
                .is_some_and(|p| matches!(p, Value::Str(x) if x.is_empty()))
            {
                parts.pop();
            }
            Value::list(parts)
        }
        "toString" => Value::Str(s.clone()),
        "equals" => Value::Bool(
            args.first()
                .is_some_and(|a| matches!(a, Value::Str(o) if o == s)),
        ),
        "hashCode" => Value::Int(java_hash(s)),
        _ => Value::Null,
    })
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
fn java_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("regular expression `{pattern}`: {e}"))
}

/// Java's `$1` group references in a replacement, for Rust (`${1}`).
fn java_replacement(replacement: &str) -> String {
    let mut out = String::with_capacity(replacement.len());
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => {}
            },
            '$' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    out.push_str("$$");
                } else {
                    out.push_str(&format!("${{{digits}}}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `java.util.List` methods templates use.
fn list_method(items: &super::value::List, json: bool, name: &str, args: &[Value]) -> Value {
    let len = items.borrow().len();
    let index = |i: usize| arg_int(args, i).and_then(|v| usize::try_from(v).ok());
    match name {
        "size" => Value::Int(len as i64),
        "isEmpty" => Value::Bool(len == 0),
        "get" => index(0)
            .and_then(|i| items.borrow().get(i).cloned())
            .unwrap_or_default(),
        "contains" => Value::Bool(
            args.first()
                .is_some_and(|a| items.borrow().iter().any(|x| x.loose_eq(a))),
        ),
        "indexOf" => Value::Int(
            args.first()
                .and_then(|a| items.borrow().iter().position(|x| x.loose_eq(a)))
                .map_or(-1, |p| p as i64),
        ),
        "add" => {
            match (args.len(), index(0)) {
                (2, Some(i)) if i <= len => items.borrow_mut().insert(i, args[1].clone()),
                _ => items
                    .borrow_mut()
                    .push(args.first().cloned().unwrap_or_default()),
            }
            Value::Bool(true)
        }
        "addAll" => {
            if let Some(Value::List { items: more, .. }) = args.first() {
                let more = more.borrow().clone();
                items.borrow_mut().extend(more);
            }
            Value::Bool(true)
        }
        "set" => match index(0) {
            Some(i) if i < len => std::mem::replace(
                &mut items.borrow_mut()[i],
                args.get(1).cloned().unwrap_or_default(),
            ),
            _ => Value::Null,
        },
        "remove" => match args.first() {
            Some(Value::Int(i)) if (*i as usize) < len && *i >= 0 => {
                items.borrow_mut().remove(*i as usize)
            }
            Some(other) => {
                let position = items.borrow().iter().position(|x| x.loose_eq(other));
                Value::Bool(position.map(|p| items.borrow_mut().remove(p)).is_some())
            }
            None => Value::Null,
        },
        "clear" => {
            items.borrow_mut().clear();
            Value::Null
        }
        "subList" => {
            let from = index(0).unwrap_or(0).min(len);
            let to = index(1).unwrap_or(len).min(len).max(from);
            Value::List {
                items: Rc::new(std::cell::RefCell::new(items.borrow()[from..to].to_vec())),
                json,
            }
        }
        "toString" => Value::str(
            Value::List {
                items: items.clone(),
                json,
            }
            .render(),
        ),
        _ => Value::Null,
    }
}

/// `java.util.Map` methods templates use.
fn map_method(map: &super::value::Map, name: &str, args: &[Value]) -> Value {
    let key = || arg_str(args, 0);
    match name {
        "get" => map.borrow().get(&key()).cloned().unwrap_or_default(),
        "getOrDefault" => map
            .borrow()
            .get(&key())
            .cloned()
            .or_else(|| args.get(1).cloned())
            .unwrap_or_default(),
        "put" => map
            .borrow_mut()
            .insert(key(), args.get(1).cloned().unwrap_or_default())
            .unwrap_or_default(),
        "putAll" => {
            if let Some(Value::Map(other)) = args.first() {
                let entries: Vec<(String, Value)> = other
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                map.borrow_mut().extend(entries);
            }
            Value::Null
        }
        "remove" => map.borrow_mut().shift_remove(&key()).unwrap_or_default(),
        "containsKey" => Value::Bool(map.borrow().contains_key(&key())),
        "containsValue" => Value::Bool(
            args.first()
                .is_some_and(|a| map.borrow().values().any(|v| v.loose_eq(a))),
        ),
        "keySet" => Value::list(
            map.borrow()
                .keys()
                .map(|k| Value::str(k.as_str()))
                .collect(),
        ),
        "values" => Value::list(map.borrow().values().cloned().collect()),
        "entrySet" => Value::list(
            map.borrow()
                .iter()
                .map(|(k, v)| Value::entry(k, v.clone()))
                .collect(),
        ),
        "size" => Value::Int(map.borrow().len() as i64),
        "isEmpty" => Value::Bool(map.borrow().is_empty()),
        "toString" => Value::str(Value::Map(map.clone()).render()),
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
    }
}

fn number_method(n: &Value, name: &str, args: &[Value]) -> Value {
    match name {
        "intValue" | "longValue" => n
            .as_f64()
            .map_or(Value::Null, |f| Value::Int(f.trunc() as i64)),
        "doubleValue" | "floatValue" => n.as_f64().map_or(Value::Null, Value::Float),
        "compareTo" => match args.first().and_then(|a| n.compare(a)) {
            Some(o) => Value::Int(o as i64),
            None => Value::Null,
        },
        _ => common_method(n, name, args),
    }
}
