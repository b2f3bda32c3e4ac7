//! The admin listener (default 127.0.0.1:9090): health and readiness,
//! Prometheus metrics, function state, the cluster view and membership,
//! stage cache flushes, and the AWS-compatible management API.
//!
//! Every request is matched against one route table ([`routes`]) and, unless
//! its route is open (only `GET /health` and `GET /ready`), its SigV4
//! signature is checked with the admin credentials (service `apigateway`,
//! this node's region) before anything is read or changed. The caller it
//! proves is handed to the operation, so later checks (IAM policies) can ask
//! who it is.

mod ops;
pub mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::dataplane::body::read_limited;
use crate::dataplane::body::{full, Body};
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::dataplane::iam::{self, IamUser, IamUsers, Scope};
use crate::dataplane::Handler;
use crate::dataplane::Services;
use crate::management::Management;
use crate::snapshot::Deployed;
use routes::{Access, Operation};

/// The largest request body the admin listener reads (an import's document
/// included): AWS's 10 MiB payload limit.
pub const MAX_ADMIN_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Who may call the admin listener: the admin credentials, the region their
/// signatures are scoped to, and an optional bearer token for `/metrics`.
#[derive(Debug, Clone)]
pub struct AdminAuth {
    pub users: IamUsers,
    pub region: String,
    pub metrics_token: Option<String>,
}

impl AdminAuth {
    /// These admin users (the node's pair and `admin_users`), signing for
    /// `region`; no metrics token.
    pub fn new(admins: Vec<IamUser>, region: impl Into<String>) -> AdminAuth {
        AdminAuth {
            users: IamUsers::new(admins),
            region: region.into(),
            metrics_token: None,
        }
    }

    /// Whether `Authorization: Bearer <token>` carries the metrics token.
    fn metrics_token_matches(&self, ctx: &RequestContext) -> bool {
        let (Some(token), Some(given)) = (
            self.metrics_token.as_deref().filter(|t| !t.is_empty()),
            ctx.header("authorization")
                .and_then(|h| h.strip_prefix("Bearer ")),
        ) else {
            return false;
        };
        let (a, b) = (token.as_bytes(), given.trim().as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The admin request handler.
pub struct Admin {
    deployed: Arc<Deployed>,
    services: Arc<Services>,
    management: Option<Management>,
    auth: AdminAuth,
}

impl Admin {
    pub fn new(
        deployed: Arc<Deployed>,
        services: Arc<Services>,
        management: Option<Management>,
        auth: AdminAuth,
    ) -> Admin {
        Admin {
            deployed,
            services,
            management,
            auth,
        }
    }

    /// The signature check of a route's access level; the caller it proved
    /// (`None`: an open route, or the metrics token).
    fn authenticate(
        &self,
        access: Access,
        service: &'static str,
        ctx: &RequestContext,
        body: &[u8],
    ) -> Result<Option<&IamUser>, RequestError> {
        if access == Access::Open
            || access == Access::SignedOrMetricsToken && self.auth.metrics_token_matches(ctx)
        {
            return Ok(None);
        }
        let regions = [self.auth.region.as_str()];
        let scope = Scope {
            service,
            regions: &regions,
        };
        let user = iam::verify_for(&self.auth.users, ctx, body, &scope).inspect_err(|e| {
            // The kind only: a message may echo the Authorization header.
            tracing::info!(method = %ctx.method, path = %ctx.raw_path, error = refusal_kind(e), "admin request refused");
        })?;
        Ok(Some(user))
    }

    async fn dispatch(
        &self,
        matched: &routes::Matched<'_>,
        ctx: &RequestContext,
        body: Bytes,
        caller: Option<&IamUser>,
    ) -> Response<Body> {
        let param = |name: &str| matched.param(name).unwrap_or_default();
        match matched.operation {
            Operation::Health => json(StatusCode::OK, serde_json::json!({"status": "ok"})),
            Operation::Ready => self.ready(),
            Operation::Metrics => self.metrics(),
            Operation::Functions => self.functions(),
            Operation::ClusterView => self.cluster_view(),
            Operation::PromoteMember => self.membership(param("id"), true).await,
            Operation::RemoveMember => self.membership(param("id"), false).await,
            Operation::FlushStageCache => {
                self.flush_stage_cache(param("restapi_id"), param("stage_name"))
            }
            Operation::StoreBackup | Operation::StoreRestore => match (&self.management, caller) {
                (Some(management), Some(_)) => management.store_call(ctx, &body).await,
                _ => not_found(ctx),
            },
            Operation::Management => match (&self.management, caller) {
                (Some(management), Some(_)) => management.handle(ctx, body).await,
                _ => not_found(ctx),
            },
            Operation::Wafv2 => match (&self.management, caller) {
                (Some(management), Some(_)) => {
                    crate::wafv2::api::handle(management, &self.auth.region, ctx, &body).await
                }
                _ => not_found(ctx),
            },
            Operation::NotFound => not_found(ctx),
        }
    }
}

/// AWS's 403 for a request without a valid signature: `{"message": ...}`
/// and `x-amzn-ErrorType`.
fn refusal(e: &RequestError) -> Response<Body> {
    error(StatusCode::FORBIDDEN, refusal_kind(e), &e.client_message())
}

fn refusal_kind(e: &RequestError) -> &'static str {
    match e {
        RequestError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
        RequestError::UnrecognizedClient => "UnrecognizedClientException",
        _ => "InvalidSignatureException",
    }
}

fn not_found(ctx: &RequestContext) -> Response<Body> {
    error(
        StatusCode::NOT_FOUND,
        "NotFoundException",
        &format!("no such operation: {} {}", ctx.method, ctx.raw_path),
    )
}

/// An error in AWS's REST-JSON shape.
pub(crate) fn error(status: StatusCode, kind: &'static str, message: &str) -> Response<Body> {
    let mut response = json(status, serde_json::json!({ "message": message }));
    response
        .headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(kind));
    response
}

fn json(status: StatusCode, value: serde_json::Value) -> Response<Body> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

impl Handler for Admin {
    async fn call(&self, request: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let matched = routes::find(&parts.method, parts.uri.path());
        // The signature covers the body: read it (capped) unless the route
        // is open and needs none.
        // A restore carries a whole store; everything else AWS's payload cap.
        let cap = match matched.operation {
            Operation::StoreRestore => crate::management::backup::MAX_BACKUP_BYTES,
            _ => MAX_ADMIN_BODY_BYTES,
        };
        let body = match matched.access {
            Access::Open => Bytes::new(),
            // Unsigned requests are refused before a body is read.
            _ if parts.headers.get(http::header::AUTHORIZATION).is_none() => Bytes::new(),
            _ => match read_limited(body, cap).await {
                Ok(b) => b,
                Err(_) => {
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "RequestEntityTooLargeException",
                        "Request Entity Too Large",
                    )
                }
            },
        };
        let ctx = RequestContext::new(
            remote.ip(),
            parts.method,
            &parts.uri,
            parts.headers,
            parts.version,
        );
        // wafv2 calls are signed for their own service, as AWS's are.
        let service = match matched.operation {
            Operation::Wafv2 => "wafv2",
            _ => "apigateway",
        };
        let caller = match self.authenticate(matched.access, service, &ctx, &body) {
            Ok(caller) => caller,
            Err(e) => return refusal(&e),
        };
        // An admin user's policies judge every signed route, not only the
        // management API's.
        if let (Some(management), Some(caller)) = (&self.management, caller) {
            if let Err(denied) = management.permit(caller, &ctx) {
                return denied.into_response();
            }
        }
        self.dispatch(&matched, &ctx, body, caller).await
    }
}
