//! Documentation parts and versions (`CreateDocumentationPart`,
//! `GetDocumentationPart(s)`, `UpdateDocumentationPart`,
//! `DeleteDocumentationPart`, and the same for versions), kept with the
//! API they document, with AWS's checks and messages. A version keeps a
//! copy of the parts as they were when it was made.

use std::collections::BTreeMap;

use http::{Method as Verb, StatusCode};
use serde_json::{json, Value};

use super::patch::PatchOp;
use super::{bad_request, err, not_found, page, ApiError, Call, Outcome};
use crate::model::documentation::{DocumentationLocation, DocumentationPart, DocumentationVersion};
use crate::model::RestApi;

/// The location types, in the order AWS's validation message lists them.
const LOCATION_TYPES: &[&str] = &[
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

/// AWS's answer to a part id the API does not have.
pub(super) const NO_SUCH_PART: &str = "Invalid Documentation part identifier specified";

fn outcome(status: StatusCode, body: Value, changed: bool) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        status,
        body,
        changed,
    })
}

/// The query members the documentation calls read.
pub(super) struct Query<'a> {
    pub position: Option<&'a str>,
    pub limit: Option<&'a str>,
    /// `ImportDocumentationParts`: `merge` (default) or `overwrite`.
    pub mode: Option<&'a str>,
}

/// Answers a call on `/restapis/{api}/documentation/{kind}/{rest...}`
/// (`body`: the raw body, for an import).
pub(super) fn call(
    api: &mut RestApi,
    kind: &str,
    rest: &[&str],
    call: &Call,
    query: &Query,
    body: &[u8],
) -> Result<Outcome, ApiError> {
    match (kind, call.verb, rest) {
        ("parts", &Verb::PUT, []) => import_parts(api, body, query.mode),
        ("parts", ..) => parts(api, rest, call, (query.position, query.limit)),
        ("versions", ..) => versions(api, rest, call, (query.position, query.limit)),
        _ => Err(not_found("Invalid documentation operation")),
    }
}

/// `ImportDocumentationParts`: the parts an OpenAPI document lists under
/// `x-amazon-apigateway-documentation`, added to (`merge`) or replacing
/// (`overwrite`) the API's.
fn import_parts(api: &mut RestApi, body: &[u8], mode: Option<&str>) -> Result<Outcome, ApiError> {
    let unusable = || bad_request("Unable to build importer with provided input.");
    let text = std::str::from_utf8(body).map_err(|_| unusable())?;
    let doc = crate::import::parse_document(text).map_err(|_| unusable())?;
    if doc.get("openapi").or_else(|| doc.get("swagger")).is_none() {
        return Err(unusable());
    }
    let listed = doc
        .pointer("/x-amazon-apigateway-documentation/documentationParts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut new = Vec::with_capacity(listed.len());
    for entry in &listed {
        let mut entry = entry.clone();
        if let Some(props) = entry.get("properties").filter(|p| p.is_object()) {
            entry["properties"] = json!(props.to_string());
        }
        new.push(new_part(&entry)?);
    }
    let docs = &mut api.documentation;
    match mode.unwrap_or("merge") {
        "overwrite" => docs.parts.clear(),
        "merge" => {}
        other => {
            return Err(bad_request(format!(
                "Invalid mode {other}: merge or overwrite"
            )))
        }
    }
    let mut ids = Vec::with_capacity(new.len());
    for part in new {
        // Merge replaces a part at the same location.
        docs.parts.retain(|_, p| p.location != part.location);
        let id = fresh_id(&docs.parts);
        docs.parts.insert(id.clone(), part);
        ids.push(id);
    }
    outcome(StatusCode::OK, json!({ "ids": ids }), true)
}

fn parts(
    api: &mut RestApi,
    rest: &[&str],
    call: &Call,
    (position, limit): (Option<&str>, Option<&str>),
) -> Result<Outcome, ApiError> {
    let docs = &mut api.documentation;
    match (call.verb, rest) {
        (&Verb::GET, []) => {
            let items = docs.parts.iter().map(|(id, p)| part_json(id, p)).collect();
            outcome(StatusCode::OK, page(items, position, limit)?, false)
        }
        (&Verb::POST, []) => {
            let part = new_part(call.input)?;
            let id = fresh_id(&docs.parts);
            let body = part_json(&id, &part);
            docs.parts.insert(id, part);
            outcome(StatusCode::CREATED, body, true)
        }
        (verb, [id]) => {
            let part = docs
                .parts
                .get_mut(*id)
                .ok_or_else(|| not_found(NO_SUCH_PART))?;
            match *verb {
                Verb::GET => outcome(StatusCode::OK, part_json(id, part), false),
                Verb::PATCH => {
                    for op in call.ops {
                        patch_part(part, op)?;
                    }
                    outcome(StatusCode::OK, part_json(id, part), true)
                }
                Verb::DELETE => {
                    docs.parts.remove(*id);
                    outcome(StatusCode::ACCEPTED, json!({}), true)
                }
                _ => Err(not_found("Invalid documentation operation")),
            }
        }
        _ => Err(not_found("Invalid documentation operation")),
    }
}

fn versions(
    api: &mut RestApi,
    rest: &[&str],
    call: &Call,
    (position, limit): (Option<&str>, Option<&str>),
) -> Result<Outcome, ApiError> {
    let docs = &mut api.documentation;
    let missing = || not_found("Invalid Documentation version specified");
    match (call.verb, rest) {
        (&Verb::GET, []) => {
            let items = docs
                .versions
                .iter()
                .map(|(name, v)| version_json(name, v))
                .collect();
            outcome(StatusCode::OK, page(items, position, limit)?, false)
        }
        (&Verb::POST, []) => {
            let text = |k: &str| call.input.get(k).and_then(Value::as_str);
            let name = text("documentationVersion").unwrap_or("");
            if name.is_empty() {
                return Err(bad_request("Documentation version must be non-empty"));
            }
            crate::names::free_text("documentationVersion", name, 64)
                .map_err(|e| bad_request(e.0))?;
            if docs.versions.contains_key(name) {
                return Err(err(
                    StatusCode::CONFLICT,
                    "ConflictException",
                    format!("Documentation version {name} already exists"),
                ));
            }
            let version = DocumentationVersion {
                description: text("description")
                    .filter(|d| !d.is_empty())
                    .map(String::from),
                created_date: crate::store::unix_now(),
                parts: docs.parts.clone(),
            };
            let body = version_json(name, &version);
            docs.versions.insert(name.to_string(), version);
            outcome(StatusCode::CREATED, body, true)
        }
        (verb, [name]) => {
            let version = docs.versions.get_mut(*name).ok_or_else(missing)?;
            match *verb {
                Verb::GET => outcome(StatusCode::OK, version_json(name, version), false),
                Verb::PATCH => {
                    for op in call.ops {
                        match (op.op.as_str(), op.path.as_str()) {
                            ("replace", "/description") => {
                                version.description = op.value.clone().filter(|d| !d.is_empty())
                            }
                            ("replace", _) => return Err(op.path_not_one_of("/description")),
                            _ => return Err(op.not_supported()),
                        }
                    }
                    outcome(StatusCode::OK, version_json(name, version), true)
                }
                Verb::DELETE => {
                    docs.versions.remove(*name);
                    outcome(StatusCode::ACCEPTED, json!({}), true)
                }
                _ => Err(not_found("Invalid documentation operation")),
            }
        }
        _ => Err(not_found("Invalid documentation operation")),
    }
}

/// A part from `CreateDocumentationPart`'s input: a location of a known
/// type (AWS's request layer refuses others) and JSON properties.
fn new_part(input: &Value) -> Result<DocumentationPart, ApiError> {
    let location = input.get("location").cloned().unwrap_or(json!({}));
    let kind = location.get("type").and_then(Value::as_str).unwrap_or("");
    if !LOCATION_TYPES.contains(&kind) {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            format!(
                "1 validation error detected: Value '{kind}' at 'createDocumentationPartInput.location.type' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                LOCATION_TYPES.join(", ")
            ),
        ));
    }
    let location: DocumentationLocation = serde_json::from_value(location)
        .map_err(|e| bad_request(format!("Invalid location: {e}")))?;
    let properties = input
        .get("properties")
        .and_then(Value::as_str)
        .unwrap_or("");
    check_properties(properties)?;
    Ok(DocumentationPart {
        location,
        properties: properties.to_string(),
    })
}

