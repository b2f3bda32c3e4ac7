//! REST APIs (the API reference's "RestApi" family): `CreateRestApi`,
//! `ImportRestApi`, `PutRestApi` (merge or overwrite), `GetRestApi(s)`,
//! `UpdateRestApi`, `DeleteRestApi`, and apigw's own whole-definition read
//! and write (`?apigwDefinition=true`, for `apigw diff` and `apigw apply`).

use http::StatusCode;
use serde_json::{json, Value};

use super::operations::Op;
use super::{
    bad_request, check_name, internal, patch, ApiError, Management, Outcome, Reply, Request,
};
use crate::control::ControlCommand;
use crate::import::{self, ImportOptions};
use crate::model::RestApi;

impl Management {
    /// Serves the REST API family's operations.
    pub(super) async fn rest_apis(&self, req: &Request<'_>) -> Reply {
        let id = req.param("restapi_id");
        let options = || import_options(req.query("failonwarnings"), req.query("basepath"));
        match req.op() {
            Op::ImportRestApi => {
                self.import_api(None, "overwrite", options()?, req.body)
                    .await
            }
            Op::CreateRestApi => self.create_api(req.body).await,
            Op::GetRestApis => {
                let apis = self.store.list_apis().map_err(internal)?;
                let items = apis.iter().map(api_json).collect();
                Ok((StatusCode::OK, req.page(items)?))
            }
            Op::GetRestApiDefinition => Ok((StatusCode::OK, json!(self.api(id)?))),
            Op::PutRestApiDefinition => self.put_definition(id, req.body).await,
            Op::GetRestApi => Ok((StatusCode::OK, api_json(&self.api(id)?))),
            Op::PutRestApi => {
                self.api(id)?;
                let mode = req.query("mode").unwrap_or("merge");
                self.import_api(Some(id), mode, options()?, req.body).await
            }
            Op::UpdateRestApi => {
                self.edit_api(id, req.method, req.body, |api, call| {
                    for op in call.ops {
                        patch_api(api, op)?;
                    }
                    Ok(Outcome {
                        status: StatusCode::OK,
                        body: api_json(api),
                        changed: true,
                    })
                })
                .await
            }
            Op::DeleteRestApi => {
                self.api(id)?;
                self.write(ControlCommand::DeleteApi(id.to_string()))
                    .await?;
                Ok((StatusCode::ACCEPTED, json!({})))
            }
            other => Err(req.not_served(other)),
        }
    }

    pub(super) async fn create_api(&self, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let name = input
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("name is required"))?;
        check_name(crate::names::free_text("name", name, 1024))?;
        if let Some(description) = input.get("description").and_then(Value::as_str) {
            check_name(crate::names::free_text("description", description, 1024))?;
        }
        super::tags::tags_of(input.get("tags"))?;
        let doc = json!({"openapi": "3.0.1", "info": {"title": name, "description": input.get("description")}, "paths": {}});
        let options = ImportOptions {
            api_id: crate::ids::new_api_id(),
            max_integration_timeout_ms: self.max_integration_timeout_ms,
        };
        let imported = import::import(&doc, &options).map_err(|e| bad_request(e.to_string()))?;
        let api = imported.api;
        self.write(ControlCommand::PutApi(Box::new(api.clone())))
            .await?;
        self.tag_new(format!("/restapis/{}", api.id), input.get("tags"))
            .await?;
        Ok((StatusCode::CREATED, api_json(&api)))
    }

    pub(super) async fn import_api(
        &self,
        id: Option<&str>,
        mode: &str,
        options: (bool, BasePath),
        body: &[u8],
    ) -> Reply {
        let (fail_on_warnings, base_path) = options;
        let creating = id.is_none();
        let existing = match id {
            Some(id) => Some(self.api(id)?),
            None => None,
        };
        let options = ImportOptions {
            api_id: id.map_or_else(crate::ids::new_api_id, str::to_string),
            max_integration_timeout_ms: self.max_integration_timeout_ms,
        };
        let imported = import_off_thread(body.to_vec(), base_path, options).await?;
        if fail_on_warnings && !imported.warnings.is_empty() {
            return Err(bad_request(format!(
                "Warnings found during import:\n{}",
                import::Finding::list(&imported.warnings)
            )));
        }
        let mut api = imported.api;
        if let (Some(old), "merge") = (existing, mode) {
            // Merge keeps what the new definition does not mention.
            let mut merged = old;
            merged.resources.extend(api.resources);
            merged.models.extend(api.models);
            merged.gateway_responses.extend(api.gateway_responses);
            merged.request_validators.extend(api.request_validators);
            merged.authorizers.extend(api.authorizers);
            api = merged;
        } else if !matches!(mode, "overwrite" | "merge") {
            return Err(bad_request(format!(
                "mode `{mode}` is not merge or overwrite"
            )));
        }
        self.write(ControlCommand::PutApi(Box::new(api.clone())))
            .await?;
        // AWS: an import creates (201), a put replaces (200).
        let status = if creating {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let mut out = api_json(&api);
        if !imported.warnings.is_empty() {
            out["warnings"] = json!(imported
                .warnings
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>());
        }
        Ok((status, out))
    }

    /// Stores a whole definition under `id` (created if missing); tags stay.
    pub(super) async fn put_definition(&self, id: &str, body: &[u8]) -> Reply {
        let api: RestApi = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("not an apigw API definition: {e}")))?;
        if api.id != id {
            return Err(bad_request(format!(
                "the definition is API {}, not {id}",
                api.id
            )));
        }
        check_name(crate::names::api_id(id))?;
        check_name(check_definition(&api))?;
        let existing = self.store.get_api(id).map_err(internal)?;
        self.write(ControlCommand::PutApi(Box::new(api.clone())))
            .await?;
        let status = if existing.is_some() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        Ok((status, api_json(&api)))
    }
}

