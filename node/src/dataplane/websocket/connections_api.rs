//! The callback API of a WebSocket stage (apigatewaymanagementapi):
//! `POST|GET|DELETE /@connections/{connectionId}` under the stage URL,
//! signed with SigV4 for `execute-api` by one of the configured IAM users,
//! whose policies must allow `execute-api:ManageConnections` on
//! `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/@connections/{id}`
//! (a user configured without policies may only invoke: 403).
//!
//! POST queues the body as one frame (text when it is UTF-8, else binary;
//! over 128 KB is 413, a full send queue 429); GET answers `connectedAt`,
//! `identity`, `lastActiveAt`; DELETE closes the connection (1000). An id
//! that is not open on this node, or open on another stage, is 410
//! GoneException.

use std::net::IpAddr;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;

use super::registry::{valid_connection_id, Outgoing, SendRefused};
use super::upgrade::refuse;
use super::{Callers, WebSockets};
use crate::dataplane::body::{full, Body, BoxError};
use crate::dataplane::context::RequestContext;
use crate::policy::{self, Decision, Subject};
use crate::snapshot::WsStage;

/// The largest frame a POST may carry.
pub const MAX_POST_BYTES: usize = 128 * 1024;

/// The connection id of a path inside a stage (`/@connections/{id}`; the
/// SDKs send `/%40connections/{id}`).
pub fn connection_path(inner: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(inner)
        .decode_utf8()
        .ok()?;
    let id = decoded.strip_prefix("/@connections/")?;
    valid_connection_id(id).then(|| id.to_string())
}

fn error(status: StatusCode, kind: &'static str, message: &str) -> Response<Body> {
    let mut r = refuse(status, message);
    r.headers_mut()
        .insert("x-amzn-errortype", http::HeaderValue::from_static(kind));
    r
}

/// What an `@connections` call is for.
pub struct Call<'a> {
    pub stage: &'a WsStage,
    /// The connection id, decoded.
    pub id: &'a str,
    pub client: IpAddr,
    /// Sent on by another node: answered here, never sent on again.
    pub from_peer: bool,
}

/// Serves one `@connections` call: here when this node holds the
/// connection, else on the node its id names.
pub async fn serve<B>(
    ws: &WebSockets,
    callers: &Callers<'_>,
    request: Request<B>,
    call: Call<'_>,
) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_POST_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PayloadTooLargeException",
                "Message too long",
            )
        }
    };
    let Call {
        stage,
        id,
        client,
        from_peer,
    } = call;
    let ctx = RequestContext::new(
        client,
        parts.method,
        &parts.uri,
        parts.headers,
        parts.version,
    );
    if let Err(refusal) = check_caller(ws, callers, &ctx, &body, stage, id) {
        return *refusal;
    }
    let gone = || error(StatusCode::GONE, "GoneException", "");
    let Some(connection) = ws
        .registry
        .get(id)
        .filter(|c| c.api_id == stage.api_id && c.stage == stage.stage_name)
    else {
        let owner = super::owner::owner_of(id);
        return match (&ws.cluster, from_peer) {
            (Some(view), false) if owner != 0 && owner != ws.node_id => {
                super::owner::forward(view, owner, &ctx, body)
                    .await
                    .unwrap_or_else(gone)
            }
            _ => gone(),
        };
    };
    act(&connection, &ctx.method, body)
}

/// The call on an open connection: queue a frame, close it, or describe it.
fn act(connection: &super::registry::Connection, method: &Method, body: Bytes) -> Response<Body> {
    let queued = match *method {
        Method::POST => connection.send(match String::from_utf8(body.to_vec()) {
            Ok(text) => Outgoing::Text(text),
            Err(_) => Outgoing::Binary(body),
        }),
        Method::DELETE => connection.send(Outgoing::Close(1000, String::new())),
        Method::GET => return describe(connection),
        _ => return error(StatusCode::FORBIDDEN, "ForbiddenException", "Forbidden"),
    };
    match queued {
        Ok(()) if *method == Method::DELETE => {
            let mut r = Response::new(crate::dataplane::body::empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Ok(()) => Response::new(full("")),
        Err(SendRefused::Full) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "LimitExceededException",
            "The client's send queue is full",
        ),
        Err(SendRefused::Gone) => error(StatusCode::GONE, "GoneException", ""),
    }
}

/// The signature, then the user's right to `ManageConnections`.
fn check_caller(
    ws: &WebSockets,
    callers: &Callers<'_>,
    ctx: &RequestContext,
    body: &[u8],
    stage: &WsStage,
    id: &str,
) -> Result<(), Box<Response<Body>>> {
    let regions = [ws.region.as_str()];
    let user = crate::dataplane::iam::verify(callers.iam, ctx, body, &regions).map_err(|e| {
        Box::new(error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            &e.to_string(),
        ))
    })?;
    let Some(identity) = callers.identities.get(&user.access_key_id) else {
        return Ok(());
    };
    let resource = format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/@connections/{id}",
        ws.region,
        policy::account(),
        stage.api_id,
        stage.stage_name,
        ctx.method
    );
    let arn = identity.arn();
    let decision = identity.decide(&Subject {
        action: "execute-api:ManageConnections",
        resource: &resource,
        arn_prefix: "",
        caller: Some(identity.caller(&arn)),
        source_ip: ctx.source_ip,
        secure_transport: false,
        now: ctx.started_at,
        user_agent: ctx.header("user-agent"),
        referer: ctx.header("referer"),
    });
    match decision {
        Decision::Allow => Ok(()),
        _ => Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            "Forbidden",
        ))),
    }
}

/// GetConnection's answer.
fn describe(connection: &super::registry::Connection) -> Response<Body> {
    let mut identity = json!({"sourceIp": connection.source_ip.to_string()});
    if let Some(agent) = &connection.user_agent {
        identity["userAgent"] = json!(agent);
    }
    let body = json!({
        "connectedAt": iso(connection.connected_at),
        "identity": identity,
        "lastActiveAt": iso(connection.last_active()),
    });
    let mut r = Response::new(full(body.to_string()));
    r.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    r
}

/// Milliseconds since the epoch as ISO 8601 (`2026-12-04T02:55:00.123Z`).
fn iso(ms: u64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    let nanos = i128::from(ms) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_paths_decode_and_are_checked() {
        assert_eq!(connection_path("/@connections/abc%3D"), Some("abc=".into()));
        assert_eq!(
            connection_path("/%40connections/abc%3D"),
            Some("abc=".into())
        );
        assert_eq!(connection_path("/@connections/a%2Fb"), None);
        assert_eq!(connection_path("/other"), None);
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
    }
}
