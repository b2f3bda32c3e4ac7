//! Verifying a store without starting a node (`apigw store check`): every
//! page's checksum, every record decoded, and the references between
//! records (stages to deployments, deployments to APIs, plans to keys and
//! stages, base path mappings and tags to what they name).
//!
//! The store file is opened read-only and never written to. redb verifies
//! page checksums only through a writable handle, so that part runs on a
//! private copy of the file, removed afterwards.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use apigw_cluster::redb_file::{self, RedbFileError};
use redb::TableError;

pub use super::contents::Problem;
use super::contents::{begin_read, read_all};
use super::{StoreContents, StoreError, FILE, META, SCHEMA_VERSION};

/// What checking a store found.
#[derive(Debug)]
pub struct Report {
    pub file: PathBuf,
    /// What decoded.
    pub contents: StoreContents,
    pub problems: Vec<Problem>,
    /// Things worth knowing that are not problems.
    pub notes: Vec<String>,
}

/// Checks the store in `dir` (see the module doc). An error means the file
/// could not be checked at all (absent, held by a running node, damaged
/// below the records).
pub fn check_dir(dir: &Path) -> Result<Report, StoreError> {
    let file = dir.join(FILE);
    if !file.exists() {
        return Err(StoreError::NotFound(format!(
            "a store file {}",
            file.display()
        )));
    }
    let mut notes = Vec::new();
    // The read-only handle keeps a node from opening the file meanwhile.
    let _read_only = match redb_file::open_read_only(&file) {
        Ok(db) => Some(db),
        Err(RedbFileError::InUse { .. }) => return Err(StoreError::InUse(dir.to_path_buf())),
        Err(RedbFileError::Empty { path }) => {
            return Err(StoreError::File(RedbFileError::Empty { path }))
        }
        Err(e) => {
            notes.push(format!("read-only open: {e}"));
            None
        }
    };
    let scratch = std::env::temp_dir().join(format!(
        "apigw-check-{}-{}.redb",
        std::process::id(),
        apigw_model::ids::new_api_id()
    ));
    let outcome = check_copy(&file, &scratch);
    let _ = std::fs::remove_file(&scratch);
    let (contents, problems) = outcome?;
    Ok(Report {
        file,
        contents,
        problems,
        notes,
    })
}

fn check_copy(file: &Path, scratch: &Path) -> Result<(StoreContents, Vec<Problem>), StoreError> {
    let db = redb_file::verified_copy(file, scratch).map_err(StoreError::File)?;
    let read = redb_file::guarded(file, || {
        Ok((|| {
            let txn = begin_read(&db)?;
            match txn.open_table(META) {
                Ok(meta) => match meta.get("schema_version")?.map(|v| v.value()) {
                    Some(v) if v > SCHEMA_VERSION => {
                        return Err(StoreError::TooNew {
                            path: file.to_path_buf(),
                            found: v,
                        })
                    }
                    Some(v) if v > 0 => {}
                    found => {
                        return Err(StoreError::Corrupt {
                            key: "meta/schema_version".into(),
                            reason: format!("{found:?} is not a schema version apigw wrote"),
                        })
                    }
                },
                Err(TableError::TableDoesNotExist(_)) => {
                    return Err(StoreError::Corrupt {
                        key: "meta".into(),
                        reason: "no meta table: not an apigw store".into(),
                    })
                }
                Err(e) => return Err(e.into()),
            }
            let mut problems = Vec::new();
            let contents = read_all(&txn, &mut problems)?;
            problems.extend(references(&contents));
            Ok((contents, problems))
        })())
    });
    match read.map_err(StoreError::File)? {
        Ok(found) => Ok(found),
        Err(e @ StoreError::TooNew { .. }) => Err(e),
        Err(e) => Err(StoreError::File(RedbFileError::Unreadable {
            path: file.to_path_buf(),
            reason: e.to_string(),
        })),
    }
}

