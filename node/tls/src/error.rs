//! Errors from configuring TLS (putting a domain's certificate, policy or truststore in the
//! store). Handshake errors are [`crate::AcceptError`]. Messages name the field AWS's
//! CreateDomainName takes and what is wrong with it, and never include key material: a
//! private key that does not parse is reported without any of its text.

use std::path::PathBuf;

/// What kind of AWS error a [`TlsError`] corresponds to, for the management API's mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `BadRequestException` (400): the input is wrong.
    BadRequest,
    /// `NotFoundException` (404): no such domain name.
    NotFound,
    /// Our side failed (a config rustls would not build); 500.
    Internal,
}

/// An input refused by the store, or a failure building the TLS configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A `securityPolicy` AWS does not define.
    #[error("Invalid security policy {0}: must be one of {list}", list = crate::policy::SecurityPolicy::names().join(", "))]
    InvalidSecurityPolicy(String),
    /// A domain name that is not a host name (or a `*.` wildcard of one).
    #[error("Invalid domain name {0}")]
    InvalidDomainName(String),
    /// No such domain in the store.
    #[error("Invalid domain name identifier specified")]
    UnknownDomain(String),
    /// `certificateBody` is not one PEM certificate, or the certificate is unusable.
    #[error("Invalid certificateBody: {0}")]
    CertificateBody(String),
    /// `certificatePrivateKey` is not a PEM private key of a supported type.
    #[error("Invalid certificatePrivateKey: {0}")]
    PrivateKey(&'static str),
    /// The private key is not the certificate's.
    #[error("The private key does not match the public key in certificateBody")]
    KeyMismatch,
    /// `certificateChain` does not parse, or does not chain up from the certificate.
    #[error("Invalid certificateChain: {0}")]
    CertificateChain(String),
    /// The certificate's subject alternative names do not cover the domain.
    #[error("The certificate does not cover the domain name {domain} (it names {names})")]
    NameMismatch {
        /// The domain being configured.
        domain: String,
        /// The certificate's DNS names, comma-separated (or "no DNS names").
        names: String,
    },
    /// The truststore bundle is unusable (no valid CA certificate, too large, not PEM).
    #[error("Invalid truststore: {0}")]
    Truststore(String),
    /// The truststore file could not be read.
    #[error("Unable to read truststore {path}: {source}")]
    TruststoreRead {
        /// The file named.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// rustls refused a configuration we built (a bug on our side, not the caller's input).
    #[error("TLS configuration failed: {0}")]
    Config(String),
}

impl TlsError {
    /// Which AWS error family this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TlsError::UnknownDomain(_) => ErrorKind::NotFound,
            TlsError::Config(_) => ErrorKind::Internal,
            _ => ErrorKind::BadRequest,
        }
    }

    /// AWS's error type name (`x-amzn-ErrorType` / `__type`).
    pub fn aws_error_type(&self) -> &'static str {
        match self.kind() {
            ErrorKind::BadRequest => "BadRequestException",
            ErrorKind::NotFound => "NotFoundException",
            ErrorKind::Internal => "InternalFailure",
        }
    }
}
