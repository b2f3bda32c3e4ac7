//! Custom domain names and their base path mappings, as the management API
//! keeps them (`CreateDomainName`, `CreateBasePathMapping`). Kept as state;
//! serving requests by domain belongs to the custom domains work.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::EndpointType;

/// A custom domain name (`api.example.com`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainName {
    pub domain_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional_certificate_arn: Option<String>,
    #[serde(default)]
    pub endpoint_type: EndpointType,
    /// `TLS_1_0` or `TLS_1_2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_policy: Option<String>,
    pub created_date: u64,
    /// Base path (`(none)` for the empty one) -> where it leads.
    #[serde(default)]
    pub mappings: BTreeMap<String, BasePathMapping>,
}

/// Where a base path of a domain leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasePathMapping {
    pub rest_api_id: String,
    /// `None`: the stage named by the first path segment after the base path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}
