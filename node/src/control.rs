//! The control plane as a replicated state machine: changes to APIs,
//! deployments and stages are commands in the cluster's Raft log; every node
//! applies them to its own store and swaps its data-plane snapshot.
//!
//! Commands carry whole objects (a deployment keeps the id its proposer
//! gave it), so applying them is deterministic on every node.

use std::sync::{Arc, OnceLock};

use crate::access::Access;
use crate::functions::Functions;
pub use crate::model::command::{api_digest, ControlCommand, STALE_API};
use crate::snapshot::Deployed;
use crate::store::{Store, StoreContents};

/// Applies commands to the store and reloads what the data plane serves.
pub struct ControlPlane {
    store: Arc<Store>,
    deployed: Arc<Deployed>,
    /// Admission's keys and plans, once the node has built it.
    access: OnceLock<Arc<Access>>,
    /// The node's functions, once it has built the registry.
    functions: OnceLock<Arc<Functions>>,
    /// The stages' web ACLs, once the node has built them.
    waf: OnceLock<Arc<crate::web_acls::WebAcls>>,
    /// The node's custom domains, once it has built them.
    domains: OnceLock<Arc<crate::domains::Domains>>,
    /// VPC links' upstream groups, once the node has built them.
    upstreams: OnceLock<Arc<crate::dataplane::integration::upstream::Upstreams>>,
}

impl ControlPlane {
    pub fn new(store: Arc<Store>, deployed: Arc<Deployed>) -> ControlPlane {
        ControlPlane {
            store,
            deployed,
            access: OnceLock::new(),
            functions: OnceLock::new(),
            waf: OnceLock::new(),
            domains: OnceLock::new(),
            upstreams: OnceLock::new(),
        }
    }

    /// Keeps `functions` in line with the stored declarations from now on.
    pub fn attach_functions(&self, functions: Arc<Functions>) {
        let _ = self.functions.set(functions);
        self.reload_functions();
    }

    /// Re-reads everything (after changes written to the store directly).
    pub fn refresh(&self) {
        self.reload();
    }

    fn reload_functions(&self) {
        let Some(functions) = self.functions.get() else {
            return;
        };
        match self.store.list_functions() {
            Ok(decls) => functions.apply(decls),
            Err(e) => tracing::error!(error = %e, "cannot read function declarations"),
        }
    }

    /// Keeps `access` in line with the stored keys and plans from now on.
    pub fn attach(&self, access: Arc<Access>) {
        let _ = self.access.set(access);
        self.reload_access();
    }

    fn reload_access(&self) {
        let Some(access) = self.access.get() else {
            return;
        };
        match (self.store.list_api_keys(), self.store.list_usage_plans()) {
            (Ok(keys), Ok(plans)) => access.load(keys, plans),
            (Err(e), _) | (_, Err(e)) => tracing::error!(error = %e, "cannot read keys and plans"),
        }
    }

    /// Keeps `waf` in line with the stored web ACLs and associations.
    pub fn attach_waf(&self, waf: Arc<crate::web_acls::WebAcls>) {
        let _ = self.waf.set(waf);
        self.reload_waf();
    }

    fn reload_waf(&self) {
        if let Some(waf) = self.waf.get() {
            waf.reload(&self.store);
        }
    }

    /// Keeps `domains` in line with the stored domain names from now on.
    pub fn attach_domains(&self, domains: Arc<crate::domains::Domains>) {
        let _ = self.domains.set(domains);
        self.reload_domains();
    }

    fn reload_domains(&self) {
        if let Some(domains) = self.domains.get() {
            if let Err(e) = domains.reload(&self.store) {
                tracing::error!(error = %e, "cannot read the domain names");
            }
        }
    }

    /// Keeps `upstreams` in line with the stored VPC links from now on.
    pub fn attach_upstreams(
        &self,
        upstreams: Arc<crate::dataplane::integration::upstream::Upstreams>,
    ) {
        let _ = self.upstreams.set(upstreams);
        self.reload_upstreams();
    }

