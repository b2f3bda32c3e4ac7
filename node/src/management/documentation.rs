//! Documentation parts and versions (the API reference's
//! "DocumentationPart" and "DocumentationVersion" families):
//! `CreateDocumentationPart`, `GetDocumentationPart(s)`,
//! `UpdateDocumentationPart`, `DeleteDocumentationPart`,
//! `ImportDocumentationParts` (an OpenAPI document's
//! `x-amazon-apigateway-documentation`, read off the request threads) and
//! the version calls, kept on the API (`RestApi::documentation`) with
//! AWS's answers and messages.

use http::StatusCode;
use serde_json::{json, Value};

use super::operations::Op;
use super::patch::PatchOp;
use super::{
    bad_request, err, internal, not_found, ApiError, Call, Management, Outcome, Reply, Request,
};
use crate::model::documentation::{self, LOCATION_TYPES};
use crate::model::{DocumentationPart, DocumentationVersion, RestApi};

/// AWS's answer for a part that is not there.
pub(super) const NO_SUCH_PART: &str = "Invalid Documentation part identifier specified";
const NO_SUCH_VERSION: &str = "Invalid Documentation version identifier specified";

impl Management {
    /// Serves the documentation family's operations.
    pub(super) async fn documentation(&self, req: &Request<'_>) -> Reply {
        if req.op() == Op::ImportDocumentationParts {
            return self.import_documentation(req).await;
        }
        let id = req.param("restapi_id");
        let op = req.op();
        self.edit_api(id, req.method, req.body, |api, call| match op {
            Op::CreateDocumentationPart => create_part(api, call.input),
            Op::GetDocumentationParts => list_parts(api, req),
            Op::GetDocumentationPart => part_answer(api, req.param("part_id")),
            Op::UpdateDocumentationPart => update_part(api, req.param("part_id"), call.ops),
            Op::DeleteDocumentationPart => delete_part(api, req.param("part_id")),
            Op::CreateDocumentationVersion => create_version(api, call.input),
            Op::GetDocumentationVersions => list_versions(api, req),
            Op::GetDocumentationVersion => version_answer(api, req.param("doc_version")),
            Op::UpdateDocumentationVersion => update_version(api, req.param("doc_version"), call),
            Op::DeleteDocumentationVersion => delete_version(api, req.param("doc_version")),
            other => Err(req.not_served(other)),
        })
        .await
    }

    /// `ImportDocumentationParts`: the parts of the document's
    /// `x-amazon-apigateway-documentation`, replacing all parts
    /// (`mode=overwrite`) or those at the same locations (`merge`).
    async fn import_documentation(&self, req: &Request<'_>) -> Reply {
        let overwrite = match req.query("mode").unwrap_or("merge") {
            "overwrite" => true,
            "merge" => false,
            other => {
                return Err(bad_request(format!(
                    "Invalid mode {other}: merge or overwrite"
                )))
            }
        };
        let body = req.body.to_vec();
        let parts = tokio::task::spawn_blocking(move || parts_of_document(&body))
            .await
            .map_err(internal)??;
        self.edit_api(req.param("restapi_id"), req.method, b"", |api, _| {
            let docs = &mut api.documentation.parts;
            if overwrite {
                docs.clear();
            }
            let mut ids = Vec::with_capacity(parts.len());
            for part in &parts {
                docs.retain(|p| p.location != part.location);
                docs.push(part.clone());
                ids.push(part.id.clone());
            }
            done(StatusCode::OK, json!({ "ids": ids }), true)
        })
        .await
    }
}

/// The parts a document (JSON or YAML) declares, each with a fresh id (as
/// AWS gives parts imported again).
fn parts_of_document(body: &[u8]) -> Result<Vec<DocumentationPart>, ApiError> {
    let unreadable = || bad_request("Unable to build importer with provided input.");
    let text = std::str::from_utf8(body).map_err(|_| unreadable())?;
    let doc = crate::import::parse_document(text).map_err(|_| unreadable())?;
    let items = doc
        .pointer("/x-amazon-apigateway-documentation/documentationParts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    items
        .iter()
        .map(|item| {
            documentation::part_from_document(item, crate::ids::new_deployment_id())
                .map_err(bad_request)
        })
        .collect()
}

/// An answer; `changed` when the API must be written.
fn done(status: StatusCode, body: Value, changed: bool) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        status,
        body,
        changed,
    })
}

fn part_json(p: &DocumentationPart) -> Value {
    json!({"id": p.id, "location": p.location, "properties": p.properties})
}

fn find_part<'a>(api: &'a mut RestApi, id: &str) -> Result<&'a mut DocumentationPart, ApiError> {
    api.documentation
        .parts
        .iter_mut()
        .find(|p| p.id == id)
        .ok_or_else(|| not_found(NO_SUCH_PART))
}

