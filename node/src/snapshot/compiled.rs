//! The compiled form of a deployment: everything the data plane needs,
//! parsed and checked once when the deployment is loaded.

use std::collections::HashMap;
use std::sync::Arc;

use http::{HeaderName, Method, StatusCode};
use regex::Regex;

use super::router::Router;
use crate::model::{EndpointType, GatewayResponseType};
use crate::params::{Location, Source};
use crate::vtl::Template;

/// One deployment of one API, ready to serve.
#[derive(Debug)]
pub struct CompiledApi {
    pub api_id: String,
    pub deployment_id: String,
    pub endpoint_type: EndpointType,
    /// Where a REGIONAL or PRIVATE API is served (`None`: every region).
    pub region: Option<String>,
    pub binary_media_types: Vec<String>,
    /// Answers of at least this many bytes are compressed for clients that
    /// ask (`minimumCompressionSize`; `None`: compression off).
    pub minimum_compression_size: Option<u64>,
    /// API keys come from the Lambda authorizer's `usageIdentifierKey`
    /// (`x-amazon-apigateway-api-key-source: AUTHORIZER`), not `x-api-key`.
    pub api_key_from_authorizer: bool,
    /// The resource policy; `Err` if it could not be read (calls get 500).
    pub policy: Option<Result<crate::policy::Policy, String>>,
    pub router: Router<CompiledResource>,
    pub gateway_responses: HashMap<GatewayResponseType, CompiledGatewayResponse>,
    /// Ids of moved or renamed resources by path (others derive theirs).
    pub resource_ids: HashMap<String, String>,
}

impl CompiledApi {
    /// The id of the resource at `path` (`$context.resourceId`).
    pub fn resource_id(&self, path: &str) -> String {
        self.resource_ids
            .get(path)
            .cloned()
            .unwrap_or_else(|| crate::ids::resource_id(&self.api_id, path))
    }
}

/// A resource with its methods.
#[derive(Debug)]
pub struct CompiledResource {
    pub path: String,
    pub methods: HashMap<Method, Arc<CompiledMethod>>,
    pub any: Option<Arc<CompiledMethod>>,
}

impl CompiledResource {
    /// The method for a verb: exact first, then `ANY`.
    pub fn method(&self, verb: &Method) -> Option<&Arc<CompiledMethod>> {
        self.methods.get(verb).or(self.any.as_ref())
    }
}

/// How callers of a method are authorized.
#[derive(Debug, Clone, PartialEq)]
pub enum Authorization {
    None,
    /// A Lambda authorizer (TOKEN or REQUEST).
    Lambda(Arc<LambdaAuthorizer>),
    /// AWS_IAM: SigV4-signed by a known IAM user.
    Iam,
    /// COGNITO_USER_POOLS: a JWT checked against the authorizer's key set.
    Jwt(Arc<JwtMethod>),
    /// Not enforced by this version: the method fails closed.
    Unsupported(String),
}

/// A Lambda authorizer (`x-amazon-apigateway-authorizer` of type token or
/// request).
#[derive(Debug, PartialEq)]
pub struct LambdaAuthorizer {
    pub name: String,
    /// Distinguishes cached results of different authorizers.
    pub id: String,
    pub token: bool,
    pub function: FunctionRef,
    /// Where the identity comes from (`method.request.header.Authorization`...).
    pub identity_sources: Vec<Source>,
    /// TOKEN: a token that does not match is refused without a call.
    pub validation: Option<RegexHolder>,
    /// How long a result is reused for the same identity (0: not cached).
    pub ttl: std::time::Duration,
}

/// A method behind a Cognito user pool (JWT) authorizer.
#[derive(Debug, PartialEq)]
pub struct JwtMethod {
    /// The authorizer's name (its issuer and keys come from the node config).
    pub authorizer: String,
    /// The header that carries the token.
    pub header: String,
    /// `authorizationScopes`: the token needs one of them (none: any token).
    pub scopes: Vec<String>,
}

/// A regex compared by its pattern.
#[derive(Debug)]
pub struct RegexHolder(pub Regex);

impl PartialEq for RegexHolder {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

/// A method, ready to run.
#[derive(Debug)]
pub struct CompiledMethod {
    pub http_method: String,
    pub resource_path: String,
    pub authorization: Authorization,
    pub api_key_required: bool,
    /// What the method's request validator checks before the integration.
    pub validation: Validation,
    /// Request values that make up the stage cache key (besides the path).
    pub cache_key: Vec<Source>,
    pub integration: CompiledIntegration,
}

/// A method's request validation (`x-amazon-apigateway-request-validator`).
#[derive(Debug, Default)]
pub struct Validation {
    /// Required parameters, checked when the validator validates parameters.
    pub required: Vec<(Location, String)>,
    /// Body models by content type, when the validator validates bodies.
    pub models: HashMap<String, BodyModel>,
}

/// A model (JSON Schema draft 4) compiled for validation.
pub struct BodyModel {
    pub name: String,
    pub validator: Arc<jsonschema::Validator>,
}

impl std::fmt::Debug for BodyModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BodyModel({})", self.name)
    }
}

