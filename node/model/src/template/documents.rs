//! The documents a template names instead of holding them: `Fn::Transform:
//! AWS::Include` (a local `Location`), `DefinitionUri`, `BodyS3Location`,
//! read through the caller's [`Files`](super::Files).

use serde_json::Value;

use super::{TemplateError, Translator};

/// Replaces `{"Fn::Transform": {"Name": "AWS::Include", "Parameters":
/// {"Location": file}}}` with the file's contents (a local path).
pub fn include(t: &Translator<'_>, value: &Value, at: &str) -> Result<Value, TemplateError> {
    let Some(transform) = value
        .get("Fn::Transform")
        .filter(|_| value.as_object().is_some_and(|m| m.len() == 1))
    else {
        return Ok(value.clone());
    };
    let at = format!("{at}.Fn::Transform");
    if transform.get("Name").and_then(Value::as_str) != Some("AWS::Include") {
        return Err(TemplateError::at(
            &at,
            "only the AWS::Include transform is supported",
        ));
    }
    let location = transform
        .pointer("/Parameters/Location")
        .map(|l| t.ctx.resolve(l, &at))
        .transpose()?
        .and_then(|l| l.as_str().map(str::to_string))
        .ok_or_else(|| TemplateError::at(&at, "Parameters.Location names a file"))?;
    let text = t
        .files
        .read(&local_path(&location))
        .map_err(|e| TemplateError::at(&at, e))?;
    super::load::parse(&text)
        .map_err(|e| TemplateError::at(&format!("{at} ({location})"), e.to_string()))
}

/// `s3://bucket/key` or a path: the local file it stands for.
fn local_path(location: &str) -> String {
    location
        .strip_prefix("s3://")
        .map_or_else(|| location.to_string(), str::to_string)
}

/// An OpenAPI document named by a path, `s3://` URI, or `{Bucket, Key}`:
/// `Key` relative to the template, else `Bucket/Key`.
pub fn read_document(
    t: &Translator<'_>,
    location: &Value,
    at: &str,
) -> Result<Value, TemplateError> {
    let candidates: Vec<String> = match location {
        Value::String(s) => vec![local_path(s)],
        Value::Object(m) => {
            let bucket = m.get("Bucket").and_then(Value::as_str).unwrap_or_default();
            let key = m
                .get("Key")
                .and_then(Value::as_str)
                .ok_or_else(|| TemplateError::at(at, "give Bucket and Key"))?;
            vec![key.to_string(), format!("{bucket}/{key}")]
        }
        _ => return Err(TemplateError::at(at, "a file path or {Bucket, Key}")),
    };
    let mut why = String::new();
    for path in &candidates {
        match t.files.read(path) {
            Ok(text) => {
                return crate::import::parse_document(&text)
                    .map_err(|e| TemplateError::at(&format!("{at} ({path})"), e.to_string()))
            }
            Err(e) => why = e,
        }
    }
    Err(TemplateError::at(
        at,
        format!("no local file {}: {why}", candidates.join(" or ")),
    ))
}
