//! apigw-store: the embedded store: APIs, deployments and stages on disk
//! (redb), as JSON.
//!
//! One file, `apigw.redb`, in the data directory. Every change is one ACID
//! transaction, so a crash never leaves half a deployment. The file is locked
//! by the process that opens it; a second process gets [`StoreError::InUse`].
//!
//! A store fails loudly: an absent file is a new, empty store, but a file
//! that is there and cannot be read (0 bytes, a page whose checksum fails,
//! a schema this version does not know, a record that does not decode) is
//! [`StoreError::File`] naming it, and the node does not start. Opening
//! reads every record once, so a start that succeeds can serve all of them.
//!
//! `contents`: everything at once (snapshots, backups, restores);
//! [`Store::apply`]: a control command, as every node applies it;
//! [`check`]: verifying a store without opening it for writing, and the
//! references between records; [`backup`]: the versioned backup format.

mod apply;
pub mod backup;
pub mod check;
mod contents;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use apigw_cluster::redb_file::{self, Opened, RedbFileError};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;

use apigw_model::function::FunctionDecl;
use apigw_model::ids;
use apigw_model::usage::{ApiKey, UsagePlan};
use apigw_model::{Deployment, DomainName, RestApi, Stage};

pub use apply::ApplyError;
pub use contents::StoreContents;

const APIS: TableDefinition<&str, &[u8]> = TableDefinition::new("apis");
const DEPLOYMENTS: TableDefinition<&str, &[u8]> = TableDefinition::new("deployments");
const STAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("stages");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const API_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("api_keys");
const USAGE_PLANS: TableDefinition<&str, &[u8]> = TableDefinition::new("usage_plans");
const FUNCTIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("functions");
const DOMAINS: TableDefinition<&str, &[u8]> = TableDefinition::new("domains");
/// Tags by resource path (`/restapis/{id}`, `/restapis/{id}/stages/{name}`,
/// `/domainnames/{name}`): kept apart from definitions, as on AWS.
const TAGS: TableDefinition<&str, &[u8]> = TableDefinition::new("tags");
/// Settings of the account as a whole, under [`ACCOUNT_KEY`].
const ACCOUNT: TableDefinition<&str, &[u8]> = TableDefinition::new("account");
const ACCOUNT_KEY: &str = "settings";
/// wafv2 objects (web ACLs, IP sets, regex pattern sets, rule groups) by ARN.
const WAF: TableDefinition<&str, &[u8]> = TableDefinition::new("waf");
/// Stage ARN -> the ARN of the web ACL associated with it.
const WAF_ASSOCIATIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("waf_associations");

/// WebSocket APIs (apigatewayv2), each whole, by API id.
const WS_APIS: TableDefinition<&str, &[u8]> = TableDefinition::new("ws_apis");

/// Version of the on-disk encoding; bumped with a migration when it changes.
pub const SCHEMA_VERSION: u64 = 1;

