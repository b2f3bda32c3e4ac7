//! The REST API request pipeline. Phases, in order (each may end the request
//! with a gateway response):
//!
//! 1. locate the API and stage (host or `/restapis/...` path);
//! 2. refuse bodies declared over the payload limit;
//! 3. route: resource, then method (exact verb, then `ANY`);
//! 4. resource policy, authorization (Lambda authorizers; kinds this version
//!    does not enforce fail closed), then
//!    admission: account and stage throttles, API key and usage plan;
//! 5. the stage cache (a hit ends here);
//! 6. read the body (payload limit), validate parameters and body;
//! 7. integration request and response (kept by the stage cache);
//! 8. ids on every response, access log.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH};
use http::{Request, Response};
use hyper::body::Incoming;

use super::access_log;
use super::authorize::{authorize, check_resource_policy, AuthorizerCache};
use super::body::{read_limited, Body, ReadError};
use super::caching;
use super::context::RequestContext;
use super::error::RequestError;
use super::iam::{self, IamUsers};
use super::integration::{self, http::HttpClient};
use super::jwt::{self, JwtAuthorizers};
use super::locate::locate;
use super::respond::gateway_response;
use super::server::Handler;
use super::validate::validate;
use crate::access::{self, Access, Refusal};
use crate::cache::ResponseCache;
use crate::functions::Functions;
use crate::snapshot::{decode, Authorization, CompiledIntegration, CompiledMethod, Deployed};

/// Limits on what clients may send.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body (AWS: 10 MiB).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 10 * 1024 * 1024,
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
    /// Cognito user pool authorizers' issuers and keys.
    pub jwt: JwtAuthorizers,
    /// This node's cluster membership, if it has peers.
    pub cluster: Option<Arc<ClusterView>>,
    pub region: String,
}

/// A node's place in its cluster, for the admin API and metrics.
pub struct ClusterView {
    pub node_id: u64,
    pub region: String,
    pub role: String,
    pub gossip: Arc<apigw_cluster::Gossip>,
    pub transport: Arc<apigw_cluster::Transport>,
    pub raft: Arc<apigw_cluster::raft::RaftNode>,
}

/// The request body: still on the wire, or already read (AWS_IAM reads it
/// to check the signature).
enum Pending {
    Unread(Incoming),
    Read(Bytes),
}

/// The data-plane request handler.
pub struct Gateway {
    deployed: Arc<Deployed>,
    client: HttpClient,
    services: Arc<Services>,
    limits: Limits,
}

impl Gateway {
    pub fn new(
        deployed: Arc<Deployed>,
        client: HttpClient,
        services: Arc<Services>,
        limits: Limits,
    ) -> Gateway {
        Gateway {
            deployed,
            client,
            services,
            limits,
        }
    }

    /// Runs the pipeline for one request.
    pub async fn handle(&self, request: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let mut ctx = RequestContext::new(
            remote.ip(),
            parts.method,
            &parts.uri,
            parts.headers,
            parts.version,
        );
        let mut response = match self.run(&mut ctx, body).await {
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
        access_log::record(&ctx, response.status().as_u16());
        response
    }

    async fn run(
        &self,
        ctx: &mut RequestContext,
        body: Incoming,
    ) -> Result<Response<Body>, RequestError> {
        let snapshot = self.deployed.load();
        let raw_path = ctx.raw_path.clone();
        let host = ctx.header("host").map(str::to_string);
        let located = locate(host.as_deref(), &raw_path).ok_or(RequestError::NoSuchStage)?;
        let stage = snapshot
            .stage(located.api_id, located.stage)
            .map_err(|_| RequestError::NoSuchStage)?
            .clone();
        ctx.stage = Some(stage.clone());
        ctx.stage_path = located.path.to_string();
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
            .map(|(k, v)| (k.to_string(), decode(v)))
            .collect();
        drop(snapshot);
        check_resource_policy(ctx, &stage, &self.services.region)?;
        let mut body = Pending::Unread(body);
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
                let user = iam::verify(&self.services.iam, ctx, &bytes)?;
                ctx.iam_caller = Some((user.access_key_id.clone(), user.arn()));
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
                match caching::lookup(self.services.cache.as_ref(), &policy, ctx, key)? {
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

    /// Reads and validates the body, then calls the method's integration.
    async fn integrate(
        &self,
        ctx: &mut RequestContext,
        method: &CompiledMethod,
        body: Pending,
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

    async fn read_body(&self, body: Incoming) -> Result<Bytes, RequestError> {
        let limit = self.limits.max_body_bytes;
        read_limited(body, limit).await.map_err(|e| match e {
            ReadError::TooLarge => RequestError::RequestTooLarge { limit },
            ReadError::Broken(reason) => RequestError::BadRequest(reason),
        })
    }
}

impl Handler for Gateway {
    async fn call(&self, request: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        self.handle(request, remote).await
    }
}
