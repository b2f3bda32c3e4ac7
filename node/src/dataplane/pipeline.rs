//! The REST API request pipeline. Phases, in order (each may end the request
//! with a gateway response):
//!
//! 1. locate the API and stage (host or `/restapis/...` path), then its
//!    endpoint type: an edge node forwards EDGE APIs to the nearest healthy
//!    region; REGIONAL and PRIVATE APIs are served only by regional nodes of
//!    their region, PRIVATE ones only to the private networks;
//! 2. refuse bodies declared over the payload limit;
//! 3. route: resource, then method (exact verb, then `ANY`);
//! 4. resource policy, authorization (Lambda authorizers; kinds this version
//!    does not enforce fail closed), then
//!    admission: account and stage throttles, API key and usage plan;
//! 5. the stage cache (a hit ends here);
//! 6. read the body (payload limit), validate parameters and body;
//! 7. integration request and response (kept by the stage cache);
//! 8. ids on every response, access log.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH};
use http::{Request, Response};

use super::access_log;
use super::authorize::{
    authorize, authorize_iam, check_resource_policy, may_invalidate_cache, AuthorizerCache,
};
use super::body::{read_paced, Body, Pace, ReadError, RequestBody};
use super::caching;
use super::cluster_view::ClusterView;
use super::context::RequestContext;
use super::edge::{Edge, ForwardedHandler};
use super::error::RequestError;
use super::iam::{self, IamUsers};
use super::integration;
use super::jwt::{self, JwtAuthorizers};
use super::locate::{locate, normalize};
use super::respond::gateway_response;
use super::server::Handler;
use super::source::SourceNetworks;
use super::validate::validate;
use crate::access::{self, Access, Refusal};
use crate::cache::ResponseCache;
use crate::functions::Functions;
use crate::model::EndpointType;
use crate::outbound::HttpClient;
use crate::policy::{Identities, Identity};
use crate::snapshot::{Authorization, CompiledIntegration, CompiledMethod, Deployed};
use crate::vtl::url::decode_path_component;

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
    /// Custom domain names: base path mappings and TLS certificates.
    pub domains: Arc<crate::domains::Domains>,
}

/// How a request reached this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Client,
    /// From an edge node: served here, never forwarded again.
    Edge,
}

/// Counts a request in flight on this node while it lives (gossiped as
/// the node's load).
struct InFlight<'a>(Option<&'a apigw_cluster::Gossip>);

