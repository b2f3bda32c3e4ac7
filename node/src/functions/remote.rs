//! Remote functions: the Lambda Invoke API
//! (`POST /2015-03-31/functions/{name}/invocations`), signed with SigV4, to
//! AWS Lambda or anything that speaks it (`sam local start-lambda`, the
//! Runtime Interface Emulator).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};

use super::metrics::{FunctionMetrics, MetricsSnapshot};
use super::{Invocation, InvokeError, Outcome, RemoteSpec};
use crate::outbound::HttpClient;
use crate::sigv4::SigningKey;

/// What is escaped in the function name path segment: all but RFC 3986's
/// unreserved characters (an ARN's `:` goes as `%3A`, as the AWS SDKs send it).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A remote function.
pub struct RemoteFunction {
    spec: RemoteSpec,
    client: HttpClient,
    metrics: Arc<FunctionMetrics>,
}

impl RemoteFunction {
    pub fn new(spec: RemoteSpec, client: HttpClient) -> RemoteFunction {
        RemoteFunction {
            spec,
            client,
            metrics: Arc::default(),
        }
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// Invokes the function synchronously (`RequestResponse`).
    pub async fn invoke(&self, invocation: Invocation) -> Result<Outcome, InvokeError> {
        let running = self.metrics.begin();
        let started = Instant::now();
        let mut request = self
            .signed_request(invocation.payload)
            .map_err(|reason| self.error(reason))?;
        // Outside the signature, as the SDKs send it.
        if let Some(v) = invocation.trace_id.and_then(|t| t.parse().ok()) {
            request.headers_mut().insert("x-amzn-trace-id", v);
        }
        let response = self.client.send(request).await.map_err(|e| self.error(e))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| self.error(format!("reading the response: {e}")))?
            .to_bytes();
        drop(running);
        let outcome = match status {
            StatusCode::OK if function_error => Outcome::FunctionError(body),
            StatusCode::OK => Outcome::Success(body),
            StatusCode::TOO_MANY_REQUESTS => {
                self.metrics.throttled();
                return Err(InvokeError::Throttled(self.spec.name.clone()));
            }
            other => {
                return Err(self.error(format!("HTTP {other}: {}", String::from_utf8_lossy(&body))));
            }
        };
        self.metrics.finished(
            started.elapsed(),
            matches!(outcome, Outcome::FunctionError(_)),
        );
        Ok(outcome)
    }

    fn error(&self, reason: impl ToString) -> InvokeError {
        InvokeError::Remote {
            name: self.spec.name.clone(),
            reason: reason.to_string(),
        }
    }

    fn signed_request(&self, payload: Bytes) -> Result<Request<Full<Bytes>>, String> {
        let name = percent_encoding::utf8_percent_encode(&self.spec.function_name, PATH_SEGMENT);
        let url = format!(
            "{}/2015-03-31/functions/{name}/invocations",
            self.spec.endpoint.trim_end_matches('/')
        );
        crate::sigv4::signed_request(
            "POST",
            &url,
            &[
                ("content-type", "application/json"),
                ("x-amz-invocation-type", "RequestResponse"),
            ],
            payload,
            &SigningKey {
                access_key_id: &self.spec.access_key_id,
                secret_access_key: &self.spec.secret_access_key,
                session_token: self.spec.session_token.clone(),
                region: &self.spec.region,
                service: "lambda",
            },
        )
    }
}
