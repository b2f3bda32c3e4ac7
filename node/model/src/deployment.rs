//! Deployments: frozen copies of an API that stages point at.

use serde::{Deserialize, Serialize};

use super::RestApi;

/// An immutable snapshot of a [`RestApi`]; stages serve deployments, never
/// the working definition, so edits take effect only when deployed (as on AWS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    pub rest_api_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seconds since the Unix epoch.
    pub created_date: u64,
    pub api: RestApi,
}
