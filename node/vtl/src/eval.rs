//! Evaluating a template: variables, directives and operators (the methods
//! templates call are in [`super::methods`]). Every step is counted, every
//! value charged to the render's [`Meter`], every loop and the output
//! bounded, and the evaluator's own recursion is capped, so no template
//! hangs, exhausts memory or overflows the stack.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use super::ast::{BinOp, Expr, MacroDef, Node, Offset, Step, Target};
use super::bindings::{Bindings, InputState};
use super::budget::{self, Fallible, Fault, Meter};
use super::print::PrintError;
use super::value::{Builtin, Value};
use super::{Limits, RenderError};

/// How many evaluations and blocks may be open at once (each is a few stack
/// frames; a 2 MiB thread stack holds this many in a debug build).
pub(super) const MAX_NESTING: usize = 160;

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
    pub limits: &'b Limits,
    pub meter: Meter,
    /// Evaluations and blocks open now.
    nesting: usize,
    /// Interpolated strings being built: their text counts as a value.
    interpolating: usize,
    macro_depth: usize,
    macros: HashMap<String, Arc<MacroDef>>,
    pub input: InputState,
    /// Regular expressions compiled in this render, by pattern.
    pub regexes: HashMap<String, regex::Regex>,
}

pub(super) type EResult<T> = Result<T, RenderError>;

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
            meter: Meter::new(limits),
            nesting: 0,
            interpolating: 0,
            macro_depth: 0,
            macros: HashMap::new(),
            input: InputState::default(),
            regexes: HashMap::new(),
        }
    }

    pub fn run(&mut self, nodes: &[Node]) -> EResult<()> {
        self.block(nodes).map(|_| ())
    }

    fn tick(&mut self, at: Offset) -> EResult<()> {
        self.meter.tick().map_err(|f| f.at(at))
    }

    /// Opens one level of evaluation, refused past [`MAX_NESTING`].
    fn enter(&mut self, at: Offset) -> EResult<()> {
        if self.nesting >= MAX_NESTING {
            return Err(RenderError::limit(
                at,
                format!("the template nests more than {MAX_NESTING} levels deep as it runs"),
            ));
        }
        self.nesting += 1;
        Ok(())
    }

    /// The most bytes the buffer being written may hold: the output cap, and
    /// inside an interpolated string also what the budget has room for.
    fn out_cap(&self) -> usize {
        let cap = self.limits.max_output_bytes;
        if self.interpolating > 0 {
            cap.min(self.out.len().saturating_add(self.meter.room()))
        } else {
            cap
        }
    }

    fn too_much_output(&self, at: Offset) -> RenderError {
        let what = if self.interpolating > 0 {
            "a string"
        } else {
            "the output"
        };
        RenderError::limit(
            at,
            format!("{what} would exceed {} bytes", self.limits.max_output_bytes),
        )
    }

    /// Counts `len` bytes about to be written to the buffer: inside an
    /// interpolated string they are a value's bytes, else output work.
    fn count_write(&mut self, len: usize, at: Offset) -> EResult<()> {
        let counted = if self.interpolating > 0 {
            self.meter.charge(len)
        } else {
            self.meter.work(len)
        };
        counted.map_err(|f| f.at(at))
    }

    fn emit(&mut self, text: &str, at: Offset) -> EResult<()> {
        if self.out.len().saturating_add(text.len()) > self.limits.max_output_bytes {
            return Err(self.too_much_output(at));
        }
        self.count_write(text.len(), at)?;
        self.out.push_str(text);
        Ok(())
    }

    /// Prints a value into the buffer, within the output cap (and inside an
    /// interpolated string, the budget's room), then counts what it wrote.
    fn emit_value(&mut self, value: &Value, at: Offset) -> EResult<()> {
        let before = self.out.len();
        let cap = self.out_cap();
        let printed = value.write_text(&mut self.out, cap);
        let written = self.out.len() - before;
        match printed {
            Ok(()) => {
                if self.interpolating > 0 {
                    self.meter.charge(written).map_err(|f| f.at(at))
                } else {
                    self.meter.work(written).map_err(|f| f.at(at))
                }
            }
            Err(PrintError::TooLong) if cap < self.limits.max_output_bytes => {
                Err(self.meter.exceeded().at(at))
            }
            Err(PrintError::TooLong) => Err(self.too_much_output(at)),
            Err(e) => Err(e.fault(cap).at(at)),
        }
    }

    /// Lets go of a value the render no longer holds, refunding what it
    /// was charged if this was its last reference.
    pub(super) fn discard(&mut self, value: Value) {
        self.meter.refund(value.freed_by_drop());
    }

    /// Charges a new string of `len` bytes; no value may be larger than the
    /// output cap.
    pub(super) fn charge_str(&mut self, len: usize) -> Fallible<()> {
        if len > self.limits.max_output_bytes {
            return Err(Fault::Limit(format!(
                "a value would exceed {} bytes",
                self.limits.max_output_bytes
            )));
        }
        self.meter.charge(budget::str_cost(len))
    }

    /// The fault for a print given `room` bytes: the budget's when the room
    /// was less than the largest value.
    pub(super) fn print_fault(&self, e: PrintError, room: usize) -> Fault {
        match e {
            PrintError::TooLong if room < self.limits.max_output_bytes => self.meter.exceeded(),
            PrintError::TooLong => Fault::Limit(format!(
                "a value would exceed {} bytes",
                self.limits.max_output_bytes
            )),
            other => other.fault(room),
        }
    }

    /// The most bytes a transient text (a key, a printed argument) may take.
    pub(super) fn text_room(&self) -> usize {
        self.limits.max_output_bytes.min(self.meter.room())
    }

    fn block(&mut self, nodes: &[Node]) -> EResult<Flow> {
        self.enter(0)?;
        let result = self.block_inner(nodes);
        self.nesting -= 1;
        result
    }

    fn block_inner(&mut self, nodes: &[Node]) -> EResult<Flow> {
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
                self.emit_value(&value, *at)?;
                self.discard(value);
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
                    let value = self.eval(cond, 0)?;
                    let truthy = value.truthy();
                    self.discard(value);
                    if truthy {
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
            Node::MacroCall { name, args, at } => return self.call_macro(name, args, *at),
        }
        Ok(Flow::Normal)
    }

    fn call_macro(&mut self, name: &str, args: &[Expr], at: Offset) -> EResult<Flow> {
        let Some(def) = self.macros.get(name).cloned() else {
            return Err(RenderError::eval(
                at,
                format!("macro #{name} is used before it is defined"),
            ));
        };
        if self.macro_depth >= self.limits.max_depth {
            return Err(RenderError::limit(at, "macros nest too deeply"));
        }
        let mut values = Vec::with_capacity(def.params.len());
        for i in 0..def.params.len() {
            values.push(match args.get(i) {
                Some(arg) => self.eval(arg, at)?,
                None => Value::Null,
            });
        }
        let saved: Vec<(String, Option<Value>)> = def
            .params
            .iter()
            .zip(values)
            .map(|(param, value)| (param.clone(), self.vars.insert(param.clone(), value)))
            .collect();
        self.macro_depth += 1;
        let flow = self.block(&def.body);
        self.macro_depth -= 1;
        for (param, old) in saved {
            self.restore(&param, old);
        }
        Ok(match flow? {
            Flow::Stop => Flow::Stop,
            _ => Flow::Normal,
        })
    }

    /// Puts a variable back as it was before a loop or a macro bound it.
    fn restore(&mut self, name: &str, old: Option<Value>) {
        let replaced = match old {
            Some(v) => self.vars.insert(name.to_string(), v),
            None => self.vars.remove(name),
        };
        if let Some(v) = replaced {
            self.discard(v);
        }
    }

    fn foreach(&mut self, var: &str, iterable: &Expr, body: &[Node], at: Offset) -> EResult<Flow> {
        let iterated = self.eval(iterable, at)?;
        let len = match &iterated {
            Value::List { items, .. } => items.borrow().len(),
            Value::Map(m) => m.borrow().len(),
            Value::Null => 0,
            _ => 1,
        };
        if len > self.limits.max_loop_iterations {
            return Err(RenderError::limit(
                at,
                format!(
                    "#foreach over {len} items; the limit is {}",
                    self.limits.max_loop_iterations
                ),
            ));
        }
        let items: Vec<Value> = match &iterated {
            Value::List { items, .. } => items.borrow().clone(),
            Value::Map(m) => m.borrow().values().cloned().collect(),
            Value::Null => Vec::new(),
            other => vec![other.clone()],
        };
        self.discard(iterated);
        let saved_var = self.vars.remove(var);
        let saved_foreach = self.vars.remove("foreach");
        let saved_count = self.vars.remove("velocityCount");
        let mut flow = Flow::Normal;
        for (index, item) in items.into_iter().enumerate() {
            self.tick(at)?;
            let state = self.loop_state(index, len).map_err(|f| f.at(at))?;
            for (name, value) in [
                ("foreach", state),
                ("velocityCount", Value::Int(index as i64 + 1)),
                (var, item),
            ] {
                if let Some(old) = self.vars.insert(name.to_string(), value) {
                    self.discard(old);
                }
            }
            match self.block(body)? {
                Flow::Normal => {}
                Flow::Break => break,
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
            }
        }
        self.restore(var, saved_var);
        self.restore("foreach", saved_foreach);
        self.restore("velocityCount", saved_count);
        Ok(flow)
    }

    /// `$foreach` for one pass.
    fn loop_state(&mut self, index: usize, total: usize) -> Fallible<Value> {
        const KEYS: [&str; 5] = ["index", "count", "hasNext", "first", "last"];
        self.meter.charge(budget::map_cost(KEYS.into_iter()))?;
        let values = [
            Value::Int(index as i64),
            Value::Int(index as i64 + 1),
            Value::Bool(index + 1 < total),
            Value::Bool(index == 0),
            Value::Bool(index + 1 == total),
        ];
        Ok(Value::map(
            KEYS.into_iter().map(str::to_string).zip(values).collect(),
        ))
    }

    fn assign(&mut self, target: &Target, value: Value, at: Offset) -> EResult<()> {
        match target {
            Target::Var(name) => {
                if let Some(old) = self.vars.insert(name.clone(), value) {
                    self.discard(old);
                }
            }
            Target::Path(base, step) => {
                let container = self.eval(base, at)?;
                match (&container, step) {
                    (Value::Map(m), _) => {
                        let key = match step {
                            Step::Property(key) => key.clone(),
                            Step::Index(key) => {
                                let key = self.eval(key, at)?;
                                let text = self.key_text(&key).map_err(|f| f.at(at))?;
                                self.discard(key);
                                text
                            }
                        };
                        value
                            .check_insert(&container, &mut self.meter)
                            .map_err(|f| f.at(at))?;
                        if !m.borrow().contains_key(&key) {
                            let cost = budget::map_cost(std::iter::once(key.as_str()))
                                - budget::CONTAINER_HEADER;
                            self.meter.charge(cost).map_err(|f| f.at(at))?;
                        }
                        let old = m.borrow_mut().insert(key, value);
                        if let Some(old) = old {
                            self.discard(old);
                        }
                    }
                    (Value::List { items, .. }, Step::Index(index)) => {
                        let index = self.eval(index, at)?.as_i64();
                        value
                            .check_insert(&container, &mut self.meter)
                            .map_err(|f| f.at(at))?;
                        let len = items.borrow().len();
                        let Some(i) = index
                            .and_then(|i| usize::try_from(i).ok())
                            .filter(|i| *i < len)
                        else {
                            return Err(RenderError::eval(at, "#set: list index out of range"));
                        };
                        let old = std::mem::replace(&mut items.borrow_mut()[i], value);
                        self.discard(old);
                    }
                    // Setting a property of something that is not a map is
                    // ignored, as Velocity does when no setter exists.
                    _ => {}
                }
                self.discard(container);
            }
        }
        Ok(())
    }

    /// The text of a map key or index, within the room left.
    /// It is counted as held while it is made (the caller lets it go or
    /// charges what it keeps).
    pub(super) fn key_text(&mut self, key: &Value) -> Fallible<String> {
        let room = self.text_room();
        let text = key.text(room).map_err(|e| self.print_fault(e, room))?;
        self.meter.charge(text.len())?;
        self.meter.refund(text.len());
        Ok(text)
    }

    pub fn eval(&mut self, expr: &Expr, at: Offset) -> EResult<Value> {
        self.tick(at)?;
        self.enter(at)?;
        let result = self.eval_inner(expr, at);
        self.nesting -= 1;
        result
    }

    fn eval_inner(&mut self, expr: &Expr, at: Offset) -> EResult<Value> {
        let fault = |f: Fault| f.at(at);
        Ok(match expr {
            Expr::Null => Value::Null,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => {
                self.charge_str(s.len()).map_err(fault)?;
                Value::str(s.as_str())
            }
            Expr::Interpolated(nodes) => self.interpolate(nodes, at)?,
            Expr::Var(name) => self.vars.get(name).cloned().unwrap_or_default(),
            Expr::Property(base, name) => {
                let base = self.eval(base, at)?;
                let value = self.property(base.clone(), name, at)?;
                self.discard(base);
                value
            }
            Expr::Index(base, index) => {
                let base = self.eval(base, at)?;
                let index = self.eval(index, at)?;
                let value = self.index_of(&base, &index).map_err(fault)?;
                self.discard(index);
                self.discard(base);
                value
            }
            Expr::Call(base, name, args, call_at) => {
                let base = self.eval(base, *call_at)?;
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(a, *call_at)?);
                }
                let result = self.call(base.clone(), name, &values, *call_at)?;
                for v in values {
                    self.discard(v);
                }
                self.discard(base);
                result
            }
            Expr::List(items) => {
                self.meter
                    .charge(budget::list_cost(items.len()))
                    .map_err(fault)?;
                let mut values = Vec::with_capacity(items.len());
                for i in items {
                    values.push(self.eval(i, at)?);
                }
                Value::list(values)
            }
            Expr::Map(entries) => self.map_literal(entries, at)?,
            Expr::Range(a, b) => self.range(a, b, at)?,
            Expr::Not(e) => {
                let value = self.eval(e, at)?;
                let truthy = value.truthy();
                self.discard(value);
                Value::Bool(!truthy)
            }
            Expr::Neg(e) => match self.eval(e, at)? {
                Value::Int(i) => i
                    .checked_neg()
                    .map_or(Value::Float(-(i as f64)), Value::Int),
                Value::Float(f) => Value::Float(-f),
                other => {
                    self.discard(other);
                    Value::Null
                }
            },
            Expr::Binary(op, a, b, op_at) => self.binary(*op, a, b, *op_at)?,
        })
    }

    fn interpolate(&mut self, nodes: &[Node], at: Offset) -> EResult<Value> {
        self.meter
            .charge(budget::STR_HEADER)
            .map_err(|f| f.at(at))?;
        let outer = std::mem::take(&mut self.out);
        self.interpolating += 1;
        let result = self.block(nodes);
        self.interpolating -= 1;
        let inner = std::mem::replace(&mut self.out, outer);
        result?;
        Ok(Value::str(inner))
    }

    fn map_literal(&mut self, entries: &[(Expr, Expr)], at: Offset) -> EResult<Value> {
        let mut map = IndexMap::new();
        for (k, v) in entries {
            let key = self.eval(k, at)?;
            let key_text = self.key_text(&key).map_err(|f| f.at(at))?;
            self.discard(key);
            let cost = budget::map_cost(std::iter::once(key_text.as_str()));
            self.meter
                .charge(cost - budget::CONTAINER_HEADER)
                .map_err(|f| f.at(at))?;
            let value = self.eval(v, at)?;
            map.insert(key_text, value);
        }
        self.meter
            .charge(budget::CONTAINER_HEADER)
            .map_err(|f| f.at(at))?;
        Ok(Value::map(map))
    }

    fn range(&mut self, a: &Expr, b: &Expr, at: Offset) -> EResult<Value> {
        let (Some(a), Some(b)) = (self.eval(a, at)?.as_i64(), self.eval(b, at)?.as_i64()) else {
            return Ok(Value::Null);
        };
        let len = a.abs_diff(b).saturating_add(1);
        if len > self.limits.max_loop_iterations as u64 {
            return Err(RenderError::limit(
                at,
                format!("a range of {len} items exceeds the loop limit"),
            ));
        }
        self.meter
            .charge(budget::list_cost(len as usize))
            .map_err(|f| f.at(at))?;
        let items = if a <= b {
            (a..=b).map(Value::Int).collect()
        } else {
            (b..=a).rev().map(Value::Int).collect()
        };
        Ok(Value::list(items))
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, at: Offset) -> EResult<Value> {
        if matches!(op, BinOp::And | BinOp::Or) {
            let left = self.eval(a, at)?;
            let left_true = left.truthy();
            self.discard(left);
            let result = match (op, left_true) {
                (BinOp::And, false) => false,
                (BinOp::Or, true) => true,
                _ => {
                    let right = self.eval(b, at)?;
                    let truthy = right.truthy();
                    self.discard(right);
                    truthy
                }
            };
            return Ok(Value::Bool(result));
        }
        let left = self.eval(a, at)?;
        let right = self.eval(b, at)?;
        let result = self.operate(op, &left, &right).map_err(|f| f.at(at))?;
        self.discard(left);
        self.discard(right);
        Ok(result)
    }

    fn operate(&mut self, op: BinOp, left: &Value, right: &Value) -> Fallible<Value> {
        use std::cmp::Ordering::*;
        let max = self.text_room();
        Ok(match op {
            BinOp::Eq => Value::Bool(left.loose_eq(right, &mut self.meter, max)?),
            BinOp::Ne => Value::Bool(!left.loose_eq(right, &mut self.meter, max)?),
            BinOp::Lt => Value::Bool(left.compare(right) == Some(Less)),
            BinOp::Le => Value::Bool(matches!(left.compare(right), Some(Less | Equal))),
            BinOp::Gt => Value::Bool(left.compare(right) == Some(Greater)),
            BinOp::Ge => Value::Bool(matches!(left.compare(right), Some(Greater | Equal))),
            BinOp::Add if matches!(left, Value::Str(_)) || matches!(right, Value::Str(_)) => {
                self.concat(left, right)?
            }
            _ => arithmetic(op, left, right),
        })
    }

    /// `a + b` with a string: the two printed texts, charged before joining.
    fn concat(&mut self, left: &Value, right: &Value) -> Fallible<Value> {
        let mut joined = String::new();
        let room = self.text_room().saturating_sub(budget::STR_HEADER);
        left.write_text(&mut joined, room)
            .and_then(|()| right.write_text(&mut joined, room))
            .map_err(|e| self.print_fault(e, room))?;
        self.charge_str(joined.len())?;
        Ok(Value::str(joined))
    }

    fn property(&mut self, base: Value, name: &str, at: Offset) -> EResult<Value> {
        match &base {
            Value::Map(m) => Ok(m.borrow().get(name).cloned().unwrap_or_default()),
            Value::Builtin(Builtin::Input) if name == "body" => self.call(base, "body", &[], at),
            Value::Null => Ok(Value::Null),
            _ => {
                // Java bean properties: `$list.empty` is `isEmpty()`.
                let mut capital = name.to_string();
                if let Some(first) = capital.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                for method in [format!("get{capital}"), format!("is{capital}")] {
                    let v = self.call(base.clone(), &method, &[], at)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Value::Null)
            }
        }
    }

    fn index_of(&mut self, base: &Value, index: &Value) -> Fallible<Value> {
        Ok(match base {
            Value::List { items, .. } => {
                let items = items.borrow();
                index
                    .as_i64()
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| items.get(i).cloned())
                    .unwrap_or_default()
            }
            Value::Map(m) => {
                let key = self.key_text(index)?;
                m.borrow().get(&key).cloned().unwrap_or_default()
            }
            _ => Value::Null,
        })
    }

    /// A method call; unknown methods give null, as Velocity does.
    fn call(&mut self, base: Value, name: &str, args: &[Value], at: Offset) -> EResult<Value> {
        let fault = |f: Fault| f.at(at);
        Ok(match &base {
            Value::Builtin(Builtin::Input) => self.input_method(name, args, at)?,
            Value::Builtin(Builtin::Util) => self.util_method(name, args).map_err(fault)?,
            Value::Str(s) => self.string_method(s, name, args).map_err(fault)?,
            Value::List { items, json } => self
                .list_method(&base, items, *json, name, args)
                .map_err(fault)?,
            Value::Map(m) => self.map_method(&base, m, name, args).map_err(fault)?,
            Value::Int(_) | Value::Float(_) => {
                self.number_method(&base, name, args).map_err(fault)?
            }
            Value::Bool(b) => match name {
                "booleanValue" => Value::Bool(*b),
                _ => self.common_method(&base, name, args).map_err(fault)?,
            },
            Value::Null => Value::Null,
        })
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
