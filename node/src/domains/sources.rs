//! Where custom domains' TLS material comes from besides the management API,
//! as the node's config names it: domains declared with PEM files,
//! certificates named by ARN (`certificateArn` / `regionalCertificateArn`),
//! and `s3://` truststore URIs mapped to local PEM bundles. Files are read
//! at each reload (a changed file is picked up without a restart), bounded
//! in size.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use apigw_tls::CertificateInput;

/// The largest certificate, key or chain file read.
const MAX_PEM_BYTES: u64 = 256 * 1024;

/// A certificate's PEM files.
#[derive(Debug, Clone)]
pub struct CertificateFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
    pub chain: Option<PathBuf>,
}

impl CertificateFiles {
    /// Reads the three files.
    pub fn read(&self) -> std::io::Result<CertificateInput> {
        Ok(CertificateInput {
            body: read_pem(&self.certificate)?,
            private_key: read_pem(&self.private_key)?.into(),
            chain: self.chain.as_deref().map(read_pem).transpose()?,
        })
    }
}

/// A base path mapping declared in the config.
#[derive(Debug, Clone)]
pub struct ConfigMapping {
    /// `(none)` or a base path (`v1/orders`).
    pub base_path: String,
    /// An API's id or its name.
    pub api: String,
    pub stage: Option<String>,
}

/// A domain declared in the config.
#[derive(Debug, Clone)]
pub struct ConfigDomain {
    /// Lower case; `*.example.com` for a wildcard domain.
    pub name: String,
    pub certificate: CertificateFiles,
    pub security_policy: Option<String>,
    /// Mutual TLS: the truststore's PEM bundle.
    pub truststore: Option<PathBuf>,
    pub mappings: Vec<ConfigMapping>,
}

/// Everything the config says about custom domains.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub domains: Vec<ConfigDomain>,
    /// Certificate ARN -> its files.
    pub certificates: HashMap<String, CertificateFiles>,
    /// `s3://bucket/key` -> a local PEM bundle.
    pub truststores: HashMap<String, PathBuf>,
}

impl Sources {
    /// The local file for a `truststoreUri`: the mapped one for an `s3://`
    /// URI, else the URI itself as a path (`file://` stripped).
    pub fn truststore_path(&self, uri: &str) -> Option<PathBuf> {
        if let Some(path) = self.truststores.get(uri) {
            return Some(path.clone());
        }
        if uri.starts_with("s3://") {
            return None;
        }
        Some(PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri)))
    }
}

fn read_pem(path: &Path) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_PEM_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_PEM_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is larger than {MAX_PEM_BYTES} bytes", path.display()),
        ));
    }
    Ok(text)
}
