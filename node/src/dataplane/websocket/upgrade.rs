//! The opening handshake of a WebSocket API connection (RFC 6455 §4.2 over
//! HTTP/1.1, hyper's upgrade). Before the 101 is sent, `$connect` runs:
//! its authorization (AWS_IAM: SigV4 for `execute-api` with the configured
//! IAM users; CUSTOM: the REQUEST authorizer, whose missing identity
//! sources are 401, Deny 403, failure 500) and then its integration, whose
//! non-2xx answer refuses the upgrade with that status. The subprotocol is
//! the one the integration's answer names (`Sec-WebSocket-Protocol`), as
//! on AWS; none is chosen for it otherwise.

use std::net::IpAddr;
use std::sync::Arc;

use http::header::{
    HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_PROTOCOL, UPGRADE,
};
use http::{HeaderMap, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::events::{self, Kind, Meta};
use super::metrics::Event;
use super::registry::{new_connection_id, Connection};
use super::routes::{self, Call};
use super::{connection, Callers, WebSockets};
use crate::dataplane::body::{full, Body};
use crate::dataplane::context::RequestContext;
use crate::functions::{Invocation, Outcome};
use crate::policy::{self, Decision, Policy, Subject};
use crate::snapshot::{IdentitySource, WsAuth, WsAuthorizer, WsRoute, WsStage};

/// Whether `headers` ask for a WebSocket upgrade.
pub fn wants_upgrade(headers: &HeaderMap) -> bool {
    let has = |name, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    has(UPGRADE, "websocket") && has(CONNECTION, "upgrade")
}

/// AWS-style JSON refusal.
pub fn refuse(status: StatusCode, message: &str) -> Response<Body> {
    let mut r = Response::new(full(json!({ "message": message }).to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// Answers an upgrade request for `stage`: 101 and the connection, or the
/// refusal `$connect` gave.
pub async fn upgrade<B: Send + 'static>(
    ws: &Arc<WebSockets>,
    callers: &Callers<'_>,
    mut request: Request<B>,
    client: IpAddr,
    stage: Arc<WsStage>,
) -> Response<Body> {
    let headers = request.headers();
    let key = match handshake_key(&request) {
        Ok(key) => key,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message),
    };
    if !ws.registry.has_room() {
        return refuse(StatusCode::TOO_MANY_REQUESTS, "Limit Exceeded");
    }
    let ctx = RequestContext::new(
        client,
        request.method().clone(),
        request.uri(),
        headers.clone(),
        request.version(),
    );
    let mut meta = Meta {
        connection_id: new_connection_id(ws.node_id),
        api_id: stage.api_id.clone(),
        stage: stage.stage_name.clone(),
        domain_name: ctx.domain_name.clone(),
        connected_at: super::registry::now_ms(),
        source_ip: client,
        user_agent: ctx.header("user-agent").map(str::to_string),
        stage_variables: stage.variables.clone(),
        authorizer: None,
    };
    let subprotocol = match connect(ws, callers, &stage, &mut meta, &ctx).await {
        Ok(subprotocol) => subprotocol,
        Err(refusal) => return refusal,
    };
    let (tx, rx) = tokio::sync::mpsc::channel(ws.limits.send_queue.max(1));
    let handle = Arc::new(Connection::new(
        meta.connection_id.clone(),
        &meta.api_id,
        &meta.stage,
        client,
        meta.user_agent.clone(),
        tx,
    ));
    if !ws.registry.insert(handle.clone()) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, "Limit Exceeded");
    }
    let on_upgrade = hyper::upgrade::on(&mut request);
    let ws = ws.clone();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => connection::run(ws, stage, meta, handle, rx, upgraded).await,
            Err(e) => {
                tracing::debug!(error = %e, "WebSocket upgrade did not complete");
                ws.registry.remove(&handle.id);
            }
        }
    });
    switching(&key, subprotocol.as_deref())
}

