//! What the examples share: test certificates (rcgen ECDSA P-256, and RSA-2048 made by the
//! system's openssl when it is there), a scratch directory, and a TLS server that accepts
//! with `apigw_tls::accept` and answers every HTTP request with `hello` (hyper, HTTP/1.1
//! and h2 by ALPN).
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use apigw_tls::{CertificateInput, DomainTls, TlsStore};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::net::TcpListener;

/// A certificate, its key and the CA (or itself, if self-signed) that clients trust.
#[derive(Clone)]
pub struct ServerCert {
    pub cert_pem: String,
    pub key_pem: String,
    pub trust_pem: String,
}

impl ServerCert {
    pub fn input(&self) -> CertificateInput {
        CertificateInput {
            body: self.cert_pem.clone(),
            private_key: self.key_pem.as_str().into(),
            chain: None,
        }
    }

    /// Writes cert.pem, key.pem, ca.pem into `dir`.
    pub fn write(&self, dir: &Path, prefix: &str) -> anyhow::Result<()> {
        std::fs::write(dir.join(format!("{prefix}cert.pem")), &self.cert_pem)?;
        std::fs::write(dir.join(format!("{prefix}key.pem")), &self.key_pem)?;
        std::fs::write(dir.join(format!("{prefix}ca.pem")), &self.trust_pem)?;
        Ok(())
    }
}

/// An ECDSA P-256 certificate for `names`, issued by a fresh CA.
pub fn ecdsa_cert(names: &[&str]) -> anyhow::Result<ServerCert> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Example CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().copied().unwrap_or("server"),
    );
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;
    Ok(ServerCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        trust_pem: ca.pem(),
    })
}

/// A self-signed RSA-2048 certificate for `name`, made by openssl; `None` without openssl.
pub fn rsa_cert(name: &str, dir: &Path) -> Option<ServerCert> {
    let (key, cert) = (dir.join("rsa-key.pem"), dir.join("rsa-cert.pem"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj",
        ])
        .arg(format!("/CN={name}"))
        .args(["-addext", &format!("subjectAltName=DNS:{name}")])
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .ok()?;
    if !status.status.success() {
        return None;
    }
    let cert_pem = std::fs::read_to_string(cert).ok()?;
    Some(ServerCert {
        key_pem: std::fs::read_to_string(key).ok()?,
        trust_pem: cert_pem.clone(),
        cert_pem,
    })
}

/// A domain entry for the store.
pub fn domain(cert: &ServerCert, policy: &str) -> DomainTls {
    DomainTls {
        certificate: cert.input(),
        security_policy: policy.to_string(),
        truststore: None,
    }
}

/// A scratch directory under the system temp dir, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> anyhow::Result<Scratch> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)?
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("apigw-tls-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Serves HTTPS on `listener` with `store` until the process ends: each connection is
/// accepted with `apigw_tls::accept` (5 s deadline) and every request answered `hello`.
pub async fn serve_https(listener: TcpListener, store: Arc<TlsStore>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let snapshot = store.snapshot();
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            let Ok(accepted) = apigw_tls::accept(tcp, &snapshot, deadline).await else {
                return;
            };
            let service =
                hyper::service::service_fn(|_req: Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"hello\n"))))
                });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(accepted.stream), service)
                .await;
        });
    }
}

/// Binds 127.0.0.1 on `port` (0 = any).
pub async fn bind(port: u16) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .context("bind")?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}
