//! Route selection and integrations of WebSocket routes.
//!
//! A text message that is a JSON object is routed by the API's route
//! selection expression (`$request.body.action`: the value at that path,
//! as text); one whose value names no route, a non-JSON or a binary
//! message goes to `$default` (none: AWS's "Forbidden" answer).
//!
//! Integrations: MOCK (the request template's `statusCode` picks the
//! integration response; its template, given the message as `$input`, is
//! the answer), AWS_PROXY (the Lambda proxy event; `statusCode` and `body`
//! of the result), AWS (the request template's output, or the message, to
//! the function), HTTP (the request template's output POSTed) and
//! HTTP_PROXY (the message POSTed as is). Integration responses are chosen
//! by status (`/regex/` keys, then `$default`) and their template renders
//! the answer; the answer goes back to the client only on a route with a
//! `$default` route response.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::Value;

use super::events::Payload;
use super::WebSockets;
use crate::functions::{Invocation, Outcome};
use crate::snapshot::{WsIntegration, WsRoute, WsStage, WsTarget};
use crate::vtl;

/// An integration's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// What goes back to the client (two-way routes), if anything.
    pub body: Option<String>,
    /// `$connect`: the subprotocol a Lambda proxy answer selected.
    pub subprotocol: Option<String>,
}

/// Why an integration gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("the route has no integration")]
    NoIntegration,
    #[error("the integration timed out")]
    Timeout,
    #[error("{0}")]
    Backend(String),
    #[error("mapping template: {0}")]
    Template(String),
}

/// What an integration is called with.
pub struct Call<'a> {
    /// `requestContext` / `$context`.
    pub context: &'a Value,
    /// The Lambda proxy event.
    pub event: Value,
    /// The message (empty for `$connect` and `$disconnect`).
    pub body: &'a [u8],
    pub request_id: &'a str,
}

/// The route for `payload`, by the stage's selection expression.
pub fn select<'s>(stage: &'s WsStage, payload: &Payload) -> Option<&'s Arc<WsRoute>> {
    let key = match payload {
        Payload::Text(text) => selected_key(&stage.selection, text),
        Payload::Binary(_) => None,
    };
    key.and_then(|k| stage.routes.get(&k))
        .filter(|r| !r.route_key.starts_with('$') || r.route_key == "$default")
        .or_else(|| stage.routes.get("$default"))
}

