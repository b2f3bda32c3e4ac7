//! One function instance: a child process, its Runtime API port, the job it
//! is running, and the task that watches it.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot, Notify};

use super::local::LocalSpec;
use super::metrics::FunctionMetrics;
use super::{error_payload, runtime_api, Outcome};

/// A unit of work for an instance.
pub(crate) struct Job {
    pub request_id: String,
    pub payload: Bytes,
    /// Unix milliseconds by which the function must answer.
    pub deadline_ms: u128,
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
    ready: Notify,
    is_ready: AtomicBool,
    /// Why the instance never became ready (its init error, or its exit).
    start_failure: Mutex<Option<Bytes>>,
}

impl InstanceState {
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
    fn exited(&self, status: &str) {
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running instance, as the pool holds it.
pub(crate) struct Instance {
    jobs: mpsc::UnboundedSender<Job>,
    state: Arc<InstanceState>,
    alive: Arc<AtomicBool>,
    kill: Arc<Notify>,
}

impl Instance {
    /// Starts the process and its Runtime API; returns once it is spawned.
    pub fn spawn(
        spec: &LocalSpec,
        id: u64,
        runtime: &tokio::runtime::Handle,
        metrics: Arc<FunctionMetrics>,
    ) -> std::io::Result<Arc<Instance>> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let api_addr = listener.local_addr()?;
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        let state = Arc::new(InstanceState {
            function: spec.name.clone(),
            region: spec.region.clone(),
            trace_suffix: format!("{:024x}", rand::random::<u128>() >> 32),
            jobs: tokio::sync::Mutex::new(jobs_rx),
            current: Mutex::new(None),
            current_id: Mutex::new(None),
            init_error: Mutex::new(None),
            ready: Notify::new(),
            is_ready: AtomicBool::new(false),
            start_failure: Mutex::new(None),
        });
        let Some((program, args)) = spec.command.split_first() else {
            return Err(std::io::Error::other("the function has an empty command"));
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(lambda_environment(spec, &api_addr.to_string()))
            .envs(&spec.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(cwd) = &spec.cwd {
            cmd.current_dir(cwd);
        }
        let _guard = runtime.enter();
        let mut child = cmd.spawn()?;
        metrics.instance_started();
        let alive = Arc::new(AtomicBool::new(true));
        let kill = Arc::new(Notify::new());
        let api = runtime.spawn({
            let state = state.clone();
            async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => runtime_api::serve(l, state).await,
                    Err(e) => tracing::error!(error = %e, "runtime API listener"),
                }
            }
        });
        for (stream, reader) in [
            (
                "stdout",
                child
                    .stdout
                    .take()
                    .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            ),
            (
                "stderr",
                child
                    .stderr
                    .take()
                    .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            ),
        ] {
            if let Some(reader) = reader {
                runtime.spawn(forward_logs(reader, stream, state.clone(), id));
            }
        }
        let started = Instant::now();
        runtime.spawn({
            let (state, alive, kill, name) = (state.clone(), alive.clone(), kill.clone(), spec.name.clone());
            async move {
                let status = tokio::select! {
                    status = child.wait() => status,
                    _ = kill.notified() => {
                        let _ = child.start_kill();
                        child.wait().await
                    }
                };
                alive.store(false, Ordering::SeqCst);
                api.abort();
                metrics.instance_stopped();
                let status = match status {
                    Ok(s) => s.code().map_or_else(|| "signal: killed".to_string(), |c| format!("exit status {c}")),
                    Err(e) => e.to_string(),
                };
                tracing::info!(target: "apigw::function", function = %name, instance = id, status = %status, lived_ms = started.elapsed().as_millis() as u64, "instance exited");
                state.exited(&status);
            }
        });
        Ok(Arc::new(Instance {
            jobs: jobs_tx,
            state,
            alive,
            kill,
        }))
    }

    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Waits until the runtime first asks for work (its cold start), up to
    /// `limit`: `Err(Some(payload))` if it failed to start (an init error, an
    /// exit), `Err(None)` if it took too long.
    pub async fn ready(&self, limit: Duration) -> Result<(), Option<Bytes>> {
        let notified = self.state.ready.notified();
        let settled = |state: &InstanceState| {
            if state.is_ready.load(Ordering::SeqCst) {
                return Some(Ok(()));
            }
            lock(&state.start_failure).clone().map(|p| Err(Some(p)))
        };
        if let Some(outcome) = settled(&self.state) {
            return outcome;
        }
        let _ = tokio::time::timeout(limit, notified).await;
        settled(&self.state).unwrap_or(Err(None))
    }

    /// Hands a job to the instance; `Err` gives it back if the instance is gone.
    pub fn submit(&self, job: Job) -> Result<(), Job> {
        if !self.is_alive() {
            return Err(job);
        }
        self.jobs.send(job).map_err(|e| e.0)
    }

    /// Kills the process (its running job fails).
    pub fn kill(&self) {
        self.kill.notify_one();
    }
}

impl Drop for Instance {
    /// An instance nobody holds any more (its caller gave up, the pool was
    /// dropped) must not outlive it as an orphan process.
    fn drop(&mut self) {
        self.kill.notify_one();
    }
}

/// The environment Lambda gives a function's process.
fn lambda_environment(spec: &LocalSpec, api_addr: &str) -> Vec<(String, String)> {
    let mut env = vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), api_addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), spec.name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
            spec.memory_mb.to_string(),
        ),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{}", spec.name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME".into(), "apigw".into()),
        ("AWS_REGION".into(), spec.region.clone()),
        ("AWS_DEFAULT_REGION".into(), spec.region.clone()),
        ("AWS_EXECUTION_ENV".into(), "apigw".into()),
        ("TZ".into(), ":UTC".into()),
    ];
    if let Some(handler) = &spec.handler {
        env.push(("_HANDLER".into(), handler.clone()));
    }
    if let Some(cwd) = &spec.cwd {
        env.push(("LAMBDA_TASK_ROOT".into(), cwd.display().to_string()));
    }
    env
}

/// Each line the function prints becomes a log event naming the invocation.
async fn forward_logs(
    reader: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
    stream: &'static str,
    state: Arc<InstanceState>,
    instance: u64,
) {
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let request_id = lock(&state.current_id).clone();
        tracing::info!(
            target: "apigw::function",
            function = %state.function,
            instance,
            stream,
            requestId = request_id.as_deref(),
            "{line}"
        );
    }
}

/// Unix milliseconds `after` from now.
pub(crate) fn deadline_after(after: Duration) -> u128 {
    (SystemTime::now() + after)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}
