//! Builds the node's functions from the config's `functions:` section.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use apigw::dataplane::integration::http::HttpClient;
use apigw::functions::{Function, Functions, LocalFunction, LocalSpec, RemoteFunction, RemoteSpec};

use crate::config::{FunctionSection, Loaded, RemoteSection};

/// Declares every function of the config on `runtime` (nothing starts yet:
/// [`Functions::warm_up`] starts the warm instances).
pub fn build(loaded: &Loaded, runtime: tokio::runtime::Handle) -> Result<Functions> {
    let mut functions = Functions::new(runtime.clone());
    let node_region = loaded
        .file
        .node
        .region
        .clone()
        .unwrap_or_else(|| "us-east-1".into());
    let mut client = None;
    for section in &loaded.file.functions {
        let region = section
            .region
            .clone()
            .unwrap_or_else(|| node_region.clone());
        let function = match (&section.command, &section.remote) {
            (_, Some(remote)) => {
                let client = match &client {
                    Some(c) => c,
                    None => client.insert(
                        HttpClient::new(Duration::from_secs(90), 6 * 1024 * 1024)
                            .context("cannot set up the Lambda Invoke API client")?,
                    ),
                };
                let spec = remote_spec(section, remote, region)?;
                Function::Remote(Arc::new(RemoteFunction::new(spec, client.clone())))
            }
            (Some(command), None) => {
                let spec = LocalSpec {
                    name: section.name.clone(),
                    command: command.clone(),
                    handler: section.handler.clone(),
                    cwd: section.cwd.as_deref().map(|c| loaded.resolve(c)),
                    env: section.env.clone(),
                    memory_mb: section.memory_mb,
                    timeout: Duration::from_millis(section.timeout_ms),
                    max_concurrency: section.max_concurrency,
                    min_warm: section.min_warm.min(section.max_concurrency),
                    region,
                    init_timeout: Duration::from_millis(section.init_timeout_ms.max(1)),
                };
                Function::Local(Arc::new(LocalFunction::new(spec, runtime.clone())))
            }
            (None, None) => anyhow::bail!(
                "function `{}` has neither a command nor a remote",
                section.name
            ),
        };
        functions.insert(section.name.clone(), function);
    }
    Ok(functions)
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
