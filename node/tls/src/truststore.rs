//! A mutual-TLS truststore: the PEM bundle of CA certificates a domain trusts for client
//! certificates (what AWS reads from `truststoreUri`; the node maps that to a local file).
//! Loading checks each certificate as AWS's documentation lists (X.509 syntax, validity
//! period, SHA-256 or stronger signatures, RSA-2048 / ECDSA-256 or stronger keys) and
//! reports each failure as a `truststoreWarnings` entry naming the certificate's subject;
//! a certificate with a warning is left out of the trusted set, so, as AWS says, "mutual
//! TLS is still enabled, but some clients might not be able to access your API". A bundle
//! with no usable certificate is refused. Sizes are bounded by AWS's quotas (1,000
//! certificates, 1 MB).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use rustls::crypto::ring::default_provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use x509_parser::prelude::X509Certificate;
use x509_parser::public_key::PublicKey;

use crate::certificate::unix;
use crate::{x509, TlsError};

/// AWS's quota: certificates in one truststore.
pub const MAX_CERTIFICATES: usize = 1000;
/// AWS's quota: size of the truststore object.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// Distinguishes truststore loads, so a replaced truststore gets fresh TLS configs (and
/// fresh session tickets: a session authenticated under the old one does not resume).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A loaded truststore.
#[derive(Clone)]
pub struct Truststore {
    pub(crate) id: u64,
    pub(crate) verifier: Arc<dyn ClientCertVerifier>,
    /// How many certificates are trusted.
    pub trusted: usize,
    /// `truststoreWarnings`: one line per certificate left out, and why.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Truststore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Truststore")
            .field("id", &self.id)
            .field("trusted", &self.trusted)
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl Truststore {
    /// Reads a PEM bundle from a file (at most [`MAX_BYTES`]).
    pub fn load(path: &Path, now: SystemTime) -> Result<Self, TlsError> {
        let read_err = |source| TlsError::TruststoreRead {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        let mut bytes = Vec::new();
        file.take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        Self::from_pem(&bytes, now)
    }

    /// Builds a truststore from a PEM bundle, checking each certificate at time `now`.
    pub fn from_pem(pem: &[u8], now: SystemTime) -> Result<Self, TlsError> {
        if pem.len() as u64 > MAX_BYTES {
            return Err(TlsError::Truststore(format!(
                "larger than {MAX_BYTES} bytes"
            )));
        }
        let ders: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|_| TlsError::Truststore("not a PEM certificate bundle".into()))?;
        if ders.len() > MAX_CERTIFICATES {
            return Err(TlsError::Truststore(format!(
                "{} certificates; at most {MAX_CERTIFICATES}",
                ders.len()
            )));
        }
        let (roots, warnings) = check_all(&ders, unix(now));
        if roots.is_empty() {
            return Err(TlsError::Truststore(no_valid_message(&warnings)));
        }
        let trusted = roots.len();
        let verifier = WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(default_provider()),
        )
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
        for w in &warnings {
            tracing::warn!(warning = %w, "truststore certificate left out");
        }
        Ok(Truststore {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            verifier,
            trusted,
            warnings,
        })
    }
}

/// The error text when nothing in the bundle is usable.
fn no_valid_message(warnings: &[String]) -> String {
    match warnings.is_empty() {
        true => "no certificate in the bundle".to_string(),
        false => format!(
            "no valid certificate in the bundle: {}",
            warnings.join("; ")
        ),
    }
}

/// The usable certificates as trust anchors, and a warning for each one left out.
fn check_all(ders: &[CertificateDer<'static>], now: i64) -> (RootCertStore, Vec<String>) {
    let mut roots = RootCertStore::empty();
    let mut warnings = Vec::new();
    for (i, der) in ders.iter().enumerate() {
        let problem = match x509::parse(der) {
            Err(e) => Some(format!(
                "Certificate {} in the truststore is invalid: {e}",
                i + 1
            )),
            Ok(cert) => problem(&cert, now).map(|why| {
                format!(
                    "Certificate {} is invalid: {why}",
                    x509::dn_string(cert.subject())
                )
            }),
        };
        let problem = problem.or_else(|| {
            roots
                .add(der.clone())
                .err()
                .map(|e| format!("Certificate {} in the truststore is invalid: {e}", i + 1))
        });
        warnings.extend(problem);
    }
    (roots, warnings)
}

/// Why a certificate is not usable as a trust anchor, if it is not.
fn problem(cert: &X509Certificate<'_>, now: i64) -> Option<String> {
    let v = cert.validity();
    if v.not_after.timestamp() < now {
        return Some(format!("expired on {}", x509::openssl_time(v.not_after)));
    }
    if v.not_before.timestamp() > now {
        return Some(format!(
            "not valid before {}",
            x509::openssl_time(v.not_before)
        ));
    }
    weak_signature(cert).or_else(|| weak_key(cert))
}

/// Signatures AWS does not accept (SHA-256 or stronger is required).
fn weak_signature(cert: &X509Certificate<'_>) -> Option<String> {
    let oid = cert.signature_algorithm.algorithm.to_id_string();
    let name = match oid.as_str() {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10040.4.3" => "dsa-with-sha1",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        _ => return None,
    };
    Some(format!(
        "unsupported signature algorithm {name} (SHA-256 or stronger is required)"
    ))
}

/// Keys AWS does not accept (RSA-2048 or ECDSA-256 or stronger is required).
fn weak_key(cert: &X509Certificate<'_>) -> Option<String> {
    let key = cert.public_key().parsed().ok()?;
    let (kind, bits, min) = match &key {
        PublicKey::RSA(_) => ("RSA", key.key_size(), 2048),
        PublicKey::EC(_) => ("EC", key.key_size(), 256),
        PublicKey::DSA(_) => return Some("unsupported key type DSA".into()),
        _ => return None,
    };
    (bits < min).then(|| {
        format!("weak {kind} key of {bits} bits (RSA-2048 or ECDSA-256 or stronger is required)")
    })
}
