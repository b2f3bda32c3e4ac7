//! A template's `Parameters`: defaults, `--parameter-overrides` as SAM CLI
//! takes them (`Key=Value` words, or `ParameterKey=K,ParameterValue=V`),
//! `AllowedValues`, `AllowedPattern`, the list types, and the pseudo
//! parameters (`AWS::Region`, `AWS::AccountId`, `AWS::StackName`...).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Inputs, TemplateError};

/// Splits `--parameter-overrides` words into keys and values.
pub fn parse_overrides(words: &[String]) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut out = BTreeMap::new();
    for word in words.iter().flat_map(|w| split_words(w)) {
        let (key, value) = if let Some(rest) = word.strip_prefix("ParameterKey=") {
            let (key, value) = rest.split_once(",ParameterValue=").ok_or_else(|| {
                TemplateError::at(
                    "--parameter-overrides",
                    format!("`{word}`: give ParameterKey=K,ParameterValue=V"),
                )
            })?;
            (key.to_string(), value.to_string())
        } else {
            let (key, value) = word.split_once('=').ok_or_else(|| {
                TemplateError::at("--parameter-overrides", format!("`{word}`: give Key=Value"))
            })?;
            (key.to_string(), value.to_string())
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// One argument may hold several `K=V` words (`"A=1 B=2"`, as SAM's
/// samconfig.toml writes them); double quotes keep spaces in a value.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The values `Ref` gives for every parameter and pseudo parameter.
pub fn values(
    declared: Option<&Map<String, Value>>,
    inputs: &Inputs,
) -> Result<BTreeMap<String, Value>, TemplateError> {
    let mut out = pseudo(inputs);
    let empty = Map::new();
    let declared = declared.unwrap_or(&empty);
    for key in inputs.overrides.keys() {
        if !declared.contains_key(key) {
            return Err(TemplateError::at(
                "--parameter-overrides",
                format!("the template declares no parameter `{key}`"),
            ));
        }
    }
    for (name, spec) in declared {
        let at = format!("Parameters.{name}");
        let given = inputs.overrides.get(name).cloned();
        let default = spec.get("Default").and_then(super::intrinsics::scalar_text);
        let raw = given.or(default).ok_or_else(|| {
            TemplateError::at(
                &at,
                "has no Default: pass it with --parameter-overrides NAME=VALUE",
            )
        })?;
        check(spec, &raw, &at)?;
        let kind = spec.get("Type").and_then(Value::as_str).unwrap_or("String");
        let value = if kind.starts_with("List<") || kind == "CommaDelimitedList" {
            Value::Array(
                raw.split(',')
                    .map(|s| Value::String(s.trim().to_string()))
                    .collect(),
            )
        } else {
            if kind == "Number" && raw.trim().parse::<f64>().is_err() {
                return Err(TemplateError::at(&at, format!("`{raw}` is not a number")));
            }
            Value::String(raw)
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

fn check(spec: &Value, raw: &str, at: &str) -> Result<(), TemplateError> {
    if let Some(allowed) = spec.get("AllowedValues").and_then(Value::as_array) {
        let allowed: Vec<String> = allowed
            .iter()
            .filter_map(super::intrinsics::scalar_text)
            .collect();
        if !allowed.iter().any(|a| a == raw) {
            return Err(TemplateError::at(
                at,
                format!("`{raw}` is not one of {}", allowed.join(", ")),
            ));
        }
    }
    if let Some(pattern) = spec.get("AllowedPattern").and_then(Value::as_str) {
        let re = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| TemplateError::at(at, format!("AllowedPattern: {e}")))?;
        if !re.is_match(raw) {
            return Err(TemplateError::at(
                at,
                format!("the value does not match AllowedPattern {pattern}"),
            ));
        }
    }
    Ok(())
}

fn pseudo(inputs: &Inputs) -> BTreeMap<String, Value> {
    let s = |v: &str| Value::String(v.to_string());
    [
        ("AWS::Region", s(&inputs.region)),
        ("AWS::AccountId", s(&inputs.account_id)),
        ("AWS::StackName", s(&inputs.stack_name)),
        (
            "AWS::StackId",
            s(&format!(
                "arn:aws:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                inputs.region, inputs.account_id, inputs.stack_name
            )),
        ),
        ("AWS::Partition", s("aws")),
        ("AWS::URLSuffix", s("amazonaws.com")),
        ("AWS::NotificationARNs", Value::Array(Vec::new())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overrides_in_both_of_sams_forms() {
        let words = vec![
            "Env=prod Size=\"a b\"".to_string(),
            "ParameterKey=Other,ParameterValue=x=y".to_string(),
        ];
        let o = parse_overrides(&words).expect("parses");
        assert_eq!(o["Env"], "prod");
        assert_eq!(o["Size"], "a b");
        assert_eq!(o["Other"], "x=y");
        assert!(parse_overrides(&["nothing".to_string()]).is_err());
    }

    #[test]
    fn defaults_overrides_and_checks() {
        let declared = json!({
            "Env": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
            "Count": {"Type": "Number", "Default": 3},
            "Names": {"Type": "CommaDelimitedList", "Default": "a, b"},
        });
        let mut inputs = Inputs::default();
        let v = values(declared.as_object(), &inputs).expect("defaults");
        assert_eq!(v["Env"], json!("dev"));
        assert_eq!(v["Count"], json!("3"));
        assert_eq!(v["Names"], json!(["a", "b"]));
        inputs.overrides.insert("Env".into(), "prod".into());
        assert_eq!(
            values(declared.as_object(), &inputs).expect("ok")["Env"],
            json!("prod")
        );
        inputs.overrides.insert("Env".into(), "qa".into());
        let err = values(declared.as_object(), &inputs).expect_err("not allowed");
        assert!(err.to_string().starts_with("Parameters.Env"), "{err}");
        inputs.overrides.clear();
        inputs.overrides.insert("Nope".into(), "1".into());
        assert!(values(declared.as_object(), &inputs).is_err());
    }
}
