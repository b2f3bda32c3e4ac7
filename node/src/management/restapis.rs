//! REST APIs (the API reference's "RestApi" family): `CreateRestApi`,
//! `ImportRestApi`, `PutRestApi` (merge or overwrite), `GetRestApi(s)`,
//! `UpdateRestApi`, `DeleteRestApi`, and apigw's own whole-definition read
//! and write (`?apigwDefinition=true`, for `apigw diff` and `apigw apply`).

mod checks;

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
                let mut apis = self.store.list_apis().map_err(internal)?;
                // In the order they were made.
                apis.sort_by_key(|a| (a.created_date, a.created_micros));
                let mut items = Vec::with_capacity(apis.len());
                for api in &apis {
                    let mut item = api_json(api);
                    let tags = self.api_tags(&api.id)?;
                    if !tags.is_empty() {
                        item["tags"] = json!(tags);
                    }
                    items.push(item);
                }
                Ok((StatusCode::OK, req.page(items)?))
            }
            Op::GetRestApiDefinition => Ok((StatusCode::OK, json!(self.api(id)?))),
            Op::PutRestApiDefinition => self.put_definition(id, req.body).await,
            Op::GetRestApi => {
                let mut out = api_json(&self.api(id)?);
                out["tags"] = json!(self.api_tags(id)?);
                Ok((StatusCode::OK, out))
            }
            Op::PutRestApi => {
                let mode = req.query("mode").unwrap_or("merge");
                self.import_api(Some(id), mode, options()?, req.body).await
            }
            Op::UpdateRestApi => {
                let tags = self.api_tags(id)?;
                self.edit_api(id, req.method, req.body, |api, call| {
                    for op in call.ops {
                        patch_api(api, op)?;
                    }
                    let mut body = api_json(api);
                    body["tags"] = json!(tags);
                    Ok(Outcome {
                        status: StatusCode::OK,
                        body,
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

    /// The tags on REST API `id`.
    fn api_tags(&self, id: &str) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
        self.store
            .get_tags(&format!("/restapis/{id}"))
            .map_err(internal)
    }

    pub(super) async fn create_api(&self, body: &[u8]) -> Reply {
        let input: Value = serde_json::from_slice(body)
            .map_err(|e| bad_request(format!("the body is not JSON: {e}")))?;
        let name = input
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("name is required"))?;
        checks::create(&input)?;
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
        let mut api = imported.api;
        api.created_date = Some(crate::store::unix_now());
        api.created_micros = unix_micros();
        super::definitions::add_default_models(&mut api);
        api.disable_execute_api_endpoint = input
            .get("disableExecuteApiEndpoint")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(types) = input.pointer("/endpointConfiguration/types") {
            api.endpoint_type = endpoint_type(types)?;
        }
        api.ip_address_type = input
            .pointer("/endpointConfiguration/ipAddressType")
            .and_then(Value::as_str)
            .map(str::to_string);
        api.version = input
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(source) = input.get("apiKeySource").and_then(Value::as_str) {
            api.api_key_source = Some(api_key_source(source)?);
        }
        if let Some(Value::Array(types)) = input.get("binaryMediaTypes") {
            api.binary_media_types = types
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
        }
        if let Some(size) = input.get("minimumCompressionSize").filter(|v| !v.is_null()) {
            let size = size.as_u64().filter(|n| *n <= 10_485_760);
            api.minimum_compression_size = Some(size.ok_or_else(|| {
                bad_request("Invalid minimum compression size, must be between 0 and 10485760")
            })?);
        }
        if let Some(policy) = input.get("policy").and_then(Value::as_str) {
            api.policy = Some(policy_of(policy)?);
        }
        self.write(ControlCommand::PutApi(Box::new(api.clone())))
            .await?;
        let resource = format!("/restapis/{}", api.id);
        self.tag_new(resource.clone(), input.get("tags")).await?;
        let mut out = api_json(&api);
        let tags = self.store.get_tags(&resource).map_err(internal)?;
        if !tags.is_empty() {
            out["tags"] = json!(tags);
        }
        Ok((StatusCode::CREATED, out))
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
        let options = ImportOptions {
            api_id: id.map_or_else(crate::ids::new_api_id, str::to_string),
            max_integration_timeout_ms: self.max_integration_timeout_ms,
        };
        // AWS reads the document before it looks the API up: a bad file
        // is a 400 even for an API that does not exist.
        let imported = import_off_thread(body.to_vec(), base_path, options).await?;
        let existing = match id {
            Some(id) => Some(self.api(id)?),
            None => None,
        };
        if fail_on_warnings && !imported.warnings.is_empty() {
            return Err(bad_request(format!(
                "Warnings found during import:\n{}",
                import::Finding::list(&imported.warnings)
            )));
        }
        let mut api = imported.api;
        api.created_date = Some(crate::store::unix_now());
        api.created_micros = unix_micros();
        if let Some(old) = existing {
            let text = String::from_utf8_lossy(body);
            let keeps_endpoint = !text.contains("x-amazon-apigateway-endpoint-configuration");
            api = put_over(old, api, mode, keeps_endpoint)?;
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
        if !creating {
            out["tags"] = json!(self.api_tags(&api.id)?);
        }
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
        let mut api: RestApi = serde_json::from_slice(body)
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
        api.created_date = existing
            .as_ref()
            .and_then(|e| e.created_date)
            .or(api.created_date)
            .or_else(|| Some(crate::store::unix_now()));
        if let Some(old) = &existing {
            api.created_micros = old.created_micros;
        }
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

/// What a put of `new` over `old` stores. Both modes keep what belongs to
/// the API rather than its definition: when it was made and (unless the
/// document says) its endpoint type. `overwrite` takes the document's
/// definition; `merge` adds it to the old one, the document's settings
/// (name, version, ...) replacing the old ones and its binary media types
/// added to the old list, as AWS does.
fn put_over(
    old: RestApi,
    new: RestApi,
    mode: &str,
    keeps_endpoint: bool,
) -> Result<RestApi, ApiError> {
    let mut api = match mode {
        "overwrite" => new,
        "merge" => merged(old.clone(), new),
        other => {
            return Err(bad_request(format!(
                "mode `{other}` is not merge or overwrite"
            )))
        }
    };
    api.created_date = old.created_date;
    api.created_micros = old.created_micros;
    if keeps_endpoint {
        api.endpoint_type = old.endpoint_type;
    }
    fresh_cache_namespaces(&old, &mut api);
    Ok(api)
}

/// `new` merged into `old` (PutRestApi `mode=merge`).
fn merged(old: RestApi, new: RestApi) -> RestApi {
    let mut binary = old.binary_media_types.clone();
    for media in new.binary_media_types {
        if !binary.contains(&media) {
            binary.push(media);
        }
    }
    let mut api = RestApi {
        binary_media_types: binary,
        description: new.description.or(old.description.clone()),
        api_key_source: new.api_key_source.or(old.api_key_source.clone()),
        minimum_compression_size: new
            .minimum_compression_size
            .or(old.minimum_compression_size),
        policy: new.policy.or(old.policy.clone()),
        default_request_validator: new
            .default_request_validator
            .or(old.default_request_validator.clone()),
        name: new.name,
        version: new.version,
        ..old
    };
    api.resources.extend(new.resources);
    api.models.extend(new.models);
    api.model_descriptions.extend(new.model_descriptions);
    api.gateway_responses.extend(new.gateway_responses);
    api.request_validators.extend(new.request_validators);
    api.authorizers.extend(new.authorizers);
    for part in new.documentation.parts {
        api.documentation
            .parts
            .retain(|p| p.location != part.location);
        api.documentation.parts.push(part);
    }
    api
}

/// The methods a put defines again on a resource that had them get a cache
/// namespace of their own, one per resource, not the resource's id (what
/// AWS answers after a put redefines a method).
fn fresh_cache_namespaces(old: &RestApi, api: &mut RestApi) {
    for (path, resource) in api.resources.iter_mut() {
        let Some(before) = old.resources.get(path) else {
            continue;
        };
        let namespace = crate::ids::new_deployment_id();
        for (verb, method) in resource.methods.iter_mut() {
            let had = before
                .methods
                .get(verb)
                .and_then(|m| m.integration.as_ref());
            match method.integration.as_mut() {
                Some(i) if i.cache_namespace.is_none() && had.is_some() => {
                    i.cache_namespace = Some(namespace.clone());
                }
                _ => {}
            }
        }
    }
}

/// Now, in microseconds since the epoch.
fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
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
        let mut doc = import::parse_document(text).map_err(document_error)?;
        apply_base_path(&mut doc, base_path);
        import::import(&doc, &options).map_err(|e| bad_request(e.to_string()))
    };
    tokio::task::spawn_blocking(work).await.map_err(internal)?
}

/// A document that is not JSON or YAML gets AWS's one message; the
/// other refusals name what is wrong.
fn document_error(e: import::ImportError) -> ApiError {
    match e {
        import::ImportError::Syntax { .. } => bad_request("Invalid OpenAPI input."),
        other => bad_request(other.to_string()),
    }
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
    let text = || op.value.clone().filter(|v| !v.is_empty());
    match (op.op.as_str(), parts.as_slice()) {
        (_, ["endpointConfiguration", "ipAddressType"]) => patch_ip_address_type(api, op)?,
        (_, ["endpointConfiguration", "types", _]) => patch_endpoint_type(api, op)?,
        (_, ["minimumCompressionSize"]) => patch_compression(api, op)?,
        (_, ["binaryMediaTypes", media]) => patch_media_type(api, op, media),
        ("add" | "replace", ["name"]) => api.name = op.value()?.to_string(),
        ("add" | "replace", ["description"]) => api.description = text(),
        ("remove", ["description"]) => api.description = None,
        ("add" | "replace", ["version"]) => api.version = text(),
        ("remove", ["version"]) => api.version = None,
        ("add" | "replace", ["apiKeySource"]) => {
            api.api_key_source = Some(api_key_source(op.value()?)?)
        }
        ("add" | "replace", ["disableExecuteApiEndpoint"]) => {
            api.disable_execute_api_endpoint = match op.value()? {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(bad_request(
                        "disableExecuteApiEndpoint must be true or false",
                    ))
                }
            }
        }
        ("add" | "replace", ["policy"]) => api.policy = Some(policy_of(op.value()?)?),
        ("remove", ["policy"]) => api.policy = None,
        _ => return Err(op.unsupported()),
    }
    Ok(())
}

/// `/minimumCompressionSize`: replace only; an empty value turns
/// compression off.
fn patch_compression(api: &mut RestApi, op: &patch::PatchOp) -> Result<(), ApiError> {
    if op.op != "replace" {
        return Err(op.op_not_one_of("replace"));
    }
    if op.value.as_deref().unwrap_or("").is_empty() {
        api.minimum_compression_size = None;
        return Ok(());
    }
    let size = op.number::<u64>().ok().filter(|n| *n <= 10_485_760);
    api.minimum_compression_size = Some(size.ok_or_else(|| {
        bad_request("Invalid minimum compression size, must be between 0 and 10485760")
    })?);
    Ok(())
}

/// `/binaryMediaTypes/{type}`: add appends, remove drops, replace swaps
/// the type for the value (at the end of the list, as AWS does).
fn patch_media_type(api: &mut RestApi, op: &patch::PatchOp, media: &str) {
    let types = &mut api.binary_media_types;
    match op.op.as_str() {
        "add" if !types.iter().any(|m| m == media) => types.push(media.to_string()),
        "remove" => types.retain(|m| m != media),
        "replace" => {
            types.retain(|m| m != media);
            let new = op.value.clone().unwrap_or_else(|| media.to_string());
            if !types.contains(&new) {
                types.push(new);
            }
        }
        _ => {}
    }
}

/// `/endpointConfiguration/types/{n}`: replace only; a PRIVATE API
/// answers on dualstack.
fn patch_endpoint_type(api: &mut RestApi, op: &patch::PatchOp) -> Result<(), ApiError> {
    if op.op != "replace" {
        return Err(bad_request(
            "Invalid patch operation specified. Must be 'add'|'remove'|'replace'",
        ));
    }
    api.endpoint_type = match op.value()? {
        "EDGE" => crate::model::EndpointType::Edge,
        "REGIONAL" => crate::model::EndpointType::Regional,
        "PRIVATE" => crate::model::EndpointType::Private,
        _ => {
            return Err(bad_request(
                "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE",
            ))
        }
    };
    if api.endpoint_type == crate::model::EndpointType::Private {
        api.ip_address_type = Some("dualstack".into());
    }
    Ok(())
}

/// `/endpointConfiguration/ipAddressType`: replace only, `ipv4` or
/// `dualstack` (PRIVATE APIs: only `dualstack`).
fn patch_ip_address_type(api: &mut RestApi, op: &patch::PatchOp) -> Result<(), ApiError> {
    if op.op != "replace" {
        return Err(op.op_not_one_of("replace"));
    }
    let kind = op.value()?;
    if !matches!(kind, "ipv4" | "dualstack") {
        return Err(bad_request(
            "ipAddressType must be either ipv4 or dualstack.",
        ));
    }
    if kind == "ipv4" && api.endpoint_type == crate::model::EndpointType::Private {
        return Err(checks::private_ipv4());
    }
    api.ip_address_type = Some(kind.to_string());
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
        .or_else(|| server_base_path(doc.pointer("/servers/0")?))
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

/// The base path of an OpenAPI 3 server: its URL's path with the
/// variables' defaults put in, or (as AWS) the default of a variable named
/// `basePath` when the URL's path is empty.
fn server_base_path(server: &Value) -> Option<String> {
    let mut url = server.get("url")?.as_str()?.to_string();
    let variables = server.get("variables").and_then(Value::as_object);
    let default_of = |name: &str| {
        variables?
            .get(name)?
            .get("default")?
            .as_str()
            .map(str::to_string)
    };
    for name in variables.into_iter().flat_map(|v| v.keys()) {
        if let Some(value) = default_of(name) {
            url = url.replace(&format!("{{{name}}}"), &value);
        }
    }
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url.as_str(),
    };
    if path.trim_matches('/').is_empty() {
        return default_of("basePath");
    }
    Some(path.to_string())
}

/// A RestApi in AWS's shape: the members AWS always sends, the optional
/// ones only when set (`tags` are added by the caller where AWS sends them).
pub(super) fn api_json(api: &RestApi) -> Value {
    let mut out = json!({
        "id": api.id,
        "name": api.name,
        "createdDate": api.created_date.unwrap_or(0),
        "apiKeySource": api.api_key_source.clone().unwrap_or_else(|| "HEADER".into()),
        "endpointConfiguration": {
            "types": [serde_json::to_value(api.endpoint_type).unwrap_or(json!("EDGE"))],
            "ipAddressType": api.ip_address_type(),
        },
        "disableExecuteApiEndpoint": api.disable_execute_api_endpoint,
        "rootResourceId": crate::ids::resource_id(&api.id, "/"),
    });
    if let Some(d) = &api.description {
        out["description"] = json!(d);
    }
    if let Some(v) = &api.version {
        out["version"] = json!(v);
    }
    if !api.binary_media_types.is_empty() {
        out["binaryMediaTypes"] = json!(api.binary_media_types);
    }
    if let Some(size) = api.minimum_compression_size {
        out["minimumCompressionSize"] = json!(size);
    }
    if let Some(policy) = &api.policy {
        // AWS answers the policy as a JSON string.
        out["policy"] = json!(policy.to_string());
    }
    out
}

/// `endpointConfiguration.types` (exactly one of EDGE, REGIONAL, PRIVATE).
fn endpoint_type(types: &Value) -> Result<crate::model::EndpointType, ApiError> {
    let one = match types.as_array().map(Vec::as_slice) {
        Some([one]) => one.as_str().unwrap_or_default(),
        _ => return Err(bad_request("REST APIs must have exactly one endpoint type")),
    };
    Ok(match one {
        "EDGE" => crate::model::EndpointType::Edge,
        "REGIONAL" => crate::model::EndpointType::Regional,
        "PRIVATE" => crate::model::EndpointType::Private,
        other => return Err(bad_request(format!("Invalid endpoint type {other}"))),
    })
}

/// `apiKeySource`: HEADER or AUTHORIZER.
fn api_key_source(source: &str) -> Result<String, ApiError> {
    match source {
        "HEADER" | "AUTHORIZER" => Ok(source.to_string()),
        _ => Err(bad_request("apiKeySource must be HEADER or AUTHORIZER")),
    }
}

/// A resource policy given as a JSON string.
fn policy_of(text: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|e| bad_request(format!("the policy is not JSON: {e}")))
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
