//! The per-request context: ids, client, matched API/stage/resource, and
//! the values `$context.*`, `method.request.*` and `stageVariables.*` read.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method};

use crate::ids;
use crate::model::GatewayResponseType;
use crate::observability::trace::Trace;
use crate::params::{Location, Source};
use crate::snapshot::StageView;
use crate::vtl::{self, Value};
use indexmap::IndexMap;

/// What a Lambda authorizer said about the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizerResult {
    pub principal_id: String,
    /// The authorizer's `context`, values as strings.
    pub context: Vec<(String, String)>,
}

/// Everything known about one request as it walks the pipeline.
pub struct RequestContext {
    pub request_id: String,
    pub extended_request_id: String,
    pub source_ip: IpAddr,
    pub method: Method,
    /// The path as the client sent it (`/prod/pets/1`).
    pub raw_path: String,
    /// The part of the path inside the stage (`/pets/1`).
    pub stage_path: String,
    pub raw_query: Option<String>,
    pub headers: HeaderMap,
    pub protocol: &'static str,
    pub domain_name: String,
    pub started: Instant,
    pub started_at: SystemTime,
    pub stage: Option<Arc<StageView>>,
    pub resource_path: Option<String>,
    /// Path parameters, percent-decoded.
    pub path_params: Vec<(String, String)>,
    /// Path parameters as sent (the Lambda proxy event carries these).
    pub raw_path_params: Vec<(String, String)>,
    /// Set when the gateway answers with a gateway response.
    pub error: Option<(GatewayResponseType, String)>,
    pub integration_status: Option<u16>,
    /// The Lambda authorizer's result, when one authorized the request.
    pub authorizer: Option<AuthorizerResult>,
    /// The IAM user who signed the request (AWS_IAM): access key and ARN.
    pub iam_caller: Option<(String, String)>,
    /// The API key the request was admitted with.
    pub api_key: Option<String>,
    pub api_key_id: Option<String>,
    pub integration_latency_ms: Option<u128>,
    /// What a Lambda function answered, before any mapping (for
    /// TestInvokeMethod's log).
    pub function_payload: Option<bytes::Bytes>,
    /// The request's extensions (hyper's record of how the client spelled
    /// its header names, for Lambda proxy events).
    pub extensions: http::Extensions,
    /// What the TLS handshake settled, over the TLS listener.
    pub tls: Option<Arc<apigw_tls::ConnectionInfo>>,
    /// Through a custom domain: the base path that matched.
    pub base_path_matched: Option<String>,
    /// The X-Ray trace (continued from the client's headers or new).
    pub trace: Trace,
    query: OnceLock<Vec<(String, String)>>,
}

