//! Serverless functions: what AWS_PROXY and AWS (Lambda) integrations call.
//!
//! - [`local`]: functions run here as child processes speaking the AWS Lambda
//!   Runtime API ([`runtime_api`]), so handlers built with the official
//!   runtime interface clients run unmodified; warm reuse, cold start on
//!   demand, a concurrency limit, timeouts that kill, restarts after crashes;
//! - [`remote`]: functions called through the Lambda Invoke API, signed with
//!   SigV4 (AWS Lambda, `sam local start-lambda`, the Runtime Interface Emulator);
//! - [`metrics`]: invocations, errors, duration, cold starts, concurrency.

mod instance;
pub mod local;
pub mod metrics;
pub mod remote;
mod runtime_api;
mod state;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

pub use crate::model::function::{
    function_name_from_uri, FunctionDecl, FunctionSpec, LocalSpec, RemoteSpec,
};
pub use local::LocalFunction;
pub use metrics::MetricsSnapshot;
pub use remote::RemoteFunction;

/// What a function returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The handler's result.
    Success(Bytes),
    /// The handler failed (an exception, a timeout, a crash): Lambda's error
    /// payload (`{"errorMessage": ..., "errorType": ...}`).
    FunctionError(Bytes),
}

/// Why a function could not be invoked at all.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("function `{0}` is not declared")]
    NotFound(String),
    #[error("function `{0}` is at its concurrency limit")]
    Throttled(String),
    #[error("function `{name}` cannot run: {reason}")]
    Unavailable { name: String, reason: String },
    #[error("remote function `{name}`: {reason}")]
    Remote { name: String, reason: String },
}

/// One invocation's input.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The API request id; the function's own request id is derived from it.
    pub request_id: String,
    pub payload: Bytes,
    /// The request's `X-Amzn-Trace-Id`, handed to local functions as
    /// `Lambda-Runtime-Trace-Id` (the runtime clients set `_X_AMZN_TRACE_ID`
    /// from it); `None`: one of the instance's own.
    pub trace_id: Option<String>,
}

/// A declared function.
#[derive(Clone)]
pub enum Function {
    Local(Arc<LocalFunction>),
    Remote(Arc<RemoteFunction>),
}

impl Function {
    pub async fn invoke(&self, invocation: Invocation) -> Result<Outcome, InvokeError> {
        match self {
            Function::Local(f) => f.invoke(invocation).await,
            Function::Remote(f) => f.invoke(invocation).await,
        }
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        match self {
            Function::Local(f) => f.metrics(),
            Function::Remote(f) => f.metrics(),
        }
    }
}

/// A declared function and the declaration it was built from.
#[derive(Clone)]
struct Entry {
    decl: FunctionDecl,
    function: Function,
}

/// Every declared function, by name, and the runtime they run on.
///
/// Invocations run on that runtime (a multi-threaded one the node sets aside
/// for functions), not on the data-plane worker that asked: the Runtime API
/// servers and process supervisors live there, and an invocation whose caller
/// gave up (an integration timeout) still ends cleanly, returning its
/// instance to the pool or killing it.
///
/// The set follows the stored declarations ([`Functions::apply`]): new ones
/// are started, changed ones rebuilt, dropped ones stopped.
pub struct Functions {
    by_name: arc_swap::ArcSwap<BTreeMap<String, Entry>>,
    runtime: tokio::runtime::Handle,
    /// The Invoke API client for remote functions (`None` if TLS could not
    /// be set up: remote functions are then left out, with an error logged).
    client: Option<crate::outbound::HttpClient>,
}

impl Functions {
    /// An empty registry whose functions run on `runtime`.
    pub fn new(runtime: tokio::runtime::Handle) -> Functions {
        Functions {
            by_name: arc_swap::ArcSwap::from_pointee(BTreeMap::new()),
            runtime,
            client: crate::outbound::HttpClient::new(
                std::time::Duration::from_secs(90),
                6 * 1024 * 1024,
            )
            .map_err(|e| tracing::error!(error = %e, "cannot set up the Lambda Invoke API client"))
            .ok(),
        }
    }

    /// The runtime functions run on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.load().is_empty()
    }

    pub fn get(&self, name: &str) -> Option<Function> {
        self.by_name.load().get(name).map(|e| e.function.clone())
    }

    /// Brings the running functions in line with `decls`.
    pub fn apply(&self, decls: Vec<FunctionDecl>) {
        let current = self.by_name.load_full();
        let mut next = BTreeMap::new();
        for decl in decls {
            if let Some(existing) = current.get(&decl.name).filter(|e| e.decl == decl) {
                next.insert(decl.name.clone(), existing.clone());
                continue;
            }
            let function = match &decl.spec {
                FunctionSpec::Local(spec) => {
                    let local = Arc::new(LocalFunction::new(spec.clone(), self.runtime.clone()));
                    local.warm_up();
                    Function::Local(local)
                }
                FunctionSpec::Remote(spec) => {
                    let Some(client) = &self.client else {
                        tracing::error!(function = %decl.name, "remote function left out: no Invoke API client");
                        continue;
                    };
                    Function::Remote(Arc::new(RemoteFunction::new(spec.clone(), client.clone())))
                }
            };
            tracing::info!(function = %decl.name, "function declared");
            next.insert(decl.name.clone(), Entry { decl, function });
        }
        for (name, old) in current.iter() {
            let kept = next.get(name).is_some_and(|n| n.decl == old.decl);
            if let (false, Function::Local(f)) = (kept, &old.function) {
                f.shutdown();
            }
        }
        self.by_name.store(Arc::new(next));
    }

    /// Invokes `name`.
    pub async fn invoke(&self, name: &str, invocation: Invocation) -> Result<Outcome, InvokeError> {
        let function = self
            .get(name)
            .ok_or_else(|| InvokeError::NotFound(name.to_string()))?;
        self.runtime
            .spawn(async move { function.invoke(invocation).await })
            .await
            .unwrap_or_else(|e| {
                Err(InvokeError::Unavailable {
                    name: name.to_string(),
                    reason: format!("the invocation task failed: {e}"),
                })
            })
    }

    /// Metrics of every function, by name.
    pub fn metrics(&self) -> Vec<(String, MetricsSnapshot)> {
        self.by_name
            .load()
            .iter()
            .map(|(n, e)| (n.clone(), e.function.metrics()))
            .collect()
    }

    /// Starts the warm instances local functions ask for.
    pub fn warm_up(&self) {
        for entry in self.by_name.load().values() {
            if let Function::Local(f) = &entry.function {
                f.warm_up();
            }
        }
    }

    /// Stops every local function's processes.
    pub fn shutdown(&self) {
        for entry in self.by_name.load().values() {
            if let Function::Local(f) = &entry.function {
                f.shutdown();
            }
        }
    }
}

/// Lambda's error payload for failures the runtime reports itself.
pub(crate) fn error_payload(error_type: &str, message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "errorMessage": message, "errorType": error_type }).to_string())
}
