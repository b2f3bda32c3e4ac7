//! Online backup and restore on the admin listener, SigV4-checked (by the
//! admin listener) with the admin credentials like every management call:
//!
//! - `GET /store/backup`: the store as a [`Backup`], read in one read
//!   transaction (a consistent copy while the node keeps serving);
//! - `POST /store/restore[?force=true]`: makes the node's state the
//!   backup's. Every change is a control command written as the other
//!   management calls write theirs (straight to the store on one node,
//!   through Raft in a cluster, so every member restores); records the
//!   backup has as they are stay untouched. A node that holds anything is
//!   only overwritten with `force=true`.

use std::collections::{BTreeMap, HashMap, HashSet};

use http::{Method, Response, StatusCode};
use serde_json::json;

use super::{bad_request, err, internal, ApiError, Management};
use crate::control::ControlCommand;
use crate::dataplane::body::{full, Body};
use crate::dataplane::context::RequestContext;
use crate::store::backup::Backup;
use crate::store::StoreContents;

/// The largest backup an online restore takes (bigger ones restore
/// offline: `apigw store restore FILE --data-dir DIR`).
pub const MAX_BACKUP_BYTES: usize = 64 * 1024 * 1024;

/// `GET` takes a backup (the admin listener's route table names both).
pub const BACKUP: &str = "/store/backup";
/// `POST` restores one.
pub const RESTORE: &str = "/store/restore";

impl Management {
    /// Answers a backup or restore request whose signature and policies the
    /// admin listener has checked.
    pub async fn store_call(&self, ctx: &RequestContext, body: &[u8]) -> Response<Body> {
        let outcome = match (&ctx.method, ctx.raw_path.as_str()) {
            (&Method::GET, BACKUP) => self.backup(),
            (&Method::POST, RESTORE) => {
                let force = ctx.query().iter().any(|(k, v)| k == "force" && v == "true");
                self.restore(body, force).await
            }
            _ => Err(err(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowedException",
                "use GET /store/backup or POST /store/restore",
            )),
        };
        match outcome {
            Ok(bytes) => {
                let mut r = Response::new(full(bytes));
                r.headers_mut().insert(
                    "content-type",
                    http::HeaderValue::from_static("application/json"),
                );
                r
            }
            Err(e) => e.into_response(),
        }
    }

    fn backup(&self) -> Result<Vec<u8>, ApiError> {
        let contents = self.store.export().map_err(internal)?;
        tracing::info!(contents = %contents.summary(), "store backup taken");
        Ok(Backup::new(contents).to_bytes())
    }

    async fn restore(&self, body: &[u8], force: bool) -> Result<Vec<u8>, ApiError> {
        let backup = Backup::parse(body).map_err(|e| bad_request(e.to_string()))?;
        // Held so that no management edit interleaves with the restore.
        let _edits = self.edits.lock().await;
        let current = self.store.export().map_err(internal)?;
        if !force && !current.is_empty() {
            return Err(err(
                StatusCode::CONFLICT,
                "ConflictException",
                format!(
                    "this node holds {}: restoring replaces it; ask again with force=true",
                    current.summary()
                ),
            ));
        }
        let commands = plan(&current, &backup.contents);
        let total = commands.len();
        for (done, command) in commands.into_iter().enumerate() {
            if let Err(e) = self.write(command).await {
                return Err(err(
                    e.status,
                    e.kind,
                    format!(
                        "restore stopped after {done} of {total} changes: {}",
                        e.message
                    ),
                ));
            }
        }
        tracing::info!(changes = total, contents = %backup.contents.summary(), "store restored");
        Ok(json!({
            "changes": total,
            "contents": backup.contents.summary(),
        })
        .to_string()
        .into_bytes())
    }
}