impl RequestContext {
    pub fn new(
        source_ip: IpAddr,
        method: Method,
        uri: &http::Uri,
        headers: HeaderMap,
        version: http::Version,
    ) -> Self {
        let domain_name = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| uri.authority().map(|a| a.as_str()))
            .unwrap_or_default()
            .to_string();
        let started_at = SystemTime::now();
        let trace = Trace::from_headers(&headers, started_at);
        RequestContext {
            request_id: ids::new_request_id(),
            extended_request_id: ids::new_extended_request_id(),
            source_ip,
            method,
            raw_path: uri.path().to_string(),
            stage_path: String::new(),
            raw_query: uri.query().map(str::to_string),
            headers,
            protocol: match version {
                http::Version::HTTP_2 => "HTTP/2.0",
                http::Version::HTTP_10 => "HTTP/1.0",
                _ => "HTTP/1.1",
            },
            domain_name,
            started: Instant::now(),
            started_at,
            stage: None,
            resource_path: None,
            path_params: Vec::new(),
            raw_path_params: Vec::new(),
            error: None,
            integration_status: None,
            authorizer: None,
            iam_caller: None,
            api_key: None,
            api_key_id: None,
            integration_latency_ms: None,
            function_payload: None,
            extensions: http::Extensions::new(),
            tls: None,
            base_path_matched: None,
            trace,
            query: OnceLock::new(),
        }
    }

    /// Query string parameters, decoded, in order.
    pub fn query(&self) -> &[(String, String)] {
        self.query
            .get_or_init(|| crate::vtl::url::parse_query(self.raw_query.as_deref().unwrap_or("")))
    }

    /// The last value of a query parameter (AWS's single-value view).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query()
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn stage_variable(&self, name: &str) -> Option<&str> {
        self.stage.as_ref()?.variables.get(name).map(String::as_str)
    }

    /// A request-side mapping source (`method.request.*`, `stageVariables.*`,
    /// `context.*`, a literal); response-side sources yield `None` here.
    pub fn source_value<'s>(&'s self, source: &'s Source) -> Option<Cow<'s, str>> {
        match source {
            Source::Literal(text) => Some(Cow::Borrowed(text)),
            Source::StageVariable(name) => self.stage_variable(name).map(Cow::Borrowed),
            Source::Context(path) => self.context_value(path),
            Source::MethodRequest(location, name) => match location {
                Location::Path => self.path_param(name).map(Cow::Borrowed),
                Location::QueryString => self.query_param(name).map(Cow::Borrowed),
                Location::Header => self.header(name).map(Cow::Borrowed),
                Location::MultiValueQueryString => {
                    let values: Vec<&str> = self
                        .query()
                        .iter()
                        .filter(|(k, _)| k == name)
                        .map(|(_, v)| v.as_str())
                        .collect();
                    (!values.is_empty()).then(|| Cow::Owned(values.join(",")))
                }
                Location::MultiValueHeader => {
                    let values: Vec<&str> = self
                        .headers
                        .get_all(name.as_str())
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .collect();
                    (!values.is_empty()).then(|| Cow::Owned(values.join(",")))
                }
            },
            Source::MethodRequestBody
            | Source::IntegrationResponseHeader(_)
            | Source::IntegrationResponseBody
            | Source::IntegrationResponseBodyPath(_) => None,
        }
    }

    /// `$context.{path}`.
    pub fn context_value(&self, path: &str) -> Option<Cow<'_, str>> {
        let stage = self.stage.as_ref();
        let value: Cow<'_, str> = match path {
            "requestId" | "awsEndpointRequestId" => Cow::Borrowed(&self.request_id),
            "extendedRequestId" => Cow::Borrowed(&self.extended_request_id),
            "httpMethod" => Cow::Borrowed(self.method.as_str()),
            "stage" => Cow::Borrowed(stage?.stage_name.as_str()),
            "apiId" => Cow::Borrowed(stage?.api.api_id.as_str()),
            "deploymentId" => Cow::Borrowed(stage?.api.deployment_id.as_str()),
            "isCanaryRequest" => Cow::Borrowed(match stage?.canary_request? {
                true => "true",
                false => "false",
            }),
            "resourcePath" => Cow::Borrowed(self.resource_path.as_deref()?),
            "path" => Cow::Borrowed(&self.raw_path),
            "protocol" => Cow::Borrowed(self.protocol),
            "domainName" => Cow::Borrowed(&self.domain_name),
            "domainPrefix" => Cow::Borrowed(self.domain_name.split('.').next().unwrap_or_default()),
            "requestTime" => Cow::Owned(clf_time(self.started_at)),
            "requestTimeEpoch" => Cow::Owned(epoch_millis(self.started_at).to_string()),
            "identity.sourceIp" => Cow::Owned(self.source_ip.to_string()),
            "identity.userAgent" => Cow::Borrowed(self.header("user-agent")?),
            "identity.accessKey" => Cow::Borrowed(self.iam_caller.as_ref()?.0.as_str()),
            "identity.userArn" | "identity.caller" | "identity.user" => {
                Cow::Borrowed(self.iam_caller.as_ref()?.1.as_str())
            }
            "identity.accountId" if self.iam_caller.is_some() => {
                Cow::Borrowed(crate::policy::account())
            }
            "identity.apiKey" => Cow::Borrowed(self.api_key.as_deref()?),
            "identity.apiKeyId" => Cow::Borrowed(self.api_key_id.as_deref()?),
            "authorizer.principalId" => {
                Cow::Borrowed(self.authorizer.as_ref()?.principal_id.as_str())
            }
            other if other.starts_with("authorizer.") => {
                let key = &other["authorizer.".len()..];
                let found = self
                    .authorizer
                    .as_ref()?
                    .context
                    .iter()
                    .find(|(k, _)| k == key)?;
                Cow::Borrowed(found.1.as_str())
            }
            "customDomain.basePathMatched" => Cow::Borrowed(self.base_path_matched.as_deref()?),
            other if other.starts_with("identity.clientCert.") => {
                let field = &other["identity.clientCert.".len()..];
                Cow::Borrowed(client_cert_field(self.client_cert()?, field)?)
            }
            "xrayTraceId" if stage?.tracing_enabled => Cow::Borrowed(self.trace.root.as_str()),
            "error.message" => Cow::Borrowed(self.error.as_ref()?.1.as_str()),
            "error.messageString" => {
                Cow::Owned(serde_json::Value::from(self.error.as_ref()?.1.as_str()).to_string())
            }
            "error.responseType" => Cow::Borrowed(self.error.as_ref()?.0.as_str()),
            _ => return None,
        };
        Some(value)
    }

    /// The client's certificate, on a mutual-TLS domain.
    pub fn client_cert(&self) -> Option<&apigw_tls::ClientCertInfo> {
        self.tls.as_ref()?.client_cert.as_ref()
    }

    /// `requestContext.identity.clientCert` of proxy and REQUEST authorizer
    /// events (`null` without one).
    pub fn client_cert_json(&self) -> serde_json::Value {
        let Some(c) = self.client_cert() else {
            return serde_json::Value::Null;
        };
        serde_json::json!({
            "clientCertPem": c.client_cert_pem,
            "subjectDN": c.subject_dn,
            "issuerDN": c.issuer_dn,
            "serialNumber": c.serial_number,
            "validity": {"notBefore": c.not_before, "notAfter": c.not_after},
        })
    }

    /// The `X-Amzn-Trace-Id` sent to backends and the client.
    pub fn trace_header(&self) -> String {
        let tracing = self.stage.as_ref().is_some_and(|s| s.tracing_enabled);
        self.trace.header(tracing)
    }

    /// Milliseconds since the request arrived.
    pub fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }
}

