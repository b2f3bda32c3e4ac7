//! Intrinsic functions, resolved as CloudFormation would at deploy time:
//! `Ref` (parameters, pseudo parameters, resources), `Fn::Sub` (string and
//! list forms, `${!Literal}`), `Fn::GetAtt`, `Fn::Join`, `Fn::Select`,
//! `Fn::Split`, `Fn::FindInMap`, `Fn::If` with the template's conditions
//! (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`),
//! `Fn::GetAZs`, `Fn::Base64`; `AWS::NoValue` removes the key or item.
//! `Fn::ImportValue` names another stack's output, which a local gateway
//! cannot know: it is an error naming the place.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::TemplateError;

/// Deepest nesting of intrinsic functions and conditions followed.
const MAX_DEPTH: usize = 64;

/// What a resource answers to `Ref` and `Fn::GetAtt`.
#[derive(Debug, Clone, Default)]
pub struct ResourceValues {
    pub reference: Value,
    pub attributes: BTreeMap<String, Value>,
}

/// Everything intrinsics resolve against.
#[derive(Debug, Default)]
pub struct Context {
    /// Parameter values and pseudo parameters (`AWS::Region`...).
    pub parameters: BTreeMap<String, Value>,
    /// Condition definitions, evaluated on first use (into `conditions`).
    pub condition_defs: Map<String, Value>,
    pub mappings: Map<String, Value>,
    pub resources: BTreeMap<String, ResourceValues>,
    pub region: String,
    pub conditions: RefCell<BTreeMap<String, bool>>,
    /// `GetAtt`s of attributes with no local value (`Table.Arn`), once each.
    pub placeholders: RefCell<Vec<String>>,
}

impl Context {
    /// Resolves every intrinsic in `value`; `at` names the place for errors.
    pub fn resolve(&self, value: &Value, at: &str) -> Result<Value, TemplateError> {
        Ok(self.resolve_opt(value, at, 0)?.unwrap_or(Value::Null))
    }

    /// Whether a named condition holds.
    pub fn condition(&self, name: &str, at: &str) -> Result<bool, TemplateError> {
        self.condition_at(name, at, 0)
    }

    fn condition_at(&self, name: &str, at: &str, depth: usize) -> Result<bool, TemplateError> {
        if let Some(known) = self.conditions.borrow().get(name) {
            return Ok(*known);
        }
        let def = self
            .condition_defs
            .get(name)
            .ok_or_else(|| TemplateError::at(at, format!("no condition is named `{name}`")))?;
        let value = self.truth(def, &format!("Conditions.{name}"), depth + 1)?;
        self.conditions.borrow_mut().insert(name.to_string(), value);
        Ok(value)
    }

