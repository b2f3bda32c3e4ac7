//! The cluster's certificates: one CA per cluster, one certificate per node
//! naming it `node-{id}.{cluster}.apigw`, so a peer's certificate says which
//! node it is.
//!
//! Layout of a certificate folder: `ca.pem`, `ca.key`, `node-{id}.pem`,
//! `node-{id}.key`. The CA's key is needed only to issue certificates for new
//! nodes; nodes need `ca.pem` and their own pair.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Why certificates could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: not a PEM file with the expected content")]
    Pem(PathBuf),
}

/// The DNS name a node's certificate carries.
pub fn node_name(cluster: &str, node_id: u64) -> String {
    format!("node-{node_id}.{cluster}.apigw")
}

fn ca_params(cluster: &str) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, format!("apigw cluster {cluster} CA"));
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

fn write(path: &Path, text: &str) -> Result<(), PkiError> {
    std::fs::write(path, text).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Makes a new CA in `dir` (refusing to overwrite one) and certificates for
/// `nodes`.
pub fn init(dir: &Path, cluster: &str, nodes: &[u64]) -> Result<(), PkiError> {
    std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let ca_key_path = dir.join("ca.key");
    if ca_key_path.exists() {
        return Err(PkiError::Io {
            path: ca_key_path,
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a cluster CA is already here",
            ),
        });
    }
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
    let cert = ca_params(cluster)?.self_signed(&key)?;
    write(&dir.join("ca.pem"), &cert.pem())?;
    write(&ca_key_path, &key.serialize_pem())?;
    for id in nodes {
        issue(dir, cluster, *id)?;
    }
    Ok(())
}

/// Issues (or re-issues) the certificate of node `id` with the CA in `dir`.
pub fn issue(dir: &Path, cluster: &str, id: u64) -> Result<(), PkiError> {
    let ca_key_path = dir.join("ca.key");
    let ca_key = KeyPair::from_pem(&read(&ca_key_path)?).map_err(|_| PkiError::Pem(ca_key_path))?;
    let issuer = Issuer::new(ca_params(cluster)?, ca_key);
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
    let mut params = CertificateParams::new(vec![node_name(cluster, id)])?;
    params
        .distinguished_name
        .push(DnType::CommonName, node_name(cluster, id));
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = params.signed_by(&key, &issuer)?;
    write(&dir.join(format!("node-{id}.pem")), &cert.pem())?;
    write(&dir.join(format!("node-{id}.key")), &key.serialize_pem())?;
    Ok(())
}

/// What a node presents and trusts.
#[derive(Debug)]
pub struct Identity {
    pub cluster: String,
    pub node_id: u64,
    pub ca: CertificateDer<'static>,
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            cluster: self.cluster.clone(),
            node_id: self.node_id,
            ca: self.ca.clone(),
            cert: self.cert.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl Identity {
    /// Reads node `id`'s certificate, key and the CA from `dir`.
    pub fn load(dir: &Path, cluster: &str, node_id: u64) -> Result<Identity, PkiError> {
        let pem_der = |path: PathBuf| -> Result<Vec<u8>, PkiError> {
            let text = read(&path)?;
            let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
            decode_base64(&body).ok_or(PkiError::Pem(path))
        };
        Ok(Identity {
            cluster: cluster.to_string(),
            node_id,
            ca: CertificateDer::from(pem_der(dir.join("ca.pem"))?),
            cert: CertificateDer::from(pem_der(dir.join(format!("node-{node_id}.pem")))?),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pem_der(
                dir.join(format!("node-{node_id}.key")),
            )?)),
        })
    }
}

/// Standard base64 (PEM bodies), without a dependency for it.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            acc |= value(*b)? << (18 - 6 * i);
        }
        let produced = chunk.len().saturating_sub(1);
        for i in 0..produced {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_pem_bodies() {
        assert_eq!(decode_base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64("aGVsbG8h").as_deref(), Some(&b"hello!"[..]));
        assert_eq!(decode_base64("aGk=").as_deref(), Some(&b"hi"[..]));
        assert!(decode_base64("a*b").is_none());
    }

    #[test]
    fn init_makes_loadable_identities() {
        let dir = std::env::temp_dir().join(format!("apigw-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        init(&dir, "test", &[1, 2]).expect("init");
        let one = Identity::load(&dir, "test", 1).expect("node 1");
        assert!(!one.cert.is_empty() && !one.ca.is_empty());
        assert!(init(&dir, "test", &[3]).is_err(), "an existing CA is kept");
        issue(&dir, "test", 3).expect("a new node later");
        Identity::load(&dir, "test", 3).expect("node 3");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
