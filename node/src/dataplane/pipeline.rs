//! The REST API request pipeline: the phases a request walks, listed once,
//! in order, in [`Gateway::run`]. Each phase is one function with the
//! phase's name, in its own module below; each may end the request early
//! (with an answer, or with an error that becomes a gateway response):
//!
//! 1. [`locate`](Gateway::locate): the API and stage, from the host or the
//!    `/restapis/...` path (dot segments resolved first);
//! 2. [`edge`](Gateway::edge): the endpoint type's verdict: an edge node
//!    forwards EDGE APIs to the nearest healthy region; REGIONAL and PRIVATE
//!    APIs are served only by regional nodes of their region, PRIVATE ones
//!    only to the private networks;
//! 3. [`waf`](Gateway::waf): the web ACL (nothing yet);
//! 4. [`limit_body`](Gateway::limit_body): bodies declared over the payload
//!    limit, or in a content coding the gateway does not take, are refused;
//! 5. [`route`](Gateway::route): resource, then method (exact verb, then `ANY`);
//! 6. [`resource_policy`](Gateway::resource_policy): the API's policy for
//!    anonymous callers (AWS_IAM callers are judged with their identity);
//! 7. [`authorize`](Gateway::authorize): NONE, Lambda, Cognito user pool or
//!    AWS_IAM (kinds this version does not enforce fail closed);
//! 8. [`admit`](Gateway::admit): account and stage throttles, API key and
//!    usage plan quota;
//! 9. [`cache_lookup`](Gateway::cache_lookup): the stage cache (a hit ends here);
//! 10. [`validate`](Gateway::validate): read the body (payload limit and pace),
//!     check required parameters and the body model;
//! 11. [`integrate`](Gateway::integrate): integration request, backend call
//!     and integration response, mapped to the method response
//!     (`dataplane/integration`);
//! 12. [`cache_store`](Gateway::cache_store): a successful answer kept;
//! 13. [`encode`](Gateway::encode): content encoding (the API's
//!     `minimumCompressionSize`, the client's `Accept-Encoding`);
//! 14. [`finish`](Gateway::finish): a failed phase's gateway response, the ids
//!     on every answer, the access log.
//!
//! The phases share one `Exchange`: the
//! [`RequestContext`](super::context::RequestContext) that mapping
//! templates, gateway responses and logs read, plus what only the pipeline
//! needs (how the request arrived, its body, the verified caller). What a
//! phase finds that later phases need and that the context does not hold
//! (the stage, the method) is passed on as a typed value.

mod admit;
mod authorize;
mod body;
mod cache;
mod edge;
mod encode;
mod exchange;
mod finish;
mod integrate;
mod locate;
mod route;
mod validate;
mod waf;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::header::HeaderValue;
use http::{Request, Response};

use self::exchange::{Exchange, InFlight, Via};
use super::authorize::AuthorizerCache;
use super::body::{Body, Pace, RequestBody};
use super::cluster_view::ClusterView;
use super::edge::{Edge, ForwardedHandler};
use super::error::RequestError;
use super::iam::IamUsers;
use super::jwt::JwtAuthorizers;
use super::server::Handler;
use super::source::SourceNetworks;
use crate::access::Access;
use crate::cache::ResponseCache;
use crate::functions::Functions;
use crate::outbound::HttpClient;
use crate::policy::Identities;
use crate::snapshot::Deployed;

/// Limits on what clients may send.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body (AWS: 10 MiB).
    pub max_body_bytes: usize,
    /// How fast the body must arrive.
    pub body_pace: Pace,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 10 * 1024 * 1024,
            body_pace: Pace::default(),
        }
    }
}

/// What every worker's gateway shares: functions, admission counters,
/// authorizer results, and the node's region (for ARNs).
pub struct Services {
    pub functions: Arc<Functions>,
    pub cache: Arc<dyn ResponseCache>,
    pub access: Arc<Access>,
    pub authorizers: AuthorizerCache,
    /// IAM users AWS_IAM methods accept signatures from.
    pub iam: IamUsers,
    /// What those users may do (by access key id; one missing may only
    /// invoke, as a user configured without policies).
    pub identities: Identities,
    /// Cognito user pool authorizers' issuers and keys.
    pub jwt: JwtAuthorizers,
    /// This node's cluster membership, if it has peers.
    pub cluster: Option<Arc<ClusterView>>,
    pub region: String,
    /// Set on edge nodes: where EDGE APIs are forwarded.
    pub edge: Option<Arc<Edge>>,
    /// Trusted proxies and the networks PRIVATE APIs answer.
    pub networks: SourceNetworks,
    /// Connection caps and counts of listeners and backends.
    pub capacity: Arc<super::capacity::Capacity>,
    /// The stages' web ACLs (phase `waf`).
    pub waf: Arc<crate::web_acls::WebAcls>,
    /// Custom domain names: base path mappings and TLS certificates.
    pub domains: Arc<crate::domains::Domains>,
    /// WebSocket APIs' connections and limits.
    pub websocket: Arc<super::websocket::WebSockets>,
    /// Stage access logs, request metrics.
    pub observability: Arc<crate::observability::Observability>,
    /// AWS service integrations' endpoints and credentials.
    pub aws: Arc<super::integration::aws::AwsServices>,
    /// VPC links' upstream groups.
    pub upstreams: Arc<super::integration::upstream::Upstreams>,
    /// Set only by `apigw sim`: the latency and failures of the backend
    /// behind MOCK integrations ([`super::integration::mock::SimulatedBackend`]).
    pub simulated_backend: Option<Arc<dyn super::integration::mock::SimulatedBackend>>,
}

