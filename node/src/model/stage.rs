//! Stages: named pointers at a deployment, with variables and settings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A stage of one API (`prod`, `dev`...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    pub rest_api_id: String,
    pub stage_name: String,
    pub deployment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `${stageVariables.NAME}` values.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Whether the stage cache is on (`cacheClusterEnabled`).
    #[serde(default)]
    pub cache_cluster_enabled: bool,
    /// Per-method settings keyed `{resourcePath}/{httpMethod}` or `*/*`.
    #[serde(default)]
    pub method_settings: BTreeMap<String, MethodSetting>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Seconds since the Unix epoch.
    pub created_date: u64,
    pub last_updated_date: u64,
}

impl Stage {
    /// A new stage pointing at a deployment, with no variables or settings.
    pub fn new(api_id: &str, name: &str, deployment_id: &str, now: u64) -> Stage {
        Stage {
            rest_api_id: api_id.to_string(),
            stage_name: name.to_string(),
            deployment_id: deployment_id.to_string(),
            description: None,
            variables: BTreeMap::new(),
            cache_cluster_enabled: false,
            method_settings: BTreeMap::new(),
            tags: BTreeMap::new(),
            created_date: now,
            last_updated_date: now,
        }
    }
}

/// Throttling, caching and logging settings for methods of a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MethodSetting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling_rate_limit: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling_burst_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caching_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl_in_seconds: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_authorization_for_cache_control: Option<bool>,
    /// `FAIL_WITH_403`, `SUCCEED_WITH_RESPONSE_HEADER`, `SUCCEED_WITHOUT_RESPONSE_HEADER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unauthorized_cache_control_header_strategy: Option<String>,
}
