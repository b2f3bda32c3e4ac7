//! The config's `functions:` section as declarations the control plane
//! stores (and, in a cluster, replicates).

use std::time::Duration;

use anyhow::{Context, Result};
use apigw::functions::{FunctionDecl, FunctionSpec, LocalSpec, RemoteSpec};

use crate::config::{FunctionSection, Loaded, RemoteSection};

/// The config's function declarations (paths made absolute, credentials
/// read from the environment now), as the control plane stores them.
pub fn declarations(loaded: &Loaded) -> Result<Vec<FunctionDecl>> {
    let node_region = loaded
        .file
        .node
        .region
        .clone()
        .unwrap_or_else(|| "us-east-1".into());
    let mut out = Vec::new();
    for section in &loaded.file.functions {
        let region = section
            .region
            .clone()
            .unwrap_or_else(|| node_region.clone());
        let spec = match (&section.command, &section.remote) {
            (_, Some(remote)) => FunctionSpec::Remote(remote_spec(section, remote, region)?),
            (Some(command), None) => FunctionSpec::Local(LocalSpec {
                name: section.name.clone(),
                command: command.clone(),
                handler: section.handler.clone(),
                cwd: section.cwd.as_deref().map(|c| {
                    let path = loaded.resolve(c);
                    std::fs::canonicalize(&path).unwrap_or(path)
                }),
                env: section.env.clone(),
                memory_mb: section.memory_mb,
                timeout: Duration::from_millis(section.timeout_ms),
                max_concurrency: section.max_concurrency,
                min_warm: section.min_warm.min(section.max_concurrency),
                region,
                init_timeout: Duration::from_millis(section.init_timeout_ms.max(1)),
            }),
            (None, None) => anyhow::bail!(
                "function `{}` has neither a command nor a remote",
                section.name
            ),
        };
        out.push(FunctionDecl {
            name: section.name.clone(),
            spec,
            from_config: true,
        });
    }
    Ok(out)
}

fn remote_spec(
    section: &FunctionSection,
    remote: &RemoteSection,
    region: String,
) -> Result<RemoteSpec> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let access_key_id = remote
        .access_key_id
        .clone()
        .or_else(|| from_env("AWS_ACCESS_KEY_ID"))
        .with_context(|| {
            format!(
                "function `{}`: no access key (config or AWS_ACCESS_KEY_ID)",
                section.name
            )
        })?;
    let secret_access_key = remote
        .secret_access_key
        .clone()
        .or_else(|| from_env("AWS_SECRET_ACCESS_KEY"))
        .with_context(|| {
            format!(
                "function `{}`: no secret key (config or AWS_SECRET_ACCESS_KEY)",
                section.name
            )
        })?;
    Ok(RemoteSpec {
        name: section.name.clone(),
        function_name: remote
            .function_name
            .clone()
            .unwrap_or_else(|| section.name.clone()),
        endpoint: remote.endpoint.clone(),
        region: remote.region.clone().unwrap_or(region),
        access_key_id,
        secret_access_key,
        session_token: remote
            .session_token
            .clone()
            .or_else(|| from_env("AWS_SESSION_TOKEN")),
    })
}
