//! Signing outgoing requests with AWS Signature Version 4: calls to remote
//! Lambda functions, and the CLI's calls to a node's management API.
//! (Checking incoming signatures is `dataplane::iam`'s job.)

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http::Request;
use http_body_util::Full;

/// Who signs, for which region and service.
#[derive(Debug, Clone)]
pub struct SigningKey<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<String>,
    pub region: &'a str,
    pub service: &'a str,
}

/// A request to `url` with `body`, its `host` header set and signed.
pub fn signed_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
    key: &SigningKey<'_>,
) -> Result<Request<Full<Bytes>>, String> {
    let mut builder = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder
        .body(Full::new(body.clone()))
        .map_err(|e| format!("invalid request to `{url}`: {e}"))?;
    let host = request
        .uri()
        .authority()
        .map(|a| a.to_string())
        .ok_or_else(|| format!("no host in `{url}`"))?;
    request.headers_mut().insert(
        "host",
        host.parse()
            .map_err(|_| format!("invalid host in `{url}`"))?,
    );
    sign_request(&mut request, &body, key, Payload::Unsigned)?;
    Ok(request)
}

/// How the payload enters a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// Hashed into the signature only (most services).
    Unsigned,
    /// Also sent as `x-amz-content-sha256`, paths neither normalised nor
    /// escaped twice (S3).
    S3,
}

/// Signs `request` (whose body is `body`) in place: `authorization`,
/// `x-amz-date` and, with a session token, `x-amz-security-token`. The
/// `host` header must be set.
pub fn sign_request(
    request: &mut Request<Full<Bytes>>,
    body: &[u8],
    key: &SigningKey<'_>,
    payload: Payload,
) -> Result<(), String> {
    let identity = Credentials::new(
        key.access_key_id,
        key.secret_access_key,
        key.session_token.clone(),
        None,
        "apigw",
    )
    .into();
    let mut settings = SigningSettings::default();
    if payload == Payload::S3 {
        use aws_sigv4::http_request::{
            PayloadChecksumKind, PercentEncodingMode, UriPathNormalizationMode,
        };
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(key.region)
        .name(key.service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let all_headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let method = request.method().as_str().to_string();
    let url = request.uri().to_string();
    let signable = SignableRequest::new(
        &method,
        &url,
        all_headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}
