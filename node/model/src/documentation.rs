//! An API's documentation as AWS keeps it apart from the definition:
//! documentation parts (a JSON `properties` text attached to one place of
//! the API: the API itself, a resource, a method, a parameter, a response,
//! a model...) and documentation versions (named snapshots of the parts).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The documentation of one API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Documentation {
    /// Parts by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, DocumentationPart>,
    /// Versions by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub versions: BTreeMap<String, DocumentationVersion>,
}

impl Documentation {
    /// Whether there is nothing (the API's JSON then leaves it out).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.versions.is_empty()
    }
}

/// One documentation part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DocumentationPart {
    pub location: DocumentationLocation,
    /// A JSON text, as the caller gave it.
    pub properties: String,
}

/// Where a documentation part is attached; members not given stay unset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DocumentationLocation {
    /// `API`, `RESOURCE`, `METHOD`, `MODEL`, `REQUEST_BODY`, ...
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A named documentation version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DocumentationVersion {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Epoch seconds.
    pub created_date: u64,
    /// The parts as they were when the version was made.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, DocumentationPart>,
}
