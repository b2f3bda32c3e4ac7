//! The config's `aws:` section and the AWS SDKs' environment, made into the
//! endpoints and credentials of AWS service integrations
//! (`apigw::dataplane::integration::aws::AwsConfig`).
//!
//! Endpoints, first found: `aws.endpoints.<service>`,
//! `AWS_ENDPOINT_URL_<SERVICE>`, `aws.endpoint_url`, `AWS_ENDPOINT_URL`,
//! else AWS's own (`AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` skips the
//! variables, as in the SDKs). Credentials: `aws.credentials`, else
//! `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, else
//! the profile `AWS_PROFILE` (or `default`) of the shared credentials file
//! (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use apigw::dataplane::integration::aws::{AwsConfig, Credentials};
use apigw::snapshot::SERVICES;
use serde::Deserialize;

/// `aws:` in the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsSection {
    /// The endpoint of every service without one of its own.
    pub endpoint_url: Option<String>,
    /// Endpoints by service: the name in integration URIs (`states`) or
    /// the SDKs' id (`sfn`, `eventbridge`), any case.
    pub endpoints: BTreeMap<String, String>,
    /// The node's own credentials.
    pub credentials: Option<CredentialsSection>,
    /// Credentials used for an integration's `credentials` role ARN
    /// instead of assuming it through STS.
    pub roles: BTreeMap<String, CredentialsSection>,
}

/// An access key pair (kept out of logs).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsSection {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub session_token: Option<String>,
}

impl std::fmt::Debug for CredentialsSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsSection")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl From<&CredentialsSection> for Credentials {
    fn from(c: &CredentialsSection) -> Credentials {
        Credentials {
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            session_token: c.session_token.clone(),
        }
    }
}

/// The integrations' AWS settings from `section` and the environment.
pub fn config(section: &AwsSection) -> Result<AwsConfig> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let use_env_endpoints =
        !env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut endpoints = BTreeMap::new();
    if use_env_endpoints {
        for (key, value) in std::env::vars() {
            if let Some(id) = key.strip_prefix("AWS_ENDPOINT_URL_") {
                if !value.is_empty() {
                    endpoints.insert(service_name(id), checked(&key, value)?);
                }
            }
        }
    }
    for (name, url) in &section.endpoints {
        endpoints.insert(
            service_name(name),
            checked(&format!("aws.endpoints.{name}"), url.clone())?,
        );
    }
    let default_endpoint = match &section.endpoint_url {
        Some(url) => Some(checked("aws.endpoint_url", url.clone())?),
        None if use_env_endpoints => env("AWS_ENDPOINT_URL")
            .map(|u| checked("AWS_ENDPOINT_URL", u))
            .transpose()?,
        None => None,
    };
    let credentials = match &section.credentials {
        Some(c) => Some(c.into()),
        None => from_env(&env).or(from_shared_file(&env)?),
    };
    Ok(AwsConfig {
        endpoints,
        default_endpoint,
        credentials,
        roles: section
            .roles
            .iter()
            .map(|(arn, c)| (arn.clone(), c.into()))
            .collect(),
    })
}

/// A service's name in integration URIs from an SDK id (`SFN`,
/// `eventbridge`) or the name itself.
fn service_name(id: &str) -> String {
    let key = id.to_ascii_uppercase().replace('-', "_");
    SERVICES
        .iter()
        .find(|s| s.env_key == key || s.arn_name.eq_ignore_ascii_case(id))
        .map_or_else(|| id.to_ascii_lowercase(), |s| s.arn_name.to_string())
}

fn checked(what: &str, url: String) -> Result<String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("{what}: `{url}` is not an http:// or https:// URL");
    }
    Ok(url)
}

fn from_env(env: &impl Fn(&str) -> Option<String>) -> Option<Credentials> {
    Some(Credentials {
        access_key_id: env("AWS_ACCESS_KEY_ID")?,
        secret_access_key: env("AWS_SECRET_ACCESS_KEY")?,
        session_token: env("AWS_SESSION_TOKEN"),
    })
}

/// The profile's keys in the shared credentials file, if it exists.
fn from_shared_file(env: &impl Fn(&str) -> Option<String>) -> Result<Option<Credentials>> {
    let path = match env("AWS_SHARED_CREDENTIALS_FILE") {
        Some(p) => PathBuf::from(p),
        None => match env("HOME") {
            Some(home) => PathBuf::from(home).join(".aws").join("credentials"),
            None => return Ok(None),
        },
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let keys = profile_keys(&text, &profile);
    let get = |k: &str| keys.get(k).cloned().filter(|v| !v.is_empty());
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Credentials {
            access_key_id,
            secret_access_key,
            session_token: get("aws_session_token"),
        })),
        (None, None) => Ok(None),
        _ => Err(anyhow::anyhow!("profile `{profile}` lacks a key"))
            .with_context(|| format!("{} is incomplete", path.display())),
    }
}

/// The `key = value` lines of `[profile]` in an INI file.
fn profile_keys(text: &str, profile: &str) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == profile;
        } else if let (true, Some((k, v))) = (inside, line.split_once('=')) {
            keys.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids_map_to_uri_names() {
        assert_eq!(service_name("SFN"), "states");
        assert_eq!(service_name("eventbridge"), "events");
        assert_eq!(service_name("DYNAMODB"), "dynamodb");
        assert_eq!(service_name("states"), "states");
        assert_eq!(service_name("APPSYNC"), "appsync");
    }

    #[test]
    fn profiles_are_read() {
        let text = "[default]\naws_access_key_id = A\n[other]\naws_access_key_id=B\naws_secret_access_key = S\n";
        let keys = profile_keys(text, "other");
        assert_eq!(keys.get("aws_access_key_id").map(String::as_str), Some("B"));
        assert_eq!(
            keys.get("aws_secret_access_key").map(String::as_str),
            Some("S")
        );
        assert_eq!(profile_keys(text, "default").len(), 1);
    }
}