    fn reload_upstreams(&self) {
        let Some(upstreams) = self.upstreams.get() else {
            return;
        };
        match self.store.get_account() {
            Ok(account) => upstreams.set_links(
                account
                    .vpc_links
                    .into_iter()
                    .map(|(id, link)| (id, link.target_arns)),
            ),
            Err(e) => tracing::error!(error = %e, "cannot read the VPC links"),
        }
    }

    fn reload(&self) {
        self.reload_waf();
        self.reload_upstreams();
        self.reload_domains();
        self.reload_access();
        self.reload_functions();
        match self.deployed.reload(&self.store) {
            Ok(findings) => {
                for f in findings {
                    tracing::warn!(at = %f.at, "{} (this method answers 500)", f.message);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot reload the deployed snapshot"),
        }
    }
}

impl apigw_cluster::raft::Application for ControlPlane {
    fn apply(&self, command: &[u8]) -> Vec<u8> {
        let outcome = serde_json::from_slice::<ControlCommand>(command)
            .map_err(|e| format!("unreadable command: {e}"))
            .and_then(|c| self.store.apply(c).map_err(|e| e.to_string()));
        if let Err(e) = &outcome {
            // Every node applies the same log and fails the same way, so the
            // state stays the same everywhere; the proposer sees the error.
            tracing::warn!(error = %e, "control command not applied");
        }
        self.reload();
        serde_json::to_vec(&outcome).unwrap_or_default()
    }

    fn snapshot(&self) -> Vec<u8> {
        match self.store.export() {
            Ok(contents) => serde_json::to_vec(&contents).unwrap_or_default(),
            Err(e) => {
                tracing::error!(error = %e, "cannot export the store for a snapshot");
                Vec::new()
            }
        }
    }

    fn verify_snapshot(&self, snapshot: &[u8]) -> Result<(), String> {
        serde_json::from_slice::<StoreContents>(snapshot)
            .map(drop)
            .map_err(|e| format!("the control-plane snapshot does not decode: {e}"))
    }

    fn restore(&self, snapshot: &[u8]) {
        match serde_json::from_slice::<StoreContents>(snapshot) {
            Ok(contents) => {
                if let Err(e) = self.store.replace_all(&contents) {
                    tracing::error!(error = %e, "cannot restore the store from a snapshot");
                }
                self.reload();
            }
            Err(e) => tracing::error!(error = %e, "unreadable control-plane snapshot"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigw_cluster::raft::Application;

    #[test]
    fn a_conditional_put_is_refused_once_the_api_changed() {
        let dir = std::env::temp_dir().join(format!("apigw-control-{}", crate::ids::new_api_id()));
        let store = Arc::new(Store::open(&dir).expect("store"));
        let control = ControlPlane::new(store.clone(), Arc::new(Deployed::default()));
        let api =
            crate::import::test_api(r#"{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {}}"#);
        let outcome = |command: ControlCommand| -> Result<(), String> {
            serde_json::from_slice(&control.apply(&command.encode())).expect("outcome")
        };
        outcome(ControlCommand::PutApi(Box::new(api.clone()))).expect("put");
        let base = api_digest(&api);
        // Two edits read the same base; the first wins, the second is stale.
        let mut first = api.clone();
        first.name = "first".into();
        let mut second = api.clone();
        second.name = "second".into();
        outcome(ControlCommand::PutApiIf {
            api: Box::new(first),
            base: base.clone(),
        })
        .expect("first edit");
        let stale = outcome(ControlCommand::PutApiIf {
            api: Box::new(second),
            base,
        });
        assert_eq!(stale, Err(STALE_API.to_string()));
        let stored = store.get_api("abc").expect("get").expect("api");
        assert_eq!(stored.name, "first");
        std::fs::remove_dir_all(&dir).ok();
    }
}
