//! TLS toward backends beyond the default (public CAs, no client
//! certificate): the client certificate a stage presents (AWS's
//! `clientCertificateId`, mutual TLS to the backend) and an integration's
//! `tlsConfig.insecureSkipVerification`, which accepts a certificate no
//! public CA issued while still checking, as AWS does, its signatures, its
//! dates and that it names the host.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

/// A client certificate and its key, as a stage presents them.
pub struct ClientIdentity {
    /// The certificate's id (`clientCertificateId`): clients are kept by it.
    pub id: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// Shows the id only: the key never reaches a log.
impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A stored certificate or key that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("client certificate {0}: the certificate is not PEM")]
    Certificate(String),
    #[error("client certificate {0}: the private key is not PEM")]
    Key(String),
}

impl ClientIdentity {
    /// Reads a certificate (chain) and its private key from PEM.
    pub fn from_pem(id: &str, cert: &str, key: &str) -> Result<ClientIdentity, IdentityError> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|_| IdentityError::Certificate(id.to_string()))?;
        if chain.is_empty() {
            return Err(IdentityError::Certificate(id.to_string()));
        }
        let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
            .map_err(|_| IdentityError::Key(id.to_string()))?;
        Ok(ClientIdentity {
            id: id.to_string(),
            chain,
            key,
        })
    }
}

/// The rustls configuration for one (client certificate, verification)
/// pair; ALPN is left to the connector.
pub(super) fn client_config(
    identity: Option<&ClientIdentity>,
    insecure: bool,
) -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyIssuer { provider }))
    } else {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots)
    };
    match identity {
        Some(id) => builder.with_client_auth_cert(id.chain.clone(), id.key.clone_key()),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// `insecureSkipVerification`: the chain the server sent is trusted from
/// its last certificate (a self-signed one trusts itself), and everything
/// else is checked as usual: each signature along the chain, validity
/// dates, the host name, the handshake signature.
#[derive(Debug)]
struct AnyIssuer {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyIssuer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let top = intermediates.last().unwrap_or(end_entity);
        let mut roots = RootCertStore::empty();
        roots
            .add(top.clone().into_owned())
            .map_err(|_| Error::InvalidCertificate(rustls::CertificateError::BadEncoding))?;
        let below: &[CertificateDer<'_>] = match intermediates.split_last() {
            Some((_, rest)) => rest,
            None => &[],
        };
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
            .build()
            .map_err(|e| Error::General(e.to_string()))?
            .verify_server_cert(end_entity, below, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
