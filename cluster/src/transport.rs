//! The QUIC transport between nodes: one endpoint per node, mutual TLS
//! from the cluster CA, 0-RTT off, keep-alive and idle timeout set.
//!
//! Traffic kinds are separated by ALPN (one connection per peer and kind).
//! Each request is one bidirectional stream carrying a versioned bincode
//! frame; every call has a deadline. Forwarded requests are streams instead
//! ([`Transport::open_stream`]): a length-prefixed head frame, then bytes in
//! both directions as they come, so bodies are never held whole. A server checks that the certificate of
//! the peer is the one of the node id the peer claims in its frames, and a
//! client that the server's certificate names the node it dialled.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rustls::pki_types::{CertificateDer, ServerName};
use serde::{Deserialize, Serialize};

use crate::pki::{node_name, Identity};

/// Frames carry this; a peer speaking another version is refused.
pub const WIRE_VERSION: u16 = 1;
/// The largest frame accepted (snapshots come later, in chunks).
const MAX_FRAME: usize = 16 * 1024 * 1024;

/// What a connection carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Gossip,
    Raft,
    Forward,
}

impl Kind {
    fn alpn(self) -> &'static [u8] {
        match self {
            Kind::Gossip => b"apigw-gossip/1",
            Kind::Raft => b"apigw-raft/1",
            Kind::Forward => b"apigw-forward/1",
        }
    }

    fn from_alpn(alpn: &[u8]) -> Option<Kind> {
        [Kind::Gossip, Kind::Raft, Kind::Forward]
            .into_iter()
            .find(|k| k.alpn() == alpn)
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("cannot reach node {node}: {reason}")]
    Unreachable { node: u64, reason: String },
    #[error("node {0} did not answer in time")]
    Timeout(u64),
    #[error("node {node} refused the call: {reason}")]
    Refused { node: u64, reason: String },
    #[error("bad frame: {0}")]
    Frame(String),
    #[error("endpoint: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Serialize, Deserialize)]
struct Request {
    version: u16,
    from: u64,
    payload: Vec<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Reply {
    version: u16,
    result: Result<Vec<u8>, String>,
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, TransportError> {
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| TransportError::Frame(e.to_string()))
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, TransportError> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| TransportError::Frame(e.to_string()))
}

/// What a handler returns: the reply payload, or why the request failed.
pub type HandlerReply =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, String>> + Send>>;

/// Answers requests: `(from node, kind, payload) -> reply payload`.
pub type Handler = Arc<dyn Fn(u64, Kind, Vec<u8>) -> HandlerReply + Send + Sync>;

/// A handler from a synchronous function.
pub fn sync_handler(
    f: impl Fn(u64, Kind, Vec<u8>) -> Result<Vec<u8>, String> + Send + Sync + 'static,
) -> Handler {
    Arc::new(move |from, kind, payload| {
        let result = f(from, kind, payload);
        Box::pin(async move { result })
    })
}

/// Serves a forwarded stream: `(from node, head payload, send, recv)`. The
/// handler writes its own reply (see [`write_head`]).
pub type StreamHandler = Arc<
    dyn Fn(
            u64,
            Vec<u8>,
            quinn::SendStream,
            quinn::RecvStream,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + Sync,
>;

/// The largest head frame of a stream.
const MAX_HEAD: usize = 1024 * 1024;

/// Writes a length-prefixed frame (a stream's head) to `send`.
pub async fn write_head(send: &mut quinn::SendStream, bytes: &[u8]) -> Result<(), TransportError> {
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|&l| l as usize <= MAX_HEAD)
        .ok_or_else(|| TransportError::Frame(format!("head of {} bytes", bytes.len())))?;
    send.write_all(&len.to_be_bytes())
        .await
        .map_err(|e| TransportError::Frame(e.to_string()))?;
    send.write_all(bytes)
        .await
        .map_err(|e| TransportError::Frame(e.to_string()))
}

/// Reads a length-prefixed frame written by [`write_head`].
pub async fn read_head(recv: &mut quinn::RecvStream) -> Result<Vec<u8>, TransportError> {
    let mut len = [0u8; 4];
    recv.read_exact(&mut len)
        .await
        .map_err(|e| TransportError::Frame(e.to_string()))?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_HEAD {
        return Err(TransportError::Frame(format!("head of {len} bytes")));
    }
    let mut bytes = vec![0u8; len];
    recv.read_exact(&mut bytes)
        .await
        .map_err(|e| TransportError::Frame(e.to_string()))?;
    Ok(bytes)
}

/// Timing of the transport.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    pub keep_alive: Duration,
    pub idle_timeout: Duration,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            keep_alive: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(5),
        }
    }
}

