//! Bringing the store in line with the config file's `apis`: import each
//! document, and deploy to its stages when the definition changed.

use anyhow::{Context, Result};
use apigw::import::{self, ImportOptions, Imported};
use apigw::model::{MethodSetting, RestApi};
use apigw::store::Store;

use crate::config::{ApiSection, Loaded};

/// What applying one API did, for the log.
pub struct Applied {
    pub api_id: String,
    pub name: String,
    pub changed: bool,
    pub deployed: Vec<(String, String)>,
    pub warnings: Vec<import::Finding>,
}

/// Imports an API section's document (without touching the store).
pub fn import_section(loaded: &Loaded, api: &ApiSection, max_timeout_ms: u64) -> Result<Imported> {
    let path = loaded.document_path(api);
    let doc = match &api.document {
        Some(doc) => doc.clone(),
        None => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            import::parse_document(&text).with_context(|| format!("{}", path.display()))?
        }
    };
    let title = doc
        .pointer("/info/title")
        .and_then(|t| t.as_str())
        .unwrap_or_default()
        .to_string();
    let name = api.name.clone().unwrap_or(title);
    let api_id = api
        .id
        .clone()
        .unwrap_or_else(|| apigw::ids::api_id_for_name(&name));
    let options = ImportOptions {
        api_id,
        max_integration_timeout_ms: max_timeout_ms,
    };
    let mut imported =
        import::import(&doc, &options).with_context(|| format!("{}", path.display()))?;
    imported.api.name = name;
    imported.api.region = api.region.clone();
    Ok(imported)
}

/// Where changes go: straight into the store (a single node), or through
/// the cluster's Raft log (every node applies them to its store).
pub trait Sink {
    fn put_api(&self, api: &RestApi) -> Result<()>;
    /// Stores a deployment (a frozen copy of an API).
    fn put_deployment(&self, deployment: &apigw::model::Deployment) -> Result<()>;
    fn put_stage(&self, stage: &apigw::model::Stage) -> Result<()>;
    fn put_api_key(&self, key: &apigw::access::ApiKey) -> Result<()>;
    fn put_usage_plan(&self, plan: &apigw::access::UsagePlan) -> Result<()>;
    fn delete_api_key(&self, id: &str) -> Result<()>;
    fn delete_usage_plan(&self, id: &str) -> Result<()>;
    fn put_function(&self, decl: &apigw::functions::FunctionDecl) -> Result<()>;
    fn delete_function(&self, name: &str) -> Result<()>;
    /// Stores a WebSocket API, whole.
    fn put_ws_api(&self, api: &apigw::model::websocket::WsApi) -> Result<()>;
    /// Whether keys and plans a config dropped are removed: on one node
    /// yes; in a cluster every node has its own file, so no.
    fn prunes(&self) -> bool {
        true
    }
}

impl Sink for Store {
    fn put_api(&self, api: &RestApi) -> Result<()> {
        Ok(Store::put_api(self, api)?)
    }

    fn put_deployment(&self, deployment: &apigw::model::Deployment) -> Result<()> {
        Ok(Store::put_deployment(self, deployment)?)
    }

    fn put_stage(&self, stage: &apigw::model::Stage) -> Result<()> {
        Ok(Store::put_stage(self, stage)?)
    }

    fn put_api_key(&self, key: &apigw::access::ApiKey) -> Result<()> {
        Ok(Store::put_api_key(self, key)?)
    }

    fn put_usage_plan(&self, plan: &apigw::access::UsagePlan) -> Result<()> {
        Ok(Store::put_usage_plan(self, plan)?)
    }

    fn delete_api_key(&self, id: &str) -> Result<()> {
        Ok(Store::delete_api_key(self, id)?)
    }

    fn delete_usage_plan(&self, id: &str) -> Result<()> {
        Ok(Store::delete_usage_plan(self, id)?)
    }

    fn put_function(&self, decl: &apigw::functions::FunctionDecl) -> Result<()> {
        Ok(Store::put_function(self, decl)?)
    }

    fn delete_function(&self, name: &str) -> Result<()> {
        Ok(Store::delete_function(self, name)?)
    }

    fn put_ws_api(&self, api: &apigw::model::websocket::WsApi) -> Result<()> {
        Ok(Store::put_ws_api(self, api)?)
    }
}

