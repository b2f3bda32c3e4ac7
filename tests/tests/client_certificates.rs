//! Client certificates (issue 17): the management calls through boto3
//! (`scripts/client_certificates.py`), and mutual TLS toward a backend: a
//! real TLS server here that demands a client certificate answers a stage
//! naming a generated certificate, sees exactly that certificate, and is
//! refused to a stage naming none. The backend's own certificate is
//! self-signed: the integration's `tlsConfig.insecureSkipVerification`
//! accepts it, an integration without it does not.

use std::sync::{Arc, Mutex};

use apigw_tests::Node;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use serde_json::{json, Value};

const KEY: &str = "AKIACLIENTCERTS00001";
const SECRET: &str = "client-certs-secret-0123456789abcdefghij";

/// Client certificates the backend was shown, first of each connection.
type Presented = Arc<Mutex<Vec<Vec<u8>>>>;

/// Demands a client certificate and takes any that signs the handshake
/// (its key is proven; its issuer is the test's to check).
#[derive(Debug)]
struct AnyClient(Arc<rustls::crypto::CryptoProvider>);

impl ClientCertVerifier for AnyClient {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS backend on 127.0.0.1 (self-signed for that address) that demands
/// a client certificate; answers 200 `mtls ok` and records what it saw.
async fn tls_backend() -> anyhow::Result<(String, Presented)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])?.self_signed(&key)?;
    let config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(AnyClient(provider)))
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::from_pem_slice(key.serialize_pem().as_bytes())?,
        )?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("https://{}", listener.local_addr()?);
    let presented: Presented = Arc::default();
    let seen = presented.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Some(first) = tls.get_ref().1.peer_certificates().and_then(|c| c.first()) {
                    seen.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(first.to_vec());
                }
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(b"mtls ok"),
                    )))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Ok((url, presented))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_present_generated_certificates_to_tls_backends() -> anyhow::Result<()> {
    let (backend, presented) = tls_backend().await?;
    let node = Node::builder()
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .start()?;
    let args = [
        format!("http://{}", node.admin),
        KEY.to_string(),
        SECRET.to_string(),
        backend,
    ];
    let seen = tokio::task::spawn_blocking(move || {
        apigw_tests::python::script_json("client_certificates.py", &args)
    })
    .await??;
    management(&seen);

    let client = apigw_tests::client::Client::new(false);
    let api = seen["api"].as_str().unwrap_or_default();
    let answer = client.get(&node.invoke_url(api, "prod", "/")).await?;
    assert_eq!(
        (answer.status.as_u16(), answer.text()),
        (200, "mtls ok".into())
    );
    let pem = seen["generated"]["pemEncodedCertificate"]
        .as_str()
        .unwrap_or_default();
    let generated = CertificateDer::from_pem_slice(pem.as_bytes())?;
    let shown = presented.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(
        shown,
        vec![generated.to_vec()],
        "the backend saw the generated certificate"
    );

    let bare = client.get(&node.invoke_url(api, "bare", "/")).await?;
    assert!(
        bare.status.is_server_error(),
        "no certificate: {}",
        bare.status
    );
    let strict = seen["strict_api"].as_str().unwrap_or_default();
    let refused = client.get(&node.invoke_url(strict, "strict", "/")).await?;
    assert!(
        refused.status.is_server_error(),
        "self-signed backend: {}",
        refused.status
    );
    let shown = presented.lock().unwrap_or_else(|e| e.into_inner()).len();
    assert_eq!(
        shown, 1,
        "neither refused call reached the backend with a certificate"
    );
    let logs = node.log_lines().join("\n");
    assert!(
        !logs.contains("PRIVATE KEY"),
        "the key never reaches the log"
    );
    Ok(())
}

fn management(seen: &Value) {
    let made = &seen["generated"];
    for member in [
        "clientCertificateId",
        "pemEncodedCertificate",
        "createdDate",
        "expirationDate",
    ] {
        assert!(!made[member].is_null(), "{member} in {made}");
    }
    assert_eq!(made["description"], "to the backend");
    assert_eq!(made["tags"], json!({"team": "edge"}));
    let days = (made["expirationDate"].as_f64().unwrap_or_default()
        - made["createdDate"].as_f64().unwrap_or_default())
        / 86_400.0;
    assert_eq!(days, 365.0);
    assert!(
        !made.to_string().contains("PRIVATE"),
        "no key in the answer"
    );
    assert_eq!(seen["got"], *made);
    let pages = &seen["pages"];
    assert_eq!(pages[0].as_array().map(Vec::len), Some(2));
    assert_eq!(pages[1].as_array().map(Vec::len), Some(1));
    assert_eq!(pages[2], false, "the last page has no position");
    assert_eq!(seen["updated"]["description"], "renamed");
    assert_eq!(seen["bad_path"][1], 400);
    assert_eq!(seen["tags"], json!({"team": "edge", "tier": "gold"}));
    assert_eq!(seen["deleted"][0], "NotFoundException");
    assert_eq!(seen["left"], seen["ids"]);
    assert_eq!(seen["stage_unknown_cert"][1], 400);
    assert_eq!(
        seen["stage"]["clientCertificateId"],
        made["clientCertificateId"]
    );
    assert_eq!(
        seen["integration_tls"],
        json!({"insecureSkipVerification": true})
    );
}