/// The client's `Sec-WebSocket-Key`, once the request is a valid
/// handshake (GET, version 13, a 16-byte key).
fn handshake_key<B>(request: &Request<B>) -> Result<String, &'static str> {
    if request.version() != http::Version::HTTP_11 {
        return Err("WebSocket connections are opened over HTTP/1.1 (not yet over HTTP/2)");
    }
    if request.method() != http::Method::GET {
        return Err("A WebSocket handshake is a GET");
    }
    let headers = request.headers();
    if headers
        .get("sec-websocket-version")
        .and_then(|v| v.to_str().ok())
        != Some("13")
    {
        return Err("Sec-WebSocket-Version must be 13");
    }
    let key = headers
        .get("sec-websocket-key")
        .and_then(|v| v.to_str().ok())
        .ok_or("Sec-WebSocket-Key is missing")?;
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(key.trim()) {
        Ok(raw) if raw.len() == 16 => Ok(key.trim().to_string()),
        _ => Err("Sec-WebSocket-Key is not 16 bytes of base64"),
    }
}

fn switching(key: &str, subprotocol: Option<&str>) -> Response<Body> {
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut r = Response::new(crate::dataplane::body::empty());
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(SEC_WEBSOCKET_ACCEPT, v);
    }
    if let Some(v) = subprotocol.and_then(|p| HeaderValue::from_str(p).ok()) {
        h.insert(SEC_WEBSOCKET_PROTOCOL, v);
    }
    r
}

/// `$connect`: authorization then integration; the subprotocol chosen, or
/// the refusal.
async fn connect(
    ws: &WebSockets,
    callers: &Callers<'_>,
    stage: &WsStage,
    meta: &mut Meta,
    ctx: &RequestContext,
) -> Result<Option<String>, Response<Body>> {
    let Some(route) = stage.routes.get("$connect") else {
        return Ok(None);
    };
    let count = |event| {
        ws.metrics
            .count(&stage.api_id, &stage.stage_name, "$connect", event)
    };
    count(Event::Connect);
    if !ws.admit(stage, route) {
        count(Event::ClientError);
        return Err(refuse(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests"));
    }
    if let Err(refusal) = authorize(ws, callers, stage, route, meta, ctx).await {
        count(match refusal.status() {
            StatusCode::INTERNAL_SERVER_ERROR => Event::ExecutionError,
            _ => Event::ClientError,
        });
        return Err(refusal);
    }
    if route.integration.is_none() {
        return Ok(None);
    }
    let request_id = ctx.request_id.clone();
    let context = events::request_context(meta, "$connect", &Kind::Connect, &request_id);
    let event = events::connect_event(context.clone(), &ctx.headers, ctx.query());
    let call = Call {
        context: &context,
        event,
        body: b"",
        request_id: &request_id,
    };
    let started = std::time::Instant::now();
    let result = routes::integrate(ws, stage, route, call).await;
    let took = started.elapsed();
    ws.metrics
        .latency(&stage.api_id, &stage.stage_name, "$connect", took);
    match result {
        Ok(answer) if (200..300).contains(&answer.status) => Ok(answer.subprotocol),
        Ok(answer) => {
            count(Event::IntegrationError);
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut r = Response::new(full(answer.body.unwrap_or_default()));
            *r.status_mut() = status;
            Err(r)
        }
        Err(e) => {
            count(Event::ExecutionError);
            tracing::warn!(api = %stage.api_id, error = %e, "$connect integration failed");
            Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
            ))
        }
    }
}

async fn authorize(
    ws: &WebSockets,
    callers: &Callers<'_>,
    stage: &WsStage,
    route: &WsRoute,
    meta: &mut Meta,
    ctx: &RequestContext,
) -> Result<(), Response<Body>> {
    match &route.auth {
        WsAuth::None => Ok(()),
        WsAuth::Iam => {
            let regions = [ws.region.as_str()];
            crate::dataplane::iam::verify(callers.iam, ctx, b"", &regions)
                .map(drop)
                .map_err(|_| refuse(StatusCode::FORBIDDEN, "Forbidden"))
        }
        WsAuth::Lambda(authorizer) => {
            meta.authorizer = Some(by_lambda(ws, stage, authorizer, meta, ctx).await?);
            Ok(())
        }
    }
}

