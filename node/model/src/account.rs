//! The account's settings (`GetAccount` / `UpdateAccount`): what a user sets
//! on the account as a whole. The account throttle comes from the node's
//! configuration, not from here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Settings of the account, as `UpdateAccount` left them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountSettings {
    /// The IAM role API Gateway would log to CloudWatch with (kept and
    /// answered back; apigw writes its logs itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch_role_arn: Option<String>,
    /// Features turned on (`UsagePlans`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// The account's VPC links by id (`CreateVpcLink`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vpc_links: BTreeMap<String, VpcLink>,
}

/// A VPC link: a name for the network load balancers private
/// integrations reach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcLink {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The load balancers' ARNs.
    pub target_arns: Vec<String>,
}