/// A node's endpoint.
pub struct Transport {
    endpoint: quinn::Endpoint,
    identity: Identity,
    clients: HashMap<Kind, quinn::ClientConfig>,
    connections: Mutex<HashMap<(u64, Kind), quinn::Connection>>,
    streams: Arc<std::sync::OnceLock<StreamHandler>>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn transport_config(
    options: &TransportOptions,
) -> Result<Arc<quinn::TransportConfig>, TransportError> {
    let mut t = quinn::TransportConfig::default();
    t.keep_alive_interval(Some(options.keep_alive));
    t.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(options.idle_timeout)
            .map_err(|e| TransportError::Tls(e.to_string()))?,
    ));
    t.max_concurrent_bidi_streams(1024u32.into());
    Ok(Arc::new(t))
}

impl Transport {
    /// Binds the endpoint on `addr` and serves requests with `handler`.
    pub fn bind(
        addr: SocketAddr,
        identity: Identity,
        options: TransportOptions,
        handler: Handler,
    ) -> Result<Arc<Transport>, TransportError> {
        let (server, clients) = configs(&identity, &options)?;
        let endpoint = quinn::Endpoint::server(server, addr)?;
        Ok(Transport::start(endpoint, identity, clients, handler))
    }

    /// The same over any UDP socket quinn can drive (a simulated network).
    pub fn bind_socket(
        socket: Arc<dyn quinn::AsyncUdpSocket>,
        identity: Identity,
        options: TransportOptions,
        handler: Handler,
    ) -> Result<Arc<Transport>, TransportError> {
        let (server, clients) = configs(&identity, &options)?;
        let endpoint = quinn::Endpoint::new_with_abstract_socket(
            quinn::EndpointConfig::default(),
            Some(server),
            socket,
            Arc::new(quinn::TokioRuntime),
        )?;
        Ok(Transport::start(endpoint, identity, clients, handler))
    }

    fn start(
        endpoint: quinn::Endpoint,
        identity: Identity,
        clients: HashMap<Kind, quinn::ClientConfig>,
        handler: Handler,
    ) -> Arc<Transport> {
        let transport = Arc::new(Transport {
            endpoint,
            identity,
            clients,
            connections: Mutex::new(HashMap::new()),
            streams: Arc::new(std::sync::OnceLock::new()),
        });
        tokio::spawn(accept_loop(
            transport.endpoint.clone(),
            transport.identity.cluster.clone(),
            handler,
            transport.streams.clone(),
        ));
        transport
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }

    pub fn node_id(&self) -> u64 {
        self.identity.node_id
    }

    /// Sets what serves [`Kind::Forward`] streams (once; until then they
    /// are refused).
    pub fn set_stream_handler(&self, handler: StreamHandler) {
        let _ = self.streams.set(handler);
    }

    /// Opens a [`Kind::Forward`] stream to `peer` and sends `head`; the
    /// caller then streams the body and reads the reply. Connecting and
    /// sending the head are bounded by `deadline`.
    pub async fn open_stream(
        &self,
        peer: u64,
        addr: SocketAddr,
        head: Vec<u8>,
        deadline: Duration,
    ) -> Result<(quinn::SendStream, quinn::RecvStream), TransportError> {
        let kind = Kind::Forward;
        let open = async {
            let connection = self.connection(peer, addr, kind).await?;
            let unreachable = |reason: String| TransportError::Unreachable { node: peer, reason };
            let (mut send, recv) = connection
                .open_bi()
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            let frame = encode(&Request {
                version: WIRE_VERSION,
                from: self.identity.node_id,
                payload: head,
            })?;
            write_head(&mut send, &frame).await?;
            Ok((send, recv))
        };
        self.within(peer, kind, deadline, open).await
    }

    /// Sends `payload` to node `peer` at `addr` and waits for its answer,
    /// at most `deadline`.
    pub async fn call(
        &self,
        peer: u64,
        addr: SocketAddr,
        kind: Kind,
        payload: Vec<u8>,
        deadline: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let exchange = self.exchange(peer, addr, kind, payload);
        self.within(peer, kind, deadline, exchange).await
    }

    /// Runs `work` against `peer` for at most `deadline`; on failure or
    /// timeout the cached connection is dropped so the next call dials again.
    async fn within<T>(
        &self,
        peer: u64,
        kind: Kind,
        deadline: Duration,
        work: impl std::future::Future<Output = Result<T, TransportError>>,
    ) -> Result<T, TransportError> {
        let result = tokio::time::timeout(deadline, work)
            .await
            .unwrap_or(Err(TransportError::Timeout(peer)));
        if result.is_err() {
            self.forget(peer, kind);
        }
        result
    }

