//! A domain's server certificate, from the three PEM fields AWS's CreateDomainName takes
//! (`certificateBody`, `certificatePrivateKey`, `certificateChain`), checked before it is
//! served: the body is one certificate; the key parses and is the certificate's; the chain
//! parses and each certificate is issued (name and signature) by the next; the
//! certificate's DNS names cover the domain (wildcards as TLS matches them).
//!
//! A certificate outside its validity period is accepted with a warning, not refused: a
//! node that restarts after a certificate expired must still load its other domains and
//! keep serving this one until it is replaced (clients then see a plain "certificate
//! expired", which says what to fix), and the expiry is visible beforehand in
//! `apigw_tls_certificate_not_after_seconds`. The warnings go back to the caller, which
//! may refuse on them (AWS's ACM refuses an expired import).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::crypto::ring::default_provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use crate::{names, x509, PrivateKeyPem, TlsError};

/// The PEM fields of AWS's CreateDomainName for an uploaded certificate. `Debug` redacts
/// the key.
#[derive(Clone, Debug)]
pub struct CertificateInput {
    /// `certificateBody`: the server certificate, PEM.
    pub body: String,
    /// `certificatePrivateKey`: its key, PEM (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub private_key: PrivateKeyPem,
    /// `certificateChain`: intermediates (and optionally the root), PEM, leaf's issuer first.
    pub chain: Option<String>,
}

/// A certificate that passed the checks, ready to serve.
#[derive(Clone)]
pub struct ServerCertificate {
    /// The chain and signing key rustls serves.
    pub(crate) key: Arc<CertifiedKey>,
    /// notAfter, seconds since the Unix epoch.
    pub not_after: i64,
    /// notBefore, seconds since the Unix epoch.
    pub not_before: i64,
    /// The certificate's subject, RFC 4514.
    pub subject: String,
    /// The certificate's DNS names.
    pub dns_names: Vec<String>,
    /// Why the certificate may not work for clients although it was accepted (expired,
    /// not yet valid).
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for ServerCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCertificate")
            .field("subject", &self.subject)
            .field("dns_names", &self.dns_names)
            .field("not_after", &self.not_after)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ServerCertificate {
    /// Checks `input` for `domain` (normalised) at time `now`.
    pub fn validate(
        domain: &str,
        input: &CertificateInput,
        now: SystemTime,
    ) -> Result<Self, TlsError> {
        let leaf = leaf_der(&input.body)?;
        let chain = chain_ders(input.chain.as_deref())?;
        let signing_key = signing_key(&input.private_key)?;
        let mut ders = vec![leaf];
        ders.extend(chain);
        check_chain(&ders)?;
        let cert = x509::parse(&ders[0]).map_err(TlsError::CertificateBody)?;
        let dns_names = x509::dns_names(&cert);
        check_names(domain, &dns_names)?;
        let not_before = cert.validity().not_before.timestamp();
        let not_after = cert.validity().not_after.timestamp();
        let warnings = validity_warnings(&cert, unix(now));
        let subject = x509::dn_string(cert.subject());
        let key = CertifiedKey::new(ders, signing_key);
        check_key_matches(&key)?;
        Ok(ServerCertificate {
            key: Arc::new(key),
            not_after,
            not_before,
            subject,
            dns_names,
            warnings,
        })
    }
}

/// Seconds since the epoch (0 for times before it).
pub(crate) fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The one certificate of `certificateBody`.
fn leaf_der(body: &str) -> Result<CertificateDer<'static>, TlsError> {
    let mut certs = CertificateDer::pem_slice_iter(body.as_bytes());
    let first = match certs.next() {
        Some(Ok(c)) => c,
        Some(Err(_)) | None => {
            return Err(TlsError::CertificateBody(
                "not a PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ))
        }
    };
    if certs.next().is_some() {
        return Err(TlsError::CertificateBody(
            "more than one certificate; put intermediates in certificateChain".into(),
        ));
    }
    Ok(first)
}

/// The certificates of `certificateChain`, in order.
fn chain_ders(chain: Option<&str>) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let Some(chain) = chain.filter(|c| !c.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(chain.as_bytes()).collect();
    match certs {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        _ => Err(TlsError::CertificateChain(
            "not a PEM certificate bundle".into(),
        )),
    }
}

/// The private key as a rustls signing key. Errors say nothing of the key's content.
fn signing_key(pem: &PrivateKeyPem) -> Result<Arc<dyn rustls::sign::SigningKey>, TlsError> {
    let der = PrivateKeyDer::from_pem_slice(pem.expose().as_bytes()).map_err(|_| {
        TlsError::PrivateKey("not a PEM private key (PKCS#8, RSA PKCS#1 or EC SEC1)")
    })?;
    default_provider()
        .key_provider
        .load_private_key(der)
        .map_err(|_| {
            TlsError::PrivateKey("unsupported key type (RSA, ECDSA P-256/P-384 or Ed25519)")
        })
}

/// Each certificate must be issued by the next one: its issuer is the next one's subject
/// and the next one's key verifies its signature.
fn check_chain(ders: &[CertificateDer<'static>]) -> Result<(), TlsError> {
    let parsed: Vec<_> = ders
        .iter()
        .enumerate()
        .map(|(i, d)| {
            x509::parse(d).map_err(|e| match i {
                0 => TlsError::CertificateBody(e),
                _ => TlsError::CertificateChain(format!("certificate {i}: {e}")),
            })
        })
        .collect::<Result<_, _>>()?;
    for (i, pair) in parsed.windows(2).enumerate() {
        let (child, issuer) = (&pair[0], &pair[1]);
        let named = child.issuer().as_raw() == issuer.subject().as_raw();
        if !named || child.verify_signature(Some(issuer.public_key())).is_err() {
            return Err(TlsError::CertificateChain(format!(
                "certificate {} ({}) is not issued by the next one ({})",
                i,
                x509::dn_string(child.subject()),
                x509::dn_string(issuer.subject())
            )));
        }
    }
    Ok(())
}

/// The certificate's DNS names must cover the domain. The subject CN is not consulted
/// (clients have not used it since RFC 6125).
fn check_names(domain: &str, dns_names: &[String]) -> Result<(), TlsError> {
    if dns_names.iter().any(|n| names::covers(n, domain)) {
        return Ok(());
    }
    let names = match dns_names.is_empty() {
        true => "no DNS names".to_string(),
        false => dns_names.join(", "),
    };
    Err(TlsError::NameMismatch {
        domain: domain.to_string(),
        names,
    })
}

/// Warnings for a certificate outside its validity period at `now`.
fn validity_warnings(cert: &x509_parser::prelude::X509Certificate<'_>, now: i64) -> Vec<String> {
    let v = cert.validity();
    let mut warnings = Vec::new();
    if v.not_after.timestamp() < now {
        warnings.push(format!(
            "The certificate expired on {}",
            x509::openssl_time(v.not_after)
        ));
    }
    if v.not_before.timestamp() > now {
        warnings.push(format!(
            "The certificate is not valid before {}",
            x509::openssl_time(v.not_before)
        ));
    }
    warnings
}

/// The key must be the certificate's.
fn check_key_matches(key: &CertifiedKey) -> Result<(), TlsError> {
    match key.keys_match() {
        Ok(()) => Ok(()),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Err(
            TlsError::PrivateKey("the key's public half cannot be compared with the certificate"),
        ),
        Err(_) => Err(TlsError::KeyMismatch),
    }
}