    /// A condition expression's truth.
    fn truth(&self, value: &Value, at: &str, depth: usize) -> Result<bool, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(TemplateError::at(at, "conditions nest too deep (a cycle?)"));
        }
        match self.resolve_opt(value, at, depth + 1)? {
            Some(Value::Bool(b)) => Ok(b),
            Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
            other => Err(TemplateError::at(
                at,
                format!("a condition must be true or false, not {}", show(&other)),
            )),
        }
    }

    fn resolve_opt(
        &self,
        value: &Value,
        at: &str,
        depth: usize,
    ) -> Result<Option<Value>, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(TemplateError::at(at, "intrinsic functions nest too deep"));
        }
        match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(v) = self.resolve_opt(item, &format!("{at}[{i}]"), depth + 1)? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().expect("one entry");
                if key == "Ref" || key.starts_with("Fn::") || key == "Condition" {
                    let at = format!("{at}.{key}");
                    return self.function(key, arg, &at, depth + 1);
                }
                self.object(map, at, depth)
            }
            Value::Object(map) => self.object(map, at, depth),
            other => Ok(Some(other.clone())),
        }
    }

    fn object(
        &self,
        map: &Map<String, Value>,
        at: &str,
        depth: usize,
    ) -> Result<Option<Value>, TemplateError> {
        let mut out = Map::with_capacity(map.len());
        for (k, v) in map {
            if let Some(v) = self.resolve_opt(v, &format!("{at}.{k}"), depth + 1)? {
                out.insert(k.clone(), v);
            }
        }
        Ok(Some(Value::Object(out)))
    }

    /// One intrinsic function; `None` for `AWS::NoValue`.
    fn function(
        &self,
        name: &str,
        arg: &Value,
        at: &str,
        depth: usize,
    ) -> Result<Option<Value>, TemplateError> {
        let arg_value = || -> Result<Value, TemplateError> {
            Ok(self.resolve_opt(arg, at, depth + 1)?.unwrap_or(Value::Null))
        };
        let out = match name {
            "Ref" => return self.reference(&text(&arg_value()?, at)?, at),
            "Condition" => Value::Bool(self.condition_at(&text(&arg_value()?, at)?, at, depth)?),
            "Fn::If" => return self.fn_if(arg, at, depth),
            "Fn::Sub" => Value::String(self.sub(arg, at, depth)?),
            "Fn::GetAtt" => self.get_att(&arg_value()?, at)?,
            "Fn::Join" => join(&arg_value()?, at)?,
            "Fn::Select" => select(&arg_value()?, at)?,
            "Fn::Split" => split(&arg_value()?, at)?,
            "Fn::FindInMap" => self.find_in_map(&arg_value()?, at)?,
            "Fn::Equals" => {
                let [a, b] = pair(&arg_value()?, at)?;
                Value::Bool(scalar_text(&a) == scalar_text(&b))
            }
            "Fn::Not" => {
                let items = list(arg, at)?;
                Value::Bool(!self.truth(items.first().unwrap_or(&Value::Null), at, depth)?)
            }
            "Fn::And" | "Fn::Or" => {
                let items = list(arg, at)?;
                let mut all = true;
                let mut any = false;
                for (i, item) in items.iter().enumerate() {
                    let t = self.truth(item, &format!("{at}[{i}]"), depth)?;
                    all &= t;
                    any |= t;
                }
                Value::Bool(if name == "Fn::And" { all } else { any })
            }
            "Fn::GetAZs" => Value::Array(
                ["a", "b", "c"]
                    .iter()
                    .map(|z| Value::String(format!("{}{z}", self.region)))
                    .collect(),
            ),
            "Fn::Base64" => Value::String(base64(text(&arg_value()?, at)?.as_bytes())),
            "Fn::ImportValue" => {
                return Err(TemplateError::at(
                    at,
                    format!(
                        "Fn::ImportValue {} names another stack's output, which apigw cannot know: \
                         put the value in a parameter and pass it with --parameter-overrides",
                        show(&Some(arg_value()?))
                    ),
                ))
            }
            other => {
                return Err(TemplateError::at(
                    at,
                    format!("the intrinsic function {other} is not supported"),
                ))
            }
        };
        Ok(Some(out))
    }

    fn reference(&self, name: &str, at: &str) -> Result<Option<Value>, TemplateError> {
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        if let Some(v) = self.parameters.get(name) {
            return Ok(Some(v.clone()));
        }
        if let Some(r) = self.resources.get(name) {
            return Ok(Some(r.reference.clone()));
        }
        Err(TemplateError::at(
            at,
            format!("`{name}` is no parameter, pseudo parameter or resource of the template"),
        ))
    }

    fn fn_if(&self, arg: &Value, at: &str, depth: usize) -> Result<Option<Value>, TemplateError> {
        let items = list(arg, at)?;
        let [cond, yes, no] = items.as_slice() else {
            return Err(TemplateError::at(
                at,
                "Fn::If takes [condition, value if true, value if false]",
            ));
        };
        let name = self.resolve(cond, at)?;
        let pick = if self.condition_at(&text(&name, at)?, at, depth)? {
            yes
        } else {
            no
        };
        self.resolve_opt(pick, at, depth + 1)
    }

    fn get_att(&self, arg: &Value, at: &str) -> Result<Value, TemplateError> {
        let (resource, attribute) = match arg {
            Value::String(s) => s
                .split_once('.')
                .map(|(r, a)| (r.to_string(), a.to_string())),
            Value::Array(items) if items.len() == 2 => {
                Some((text(&items[0], at)?, text(&items[1], at)?))
            }
            _ => None,
        }
        .ok_or_else(|| TemplateError::at(at, "Fn::GetAtt takes [Resource, Attribute]"))?;
        let values = self.resources.get(&resource).ok_or_else(|| {
            TemplateError::at(at, format!("`{resource}` is no resource of the template"))
        })?;
        if let Some(v) = values.attributes.get(&attribute) {
            return Ok(v.clone());
        }
        let placeholder = format!("{resource}.{attribute}");
        let mut seen = self.placeholders.borrow_mut();
        if !seen.contains(&placeholder) {
            seen.push(placeholder.clone());
        }
        Ok(Value::String(placeholder))
    }

    fn sub(&self, arg: &Value, at: &str, depth: usize) -> Result<String, TemplateError> {
        let (pattern, vars) = match arg {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Array(items) if items.len() == 2 => {
                let pattern = text(&items[0], at)?;
                let vars = match self.resolve_opt(&items[1], at, depth + 1)? {
                    Some(Value::Object(m)) => m,
                    _ => return Err(TemplateError::at(at, "Fn::Sub's second item is a mapping")),
                };
                (pattern, vars)
            }
            _ => {
                return Err(TemplateError::at(
                    at,
                    "Fn::Sub takes a string or [string, {variables}]",
                ))
            }
        };
        let mut out = String::with_capacity(pattern.len());
        let mut rest = pattern.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::at(at, "an unclosed `${` in Fn::Sub"))?;
            let name = after[..end].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = match vars.get(name) {
                    Some(v) => v.clone(),
                    None if name.contains('.') && !self.parameters.contains_key(name) => {
                        self.get_att(&Value::String(name.to_string()), at)?
                    }
                    None => self.reference(name, at)?.unwrap_or_default(),
                };
                out.push_str(&scalar_text(&value).ok_or_else(|| {
                    TemplateError::at(at, format!("`${{{name}}}` is not a string"))
                })?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn find_in_map(&self, arg: &Value, at: &str) -> Result<Value, TemplateError> {
        let items = list(arg, at)?;
        let [map, top, second] = items.as_slice() else {
            return Err(TemplateError::at(
                at,
                "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]",
            ));
        };
        let (map, top, second) = (text(map, at)?, text(top, at)?, text(second, at)?);
        self.mappings
            .get(&map)
            .and_then(|m| m.get(&top))
            .and_then(|m| m.get(&second))
            .cloned()
            .ok_or_else(|| TemplateError::at(at, format!("Mappings has no {map}.{top}.{second}")))
    }
}