/// Parses and imports a document on tokio's blocking pool, never on the
/// thread that serves requests: a large document takes a while, and the
/// listener keeps answering meanwhile.
pub(super) async fn import_off_thread(
    body: Vec<u8>,
    base_path: BasePath,
    options: ImportOptions,
) -> Result<import::Imported, ApiError> {
    let work = move || {
        let text =
            std::str::from_utf8(&body).map_err(|_| bad_request("the definition is not UTF-8"))?;
        let mut doc = import::parse_document(text).map_err(|e| bad_request(e.to_string()))?;
        apply_base_path(&mut doc, base_path);
        import::import(&doc, &options).map_err(|e| bad_request(e.to_string()))
    };
    tokio::task::spawn_blocking(work).await.map_err(internal)?
}

/// The names a whole stored definition carries (`PUT ?apigwDefinition`):
/// resource paths and model names, as an import would check them.
pub(super) fn check_definition(api: &RestApi) -> Result<(), crate::names::NameError> {
    crate::names::free_text("name", &api.name, 1024)?;
    for path in api.resources.keys() {
        crate::names::resource_path(path)?;
    }
    for model in api.models.keys() {
        crate::names::model_name(model)?;
    }
    Ok(())
}

/// One `UpdateRestApi` operation.
pub(super) fn patch_api(api: &mut RestApi, op: &patch::PatchOp) -> Result<(), ApiError> {
    let parts = patch::segments(&op.path);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match (op.sets(), parts.as_slice()) {
        (true, ["name"]) => api.name = op.value()?.to_string(),
        (true, ["description"]) => api.description = op.value.clone(),
        (true, ["version"]) => api.version = op.value.clone(),
        (true, ["apiKeySource"]) => {
            let source = op.value()?;
            if !matches!(source, "HEADER" | "AUTHORIZER") {
                return Err(bad_request("apiKeySource must be HEADER or AUTHORIZER"));
            }
            api.api_key_source = Some(source.to_string());
        }
        (true, ["minimumCompressionSize"]) => api.minimum_compression_size = Some(op.number()?),
        (false, ["minimumCompressionSize"]) => api.minimum_compression_size = None,
        (true, ["binaryMediaTypes", media]) => {
            if !api.binary_media_types.iter().any(|m| m == media) {
                api.binary_media_types.push(media.to_string());
            }
        }
        (false, ["binaryMediaTypes", media]) => api.binary_media_types.retain(|m| m != media),
        (true, ["endpointConfiguration", "types", _]) => {
            api.endpoint_type = match op.value()? {
                "EDGE" => crate::model::EndpointType::Edge,
                "REGIONAL" => crate::model::EndpointType::Regional,
                "PRIVATE" => crate::model::EndpointType::Private,
                other => return Err(bad_request(format!("Invalid endpoint type {other}"))),
            }
        }
        (true, ["policy"]) => {
            api.policy = Some(
                serde_json::from_str(op.value()?)
                    .map_err(|e| bad_request(format!("the policy is not JSON: {e}")))?,
            )
        }
        (false, ["policy"]) => api.policy = None,
        _ => return Err(op.unsupported()),
    }
    Ok(())
}

