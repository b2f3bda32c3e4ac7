//! Local functions: a pool of instances (child processes) per function.
//!
//! An invocation takes a concurrency permit (none left: throttled), then an
//! idle warm instance or, failing that, a new one (a cold start). It waits
//! for the result up to the function's timeout; past it the instance is
//! killed and the invocation fails as Lambda reports a timeout. A process
//! that dies fails its invocation with `Runtime.ExitError`; the next
//! invocation starts a fresh one, and `min_warm` instances are kept up.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{oneshot, Semaphore};

use super::instance::{deadline_after, Instance};
use super::metrics::{FunctionMetrics, MetricsSnapshot};
use super::state::Job;
use super::{error_payload, Invocation, InvokeError, LocalSpec, Outcome};

/// A local function and its instances.
pub struct LocalFunction {
    spec: LocalSpec,
    runtime: tokio::runtime::Handle,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Arc<Instance>>>,
    next_id: AtomicU64,
    metrics: Arc<FunctionMetrics>,
}

impl LocalFunction {
    /// Declares a function; processes run on `runtime`.
    pub fn new(spec: LocalSpec, runtime: tokio::runtime::Handle) -> LocalFunction {
        LocalFunction {
            permits: Arc::new(Semaphore::new(spec.max_concurrency.max(1))),
            spec,
            runtime,
            idle: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            metrics: Arc::default(),
        }
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// Starts instances until `min_warm` are idle.
    pub fn warm_up(&self) {
        let mut idle = self.lock_idle();
        idle.retain(|i| i.is_alive());
        while idle.len() < self.spec.min_warm {
            match self.spawn() {
                Ok(instance) => idle.push(instance),
                Err(reason) => {
                    tracing::error!(function = %self.spec.name, %reason, "cannot start a warm instance");
                    break;
                }
            }
        }
    }

    /// Stops every idle instance (busy ones end with their invocation).
    pub fn shutdown(&self) {
        for instance in self.lock_idle().drain(..) {
            instance.kill();
        }
    }

    /// Runs one invocation.
    pub async fn invoke(&self, invocation: Invocation) -> Result<Outcome, InvokeError> {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            self.metrics.throttled();
            return Err(InvokeError::Throttled(self.spec.name.clone()));
        };
        let running = self.metrics.begin();
        let started = Instant::now();
        let (instance, cold) = self.checkout()?;
        if cold {
            if let Err(failure) = instance.ready(self.spec.init_timeout).await {
                instance.kill();
                drop(running);
                self.metrics.finished(started.elapsed(), true);
                let payload = failure.unwrap_or_else(|| {
                    error_payload(
                        "Runtime.InitTimeout",
                        &format!(
                            "the function did not start within {:?}",
                            self.spec.init_timeout
                        ),
                    )
                });
                return Ok(Outcome::FunctionError(payload));
            }
            self.metrics.cold_start(started.elapsed());
        }
        let request_id = function_request_id(&invocation.request_id);
        let (reply, result) = oneshot::channel();
        let job = Job {
            request_id: request_id.clone(),
            payload: invocation.payload,
            deadline_ms: deadline_after(self.spec.timeout),
            trace_id: invocation.trace_id,
            reply,
        };
        if instance.submit(job).is_err() {
            drop(running);
            return Err(InvokeError::Unavailable {
                name: self.spec.name.clone(),
                reason: "the instance exited before taking the invocation".into(),
            });
        }
        let outcome = match tokio::time::timeout(self.spec.timeout, result).await {
            Ok(Ok(outcome)) => {
                self.checkin(instance);
                outcome
            }
            Ok(Err(_)) => Outcome::FunctionError(error_payload(
                "Runtime.ExitError",
                &format!(
                    "RequestId: {request_id} Error: Runtime exited without providing a reason"
                ),
            )),
            Err(_) => {
                instance.kill();
                let now = time::OffsetDateTime::now_utc();
                Outcome::FunctionError(error_payload(
                    "Sandbox.Timedout",
                    &format!(
                        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {request_id} Task timed out after {:.2} seconds",
                        now.year(),
                        u8::from(now.month()),
                        now.day(),
                        now.hour(),
                        now.minute(),
                        now.second(),
                        now.millisecond(),
                        self.spec.timeout.as_secs_f64()
                    ),
                ))
            }
        };
        drop(permit);
        drop(running);
        self.metrics.finished(
            started.elapsed(),
            matches!(outcome, Outcome::FunctionError(_)),
        );
        if self.spec.min_warm > 0 {
            self.warm_up();
        }
        Ok(outcome)
    }

    /// An idle live instance, or a new one (`true`: a cold start).
    fn checkout(&self) -> Result<(Arc<Instance>, bool), InvokeError> {
        {
            let mut idle = self.lock_idle();
            while let Some(instance) = idle.pop() {
                if instance.is_alive() {
                    return Ok((instance, false));
                }
            }
        }
        self.spawn()
            .map(|i| (i, true))
            .map_err(|reason| InvokeError::Unavailable {
                name: self.spec.name.clone(),
                reason,
            })
    }

    fn checkin(&self, instance: Arc<Instance>) {
        if instance.is_alive() {
            self.lock_idle().push(instance);
        }
    }

    fn spawn(&self) -> Result<Arc<Instance>, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Instance::spawn(&self.spec, id, &self.runtime, self.metrics.clone())
            .map_err(|e| format!("cannot start `{}`: {e}", self.spec.command.join(" ")))
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Instance>>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Lambda request ids are UUIDs; reuse the API request's, which is one.
fn function_request_id(api_request_id: &str) -> String {
    api_request_id.to_string()
}
