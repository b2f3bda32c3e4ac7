//! AWS service integrations (`type: AWS` with an
//! `arn:aws:apigateway:{region}:{service}:action/…` or `:path/…` URI other
//! than Lambda): the mapped request sent to the service as API Gateway
//! sends it, SigV4-signed for the URI's service and region.
//!
//! - this module: the node's AWS settings ([`AwsConfig`]: endpoints and
//!   credentials, built by the binary from the config file and the AWS
//!   SDKs' environment variables) and what the workers share at run time
//!   ([`AwsServices`]: those settings and the credentials of assumed roles);
//! - [`credentials`]: whose credentials sign a request (the integration's
//!   role: mapped in the config, else assumed through STS; else the node's);
//! - [`call`]: the request (endpoint, path or action, `X-Amz-Target`,
//!   content type), its signature, and the answer through the integration
//!   responses.

mod call;
mod credentials;

use std::collections::BTreeMap;

pub(crate) use call::call;
pub use credentials::Credentials;

/// Where AWS service requests go and whose credentials sign them.
#[derive(Debug, Clone, Default)]
pub struct AwsConfig {
    /// Endpoint URL by the service's name in integration URIs (`sqs`,
    /// `states`), e.g. `http://127.0.0.1:5000`: the config's, else
    /// `AWS_ENDPOINT_URL_<SERVICE>`.
    pub endpoints: BTreeMap<String, String>,
    /// The endpoint of every other service (`AWS_ENDPOINT_URL`); absent:
    /// AWS's own, `https://{service}.{region}.amazonaws.com`.
    pub default_endpoint: Option<String>,
    /// The node's own credentials (config, else `AWS_ACCESS_KEY_ID`, ...).
    pub credentials: Option<Credentials>,
    /// Credentials for integration `credentials` role ARNs; a role not
    /// named here is assumed through STS with the node's credentials.
    pub roles: BTreeMap<String, Credentials>,
}

/// What the gateway's workers share for AWS service integrations.
pub struct AwsServices {
    config: AwsConfig,
    assumed: credentials::AssumedRoles,
}

impl std::fmt::Debug for AwsServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsServices")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Default for AwsServices {
    fn default() -> Self {
        AwsServices::new(AwsConfig::default())
    }
}

impl AwsServices {
    pub fn new(config: AwsConfig) -> AwsServices {
        AwsServices {
            config,
            assumed: credentials::AssumedRoles::default(),
        }
    }

    /// The base URL (`scheme://host[:port]`, no trailing slash) requests
    /// to `service` in `region` go to; `host_prefix` (`sync-`, a URI's
    /// subdomain and its dot) is put in front of AWS's own host names, and of a
    /// configured endpoint's only when its host is a DNS name.
    pub(crate) fn endpoint(
        &self,
        service: &str,
        region: &str,
        host_prefix: Option<&str>,
    ) -> String {
        let configured = self
            .config
            .endpoints
            .get(service)
            .or(self.config.default_endpoint.as_ref());
        let prefix = host_prefix.unwrap_or("");
        match configured {
            Some(url) => with_host_prefix(url.trim_end_matches('/'), prefix),
            None => {
                let suffix = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{prefix}{service}.{region}.{suffix}")
            }
        }
    }
}

/// `url` with `prefix` before its host, unless the host is an IP address
/// or `localhost` (a stand-in on loopback takes every service at one
/// address).
fn with_host_prefix(url: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        return url.to_string();
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let host = rest.split(['/', ':']).next().unwrap_or("");
    let literal = host.parse::<std::net::IpAddr>().is_ok()
        || host.starts_with('[')
        || host.eq_ignore_ascii_case("localhost");
    if literal {
        url.to_string()
    } else {
        format!("{scheme}://{prefix}{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_resolve_by_service_then_default_then_aws() {
        let mut config = AwsConfig {
            default_endpoint: Some("http://127.0.0.1:5000/".into()),
            ..AwsConfig::default()
        };
        config
            .endpoints
            .insert("sqs".into(), "http://localhost:9324".into());
        let aws = AwsServices::new(config);
        assert_eq!(
            aws.endpoint("sqs", "us-east-1", None),
            "http://localhost:9324"
        );
        assert_eq!(
            aws.endpoint("states", "us-east-1", Some("sync-")),
            "http://127.0.0.1:5000"
        );
        let real = AwsServices::default();
        assert_eq!(
            real.endpoint("states", "eu-west-1", Some("sync-")),
            "https://sync-states.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            real.endpoint("dynamodb", "cn-north-1", None),
            "https://dynamodb.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            with_host_prefix("http://aws.internal:4566", "sync-"),
            "http://sync-aws.internal:4566"
        );
    }
}