    /// Closes and forgets every connection to `peer` (seen dead: the next
    /// call dials again instead of waiting on a connection to a process
    /// that is gone).
    pub fn disconnect(&self, peer: u64) {
        let mut connections = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        connections.retain(|(id, _), connection| {
            if *id == peer {
                connection.close(0u32.into(), b"peer seen dead");
            }
            *id != peer
        });
    }

    fn forget(&self, peer: u64, kind: Kind) {
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(peer, kind));
    }

    async fn connection(
        &self,
        peer: u64,
        addr: SocketAddr,
        kind: Kind,
    ) -> Result<quinn::Connection, TransportError> {
        let cached = self
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(peer, kind))
            .filter(|c| c.close_reason().is_none())
            .cloned();
        if let Some(c) = cached {
            return Ok(c);
        }
        let unreachable = |reason: String| TransportError::Unreachable { node: peer, reason };
        let config = self
            .clients
            .get(&kind)
            .cloned()
            .ok_or_else(|| unreachable("no client config".into()))?;
        let connecting = self
            .endpoint
            .connect_with(config, addr, &node_name(&self.identity.cluster, peer))
            .map_err(|e| unreachable(e.to_string()))?;
        let connection = connecting.await.map_err(|e| unreachable(e.to_string()))?;
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((peer, kind), connection.clone());
        Ok(connection)
    }

    async fn exchange(
        &self,
        peer: u64,
        addr: SocketAddr,
        kind: Kind,
        payload: Vec<u8>,
    ) -> Result<Vec<u8>, TransportError> {
        let connection = self.connection(peer, addr, kind).await?;
        let unreachable = |reason: String| TransportError::Unreachable { node: peer, reason };
        let (mut send, mut recv) = connection
            .open_bi()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let frame = encode(&Request {
            version: WIRE_VERSION,
            from: self.identity.node_id,
            payload,
        })?;
        send.write_all(&frame)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        send.finish().map_err(|e| unreachable(e.to_string()))?;
        let bytes = recv
            .read_to_end(MAX_FRAME)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let reply: Reply = decode(&bytes)?;
        if reply.version != WIRE_VERSION {
            return Err(TransportError::Frame(format!(
                "node {peer} speaks wire version {}",
                reply.version
            )));
        }
        reply
            .result
            .map_err(|reason| TransportError::Refused { node: peer, reason })
    }

    /// Closes every connection and the endpoint.
    pub fn close(&self) {
        self.endpoint.close(0u32.into(), b"shutting down");
    }
}

/// The server config and one client config per traffic kind.
fn configs(
    identity: &Identity,
    options: &TransportOptions,
) -> Result<(quinn::ServerConfig, HashMap<Kind, quinn::ClientConfig>), TransportError> {
    let tls = |e: rustls::Error| TransportError::Tls(e.to_string());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(identity.ca.clone()).map_err(tls)?;
    let roots = Arc::new(roots);
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(roots.clone(), provider())
            .build()
            .map_err(|e| TransportError::Tls(e.to_string()))?;
    let mut server = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(tls)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![identity.cert.clone()], identity.key.clone_key())
        .map_err(tls)?;
    server.alpn_protocols = [Kind::Gossip, Kind::Raft, Kind::Forward]
        .iter()
        .map(|k| k.alpn().to_vec())
        .collect();
    server.max_early_data_size = 0;
    let server =
        QuicServerConfig::try_from(server).map_err(|e| TransportError::Tls(e.to_string()))?;
    let mut server = quinn::ServerConfig::with_crypto(Arc::new(server));
    server.transport_config(transport_config(options)?);

    let mut clients = HashMap::new();
    for kind in [Kind::Gossip, Kind::Raft, Kind::Forward] {
        let mut client = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls)?
            .with_root_certificates(roots.clone())
            .with_client_auth_cert(vec![identity.cert.clone()], identity.key.clone_key())
            .map_err(tls)?;
        client.alpn_protocols = vec![kind.alpn().to_vec()];
        client.enable_early_data = false;
        let client =
            QuicClientConfig::try_from(client).map_err(|e| TransportError::Tls(e.to_string()))?;
        let mut client = quinn::ClientConfig::new(Arc::new(client));
        client.transport_config(transport_config(options)?);
        clients.insert(kind, client);
    }
    Ok((server, clients))
}

