//! AWS_PROXY and AWS integrations with Lambda functions (local or remote).
//!
//! Proxy: the request becomes the payload 1.0 event; the function's answer
//! must be a valid proxy response (else 502). Non-proxy: the (mapped) body
//! is the payload; a function error selects an integration response by its
//! `errorMessage`, anything else the default response.

use std::time::Instant;

use bytes::Bytes;
use http::Response;

use super::{
    add_trace_header, header_case, lambda_proxy, map_request_body, method_response, Carried,
};
use crate::dataplane::body::Body;
use crate::dataplane::context::RequestContext;
use crate::dataplane::error::RequestError;
use crate::functions::{function_name_from_uri, Functions, Invocation, InvokeError, Outcome};
use crate::snapshot::{FunctionRef, LambdaIntegration, UriPiece};

/// Invokes the integration's function and builds the method response.
pub(crate) async fn call(
    integration: &LambdaIntegration,
    functions: &Functions,
    ctx: &mut RequestContext,
    body: Bytes,
) -> Result<Response<Body>, RequestError> {
    let name = resolve_function(&integration.function, ctx)?;
    let stage = ctx.stage.clone();
    let binary_types: &[String] = stage.as_ref().map_or(&[], |s| &s.api.binary_media_types);
    let mut carried = Carried::default();
    let payload = if integration.proxy {
        let spelling = header_case::client_spelling(&ctx.headers, &ctx.extensions).await;
        Bytes::from(lambda_proxy::event_spelled(ctx, &body, binary_types, &spelling).to_string())
    } else {
        let mapped = map_request_body(
            &integration.passthrough,
            integration.content_handling,
            ctx,
            body,
        )?;
        carried = mapped.carried;
        // AWS invokes with `{}` when there is nothing to send.
        if mapped.body.is_empty() {
            Bytes::from_static(b"{}")
        } else {
            mapped.body
        }
    };
    let invocation = Invocation {
        request_id: ctx.request_id.clone(),
        payload,
        trace_id: Some(ctx.trace_header()),
    };
    let started = Instant::now();
    let outcome =
        tokio::time::timeout(integration.timeout, functions.invoke(&name, invocation)).await;
    ctx.integration_latency_ms = Some(started.elapsed().as_millis());
    let outcome = match outcome {
        Err(_) => {
            return Err(RequestError::IntegrationTimeout(
                integration.timeout.as_millis(),
            ))
        }
        Ok(Err(InvokeError::Throttled(name))) => {
            return Err(RequestError::Throttled(format!("function {name}")))
        }
        Ok(Err(other)) => return Err(RequestError::FunctionFailed(other.to_string())),
        Ok(Ok(outcome)) => outcome,
    };
    ctx.function_payload = Some(match &outcome {
        Outcome::Success(p) | Outcome::FunctionError(p) => p.clone(),
    });
    if integration.proxy {
        return match outcome {
            Outcome::Success(payload) => {
                ctx.integration_status = Some(200);
                let mut response =
                    lambda_proxy::response(&payload, ctx.header("accept"), binary_types)
                        .map_err(RequestError::BadFunctionResponse)?;
                add_trace_header(&mut response, ctx);
                Ok(response)
            }
            Outcome::FunctionError(payload) => {
                ctx.integration_status = Some(200);
                Err(RequestError::BadFunctionResponse(format!(
                    "the function failed: {}",
                    String::from_utf8_lossy(&payload)
                )))
            }
        };
    }
    let (payload, selected) = match outcome {
        Outcome::Success(payload) => {
            let selected = integration.responses.default.as_ref();
            (payload, selected)
        }
        Outcome::FunctionError(payload) => {
            let message = error_message(&payload);
            (payload, integration.responses.select(&message))
        }
    };
    ctx.integration_status = Some(200);
    let selected = selected
        .ok_or_else(|| RequestError::NoIntegrationResponse("the function's answer".into()))?;
    let mut response = method_response(selected, ctx, None, payload, &carried)?;
    add_trace_header(&mut response, ctx);
    Ok(response)
}

/// The function to call, resolving stage variables in the URI if needed.
pub(crate) fn resolve_function(
    function: &FunctionRef,
    ctx: &RequestContext,
) -> Result<String, RequestError> {
    match function {
        FunctionRef::Named(name) => Ok(name.clone()),
        FunctionRef::FromStageVariables(template) => {
            let mut uri = String::new();
            for piece in &template.pieces {
                match piece {
                    UriPiece::Text(t) => uri.push_str(t),
                    UriPiece::Path { name, .. } => uri.push_str(&format!("{{{name}}}")),
                    UriPiece::StageVariable(v) => {
                        uri.push_str(ctx.stage_variable(v).ok_or_else(|| {
                            RequestError::IntegrationUnavailable(format!(
                                "stage variable `{v}` in the function URI is not set"
                            ))
                        })?)
                    }
                }
            }
            function_name_from_uri(&uri)
                .map(str::to_string)
                .ok_or_else(|| {
                    RequestError::IntegrationUnavailable(format!("no function name in `{uri}`"))
                })
        }
    }
}

/// `errorMessage` of a Lambda error payload (the whole payload if it has none).
fn error_message(payload: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(payload).into_owned())
}
