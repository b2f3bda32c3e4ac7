//! TLS for apigw's custom domain names, standalone (no other apigw crate):
//!
//! - [`TlsStore`]: each domain's certificate (from AWS's `certificateBody`,
//!   `certificatePrivateKey`, `certificateChain`), [`SecurityPolicy`] and optional mutual-TLS
//!   [`Truststore`], validated when put and published as an immutable [`TlsSnapshot`]
//!   (an `ArcSwap`), replaceable without dropping open connections;
//! - [`accept`]: one connection's handshake, choosing the domain by SNI (exact, then
//!   wildcard; unknown or missing names get `unrecognized_name`), its policy's TLS
//!   configuration before anything is negotiated, ALPN `h2` / `http/1.1`, and returning what
//!   was negotiated with the client certificate's `$context.identity.clientCert` fields.
//!
//! Private keys are held as [`PrivateKeyPem`], whose `Debug` prints `<redacted>`; no type
//! here formats key material. rustls 0.23 on ring; the README maps every AWS policy name to
//! what is offered.

mod accept;
mod certificate;
mod client_cert;
mod error;
mod names;
pub mod policy;
mod secret;
mod store;
mod truststore;
mod x509;

pub use accept::{accept, AcceptError, Accepted, Alpn, ConnectionInfo, TlsVersion};
pub use certificate::{CertificateInput, ServerCertificate};
pub use client_cert::ClientCertInfo;
pub use error::{ErrorKind, TlsError};
pub use policy::SecurityPolicy;
pub use secret::PrivateKeyPem;
pub use store::{DomainEntry, DomainTls, PutReport, TlsSnapshot, TlsStore, ALPN};
pub use truststore::{
    Truststore, MAX_BYTES as TRUSTSTORE_MAX_BYTES, MAX_CERTIFICATES as TRUSTSTORE_MAX_CERTIFICATES,
};
