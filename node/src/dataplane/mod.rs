//! The data plane: listeners and the REST API request pipeline.
//!
//! - [`server`]: accept loop, HTTP/1.1 + h2c, graceful shutdown; [`tls`]:
//!   the TLS listener (custom domains by SNI);
//!   [`admission`]: connection caps (total, per source) and the 503 beyond
//!   them; [`connection`]: one connection's deadlines (header, idle) and the
//!   Host check; `send_deadline`: writes to a client that reads nothing fail; [`capacity`]: those counts and the backend pools' on
//!   `/metrics`;
//! - [`pipeline`]: the phases a request walks, listed once in
//!   `Gateway::run` (locate, edge, waf, route, resource policy, authorize,
//!   admit, cache, validate, integrate, encode, finish), one module each
//!   under `pipeline/`;
//! - [`authorize`]: Lambda authorizers and resource policies; [`iam`]:
//!   SigV4 verification for AWS_IAM methods; [`jwt`]: Cognito user pool
//!   authorizers; [`caching`]:
//!   the stage cache;
//! - [`integration`]: the backends (HTTP, HTTP_PROXY, MOCK, Lambda) and
//!   mapping templates; [`validate`]: request validators;
//! - [`compression`]: content codings (answers compressed in phase
//!   `encode`, request bodies decoded before templates);
//! - [`respond`]: gateway responses; [`error`]: the one error-to-response map;
//! - [`edge`]: EDGE APIs forwarded by edge nodes to the nearest healthy
//!   region, and serving what edges forward ([`quic_body`]: bodies over
//!   QUIC); [`source`]: the client address behind trusted proxies and the
//!   networks PRIVATE APIs answer;
//! - [`websocket`]: WebSocket APIs: the upgrade, `$connect`, routes,
//!   connections and the `@connections` callback API;
//! - [`context`], [`locate`], [`body`], [`access_log`]: what the phases share.

pub mod access_log;
pub mod admission;
pub mod authorize;
pub mod body;
pub mod caching;
pub mod capacity;
pub mod cluster_view;
pub mod compression;
pub mod connection;
pub mod context;
pub mod edge;
pub mod edge_failover;
pub mod error;
pub mod iam;
pub mod integration;
pub mod jwt;
pub mod locate;
pub mod pipeline;
pub mod quic_body;
pub mod respond;
pub(crate) mod send_deadline;
pub mod server;
pub mod source;
pub mod tls;
pub mod validate;
pub mod websocket;

pub use cluster_view::ClusterView;
pub use pipeline::{Gateway, Limits, Services};
pub use server::{serve, Handler, ServerOptions};
pub use tls::serve_tls;
