//! AWS service integrations, compiled: what an
//! `arn:aws:apigateway:{region}:{subdomain.}{service}:{action|path}/{rest}`
//! URI names, and the protocol that service speaks (the table of
//! [`SERVICES`]: its signing name, the SDKs' `AWS_ENDPOINT_URL_<SERVICE>`
//! key, and for JSON services the `X-Amz-Target` prefix and content type).
//!
//! Parsed once at deploy time (`compile.rs` makes the integration of it,
//! `compiled.rs` holds that); the data plane's
//! `dataplane::integration::aws` builds, signs and sends the request.

/// How a service takes an `action/{Action}` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS Query: `Action={Action}` in the query string, parameters in the
    /// query string or a form body (SQS, SNS, STS).
    Query,
    /// AWS JSON: `POST /` with `X-Amz-Target: {prefix}.{Action}` and
    /// `Content-Type: application/x-amz-json-{version}`.
    Json {
        target_prefix: &'static str,
        version: &'static str,
    },
    /// REST (S3, Lambda): only `path/` URIs make sense.
    Rest,
}

/// One AWS service as API Gateway's integration URIs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The name in the integration URI, the endpoint's host (`states`) and
    /// the SigV4 service name.
    pub arn_name: &'static str,
    /// `AWS_ENDPOINT_URL_<env_key>` (the SDKs' service id: `SFN`).
    pub env_key: &'static str,
    pub protocol: Protocol,
}

const fn json(
    arn_name: &'static str,
    env_key: &'static str,
    target_prefix: &'static str,
    version: &'static str,
) -> Service {
    Service {
        arn_name,
        env_key,
        protocol: Protocol::Json {
            target_prefix,
            version,
        },
    }
}

const fn other(arn_name: &'static str, env_key: &'static str, protocol: Protocol) -> Service {
    Service {
        arn_name,
        env_key,
        protocol,
    }
}

/// The services apigw knows the protocol of. Another service named in a
/// URI is signed under its own name and spoken to with the Query protocol;
/// its endpoint variable is its name in capitals.
pub const SERVICES: &[Service] = &[
    other("s3", "S3", Protocol::Rest),
    other("sqs", "SQS", Protocol::Query),
    other("sns", "SNS", Protocol::Query),
    other("sts", "STS", Protocol::Query),
    other("lambda", "LAMBDA", Protocol::Rest),
    json("dynamodb", "DYNAMODB", "DynamoDB_20120810", "1.0"),
    json("kinesis", "KINESIS", "Kinesis_20131202", "1.1"),
    json("states", "SFN", "AWSStepFunctions", "1.0"),
    json("events", "EVENTBRIDGE", "AWSEvents", "1.1"),
    json("ssm", "SSM", "AmazonSSM", "1.1"),
    json("firehose", "FIREHOSE", "Firehose_20150804", "1.1"),
    json("logs", "CLOUDWATCH_LOGS", "Logs_20140328", "1.1"),
    json("secretsmanager", "SECRETS_MANAGER", "secretsmanager", "1.1"),
    json("kms", "KMS", "TrentService", "1.1"),
];

/// The protocol of a service an integration URI names (unknown ones:
/// Query).
pub fn protocol(arn_name: &str) -> Protocol {
    SERVICES
        .iter()
        .find(|s| s.arn_name == arn_name)
        .map_or(Protocol::Query, |s| s.protocol)
}

/// What an `arn:aws:apigateway:` URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsTarget {
    pub region: String,
    /// The service as the URI names it (`states`, `sqs`); also its SigV4
    /// signing name and the endpoint host's first label.
    pub service: String,
    pub protocol: Protocol,
    /// `{subdomain}.{service}`: a host prefix (S3 buckets go in the path).
    pub subdomain: Option<String>,
    /// `action/{Action}`; `None` for `path/`.
    pub action: Option<String>,
    /// The request path (`path/` URIs) or `/`, with the URI's query, as
    /// `{param}` and `${stageVariables.x}` pieces.
    pub path: String,
}