/// The control commands that turn `current` into `target`, in an order
/// each of them can be applied in: what others point at first, then
/// what points, then deletions the other way round. Records equal in both
/// are left alone. A stage that differs is deleted and put again, so it
/// keeps the backup's deployment history (a plain put would add to it).
pub fn plan(current: &StoreContents, target: &StoreContents) -> Vec<ControlCommand> {
    use ControlCommand as C;
    let mut out = Vec::new();
    let apis = index(&current.apis, |a| a.id.clone());
    let deployments = index(&current.deployments, |d| {
        format!("{}/{}", d.rest_api_id, d.id)
    });
    let stages = index(&current.stages, |s| {
        format!("{}/{}", s.rest_api_id, s.stage_name)
    });
    let keys = index(&current.api_keys, |k| k.id.clone());
    let plans = index(&current.usage_plans, |p| p.id.clone());
    let functions = index(&current.functions, |f| f.name.clone());
    let domains = index(&current.domains, |d| d.domain_name.clone());

    for a in &target.apis {
        if apis.get(&a.id) != Some(&a) {
            out.push(C::PutApi(Box::new(a.clone())));
        }
    }
    for d in &target.deployments {
        if deployments.get(&format!("{}/{}", d.rest_api_id, d.id)) != Some(&d) {
            out.push(C::PutDeployment(Box::new(d.clone())));
        }
    }
    for k in &target.api_keys {
        if keys.get(&k.id) != Some(&k) {
            out.push(C::PutApiKey(Box::new(k.clone())));
        }
    }
    // Stages deleted and put again lose their tags: put those back too.
    let mut retag = HashSet::new();
    for s in &target.stages {
        match stages.get(&format!("{}/{}", s.rest_api_id, s.stage_name)) {
            Some(old) if *old == s => continue,
            Some(_) => {
                out.push(C::DeleteStage(s.rest_api_id.clone(), s.stage_name.clone()));
                retag.insert(format!(
                    "/restapis/{}/stages/{}",
                    s.rest_api_id, s.stage_name
                ));
            }
            None => {}
        }
        out.push(C::PutStage(Box::new(s.clone())));
    }
    for p in &target.usage_plans {
        if plans.get(&p.id) != Some(&p) {
            out.push(C::PutUsagePlan(Box::new(p.clone())));
        }
    }
    for f in &target.functions {
        if functions.get(&f.name) != Some(&f) {
            out.push(C::PutFunction(Box::new(f.clone())));
        }
    }
    for d in &target.domains {
        if domains.get(&d.domain_name) != Some(&d) {
            out.push(C::PutDomain(Box::new(d.clone())));
        }
    }
    for (resource, tags) in &target.tags {
        if retag.contains(resource) || current.tags.get(resource) != Some(tags) {
            out.push(C::PutTags(resource.clone(), tags.clone()));
        }
    }
    out.extend(deletions(current, target));
    out
}

/// What `current` has and `target` does not, as deletions.
fn deletions(current: &StoreContents, target: &StoreContents) -> Vec<ControlCommand> {
    use ControlCommand as C;
    let apis: HashSet<&str> = target.apis.iter().map(|a| a.id.as_str()).collect();
    let stages: HashSet<(&str, &str)> = target
        .stages
        .iter()
        .map(|s| (s.rest_api_id.as_str(), s.stage_name.as_str()))
        .collect();
    let deployments: HashSet<(&str, &str)> = target
        .deployments
        .iter()
        .map(|d| (d.rest_api_id.as_str(), d.id.as_str()))
        .collect();
    let plans: HashSet<&str> = target.usage_plans.iter().map(|p| p.id.as_str()).collect();
    let keys: HashSet<&str> = target.api_keys.iter().map(|k| k.id.as_str()).collect();
    let functions: HashSet<&str> = target.functions.iter().map(|f| f.name.as_str()).collect();
    let domains: HashSet<&str> = target
        .domains
        .iter()
        .map(|d| d.domain_name.as_str())
        .collect();
    let mut out = Vec::new();
    for p in current
        .usage_plans
        .iter()
        .filter(|p| !plans.contains(p.id.as_str()))
    {
        out.push(C::DeleteUsagePlan(p.id.clone()));
    }
    // Stages and deployments of APIs that stay; an API that goes takes its own.
    for s in &current.stages {
        let key = (s.rest_api_id.as_str(), s.stage_name.as_str());
        if apis.contains(key.0) && !stages.contains(&key) {
            out.push(C::DeleteStage(s.rest_api_id.clone(), s.stage_name.clone()));
        }
    }
    for d in &current.deployments {
        let key = (d.rest_api_id.as_str(), d.id.as_str());
        if apis.contains(key.0) && !deployments.contains(&key) {
            out.push(C::DeleteDeployment(d.rest_api_id.clone(), d.id.clone()));
        }
    }
    for a in current
        .apis
        .iter()
        .filter(|a| !apis.contains(a.id.as_str()))
    {
        out.push(C::DeleteApi(a.id.clone()));
    }
    for k in current
        .api_keys
        .iter()
        .filter(|k| !keys.contains(k.id.as_str()))
    {
        out.push(C::DeleteApiKey(k.id.clone()));
    }
    for f in current
        .functions
        .iter()
        .filter(|f| !functions.contains(f.name.as_str()))
    {
        out.push(C::DeleteFunction(f.name.clone()));
    }
    for d in current
        .domains
        .iter()
        .filter(|d| !domains.contains(d.domain_name.as_str()))
    {
        out.push(C::DeleteDomain(d.domain_name.clone()));
    }
    for resource in current
        .tags
        .keys()
        .filter(|r| !target.tags.contains_key(*r))
    {
        out.push(C::PutTags(resource.clone(), BTreeMap::new()));
    }
    out
}

fn index<T>(items: &[T], key: impl Fn(&T) -> String) -> HashMap<String, &T> {
    items.iter().map(|i| (key(i), i)).collect()
}

#[cfg(test)]
mod tests;