/// The REQUEST authorizer's verdict: its principal and context, or the
/// refusal (401 without identity, 403 on Deny, 500 on failure).
async fn by_lambda(
    ws: &WebSockets,
    stage: &WsStage,
    authorizer: &WsAuthorizer,
    meta: &Meta,
    ctx: &RequestContext,
) -> Result<Value, Response<Body>> {
    let present = |s: &IdentitySource| match s {
        IdentitySource::Header(name) => ctx.header(name).is_some_and(|v| !v.is_empty()),
        IdentitySource::Query(name) => ctx.query().iter().any(|(k, v)| k == name && !v.is_empty()),
    };
    if !authorizer.sources.iter().all(present) {
        return Err(refuse(StatusCode::UNAUTHORIZED, "Unauthorized"));
    }
    let method_arn = format!(
        "arn:aws:execute-api:{}:{}:{}/{}/$connect",
        ws.region,
        policy::account(),
        stage.api_id,
        stage.stage_name
    );
    let context = events::request_context(meta, "$connect", &Kind::Connect, &ctx.request_id);
    let mut event = events::connect_event(context, &ctx.headers, ctx.query());
    event["type"] = json!("REQUEST");
    event["methodArn"] = json!(method_arn);
    event["stageVariables"] = json!(stage.variables);
    let failed = |why: String| {
        tracing::warn!(authorizer = %authorizer.id, "authorizer failed: {why}");
        refuse(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    };
    let invocation = Invocation {
        request_id: ctx.request_id.clone(),
        payload: event.to_string().into(),
        trace_id: None,
    };
    let out = match ws.functions.invoke(&authorizer.function, invocation).await {
        Ok(Outcome::Success(out)) => out,
        Ok(Outcome::FunctionError(out)) => {
            let text = String::from_utf8_lossy(&out);
            if text.contains("Unauthorized") {
                return Err(refuse(StatusCode::UNAUTHORIZED, "Unauthorized"));
            }
            return Err(failed(text.into_owned()));
        }
        Err(e) => return Err(failed(e.to_string())),
    };
    verdict(&out, &method_arn, ctx).map_err(|e| match e {
        Verdict::Denied => refuse(StatusCode::FORBIDDEN, "Forbidden"),
        Verdict::Broken(why) => failed(why),
    })
}

enum Verdict {
    Denied,
    Broken(String),
}

/// The authorizer's answer judged for `method_arn`: `requestContext.authorizer`.
fn verdict(out: &[u8], method_arn: &str, ctx: &RequestContext) -> Result<Value, Verdict> {
    let answer: Value = serde_json::from_slice(out).map_err(|e| Verdict::Broken(e.to_string()))?;
    let principal = match answer.get("principalId") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(Verdict::Broken("the answer has no principalId".into())),
    };
    let policy = Policy::parse(answer.get("policyDocument").unwrap_or(&Value::Null))
        .map_err(Verdict::Broken)?;
    let subject = Subject {
        action: policy::INVOKE,
        resource: method_arn,
        arn_prefix: "",
        caller: None,
        source_ip: ctx.source_ip,
        secure_transport: false,
        now: ctx.started_at,
        user_agent: ctx.header("user-agent"),
        referer: ctx.header("referer"),
    };
    if policy.evaluate(&subject) != Decision::Allow {
        return Err(Verdict::Denied);
    }
    let mut out = json!({ "principalId": principal });
    if let Some(Value::Object(fields)) = answer.get("context") {
        for (k, v) in fields {
            out[k] = v.clone();
        }
    }
    Ok(out)
}