/// A scalar as the string CloudFormation would put in its place.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text(value: &Value, at: &str) -> Result<String, TemplateError> {
    scalar_text(value).ok_or_else(|| {
        TemplateError::at(
            at,
            format!("expected a string, found {}", show(&Some(value.clone()))),
        )
    })
}

fn list<'v>(value: &'v Value, at: &str) -> Result<&'v Vec<Value>, TemplateError> {
    value
        .as_array()
        .ok_or_else(|| TemplateError::at(at, "expected a list"))
}

fn pair(value: &Value, at: &str) -> Result<[Value; 2], TemplateError> {
    match list(value, at)?.as_slice() {
        [a, b] => Ok([a.clone(), b.clone()]),
        _ => Err(TemplateError::at(at, "expected a list of two values")),
    }
}

fn join(arg: &Value, at: &str) -> Result<Value, TemplateError> {
    let [delimiter, items] = pair(arg, at)?;
    let delimiter = text(&delimiter, at)?;
    let parts = list(&items, at)?
        .iter()
        .map(|v| text(v, at))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::String(parts.join(&delimiter)))
}

fn select(arg: &Value, at: &str) -> Result<Value, TemplateError> {
    let [index, items] = pair(arg, at)?;
    let index: usize = text(&index, at)?
        .parse()
        .map_err(|_| TemplateError::at(at, "Fn::Select's index is a number"))?;
    list(&items, at)?
        .get(index)
        .cloned()
        .ok_or_else(|| TemplateError::at(at, format!("Fn::Select: no item {index}")))
}

