//! Why a request ended before (or instead of) its integration's answer, and
//! the one mapping from that to a gateway response type, status and message.

use http::StatusCode;

use crate::model::GatewayResponseType;

/// AWS's answer to an access key it does not know (`UnrecognizedClientException`).
pub const UNKNOWN_KEY: &str = "The security token included in the request is invalid.";

/// A request that the gateway itself answers.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The host/path names no deployed API or stage.
    #[error("no API or stage matches the request")]
    NoSuchStage,
    /// No resource or method matches (AWS's answer to unknown routes).
    #[error("no route matches")]
    MissingAuthenticationToken,
    #[error("request body over {limit} bytes")]
    RequestTooLarge { limit: usize },
    #[error("the method requires an API key")]
    ApiKeyRequired,
    #[error("authorization type {0} is not enforced by this version; refusing the call")]
    AuthorizationUnsupported(String),
    #[error("integration unavailable: {0}")]
    IntegrationUnavailable(String),
    #[error("the integration did not answer within {0} ms")]
    IntegrationTimeout(u128),
    #[error("the integration failed: {0}")]
    IntegrationFailure(String),
    #[error("no integration response matches status {0} and there is no default")]
    NoIntegrationResponse(String),
    #[error("no request template for content type {0} and passthrough is off")]
    UnsupportedMediaType(String),
    #[error("the client's request could not be read: {0}")]
    BadRequest(String),
    /// The request body arrived slower than the body pace allows (408).
    #[error("the request body arrived too slowly")]
    BodyTimeout,
    #[error("throttled: {0}")]
    Throttled(String),
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// No identity, or the authorizer said `Unauthorized` (401).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The authorizer's policy does not allow the method (403).
    #[error("{0}")]
    AccessDenied(String),
    /// The resource policy, or an AWS_IAM caller's own policies, do not
    /// allow the call (403).
    #[error("{0}")]
    PolicyDenied(String),
    /// An AWS_IAM method's SigV4 signature is missing its parts, stale, from
    /// an unknown key or wrong (403).
    #[error("{0}")]
    InvalidSignature(String),
    /// A SigV4 signature from an access key nobody has (403,
    /// `UnrecognizedClientException`).
    #[error("the access key is not known")]
    UnrecognizedClient,
    /// `Cache-Control: max-age=0` without authorization, under FAIL_WITH_403.
    #[error("cache invalidation is not authorized")]
    CacheInvalidationDenied,
    /// The authorizer failed or answered something unusable (500).
    #[error("{0}")]
    AuthorizerFailed(String),
    #[error("the function could not be invoked: {0}")]
    FunctionFailed(String),
    #[error("the function's answer is not a valid proxy response: {0}")]
    BadFunctionResponse(String),
    #[error("mapping template failed: {0}")]
    TemplateFailed(String),
    /// A template read the client's body as JSON and it is not.
    #[error("{0}")]
    UnparsableBody(String),
    #[error("missing required request parameters: {0:?}")]
    MissingParameters(Vec<String>),
    #[error("the request body does not match its model: {0}")]
    InvalidBody(String),
    /// The API's endpoint type does not let this node or this client reach
    /// it (a PRIVATE API from outside its networks, a REGIONAL API on
    /// another region's node or on an edge).
    #[error("endpoint refused: {0}")]
    EndpointRefused(String),
    /// The stage's web ACL blocked the request (403, `WAF_FILTERED`).
    #[error("blocked by the web ACL: {0}")]
    WafFiltered(String),
    /// An edge found no region able to answer (503).
    #[error("no region could serve the request: {0}")]
    NoRegion(String),
    /// A VPC link's upstream group has no healthy target (503).
    #[error("{0}")]
    NoHealthyTarget(String),
}

impl RequestError {
    /// The gateway response type that answers this error.
    pub fn response_type(&self) -> GatewayResponseType {
        use GatewayResponseType as T;
        match self {
            RequestError::NoSuchStage | RequestError::EndpointRefused(_) => T::Default4xx,
            RequestError::NoRegion(_) | RequestError::NoHealthyTarget(_) => T::Default5xx,
            RequestError::MissingAuthenticationToken => T::MissingAuthenticationToken,
            RequestError::RequestTooLarge { .. } => T::RequestTooLarge,
            RequestError::ApiKeyRequired => T::InvalidApiKey,
            RequestError::AuthorizationUnsupported(_) => T::AuthorizerConfigurationError,
            RequestError::IntegrationUnavailable(_) | RequestError::NoIntegrationResponse(_) => {
                T::ApiConfigurationError
            }
            RequestError::IntegrationTimeout(_) => T::IntegrationTimeout,
            RequestError::IntegrationFailure(_) => T::IntegrationFailure,
            RequestError::UnsupportedMediaType(_) => T::UnsupportedMediaType,
            RequestError::BadRequest(_) | RequestError::BodyTimeout => T::Default4xx,
            RequestError::Throttled(_) => T::Throttled,
            RequestError::QuotaExceeded(_) => T::QuotaExceeded,
            RequestError::Unauthorized(_) => T::Unauthorized,
            RequestError::AccessDenied(_) | RequestError::PolicyDenied(_) => T::AccessDenied,
            RequestError::AuthorizerFailed(_) => T::AuthorizerConfigurationError,
            RequestError::CacheInvalidationDenied => T::AccessDenied,
            RequestError::InvalidSignature(_) | RequestError::UnrecognizedClient => {
                T::InvalidSignature
            }
            RequestError::FunctionFailed(_)
            | RequestError::BadFunctionResponse(_)
            | RequestError::TemplateFailed(_) => T::Default5xx,
            RequestError::UnparsableBody(_) | RequestError::InvalidBody(_) => T::BadRequestBody,
            RequestError::MissingParameters(_) => T::BadRequestParameters,
            RequestError::WafFiltered(_) => T::WafFiltered,
        }
    }