/// The references between records that do not hold.
pub fn references(c: &StoreContents) -> Vec<Problem> {
    let apis: HashSet<&str> = c.apis.iter().map(|a| a.id.as_str()).collect();
    let deployments: HashSet<(&str, &str)> = c
        .deployments
        .iter()
        .map(|d| (d.rest_api_id.as_str(), d.id.as_str()))
        .collect();
    let stages: HashSet<(&str, &str)> = c
        .stages
        .iter()
        .map(|s| (s.rest_api_id.as_str(), s.stage_name.as_str()))
        .collect();
    let keys: HashSet<&str> = c.api_keys.iter().map(|k| k.id.as_str()).collect();
    let domains: HashSet<&str> = c.domains.iter().map(|d| d.domain_name.as_str()).collect();
    let mut out = Vec::new();
    let mut problem = |table: &str, key: String, message: String| {
        out.push(Problem {
            table: table.into(),
            key,
            message,
        })
    };
    for d in &c.deployments {
        if !apis.contains(d.rest_api_id.as_str()) {
            problem(
                "deployments",
                format!("{}/{}", d.rest_api_id, d.id),
                format!("belongs to API `{}`, which is not there", d.rest_api_id),
            );
        }
    }
    for s in &c.stages {
        let key = format!("{}/{}", s.rest_api_id, s.stage_name);
        if !apis.contains(s.rest_api_id.as_str()) {
            problem(
                "stages",
                key.clone(),
                format!("belongs to API `{}`, which is not there", s.rest_api_id),
            );
        }
        if !deployments.contains(&(s.rest_api_id.as_str(), s.deployment_id.as_str())) {
            problem(
                "stages",
                key.clone(),
                format!(
                    "points at deployment `{}`, which is not there",
                    s.deployment_id
                ),
            );
        }
        if let Some(canary) = &s.canary_settings {
            if !deployments.contains(&(s.rest_api_id.as_str(), canary.deployment_id.as_str())) {
                problem(
                    "stages",
                    key,
                    format!(
                        "has a canary on deployment `{}`, which is not there",
                        canary.deployment_id
                    ),
                );
            }
        }
    }
    for p in &c.usage_plans {
        for k in p.keys.iter().filter(|k| !keys.contains(k.as_str())) {
            problem(
                "usage_plans",
                p.id.clone(),
                format!("lists API key `{k}`, which is not there"),
            );
        }
        for s in &p.stages {
            if !stages.contains(&(s.api_id.as_str(), s.stage.as_str())) {
                problem(
                    "usage_plans",
                    p.id.clone(),
                    format!(
                        "covers stage `{}/{}`, which is not there",
                        s.api_id, s.stage
                    ),
                );
            }
        }
    }
    for d in &c.domains {
        for (base, m) in &d.mappings {
            if !apis.contains(m.rest_api_id.as_str()) {
                problem(
                    "domains",
                    d.domain_name.clone(),
                    format!(
                        "maps `{base}` to API `{}`, which is not there",
                        m.rest_api_id
                    ),
                );
            }
        }
    }
    for resource in c.tags.keys() {
        if !tagged_exists(resource, &apis, &stages, &domains) {
            problem(
                "tags",
                resource.clone(),
                "tags a resource that is not there".into(),
            );
        }
    }
    out
}

/// Whether a tagged resource path names something stored (paths of other
/// shapes are not judged).
fn tagged_exists(
    resource: &str,
    apis: &HashSet<&str>,
    stages: &HashSet<(&str, &str)>,
    domains: &HashSet<&str>,
) -> bool {
    if let Some(name) = resource.strip_prefix("/domainnames/") {
        return domains.contains(name);
    }
    let Some(rest) = resource.strip_prefix("/restapis/") else {
        return true;
    };
    match rest.split_once("/stages/") {
        Some((api, stage)) => stages.contains(&(api, stage)),
        None if !rest.contains('/') => apis.contains(rest),
        None => true,
    }
}

#[cfg(test)]
mod tests;
