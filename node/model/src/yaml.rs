//! The one place YAML is parsed and written. Every caller (the config file,
//! OpenAPI import and export, SAM/CloudFormation templates, simulator
//! scenarios, tests) goes through this module, so the parser behind it
//! (`serde_norway`, a maintained fork of serde_yaml 0.9 on a maintained
//! libyaml translation; see docs/yaml.md for the comparison) changes here
//! and nowhere else.
//!
//! What it does, whichever parser is behind it: YAML 1.2 scalars (`on`,
//! `yes`, `no` are strings; `true`/`false` booleans); anchors and aliases
//! expanded, with libyaml's repetition limit refusing alias bombs; merge
//! keys (`<<`) applied by [`to_json`]/[`parse_json`]; duplicate keys refused
//! with their line; integers beyond 64 bits refused with their line; tags
//! kept (`!Ref`) for the template loader, refused by [`to_json`].

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use serde_norway::{Deserializer, Error, Mapping, Value};

/// Parses YAML text into any deserializable type (no merge keys applied).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_norway::from_str(text)
}

/// Writes a value as YAML text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    serde_norway::to_string(value)
}

/// Where in the text a parse error is (1-based line and column), if known.
pub fn location(error: &Error) -> Option<(usize, usize)> {
    error.location().map(|l| (l.line(), l.column()))
}

/// A YAML document that could not become JSON: what and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// 1-based; 0 when the parser did not say.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl From<Error> for YamlError {
    fn from(e: Error) -> Self {
        let (line, column) = location(&e).unwrap_or((0, 0));
        YamlError {
            line,
            column,
            message: e.to_string(),
        }
    }
}

/// Parses YAML text into a YAML value with merge keys (`<<`) applied.
pub fn parse_value(text: &str) -> Result<Value, YamlError> {
    let mut value: Value = from_str(text)?;
    value.apply_merge().map_err(YamlError::from)?;
    Ok(value)
}

/// Parses YAML text into JSON: merge keys applied, tags refused.
pub fn parse_json(text: &str) -> Result<serde_json::Value, YamlError> {
    to_json(&parse_value(text)?, &|tag, _| {
        Err(format!(
            "the tag `{tag}` is not supported here (only in SAM/CloudFormation templates)"
        ))
    })
}

/// How [`to_json`] turns a tagged node (`!Ref X`) into JSON: given the tag
/// (with its `!`) and the node already converted.
pub type TagFn<'a> = dyn Fn(&str, serde_json::Value) -> Result<serde_json::Value, String> + 'a;

/// Converts a YAML value to JSON. Mapping keys that are scalars become
/// strings (`200:` is `"200"`); other keys are refused. Tagged nodes go
/// through `tag`.
pub fn to_json(value: &Value, tag: &TagFn<'_>) -> Result<serde_json::Value, YamlError> {
    let fail = |message: String| YamlError {
        line: 0,
        column: 0,
        message,
    };
    Ok(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => number(n),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(items) => serde_json::Value::Array(
            items
                .iter()
                .map(|i| to_json(i, tag))
                .collect::<Result<_, _>>()?,
        ),
        Value::Mapping(map) => {
            let mut out = serde_json::Map::with_capacity(map.len());
            for (k, v) in map {
                let key = key_text(k)
                    .ok_or_else(|| fail(format!("a mapping key must be a scalar, not {k:?}")))?;
                out.insert(key, to_json(v, tag)?);
            }
            serde_json::Value::Object(out)
        }
        Value::Tagged(tagged) => {
            let inner = to_json(&tagged.value, tag)?;
            tag(&tagged.tag.to_string(), inner).map_err(fail)?
        }
    })
}

fn number(n: &serde_norway::Number) -> serde_json::Value {
    if let Some(i) = n.as_i64() {
        i.into()
    } else if let Some(u) = n.as_u64() {
        u.into()
    } else {
        // NaN and the infinities have no JSON form: null, as serde_json does.
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("null".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let doc = parse_json("a: yes\nb: on\nc: no\nd: off\ne: true\non: 1\n").expect("parses");
        assert_eq!(
            doc,
            json!({"a": "yes", "b": "on", "c": "no", "d": "off", "e": true, "on": 1})
        );
    }

    #[test]
    fn anchors_and_merge_keys() {
        let doc = parse_json(
            "base: &b {k: 1, j: 2}\ncopy: *b\nder:\n  <<: *b\n  j: 3\nmany:\n  <<: [*b, {z: 9}]\n",
        )
        .expect("parses");
        assert_eq!(doc["copy"], json!({"k": 1, "j": 2}));
        assert_eq!(doc["der"], json!({"j": 3, "k": 1}));
        assert_eq!(doc["many"], json!({"k": 1, "j": 2, "z": 9}));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        let mut previous = 'a';
        for c in 'b'..='j' {
            let refs = vec![format!("*{previous}"); 10].join(",");
            text.push_str(&format!("{c}: &{c} [{refs}]\n"));
            previous = c;
        }
        let err = parse_json(&text).expect_err("a billion laughs");
        assert!(err.message.contains("repetition limit"), "{err}");
    }

    #[test]
    fn big_integers_and_duplicate_keys_are_refused_with_their_line() {
        let doc = parse_json("a: 12345678901234567890\nb: -9223372036854775808\n").expect("u64");
        assert_eq!(doc["a"], json!(12_345_678_901_234_567_890_u64));
        assert_eq!(doc["b"], json!(i64::MIN));
        let err = parse_json("x: 1\na: 99999999999999999999999\n").expect_err("over u64");
        assert_eq!(err.line, 2, "{err:?}");
        let err = parse_json("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert!(err.message.contains("duplicate"), "{err}");
    }

    #[test]
    fn scalar_keys_become_strings_and_tags_are_refused() {
        let doc = parse_json("responses:\n  200: {description: ok}\n  default: {}\n").expect("ok");
        assert!(doc["responses"]["200"].is_object());
        let err = parse_json("a: !Ref X\n").expect_err("tag");
        assert!(err.message.contains("!Ref"), "{err}");
    }

    #[test]
    fn tags_reach_the_tag_function() {
        let value = parse_value("a: !Ref X\nb: !GetAtt [F, Arn]\n").expect("parses");
        let doc = to_json(&value, &|tag, inner| Ok(json!({ tag: inner }))).expect("converts");
        assert_eq!(
            doc,
            json!({"a": {"!Ref": "X"}, "b": {"!GetAtt": ["F", "Arn"]}})
        );
    }
}
