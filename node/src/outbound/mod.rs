//! Outbound HTTP: the client that integrations, remote functions (the Lambda
//! Invoke API) and edge tooling share: keep-alive pools per host, HTTP/1.1
//! and, over TLS, HTTP/2 by ALPN, and caps per backend ([`slots`]); the
//! client certificates stages present and the integrations that accept a
//! private CA ([`tls`]) get pools of their own.

pub mod slots;
pub mod spelling;
pub mod tls;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use slots::{BackendSlots, Lease};
pub use tls::{ClientIdentity, IdentityError};

/// At most this many TLS variants (client certificate, verification) keep
/// pools of their own; past it they are dropped and built again.
const MAX_VARIANTS: usize = 256;

/// Why a request sent with [`HttpClient::send_holding`] got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No answer within the hold time.
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    /// The connection or the exchange failed (the error and its sources).
    #[error("{0}")]
    Failed(String),
}

type Connector = spelling::SpellingConnector<hyper_rustls::HttpsConnector<HttpConnector>>;

/// The shared backend client: keep-alive pools per host, HTTP/1.1 and, over
/// TLS, HTTP/2 by ALPN.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<Connector, Full<Bytes>>,
    /// Largest backend response body read into memory (non-proxy).
    max_response_bytes: usize,
    /// Caps per backend on integration requests in flight.
    slots: Arc<BackendSlots>,
    /// How the pools were built, to build the TLS variants alike.
    idle_timeout: Duration,
    /// The clients of the TLS variants, by (certificate id, insecure).
    variants: Arc<Mutex<HashMap<TlsVariant, BackendClient>>>,
}

/// A pooled backend client.
type BackendClient = Client<Connector, Full<Bytes>>;

/// What sets a TLS variant apart: the client certificate id and whether
/// the backend's certificate goes unchecked.
type TlsVariant = (Option<String>, bool);

impl HttpClient {
    /// Builds the client; `idle_timeout` is how long pooled connections
    /// live. Integration requests are not capped per backend.
    pub fn new(
        idle_timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<HttpClient, rustls::Error> {
        HttpClient::with_slots(
            idle_timeout,
            max_response_bytes,
            Arc::new(BackendSlots::default()),
        )
    }

    /// Builds a client whose integration requests take `slots` (shared by
    /// the workers); each worker keeps at most the cap of idle connections
    /// per backend.
    pub fn with_slots(
        idle_timeout: Duration,
        max_response_bytes: usize,
        slots: Arc<BackendSlots>,
    ) -> Result<HttpClient, rustls::Error> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(tcp_connector());
        let client = pooled(spelling::SpellingConnector(https), idle_timeout, &slots);
        Ok(HttpClient {
            client,
            max_response_bytes,
            slots,
            idle_timeout,
            variants: Arc::default(),
        })
    }

    /// This client as a backend of a stage with a client certificate
    /// (`identity`) or of an integration that accepts any issuer
    /// (`insecure`) sees it: the same caps, pools of its own. The default
    /// client for neither.
    pub fn for_backend(
        &self,
        identity: Option<&Arc<ClientIdentity>>,
        insecure: bool,
    ) -> Result<HttpClient, rustls::Error> {
        if identity.is_none() && !insecure {
            return Ok(self.clone());
        }
        let key = (identity.map(|i| i.id.clone()), insecure);
        let mut variants = self.variants.lock().unwrap_or_else(|p| p.into_inner());
        let client = match variants.get(&key) {
            Some(client) => client.clone(),
            None => {
                let config = tls::client_config(identity.map(Arc::as_ref), insecure)?;
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(config)
                    .https_or_http()
                    .enable_http1()
                    .enable_http2()
                    .wrap_connector(tcp_connector());
                let client = pooled(
                    spelling::SpellingConnector(https),
                    self.idle_timeout,
                    &self.slots,
                );
                if variants.len() >= MAX_VARIANTS {
                    variants.clear();
                }
                variants.insert(key, client.clone());
                client
            }
        };
        Ok(HttpClient {
            client,
            ..self.clone()
        })
    }
}