/// The backend of a method.
#[derive(Debug)]
pub enum CompiledIntegration {
    Http(HttpIntegration),
    Mock(MockIntegration),
    Lambda(LambdaIntegration),
    /// `type: AWS` with another AWS service (SQS, DynamoDB, S3...).
    AwsService(AwsServiceIntegration),
    /// A kind whose support arrives with a later part of the gateway; calls
    /// get 500 and the reason is logged.
    Unavailable(String),
}

/// HTTP and HTTP_PROXY.
#[derive(Debug)]
pub struct HttpIntegration {
    pub proxy: bool,
    /// `None` for `ANY`: the client's method is used.
    pub method: Option<Method>,
    pub uri: UriTemplate,
    pub request_parameters: Vec<RequestParameter>,
    /// The request body is sent unless templates exist (non-proxy only).
    pub passthrough: Passthrough,
    pub content_handling: ContentHandling,
    pub timeout: std::time::Duration,
    pub responses: IntegrationResponses,
    /// `tlsConfig.insecureSkipVerification`: a backend certificate no
    /// public CA issued is accepted (signatures, dates, host still checked).
    pub insecure_skip_verification: bool,
    /// `connectionType: VPC_LINK`: the `connectionId` (a VPC link id, or
    /// `${stageVariables.x}`); the request goes to that link's upstream
    /// group, the URI's host only naming it (`Host`).
    pub vpc_link: Option<UriTemplate>,
}

/// `contentHandling` of a non-proxy integration or integration response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContentHandling {
    /// Pass through (what AWS does depends on binary media types and Accept).
    #[default]
    None,
    ToBinary,
    ToText,
}

impl ContentHandling {
    pub fn parse(value: Option<&str>) -> Result<ContentHandling, String> {
        match value {
            None => Ok(ContentHandling::None),
            Some("CONVERT_TO_BINARY") => Ok(ContentHandling::ToBinary),
            Some("CONVERT_TO_TEXT") => Ok(ContentHandling::ToText),
            Some(other) => Err(format!(
                "contentHandling `{other}` is not CONVERT_TO_BINARY or CONVERT_TO_TEXT"
            )),
        }
    }
}

/// AWS_PROXY and AWS integrations with Lambda functions.
#[derive(Debug)]
pub struct LambdaIntegration {
    pub proxy: bool,
    pub function: FunctionRef,
    pub timeout: std::time::Duration,
    /// Non-proxy only.
    pub passthrough: Passthrough,
    pub content_handling: ContentHandling,
    /// Non-proxy only: selected by the function's `errorMessage`.
    pub responses: IntegrationResponses,
}

/// Which function an integration calls.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionRef {
    Named(String),
    /// The URI names it through stage variables; resolved per request.
    FromStageVariables(UriTemplate),
}

/// What a non-proxy integration does with the request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Passthrough {
    /// Send the body as it came.
    Body,
    /// Content types with a template (static text) and whether others pass.
    Templates {
        templates: HashMap<String, Template>,
        others_pass: bool,
    },
}

/// MOCK: the request template names the status; responses are selected by it.
#[derive(Debug)]
pub struct MockIntegration {
    pub request_templates: HashMap<String, Template>,
    pub responses: IntegrationResponses,
}

/// `integration.request.{location}.{name}` <- source.
#[derive(Debug, Clone)]
pub struct RequestParameter {
    pub location: Location,
    pub name: String,
    pub source: Source,
}

/// An integration URI with `{param}` and `${stageVariables.x}` holes.
#[derive(Debug, Clone, PartialEq)]
pub struct UriTemplate {
    pub pieces: Vec<UriPiece>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UriPiece {
    Text(String),
    /// `{name}` or `{name+}` (greedy keeps its slashes).
    Path {
        name: String,
        greedy: bool,
    },
    StageVariable(String),
}

/// The integration responses of a method, in selection order.
#[derive(Debug, Default)]
pub struct IntegrationResponses {
    pub patterns: Vec<(Regex, Arc<CompiledIntegrationResponse>)>,
    pub default: Option<Arc<CompiledIntegrationResponse>>,
}

impl IntegrationResponses {
    /// The response whose pattern matches `selector` whole, else the default.
    pub fn select(&self, selector: &str) -> Option<&Arc<CompiledIntegrationResponse>> {
        self.patterns
            .iter()
            .find(|(re, _)| re.is_match(selector))
            .map(|(_, r)| r)
            .or(self.default.as_ref())
    }
}

/// One integration response.
#[derive(Debug)]
pub struct CompiledIntegrationResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, Source)>,
    /// The names of `headers` as the mapping keys spell them
    /// (`method.response.header.Access-Control-Allow-Origin`).
    pub header_spellings: Vec<String>,
    pub templates: HashMap<String, Template>,
    pub content_handling: ContentHandling,
}

/// A customized gateway response.
#[derive(Debug)]
pub struct CompiledGatewayResponse {
    pub status: Option<StatusCode>,
    pub headers: Vec<(HeaderName, Source)>,
    pub templates: HashMap<String, Template>,
}

/// `type: AWS` with a service other than Lambda.
#[derive(Debug)]
pub struct AwsServiceIntegration {
    pub target: super::aws_service::AwsTarget,
    /// The request as an HTTP integration would send it: the verb, the
    /// path template (`target.path` parsed), mapped parameters, templates,
    /// timeout and integration responses.
    pub http: HttpIntegration,
    /// The `credentials` role ARN (`None`: the node's own credentials).
    pub credentials: Option<String>,
}
