//! AWS_IAM authorization: SigV4 verification of incoming requests against
//! the node's configured IAM users.
//!
//! The signature is recomputed over exactly the headers the client signed,
//! at the time it claims (`x-amz-date`, within 5 minutes of now), with the
//! secret of the access key it names, and compared in constant time.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;

use super::context::RequestContext;
use super::error::RequestError;

/// An IAM user callers sign as.
#[derive(Debug, Clone)]
pub struct IamUser {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl IamUser {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user/{}",
            crate::policy::account(),
            self.name
        )
    }
}

/// The users, by access key id.
#[derive(Debug, Clone, Default)]
pub struct IamUsers {
    by_key: HashMap<String, IamUser>,
}

impl IamUsers {
    pub fn new(users: Vec<IamUser>) -> IamUsers {
        IamUsers {
            by_key: users
                .into_iter()
                .map(|u| (u.access_key_id.clone(), u))
                .collect(),
        }
    }
}

const MAX_SKEW: Duration = Duration::from_secs(300);
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
/// S3's words for a payload hash that is not the body's (other services
/// define none; apigw uses these everywhere).
pub const PAYLOAD_MISMATCH: &str =
    "The provided 'x-amz-content-sha256' header does not match what was computed.";

/// What a signature must be scoped to: the service, and the regions that
/// count as this endpoint's (the node's own; for requests an edge forwarded,
/// the regions of the cluster's members too).
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub service: &'a str,
    pub regions: &'a [&'a str],
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

/// Reads an `Authorization` header; `None` if it is not a SigV4 one with
/// all three parameters.
pub fn parse(header: &str) -> Option<Authorization<'_>> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256")?.trim_start();
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let mut scope = credential?.split('/');
    let access_key_id = scope.next()?;
    let date = scope.next()?;
    let region = scope.next()?;
    let service = scope.next()?;
    Some(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed?.split(';').collect(),
        signature: signature?,
    })
}

/// Verifies the request's signature for `execute-api` in `regions`;
/// returns the user who signed it.
pub fn verify<'u>(
    users: &'u IamUsers,
    ctx: &RequestContext,
    body: &[u8],
    regions: &[&str],
) -> Result<&'u IamUser, RequestError> {
    let scope = Scope {
        service: "execute-api",
        regions,
    };
    verify_for(users, ctx, body, &scope)
}

/// Verifies a signature scoped to `scope` (`execute-api` on the data plane,
/// `apigateway` on the admin listener); returns the user who signed it.
///
/// The checks, in AWS's order: an `Authorization` header at all
/// (`MissingAuthenticationToken`), its form, the credential scope (region
/// and service), the access key (`UnrecognizedClient`), the date, the
/// payload hash, then the signature over the body as received: the
/// `UNSIGNED-PAYLOAD` of S3 is not honoured, as no other AWS service does.
pub fn verify_for<'u>(
    users: &'u IamUsers,
    ctx: &RequestContext,
    body: &[u8],
    scope: &Scope<'_>,
) -> Result<&'u IamUser, RequestError> {
    let header = ctx
        .header("authorization")
        .ok_or(RequestError::MissingAuthenticationToken)?;
    let auth = parse(header).ok_or_else(|| {
        RequestError::InvalidSignature(format!("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization={header}"))
    })?;
    check_scope(&auth, scope)?;
    let user = users
        .by_key
        .get(auth.access_key_id)
        .ok_or(RequestError::UnrecognizedClient)?;
    let signed_at = signing_time(ctx, &auth)?;
    let payload_hash = hex_sha256(body);
    if let Some(claimed) = ctx.header("x-amz-content-sha256") {
        if claimed != payload_hash {
            return Err(RequestError::InvalidSignature(PAYLOAD_MISMATCH.into()));
        }
    }
    let expected =
        expected_signature(user, &auth, ctx, body, signed_at, scope.service).map_err(|e| {
            RequestError::InvalidSignature(format!("the request cannot be signed: {e}"))
        })?;
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(RequestError::InvalidSignature(MISMATCH.into()));
    }
    Ok(user)
}