/// Applies every API of the config: reads from `store`, writes to `sink`.
pub fn apply(store: &Store, sink: &dyn Sink, loaded: &Loaded) -> Result<Vec<Applied>> {
    let max_timeout = loaded.file.limits.max_integration_timeout_ms;
    // Keys and plans first: once a node serves the APIs, the keys that open
    // them are there too. On a single node, ones this file declared before
    // and dropped are removed; ones made otherwise are kept.
    let (keys, plans) = crate::access::keys_and_plans(loaded);
    let stored_keys = store.list_api_keys()?;
    for key in keys.iter().filter(|k| !stored_keys.contains(k)) {
        sink.put_api_key(key)?;
    }
    let stored_plans = store.list_usage_plans()?;
    for plan in plans.iter().filter(|p| !stored_plans.contains(p)) {
        sink.put_usage_plan(plan)?;
    }
    let prune = sink.prunes();
    let functions = crate::functions::declarations(loaded)?;
    let stored_functions = store.list_functions()?;
    for decl in functions.iter().filter(|d| !stored_functions.contains(d)) {
        sink.put_function(decl)?;
    }
    for old in stored_functions
        .iter()
        .filter(|d| prune && d.from_config && !functions.iter().any(|n| n.name == d.name))
    {
        sink.delete_function(&old.name)?;
    }
    for old in stored_keys
        .iter()
        .filter(|k| prune && k.from_config && !keys.iter().any(|n| n.id == k.id))
    {
        sink.delete_api_key(&old.id)?;
    }
    for old in stored_plans
        .iter()
        .filter(|p| prune && p.from_config && !plans.iter().any(|n| n.id == p.id))
    {
        sink.delete_usage_plan(&old.id)?;
    }
    apply_websocket(store, sink, loaded)?;
    let mut out = Vec::new();
    for section in &loaded.file.apis {
        let imported = import_section(loaded, section, max_timeout)?;
        out.push(apply_one(
            store,
            sink,
            section,
            imported.api,
            imported.warnings,
        )?);
    }
    Ok(out)
}

/// The config's WebSocket APIs, each built with the management API's
/// checks and written when it differs from what is stored.
fn apply_websocket(store: &Store, sink: &dyn Sink, loaded: &Loaded) -> Result<()> {
    let region = loaded.file.node.region.as_deref().unwrap_or("us-east-1");
    for section in &loaded.file.websocket_apis {
        let decl = section.declaration()?;
        let previous = store.get_ws_api(&decl.id)?;
        let api = apigw::management::declared_api(&decl, region, previous.as_ref())
            .map_err(|e| anyhow::anyhow!("websocket API `{}`: {e}", section.name))?;
        if previous.as_ref() != Some(&api) {
            sink.put_ws_api(&api)?;
            tracing::info!(api = %api.id, name = %section.name, "websocket api from config");
        }
    }
    Ok(())
}

fn apply_one(
    store: &Store,
    sink: &dyn Sink,
    section: &ApiSection,
    api: RestApi,
    warnings: Vec<import::Finding>,
) -> Result<Applied> {
    let stored = store.get_api(&api.id)?;
    let changed = stored.as_ref() != Some(&api);
    if changed {
        sink.put_api(&api)?;
    }
    let mut deployed = Vec::new();
    for stage in &section.stages {
        let existing = store.get_stage(&api.id, &stage.name)?;
        let now = apigw::store::unix_now();
        let mut desired = match &existing {
            Some(current) => current.clone(),
            None => apigw::model::Stage::new(&api.id, &stage.name, "", now),
        };
        if changed || existing.is_none() {
            let deployment = apigw::model::Deployment {
                id: apigw::ids::new_deployment_id(),
                rest_api_id: api.id.clone(),
                description: Some("deployed from the config file".into()),
                created_date: now,
                api: api.clone(),
            };
            sink.put_deployment(&deployment)?;
            desired.deployment_id = deployment.id.clone();
            deployed.push((stage.name.clone(), deployment.id));
        }
        // One stage write with the deployment and the settings, so no node
        // ever serves the stage without its settings.
        desired.cache_cluster_enabled = stage.cache.as_ref().is_some_and(|c| c.enabled);
        desired.variables = stage.variables.clone();
        desired.description = stage.description.clone();
        desired.method_settings = method_settings(stage);
        if existing.as_ref() != Some(&desired) {
            desired.last_updated_date = now;
            sink.put_stage(&desired)?;
        }
    }
    Ok(Applied {
        api_id: api.id.clone(),
        name: api.name.clone(),
        changed,
        deployed,
        warnings,
    })
}

/// The stage's method settings from its `throttle` and `methods`.
pub fn method_settings(
    stage: &crate::config::StageSection,
) -> std::collections::BTreeMap<String, MethodSetting> {
    let setting = |t: &crate::config::ThrottleSection| MethodSetting {
        throttling_rate_limit: Some(t.rate),
        throttling_burst_limit: Some(t.burst),
        ..MethodSetting::default()
    };
    let mut out = std::collections::BTreeMap::new();
    if let Some(t) = &stage.throttle {
        out.insert("*/*".to_string(), setting(t));
    }
    if let Some(cache) = &stage.cache {
        let all = out.entry("*/*".to_string()).or_default();
        all.caching_enabled = Some(cache.enabled);
        all.cache_ttl_in_seconds = cache.ttl_seconds;
        all.require_authorization_for_cache_control = cache.require_authorization;
        all.unauthorized_cache_control_header_strategy = cache.unauthorized.clone();
    }
    for (key, method) in &stage.methods {
        let entry = out.entry(key.clone()).or_default();
        if let Some(t) = &method.throttle {
            entry.throttling_rate_limit = Some(t.rate);
            entry.throttling_burst_limit = Some(t.burst);
        }
        if let Some(c) = &method.cache {
            entry.caching_enabled = c.enabled;
            entry.cache_ttl_in_seconds = c.ttl_seconds;
        }
    }
    out
}
