//! Stages: named pointers at a deployment, with variables and settings.

use std::collections::{BTreeMap, BTreeSet};

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
    /// The cache's size as AWS names it (`0.5` ... `237`), as asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_cluster_size: Option<String>,
    /// Whether X-Ray tracing was asked for (`tracingEnabled`; kept, not acted on).
    #[serde(default)]
    pub tracing_enabled: bool,
    /// Per-method settings keyed `{resourcePath}/{httpMethod}` or `*/*`.
    #[serde(default)]
    pub method_settings: BTreeMap<String, MethodSetting>,
    /// Where and how AWS would write access logs (`accessLogSettings`;
    /// kept and answered, apigw writes its own access log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_settings: Option<AccessLogSettings>,
    /// The documentation version the stage names (`documentationVersion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_version: Option<String>,
    /// Deployments the stage pointed at before, oldest first (at most
    /// [`Stage::HISTORY`]): what `apigw rollback` goes back to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<String>,
    /// The canary release on this stage (`canarySettings`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_settings: Option<CanarySettings>,
    /// The client certificate the stage presents to HTTP backends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate_id: Option<String>,
    /// Seconds since the Unix epoch.
    pub created_date: u64,
    pub last_updated_date: u64,
}

/// A stage's canary release (`canarySettings`): a share of the stage's
/// requests goes to another deployment, with some stage variables
/// overridden.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanarySettings {
    /// The deployment the canary serves.
    pub deployment_id: String,
    /// The share of requests, in percent (0.0 to 100.0).
    #[serde(default)]
    pub percent_traffic: f64,
    /// Stage variables the canary sees instead of the stage's.
    #[serde(default)]
    pub stage_variable_overrides: BTreeMap<String, String>,
    /// Whether canary requests share the stage cache's entries.
    #[serde(default)]
    pub use_stage_cache: bool,
}

impl CanarySettings {
    /// The stage variables a canary request sees: `stage`'s, overlaid by
    /// the overrides.
    pub fn variables(&self, stage: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut out = stage.clone();
        out.extend(self.stage_variable_overrides.clone());
        out
    }
}

/// A stage's `accessLogSettings`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
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
            cache_cluster_size: None,
            tracing_enabled: false,
            method_settings: BTreeMap::new(),
            access_log_settings: None,
            documentation_version: None,
            history: Vec::new(),
            canary_settings: None,
            client_certificate_id: None,
            created_date: now,
            last_updated_date: now,
        }
    }
}

impl Stage {
    /// How many earlier deployments a stage remembers.
    pub const HISTORY: usize = 20;

    /// `self` as it replaces `old`: when the deployment changes, the old
    /// one joins the history, unless this goes back to the last one there
    /// (a rollback), which leaves the history.
    pub fn succeeding(mut self, old: Option<&Stage>) -> Stage {
        let Some(old) = old else { return self };
        self.history = old.history.clone();
        if old.deployment_id != self.deployment_id {
            if self.history.last() == Some(&self.deployment_id) {
                self.history.pop();
            } else {
                self.history.push(old.deployment_id.clone());
                let excess = self.history.len().saturating_sub(Stage::HISTORY);
                self.history.drain(..excess);
            }
        }
        self
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
    /// `metricsEnabled`, `loggingLevel` (OFF, ERROR, INFO), `dataTraceEnabled`
    /// and `cacheDataEncrypted`: kept and answered back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_trace_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_data_encrypted: Option<bool>,
    /// Throttling members set to -1 ("no override": the stage's and
    /// account's limits apply), answered back as -1:
    /// `throttlingRateLimit`, `throttlingBurstLimit`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub inherited: BTreeSet<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_grows_on_deploys_and_shrinks_on_rollbacks() {
        let at = |d: &str| Stage::new("a", "prod", d, 0);
        let s1 = at("d1").succeeding(None);
        let s2 = at("d2").succeeding(Some(&s1));
        let s3 = at("d3").succeeding(Some(&s2));
        assert_eq!(s3.history, ["d1", "d2"]);
        // Back to d2 (the last one): a rollback, the history shrinks.
        let back = at("d2").succeeding(Some(&s3));
        assert_eq!(back.history, ["d1"]);
        // A settings change keeps the history as it is.
        let mut same = back.clone();
        same.variables.insert("k".into(), "v".into());
        assert_eq!(same.succeeding(Some(&back)).history, ["d1"]);
        // It stays bounded.
        let mut s = at("d0");
        for i in 0..50 {
            s = at(&format!("n{i}")).succeeding(Some(&s));
        }
        assert_eq!(s.history.len(), Stage::HISTORY);
        assert_eq!(s.history.last().map(String::as_str), Some("n48"));
    }
}
