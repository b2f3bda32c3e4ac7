//! Custom domain names and their base path mappings, as the management API
//! keeps them (`CreateDomainName`, `CreateBasePathMapping`), with the
//! certificate uploaded for the domain (AWS's older `certificateBody` /
//! `certificatePrivateKey` / `certificateChain` fields) and its mutual-TLS
//! truststore. The data plane serves them by SNI and `Host`.

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
    /// `regionalCertificateName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regional_certificate_name: Option<String>,
    #[serde(default)]
    pub endpoint_type: EndpointType,
    /// An AWS policy name (`TLS_1_2`, `SecurityPolicy_TLS13_1_3_2025_09`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_policy: Option<String>,
    pub created_date: u64,
    /// Base path (`(none)` for the empty one) -> where it leads.
    #[serde(default)]
    pub mappings: BTreeMap<String, BasePathMapping>,
    /// The uploaded certificate, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<UploadedCertificate>,
    /// `mutualTlsAuthentication`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutual_tls: Option<MutualTls>,
}

/// A certificate uploaded with the domain (PEM). The key is a [`SecretPem`]:
/// stored (for every node to serve it) but never printed or answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedCertificate {
    /// `certificateName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `certificateBody`.
    pub body: String,
    /// `certificatePrivateKey`.
    pub private_key: SecretPem,
    /// `certificateChain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// `certificateUploadDate`, Unix seconds.
    pub uploaded: u64,
}

/// A private key, PEM. `Debug` prints `<redacted>`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretPem(pub String);

impl std::fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `mutualTlsAuthentication`: where the truststore is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MutualTls {
    /// `truststoreUri`: a local PEM bundle path, or an `s3://` URI the node's
    /// config maps to one.
    pub truststore_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truststore_version: Option<String>,
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