fn split(arg: &Value, at: &str) -> Result<Value, TemplateError> {
    let [delimiter, source] = pair(arg, at)?;
    let delimiter = text(&delimiter, at)?;
    if delimiter.is_empty() {
        return Err(TemplateError::at(at, "Fn::Split's delimiter is empty"));
    }
    Ok(Value::Array(
        text(&source, at)?
            .split(delimiter.as_str())
            .map(|s| Value::String(s.to_string()))
            .collect(),
    ))
}

fn show(value: &Option<Value>) -> String {
    match value {
        None => "AWS::NoValue".into(),
        Some(v) => {
            let mut s = v.to_string();
            if s.len() > 80 {
                s.truncate(77);
                s.push_str("...");
            }
            s
        }
    }
}

/// Standard base64 with padding (Fn::Base64).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                out.push(ABC[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> Context {
        let mut c = Context {
            region: "eu-west-1".into(),
            ..Context::default()
        };
        c.parameters.insert("Env".into(), json!("prod"));
        c.parameters
            .insert("AWS::Region".into(), json!("eu-west-1"));
        c.condition_defs.insert(
            "IsProd".into(),
            json!({"Fn::Equals": [{"Ref": "Env"}, "prod"]}),
        );
        c.condition_defs.insert(
            "NotProd".into(),
            json!({"Fn::Not": [{"Condition": "IsProd"}]}),
        );
        c.mappings
            .insert("Sizes".into(), json!({"prod": {"Memory": 512}}));
        c.resources.insert(
            "Fn".into(),
            ResourceValues {
                reference: json!("Fn"),
                attributes: [(
                    "Arn".to_string(),
                    json!("arn:aws:lambda:eu-west-1:1:function:Fn"),
                )]
                .into(),
            },
        );
        c
    }

    #[test]
    fn sub_ref_getatt_if_and_friends() {
        let c = context();
        let r = |v: Value| c.resolve(&v, "X").expect("resolves");
        assert_eq!(
            r(json!({"Fn::Sub": "${Env}-${Fn.Arn}-${!Lit}"})),
            json!("prod-arn:aws:lambda:eu-west-1:1:function:Fn-${Lit}")
        );
        assert_eq!(
            r(json!({"Fn::Sub": ["${A}/${AWS::Region}", {"A": {"Ref": "Env"}}]})),
            json!("prod/eu-west-1")
        );
        assert_eq!(
            r(json!({"Fn::If": ["IsProd", "big", "small"]})),
            json!("big")
        );
        assert_eq!(
            r(json!({"Fn::If": ["NotProd", "big", "small"]})),
            json!("small")
        );
        assert_eq!(
            r(json!({"a": {"Fn::If": ["NotProd", 1, {"Ref": "AWS::NoValue"}]}, "b": 2})),
            json!({"b": 2})
        );
        assert_eq!(
            r(json!({"Fn::Join": ["-", ["a", {"Ref": "Env"}]]})),
            json!("a-prod")
        );
        assert_eq!(
            r(json!({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]})),
            json!("y")
        );
        assert_eq!(
            r(json!({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]})),
            json!(512)
        );
        assert_eq!(r(json!({"Fn::Base64": "hello"})), json!("aGVsbG8="));
        assert_eq!(
            r(json!({"Fn::GetAtt": ["Fn", "Arn"]})),
            json!("arn:aws:lambda:eu-west-1:1:function:Fn")
        );
    }

    #[test]
    fn mistakes_name_the_place() {
        let c = context();
        let err = c
            .resolve(&json!({"Ref": "Nope"}), "Resources.A.Properties.B")
            .expect_err("unknown");
        assert!(
            err.to_string()
                .starts_with("Resources.A.Properties.B.Ref: `Nope`"),
            "{err}"
        );
        let err = c
            .resolve(&json!({"x": {"Fn::ImportValue": "Shared"}}), "Resources.A")
            .expect_err("import");
        assert!(
            err.to_string().contains("Resources.A.x.Fn::ImportValue"),
            "{err}"
        );
        let mut c = context();
        c.condition_defs
            .insert("Loop".into(), json!({"Condition": "Loop"}));
        assert!(c.condition("Loop", "X").is_err());
    }
}
