//! Test helpers: certificates made with rcgen, a real TLS server on 127.0.0.1:0 that
//! accepts with [`apigw_tls::accept`] and echoes what it reads, and a rustls client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use apigw_tls::{AcceptError, CertificateInput, ConnectionInfo, DomainTls, TlsStore};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SerialNumber,
};
use rustls::crypto::ring::default_provider;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, SupportedCipherSuite, SupportedProtocolVersion};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// A test certificate authority.
pub struct Ca {
    pub issuer: CertifiedIssuer<'static, KeyPair>,
    pub pem: String,
}

/// A certificate and its key, PEM.
#[derive(Clone)]
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Leaf {
    pub fn der(&self) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).expect("test cert")
    }

    /// As CreateDomainName's fields.
    pub fn input(&self, chain: Option<&str>) -> CertificateInput {
        CertificateInput {
            body: self.cert_pem.clone(),
            private_key: self.key_pem.as_str().into(),
            chain: chain.map(str::to_string),
        }
    }
}

impl Ca {
    pub fn new(name: &str) -> anyhow::Result<Ca> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        let pem = issuer.pem();
        Ok(Ca { issuer, pem })
    }

    /// An intermediate CA issued by this one.
    pub fn intermediate(&self, name: &str) -> anyhow::Result<Ca> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::signed_by(params, KeyPair::generate()?, &self.issuer)?;
        let pem = issuer.pem();
        Ok(Ca { issuer, pem })
    }

    /// A CA whose certificate expired in 2020.
    pub fn expired(name: &str) -> anyhow::Result<Ca> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2015, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        let pem = issuer.pem();
        Ok(Ca { issuer, pem })
    }

    /// A server certificate for these DNS names.
    pub fn server(&self, names: &[&str]) -> anyhow::Result<Leaf> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names)?;
        params.distinguished_name.push(DnType::CommonName, "server");
        self.sign(params)
    }

    /// Signs `params` with a fresh P-256 key.
    pub fn sign(&self, params: CertificateParams) -> anyhow::Result<Leaf> {
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// A client certificate with a known subject, serial and validity.
    pub fn client(&self, cn: &str) -> anyhow::Result<Leaf> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(DnType::CountryName, "US");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Example, Inc.");
        params.distinguished_name.push(DnType::CommonName, cn);
        params.serial_number = Some(SerialNumber::from_slice(&[0x01, 0x02, 0xa1]));
        params.not_before = rcgen::date_time_ymd(2024, 5, 8);
        params.not_after = rcgen::date_time_ymd(2099, 8, 5);
        self.sign(params)
    }
}

/// A domain with a certificate, a policy and no truststore.
pub fn domain(leaf: &Leaf, policy: &str) -> DomainTls {
    DomainTls {
        certificate: leaf.input(None),
        security_policy: policy.to_string(),
        truststore: None,
    }
}

/// What the server saw of one connection.
pub type Outcome = Result<ConnectionInfo, AcceptError>;

/// A TLS server accepting with `store`'s snapshot at each connection; it reports each
/// accept on the channel and echoes what it reads until EOF.
pub async fn serve(
    store: Arc<TlsStore>,
) -> anyhow::Result<(SocketAddr, mpsc::UnboundedReceiver<Outcome>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let snapshot = store.snapshot();
            let tx = tx.clone();
            tokio::spawn(async move {
                let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
                match apigw_tls::accept(tcp, &snapshot, deadline).await {
                    Ok(accepted) => {
                        let _ = tx.send(Ok(accepted.info));
                        echo(accepted.stream).await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        }
    });
    Ok((addr, rx))
}

async fn echo(mut stream: tokio_rustls::server::TlsStream<TcpStream>) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 || stream.write_all(&buf[..n]).await.is_err() || stream.flush().await.is_err() {
            break;
        }
    }
}

/// What a test client offers.
pub struct ClientSpec<'a> {
    pub roots: Vec<&'a str>,
    pub versions: &'a [&'static SupportedProtocolVersion],
    pub suites: Option<Vec<SupportedCipherSuite>>,
    pub alpn: Vec<&'a [u8]>,
    pub identity: Option<&'a Leaf>,
}

impl<'a> ClientSpec<'a> {
    pub fn trusting(root: &'a str) -> Self {
        ClientSpec {
            roots: vec![root],
            versions: rustls::ALL_VERSIONS,
            suites: None,
            alpn: Vec::new(),
            identity: None,
        }
    }

    pub fn config(&self) -> anyhow::Result<Arc<ClientConfig>> {
        let mut provider = default_provider();
        if let Some(suites) = &self.suites {
            provider.cipher_suites = suites.clone();
        }
        let mut roots = RootCertStore::empty();
        for pem in &self.roots {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                roots.add(cert?)?;
            }
        }
        let builder = ClientConfig::builder_with_provider(Arc::new(provider as CryptoProvider))
            .with_protocol_versions(self.versions)?
            .with_root_certificates(roots);
        let mut config = match self.identity {
            Some(leaf) => builder.with_client_auth_cert(
                vec![leaf.der()],
                PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes())?,
            )?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// Connects and completes the handshake; the client's error if it fails.
pub async fn connect(
    addr: SocketAddr,
    name: &str,
    config: Arc<ClientConfig>,
) -> anyhow::Result<Result<TlsStream<TcpStream>, std::io::Error>> {
    let tcp = TcpStream::connect(addr).await?;
    let server_name = ServerName::try_from(name.to_string()).context("server name")?;
    Ok(TlsConnector::from(config).connect(server_name, tcp).await)
}

/// Writes a line and reads the echo back (errors if the server refused late, as a TLS
/// 1.3 server does after checking a client certificate).
pub async fn round_trip(stream: &mut TlsStream<TcpStream>, text: &str) -> std::io::Result<String> {
    stream.write_all(text.as_bytes()).await?;
    stream.flush().await?;
    let mut buf = vec![0u8; text.len()];
    stream.read_exact(&mut buf).await?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The rustls error inside a client-side I/O error.
pub fn tls_error(e: &std::io::Error) -> Option<rustls::Error> {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<rustls::Error>())
        .cloned()
}

/// The next outcome the server reports.
pub async fn next(rx: &mut mpsc::UnboundedReceiver<Outcome>) -> anyhow::Result<Outcome> {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .context("server reported nothing")?
        .context("server stopped")
}

pub fn now() -> SystemTime {
    SystemTime::now()
}

/// A scratch directory removed on drop.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> anyhow::Result<Scratch> {
        let dir = std::env::temp_dir().join(format!(
            "apigw-tls-{tag}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)?
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    pub fn write(&self, name: &str, text: &str) -> anyhow::Result<std::path::PathBuf> {
        let path = self.0.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether `openssl` is on PATH.
pub fn has_openssl() -> bool {
    std::process::Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
