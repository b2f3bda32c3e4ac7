//! Accepting one TLS connection: read the ClientHello (rustls's `Acceptor`, the sans-I/O
//! core of tokio-rustls's `LazyConfigAcceptor`), look its server name up in the snapshot,
//! and finish the handshake with that domain's configuration, so its security policy
//! decides the versions and suites before anything is negotiated. A missing or unknown
//! server name is answered with a fatal `unrecognized_name` alert and nothing else: there
//! is no default certificate, so a client never learns one domain's name by asking for
//! another. The whole exchange is bounded by the caller's deadline.

use std::io;

use rustls::server::Acceptor;
use rustls::ServerConnection;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;
use tokio_rustls::StartHandshake;

use crate::policy::{iana_name, openssl_name};
use crate::{ClientCertInfo, SecurityPolicy, TlsSnapshot};

/// A fatal `unrecognized_name` (112) alert record, sent in the clear before any key
/// exchange (TLS 1.2 and 1.3 alike).
const UNRECOGNIZED_NAME_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70];

/// Bytes read from the socket at a time while waiting for the ClientHello.
const READ_CHUNK: usize = 4096;

/// The application protocol negotiated by ALPN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alpn {
    /// `h2`
    H2,
    /// `http/1.1`
    Http11,
}

impl Alpn {
    /// The ALPN identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Alpn::H2 => "h2",
            Alpn::Http11 => "http/1.1",
        }
    }
}

/// The TLS version negotiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2
    Tls12,
    /// TLS 1.3
    Tls13,
}

impl TlsVersion {
    /// As OpenSSL and AWS's logs write it: `TLSv1.2`, `TLSv1.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }
}

/// What the handshake settled, for `$context` variables and access logs.
#[derive(Clone, Debug)]
pub struct ConnectionInfo {
    /// The server name the client asked for (SNI), lower case.
    pub server_name: String,
    /// The domain that served it: the server name, or the wildcard domain it fell under.
    pub domain: String,
    /// The domain's security policy.
    pub security_policy: SecurityPolicy,
    /// The ALPN protocol, if the client offered ALPN (none means HTTP/1.1).
    pub alpn: Option<Alpn>,
    /// The TLS version.
    pub version: TlsVersion,
    /// The cipher suite, IANA name (`TLS_AES_128_GCM_SHA256`).
    pub cipher_suite: &'static str,
    /// The cipher suite, OpenSSL name (`ECDHE-RSA-AES128-GCM-SHA256`).
    pub cipher_suite_openssl: &'static str,
    /// True when the session was resumed (ticket or session ID).
    pub resumed: bool,
    /// The client's certificate, on a mutual-TLS domain.
    pub client_cert: Option<ClientCertInfo>,
}

/// An accepted connection.
#[derive(Debug)]
pub struct Accepted<IO> {
    /// The TLS stream, ready for HTTP.
    pub stream: TlsStream<IO>,
    /// What was negotiated.
    pub info: ConnectionInfo,
}

/// Why a connection was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    /// The handshake did not finish before the deadline.
    #[error("TLS handshake did not finish before its deadline")]
    Timeout,
    /// The client closed the connection before sending a ClientHello.
    #[error("connection closed before a TLS ClientHello")]
    Closed,
    /// The ClientHello named no server (no SNI); refused with `unrecognized_name`.
    #[error("client sent no server name (SNI)")]
    NoServerName,
    /// No domain serves this name; refused with `unrecognized_name`.
    #[error("no domain is configured for server name {0}")]
    UnknownServerName(String),
    /// rustls refused the handshake (and sent the alert it calls for).
    #[error("TLS handshake failed: {0}")]
    Handshake(rustls::Error),
    /// The socket failed during the handshake.
    #[error("I/O error during the TLS handshake: {0}")]
    Io(io::Error),
}