impl AwsTarget {
    /// Parses `arn:aws:apigateway:{region}:{subdomain.}{service}:{kind}/{rest}`.
    pub fn parse(uri: &str) -> Result<AwsTarget, String> {
        let bad = |why: &str| format!("AWS integration URI `{uri}` {why}");
        let rest = uri
            .strip_prefix("arn:aws:apigateway:")
            .or_else(|| uri.strip_prefix("arn:aws-cn:apigateway:"))
            .or_else(|| uri.strip_prefix("arn:aws-us-gov:apigateway:"))
            .ok_or_else(|| bad("is not an arn:aws:apigateway: ARN"))?;
        let mut parts = rest.splitn(3, ':');
        let (region, host, tail) = match (parts.next(), parts.next(), parts.next()) {
            (Some(r), Some(h), Some(t)) if !r.is_empty() && !h.is_empty() => (r, h, t),
            _ => return Err(bad("has no region, service and action/ or path/")),
        };
        let (subdomain, service_name) = match host.rsplit_once('.') {
            Some((sub, name)) => (Some(sub.to_string()), name),
            None => (None, host),
        };
        let (action, path) = if let Some(action) = tail.strip_prefix("action/") {
            let (name, query) = match action.find(['&', '?']) {
                Some(at) => (&action[..at], &action[at + 1..]),
                None => (action, ""),
            };
            if name.is_empty() {
                return Err(bad("names no action"));
            }
            let path = if query.is_empty() {
                "/".to_string()
            } else {
                format!("/?{query}")
            };
            (Some(name.to_string()), path)
        } else if let Some(path) = tail.strip_prefix("path/") {
            (None, format!("/{path}"))
        } else {
            return Err(bad("is neither action/ nor path/"));
        };
        let mut target = AwsTarget {
            region: region.to_string(),
            service: service_name.to_string(),
            protocol: protocol(service_name),
            subdomain,
            action,
            path,
        };
        // S3 buckets named as a subdomain go in the path (path-style URLs
        // work for every endpoint, a local stand-in's too).
        if target.service == "s3" && target.action.is_none() {
            if let Some(bucket) = target.subdomain.take() {
                target.path = format!("/{bucket}{}", target.path);
            }
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_paths() {
        let t = AwsTarget::parse("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem")
            .expect("parses");
        assert_eq!(t.region, "us-east-1");
        assert_eq!(t.action.as_deref(), Some("PutItem"));
        assert_eq!(t.path, "/");
        assert!(matches!(
            t.protocol,
            Protocol::Json {
                target_prefix: "DynamoDB_20120810",
                version: "1.0"
            }
        ));
        let t = AwsTarget::parse("arn:aws:apigateway:eu-west-1:sqs:path/123456789012/q1")
            .expect("parses");
        assert_eq!(t.action, None);
        assert_eq!(t.path, "/123456789012/q1");
        assert_eq!(t.protocol, Protocol::Query);
        let t = AwsTarget::parse("arn:aws:apigateway:us-east-1:sqs:action/SendMessage&Version=1")
            .expect("parses");
        assert_eq!(t.action.as_deref(), Some("SendMessage"));
        assert_eq!(t.path, "/?Version=1");
    }

    #[test]
    fn s3_subdomains_become_path_style() {
        let t = AwsTarget::parse("arn:aws:apigateway:us-east-1:{bucket}.s3:path/{key}")
            .expect("parses");
        assert_eq!(t.subdomain, None);
        assert_eq!(t.path, "/{bucket}/{key}");
        let t = AwsTarget::parse("arn:aws:apigateway:us-east-1:sub.execute-api:path/x")
            .expect("parses");
        assert_eq!(t.subdomain.as_deref(), Some("sub"));
        assert_eq!(t.service, "execute-api");
    }

    #[test]
    fn malformed_uris_are_refused() {
        for uri in [
            "http://example.com",
            "arn:aws:apigateway:us-east-1:sqs",
            "arn:aws:apigateway:us-east-1:sqs:thing/x",
            "arn:aws:apigateway:us-east-1:sqs:action/",
        ] {
            assert!(AwsTarget::parse(uri).is_err(), "{uri}");
        }
    }
}