/// The credential scope's region and service, in AWS's words (both
/// sentences when both are wrong).
fn check_scope(auth: &Authorization<'_>, scope: &Scope<'_>) -> Result<(), RequestError> {
    let mut message = String::new();
    if !scope.regions.contains(&auth.region) {
        message.push_str(&format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            auth.region
        ));
    }
    if auth.service != scope.service {
        message.push_str(&format!(
            "Credential should be scoped to correct service: '{}'. ",
            scope.service
        ));
    }
    match message.is_empty() {
        true => Ok(()),
        false => Err(RequestError::InvalidSignature(message)),
    }
}

/// `X-Amz-Date`, parsed, within five minutes of now and on the scope's day.
fn signing_time(
    ctx: &RequestContext,
    auth: &Authorization<'_>,
) -> Result<SystemTime, RequestError> {
    let amz_date = ctx.header("x-amz-date").ok_or_else(|| {
        RequestError::InvalidSignature(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        )
    })?;
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let signed_at = time::PrimitiveDateTime::parse(amz_date, format)
        .map(|t| SystemTime::from(t.assume_utc()))
        .map_err(|_| {
            RequestError::InvalidSignature(format!(
                "X-Amz-Date `{amz_date}` is not a date like 20261124T101500Z"
            ))
        })?;
    let day = amz_date.get(..8).unwrap_or_default();
    if auth.date != day {
        return Err(RequestError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
            auth.date
        )));
    }
    let now = SystemTime::now();
    let stamp = |t: SystemTime| {
        time::OffsetDateTime::from(t)
            .format(format)
            .unwrap_or_default()
    };
    if now.duration_since(signed_at).is_ok_and(|d| d > MAX_SKEW) {
        return Err(RequestError::InvalidSignature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 5 min.)",
            stamp(now - MAX_SKEW),
            stamp(now)
        )));
    }
    if signed_at.duration_since(now).is_ok_and(|d| d > MAX_SKEW) {
        return Err(RequestError::InvalidSignature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 5 min.)",
            stamp(now + MAX_SKEW),
            stamp(now)
        )));
    }
    Ok(signed_at)
}

/// The body's SHA-256 in lowercase hex, as SigV4 writes payload hashes.
fn hex_sha256(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn expected_signature(
    user: &IamUser,
    auth: &Authorization<'_>,
    ctx: &RequestContext,
    body: &[u8],
    at: SystemTime,
    service: &str,
) -> Result<String, String> {
    let session_token = ctx.header("x-amz-security-token").map(str::to_string);
    let identity = Credentials::new(
        &user.access_key_id,
        &user.secret_access_key,
        session_token,
        None,
        "apigw",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(service)
        .time(at)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let headers: Vec<(&str, String)> = auth
        .signed_headers
        .iter()
        .filter(|h| !matches!(**h, "x-amz-date" | "x-amz-security-token"))
        .map(|h| {
            let values: Vec<&str> = ctx
                .headers
                .get_all(*h)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (*h, values.join(","))
        })
        .collect();
    let url = match &ctx.raw_query {
        Some(q) => format!("http://{}{}?{q}", ctx.domain_name, ctx.raw_path),
        None => format!("http://{}{}", ctx.domain_name, ctx.raw_path),
    };
    let body = SignableBody::Bytes(body);
    let signable = SignableRequest::new(
        ctx.method.as_str(),
        &url,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        body,
    )
    .map_err(|e| e.to_string())?;
    let (_, signature) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    Ok(signature)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_parse() {
        let a = parse("AWS4-HMAC-SHA256 Credential=AKID/20261124/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
            .expect("parses");
        assert_eq!(
            (a.access_key_id, a.region, a.service, a.signature),
            ("AKID", "eu-west-1", "execute-api", "abc")
        );
        assert_eq!(a.signed_headers, vec!["host", "x-amz-date"]);
        assert!(parse("Bearer x").is_none());
        assert!(parse("AWS4-HMAC-SHA256 Credential=AKID").is_none());
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
    }
}
