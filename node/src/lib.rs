//! apigw: a self-hosted gateway for the REST APIs people build for AWS API
//! Gateway.
//!
//! - [`model`]: REST APIs, deployments, stages;
//! - [`import`]: OpenAPI 3 / Swagger 2 with `x-amazon-apigateway-*` -> model;
//! - [`store`]: the embedded on-disk store of all of it;
//! - [`snapshot`]: what is deployed, compiled for the data plane;
//! - [`dataplane`]: listeners and the request pipeline;
//! - [`admin`]: the management listener;
//! - [`simulation`]: cluster scenarios in simulated time (`apigw sim`).

/// The model of APIs, stages, deployments..., its own crate ([`apigw_model`]).
pub use apigw_model as model;
pub use apigw_model::{ids, import, names, params};

pub mod access;
pub mod admin;
pub mod cache;
pub mod control;
pub mod dataplane;
pub mod domains;
pub mod functions;
pub mod management;
pub mod observability;
pub mod outbound;
pub mod progress;
/// IAM policies and their evaluator, its own crate ([`apigw_policy`]).
pub use apigw_policy as policy;
pub mod replicated_cache;
pub mod shared_counters;
pub mod sigv4;
pub mod simulation;
pub mod snapshot;
/// The embedded store, its own crate ([`apigw_store`]).
pub use apigw_store as store;
pub mod throttle;
pub mod wafv2;
pub mod web_acls;
/// Mapping templates: the VTL engine, its own crate ([`apigw_vtl`]).
pub use apigw_vtl as vtl;
