//! An API's documentation as AWS keeps it: documentation parts (a location
//! in the API and properties for it, from `x-amazon-apigateway-documentation`
//! or `CreateDocumentationPart`) and documentation versions. apigw stores
//! and answers them; nothing in the data plane reads them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The documentation of one REST API.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Documentation {
    /// The parts, in the order they were made (AWS lists them so).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<DocumentationPart>,
    /// The versions, in the order they were made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<DocumentationVersion>,
}

impl Documentation {
    /// No parts and no versions (then the API's record leaves it out).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.versions.is_empty()
    }
}

/// One documentation part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentationPart {
    pub id: String,
    /// AWS's location: `type` and, as the type has them, `path`, `method`,
    /// `statusCode`, `name`.
    pub location: BTreeMap<String, String>,
    /// The properties: a JSON object, kept as the text AWS answers.
    pub properties: String,
}

/// One documentation version (a name for the parts as they were).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentationVersion {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Epoch seconds.
    pub created_date: u64,
}

/// The location types AWS knows, in the order its validation message
/// lists them.
pub const LOCATION_TYPES: &[&str] = &[
    "RESPONSE_BODY",
    "RESPONSE",
    "METHOD",
    "MODEL",
    "AUTHORIZER",
    "RESPONSE_HEADER",
    "RESOURCE",
    "PATH_PARAMETER",
    "REQUEST_BODY",
    "QUERY_PARAMETER",
    "API",
    "REQUEST_HEADER",
];

/// The location fields AWS keeps.
const LOCATION_FIELDS: &[&str] = &["type", "path", "method", "statusCode", "name"];

/// Why a location is refused: its type is not one of [`LOCATION_TYPES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownLocationType(pub String);

/// A location from its JSON form, as AWS stores it: the known fields that
/// are strings, and `path` set to `/` for the types that are in a path
/// when it is not given.
pub fn location(v: &serde_json::Value) -> Result<BTreeMap<String, String>, UnknownLocationType> {
    let mut out = BTreeMap::new();
    for field in LOCATION_FIELDS {
        if let Some(text) = v.get(*field).and_then(serde_json::Value::as_str) {
            out.insert((*field).to_string(), text.to_string());
        }
    }
    let kind = out.get("type").cloned().unwrap_or_default();
    if !LOCATION_TYPES.contains(&kind.as_str()) {
        return Err(UnknownLocationType(kind));
    }
    if !matches!(kind.as_str(), "API" | "MODEL" | "AUTHORIZER") {
        out.entry("path".into()).or_insert_with(|| "/".into());
    }
    Ok(out)
}

/// A part as an OpenAPI document's `x-amazon-apigateway-documentation`
/// writes it (`location` and `properties` objects), with id `id`.
pub fn part_from_document(
    item: &serde_json::Value,
    id: String,
) -> Result<DocumentationPart, String> {
    let place = item
        .get("location")
        .filter(|l| l.is_object())
        .ok_or("a documentation part needs a location")?;
    let location = location(place).map_err(|e| format!("unknown location type `{e}`"))?;
    let properties = match item.get("properties") {
        Some(p @ serde_json::Value::Object(_)) => p.to_string(),
        _ => return Err("a documentation part's properties must be an object".into()),
    };
    Ok(DocumentationPart {
        id,
        location,
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn locations_keep_known_fields_and_default_the_path() {
        let method = location(&json!({"type": "METHOD", "method": "GET", "extra": "x"}));
        assert_eq!(
            method.ok(),
            Some(BTreeMap::from([
                ("method".to_string(), "GET".to_string()),
                ("path".to_string(), "/".to_string()),
                ("type".to_string(), "METHOD".to_string()),
            ]))
        );
        let api = location(&json!({"type": "API"})).expect("api");
        assert_eq!(api.len(), 1);
        assert_eq!(
            location(&json!({"type": "INVALID"})),
            Err(UnknownLocationType("INVALID".into()))
        );
    }
}
