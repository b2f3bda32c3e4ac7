//! The YAML configuration file, and how flags and `APIGW_*` variables
//! override it. Only the binary reads files and environment; the library gets
//! the typed values built here.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    pub node: NodeSection,
    pub limits: LimitsSection,
    pub log: LogSection,
    pub apis: Vec<ApiSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSection {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub admin_listen: Option<String>,
    /// Data-plane worker threads, each with its own listener (SO_REUSEPORT),
    /// runtime and backend connection pool [default: one per core].
    pub workers: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    /// Ceiling for integrations' `timeoutInMillis` (AWS: 29,000).
    pub max_integration_timeout_ms: u64,
    pub max_connections: usize,
    pub drain_timeout_ms: u64,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_body_bytes: 10 * 1024 * 1024,
            max_header_bytes: 10_240,
            max_integration_timeout_ms: 29_000,
            max_connections: 10_000,
            drain_timeout_ms: 30_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// `json` (default) or `text`.
    pub format: Option<String>,
    /// A tracing filter (`info`, `apigw=debug`).
    pub level: Option<String>,
    /// How long data-plane workers may hold log lines before writing them.
    pub flush_ms: u64,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            format: None,
            level: None,
            flush_ms: 100,
        }
    }
}

/// An API declared in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// The API's id in URLs; derived from `name` (or the document title) if absent.
    pub id: Option<String>,
    /// Overrides the document's `info.title`.
    pub name: Option<String>,
    /// The OpenAPI/Swagger document, relative to the config file.
    pub openapi: PathBuf,
    #[serde(default)]
    pub stages: Vec<StageSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSection {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// A loaded config file and the folder its relative paths start from.
#[derive(Debug, Default)]
pub struct Loaded {
    pub file: ConfigFile,
    pub base: PathBuf,
}

impl Loaded {
    /// Reads and checks a config file; errors name the line or field.
    pub fn read(path: &Path) -> Result<Loaded> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let file = parse(&text)
            .with_context(|| format!("{} is not a valid apigw config", path.display()))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Loaded { file, base })
    }

    /// Where an API's document is.
    pub fn document_path(&self, api: &ApiSection) -> PathBuf {
        if api.openapi.is_absolute() {
            api.openapi.clone()
        } else {
            self.base.join(&api.openapi)
        }
    }
}

/// Parses config text, reporting the field path and line of a mistake.
pub fn parse(text: &str) -> Result<ConfigFile> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let file: ConfigFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let line = inner
            .location()
            .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
            .unwrap_or_default();
        anyhow::anyhow!("{line}at `{path}`: {inner}")
    })?;
    let mut seen = std::collections::BTreeSet::new();
    for (i, api) in file.apis.iter().enumerate() {
        for (j, stage) in api.stages.iter().enumerate() {
            if !valid_stage_name(&stage.name) {
                bail!("at `apis[{i}].stages[{j}].name`: `{}` is not a valid stage name (letters, digits, - and _)", stage.name);
            }
        }
        if let Some(id) = &api.id {
            if !apigw::ids::is_valid_api_id(id) {
                bail!("at `apis[{i}].id`: `{id}` is not a valid API id (letters, digits, - and _)");
            }
            if !seen.insert(id.clone()) {
                bail!("at `apis[{i}].id`: `{id}` is declared twice");
            }
        }
    }
    Ok(file)
}

fn valid_stage_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Parses a listen address (`127.0.0.1:8080`, `[::1]:0`).
pub fn socket_addr(what: &str, value: &str) -> Result<SocketAddr> {
    value
        .parse()
        .with_context(|| format!("{what} `{value}` is not an address like 127.0.0.1:8080"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let file = parse(
            "node: {listen: '127.0.0.1:0'}\nlimits: {max_integration_timeout_ms: 60000}\napis:\n  - openapi: a.yaml\n    stages: [{name: prod, variables: {x: '1'}}]\n",
        )
        .expect("parses");
        assert_eq!(file.limits.max_integration_timeout_ms, 60_000);
        assert_eq!(file.limits.max_body_bytes, 10 * 1024 * 1024);
        assert_eq!(file.apis[0].stages[0].variables["x"], "1");
    }

    #[test]
    fn mistakes_name_the_field_and_line() {
        let err = parse("apis:\n  - openapi: a.yaml\n    stagez: []\n").expect_err("unknown field");
        let text = err.to_string();
        assert!(text.contains("apis[0]"), "{text}");
        assert!(text.contains("stagez"), "{text}");
        assert!(text.contains("line 3"), "{text}");
        let err = parse("apis:\n  - openapi: a.yaml\n    stages: [{name: 'bad name'}]\n")
            .expect_err("bad stage");
        assert!(err.to_string().contains("apis[0].stages[0].name"));
    }
}
