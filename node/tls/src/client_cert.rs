//! The fields of a trusted client certificate that API Gateway exposes as
//! `$context.identity.clientCert` (and passes to Lambda authorizers and proxy
//! integrations), formatted as AWS formats them.

use rustls::pki_types::CertificateDer;

use crate::x509;

/// `$context.identity.clientCert`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCertInfo {
    /// `clientCertPem`: the client's certificate, PEM.
    pub client_cert_pem: String,
    /// `subjectDN`, RFC 4514 (`CN=client,O=Example,C=US`).
    pub subject_dn: String,
    /// `issuerDN`, RFC 4514.
    pub issuer_dn: String,
    /// `serialNumber`, colon-separated lower-case hex.
    pub serial_number: String,
    /// `validity.notBefore`, as `May 28 12:30:02 2019 GMT`.
    pub not_before: String,
    /// `validity.notAfter`, same format.
    pub not_after: String,
}

impl ClientCertInfo {
    /// Reads the fields of the client's end-entity certificate. `None` if it does not parse
    /// (it cannot happen after webpki accepted it; callers treat it as no certificate).
    pub fn from_der(der: &CertificateDer<'_>) -> Option<Self> {
        let cert = x509::parse(der).ok()?;
        Some(ClientCertInfo {
            client_cert_pem: x509::pem(der),
            subject_dn: x509::dn_string(cert.subject()),
            issuer_dn: x509::dn_string(cert.issuer()),
            serial_number: x509::serial_string(&cert),
            not_before: x509::openssl_time(cert.validity().not_before),
            not_after: x509::openssl_time(cert.validity().not_after),
        })
    }
}
