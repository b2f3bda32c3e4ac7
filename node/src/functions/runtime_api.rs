//! The AWS Lambda Runtime API, served to one function instance on its own
//! loopback port (`AWS_LAMBDA_RUNTIME_API`):
//!
//! - `GET  /2018-06-01/runtime/invocation/next` waits for the next event;
//! - `POST /2018-06-01/runtime/invocation/{id}/response` delivers a result;
//! - `POST /2018-06-01/runtime/invocation/{id}/error` reports a failure;
//! - `POST /2018-06-01/runtime/init/error` reports a failed start.
//!
//! One port per instance tells which process is asking, so a timed-out
//! invocation kills exactly the process that ran it.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::state::{InstanceState, Job};
use super::{error_payload, Outcome};

const PREFIX: &str = "/2018-06-01/runtime/";
/// Lambda's limit on a synchronous response.
pub(crate) const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// Serves the Runtime API for one instance until the task is dropped.
pub(crate) async fn serve(listener: TcpListener, state: Arc<InstanceState>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(&state, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(state: &InstanceState, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let Some(route) = path.strip_prefix(PREFIX) else {
        return reply(
            StatusCode::NOT_FOUND,
            error_payload("NotFound", "unknown Runtime API path"),
        );
    };
    match (req.method().clone(), route) {
        (Method::GET, "invocation/next") => next(state).await,
        (Method::POST, "init/error") => {
            let body = read(req).await.unwrap_or_default();
            state.init_failed(body);
            accepted()
        }
        (Method::POST, rest) => {
            let Some((id, kind)) = rest
                .strip_prefix("invocation/")
                .and_then(|r| r.split_once('/'))
            else {
                return reply(
                    StatusCode::NOT_FOUND,
                    error_payload("NotFound", "unknown Runtime API path"),
                );
            };
            let id = id.to_string();
            let kind = kind.to_string();
            let body = match read(req).await {
                Ok(b) => b,
                Err(()) => {
                    let message = format!(
                        "Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
                    );
                    state.finish(
                        &id,
                        Outcome::FunctionError(error_payload(
                            "Function.ResponseSizeTooLarge",
                            &message,
                        )),
                    );
                    return reply(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        error_payload("RequestEntityTooLarge", &message),
                    );
                }
            };
            let outcome = match kind.as_str() {
                "response" => Outcome::Success(body),
                "error" => Outcome::FunctionError(body),
                _ => {
                    return reply(
                        StatusCode::NOT_FOUND,
                        error_payload("NotFound", "unknown Runtime API path"),
                    )
                }
            };
            if state.finish(&id, outcome) {
                accepted()
            } else {
                reply(
                    StatusCode::BAD_REQUEST,
                    error_payload("InvalidRequestID", "Invalid request ID"),
                )
            }
        }
        _ => reply(
            StatusCode::METHOD_NOT_ALLOWED,
            error_payload("MethodNotAllowed", "method not allowed"),
        ),
    }
}

/// Long-polls for the next job and hands it to the runtime.
async fn next(state: &InstanceState) -> Response<Full<Bytes>> {
    let Some(job) = state.next_job().await else {
        return reply(
            StatusCode::GONE,
            error_payload("Shutdown", "the instance is stopping"),
        );
    };
    let Job {
        request_id,
        payload,
        deadline_ms,
        trace_id,
        reply,
    } = job;
    state.started(&request_id, reply);
    let mut response = Response::new(Full::new(payload));
    let headers = response.headers_mut();
    let arn = format!(
        "arn:aws:lambda:{}:{}:function:{}",
        state.region,
        crate::policy::account(),
        state.function
    );
    for (name, value) in [
        ("lambda-runtime-aws-request-id", request_id),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", arn),
        (
            "lambda-runtime-trace-id",
            trace_id.unwrap_or_else(|| {
                format!("Root=1-{:08x}-{}", deadline_ms / 1000, &state.trace_suffix)
            }),
        ),
        ("content-type", "application/json".into()),
    ] {
        if let Ok(v) = value.parse() {
            headers.insert(name, v);
        }
    }
    response
}

async fn read(req: Request<Incoming>) -> Result<Bytes, ()> {
    Limited::new(req.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|_| ())
}

fn accepted() -> Response<Full<Bytes>> {
    reply(
        StatusCode::ACCEPTED,
        Bytes::from_static(br#"{"status":"OK"}"#),
    )
}

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    r
}
