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
    /// The account's client certificates by id
    /// (`GenerateClientCertificate`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub client_certificates: BTreeMap<String, ClientCertificate>,
}

/// A client certificate: a self-signed X.509 certificate and its key, that
/// stages naming it present to their HTTP backends.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCertificate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The certificate, PEM.
    pub pem_encoded_certificate: String,
    /// Its private key, PKCS#8 PEM: kept in the store, never answered.
    pub private_key_pem: String,
    /// Epoch seconds.
    pub created_date: u64,
    pub expiration_date: u64,
}

/// Never shows the private key.
impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("description", &self.description)
            .field("created_date", &self.created_date)
            .field("expiration_date", &self.expiration_date)
            .finish_non_exhaustive()
    }
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
