//! One open WebSocket connection, from the 101 to `$disconnect`.
//!
//! One loop reads the client's frames and writes what the connection's
//! bounded queue holds (route answers, `@connections` posts). Each message
//! is handled on a task of its own, at most `in_flight` at once per
//! connection (a client that sends faster waits for one to finish), so
//! pings are answered while an integration runs. tokio-tungstenite checks
//! each frame: over the frame or message size closes with 1009, text that
//! is not UTF-8 with 1007, a protocol violation with 1002; pings get their
//! pong. No frame for `idle_timeout`, or `max_duration` since the connect,
//! closes with 1001. Each message is routed by the stage as it is deployed
//! now (a redeployment reaches open connections; a deleted stage closes
//! them with 1001). The connection leaves the registry before
//! `$disconnect` runs, once, whatever ended it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::events::{self, Kind, Meta, Payload};
use super::metrics::Event;
use super::registry::{Connection, Outgoing};
use super::routes::{self, Call};
use super::WebSockets;
use crate::snapshot::WsStage;

type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// Serves the connection until it closes, then runs `$disconnect`.
pub async fn run(
    ws: Arc<WebSockets>,
    stage: Arc<WsStage>,
    meta: Meta,
    handle: Arc<Connection>,
    outbox: mpsc::Receiver<Outgoing>,
    upgraded: Upgraded,
) {
    // The library's default read buffer (128 KiB, allocated up front) would
    // be most of an idle connection's memory; 4 KiB reads grow as needed.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_frame_size(Some(ws.limits.frame_bytes))
        .max_message_size(Some(ws.limits.message_bytes))
        .max_write_buffer_size(ws.limits.message_bytes * 2 + 1024)
        .write_buffer_size(0);
    let socket =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
    let meta = Arc::new(meta);
    let (code, reason) = serve(&ws, &stage, &meta, &handle, outbox, socket).await;
    ws.registry.remove(&handle.id);
    let stage = current(&ws, &stage).unwrap_or(stage);
    disconnect(&ws, &stage, &meta, code, reason).await;
}

/// The frame loop; how the connection ended (close code and reason).
async fn serve(
    ws: &Arc<WebSockets>,
    stage: &Arc<WsStage>,
    meta: &Arc<Meta>,
    handle: &Arc<Connection>,
    mut outbox: mpsc::Receiver<Outgoing>,
    socket: Socket,
) -> (u16, String) {
    let (mut sink, mut source) = socket.split();
    let mut tasks = JoinSet::new();
    let ends = Instant::now() + ws.limits.max_duration;
    let idle = tokio::time::sleep(ws.limits.idle_timeout);
    tokio::pin!(idle);
    let (code, reason, ours) = loop {
        tokio::select! {
            frame = source.next() => {
                let payload = match frame {
                    None => break (1006, String::new(), false),
                    Some(Ok(Message::Text(t))) => Payload::Text(t.to_string()),
                    Some(Ok(Message::Binary(b))) => Payload::Binary(b),
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame.map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.to_string()));
                        break (code, reason, false);
                    }
                    Some(Ok(_)) => {
                        // Ping (answered by the library) or pong.
                        handle.touch();
                        idle.as_mut().reset(Instant::now() + ws.limits.idle_timeout);
                        continue;
                    }
                    Some(Err(e)) => {
                        let (code, reason) = refusal(&e);
                        break (code, reason, true);
                    }
                };
                handle.touch();
                idle.as_mut().reset(Instant::now() + ws.limits.idle_timeout);
                while tasks.len() >= ws.limits.in_flight.max(1) {
                    tasks.join_next().await;
                }
                tasks.spawn(on_message(ws.clone(), stage.clone(), meta.clone(), handle.clone(), payload));
            }
            out = outbox.recv() => {
                let message = match out {
                    Some(Outgoing::Text(t)) => Message::text(t),
                    Some(Outgoing::Binary(b)) => Message::Binary(b),
                    Some(Outgoing::Close(code, reason)) => break (code, reason, true),
                    None => break (1001, "Going away".into(), true),
                };
                if sink.send(message).await.is_err() {
                    break (1006, "the client stopped reading".into(), false);
                }
            }
            _ = &mut idle => break (1001, "Going away".into(), true),
            _ = tokio::time::sleep_until(ends) => break (1001, "Going away".into(), true),
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    };
    tasks.abort_all();
    let closing = async {
        if ours {
            let frame = CloseFrame {
                code: CloseCode::from(code),
                reason: reason.clone().into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        let _ = sink.close().await;
        while let Some(Ok(_)) = source.next().await {}
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), closing).await;
    (code, reason)
}