fn create_part(api: &mut RestApi, input: &Value) -> Result<Outcome, ApiError> {
    let place = input.get("location").cloned().unwrap_or(Value::Null);
    let location = documentation::location(&place).map_err(|e| {
        err(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            format!("1 validation error detected: Value '{e}' at 'createDocumentationPartInput.location.type' failed to satisfy constraint: Member must satisfy enum value set: [{}]", LOCATION_TYPES.join(", ")),
        )
    })?;
    let properties = input
        .get("properties")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("Invalid properties: a JSON string is required"))?;
    if api
        .documentation
        .parts
        .iter()
        .any(|p| p.location == location)
    {
        return Err(err(
            StatusCode::CONFLICT,
            "ConflictException",
            "Documentation part already exists for the specified location",
        ));
    }
    let part = DocumentationPart {
        id: crate::ids::new_deployment_id(),
        location,
        properties: properties.to_string(),
    };
    let body = part_json(&part);
    api.documentation.parts.push(part);
    done(StatusCode::CREATED, body, true)
}

/// `GetDocumentationParts`, filtered by `type` and `path` as asked.
fn list_parts(api: &RestApi, req: &Request<'_>) -> Result<Outcome, ApiError> {
    let wanted = |p: &&DocumentationPart, key: &str, query: &str| {
        req.query(query)
            .is_none_or(|v| p.location.get(key).map(String::as_str) == Some(v))
    };
    let items = api
        .documentation
        .parts
        .iter()
        .filter(|p| wanted(p, "type", "type") && wanted(p, "path", "path"))
        .map(part_json)
        .collect();
    done(StatusCode::OK, req.page(items)?, false)
}

fn part_answer(api: &mut RestApi, id: &str) -> Result<Outcome, ApiError> {
    let part = find_part(api, id)?;
    done(StatusCode::OK, part_json(part), false)
}

/// `UpdateDocumentationPart`: only `replace /properties`, in AWS's words otherwise.
fn update_part(api: &mut RestApi, id: &str, ops: &[PatchOp]) -> Result<Outcome, ApiError> {
    let part = find_part(api, id)?;
    for op in ops {
        match (op.op.as_str(), op.path.as_str()) {
            ("replace", "/properties") => part.properties = op.value()?.to_string(),
            ("replace", path) => {
                return Err(bad_request(format!(
                    "Invalid patch path  '{path}' specified for op 'replace'. Must be one of: [/properties]"
                )))
            }
            (kind, path) => {
                return Err(bad_request(format!(
                    "Invalid patch path  '{path}' specified for op '{kind}'. Please choose supported operations"
                )))
            }
        }
    }
    let body = part_json(part);
    done(StatusCode::OK, body, true)
}

fn delete_part(api: &mut RestApi, id: &str) -> Result<Outcome, ApiError> {
    find_part(api, id)?;
    api.documentation.parts.retain(|p| p.id != id);
    done(StatusCode::ACCEPTED, json!({}), true)
}

// ---- versions ----

fn version_json(v: &DocumentationVersion) -> Value {
    let mut out = json!({"version": v.version, "createdDate": v.created_date});
    if let Some(d) = &v.description {
        out["description"] = json!(d);
    }
    out
}

fn create_version(api: &mut RestApi, input: &Value) -> Result<Outcome, ApiError> {
    let version = input
        .get("documentationVersion")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad_request("Documentation version is required"))?;
    crate::names::free_text("documentationVersion", version, 64)
        .map_err(|e| bad_request(e.to_string()))?;
    if api
        .documentation
        .versions
        .iter()
        .any(|v| v.version == version)
    {
        return Err(err(
            StatusCode::CONFLICT,
            "ConflictException",
            format!("Documentation version already exists: {version}"),
        ));
    }
    let created = DocumentationVersion {
        version: version.to_string(),
        description: input
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        created_date: crate::store::unix_now(),
    };
    let body = version_json(&created);
    api.documentation.versions.push(created);
    done(StatusCode::CREATED, body, true)
}

fn list_versions(api: &RestApi, req: &Request<'_>) -> Result<Outcome, ApiError> {
    let items = api
        .documentation
        .versions
        .iter()
        .map(version_json)
        .collect();
    done(StatusCode::OK, req.page(items)?, false)
}

fn find_version<'a>(
    api: &'a mut RestApi,
    version: &str,
) -> Result<&'a mut DocumentationVersion, ApiError> {
    api.documentation
        .versions
        .iter_mut()
        .find(|v| v.version == version)
        .ok_or_else(|| not_found(NO_SUCH_VERSION))
}

fn version_answer(api: &mut RestApi, version: &str) -> Result<Outcome, ApiError> {
    let found = find_version(api, version)?;
    done(StatusCode::OK, version_json(found), false)
}

/// `UpdateDocumentationVersion`: `/description` only.
fn update_version(api: &mut RestApi, version: &str, call: &Call) -> Result<Outcome, ApiError> {
    let found = find_version(api, version)?;
    for op in call.ops {
        match (op.sets(), op.path.as_str()) {
            (true, "/description") => {
                found.description = op.value.clone().filter(|d| !d.is_empty())
            }
            (false, "/description") => found.description = None,
            _ => return Err(op.unsupported()),
        }
    }
    let body = version_json(found);
    done(StatusCode::OK, body, true)
}

fn delete_version(api: &mut RestApi, version: &str) -> Result<Outcome, ApiError> {
    find_version(api, version)?;
    api.documentation.versions.retain(|v| v.version != version);
    done(StatusCode::ACCEPTED, json!({}), true)
}