    /// The status when the API has not customized the response type.
    pub fn default_status(&self) -> StatusCode {
        let status = match self {
            RequestError::NoSuchStage | RequestError::EndpointRefused(_) => 403,
            RequestError::NoRegion(_) | RequestError::NoHealthyTarget(_) => 503,
            RequestError::BadRequest(_) => 400,
            RequestError::BodyTimeout => 408,
            RequestError::FunctionFailed(_) | RequestError::TemplateFailed(_) => 500,
            RequestError::BadFunctionResponse(_) => 502,
            other => other.response_type().default_status().unwrap_or(500),
        };
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The message AWS puts in `{"message": ...}`.
    pub fn client_message(&self) -> String {
        match self {
            RequestError::NoSuchStage
            | RequestError::ApiKeyRequired
            | RequestError::WafFiltered(_)
            | RequestError::EndpointRefused(_) => "Forbidden".into(),
            RequestError::NoRegion(_) | RequestError::NoHealthyTarget(_) => {
                "Service Unavailable".into()
            }
            RequestError::MissingAuthenticationToken => "Missing Authentication Token".into(),
            RequestError::RequestTooLarge { limit } => {
                format!("HTTP content length exceeded {limit} bytes.")
            }
            RequestError::IntegrationTimeout(_) => "Endpoint request timed out".into(),
            RequestError::UnsupportedMediaType(_) => "Unsupported Media Type".into(),
            RequestError::BadRequest(_) => "Bad Request".into(),
            RequestError::BodyTimeout => "Request Timeout".into(),
            RequestError::Throttled(_) => "Too Many Requests".into(),
            RequestError::QuotaExceeded(_) => "Limit Exceeded".into(),
            RequestError::Unauthorized(_) => "Unauthorized".into(),
            RequestError::AccessDenied(message) | RequestError::PolicyDenied(message) => {
                message.clone()
            }
            RequestError::AuthorizerFailed(_) => String::new(),
            RequestError::InvalidSignature(message) => message.clone(),
            RequestError::UnrecognizedClient => UNKNOWN_KEY.into(),
            RequestError::CacheInvalidationDenied => {
                "User is not authorized to invalidate the cache".into()
            }
            RequestError::UnparsableBody(message) => message.clone(),
            RequestError::InvalidBody(_) => "Invalid request body".into(),
            RequestError::MissingParameters(names) => {
                format!(
                    "Missing required request parameters: [{}]",
                    names.join(", ")
                )
            }
            RequestError::AuthorizationUnsupported(_)
            | RequestError::IntegrationUnavailable(_)
            | RequestError::IntegrationFailure(_)
            | RequestError::NoIntegrationResponse(_)
            | RequestError::FunctionFailed(_)
            | RequestError::BadFunctionResponse(_)
            | RequestError::TemplateFailed(_) => "Internal server error".into(),
        }
    }

    /// The key of AWS's default body: `Message` for the IAM policy
    /// refusals (resource policies, AWS_IAM callers), `message` otherwise.
    pub fn message_key(&self) -> &'static str {
        match self {
            RequestError::PolicyDenied(_) => "Message",
            _ => "message",
        }
    }

    /// Whether AWS's body says `{"message": null}` (authorizer failures).
    pub fn message_is_null(&self) -> bool {
        matches!(self, RequestError::AuthorizerFailed(_))
    }

    /// The `x-amzn-ErrorType` header value.
    pub fn error_type(&self) -> &'static str {
        match self {
            RequestError::NoSuchStage | RequestError::EndpointRefused(_) => "ForbiddenException",
            RequestError::UnrecognizedClient => "UnrecognizedClientException",
            other => other.response_type().error_type(),
        }
    }

    /// Whether the operator should hear about it (the API or backend is at
    /// fault, not the client).
    pub fn is_operator_fault(&self) -> bool {
        self.default_status().is_server_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_defaults() {
        let e = RequestError::MissingAuthenticationToken;
        assert_eq!(e.default_status(), StatusCode::FORBIDDEN);
        assert_eq!(e.error_type(), "MissingAuthenticationTokenException");
        assert_eq!(e.client_message(), "Missing Authentication Token");
        let t = RequestError::IntegrationTimeout(29000);
        assert_eq!(t.default_status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(t.client_message(), "Endpoint request timed out");
        assert_eq!(
            RequestError::RequestTooLarge { limit: 10 }.default_status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert!(RequestError::IntegrationFailure("x".into()).is_operator_fault());
        assert!(!RequestError::NoSuchStage.is_operator_fault());
    }
}