/// The data-plane request handler.
pub struct Gateway {
    deployed: Arc<Deployed>,
    client: HttpClient,
    services: Arc<Services>,
    limits: Limits,
    /// `x-apigw-region` for every answer, in a cluster (made once).
    region_header: Option<HeaderValue>,
}

impl Gateway {
    pub fn new(
        deployed: Arc<Deployed>,
        client: HttpClient,
        services: Arc<Services>,
        limits: Limits,
    ) -> Gateway {
        let region_header = services
            .cluster
            .as_ref()
            .and_then(|_| HeaderValue::from_str(&services.region).ok());
        let _ = services.websocket.client.set(client.clone());
        Gateway {
            deployed,
            client,
            services,
            limits,
            region_header,
        }
    }

    /// Runs the pipeline for one request from a client.
    pub async fn handle<B: RequestBody>(
        &self,
        request: Request<B>,
        remote: SocketAddr,
    ) -> Response<Body> {
        let client = self
            .services
            .networks
            .client_ip(remote.ip(), request.headers());
        if let Some((stage, inner)) = self.websocket_stage(&request) {
            let callers = super::websocket::Callers {
                iam: &self.services.iam,
                identities: &self.services.identities,
            };
            let ws = &self.services.websocket;
            return ws
                .serve(&callers, request, client, stage, &inner, false)
                .await;
        }
        self.respond(request, client, Via::Client, None).await
    }

    /// The WebSocket stage a client's request is for, if any.
    fn websocket_stage<B>(
        &self,
        request: &Request<B>,
    ) -> Option<(Arc<crate::snapshot::WsStage>, String)> {
        if self.deployed.load_ws().is_empty() {
            return None;
        }
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        let domains = self.services.domains.routes();
        self.services
            .websocket
            .claim(&domains, host, request.uri().path())
    }

    /// Runs the pipeline for a request an edge forwarded (its client's
    /// address and request id kept).
    pub async fn handle_forwarded<B: RequestBody>(
        &self,
        request: Request<B>,
        client: IpAddr,
        request_id: String,
    ) -> Response<Body> {
        if let Some((stage, inner)) = self.websocket_stage(&request) {
            let callers = super::websocket::Callers {
                iam: &self.services.iam,
                identities: &self.services.identities,
            };
            let ws = &self.services.websocket;
            return ws
                .serve(&callers, request, client, stage, &inner, true)
                .await;
        }
        self.respond(request, client, Via::Edge, Some(request_id))
            .await
    }

    /// One request from arrival to answer: the phases, then [`finish`](Gateway::finish).
    async fn respond<B: RequestBody>(
        &self,
        request: Request<B>,
        client: IpAddr,
        via: Via,
        request_id: Option<String>,
    ) -> Response<Body> {
        let _in_flight = InFlight::enter(self.services.cluster.as_ref());
        let _counted = self.services.observability.metrics.enter();
        let mut ex = Exchange::new(request, client, via, request_id);
        let outcome = self.run(&mut ex).await;
        self.finish(&mut ex.ctx, outcome)
    }

    /// The phases, in order.
    async fn run<'g, B: RequestBody>(
        &'g self,
        ex: &mut Exchange<'g, B>,
    ) -> Result<Response<Body>, RequestError> {
        let stage = self.locate(ex)?;
        if let Some(forwarded) = self.edge(ex, &stage).await? {
            return Ok(forwarded);
        }
        if let Some(answer) = self.waf(ex, &stage).await? {
            return Ok(answer);
        }
        self.limit_body(ex).await?;
        let route = self.route(ex, stage)?;
        self.resource_policy(ex, &route)?;
        self.authorize(ex, &route).await?;
        self.admit(ex, &route)?;
        let miss = match self.cache_lookup(ex, &route).await? {
            cache::Cached::Hit(response) => return Ok(self.encode(ex, response)),
            cache::Cached::Miss(miss) => miss,
        };
        let body = self.validate(ex, &route).await?;
        let response = self.integrate(ex, &route, body).await?;
        let response = self.cache_store(miss, response).await?;
        Ok(self.encode(ex, response))
    }
}

impl Handler for Gateway {
    fn call(
        &self,
        request: Request<hyper::body::Incoming>,
        remote: SocketAddr,
    ) -> impl std::future::Future<Output = Response<Body>> + Send {
        // On the heap: the pipeline's future is kilobytes, and hyper moves
        // the future it is given into place; a box moves as a pointer.
        Box::pin(self.handle(request, remote))
    }
}

impl ForwardedHandler for Gateway {
    async fn serve(
        &self,
        request: Request<super::quic_body::QuicBody>,
        client_ip: IpAddr,
        request_id: String,
    ) -> Response<Body> {
        self.handle_forwarded(request, client_ip, request_id).await
    }
}