/// The stage as it is deployed now (`None`: it is gone).
fn current(ws: &WebSockets, stage: &WsStage) -> Option<Arc<WsStage>> {
    ws.deployed
        .load_ws()
        .stage(&stage.api_id, &stage.stage_name)
        .cloned()
}

/// The close code and reason for a frame the library refused.
fn refusal(e: &WsError) -> (u16, String) {
    match e {
        WsError::Capacity(c) => (1009, format!("Message too big: {c}")),
        WsError::Utf8(_) => (1007, "Invalid UTF-8 in a text message".into()),
        WsError::Protocol(p) => (1002, format!("Protocol error: {p}")),
        other => (1006, other.to_string()),
    }
}

/// Routes one message and queues the answer of a two-way route.
async fn on_message(
    ws: Arc<WebSockets>,
    stage: Arc<WsStage>,
    meta: Arc<Meta>,
    handle: Arc<Connection>,
    payload: Payload,
) {
    let Some(stage) = current(&ws, &stage) else {
        let _ = handle.send(Outgoing::Close(1001, "Going away".into()));
        return;
    };
    let request_id = crate::ids::new_request_id();
    let error = |message: &str| {
        json!({"message": message, "connectionId": meta.connection_id, "requestId": request_id})
            .to_string()
    };
    let (api, name) = (stage.api_id.as_str(), stage.stage_name.as_str());
    let Some(route) = routes::select(&stage, &payload) else {
        ws.metrics.count(api, name, "$default", Event::Message);
        ws.metrics.count(api, name, "$default", Event::ClientError);
        let _ = handle.send(Outgoing::Text(error("Forbidden")));
        return;
    };
    let key = route.route_key.as_str();
    ws.metrics.count(api, name, key, Event::Message);
    if !ws.admit(&stage, route) {
        ws.metrics.count(api, name, key, Event::ClientError);
        let _ = handle.send(Outgoing::Text(error("Too Many Requests")));
        return;
    }
    let kind = Kind::Message {
        message_id: events::new_message_id(),
    };
    let context = events::request_context(&meta, &route.route_key, &kind, &request_id);
    let call = Call {
        context: &context,
        event: events::message_event(context.clone(), &payload),
        body: payload.bytes(),
        request_id: &request_id,
    };
    let started = std::time::Instant::now();
    let result = routes::integrate(&ws, &stage, route, call).await;
    ws.metrics.latency(api, name, key, started.elapsed());
    if result.as_ref().is_ok_and(|a| a.status >= 400) {
        ws.metrics.count(api, name, key, Event::IntegrationError);
    }
    match result {
        Ok(answer) if route.two_way => {
            if let Some(body) = answer.body {
                let _ = handle.send(Outgoing::Text(body));
            }
        }
        Ok(_) => {}
        Err(e) => {
            ws.metrics.count(api, name, key, Event::ExecutionError);
            tracing::warn!(api = %stage.api_id, route = %route.route_key, error = %e, "WebSocket integration failed");
            let _ = handle.send(Outgoing::Text(error("Internal server error")));
        }
    }
}

/// `$disconnect`, best effort: its integration runs once; nothing can be
/// sent back.
async fn disconnect(ws: &WebSockets, stage: &WsStage, meta: &Meta, code: u16, reason: String) {
    let Some(route) = stage.routes.get("$disconnect") else {
        return;
    };
    let request_id = crate::ids::new_request_id();
    let kind = Kind::Disconnect { code, reason };
    let context = events::request_context(meta, "$disconnect", &kind, &request_id);
    let call = Call {
        context: &context,
        event: events::disconnect_event(context.clone()),
        body: b"",
        request_id: &request_id,
    };
    if let Err(e) = routes::integrate(ws, stage, route, call).await {
        tracing::debug!(api = %stage.api_id, error = %e, "$disconnect integration failed");
    }
}
