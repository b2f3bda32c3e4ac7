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
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let doc = import::parse_document(&text).with_context(|| format!("{}", path.display()))?;
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
    Ok(imported)
}

/// Where changes go: straight into the store (a single node), or through
/// the cluster's Raft log (every node applies them to its store).
pub trait Sink {
    fn put_api(&self, api: &RestApi) -> Result<()>;
    /// Freezes `api` into a new deployment and points `stage` at it;
    /// returns the deployment's id.
    fn deploy(&self, api: &RestApi, stage: &str) -> Result<String>;
    fn put_stage(&self, stage: &apigw::model::Stage) -> Result<()>;
    fn put_api_key(&self, key: &apigw::access::ApiKey) -> Result<()>;
    fn put_usage_plan(&self, plan: &apigw::access::UsagePlan) -> Result<()>;
    fn delete_api_key(&self, id: &str) -> Result<()>;
    fn delete_usage_plan(&self, id: &str) -> Result<()>;
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

    fn deploy(&self, api: &RestApi, stage: &str) -> Result<String> {
        Ok(Store::deploy(
            self,
            &api.id,
            stage,
            Some("deployed from the config file".into()),
        )?
        .id)
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
        if changed || existing.is_none() {
            let deployment_id = sink.deploy(&api, &stage.name)?;
            deployed.push((stage.name.clone(), deployment_id));
        }
        let Some(mut current) = store.get_stage(&api.id, &stage.name)? else {
            continue;
        };
        let method_settings = method_settings(stage);
        let cache_enabled = stage.cache.as_ref().is_some_and(|c| c.enabled);
        if current.variables != stage.variables
            || current.description != stage.description
            || current.method_settings != method_settings
            || current.cache_cluster_enabled != cache_enabled
        {
            current.cache_cluster_enabled = cache_enabled;
            current.variables = stage.variables.clone();
            current.description = stage.description.clone();
            current.method_settings = method_settings;
            current.last_updated_date = apigw::store::unix_now();
            sink.put_stage(&current)?;
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
fn method_settings(
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