async fn accept_loop(
    endpoint: quinn::Endpoint,
    cluster: String,
    handler: Handler,
    streams: Arc<std::sync::OnceLock<StreamHandler>>,
) {
    while let Some(incoming) = endpoint.accept().await {
        let (cluster, handler, streams) = (cluster.clone(), handler.clone(), streams.clone());
        tokio::spawn(async move {
            let connection = match incoming.await {
                Ok(c) => c,
                // A TLS failure (a certificate from another CA, a wrong name)
                // is worth a warning; a peer giving up is not.
                Err(e @ quinn::ConnectionError::TransportError(_)) => {
                    tracing::warn!(target: "apigw::cluster", error = %e, "refused a peer connection");
                    return;
                }
                Err(e) => {
                    tracing::debug!(target: "apigw::cluster", error = %e, "a peer connection did not complete");
                    return;
                }
            };
            let kind = connection
                .handshake_data()
                .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
                .and_then(|d| d.protocol.as_deref().and_then(Kind::from_alpn));
            let Some(kind) = kind else {
                connection.close(1u32.into(), b"unknown traffic kind");
                return;
            };
            let peer_cert = connection
                .peer_identity()
                .and_then(|i| i.downcast::<Vec<CertificateDer<'static>>>().ok())
                .and_then(|chain| chain.first().cloned());
            let Some(peer_cert) = peer_cert else {
                connection.close(1u32.into(), b"no client certificate");
                return;
            };
            while let Ok((send, recv)) = connection.accept_bi().await {
                let (cluster, handler, cert) =
                    (cluster.clone(), handler.clone(), peer_cert.clone());
                if kind == Kind::Forward {
                    let streams = streams.clone();
                    tokio::spawn(async move {
                        if let Err(e) = serve_forward(send, recv, &cluster, &cert, &streams).await {
                            tracing::debug!(target: "apigw::cluster", error = %e, "forwarded stream failed");
                        }
                    });
                    continue;
                }
                tokio::spawn(async move {
                    if let Err(e) = serve_stream(send, recv, kind, &cluster, &cert, handler).await {
                        tracing::debug!(target: "apigw::cluster", error = %e, "peer stream failed");
                    }
                });
            }
        });
    }
}

async fn serve_stream(
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    kind: Kind,
    cluster: &str,
    cert: &CertificateDer<'static>,
    handler: Handler,
) -> Result<(), TransportError> {
    let bytes = recv
        .read_to_end(MAX_FRAME)
        .await
        .map_err(|e| TransportError::Frame(e.to_string()))?;
    let request: Request = decode(&bytes)?;
    let result = if request.version != WIRE_VERSION {
        Err(format!(
            "wire version {} is not {WIRE_VERSION}",
            request.version
        ))
    } else if !certificate_names(cert, &node_name(cluster, request.from)) {
        tracing::warn!(target: "apigw::cluster", claimed = request.from, "a peer's certificate is not the one of the node it claims to be");
        Err(format!("your certificate is not node {}'s", request.from))
    } else {
        handler(request.from, kind, request.payload).await
    };
    let frame = encode(&Reply {
        version: WIRE_VERSION,
        result,
    })?;
    send.write_all(&frame)
        .await
        .map_err(|e| TransportError::Frame(e.to_string()))?;
    send.finish()
        .map_err(|e| TransportError::Frame(e.to_string()))?;
    Ok(())
}

/// Checks a forwarded stream's head and hands the stream to the handler.
async fn serve_forward(
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    cluster: &str,
    cert: &CertificateDer<'static>,
    streams: &std::sync::OnceLock<StreamHandler>,
) -> Result<(), TransportError> {
    let head: Request = decode(&read_head(&mut recv).await?)?;
    let refuse = |reason: String| TransportError::Refused {
        node: head.from,
        reason,
    };
    if head.version != WIRE_VERSION {
        let _ = send.reset(1u32.into());
        return Err(refuse(format!("wire version {}", head.version)));
    }
    if !certificate_names(cert, &node_name(cluster, head.from)) {
        tracing::warn!(target: "apigw::cluster", claimed = head.from, "a peer's certificate is not the one of the node it claims to be");
        let _ = send.reset(1u32.into());
        return Err(refuse("certificate does not match the node id".into()));
    }
    let Some(handler) = streams.get() else {
        let _ = send.reset(2u32.into());
        return Err(refuse(
            "this node does not serve forwarded requests yet".into(),
        ));
    };
    handler(head.from, head.payload, send, recv).await;
    Ok(())
}

/// Whether a (CA-verified) certificate is valid for `name`.
fn certificate_names(cert: &CertificateDer<'_>, name: &str) -> bool {
    let Ok(server_name) = ServerName::try_from(name.to_string()) else {
        return false;
    };
    webpki::EndEntityCert::try_from(cert)
        .is_ok_and(|c| c.verify_is_valid_for_subject_name(&server_name).is_ok())
}
