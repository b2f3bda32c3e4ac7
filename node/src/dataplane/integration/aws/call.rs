//! One AWS service request: the integration's mapped request (verb, path
//! or `action/`, mapped query and headers, the request template's body)
//! sent to the service's endpoint, signed, and its answer through the
//! integration responses selected by status, as for HTTP integrations.
//!
//! By protocol (`snapshot::Protocol`): an `action/` of a JSON service is
//! `POST`ed with `X-Amz-Target: {prefix}.{Action}` and
//! `application/x-amz-json-1.0|1.1`; of any other service (Query) it puts
//! `Action={Action}` first in the form body when the mapped request has a
//! body (`application/x-www-form-urlencoded` unless a mapping names its
//! type), else first in the query string, as the SDKs send Query requests.
//! `path/` requests go as mapped.

use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{Request, Response, Uri};
use http_body_util::Full;

use super::AwsServices;
use crate::dataplane::body::Body;
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::dataplane::integration::http::{
    answer, aws_headers, exchange, mapped_headers, request_body, target_uri,
};
use crate::dataplane::integration::Carried;
use crate::outbound::HttpClient;
use crate::sigv4::Payload;
use crate::snapshot::{AwsServiceIntegration, Protocol};

/// Calls the service and returns the method response.
pub(crate) async fn call(
    integration: &AwsServiceIntegration,
    aws: &AwsServices,
    client: &HttpClient,
    ctx: &mut RequestContext,
    body: Bytes,
) -> Result<Response<Body>, RequestError> {
    let (mut request, body, carried) = build_request(integration, aws, ctx, body)?;
    let started = Instant::now();
    let timeout = integration.http.timeout;
    let target = &integration.target;
    let signed = async {
        let credentials = aws
            .credentials(integration.credentials.as_deref(), &target.region, client)
            .await
            .map_err(RequestError::IntegrationUnavailable)?;
        let payload = if target.service == "s3" {
            Payload::S3
        } else {
            Payload::Unsigned
        };
        crate::sigv4::sign_request(
            &mut request,
            &body,
            &credentials.key(&target.region, &target.service),
            payload,
        )
        .map_err(|e| RequestError::IntegrationUnavailable(format!("signing: {e}")))?;
        Ok::<_, RequestError>(request)
    };
    let request = match tokio::time::timeout(timeout, signed).await {
        Ok(signed) => signed?,
        Err(_) => return Err(RequestError::IntegrationTimeout(timeout.as_millis())),
    };
    let left = timeout.saturating_sub(started.elapsed());
    let outcome = exchange(client, request, false, left, &ctx.request_id).await;
    ctx.integration_latency_ms = Some(started.elapsed().as_millis());
    let (response, collected) = outcome?;
    ctx.integration_status = Some(response.status().as_u16());
    let bytes = collected.unwrap_or_default();
    answer(&integration.http, ctx, &response, bytes, &carried)
}

/// The unsigned request to the service, its body, and what its request
/// template left for the response.
fn build_request(
    integration: &AwsServiceIntegration,
    aws: &AwsServices,
    ctx: &RequestContext,
    body: Bytes,
) -> Result<(Request<Full<Bytes>>, Bytes, Carried), RequestError> {
    let target = &integration.target;
    let http = &integration.http;
    let host_prefix = host_prefix(integration);
    let base = aws.endpoint(&target.service, &target.region, host_prefix.as_deref());
    let mut path = target_uri(http, ctx)?;
    let mut headers = mapped_headers(http, ctx)?;
    let mapped_type = headers.get(CONTENT_TYPE).cloned();
    let (mut body, carried) = request_body(http, ctx, body, &mut headers)?;
    if let (Some(action), Protocol::Query) = (&target.action, target.protocol) {
        let action = crate::vtl::url::encode(action);
        if body.is_empty() {
            path = with_action(&path, &action);
        } else {
            body = Bytes::from([format!("Action={action}&").as_bytes(), &body[..]].concat());
        }
    }
    let url = format!("{base}{path}");
    let uri: Uri = url.parse().map_err(|e| {
        RequestError::IntegrationUnavailable(format!("the service URL `{url}` is not valid: {e}"))
    })?;
    aws_headers(http, ctx, &mut headers);
    let content_type = match (&target.action, target.protocol) {
        (
            Some(action),
            Protocol::Json {
                target_prefix,
                version,
            },
        ) => {
            let amz_target = HeaderValue::from_str(&format!("{target_prefix}.{action}"))
                .map_err(|e| RequestError::IntegrationUnavailable(e.to_string()))?;
            headers.insert("x-amz-target", amz_target);
            HeaderValue::from_str(&format!("application/x-amz-json-{version}")).ok()
        }
        (Some(_), _) => mapped_type.or_else(|| {
            (!body.is_empty())
                .then(|| HeaderValue::from_static("application/x-www-form-urlencoded"))
        }),
        (None, _) => mapped_type.or_else(|| headers.get(CONTENT_TYPE).cloned()),
    };
    match content_type {
        Some(value) => headers.insert(CONTENT_TYPE, value),
        None => headers.remove(CONTENT_TYPE),
    };
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    if let Some(authority) = uri.authority() {
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|e| RequestError::IntegrationUnavailable(e.to_string()))?;
        headers.insert(HOST, host);
    }
    let method = http.method.clone().unwrap_or_else(|| ctx.method.clone());
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Full::new(body.clone()))
        .map_err(|e| RequestError::IntegrationUnavailable(e.to_string()))?;
    *request.headers_mut() = headers;
    Ok((request, body, carried))
}

/// What goes before the service's host name: the URI's subdomain, or the
/// `sync-` of Step Functions' synchronous executions (as the SDKs add it).
fn host_prefix(integration: &AwsServiceIntegration) -> Option<String> {
    let target = &integration.target;
    if let Some(sub) = &target.subdomain {
        return Some(format!("{sub}."));
    }
    let sync = target.service == "states" && target.action.as_deref() == Some("StartSyncExecution");
    sync.then(|| "sync-".to_string())
}

/// `path` with `Action={action}` (encoded) first in its query string.
fn with_action(path: &str, action: &str) -> String {
    match path.split_once('?') {
        Some((path, query)) if !query.is_empty() => format!("{path}?Action={action}&{query}"),
        Some((path, _)) => format!("{path}?Action={action}"),
        None => format!("{path}?Action={action}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_goes_first_in_the_query() {
        assert_eq!(with_action("/", "SendMessage"), "/?Action=SendMessage");
        assert_eq!(
            with_action("/?QueueUrl=q&MessageBody=b", "SendMessage"),
            "/?Action=SendMessage&QueueUrl=q&MessageBody=b"
        );
    }
}