impl RequestContext {
    /// What a mapping template renders with: `$input` over `body` (the
    /// client's when `from_client`, else the integration's answer),
    /// `$context`, `$stageVariables`.
    /// Only what the template `reads` is built; the rest stays empty.
    pub fn template_bindings<'a>(
        &self,
        body: &'a [u8],
        from_client: bool,
        reads: vtl::Reads,
    ) -> vtl::Bindings<'a> {
        let header = if reads.params {
            self.headers
                .iter()
                .filter_map(|(k, v)| Some((title_case(k.as_str()), v.to_str().ok()?.to_string())))
                .collect()
        } else {
            Vec::new()
        };
        let stage_variables = match &self.stage {
            Some(s) if reads.stage_variables => s
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), Value::str(v.as_str())))
                .collect(),
            _ => IndexMap::new(),
        };
        vtl::Bindings {
            body,
            path: if reads.params {
                self.path_params.clone()
            } else {
                Vec::new()
            },
            querystring: if reads.params {
                self.query().to_vec()
            } else {
                Vec::new()
            },
            header,
            context: if reads.context {
                self.context_map()
            } else {
                Value::map(IndexMap::new())
            },
            stage_variables: Value::map(stage_variables),
            body_from_client: from_client,
        }
    }

    /// `$context` as a map.
    fn context_map(&self) -> Value {
        let mut c = IndexMap::new();
        let text = |s: &str| Value::str(s);
        for key in [
            "requestId",
            "extendedRequestId",
            "httpMethod",
            "stage",
            "apiId",
            "deploymentId",
            "isCanaryRequest",
            "resourcePath",
            "path",
            "protocol",
            "domainName",
            "domainPrefix",
            "requestTime",
            "requestTimeEpoch",
        ] {
            if let Some(v) = self.context_value(key) {
                c.insert(key.to_string(), text(&v));
            }
        }
        if let (Some(stage), Some(path)) = (&self.stage, &self.resource_path) {
            c.insert("resourceId".into(), text(&stage.api.resource_id(path)));
        }
        c.insert("accountId".into(), text(crate::policy::account()));
        let mut identity = IndexMap::new();
        identity.insert("sourceIp".to_string(), text(&self.source_ip.to_string()));
        if let Some(agent) = self.header("user-agent") {
            identity.insert("userAgent".to_string(), text(agent));
        }
        if let Some((key, arn)) = &self.iam_caller {
            identity.insert("accessKey".to_string(), text(key));
            identity.insert("userArn".to_string(), text(arn));
            identity.insert("caller".to_string(), text(arn));
            identity.insert("user".to_string(), text(arn));
            identity.insert("accountId".to_string(), text(crate::policy::account()));
        }
        if let (Some(key), Some(id)) = (&self.api_key, &self.api_key_id) {
            identity.insert("apiKey".to_string(), text(key));
            identity.insert("apiKeyId".to_string(), text(id));
        }
        if let Some(cert) = self.client_cert() {
            let mut fields = IndexMap::new();
            for key in ["clientCertPem", "subjectDN", "issuerDN", "serialNumber"] {
                if let Some(v) = client_cert_field(cert, key) {
                    fields.insert(key.to_string(), text(v));
                }
            }
            let mut validity = IndexMap::new();
            validity.insert("notBefore".to_string(), text(&cert.not_before));
            validity.insert("notAfter".to_string(), text(&cert.not_after));
            fields.insert("validity".to_string(), Value::map(validity));
            identity.insert("clientCert".to_string(), Value::map(fields));
        }
        c.insert("identity".into(), Value::map(identity));
        if let Some(base) = &self.base_path_matched {
            let mut custom = IndexMap::new();
            custom.insert("basePathMatched".to_string(), text(base));
            c.insert("customDomain".into(), Value::map(custom));
        }
        let mut authorizer = IndexMap::new();
        if let Some(result) = &self.authorizer {
            authorizer.insert("principalId".to_string(), text(&result.principal_id));
            let mut claims = IndexMap::new();
            for (k, v) in &result.context {
                match k.strip_prefix("claims.") {
                    Some(claim) => {
                        claims.insert(claim.to_string(), text(v));
                    }
                    None => {
                        authorizer.insert(k.clone(), text(v));
                    }
                }
            }
            if !claims.is_empty() {
                authorizer.insert("claims".to_string(), Value::map(claims));
            }
        }
        c.insert("authorizer".into(), Value::map(authorizer));
        if let Some((kind, message)) = &self.error {
            let mut error = IndexMap::new();
            error.insert("message".to_string(), text(message));
            error.insert(
                "messageString".to_string(),
                text(&serde_json::Value::from(message.as_str()).to_string()),
            );
            error.insert("responseType".to_string(), text(kind.as_str()));
            error.insert("validationErrorString".to_string(), text(message));
            c.insert("error".into(), Value::map(error));
        }
        let overrides = |keys: &[&str]| {
            Value::map(
                keys.iter()
                    .map(|k| (k.to_string(), Value::map(IndexMap::new())))
                    .collect(),
            )
        };
        c.insert("responseOverride".into(), overrides(&["header"]));
        c.insert(
            "requestOverride".into(),
            overrides(&["header", "querystring", "path"]),
        );
        Value::map(c)
    }
}

