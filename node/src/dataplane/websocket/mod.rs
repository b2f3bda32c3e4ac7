//! WebSocket APIs on the data plane, on the same listeners as REST APIs
//! and addressed the same way (`Host: {api-id}.execute-api.*` + `/{stage}`,
//! or `/restapis/{api-id}/{stage}/_user_request_/`):
//!
//! - [`upgrade`]: the HTTP/1.1 handshake; `$connect`'s authorizer and
//!   integration run before the 101, and refuse it with their status;
//! - [`connection`]: one open connection: frames in (limits, ping/pong,
//!   UTF-8, close codes), a bounded send queue out, idle and duration
//!   limits, `$disconnect` once at the end;
//! - [`routes`]: route selection on the API's `$request.body.<path>` and the
//!   route's integration (MOCK, AWS_PROXY, AWS, HTTP, HTTP_PROXY), with
//!   integration and route responses; [`events`]: the Lambda events and
//!   `$context` AWS builds;
//! - [`connections_api`]: `POST|GET|DELETE /@connections/{id}` under the
//!   stage URL, SigV4 (`execute-api`) with the configured IAM users;
//! - [`metrics`]: ConnectCount, MessageCount and the error counts per
//!   route, as AWS names them, on `/metrics`;
//! - [`registry`]: the open connections of this node, by id; [`owner`]:
//!   the node a connection id names, and `@connections` calls sent there.
//!
//! The crate under it is tokio-tungstenite (on hyper's upgrade): it checks
//! frame and message sizes, UTF-8 and the protocol as RFC 6455 says, and
//! answers pings itself.

pub mod connection;
pub mod connections_api;
pub mod events;
pub mod metrics;
pub mod owner;
pub mod registry;
pub mod routes;
pub mod upgrade;

use std::sync::Arc;
use std::time::Duration;

use crate::functions::Functions;
use crate::outbound::HttpClient;
use crate::snapshot::Deployed;
pub use registry::Registry;

/// Limits on WebSocket connections (AWS's defaults).
#[derive(Debug, Clone)]
pub struct WsLimits {
    /// Largest frame (AWS: 32 KB); larger closes with 1009.
    pub frame_bytes: usize,
    /// Largest message, all its frames (AWS: 128 KB); larger closes with 1009.
    pub message_bytes: usize,
    /// A connection that sends nothing for this long is closed (AWS: 10 min).
    pub idle_timeout: Duration,
    /// The longest a connection stays open (AWS: 2 h).
    pub max_duration: Duration,
    /// Frames waiting to be sent to one client; beyond, `@connections`
    /// posts are refused (429) and route answers dropped.
    pub send_queue: usize,
    /// Messages of one connection handled at once.
    pub in_flight: usize,
    /// Open connections on this node.
    pub max_connections: usize,
}

impl Default for WsLimits {
    fn default() -> Self {
        WsLimits {
            frame_bytes: 32 * 1024,
            message_bytes: 128 * 1024,
            idle_timeout: Duration::from_secs(600),
            max_duration: Duration::from_secs(7200),
            send_queue: 64,
            in_flight: 8,
            max_connections: 10_000,
        }
    }
}

/// Who may sign data-plane requests (AWS_IAM `$connect` routes and the
/// `@connections` API): the configured IAM users and their policies.
pub struct Callers<'a> {
    pub iam: &'a crate::dataplane::iam::IamUsers,
    pub identities: &'a crate::policy::Identities,
}

/// What every WebSocket connection of the node shares.
pub struct WebSockets {
    pub registry: Registry,
    pub limits: WsLimits,
    pub functions: Arc<Functions>,
    pub deployed: Arc<Deployed>,
    /// The node's region (ARNs, `domainName`).
    pub region: String,
    /// For HTTP and HTTP_PROXY integrations (set by the first gateway).
    pub client: std::sync::OnceLock<HttpClient>,
    /// This node's id in its cluster (0: a single node), written into the
    /// ids of the connections it accepts.
    pub node_id: u64,
    /// The cluster, to send `@connections` calls to the owning node.
    pub cluster: Option<Arc<super::cluster_view::ClusterView>>,
    pub metrics: metrics::WsMetrics,
    /// Where route throttles count (the node's, or the cluster's).
    pub counters: Arc<dyn crate::throttle::Counters>,
}

impl WebSockets {
    pub fn new(
        limits: WsLimits,
        functions: Arc<Functions>,
        deployed: Arc<Deployed>,
        region: &str,
        cluster: Option<Arc<super::cluster_view::ClusterView>>,
        counters: Arc<dyn crate::throttle::Counters>,
    ) -> WebSockets {
        WebSockets {
            registry: Registry::new(limits.max_connections),
            limits,
            functions,
            deployed,
            region: region.to_string(),
            client: std::sync::OnceLock::new(),
            node_id: cluster.as_ref().map_or(0, |c| c.node_id),
            metrics: metrics::WsMetrics::default(),
            counters,
            cluster,
        }
    }
}

impl WebSockets {
    /// Whether route `route` of `stage` may take one more message (or
    /// connect) under its throttle.
    pub fn admit(
        &self,
        stage: &crate::snapshot::WsStage,
        route: &crate::snapshot::WsRoute,
    ) -> bool {
        let Some(rate) = route.throttle else {
            return true;
        };
        let key = format!(
            "ws:{}:{}:{}",
            stage.api_id, stage.stage_name, route.route_key
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        self.counters.try_acquire(&key, rate, now)
    }

    /// The WebSocket stage `host` and `path` address, with the path inside
    /// the stage; `None` when they address no WebSocket API (the REST
    /// pipeline then answers).
    pub fn claim(
        &self,
        domains: &crate::domains::DomainTable,
        host: Option<&str>,
        path: &str,
    ) -> Option<(Arc<crate::snapshot::WsStage>, String)> {
        let snapshot = self.deployed.load_ws();
        if snapshot.is_empty() {
            return None;
        }
        let path = super::locate::normalize(path);
        let located = super::locate::locate(domains, host, &path)?;
        if !snapshot.has_api(located.api_id) {
            return None;
        }
        let stage = snapshot.stage(located.api_id, located.stage)?.clone();
        Some((stage, located.path.to_string()))
    }

    /// Serves a request to a WebSocket stage: the upgrade at the stage's
    /// root, `@connections/{id}` below it, 403 elsewhere. One another node
    /// sent (`from_peer`) can only be an `@connections` call.
    pub async fn serve<B>(
        self: &Arc<Self>,
        callers: &Callers<'_>,
        request: http::Request<B>,
        client: std::net::IpAddr,
        stage: Arc<crate::snapshot::WsStage>,
        inner: &str,
        from_peer: bool,
    ) -> http::Response<super::body::Body>
    where
        B: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<super::body::BoxError>,
    {
        use http::StatusCode;
        if let Some(id) = connections_api::connection_path(inner) {
            let call = connections_api::Call {
                stage: &stage,
                id: &id,
                client,
                from_peer,
            };
            return connections_api::serve(self, callers, request, call).await;
        }
        if from_peer || !(inner.is_empty() || inner == "/") {
            return upgrade::refuse(StatusCode::FORBIDDEN, "Forbidden");
        }
        if !upgrade::wants_upgrade(request.headers()) {
            return upgrade::refuse(StatusCode::UPGRADE_REQUIRED, "Upgrade Required");
        }
        upgrade::upgrade(self, callers, request, client, stage).await
    }
}