/// The store's file name in the data directory.
pub const FILE: &str = "apigw.redb";

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data directory {0} is in use by another apigw process")]
    InUse(PathBuf),
    /// The store file is there and cannot be read (the message names it).
    #[error(transparent)]
    File(RedbFileError),
    #[error("cannot create the data directory {path}: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the store at {path} was written by a newer apigw (schema {found}, this one reads {SCHEMA_VERSION})")]
    TooNew { path: PathBuf, found: u64 },
    #[error("storage: {0}")]
    Storage(#[from] redb::Error),
    #[error("stored record `{key}` cannot be read: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Referenced(String),
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self { StoreError::Storage(e.into()) }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The store of one node.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Opens the store in `dir`: creates it when the file is absent,
    /// refuses one that is there and cannot be read (see the module doc).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        redb_file::private_dir(dir).map_err(|source| StoreError::Directory {
            path: dir.to_path_buf(),
            source,
        })?;
        let file = dir.join(FILE);
        let (db, opened) = redb_file::open(&file).map_err(|e| match e {
            RedbFileError::InUse { .. } => StoreError::InUse(dir.to_path_buf()),
            damage => StoreError::File(damage),
        })?;
        let store = Store { db, path: file };
        store.guarded(|| store.init_schema(opened))?;
        store.guarded(|| store.export().map(drop))?;
        Ok(store)
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f`, a first read of the file, as damage-proof: a redb panic
    /// or any error but [`StoreError::TooNew`] becomes [`StoreError::File`].
    fn guarded(&self, f: impl FnOnce() -> Result<(), StoreError>) -> Result<(), StoreError> {
        let outcome = redb_file::guarded(&self.path, || Ok(f()));
        match outcome.map_err(StoreError::File)? {
            Ok(()) => Ok(()),
            Err(e @ (StoreError::TooNew { .. } | StoreError::File(_))) => Err(e),
            Err(other) => Err(StoreError::File(RedbFileError::Unreadable {
                path: self.path.clone(),
                reason: other.to_string(),
            })),
        }
    }

    fn init_schema(&self, opened: Opened) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        let has_tables = txn.list_tables()?.next().is_some();
        {
            let mut meta = txn.open_table(META)?;
            let found = meta.get("schema_version")?.map(|v| v.value());
            match found {
                Some(v) if v > SCHEMA_VERSION => {
                    return Err(StoreError::TooNew {
                        path: self.path.clone(),
                        found: v,
                    })
                }
                Some(0) => {
                    return Err(StoreError::Corrupt {
                        key: "meta/schema_version".into(),
                        reason: "schema version 0 was never written by apigw".into(),
                    })
                }
                Some(_) => {}
                // A file redb made whose first transaction never committed
                // has no tables: nothing to lose, so it is set up as new.
                None if opened == Opened::Created || !has_tables => {
                    meta.insert("schema_version", SCHEMA_VERSION)?;
                }
                None => {
                    return Err(StoreError::Corrupt {
                        key: "meta/schema_version".into(),
                        reason:
                            "the file has tables but no schema version: it is not an apigw store"
                                .into(),
                    })
                }
            }
            txn.open_table(APIS)?;
            txn.open_table(DEPLOYMENTS)?;
            txn.open_table(STAGES)?;
            txn.open_table(API_KEYS)?;
            txn.open_table(USAGE_PLANS)?;
            txn.open_table(FUNCTIONS)?;
            txn.open_table(DOMAINS)?;
            txn.open_table(TAGS)?;
            txn.open_table(ACCOUNT)?;
            txn.open_table(WAF)?;
            txn.open_table(WS_APIS)?;
            txn.open_table(WAF_ASSOCIATIONS)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Creates or replaces an API's working definition.
    pub fn put_api(&self, api: &RestApi) -> Result<(), StoreError> {
        self.put(APIS, &api.id, api)
    }

    pub fn get_api(&self, id: &str) -> Result<Option<RestApi>, StoreError> {
        self.get(APIS, id)
    }

    pub fn list_apis(&self) -> Result<Vec<RestApi>, StoreError> {
        self.scan(APIS, "")
    }

    /// Deletes an API with its deployments, stages and tags.
    pub fn delete_api(&self, id: &str) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            if txn.open_table(APIS)?.remove(id)?.is_none() {
                return Err(StoreError::NotFound(format!("API {id}")));
            }
            txn.open_table(TAGS)?
                .remove(format!("/restapis/{id}").as_str())?;
            for (table, prefix) in [
                (DEPLOYMENTS, format!("{id}/")),
                (STAGES, format!("{id}/")),
                (TAGS, format!("/restapis/{id}/")),
            ] {
                let mut t = txn.open_table(table)?;
                let keys: Vec<String> = t
                    .range(prefix.as_str()..)?
                    .map_while(|r| r.ok().map(|(k, _)| k.value().to_string()))
                    .take_while(|k| k.starts_with(&prefix))
                    .collect();
                for key in keys {
                    t.remove(key.as_str())?;
                }
            }
        }
        txn.commit()?;
        Ok(())
    }

    pub fn put_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        self.put(API_KEYS, &key.id, key)
    }

    pub fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.scan(API_KEYS, "")
    }

    pub fn put_function(&self, decl: &FunctionDecl) -> Result<(), StoreError> {
        self.put(FUNCTIONS, &decl.name, decl)
    }

    pub fn list_functions(&self) -> Result<Vec<FunctionDecl>, StoreError> {
        self.scan(FUNCTIONS, "")
    }

    pub fn delete_function(&self, name: &str) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(FUNCTIONS)?.remove(name)?;
        txn.commit()?;
        Ok(())
    }

    pub fn delete_api_key(&self, id: &str) -> Result<(), StoreError> {
        self.remove(API_KEYS, id).map(drop)
    }

    pub fn delete_usage_plan(&self, id: &str) -> Result<(), StoreError> {
        self.remove(USAGE_PLANS, id).map(drop)
    }

    /// The tags of a resource (none: empty).
    pub fn get_tags(&self, resource: &str) -> Result<BTreeMap<String, String>, StoreError> {
        Ok(self.get(TAGS, resource)?.unwrap_or_default())
    }

    /// Replaces a resource's tags (empty: removes them).
    pub fn put_tags(
        &self,
        resource: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        if tags.is_empty() {
            self.remove(TAGS, resource).map(drop)
        } else {
            self.put(TAGS, resource, tags)
        }
    }

    /// The wafv2 object with this ARN.
    pub fn get_waf(&self, arn: &str) -> Result<Option<apigw_model::waf::WafItem>, StoreError> {
        self.get(WAF, arn)
    }

    /// Every wafv2 object, in ARN order.
    pub fn list_waf(&self) -> Result<Vec<apigw_model::waf::WafItem>, StoreError> {
        self.scan(WAF, "")
    }

    pub fn put_waf(&self, item: &apigw_model::waf::WafItem) -> Result<(), StoreError> {
        self.put(WAF, &item.arn, item)
    }

    pub fn delete_waf(&self, arn: &str) -> Result<(), StoreError> {
        self.remove(WAF, arn).map(drop)
    }

    /// The WebSocket API with this id.
    pub fn get_ws_api(
        &self,
        id: &str,
    ) -> Result<Option<apigw_model::websocket::WsApi>, StoreError> {
        self.get(WS_APIS, id)
    }

    /// Every WebSocket API, in id order.
    pub fn list_ws_apis(&self) -> Result<Vec<apigw_model::websocket::WsApi>, StoreError> {
        self.scan(WS_APIS, "")
    }

    pub fn put_ws_api(&self, api: &apigw_model::websocket::WsApi) -> Result<(), StoreError> {
        self.put(WS_APIS, &api.id, api)
    }

    pub fn delete_ws_api(&self, id: &str) -> Result<(), StoreError> {
        self.remove(WS_APIS, id).map(drop)
    }

    /// Every (stage ARN, web ACL ARN) association.
    pub fn list_waf_associations(&self) -> Result<Vec<(String, String)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = match txn.open_table(WAF_ASSOCIATIONS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for row in table.iter()? {
            let (key, value) = row?;
            let acl: String = decode(key.value(), value.value())?;
            out.push((key.value().to_string(), acl));
        }
        Ok(out)
    }

    /// Associates `acl` with the stage ARN `resource` (`None`: removes it).
    pub fn put_waf_association(&self, resource: &str, acl: Option<&str>) -> Result<(), StoreError> {
        match acl {
            Some(acl) => self.put(WAF_ASSOCIATIONS, resource, &acl),
            None => self.remove(WAF_ASSOCIATIONS, resource).map(drop),
        }
    }

    /// The account's settings (never set: the defaults).
    pub fn get_account(&self) -> Result<apigw_model::account::AccountSettings, StoreError> {
        Ok(self.get(ACCOUNT, ACCOUNT_KEY)?.unwrap_or_default())
    }

    pub fn put_account(
        &self,
        settings: &apigw_model::account::AccountSettings,
    ) -> Result<(), StoreError> {
        self.put(ACCOUNT, ACCOUNT_KEY, settings)
    }

    pub fn put_domain(&self, domain: &DomainName) -> Result<(), StoreError> {
        self.put(DOMAINS, &domain.domain_name, domain)
    }

    pub fn get_domain(&self, name: &str) -> Result<Option<DomainName>, StoreError> {
        self.get(DOMAINS, name)
    }

    pub fn list_domains(&self) -> Result<Vec<DomainName>, StoreError> {
        self.scan(DOMAINS, "")
    }

    pub fn delete_domain(&self, name: &str) -> Result<(), StoreError> {
        self.remove(TAGS, &format!("/domainnames/{name}"))?;
        if self.remove(DOMAINS, name)? {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!("domain name {name}")))
        }
    }

    /// Deletes a stage; its deployments stay.
    pub fn delete_stage(&self, api_id: &str, name: &str) -> Result<(), StoreError> {
        self.remove(TAGS, &format!("/restapis/{api_id}/stages/{name}"))?;
        if self.remove(STAGES, &format!("{api_id}/{name}"))? {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!(
                "stage {name} of API {api_id}"
            )))
        }
    }

    /// Deletes a deployment that no stage points at (AWS refuses the others).
    pub fn delete_deployment(&self, api_id: &str, id: &str) -> Result<(), StoreError> {
        let pointing: Vec<String> = self
            .list_stages(api_id)?
            .into_iter()
            .filter(|s| s.deployment_id == id)
            .map(|s| s.stage_name)
            .collect();
        if !pointing.is_empty() {
            return Err(StoreError::Referenced(format!(
                "Active stages pointing to this deployment must be moved or deleted: {}",
                pointing.join(", ")
            )));
        }
        if self.remove(DEPLOYMENTS, &format!("{api_id}/{id}"))? {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!(
                "deployment {id} of API {api_id}"
            )))
        }
    }

    /// Removes one record; whether it was there.
    fn remove(&self, table: TableDefinition<&str, &[u8]>, key: &str) -> Result<bool, StoreError> {
        let txn = self.db.begin_write()?;
        let existed = txn.open_table(table)?.remove(key)?.is_some();
        txn.commit()?;
        Ok(existed)
    }

    pub fn put_usage_plan(&self, plan: &UsagePlan) -> Result<(), StoreError> {
        self.put(USAGE_PLANS, &plan.id, plan)
    }

    pub fn list_usage_plans(&self) -> Result<Vec<UsagePlan>, StoreError> {
        self.scan(USAGE_PLANS, "")
    }

    /// Stores a deployment made elsewhere (a replicated one keeps its id).
    pub fn put_deployment(&self, deployment: &Deployment) -> Result<(), StoreError> {
        self.put(
            DEPLOYMENTS,
            &format!("{}/{}", deployment.rest_api_id, deployment.id),
            deployment,
        )
    }

    pub fn get_deployment(&self, api_id: &str, id: &str) -> Result<Option<Deployment>, StoreError> {
        self.get(DEPLOYMENTS, &format!("{api_id}/{id}"))
    }

    pub fn list_deployments(&self, api_id: &str) -> Result<Vec<Deployment>, StoreError> {
        self.scan(DEPLOYMENTS, &format!("{api_id}/"))
    }

    pub fn get_stage(&self, api_id: &str, name: &str) -> Result<Option<Stage>, StoreError> {
        self.get(STAGES, &format!("{api_id}/{name}"))
    }

    pub fn list_stages(&self, api_id: &str) -> Result<Vec<Stage>, StoreError> {
        self.scan(STAGES, &format!("{api_id}/"))
    }

    /// Every stage of every API: what the data plane serves.
    pub fn all_stages(&self) -> Result<Vec<Stage>, StoreError> {
        self.scan(STAGES, "")
    }

    /// Creates or replaces a stage (the deployment it names must exist).
    pub fn put_stage(&self, stage: &Stage) -> Result<(), StoreError> {
        if self
            .get_deployment(&stage.rest_api_id, &stage.deployment_id)?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "deployment {} of API {}",
                stage.rest_api_id, stage.deployment_id
            )));
        }
        let old = self.get_stage(&stage.rest_api_id, &stage.stage_name)?;
        self.put(
            STAGES,
            &format!("{}/{}", stage.rest_api_id, stage.stage_name),
            &stage.clone().succeeding(old.as_ref()),
        )
    }

    /// Freezes the API's working definition into a new deployment and points
    /// `stage` at it (creating the stage if needed), in one transaction.
    pub fn deploy(
        &self,
        api_id: &str,
        stage_name: &str,
        description: Option<String>,
    ) -> Result<Deployment, StoreError> {
        let now = unix_now();
        let txn = self.db.begin_write()?;
        let deployment;
        {
            let apis = txn.open_table(APIS)?;
            let api: RestApi = match apis.get(api_id)? {
                Some(bytes) => decode(api_id, bytes.value())?,
                None => return Err(StoreError::NotFound(format!("API {api_id}"))),
            };
            deployment = Deployment {
                id: ids::new_deployment_id(),
                rest_api_id: api_id.to_string(),
                description,
                created_date: now,
                api,
            };
            let mut deployments = txn.open_table(DEPLOYMENTS)?;
            deployments.insert(
                format!("{api_id}/{}", deployment.id).as_str(),
                encode(&deployment).as_slice(),
            )?;
            let mut stages = txn.open_table(STAGES)?;
            let key = format!("{api_id}/{stage_name}");
            let stage = match stages.get(key.as_str())? {
                Some(bytes) => {
                    let old: Stage = decode(&key, bytes.value())?;
                    let mut stage = old.clone();
                    stage.deployment_id = deployment.id.clone();
                    stage.last_updated_date = now;
                    stage.succeeding(Some(&old))
                }
                None => Stage::new(api_id, stage_name, &deployment.id, now),
            };
            stages.insert(key.as_str(), encode(&stage).as_slice())?;
        }
        txn.commit()?;
        Ok(deployment)
    }

    fn put<T: Serialize>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(table)?
            .insert(key, encode(value).as_slice())?;
        txn.commit()?;
        Ok(())
    }

    fn get<T: DeserializeOwned>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(table)?;
        let found = table.get(key)?;
        found.map(|bytes| decode(key, bytes.value())).transpose()
    }

    /// Every record whose key starts with `prefix`, in key order.
    fn scan<T: DeserializeOwned>(
        &self,
        table: TableDefinition<&str, &[u8]>,
        prefix: &str,
    ) -> Result<Vec<T>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(table)?;
        let mut out = Vec::new();
        for entry in table.range(prefix..)? {
            let (key, value) = entry?;
            if !key.value().starts_with(prefix) {
                break;
            }
            out.push(decode(key.value(), value.value())?);
        }
        Ok(out)
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing our own model types to JSON cannot fail: every map key is a string.
    serde_json::to_vec(value).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_string(),
        reason: e.to_string(),
    })
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn api(id: &str) -> RestApi {
        RestApi {
            id: id.into(),
            name: "t".into(),
            description: None,
            version: None,
            endpoint_type: Default::default(),
            ip_address_type: None,
            region: None,
            binary_media_types: vec![],
            api_key_source: None,
            minimum_compression_size: None,
            disable_execute_api_endpoint: false,
            policy: None,
            resources: BTreeMap::new(),
            resource_ids: BTreeMap::new(),
            gateway_responses: BTreeMap::new(),
            request_validators: BTreeMap::new(),
            default_request_validator: None,
            models: BTreeMap::new(),
            authorizers: BTreeMap::new(),
            model_descriptions: BTreeMap::new(),
            created_date: None,
            created_micros: 0,
            documentation: Default::default(),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("apigw-store-{name}-{}", ids::new_api_id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn tags_are_kept_apart_and_go_with_what_they_tag() {
        let dir = temp_dir("tags");
        let store = Store::open(&dir).expect("open");
        store.put_api(&api("aaa")).expect("put");
        store.deploy("aaa", "prod", None).expect("deploy");
        let tags = BTreeMap::from([("team".to_string(), "pets".to_string())]);
        for resource in [
            "/restapis/aaa",
            "/restapis/aaa/stages/prod",
            "/restapis/aab",
        ] {
            store.put_tags(resource, &tags).expect("tag");
        }
        // Replacing the definition keeps the API's tags.
        store.put_api(&api("aaa")).expect("put again");
        assert_eq!(store.get_tags("/restapis/aaa").expect("tags"), tags);
        assert_eq!(store.export().expect("export").tags.len(), 3);
        // Deleting the API deletes its tags and its stages' tags, not others'.
        store.delete_api("aaa").expect("delete");
        assert!(store.get_tags("/restapis/aaa").expect("tags").is_empty());
        assert!(store
            .get_tags("/restapis/aaa/stages/prod")
            .expect("tags")
            .is_empty());
        assert_eq!(store.get_tags("/restapis/aab").expect("tags"), tags);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn deploy_survives_reopen() {
        let dir = temp_dir("reopen");
        let deployment = {
            let store = Store::open(&dir).expect("open");
            store.put_api(&api("aaa")).expect("put");
            store
                .deploy("aaa", "prod", Some("first".into()))
                .expect("deploy")
        };
        let store = Store::open(&dir).expect("reopen");
        let stage = store.get_stage("aaa", "prod").expect("get").expect("stage");
        assert_eq!(stage.deployment_id, deployment.id);
        assert_eq!(store.list_deployments("aaa").expect("list").len(), 1);
        assert_eq!(store.all_stages().expect("all").len(), 1);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn second_process_is_refused_and_delete_cascades() {
        let dir = temp_dir("lock");
        let store = Store::open(&dir).expect("open");
        assert!(matches!(Store::open(&dir), Err(StoreError::InUse(_))));
        store.put_api(&api("a")).expect("put");
        store.put_api(&api("ab")).expect("put");
        store.deploy("a", "prod", None).expect("deploy");
        store.deploy("ab", "prod", None).expect("deploy");
        store.delete_api("a").expect("delete");
        assert!(store.get_stage("a", "prod").expect("get").is_none());
        assert!(
            store.get_stage("ab", "prod").expect("get").is_some(),
            "a prefix of another id is not deleted"
        );
        assert!(matches!(
            store.deploy("a", "prod", None),
            Err(StoreError::NotFound(_))
        ));
        drop(store);
        std::fs::remove_dir_all(&dir).ok();
    }
}
