//! A REST API's definition: resources, methods, integrations and responses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::gateway_response::{GatewayResponse, GatewayResponseType};

/// A REST API: what `CreateRestApi`/`ImportRestApi` make and deployments copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestApi {
    /// AWS-style identifier: ten lowercase letters and digits.
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default)]
    pub endpoint_type: EndpointType,
    /// `endpointConfiguration.ipAddressType`: `ipv4` or `dualstack`
    /// (`None`: AWS's default for the endpoint type, see
    /// [`RestApi::ip_address_type`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<String>,
    /// The region whose nodes serve a REGIONAL or PRIVATE API (`None`:
    /// every region's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Content types the API treats as binary (`x-amazon-apigateway-binary-media-types`).
    #[serde(default)]
    pub binary_media_types: Vec<String>,
    /// `HEADER` (default) or `AUTHORIZER` (`x-amazon-apigateway-api-key-source`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_compression_size: Option<u64>,
    /// `disableExecuteApiEndpoint`: only custom domains reach the API (its
    /// `{api}.execute-api.*` host and `/restapis/` path answer 403).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disable_execute_api_endpoint: bool,
    /// The resource policy document (`x-amazon-apigateway-policy`), kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Value>,
    /// Resources keyed by their full path (`/`, `/pets`, `/pets/{petId}`).
    pub resources: BTreeMap<String, Resource>,
    /// The ids of resources that do not have the id derived from their
    /// path (moved or renamed ones keep theirs), by current path; see
    /// [`RestApi::resource_id`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_ids: BTreeMap<String, String>,
    /// Customized gateway responses; types absent here use AWS's defaults.
    #[serde(default)]
    pub gateway_responses: BTreeMap<GatewayResponseType, GatewayResponse>,
    /// Request validators by name (`x-amazon-apigateway-request-validators`).
    #[serde(default)]
    pub request_validators: BTreeMap<String, RequestValidator>,
    /// The validator applied to methods that name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_request_validator: Option<String>,
    /// Models (JSON schemas) by name.
    #[serde(default)]
    pub models: BTreeMap<String, Value>,
    /// Authorizers by name, kept as their OpenAPI definition until they are enforced.
    #[serde(default)]
    pub authorizers: BTreeMap<String, Value>,
    /// Models' descriptions by model name (`CreateModel`'s `description`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_descriptions: BTreeMap<String, String>,
    /// When the API was made, epoch seconds (`None`: before apigw kept it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<u64>,
    /// When the API was made, microseconds since the epoch (0: unknown), so
    /// listings keep the order APIs were made in within one second.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub created_micros: u64,
    /// Documentation parts and versions.
    #[serde(default, skip_serializing_if = "crate::Documentation::is_empty")]
    pub documentation: crate::Documentation,
}

/// `x-amazon-apigateway-request-validators` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RequestValidator {
    /// The id it was made with, kept when it is renamed (`None`: derived
    /// from its name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub validate_request_body: bool,
    #[serde(default)]
    pub validate_request_parameters: bool,
}

/// Where an API is served from (`x-amazon-apigateway-endpoint-configuration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum EndpointType {
    #[default]
    Edge,
    Regional,
    Private,
}

/// One path of the API, with the methods defined on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub path: String,
    /// Methods keyed by HTTP verb in upper case, or `ANY`.
    pub methods: BTreeMap<String, Method>,
}

/// A method on a resource: how it is authorized, validated and integrated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Method {
    pub http_method: String,
    /// `NONE`, `AWS_IAM`, `CUSTOM` or `COGNITO_USER_POOLS`.
    pub authorization_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorizer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_scopes: Vec<String>,
    #[serde(default)]
    pub api_key_required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    /// `method.request.{path|querystring|header}.NAME` -> required.
    #[serde(default)]
    pub request_parameters: BTreeMap<String, bool>,
    /// The order an imported document listed `request_parameters` in (their
    /// keys), so an export lists them in that order as AWS's does; empty
    /// for methods made otherwise (an export then sorts them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter_order: Vec<String>,
    /// Content type -> model name.
    #[serde(default)]
    pub request_models: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_validator: Option<String>,
    /// Status code -> declared response.
    #[serde(default)]
    pub method_responses: BTreeMap<String, MethodResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<Integration>,
}

/// A declared method response (`responses` in OpenAPI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MethodResponse {
    /// `method.response.header.NAME` -> required.
    #[serde(default)]
    pub response_parameters: BTreeMap<String, bool>,
    /// Content type -> model name.
    #[serde(default)]
    pub response_models: BTreeMap<String, String>,
    /// The maps the caller set empty (`responseModels`...): AWS answers
    /// those back as `{}`, and leaves out maps never set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given_empty: Vec<String>,
}

/// The kind of backend a method calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IntegrationType {
    Http,
    HttpProxy,
    Aws,
    AwsProxy,
    Mock,
}

/// What to do with a request body whose content type has no template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PassthroughBehavior {
    #[default]
    WhenNoMatch,
    WhenNoTemplates,
    Never,
}

/// `x-amazon-apigateway-integration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    #[serde(rename = "type")]
    pub kind: IntegrationType,
    /// The verb used toward the backend (not required for MOCK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// `INTERNET` (default) or `VPC_LINK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    /// `integration.request.{path|querystring|header}.NAME` -> source expression.
    #[serde(default)]
    pub request_parameters: BTreeMap<String, String>,
    /// Content type -> mapping template.
    #[serde(default)]
    pub request_templates: BTreeMap<String, String>,
    #[serde(default)]
    pub passthrough_behavior: PassthroughBehavior,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<String>,
    pub timeout_in_millis: u64,
    #[serde(default)]
    pub cache_key_parameters: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_namespace: Option<String>,
    /// Integration responses keyed by status code, each with its selection pattern.
    #[serde(default)]
    pub integration_responses: BTreeMap<String, IntegrationResponse>,
    /// `tlsConfig` of an HTTP or HTTP_PROXY integration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
}

/// An integration's `tlsConfig`: how the backend's certificate is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsConfig {
    /// Accept a certificate no public CA issued (self-signed, a private
    /// CA); its signatures, dates and host name are still checked.
    #[serde(default)]
    pub insecure_skip_verification: bool,
}

/// One entry of the integration's `responses` map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationResponse {
    pub status_code: String,
    /// Regex matched against the backend status (HTTP) or error message (Lambda);
    /// `None` marks the default response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection_pattern: Option<String>,
    /// `method.response.header.NAME` -> source expression.
    #[serde(default)]
    pub response_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub response_templates: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<String>,
    /// The maps the caller set empty (`responseTemplates`...): AWS answers
    /// those back as `{}`, and leaves out maps never set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given_empty: Vec<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl RestApi {
    /// The IP address type the API answers on: as set, else AWS's default
    /// (`dualstack` for PRIVATE APIs, `ipv4` for the others).
    pub fn ip_address_type(&self) -> &str {
        match (&self.ip_address_type, self.endpoint_type) {
            (Some(kind), _) => kind,
            (None, EndpointType::Private) => "dualstack",
            (None, _) => "ipv4",
        }
    }

    /// The id of the resource at `path`: the one it keeps, else the one
    /// derived from the API id and the path.
    pub fn resource_id(&self, path: &str) -> String {
        self.resource_ids
            .get(path)
            .cloned()
            .unwrap_or_else(|| crate::ids::resource_id(&self.id, path))
    }

    /// Every method of the API with the path of its resource.
    pub fn methods(&self) -> impl Iterator<Item = (&str, &Method)> {
        self.resources
            .values()
            .flat_map(|r| r.methods.values().map(move |m| (r.path.as_str(), m)))
    }
}