/// TCP toward backends: no Nagle, keep-alive probes.
fn tcp_connector() -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_keepalive(Some(Duration::from_secs(60)));
    http
}

/// A pooling client over `https`, idle connections capped as the slots are.
fn pooled(
    https: Connector,
    idle_timeout: Duration,
    slots: &BackendSlots,
) -> Client<Connector, Full<Bytes>> {
    let mut builder = Client::builder(TokioExecutor::new());
    builder.pool_idle_timeout(idle_timeout);
    // HTTP_PROXY answers keep how HTTP/1.1 backends spell header names:
    // the connections record it ([`spelling`]).
    if slots.max_per_backend() > 0 {
        builder.pool_max_idle_per_host(slots.max_per_backend());
    }
    builder.build(https)
}

impl HttpClient {
    /// The caps per backend its integration requests take.
    pub fn slots(&self) -> &BackendSlots {
        &self.slots
    }

    /// Largest backend response body read into memory (non-proxy).
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// Sends a request as it is (used by the Lambda Invoke API client).
    pub async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<hyper::body::Incoming>, String> {
        self.client
            .request(request)
            .await
            .map_err(|e| error_chain(&e))
    }
}

/// `scheme://host:port` of a backend URI, the key its slots are kept under.
pub fn backend_key(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("http");
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    format!("{scheme}://{}:{port}", uri.host().unwrap_or_default())
}

impl HttpClient {
    /// Sends `request` holding the backend's slot until the backend answers,
    /// even after the caller stopped waiting (its integration timed out): a
    /// request the client gave up on still occupies the backend, so its slot
    /// goes to the next request only once the backend is done with it, or
    /// `hold` has passed. The wait is the caller's own; only a caller that
    /// gives up leaves a task behind, to finish the wait.
    pub async fn send_holding(
        &self,
        request: Request<Full<Bytes>>,
        lease: Lease,
        hold: Duration,
    ) -> Result<(Response<hyper::body::Incoming>, Lease), SendError> {
        let mut holding = Holding {
            sent: Some(self.client.request(request)),
            lease: Some(lease),
            until: tokio::time::Instant::now() + hold,
        };
        let outcome = tokio::time::timeout(hold, &mut holding).await;
        match (outcome, holding.lease.take()) {
            (Ok(Ok(response)), Some(lease)) => Ok((response, lease)),
            (Ok(Err(e)), _) => Err(SendError::Failed(error_chain(&e))),
            (Err(_), _) => Err(SendError::TimedOut(hold)),
            (Ok(Ok(_)), None) => Err(SendError::Failed("the backend call was abandoned".into())),
        }
    }
}

/// A backend request in flight and the slot it holds; dropped before the
/// answer came (its caller gave up), it finishes waiting on a task of its
/// own, up to `until`, and gives the slot back then.
struct Holding {
    sent: Option<hyper_util::client::legacy::ResponseFuture>,
    lease: Option<Lease>,
    until: tokio::time::Instant,
}

impl std::future::Future for Holding {
    type Output = Result<Response<hyper::body::Incoming>, hyper_util::client::legacy::Error>;

    /// The backend's answer; once it came, nothing is left to finish on drop.
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let Some(sent) = self.sent.as_mut() else {
            return std::task::Poll::Pending;
        };
        let answer = std::task::ready!(std::pin::Pin::new(sent).poll(cx));
        self.sent = None;
        std::task::Poll::Ready(answer)
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        let (Some(sent), Some(lease)) = (self.sent.take(), self.lease.take()) else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let until = self.until;
            runtime.spawn(async move {
                // With no one waiting any more, the response and the slot drop here.
                let _ = tokio::time::timeout_at(until, sent).await;
                drop(lease);
            });
        }
    }
}

/// An error with its sources, for logs (`connection refused` hides two levels down).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
