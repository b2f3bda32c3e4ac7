//! Everything the store holds, at once: read in one transaction (a
//! consistent copy, for Raft snapshots and backups) and replaced in one
//! (snapshot installs and offline restores).

use std::collections::BTreeMap;

use redb::{ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, TableError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{
    encode, Store, StoreError, APIS, API_KEYS, DEPLOYMENTS, DOMAINS, FUNCTIONS, STAGES, TAGS,
    USAGE_PLANS, WAF, WAF_ASSOCIATIONS, WS_APIS,
};
use apigw_model::function::FunctionDecl;
use apigw_model::usage::{ApiKey, UsagePlan};
use apigw_model::{Deployment, DomainName, RestApi, Stage};

/// Something wrong with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The table (`stages`, `deployments`...).
    pub table: String,
    /// The record's key in it.
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`: {}", self.table, self.key, self.message)
    }
}

/// All APIs, deployments, stages, keys, plans, functions, domains and tags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreContents {
    pub apis: Vec<RestApi>,
    pub deployments: Vec<Deployment>,
    pub stages: Vec<Stage>,
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    #[serde(default)]
    pub usage_plans: Vec<UsagePlan>,
    #[serde(default)]
    pub functions: Vec<FunctionDecl>,
    #[serde(default)]
    pub domains: Vec<DomainName>,
    /// Resource path -> tags.
    #[serde(default)]
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// wafv2 objects.
    #[serde(default)]
    pub waf: Vec<apigw_model::waf::WafItem>,
    /// Stage ARN -> web ACL ARN.
    #[serde(default)]
    pub waf_associations: BTreeMap<String, String>,
    /// WebSocket APIs, each whole.
    #[serde(default)]
    pub ws_apis: Vec<apigw_model::websocket::WsApi>,
}

impl StoreContents {
    /// How many records of each kind, for summaries.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("APIs", self.apis.len()),
            ("deployments", self.deployments.len()),
            ("stages", self.stages.len()),
            ("API keys", self.api_keys.len()),
            ("usage plans", self.usage_plans.len()),
            ("functions", self.functions.len()),
            ("domain names", self.domains.len()),
            ("tagged resources", self.tags.len()),
            ("wafv2 objects", self.waf.len()),
            ("web ACL associations", self.waf_associations.len()),
            ("WebSocket APIs", self.ws_apis.len()),
        ]
    }

    /// Whether there is nothing at all.
    pub fn is_empty(&self) -> bool {
        self.counts().iter().all(|(_, n)| *n == 0)
    }

    /// `APIs 2, deployments 3, ...` (kinds with none left out).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .counts()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        if parts.is_empty() {
            "empty".into()
        } else {
            parts.join(", ")
        }
    }
}

impl Store {
    /// Everything stored, read in one transaction; the first record that
    /// does not decode is an error.
    pub fn export(&self) -> Result<StoreContents, StoreError> {
        let txn = self.db.begin_read()?;
        let mut problems = Vec::new();
        let contents = read_all(&txn, &mut problems)?;
        match problems.into_iter().next() {
            Some(p) => Err(StoreError::Corrupt {
                key: format!("{}/{}", p.table, p.key),
                reason: p.message,
            }),
            None => Ok(contents),
        }
    }

    /// Replaces everything stored with `contents`, in one transaction.
    pub fn replace_all(&self, contents: &StoreContents) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            for table in [
                APIS,
                DEPLOYMENTS,
                STAGES,
                API_KEYS,
                USAGE_PLANS,
                FUNCTIONS,
                DOMAINS,
                TAGS,
                WAF,
                WAF_ASSOCIATIONS,
                WS_APIS,
            ] {
                txn.open_table(table)?.retain(|_, _| false)?;
            }
            let put = |table, key: &str, bytes: Vec<u8>| -> Result<(), StoreError> {
                txn.open_table(table)?.insert(key, bytes.as_slice())?;
                Ok(())
            };
            for api in &contents.apis {
                put(APIS, &api.id, encode(api))?;
            }
            for d in &contents.deployments {
                put(
                    DEPLOYMENTS,
                    &format!("{}/{}", d.rest_api_id, d.id),
                    encode(d),
                )?;
            }
            for st in &contents.stages {
                let key = format!("{}/{}", st.rest_api_id, st.stage_name);
                put(STAGES, &key, encode(st))?;
            }
            for k in &contents.api_keys {
                put(API_KEYS, &k.id, encode(k))?;
            }
            for p in &contents.usage_plans {
                put(USAGE_PLANS, &p.id, encode(p))?;
            }
            for f in &contents.functions {
                put(FUNCTIONS, &f.name, encode(f))?;
            }
            for d in &contents.domains {
                put(DOMAINS, &d.domain_name, encode(d))?;
            }
            for (resource, t) in &contents.tags {
                put(TAGS, resource, encode(t))?;
            }
            for w in &contents.waf {
                put(WAF, &w.arn, encode(w))?;
            }
            for (resource, acl) in &contents.waf_associations {
                put(WAF_ASSOCIATIONS, resource, encode(acl))?;
            }
            for api in &contents.ws_apis {
                put(WS_APIS, &api.id, encode(api))?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

/// Reads every table in `txn`, decoding every value: what decodes is
/// returned, what does not is added to `problems`. A table that is not
/// there is empty (a store from before it existed).
pub(crate) fn read_all(
    txn: &ReadTransaction,
    problems: &mut Vec<Problem>,
) -> Result<StoreContents, StoreError> {
    Ok(StoreContents {
        apis: values(read_table(txn, APIS, problems)?),
        deployments: values(read_table(txn, DEPLOYMENTS, problems)?),
        stages: values(read_table(txn, STAGES, problems)?),
        api_keys: values(read_table(txn, API_KEYS, problems)?),
        usage_plans: values(read_table(txn, USAGE_PLANS, problems)?),
        functions: values(read_table(txn, FUNCTIONS, problems)?),
        domains: values(read_table(txn, DOMAINS, problems)?),
        tags: read_table(txn, TAGS, problems)?.into_iter().collect(),
        waf: values(read_table(txn, WAF, problems)?),
        waf_associations: read_table(txn, WAF_ASSOCIATIONS, problems)?
            .into_iter()
            .collect(),
        ws_apis: values(read_table(txn, WS_APIS, problems)?),
    })
}

fn read_table<T: DeserializeOwned>(
    txn: &ReadTransaction,
    table: TableDefinition<&str, &[u8]>,
    problems: &mut Vec<Problem>,
) -> Result<Vec<(String, T)>, StoreError> {
    let name = redb::TableHandle::name(&table).to_string();
    let opened = match txn.open_table(table) {
        Ok(t) => t,
        Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for row in opened.iter()? {
        let (key, value) = row?;
        let key = key.value().to_string();
        match serde_json::from_slice(value.value()) {
            Ok(v) => out.push((key, v)),
            Err(e) => problems.push(Problem {
                table: name.clone(),
                key,
                message: format!("does not decode: {e}"),
            }),
        }
    }
    Ok(out)
}

fn values<T>(rows: Vec<(String, T)>) -> Vec<T> {
    rows.into_iter().map(|(_, v)| v).collect()
}

/// A read transaction on any redb handle (the node's, or a read-only one).
pub(crate) fn begin_read(db: &impl ReadableDatabase) -> Result<ReadTransaction, StoreError> {
    Ok(db.begin_read()?)
}
