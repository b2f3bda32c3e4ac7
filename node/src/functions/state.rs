//! What an instance's Runtime API handlers and its supervisor share: the
//! jobs waiting for it, the one running, and how its start went.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, Notify};

use super::{error_payload, Outcome};

/// A unit of work for an instance.
pub(crate) struct Job {
    pub request_id: String,
    pub payload: Bytes,
    /// Unix milliseconds by which the function must answer.
    pub deadline_ms: u128,
    /// The caller's trace header, if it gave one.
    pub trace_id: Option<String>,
    pub reply: oneshot::Sender<Outcome>,
}

/// What the Runtime API handlers and the supervisor share.
pub(crate) struct InstanceState {
    pub function: String,
    pub region: String,
    pub trace_suffix: String,
    jobs: tokio::sync::Mutex<mpsc::UnboundedReceiver<Job>>,
    current: Mutex<Option<(String, oneshot::Sender<Outcome>)>>,
    /// Request id of the latest job, for log attribution: output read after
    /// the job answered (the pipes lag) still belongs to it, until the next
    /// job starts (as Lambda's logs do).
    pub current_id: Mutex<Option<String>>,
    init_error: Mutex<Option<Bytes>>,
    /// Wakes whoever waits for the start: first `/next`, init error or exit.
    pub(super) ready: Notify,
    is_ready: AtomicBool,
    /// Why the instance never became ready (its init error, or its exit).
    start_failure: Mutex<Option<Bytes>>,
}

impl InstanceState {
    /// The state of a new instance of `function` that takes jobs from `jobs`.
    pub fn new(function: &str, region: &str, jobs: mpsc::UnboundedReceiver<Job>) -> InstanceState {
        InstanceState {
            function: function.to_string(),
            region: region.to_string(),
            trace_suffix: format!("{:024x}", rand::random::<u128>() >> 32),
            jobs: tokio::sync::Mutex::new(jobs),
            current: Mutex::new(None),
            current_id: Mutex::new(None),
            init_error: Mutex::new(None),
            ready: Notify::new(),
            is_ready: AtomicBool::new(false),
            start_failure: Mutex::new(None),
        }
    }

    /// Whether the start is settled: `Ok` once the runtime asked for work,
    /// `Err(Some(payload))` if it failed to start, `None` while it starts.
    pub fn settled(&self) -> Option<Result<(), Option<Bytes>>> {
        if self.is_ready.load(Ordering::SeqCst) {
            return Some(Ok(()));
        }
        lock(&self.start_failure).clone().map(|p| Err(Some(p)))
    }

    /// Waits for the next job (the runtime's long poll).
    pub async fn next_job(&self) -> Option<Job> {
        if !self.is_ready.swap(true, Ordering::SeqCst) {
            self.ready.notify_waiters();
        }
        self.jobs.lock().await.recv().await
    }

    /// Records a job as running.
    pub fn started(&self, request_id: &str, reply: oneshot::Sender<Outcome>) {
        *lock(&self.current) = Some((request_id.to_string(), reply));
        *lock(&self.current_id) = Some(request_id.to_string());
    }

    /// Completes the running job if `id` names it.
    pub fn finish(&self, id: &str, outcome: Outcome) -> bool {
        let mut current = lock(&self.current);
        match current.take() {
            Some((running, reply)) if running == id => {
                let _ = reply.send(outcome);
                true
            }
            other => {
                *current = other;
                false
            }
        }
    }

    /// The runtime could not start: fail what is running.
    pub fn init_failed(&self, payload: Bytes) {
        *lock(&self.init_error) = Some(payload.clone());
        if !self.is_ready.load(Ordering::SeqCst) {
            *lock(&self.start_failure) = Some(payload.clone());
            self.ready.notify_waiters();
        }
        if let Some((_, reply)) = lock(&self.current).take() {
            let _ = reply.send(Outcome::FunctionError(payload));
        }
    }

    /// The process is gone: fail what is running with Lambda's error.
    pub fn exited(&self, status: &str) {
        if !self.is_ready.load(Ordering::SeqCst) {
            let mut failure = lock(&self.start_failure);
            if failure.is_none() {
                *failure = Some(error_payload(
                    "Runtime.ExitError",
                    &format!("Runtime exited before it was ready: {status}"),
                ));
            }
            drop(failure);
            self.ready.notify_waiters();
        }
        if let Some((id, reply)) = lock(&self.current).take() {
            let payload = lock(&self.init_error).clone().unwrap_or_else(|| {
                error_payload(
                    "Runtime.ExitError",
                    &format!("RequestId: {id} Error: Runtime exited with error: {status}"),
                )
            });
            let _ = reply.send(Outcome::FunctionError(payload));
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
