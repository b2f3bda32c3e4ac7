//! One function instance: a child process, its Runtime API port, the job it
//! is running, and the task that watches it.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, Notify};

use super::metrics::FunctionMetrics;
use super::state::{lock, InstanceState, Job};
use super::{runtime_api, LocalSpec};

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
        let state = Arc::new(InstanceState::new(&spec.name, &spec.region, jobs_rx));
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
        if let Some(outcome) = self.state.settled() {
            return outcome;
        }
        let _ = tokio::time::timeout(limit, notified).await;
        self.state.settled().unwrap_or(Err(None))
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