/// The value at `path` of a JSON object message, as text.
fn selected_key(path: &[String], text: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let mut value: Value = serde_json::from_str(text).ok()?;
    for part in path {
        value = value.get_mut(part)?.take();
    }
    match value {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Runs `route`'s integration.
pub async fn integrate(
    ws: &WebSockets,
    stage: &WsStage,
    route: &WsRoute,
    call: Call<'_>,
) -> Result<Answer, Failure> {
    let integration = route.integration.as_ref().ok_or(Failure::NoIntegration)?;
    let work = run(ws, stage, integration, &call);
    match tokio::time::timeout(integration.timeout, work).await {
        Ok(answer) => answer,
        Err(_) => Err(Failure::Timeout),
    }
}

async fn run(
    ws: &WebSockets,
    stage: &WsStage,
    integration: &WsIntegration,
    call: &Call<'_>,
) -> Result<Answer, Failure> {
    match &integration.target {
        WsTarget::Mock => {
            let rendered = request_text(stage, integration, call)?;
            let status = rendered
                .as_deref()
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .and_then(|v| v.get("statusCode").and_then(Value::as_u64))
                .map_or(200, |s| u16::try_from(s).unwrap_or(500));
            respond(stage, integration, call, status, call.body)
        }
        WsTarget::LambdaProxy(name) => {
            let out = invoke(ws, name, call, call.event.to_string().into()).await?;
            Ok(proxy_answer(&out))
        }
        WsTarget::Lambda(name) => {
            let payload = request_text(stage, integration, call)?
                .map_or_else(|| Bytes::copy_from_slice(call.body), Bytes::from);
            let out = invoke(ws, name, call, payload).await?;
            respond(stage, integration, call, 200, &out)
        }
        WsTarget::Http { uri, proxy, method } => {
            let payload = match proxy {
                true => Bytes::copy_from_slice(call.body),
                false => request_text(stage, integration, call)?
                    .map_or_else(|| Bytes::copy_from_slice(call.body), Bytes::from),
            };
            let (status, out) = http(ws, uri, method, payload).await?;
            match proxy {
                true => Ok(Answer {
                    status,
                    body: Some(String::from_utf8_lossy(&out).into_owned()),
                    subprotocol: None,
                }),
                false => respond(stage, integration, call, status, &out),
            }
        }
    }
}

/// The request template rendered (`None`: the integration has none).
fn request_text(
    stage: &WsStage,
    integration: &WsIntegration,
    call: &Call<'_>,
) -> Result<Option<String>, Failure> {
    let Some(template) = &integration.request_template else {
        return Ok(None);
    };
    render(template, stage, call.context, call.body).map(Some)
}

/// The integration response for `status` and its template rendered over
/// `body` (no template: the body as it is).
fn respond(
    stage: &WsStage,
    integration: &WsIntegration,
    call: &Call<'_>,
    status: u16,
    body: &[u8],
) -> Result<Answer, Failure> {
    let code = status.to_string();
    let chosen = integration
        .responses
        .iter()
        .find(|(pattern, _)| pattern.as_ref().is_none_or(|p| p.is_match(&code)));
    let text = match chosen {
        Some((_, Some(template))) => Some(render(template, stage, call.context, body)?),
        Some((_, None)) | None if !matches!(integration.target, WsTarget::Mock) => {
            Some(String::from_utf8_lossy(body).into_owned())
        }
        _ => None,
    };
    Ok(Answer {
        status,
        body: text,
        subprotocol: None,
    })
}

fn render(
    template: &vtl::Template,
    stage: &WsStage,
    context: &Value,
    body: &[u8],
) -> Result<String, Failure> {
    let variables: serde_json::Map<String, Value> = stage
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let bindings = vtl::Bindings {
        body,
        path: Vec::new(),
        querystring: Vec::new(),
        header: Vec::new(),
        context: vtl::Value::from_json(context),
        stage_variables: vtl::Value::from_json(&Value::Object(variables)),
        body_from_client: true,
    };
    template
        .render(&bindings, &vtl::Limits::default())
        .map(|r| r.text)
        .map_err(|e| Failure::Template(e.to_string()))
}

async fn invoke(
    ws: &WebSockets,
    name: &str,
    call: &Call<'_>,
    payload: Bytes,
) -> Result<Bytes, Failure> {
    let invocation = Invocation {
        request_id: call.request_id.to_string(),
        payload,
        trace_id: None,
    };
    match ws.functions.invoke(name, invocation).await {
        Ok(Outcome::Success(out)) => Ok(out),
        Ok(Outcome::FunctionError(out)) => Err(Failure::Backend(format!(
            "function {name} failed: {}",
            String::from_utf8_lossy(&out)
        ))),
        Err(e) => Err(Failure::Backend(e.to_string())),
    }
}

/// A Lambda proxy result: `statusCode` (absent: 200), `body` (a string,
/// or JSON written out), `headers["Sec-WebSocket-Protocol"]`. A result
/// that is not an object is the body itself.
pub fn proxy_answer(out: &[u8]) -> Answer {
    let value: Value = serde_json::from_slice(out).unwrap_or(Value::Null);
    let Value::Object(fields) = &value else {
        return Answer {
            status: 200,
            body: (!out.is_empty() && value != Value::Null)
                .then(|| String::from_utf8_lossy(out).into_owned()),
            subprotocol: None,
        };
    };
    let status = fields
        .get("statusCode")
        .and_then(Value::as_u64)
        .map_or(200, |s| u16::try_from(s).unwrap_or(502));
    let body = fields.get("body").map(|b| match b {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let subprotocol = fields
        .get("headers")
        .and_then(Value::as_object)
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-protocol"))
        })
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string);
    Answer {
        status,
        body,
        subprotocol,
    }
}

/// POSTs (or `method`s) `payload` to `uri`; status and body (at most
/// 128 KB read).
async fn http(
    ws: &WebSockets,
    uri: &str,
    method: &str,
    payload: Bytes,
) -> Result<(u16, Bytes), Failure> {
    let client = ws
        .client
        .get()
        .ok_or_else(|| Failure::Backend("no HTTP client".into()))?;
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(payload))
        .map_err(|e| Failure::Backend(format!("integrationUri {uri}: {e}")))?;
    let response = client.send(request).await.map_err(Failure::Backend)?;
    let status = response.status().as_u16();
    let body = http_body_util::Limited::new(response.into_body(), 128 * 1024)
        .collect()
        .await
        .map_err(|e| Failure::Backend(format!("the backend's answer: {e}")))?
        .to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_selection_path() {
        let path = vec!["action".to_string()];
        assert_eq!(
            selected_key(&path, r#"{"action":"send"}"#),
            Some("send".into())
        );
        assert_eq!(selected_key(&path, r#"{"action":7}"#), Some("7".into()));
        assert_eq!(selected_key(&path, r#"{"other":1}"#), None);
        assert_eq!(selected_key(&path, "not json"), None);
        let deep = vec!["a".to_string(), "b".to_string()];
        assert_eq!(selected_key(&deep, r#"{"a":{"b":"x"}}"#), Some("x".into()));
    }

    #[test]
    fn proxy_results_give_status_body_and_subprotocol() {
        let a = proxy_answer(br#"{"statusCode": 403}"#);
        assert_eq!((a.status, a.body), (403, None));
        let a = proxy_answer(br#"{"statusCode": 200, "body": {"x": 1}, "headers": {"Sec-WebSocket-Protocol": "chat"}}"#);
        assert_eq!(a.body.as_deref(), Some(r#"{"x":1}"#));
        assert_eq!(a.subprotocol.as_deref(), Some("chat"));
        assert_eq!(proxy_answer(b"null").status, 200);
    }
}