impl<'a> InFlight<'a> {
    fn enter(cluster: Option<&'a Arc<ClusterView>>) -> InFlight<'a> {
        let gossip = cluster.map(|c| c.gossip.as_ref());
        if let Some(g) = gossip {
            g.load.fetch_add(1, Ordering::Relaxed);
        }
        InFlight(gossip)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(g) = self.0 {
            g.load.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// The request body: still on the wire, or already read (AWS_IAM reads it
/// to check the signature).
enum Pending<B> {
    Unread(B),
    Read(Bytes),
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
        self.respond(request, client, Via::Client, None).await
    }

    /// Runs the pipeline for a request an edge forwarded (its client's
    /// address and request id kept).
    pub async fn handle_forwarded<B: RequestBody>(
        &self,
        request: Request<B>,
        client: IpAddr,
        request_id: String,
    ) -> Response<Body> {
        self.respond(request, client, Via::Edge, Some(request_id))
            .await
    }

    async fn respond<B: RequestBody>(
        &self,
        request: Request<B>,
        client: IpAddr,
        via: Via,
        request_id: Option<String>,
    ) -> Response<Body> {
        let _in_flight = InFlight::enter(self.services.cluster.as_ref());
        let (parts, body) = request.into_parts();
        let mut ctx = RequestContext::new(
            client,
            parts.method,
            &parts.uri,
            parts.headers,
            parts.version,
        );
        if let Some(id) = request_id {
            ctx.request_id = id;
        }
        ctx.tls = parts
            .extensions
            .get::<Arc<apigw_tls::ConnectionInfo>>()
            .cloned();
        let mut response = match self.run(&mut ctx, body, via).await {
            Ok(response) => response,
            Err(error) => {
                if error.is_operator_fault() {
                    tracing::warn!(requestId = %ctx.request_id, error = %error, "request failed");
                } else {
                    tracing::debug!(requestId = %ctx.request_id, error = %error, "request refused");
                }
                gateway_response(&error, &mut ctx)
            }
        };
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
            headers.insert("x-amzn-requestid", v);
        }
        if let Ok(v) = HeaderValue::from_str(&ctx.extended_request_id) {
            headers.insert("x-amz-apigw-id", v);
        }
        if let Some(region) = &self.region_header {
            if !headers.contains_key("x-apigw-region") {
                headers.insert("x-apigw-region", region.clone());
            }
        }
        access_log::record(&ctx, response.status().as_u16());
        response
    }

    async fn run<B: RequestBody>(
        &self,
        ctx: &mut RequestContext,
        body: B,
        via: Via,
    ) -> Result<Response<Body>, RequestError> {
        let snapshot = self.deployed.load();
        let raw_path = ctx.raw_path.clone();
        // `Host`, else HTTP/2's `:authority`, else the TLS server name.
        let host = Some(ctx.domain_name.clone())
            .filter(|h| !h.is_empty())
            .or_else(|| ctx.tls.as_ref().map(|t| t.server_name.clone()));
        // Dot segments are resolved before anything is decided on the path.
        let path = normalize(&raw_path);
        let domains = self.services.domains.routes();
        let located = locate(&domains, host.as_deref(), &path).ok_or(RequestError::NoSuchStage)?;
        ctx.base_path_matched = located.base_path.map(str::to_string);
        let stage = snapshot
            .stage(located.api_id, located.stage)
            .map_err(|_| RequestError::NoSuchStage)?
            .clone();
        ctx.stage = Some(stage.clone());
        ctx.stage_path = located.path.to_string();
        drop(snapshot);
        let body = match self.endpoint(ctx, &stage, via)? {
            Some(edge) => match edge.forward(ctx, body).await? {
                Ok(response) => return Ok(response),
                // No region is healthy: an edge has the configuration too.
                Err(body) => body,
            },
            None => body,
        };
        let limit = self.limits.max_body_bytes;
        let declared = ctx
            .header(CONTENT_LENGTH.as_str())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|len| len > limit) {
            super::body::drain(body).await;
            return Err(RequestError::RequestTooLarge { limit });
        }
        let matched = stage
            .api
            .router
            .find(located.path)
            .ok_or(RequestError::MissingAuthenticationToken)?;
        let method = matched
            .value
            .method(&ctx.method)
            .ok_or(RequestError::MissingAuthenticationToken)?
            .clone();
        ctx.resource_path = Some(matched.value.path.clone());
        ctx.raw_path_params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ctx.path_params = matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), decode_path_component(v)))
            .collect();
        if !matches!(method.authorization, Authorization::Iam) {
            check_resource_policy(ctx, &stage, &self.services.region)?;
        }
        let mut body = Pending::Unread(body);
        // A verified AWS_IAM caller's rights, for the cache's max-age=0 too.
        let fallback;
        let mut identity: Option<&Identity> = None;
        let usage_key = match &method.authorization {
            Authorization::None => None,
            Authorization::Lambda(authorizer) => {
                let services = &self.services;
                authorize(
                    authorizer,
                    &services.functions,
                    &services.authorizers,
                    &services.region,
                    ctx,
                    &stage,
                )
                .await?
            }
            Authorization::Jwt(jwt_method) => {
                ctx.authorizer = Some(jwt::verify(&self.services.jwt, jwt_method, ctx)?);
                None
            }
            Authorization::Iam => {
                // The signature covers the body: read it first.
                let Pending::Unread(incoming) = body else {
                    return Err(RequestError::IntegrationUnavailable(
                        "body already read".into(),
                    ));
                };
                let bytes = self.read_body(incoming).await?;
                let regions = self.signing_regions(via);
                let regions: Vec<&str> = regions.iter().map(String::as_str).collect();
                let user = iam::verify(&self.services.iam, ctx, &bytes, &regions)?;
                ctx.iam_caller = Some((user.access_key_id.clone(), user.arn()));
                let grants = self.services.identities.get(&user.access_key_id);
                let caller = match grants {
                    Some(known) => known,
                    None => {
                        fallback = Identity::invoke_only(&user.name);
                        &fallback
                    }
                };
                authorize_iam(caller, ctx, &stage, &self.services.region)?;
                identity = Some(caller);
                body = Pending::Read(bytes);
                None
            }
            Authorization::Unsupported(kind) => {
                return Err(RequestError::AuthorizationUnsupported(kind.clone()));
            }
        };
        let api_key = if stage.api.api_key_from_authorizer {
            usage_key
        } else {
            ctx.header("x-api-key").map(str::to_string)
        };
        let method_key = format!("{}/{}", method.resource_path, method.http_method);
        let admitted = self
            .services
            .access
            .admit(&access::Request {
                api_id: &stage.api.api_id,
                stage: &stage.stage_name,
                method_key: &method_key,
                stage_throttle: stage.throttle_for(&method_key),
                api_key_required: method.api_key_required,
                api_key: api_key.as_deref(),
            })
            .map_err(|refusal| match refusal {
                Refusal::Throttled(by) => RequestError::Throttled(by),
                Refusal::Forbidden => RequestError::ApiKeyRequired,
                Refusal::QuotaExceeded { plan, key } => {
                    RequestError::QuotaExceeded(format!("usage plan {plan}, key {key}"))
                }
            })?;
        ctx.api_key = admitted.api_key;
        ctx.api_key_id = admitted.api_key_id;
        let cache = stage.cache_policy(&method_key, &ctx.method).map(|policy| {
            let key = caching::key(ctx, &method, &stage.api.api_id, &stage.stage_name);
            (policy, key)
        });
        let miss = match cache {
            None => None,
            Some((policy, key)) => {
                let region = &self.services.region;
                let may_invalidate =
                    || identity.is_some_and(|i| may_invalidate_cache(i, ctx, &stage, region));
                match caching::lookup(
                    self.services.cache.as_ref(),
                    &policy,
                    ctx,
                    key,
                    &may_invalidate,
                )? {
                    caching::Lookup::Hit(response) => {
                        if let Pending::Unread(incoming) = body {
                            super::body::drain(incoming).await;
                        }
                        return Ok(response);
                    }
                    caching::Lookup::Miss { key, warn } => Some((policy, key, warn)),
                }
            }
        };
        let response = self.integrate(ctx, &method, body).await?;
        match miss {
            None => Ok(response),
            Some((policy, key, warn)) => {
                caching::store(self.services.cache.as_ref(), &policy, key, warn, response).await
            }
        }
    }

    /// The regions an AWS_IAM signature may be scoped to: this node's; for
    /// a request an edge forwarded, also every cluster member's (the client
    /// signed for the edge it called, whose region this node cannot see).
    fn signing_regions(&self, via: Via) -> Vec<String> {
        let mut regions = vec![self.services.region.clone()];
        if let (Via::Edge, Some(cluster)) = (via, &self.services.cluster) {
            regions.extend(cluster.gossip.peers().into_iter().map(|p| p.region));
        }
        regions
    }

    /// The endpoint type's verdict: serve here (`None`), forward through the
    /// edge (an EDGE API on an edge node with a healthy region), or refuse.
    fn endpoint(
        &self,
        ctx: &RequestContext,
        stage: &crate::snapshot::StageView,
        via: Via,
    ) -> Result<Option<&Arc<Edge>>, RequestError> {
        let edge = self.services.edge.as_ref();
        let api = &stage.api;
        match api.endpoint_type {
            EndpointType::Edge => Ok(edge.filter(|_| via == Via::Client)),
            EndpointType::Regional | EndpointType::Private => {
                if edge.is_some() {
                    return Err(RequestError::EndpointRefused(format!(
                        "{:?} API {} is not served by edge nodes",
                        api.endpoint_type, api.api_id
                    )));
                }
                if let Some(region) = api.region.as_deref() {
                    if region != self.services.region {
                        return Err(RequestError::EndpointRefused(format!(
                            "API {} is served in {region}, this node is in {}",
                            api.api_id, self.services.region
                        )));
                    }
                }
                if api.endpoint_type == EndpointType::Private
                    && !self.services.networks.is_private(ctx.source_ip)
                {
                    return Err(RequestError::EndpointRefused(format!(
                        "PRIVATE API {} called from {}, outside the private networks",
                        api.api_id, ctx.source_ip
                    )));
                }
                Ok(None)
            }
        }
    }

    /// Reads and validates the body, then calls the method's integration.
    async fn integrate<B: RequestBody>(
        &self,
        ctx: &mut RequestContext,
        method: &CompiledMethod,
        body: Pending<B>,
    ) -> Result<Response<Body>, RequestError> {
        let body = match body {
            Pending::Unread(incoming) => self.read_body(incoming).await?,
            Pending::Read(bytes) => bytes,
        };
        validate(&method.validation, ctx, &body)?;
        match &method.integration {
            CompiledIntegration::Http(http) => {
                integration::http::call(http, &self.client, ctx, body).await
            }
            CompiledIntegration::Lambda(lambda) => {
                integration::lambda::call(lambda, &self.services.functions, ctx, body).await
            }
            CompiledIntegration::Mock(mock) => integration::mock::answer(mock, ctx, &body),
            CompiledIntegration::Unavailable(reason) => {
                Err(RequestError::IntegrationUnavailable(reason.clone()))
            }
        }
    }

    async fn read_body<B: RequestBody>(&self, body: B) -> Result<Bytes, RequestError> {
        let limit = self.limits.max_body_bytes;
        let pace = self.limits.body_pace;
        read_paced(body, limit, pace).await.map_err(|e| match e {
            ReadError::TooLarge => RequestError::RequestTooLarge { limit },
            ReadError::TooSlow => RequestError::BodyTimeout,
            ReadError::Broken(reason) => RequestError::BadRequest(reason),
        })
    }
}

impl Handler for Gateway {
    async fn call(
        &self,
        request: Request<hyper::body::Incoming>,
        remote: SocketAddr,
    ) -> Response<Body> {
        self.handle(request, remote).await
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