/// `x-amzn-trace-id` -> `X-Amzn-Trace-Id`, as AWS spells header names.
pub fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

fn epoch_millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// `24/Nov/2026:10:00:00 +0000`, as `$context.requestTime` is written.
pub fn clf_time(t: SystemTime) -> String {
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    time::OffsetDateTime::from(t)
        .format(&format)
        .unwrap_or_default()
}

/// A `$context.identity.clientCert` field by its AWS name.
fn client_cert_field<'a>(cert: &'a apigw_tls::ClientCertInfo, field: &str) -> Option<&'a str> {
    Some(match field {
        "clientCertPem" => &cert.client_cert_pem,
        "subjectDN" => &cert.subject_dn,
        "issuerDN" => &cert.issuer_dn,
        "serialNumber" => &cert.serial_number,
        "validity.notBefore" => &cert.not_before,
        "validity.notAfter" => &cert.not_after,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_values() {
        let uri: http::Uri = "/prod/pets?a=1&a=2".parse().expect("uri");
        let mut headers = HeaderMap::new();
        headers.insert("user-agent", "curl/8".parse().expect("header"));
        let ctx = RequestContext::new(
            [127, 0, 0, 1].into(),
            Method::GET,
            &uri,
            headers,
            http::Version::HTTP_11,
        );
        assert_eq!(ctx.query_param("a"), Some("2"));
        assert_eq!(
            ctx.context_value("identity.sourceIp").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            ctx.context_value("identity.userAgent").as_deref(),
            Some("curl/8")
        );
        assert_eq!(
            ctx.source_value(&Source::MethodRequest(
                Location::MultiValueQueryString,
                "a".into()
            ))
            .as_deref(),
            Some("1,2")
        );
        assert_eq!(ctx.context_value("stage"), None);
        assert_eq!(clf_time(UNIX_EPOCH), "01/Jan/1970:00:00:00 +0000");
    }
}
