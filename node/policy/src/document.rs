//! Parsing a policy document's statements: `Effect`, `Action` /
//! `NotAction`, `Resource` / `NotResource`, `Principal` / `NotPrincipal`,
//! `Condition`; `Statement` as one object or a list.

use serde_json::Value;

use super::condition::{self, Clause};

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Statement {
    pub allow: bool,
    pub actions: Names,
    pub resources: Names,
    pub principal: Principals,
    pub conditions: Vec<Clause>,
}

/// `Action` (listed) or `NotAction` (everything but), likewise resources.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Names {
    pub patterns: Vec<String>,
    pub not: bool,
}

/// Whom a statement is about.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Principals {
    /// No `Principal`: identity and authorizer policies, about their caller.
    Unstated,
    /// `"*"` or `{"AWS": "*"}`: anyone, anonymous callers included.
    Anyone,
    /// ARNs or account ids (wildcards allowed); `not` for `NotPrincipal`.
    Listed { patterns: Vec<String>, not: bool },
}

pub(super) fn statements(doc: &Value) -> Result<Vec<Statement>, String> {
    let items = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => return Err("the policy has no Statement".into()),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, s)| statement(s).map_err(|e| format!("Statement[{i}]: {e}")))
        .collect()
}

fn strings(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{i}` is not a string"))
            })
            .collect(),
        other => Err(format!("`{other}` is not a string or a list of strings")),
    }
}

/// Exactly one of `name` and `Not{name}`.
fn names(s: &Value, name: &str) -> Result<Names, String> {
    let not_name = format!("Not{name}");
    let (v, not) = match (s.get(name), s.get(&not_name)) {
        (Some(v), None) => (v, false),
        (None, Some(v)) => (v, true),
        (Some(_), Some(_)) => return Err(format!("{name} and {not_name} exclude each other")),
        (None, None) => return Err(format!("{name} is missing")),
    };
    let patterns = strings(v).map_err(|e| format!("{name}: {e}"))?;
    if patterns.is_empty() {
        return Err(format!("{name} is empty"));
    }
    Ok(Names { patterns, not })
}

fn principals(s: &Value) -> Result<Principals, String> {
    let (v, not) = match (s.get("Principal"), s.get("NotPrincipal")) {
        (None, None) => return Ok(Principals::Unstated),
        (Some(v), None) => (v, false),
        (None, Some(v)) => (v, true),
        (Some(_), Some(_)) => return Err("Principal and NotPrincipal exclude each other".into()),
    };
    let patterns = match v {
        Value::String(star) if star == "*" && !not => return Ok(Principals::Anyone),
        Value::String(star) if star == "*" => vec!["*".to_string()],
        Value::Object(kinds) => {
            let mut patterns = Vec::new();
            for (kind, who) in kinds {
                let who = strings(who).map_err(|e| format!("Principal.{kind}: {e}"))?;
                // Only IAM principals ("AWS") call this gateway; a service
                // or federated principal names nobody here.
                if kind == "AWS" {
                    patterns.extend(who);
                }
            }
            if !not && patterns.iter().any(|p| p == "*") {
                return Ok(Principals::Anyone);
            }
            patterns
        }
        other => return Err(format!("Principal `{other}` is not \"*\" or a map")),
    };
    Ok(Principals::Listed { patterns, not })
}

fn statement(s: &Value) -> Result<Statement, String> {
    let allow = match s.get("Effect").and_then(Value::as_str) {
        Some(e) if e.eq_ignore_ascii_case("allow") => true,
        Some(e) if e.eq_ignore_ascii_case("deny") => false,
        _ => return Err("Effect must be Allow or Deny".into()),
    };
    let mut conditions = Vec::new();
    match s.get("Condition") {
        None => {}
        Some(Value::Object(ops)) => {
            for (op, keys) in ops {
                conditions.extend(condition::parse(op, keys)?);
            }
        }
        Some(_) => return Err("Condition must be a map of operators".into()),
    }
    Ok(Statement {
        allow,
        actions: names(s, "Action")?,
        resources: names(s, "Resource")?,
        principal: principals(s)?,
        conditions,
    })
}
