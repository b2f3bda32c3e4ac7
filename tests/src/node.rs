//! A real `apigw serve` process for a test.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::admin::{AdminClient, AdminKeys};

/// The `apigw` binary, built once per test process if it is not there yet.
pub fn apigw_binary() -> Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    if let Ok(path) = std::env::var("APIGW_BIN") {
        return Ok(PathBuf::from(path));
    }
    BUILT
        .get_or_init(|| workspace_binary("apigw", "apigw").map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

/// A binary of this workspace (`package`'s `bin`), built if it is not there.
/// Not rebuilt when stale: `cargo build -p apigw --bin apigw` alone has
/// other features than the workspace build and would flip artifacts on every
/// test. `cargo nextest run --workspace` builds it fresh; after changing
/// the node, run that (or `cargo build -p apigw`) before `-p apigw-tests`.
pub fn workspace_binary(package: &str, bin: &str) -> Result<PathBuf> {
    // Test executables live in target/{profile}/deps; binaries one level up.
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("no target directory")?;
    let binary = profile_dir.join(bin);
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", package, "--bin", bin]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd
            .status()
            .with_context(|| format!("running cargo build for {bin}"))?;
        if !status.success() {
            bail!("cargo build -p {package} failed");
        }
    }
    Ok(binary)
}

/// A scratch directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Result<TempDir> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let unique = format!("apigw-test-{tag}-{}-{nanos}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds a node: files to write into its directory, the config, extra args.
pub struct NodeBuilder {
    files: Vec<(String, String)>,
    config: Option<String>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl NodeBuilder {
    /// A file (an OpenAPI document) in the node's directory.
    pub fn file(mut self, name: &str, text: &str) -> Self {
        self.files.push((name.into(), text.into()));
        self
    }

    /// The config file's text (written as `config.yaml`).
    pub fn config(mut self, text: &str) -> Self {
        self.config = Some(text.into());
        self
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Starts the node in a new directory and waits until it listens.
    pub fn start(self) -> Result<Node> {
        let dir = Arc::new(TempDir::new("node")?);
        self.start_in(dir)
    }

    /// Starts the node in `dir` (reused across restarts).
    pub fn start_in(self, dir: Arc<TempDir>) -> Result<Node> {
        for (name, text) in &self.files {
            std::fs::write(dir.0.join(name), text)?;
        }
        let mut cmd = Command::new(apigw_binary()?);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(dir.0.join("data"))
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"]);
        if let Some(config) = &self.config {
            let path = dir.0.join("config.yaml");
            std::fs::write(&path, config)?;
            cmd.arg("--config").arg(path);
        }
        cmd.args(&self.args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.env_remove("APIGW_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let env = |k: &str| {
            self.env
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        let keys = env("APIGW_ADMIN_ACCESS_KEY_ID")
            .zip(env("APIGW_ADMIN_SECRET_ACCESS_KEY"))
            .map(|(access_key_id, secret_access_key)| AdminKeys {
                access_key_id,
                secret_access_key,
            });
        let mut node = Node::spawn(cmd, dir)?;
        node.admin_keys = keys;
        Ok(node)
    }
}

/// What the node printed, and the addresses it announced.
#[derive(Default)]
struct Output {
    lines: Vec<String>,
    data: Option<SocketAddr>,
    admin: Option<SocketAddr>,
    region: Option<String>,
    closed: bool,
}

/// A running `apigw serve`.
pub struct Node {
    child: Child,
    output: Arc<(Mutex<Output>, Condvar)>,
    stderr: Arc<Mutex<String>>,
    pub dir: Arc<TempDir>,
    pub data: SocketAddr,
    pub admin: SocketAddr,
    /// The node's region (`node.region`), as it announced it.
    pub region: String,
    /// The admin credentials the test gave it (else it generated some).
    admin_keys: Option<AdminKeys>,
}

impl Node {
    pub fn builder() -> NodeBuilder {
        NodeBuilder {
            files: Vec::new(),
            config: None,
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    fn spawn(mut cmd: Command, dir: Arc<TempDir>) -> Result<Node> {
        let mut child = cmd.spawn().context("spawning apigw")?;
        let output: Arc<(Mutex<Output>, Condvar)> = Arc::default();
        let stdout = child.stdout.take().context("stdout")?;
        let out = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let (lock, cv) = &*out;
                let mut o = lock.lock().unwrap_or_else(|e| e.into_inner());
                if line.contains("\"listening\"") {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                        let addr = v["addr"].as_str().and_then(|a| a.parse().ok());
                        match v["role"].as_str() {
                            Some("dataplane") => o.data = addr,
                            Some("admin") => {
                                o.admin = addr;
                                o.region = v["region"].as_str().map(str::to_string);
                            }
                            _ => {}
                        }
                    }
                }
                o.lines.push(line);
                cv.notify_all();
            }
            let (lock, cv) = &*out;
            lock.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
            cv.notify_all();
        });
        let stderr_text: Arc<Mutex<String>> = Arc::default();
        let stderr = child.stderr.take().context("stderr")?;
        let err = stderr_text.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut e = err.lock().unwrap_or_else(|e| e.into_inner());
                e.push_str(&line);
                e.push('\n');
            }
        });
        let (lock, cv) = &*output;
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut o = lock.lock().unwrap_or_else(|e| e.into_inner());
        while o.data.is_none() || o.admin.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if o.closed || left.is_zero() {
                drop(o);
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(50));
                bail!(
                    "apigw did not start.\nstderr:\n{}\nstdout:\n{}",
                    stderr_text.lock().unwrap_or_else(|e| e.into_inner()),
                    lock.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .lines
                        .join("\n")
                );
            }
            o = cv
                .wait_timeout(o, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let (data, admin) = (o.data.context("data")?, o.admin.context("admin")?);
        let region = o.region.clone().unwrap_or_else(|| "us-east-1".into());
        drop(o);
        Ok(Node {
            child,
            output: output.clone(),
            stderr: stderr_text,
            dir,
            data,
            admin,
            region,
            admin_keys: None,
        })
    }

    /// The admin credentials: the ones the test set, else the ones the node
    /// generated into its data directory on its first start.
    pub fn admin_keys(&self) -> Result<AdminKeys> {
        if let Some(keys) = &self.admin_keys {
            return Ok(keys.clone());
        }
        let path = self.dir.0.join("data").join("admin-credentials.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)?;
        Ok(AdminKeys {
            access_key_id: v["access_key_id"].as_str().context("access_key_id")?.into(),
            secret_access_key: v["secret_access_key"]
                .as_str()
                .context("secret_access_key")?
                .into(),
        })
    }

    /// A client of this node's admin listener that signs its requests.
    pub fn admin_client(&self) -> AdminClient {
        let keys = self
            .admin_keys()
            .unwrap_or_else(|e| panic!("admin keys: {e:#}"));
        AdminClient::new(format!("http://{}", self.admin), keys, self.region.clone())
    }

    /// `http://127.0.0.1:PORT/restapis/{api}/{stage}/_user_request_{path}`.
    pub fn invoke_url(&self, api: &str, stage: &str, path: &str) -> String {
        format!(
            "http://{}/restapis/{api}/{stage}/_user_request_{path}",
            self.data
        )
    }

    /// `http://127.0.0.1:PORT{path}` on the data plane.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.data)
    }

    /// Everything printed on stdout so far (JSON log lines).
    pub fn log_lines(&self) -> Vec<String> {
        self.output
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lines
            .clone()
    }

    /// Waits until a log line satisfies `pred` (logs are written after responses).
    pub fn wait_for_log(
        &self,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> Result<serde_json::Value> {
        let (lock, cv) = &*self.output;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut o = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            for line in &o.lines {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                    if pred(&v) {
                        return Ok(v);
                    }
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || o.closed {
                bail!("no matching log line in:\n{}", o.lines.join("\n"));
            }
            o = cv
                .wait_timeout(o, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The process id of the running node.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn stop(mut self) -> Result<ExitStatus> {
        self.terminate()?;
        self.wait(Duration::from_secs(30))
    }

    /// Sends SIGTERM without waiting.
    pub fn terminate(&self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("kill -TERM failed");
        }
        Ok(())
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait(&mut self, limit: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                bail!("apigw did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `apigw` with arguments to completion (for `check`).
pub fn run_apigw(args: &[&str]) -> Result<(ExitStatus, String, String)> {
    let out = Command::new(apigw_binary()?)
        .args(args)
        .env_remove("APIGW_CONFIG")
        .output()?;
    Ok((
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}
