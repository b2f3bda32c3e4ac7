//! What a WebSocket integration is given, in AWS's shapes: the
//! `requestContext` of every event (and `$context` of mapping templates),
//! and the Lambda proxy events for CONNECT (headers, multi-value headers,
//! query string), MESSAGE (the body, `messageId`) and DISCONNECT
//! (`disconnectStatusCode`, `disconnectReason`); `isBase64Encoded` is true
//! only for binary messages.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine;
use http::HeaderMap;
use serde_json::{json, Map, Value};

use super::registry::now_ms;

/// What stays the same over a connection's life.
#[derive(Debug, Clone)]
pub struct Meta {
    pub connection_id: String,
    pub api_id: String,
    pub stage: String,
    /// The Host the client connected to (`{api-id}.execute-api.{region}.amazonaws.com`
    /// on AWS; here as the client sent it).
    pub domain_name: String,
    /// Milliseconds since the epoch.
    pub connected_at: u64,
    pub source_ip: IpAddr,
    pub user_agent: Option<String>,
    pub stage_variables: BTreeMap<String, String>,
    /// What the `$connect` authorizer returned: `principalId` and its
    /// context, as `requestContext.authorizer` of every later event.
    pub authorizer: Option<Value>,
}

/// Which event.
#[derive(Debug, Clone)]
pub enum Kind {
    Connect,
    Message { message_id: String },
    Disconnect { code: u16, reason: String },
}

/// A message as it arrived.
#[derive(Debug, Clone)]
pub enum Payload {
    Text(String),
    Binary(bytes::Bytes),
}

impl Payload {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Payload::Text(t) => t.as_bytes(),
            Payload::Binary(b) => b,
        }
    }
}

/// The `requestContext` of one event.
pub fn request_context(meta: &Meta, route_key: &str, kind: &Kind, request_id: &str) -> Value {
    let now = std::time::SystemTime::now();
    let mut ctx = json!({
        "routeKey": route_key,
        "eventType": match kind {
            Kind::Connect => "CONNECT",
            Kind::Message { .. } => "MESSAGE",
            Kind::Disconnect { .. } => "DISCONNECT",
        },
        "extendedRequestId": request_id,
        "requestTime": crate::dataplane::context::clf_time(now),
        "messageDirection": "IN",
        "stage": meta.stage,
        "connectedAt": meta.connected_at,
        "requestTimeEpoch": now_ms(),
        "identity": identity(meta),
        "requestId": request_id,
        "domainName": meta.domain_name,
        "connectionId": meta.connection_id,
        "apiId": meta.api_id,
    });
    match kind {
        Kind::Message { message_id } => ctx["messageId"] = json!(message_id),
        Kind::Disconnect { code, reason } => {
            ctx["disconnectStatusCode"] = json!(code);
            ctx["disconnectReason"] = json!(reason);
        }
        Kind::Connect => {}
    }
    if let Some(authorizer) = &meta.authorizer {
        ctx["authorizer"] = authorizer.clone();
    }
    ctx
}

fn identity(meta: &Meta) -> Value {
    let mut identity = json!({"sourceIp": meta.source_ip.to_string()});
    if let Some(agent) = &meta.user_agent {
        identity["userAgent"] = json!(agent);
    }
    identity
}

/// The CONNECT event: headers (last value and every value), the query
/// string (absent when there is none).
pub fn connect_event(ctx: Value, headers: &HeaderMap, query: &[(String, String)]) -> Value {
    let (single, multi) = header_maps(headers);
    let mut event = json!({
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": ctx,
        "isBase64Encoded": false,
    });
    if !query.is_empty() {
        let (single, multi) = query_maps(query);
        event["queryStringParameters"] = single;
        event["multiValueQueryStringParameters"] = multi;
    }
    event
}

/// The MESSAGE event.
pub fn message_event(ctx: Value, payload: &Payload) -> Value {
    let (body, base64) = match payload {
        Payload::Text(t) => (t.clone(), false),
        Payload::Binary(b) => (base64::engine::general_purpose::STANDARD.encode(b), true),
    };
    json!({"requestContext": ctx, "body": body, "isBase64Encoded": base64})
}

/// The DISCONNECT event.
pub fn disconnect_event(ctx: Value) -> Value {
    json!({"requestContext": ctx, "isBase64Encoded": false})
}

/// Header names as the client spelled them (hyper gives them lower-case,
/// as AWS passes most of them); the last value, and every value.
pub fn header_maps(headers: &HeaderMap) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let name = title_case(name.as_str());
        single.insert(name.clone(), json!(value));
        match multi.get_mut(&name).and_then(Value::as_array_mut) {
            Some(list) => list.push(json!(value)),
            None => drop(multi.insert(name, json!([value]))),
        }
    }
    (Value::Object(single), Value::Object(multi))
}

fn query_maps(query: &[(String, String)]) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in query {
        single.insert(k.clone(), json!(v));
        match multi.get_mut(k).and_then(Value::as_array_mut) {
            Some(list) => list.push(json!(v)),
            None => drop(multi.insert(k.clone(), json!([v]))),
        }
    }
    (Value::Object(single), Value::Object(multi))
}

/// `sec-websocket-key` as AWS spells it: `Sec-WebSocket-Key`.
fn title_case(name: &str) -> String {
    match name {
        "host" => return "Host".into(),
        "sec-websocket-key" => return "Sec-WebSocket-Key".into(),
        "sec-websocket-version" => return "Sec-WebSocket-Version".into(),
        "sec-websocket-extensions" => return "Sec-WebSocket-Extensions".into(),
        "sec-websocket-protocol" => return "Sec-WebSocket-Protocol".into(),
        _ => {}
    }
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A fresh message id, as AWS's (`Vh3ZxdfaIAMCJFQ=`).
pub fn new_message_id() -> String {
    super::registry::random_text(15) + "="
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            connection_id: "C1=".into(),
            api_id: "a1".into(),
            stage: "prod".into(),
            domain_name: "a1.execute-api.localhost".into(),
            connected_at: 5,
            source_ip: IpAddr::from([127, 0, 0, 1]),
            user_agent: Some("ua".into()),
            stage_variables: BTreeMap::new(),
            authorizer: None,
        }
    }

    #[test]
    fn contexts_carry_aws_fields_by_event() {
        let m = Kind::Message {
            message_id: "M=".into(),
        };
        let ctx = request_context(&meta(), "send", &m, "r1");
        assert_eq!(ctx["eventType"], "MESSAGE");
        assert_eq!(ctx["messageId"], "M=");
        assert_eq!(ctx["connectedAt"], 5);
        assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
        let d = Kind::Disconnect {
            code: 1001,
            reason: "bye".into(),
        };
        let ctx = request_context(&meta(), "$disconnect", &d, "r2");
        assert_eq!(ctx["disconnectStatusCode"], 1001);
        assert!(ctx.get("messageId").is_none());
        let event = message_event(ctx, &Payload::Binary(bytes::Bytes::from_static(b"\x01")));
        assert_eq!(event["isBase64Encoded"], true);
        assert_eq!(event["body"], "AQ==");
        assert!(event.get("multiValueHeaders").is_none());
    }

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(title_case("x-forwarded-for"), "X-Forwarded-For");
        assert_eq!(title_case("sec-websocket-key"), "Sec-WebSocket-Key");
    }
}
