//! Gateway responses: the answers the gateway itself gives when a request
//! cannot reach, or fails in, its integration.
//!
//! The defaults (status, message, `x-amzn-ErrorType`) are AWS's; see
//! `shared/conformance/gateway_responses_defaults.localstack.json`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A customized gateway response (`x-amazon-apigateway-gateway-responses`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GatewayResponse {
    /// Overrides the type's default status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// `gatewayresponse.header.NAME` -> source expression.
    #[serde(default)]
    pub response_parameters: BTreeMap<String, String>,
    /// Content type -> template.
    #[serde(default)]
    pub response_templates: BTreeMap<String, String>,
}

macro_rules! gateway_response_types {
    ($( $variant:ident = $name:literal, $status:expr, $error_type:literal; )*) => {
        /// Every gateway response type AWS defines.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum GatewayResponseType {
            $( #[serde(rename = $name)] $variant, )*
        }

        impl GatewayResponseType {
            /// All types, in AWS's order.
            pub const ALL: &'static [GatewayResponseType] = &[$(GatewayResponseType::$variant),*];

            /// The name AWS uses (`MISSING_AUTHENTICATION_TOKEN`).
            pub fn as_str(self) -> &'static str {
                match self { $(GatewayResponseType::$variant => $name,)* }
            }

            /// AWS's default status; `None` for the two DEFAULT_ families.
            pub fn default_status(self) -> Option<u16> {
                match self { $(GatewayResponseType::$variant => $status,)* }
            }

            /// The `x-amzn-ErrorType` header AWS sends with this response.
            pub fn error_type(self) -> &'static str {
                match self { $(GatewayResponseType::$variant => $error_type,)* }
            }
        }

        impl FromStr for GatewayResponseType {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($name => Ok(GatewayResponseType::$variant),)*
                    other => Err(format!("unknown gateway response type `{other}`")),
                }
            }
        }
    };
}

gateway_response_types! {
    AccessDenied = "ACCESS_DENIED", Some(403), "AccessDeniedException";
    ApiConfigurationError = "API_CONFIGURATION_ERROR", Some(500), "InternalServerErrorException";
    AuthorizerConfigurationError = "AUTHORIZER_CONFIGURATION_ERROR", Some(500), "AuthorizerConfigurationException";
    AuthorizerFailure = "AUTHORIZER_FAILURE", Some(500), "AuthorizerFailureException";
    BadRequestBody = "BAD_REQUEST_BODY", Some(400), "BadRequestException";
    BadRequestParameters = "BAD_REQUEST_PARAMETERS", Some(400), "BadRequestException";
    Default4xx = "DEFAULT_4XX", None, "BadRequestException";
    Default5xx = "DEFAULT_5XX", None, "InternalServerErrorException";
    ExpiredToken = "EXPIRED_TOKEN", Some(403), "ExpiredTokenException";
    IntegrationFailure = "INTEGRATION_FAILURE", Some(504), "InternalServerErrorException";
    IntegrationTimeout = "INTEGRATION_TIMEOUT", Some(504), "InternalServerErrorException";
    InvalidApiKey = "INVALID_API_KEY", Some(403), "ForbiddenException";
    InvalidSignature = "INVALID_SIGNATURE", Some(403), "InvalidSignatureException";
    MissingAuthenticationToken = "MISSING_AUTHENTICATION_TOKEN", Some(403), "MissingAuthenticationTokenException";
    QuotaExceeded = "QUOTA_EXCEEDED", Some(429), "LimitExceededException";
    RequestTooLarge = "REQUEST_TOO_LARGE", Some(413), "RequestTooLargeException";
    ResourceNotFound = "RESOURCE_NOT_FOUND", Some(404), "NotFoundException";
    Throttled = "THROTTLED", Some(429), "TooManyRequestsException";
    Unauthorized = "UNAUTHORIZED", Some(401), "UnauthorizedException";
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE", Some(415), "UnsupportedMediaTypeException";
    WafFiltered = "WAF_FILTERED", Some(403), "ForbiddenException";
}

impl GatewayResponseType {
    /// The DEFAULT_4XX or DEFAULT_5XX family a status belongs to.
    pub fn family_of(status: u16) -> GatewayResponseType {
        if status >= 500 {
            GatewayResponseType::Default5xx
        } else {
            GatewayResponseType::Default4xx
        }
    }
}

impl fmt::Display for GatewayResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults agree with what AWS reports (the conformance file), except
    /// MISSING_AUTHENTICATION_TOKEN, which that recording had customized.
    #[test]
    fn defaults_match_the_aws_recording() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/conformance/gateway_responses_defaults.localstack.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("conformance data not beside the checkout; skipping");
            return;
        };
        let doc: serde_json::Value = serde_json::from_str(&text).expect("valid json");
        let items = doc["items"].as_object().expect("items");
        assert_eq!(items.len(), GatewayResponseType::ALL.len());
        for (name, item) in items {
            let ty: GatewayResponseType = name.parse().expect("known type");
            if ty == GatewayResponseType::MissingAuthenticationToken {
                assert_eq!(ty.default_status(), Some(403));
                continue;
            }
            let recorded = item["statusCode"]
                .as_str()
                .map(|s| s.parse::<u16>().expect("status"));
            assert_eq!(ty.default_status(), recorded, "{name}");
        }
    }
}
