//! apigw-model: the gateway's model of REST APIs, as AWS API Gateway defines
//! them, and how OpenAPI documents import into it.
//!
//! - [`RestApi`]: the working definition of an API (resources, methods,
//!   integrations, gateway responses), as imported or edited;
//! - [`Deployment`]: an immutable copy of a `RestApi` taken at one moment;
//! - [`Stage`]: a name that points at one deployment and carries stage
//!   variables and settings;
//! - [`DomainName`]s, [`function`] declarations, API keys and usage plans
//!   ([`usage`]); what a change to any of them is ([`command`]);
//! - [`import`]: OpenAPI 3 / Swagger 2 with `x-amazon-apigateway-*` -> model;
//!   [`names`]: the names AWS allows; [`params`]: parameter mappings;
//!   [`ids`]: identifiers; [`diff`]: what changed between two definitions.
//!
//! The types serialize to JSON with AWS's field names (camelCase), which is
//! what the store keeps on disk and what the management API will speak.

pub mod account;
pub mod command;
pub mod ids;
pub mod import;
pub mod names;
pub mod params;
pub mod template;
pub mod usage;
pub mod waf;
pub mod websocket;
pub mod yaml;

mod api;
mod deployment;
pub mod diff;
pub mod documentation;
mod domain;
pub mod function;
mod gateway_response;
mod stage;

pub use api::{
    EndpointType, Integration, IntegrationResponse, IntegrationType, Method, MethodResponse,
    PassthroughBehavior, RequestValidator, Resource, RestApi,
};
pub use deployment::Deployment;
pub use documentation::{Documentation, DocumentationPart, DocumentationVersion};
pub use domain::{BasePathMapping, DomainName, MutualTls, SecretPem, UploadedCertificate};
pub use gateway_response::{GatewayResponse, GatewayResponseType};
pub use stage::{AccessLogSettings, CanarySettings, MethodSetting, Stage};

/// The default and the ceiling AWS puts on an integration's timeout.
pub const DEFAULT_INTEGRATION_TIMEOUT_MS: u64 = 29_000;
/// The smallest integration timeout AWS accepts.
pub const MIN_INTEGRATION_TIMEOUT_MS: u64 = 50;