impl AcceptError {
    /// Whether the client caused it (a bad or slow client, a client that does not trust
    /// us or is not trusted), as opposed to a fault on our side (our configuration, our
    /// socket). For logging levels and metrics.
    pub fn is_client_fault(&self) -> bool {
        match self {
            AcceptError::Handshake(e) => !matches!(
                e,
                rustls::Error::General(_)
                    | rustls::Error::Other(_)
                    | rustls::Error::InconsistentKeys(_)
                    | rustls::Error::FailedToGetCurrentTime
                    | rustls::Error::FailedToGetRandomBytes
            ),
            AcceptError::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ),
            _ => true,
        }
    }
}

/// Accepts one TLS connection on `io` with the domains of `snapshot`, finishing by
/// `deadline`.
pub async fn accept<IO>(
    io: IO,
    snapshot: &TlsSnapshot,
    deadline: Instant,
) -> Result<Accepted<IO>, AcceptError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    tokio::time::timeout_at(deadline, handshake(io, snapshot))
        .await
        .map_err(|_| AcceptError::Timeout)?
}

/// The steps: ClientHello, domain, handshake, what was negotiated.
async fn handshake<IO>(mut io: IO, snapshot: &TlsSnapshot) -> Result<Accepted<IO>, AcceptError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let hello = read_client_hello(&mut io).await?;
    let server_name = hello
        .client_hello()
        .server_name()
        .map(str::to_ascii_lowercase);
    let Some(entry) = server_name
        .as_deref()
        .and_then(|n| snapshot.lookup(n))
        .cloned()
    else {
        // Best effort: the connection is refused either way.
        let _ = io.write_all(&UNRECOGNIZED_NAME_ALERT).await;
        let _ = io.shutdown().await;
        return Err(server_name.map_or(AcceptError::NoServerName, AcceptError::UnknownServerName));
    };
    let stream = StartHandshake::from_parts(hello, io)
        .into_stream(entry.config.clone())
        .await
        .map_err(handshake_error)?;
    let info = connection_info(stream.get_ref().1, server_name.unwrap_or_default(), &entry);
    Ok(Accepted { stream, info })
}

/// Feeds the socket to rustls's `Acceptor` until it has a whole ClientHello.
async fn read_client_hello<IO>(io: &mut IO) -> Result<rustls::server::Accepted, AcceptError>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut acceptor = Acceptor::default();
    let mut buf = [0u8; READ_CHUNK];
    loop {
        let n = io.read(&mut buf).await.map_err(AcceptError::Io)?;
        if n == 0 {
            return Err(AcceptError::Closed);
        }
        let mut chunk = &buf[..n];
        while !chunk.is_empty() {
            acceptor.read_tls(&mut chunk).map_err(AcceptError::Io)?;
        }
        match acceptor.accept() {
            Ok(Some(accepted)) => return Ok(accepted),
            Ok(None) => continue,
            Err((e, mut alert)) => {
                let mut bytes = Vec::new();
                let _ = alert.write_all(&mut bytes);
                let _ = io.write_all(&bytes).await;
                return Err(AcceptError::Handshake(e));
            }
        }
    }
}

/// tokio-rustls reports rustls's errors inside an `io::Error`; take them back out.
fn handshake_error(e: io::Error) -> AcceptError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => AcceptError::Handshake(tls.clone()),
        None => AcceptError::Io(e),
    }
}

/// Reads what was negotiated off the connection.
fn connection_info(
    conn: &ServerConnection,
    server_name: String,
    entry: &crate::store::DomainEntry,
) -> ConnectionInfo {
    let suite = conn.negotiated_cipher_suite();
    ConnectionInfo {
        server_name,
        domain: entry.domain.clone(),
        security_policy: entry.policy,
        alpn: match conn.alpn_protocol() {
            Some(b"h2") => Some(Alpn::H2),
            Some(b"http/1.1") => Some(Alpn::Http11),
            _ => None,
        },
        version: match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
            _ => TlsVersion::Tls13,
        },
        cipher_suite: suite.map_or("", iana_name),
        cipher_suite_openssl: suite.map_or("", openssl_name),
        resumed: matches!(conn.handshake_kind(), Some(rustls::HandshakeKind::Resumed)),
        client_cert: conn
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(ClientCertInfo::from_der),
    }
}
