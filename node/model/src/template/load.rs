//! Template text (YAML with CloudFormation's short-form tags, or JSON) to
//! one JSON value in the long form: `!Ref X` is `{"Ref": "X"}`, `!Sub s`
//! is `{"Fn::Sub": s}`, `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`,
//! `!Condition C` is `{"Condition": "C"}`; every other `!Name` is
//! `{"Fn::Name": ...}`. The import limits (nesting depth) apply.

use serde_json::{json, Value};

use super::TemplateError;

/// The short-form tags CloudFormation defines; others are refused.
const TAGS: &[&str] = &[
    "Ref",
    "Condition",
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "Length",
    "ToJsonString",
];

/// Parses a template's text; errors give the line and column.
pub fn parse(text: &str) -> Result<Value, TemplateError> {
    crate::import::limits::check_text(text).map_err(|message| TemplateError::Syntax {
        line: 0,
        column: 0,
        message,
    })?;
    let doc = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| TemplateError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?
    } else {
        let value = crate::yaml::parse_value(text).map_err(syntax)?;
        crate::yaml::to_json(&value, &long_form).map_err(syntax)?
    };
    crate::import::limits::check_value(&doc).map_err(|message| TemplateError::Syntax {
        line: 0,
        column: 0,
        message,
    })?;
    if !doc.is_object() {
        return Err(TemplateError::at("(template)", "a template is a mapping"));
    }
    Ok(doc)
}

fn syntax(e: crate::yaml::YamlError) -> TemplateError {
    TemplateError::Syntax {
        line: e.line,
        column: e.column,
        message: e.message,
    }
}

/// One tagged node in its long form.
fn long_form(tag: &str, inner: Value) -> Result<Value, String> {
    let name = tag.strip_prefix('!').unwrap_or(tag);
    if !TAGS.contains(&name) {
        return Err(format!(
            "`{tag}` is not a CloudFormation intrinsic function"
        ));
    }
    Ok(match name {
        "Ref" | "Condition" => json!({ name: inner }),
        "GetAtt" => match inner {
            Value::String(s) => match s.split_once('.') {
                Some((resource, attribute)) => json!({"Fn::GetAtt": [resource, attribute]}),
                None => return Err(format!("`!GetAtt {s}`: give Resource.Attribute")),
            },
            other => json!({ "Fn::GetAtt": other }),
        },
        _ => json!({ format!("Fn::{name}"): inner }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_become_long_forms() {
        let doc = parse(
            "A: !Ref X\nB: !GetAtt F.Arn\nC: !Sub 'a${X}'\nD: !If [C, !Ref X, !Join ['', [a, b]]]\nE: !Condition C\n",
        )
        .expect("parses");
        assert_eq!(doc["A"], json!({"Ref": "X"}));
        assert_eq!(doc["B"], json!({"Fn::GetAtt": ["F", "Arn"]}));
        assert_eq!(doc["C"], json!({"Fn::Sub": "a${X}"}));
        assert_eq!(
            doc["D"],
            json!({"Fn::If": ["C", {"Ref": "X"}, {"Fn::Join": ["", ["a", "b"]]}]})
        );
        assert_eq!(doc["E"], json!({"Condition": "C"}));
    }

    #[test]
    fn unknown_tags_and_bad_yaml_name_the_place() {
        let err = parse("A: !Frobnicate X\n").expect_err("unknown tag");
        assert!(err.to_string().contains("!Frobnicate"), "{err}");
        let err = parse("Resources:\n  A:\n    Type: x\n   Properties: {}\n").expect_err("indent");
        assert!(err.to_string().contains("line 4"), "{err}");
    }
}