/// `basepath` of an import: what to do with the document's base path
/// (Swagger `basePath`, or the path of OpenAPI's first server URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BasePath {
    /// Leave the paths as they are (AWS's default).
    Ignore,
    /// Put the base path in front of every path.
    Prepend,
    /// Put all but the base path's first segment in front of every path.
    Split,
}

pub(super) fn import_options(
    fail: Option<&str>,
    base: Option<&str>,
) -> Result<(bool, BasePath), ApiError> {
    let fail = match fail {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(bad_request(format!("Invalid failonwarnings value {other}"))),
    };
    let base = match base {
        None | Some("ignore") => BasePath::Ignore,
        Some("prepend") => BasePath::Prepend,
        Some("split") => BasePath::Split,
        Some(other) => {
            return Err(bad_request(format!(
                "Invalid basepath value {other}: ignore, prepend or split"
            )))
        }
    };
    Ok((fail, base))
}

/// Rewrites the document's paths for `basepath=prepend|split`.
pub(super) fn apply_base_path(doc: &mut Value, how: BasePath) {
    if how == BasePath::Ignore {
        return;
    }
    let base = doc
        .get("basePath")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            let url = doc.pointer("/servers/0/url")?.as_str()?;
            let path = match url.split_once("://") {
                Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
                None => url,
            };
            Some(path.to_string())
        })
        .unwrap_or_default();
    let mut segments: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    if how == BasePath::Split && !segments.is_empty() {
        segments.remove(0);
    }
    if segments.is_empty() {
        return;
    }
    let prefix = format!("/{}", segments.join("/"));
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        let old = std::mem::take(paths);
        for (path, item) in old {
            let joined = if path == "/" {
                prefix.clone()
            } else {
                format!("{prefix}{path}")
            };
            paths.insert(joined, item);
        }
    }
}

pub(super) fn api_json(api: &RestApi) -> Value {
    json!({
        "id": api.id,
        "name": api.name,
        "description": api.description,
        "version": api.version,
        "binaryMediaTypes": api.binary_media_types,
        "apiKeySource": api.api_key_source.clone().unwrap_or_else(|| "HEADER".into()),
        "endpointConfiguration": {"types": [serde_json::to_value(api.endpoint_type).unwrap_or(json!("EDGE"))]},
        "disableExecuteApiEndpoint": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_are_prepended_or_split_as_asked() {
        let doc =
            || json!({"swagger": "2.0", "basePath": "/v1/shop", "paths": {"/": {}, "/pets": {}}});
        let paths = |d: &Value| {
            let mut p: Vec<String> = d["paths"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            p.sort();
            p
        };
        let mut d = doc();
        apply_base_path(&mut d, BasePath::Ignore);
        assert_eq!(paths(&d), ["/", "/pets"]);
        let mut d = doc();
        apply_base_path(&mut d, BasePath::Prepend);
        assert_eq!(paths(&d), ["/v1/shop", "/v1/shop/pets"]);
        let mut d = doc();
        apply_base_path(&mut d, BasePath::Split);
        assert_eq!(paths(&d), ["/shop", "/shop/pets"]);
        let mut oas = json!({"openapi": "3.0.1", "servers": [{"url": "https://x.example/api"}], "paths": {"/a": {}}});
        apply_base_path(&mut oas, BasePath::Prepend);
        assert_eq!(paths(&oas), ["/api/a"]);
        assert!(import_options(Some("maybe"), None).is_err());
        assert!(import_options(None, Some("sideways")).is_err());
        assert_eq!(
            import_options(Some("true"), Some("split")).ok(),
            Some((true, BasePath::Split))
        );
    }
}
