//! Whose credentials sign an AWS service request: the integration's
//! `credentials` role (credentials the config maps to it, else the role
//! assumed through STS `AssumeRole` with the node's own credentials, kept
//! until shortly before they expire), else the node's own credentials.
//!
//! Secrets stay out of `Debug` output, logs and error messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;

use super::AwsServices;
use crate::outbound::HttpClient;
use crate::sigv4::SigningKey;
use crate::vtl::url::encode as form_encode;

/// An access key pair, with a session token for temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Credentials {
    /// The signing key for `service` in `region`.
    pub(crate) fn key<'a>(&'a self, region: &'a str, service: &'a str) -> SigningKey<'a> {
        SigningKey {
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret_access_key,
            session_token: self.session_token.clone(),
            region,
            service,
        }
    }
}

/// How long assumed credentials are asked for, and how long they are used.
const SESSION: Duration = Duration::from_secs(3600);
const REUSE: Duration = Duration::from_secs(3000);
/// Bounds on the STS call.
const STS_TIMEOUT: Duration = Duration::from_secs(5);
const STS_MAX_BYTES: usize = 64 * 1024;

/// Credentials of roles assumed so far, by role ARN, with when they were got.
#[derive(Default)]
pub(super) struct AssumedRoles(Mutex<HashMap<String, (Arc<Credentials>, Instant)>>);

impl AssumedRoles {
    fn fresh(&self, role: &str) -> Option<Arc<Credentials>> {
        let roles = self.0.lock().unwrap_or_else(|e| e.into_inner());
        roles
            .get(role)
            .filter(|(_, got)| got.elapsed() < REUSE)
            .map(|(c, _)| c.clone())
    }

    fn keep(&self, role: &str, credentials: Arc<Credentials>) {
        let mut roles = self.0.lock().unwrap_or_else(|e| e.into_inner());
        roles.insert(role.to_string(), (credentials, Instant::now()));
    }
}

impl AwsServices {
    /// The credentials for a request of an integration with `role` (its
    /// `credentials`) in `region`. Two requests that find a role's
    /// credentials missing at once both assume it; the later answer is kept.
    pub(crate) async fn credentials(
        &self,
        role: Option<&str>,
        region: &str,
        client: &HttpClient,
    ) -> Result<Arc<Credentials>, String> {
        let own = || {
            self.config
                .credentials
                .clone()
                .map(Arc::new)
                .ok_or_else(|| {
                    "no AWS credentials: set them in the config (aws.credentials) or in \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                        .to_string()
                })
        };
        // `arn:aws:iam::*:user/*` asks for the caller's own identity; the
        // node signs with its own.
        let Some(role) = role.filter(|r| !r.contains(":user/")) else {
            return own();
        };
        if let Some(mapped) = self.config.roles.get(role) {
            return Ok(Arc::new(mapped.clone()));
        }
        if let Some(assumed) = self.assumed.fresh(role) {
            return Ok(assumed);
        }
        let assumed = Arc::new(self.assume_role(role, region, &*own()?, client).await?);
        self.assumed.keep(role, assumed.clone());
        Ok(assumed)
    }

    /// STS `AssumeRole` (Query protocol) for `role`, signed with `own`.
    async fn assume_role(
        &self,
        role: &str,
        region: &str,
        own: &Credentials,
        client: &HttpClient,
    ) -> Result<Credentials, String> {
        let url = format!("{}/", self.endpoint("sts", region, None));
        let form = format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=apigw&DurationSeconds={}",
            form_encode(role),
            SESSION.as_secs()
        );
        let request = crate::sigv4::signed_request(
            "POST",
            &url,
            &[("content-type", "application/x-www-form-urlencoded")],
            Bytes::from(form),
            &own.key(region, "sts"),
        )?;
        let failed = |why: String| format!("assuming role {role} through STS: {why}");
        let exchange = async {
            let response = client.send(request).await?;
            let status = response.status();
            let body = http_body_util::Limited::new(response.into_body(), STS_MAX_BYTES)
                .collect()
                .await
                .map_err(|e| format!("reading the answer: {e}"))?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        let (status, body) = tokio::time::timeout(STS_TIMEOUT, exchange)
            .await
            .map_err(|_| failed(format!("no answer within {STS_TIMEOUT:?}")))?
            .map_err(failed)?;
        let xml = String::from_utf8_lossy(&body);
        if !status.is_success() {
            let code = element(&xml, "Code").unwrap_or_default();
            return Err(failed(format!("HTTP {status} {code}")));
        }
        parse_credentials(&xml).ok_or_else(|| failed("no Credentials in the answer".into()))
    }
}

/// `Credentials` of an `AssumeRoleResponse`.
fn parse_credentials(xml: &str) -> Option<Credentials> {
    let credentials = element(xml, "Credentials")?;
    Some(Credentials {
        access_key_id: element(&credentials, "AccessKeyId")?,
        secret_access_key: element(&credentials, "SecretAccessKey")?,
        session_token: element(&credentials, "SessionToken"),
    })
}

/// The text of the first `<name>…</name>` element, entities decoded.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assume_role_answers_are_read() {
        let xml = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>s3cr3t/+=</SecretAccessKey>
      <SessionToken>token&amp;more</SessionToken>
      <Expiration>2026-12-04T15:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
</AssumeRoleResponse>"#;
        let c = parse_credentials(xml).expect("credentials");
        assert_eq!(c.access_key_id, "ASIAEXAMPLE");
        assert_eq!(c.secret_access_key, "s3cr3t/+=");
        assert_eq!(c.session_token.as_deref(), Some("token&more"));
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(parse_credentials("<Error><Code>AccessDenied</Code></Error>").is_none());
    }
}
