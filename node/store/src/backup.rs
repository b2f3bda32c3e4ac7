//! The backup format: a versioned JSON document holding the store's
//! contents (see `docs/security/store.md` for why JSON and not a copy of
//! the redb file).
//!
//! ```json
//! {"format": "apigw-store-backup", "version": 1, "writtenBy": "apigw 0.1.0",
//!  "schema": 1, "created": 1700000000, "secretsInClear": ["api_keys[].value"],
//!  "contents": {"apis": [...], "deployments": [...], ...}}
//! ```
//!
//! `version` is this envelope's; `schema` the store's encoding of the
//! records. A newer apigw reads older versions (migrating them here); an
//! older one refuses a newer backup by name instead of guessing. The store
//! holds no admin credentials and no TLS private keys, so neither does a
//! backup; the secrets it does hold in clear are listed in `secretsInClear`.

use serde::{Deserialize, Serialize};

use super::check::{references, Problem};
use super::{StoreContents, SCHEMA_VERSION};
use apigw_model::function::FunctionSpec;

/// The `format` of every backup.
pub const FORMAT: &str = "apigw-store-backup";

/// The envelope version this apigw writes (and the newest it reads).
pub const VERSION: u32 = 1;

/// A backup of a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    pub format: String,
    pub version: u32,
    /// `apigw {version}` that wrote it.
    pub written_by: String,
    /// The store's record encoding.
    pub schema: u64,
    /// Unix seconds.
    pub created: u64,
    /// The fields that hold secrets in clear, so whoever keeps the file
    /// knows to keep it like a password file.
    #[serde(default)]
    pub secrets_in_clear: Vec<String>,
    pub contents: StoreContents,
}

/// Why a file is not a backup this apigw can restore.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("not an apigw backup (JSON with \"format\": \"{FORMAT}\"): {0}")]
    NotABackup(String),
    #[error("the backup is version {found}, newer than this apigw reads ({VERSION}): restore it with a newer apigw")]
    TooNew { found: u32 },
    #[error("the backup's store schema is {found}, newer than this apigw reads ({SCHEMA_VERSION}): restore it with a newer apigw")]
    SchemaTooNew { found: u64 },
    #[error("the backup's records do not fit together: {}", list(.0))]
    Inconsistent(Vec<Problem>),
}

fn list(problems: &[Problem]) -> String {
    let shown: Vec<String> = problems.iter().take(10).map(Problem::to_string).collect();
    let more = problems.len().saturating_sub(shown.len());
    match more {
        0 => shown.join("; "),
        n => format!("{}; and {n} more", shown.join("; ")),
    }
}

impl Backup {
    /// A backup of `contents`, made now.
    pub fn new(contents: StoreContents) -> Backup {
        Backup {
            format: FORMAT.into(),
            version: VERSION,
            written_by: format!("apigw {}", env!("CARGO_PKG_VERSION")),
            schema: SCHEMA_VERSION,
            created: super::unix_now(),
            secrets_in_clear: secrets(&contents),
            contents,
        }
    }

    /// The file's bytes (indented JSON: diffable, greppable).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Reads a backup, refusing what this apigw cannot restore faithfully:
    /// another format, a newer version, records that reference missing ones.
    pub fn parse(bytes: &[u8]) -> Result<Backup, BackupError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| BackupError::NotABackup(e.to_string()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(BackupError::NotABackup("no such \"format\"".into()));
        }
        let found = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if found > u64::from(VERSION) {
            return Err(BackupError::TooNew {
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        // Version 1 is the first; older ones would be migrated here.
        let backup: Backup =
            serde_json::from_value(value).map_err(|e| BackupError::NotABackup(e.to_string()))?;
        if backup.schema > SCHEMA_VERSION {
            return Err(BackupError::SchemaTooNew {
                found: backup.schema,
            });
        }
        let problems = references(&backup.contents);
        if !problems.is_empty() {
            return Err(BackupError::Inconsistent(problems));
        }
        Ok(backup)
    }
}

/// Which fields of `contents` hold secrets in clear.
fn secrets(contents: &StoreContents) -> Vec<String> {
    let mut out = Vec::new();
    if !contents.api_keys.is_empty() {
        out.push("contents.api_keys[].value".to_string());
    }
    let remote = contents.functions.iter().any(|f| match &f.spec {
        FunctionSpec::Remote(r) => !r.secret_access_key.is_empty() || r.session_token.is_some(),
        FunctionSpec::Local(_) => false,
    });
    if remote {
        out.push("contents.functions[].spec.Remote.secret_access_key, session_token".to_string());
    }
    let env = contents.functions.iter().any(|f| match &f.spec {
        FunctionSpec::Local(l) => !l.env.is_empty(),
        FunctionSpec::Remote(_) => false,
    });
    if env {
        out.push("contents.functions[].spec.Local.env (may)".to_string());
    }
    out
}