/// `properties` must be a JSON object.
fn check_properties(text: &str) -> Result<(), ApiError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(bad_request(
            "Invalid properties: the documentation properties must be a JSON object",
        )),
    }
}

/// `UpdateDocumentationPart`: `replace /properties` only.
fn patch_part(part: &mut DocumentationPart, op: &PatchOp) -> Result<(), ApiError> {
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/properties") => {
            let text = op.value.clone().unwrap_or_default();
            check_properties(&text)?;
            part.properties = text;
            Ok(())
        }
        ("replace", _) => Err(op.path_not_one_of("/properties")),
        _ => Err(op.not_supported()),
    }
}

/// A part id the API does not use yet.
fn fresh_id(parts: &BTreeMap<String, DocumentationPart>) -> String {
    loop {
        let id = crate::ids::new_deployment_id();
        if !parts.contains_key(&id) {
            return id;
        }
    }
}

fn part_json(id: &str, p: &DocumentationPart) -> Value {
    json!({"id": id, "location": p.location, "properties": p.properties})
}

fn version_json(name: &str, v: &DocumentationVersion) -> Value {
    let mut out = json!({"version": name, "createdDate": v.created_date});
    if let Some(d) = &v.description {
        out["description"] = json!(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_need_a_known_location_type_and_json_properties() {
        let e = new_part(&json!({"location": {"type": "INVALID"}, "properties": "{}"}));
        assert_eq!(e.err().map(|e| e.kind), Some("ValidationException"));
        let e = new_part(&json!({"location": {"type": "API"}, "properties": "not json"}));
        assert_eq!(e.err().map(|e| e.kind), Some("BadRequestException"));
        let part = new_part(
            &json!({"location": {"type": "METHOD", "path": "/pets", "method": "GET"},
            "properties": "{\"description\": \"x\"}"}),
        )
        .expect("part");
        let out = part_json("abc123", &part);
        assert_eq!(
            out["location"],
            json!({"type": "METHOD", "path": "/pets", "method": "GET"})
        );
    }

    #[test]
    fn only_replace_of_properties_is_a_part_update() {
        let mut part = DocumentationPart::default();
        let op = |op: &str, path: &str| PatchOp {
            op: op.into(),
            path: path.into(),
            value: Some("{\"a\": 1}".into()),
        };
        assert!(patch_part(&mut part, &op("replace", "/properties")).is_ok());
        let e = patch_part(&mut part, &op("add", "/properties")).err();
        assert!(e.is_some_and(|e| e.message.contains("Please choose supported operations")));
        let e = patch_part(&mut part, &op("replace", "/x")).err();
        assert!(e.is_some_and(|e| e.message.ends_with("Must be one of: [/properties]")));
    }
}
