//! `apigw serve`: open the store, apply the config, start the listeners,
//! stop gracefully on SIGTERM/SIGINT.
//!
//! The data plane runs thread-per-core: each worker thread has its own
//! single-threaded runtime, its own listening socket on the shared port
//! (SO_REUSEPORT, the kernel spreads connections), and its own backend
//! connection pool, so a request never hops between threads. The admin
//! listener has a thread of its own (imports and deployments never run on
//! a thread that serves the data plane). The main thread waits for signals.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use apigw::admin::Admin;
use apigw::dataplane::{self, Gateway, Limits, ServerOptions, Services};
use apigw::outbound::HttpClient;
use apigw::snapshot::Deployed;
use apigw::store::Store;
use clap::Args;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{socket_addr, Loaded};

/// Flags of `apigw serve`; each may also come from its `APIGW_*` variable,
/// and both win over the config file.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// YAML config file declaring APIs, stages and settings.
    #[arg(long, env = "APIGW_CONFIG")]
    config: Option<PathBuf>,
    /// Where the embedded store lives [default: ./apigw-data].
    #[arg(long, env = "APIGW_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Data-plane address [default: 127.0.0.1:8080].
    #[arg(long, env = "APIGW_LISTEN")]
    listen: Option<String>,
    /// Admin address [default: 127.0.0.1:9090].
    #[arg(long, env = "APIGW_ADMIN_LISTEN")]
    admin_listen: Option<String>,
    /// Data-plane worker threads [default: one per core].
    #[arg(long, env = "APIGW_WORKERS")]
    workers: Option<usize>,
    /// Log format: json or text [default: json].
    #[arg(long, env = "APIGW_LOG_FORMAT")]
    log_format: Option<String>,
    /// Log filter, e.g. `info` or `apigw=debug` [default: info].
    #[arg(long, env = "APIGW_LOG")]
    log: Option<String>,
    /// Join a running cluster through one of its members (`ID@HOST:PORT`,
    /// its QUIC address), as a learner; promote it with the admin API.
    #[arg(long, env = "APIGW_JOIN")]
    join: Option<String>,
    /// Start with an empty store when the store (or, in a cluster, the Raft
    /// state) is there but cannot be read; the unreadable file is kept,
    /// renamed `*.unreadable-{time}`. Without it such a start stops.
    #[arg(long)]
    init_store: bool,
}

/// Everything a worker thread needs.
struct Worker {
    index: usize,
    listener: std::net::TcpListener,
    gateway: Arc<Gateway>,
    options: ServerOptions,
    stopped: watch::Receiver<bool>,
    log_flush: Duration,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let loaded = match &args.config {
        Some(path) => Loaded::read(path)?,
        None => Loaded::default(),
    };
    let node = &loaded.file.node;
    let format = args
        .log_format
        .clone()
        .or(loaded.file.log.format.clone())
        .unwrap_or_else(|| "json".into());
    let filter = args
        .log
        .clone()
        .or(loaded.file.log.level.clone())
        .unwrap_or_else(|| "info".into());
    crate::logging::init(&format, &filter)?;
    let data_dir = args
        .data_dir
        .clone()
        .or(node.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("apigw-data"));
    let listen = socket_addr(
        "listen",
        args.listen
            .as_deref()
            .or(node.listen.as_deref())
            .unwrap_or("127.0.0.1:8080"),
    )?;
    let admin_listen = socket_addr(
        "admin listen",
        args.admin_listen
            .as_deref()
            .or(node.admin_listen.as_deref())
            .unwrap_or("127.0.0.1:9090"),
    )?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = args
        .workers
        .or(node.workers)
        .unwrap_or(cores)
        .clamp(1, 1024);

    let store = Arc::new(crate::store::open_for_serve(&data_dir, args.init_store)?);
    let deployed = Arc::new(Deployed::default());
    for finding in deployed.reload(&store)? {
        tracing::warn!(at = %finding.at, "{} (this method answers 500)", finding.message);
    }

    let limits = &loaded.file.limits;
    let plan = crate::capacity::plan(limits);
    let options = plan.dataplane.clone();

    let function_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(node.function_threads.unwrap_or(2).clamp(1, 64))
        .thread_name("apigw-functions")
        .enable_all()
        .build()
        .context("cannot start the functions runtime")?;
    let functions = Arc::new(apigw::functions::Functions::new(
        function_runtime.handle().clone(),
    ));
    let region = node.region.clone().unwrap_or_else(|| "us-east-1".into());
    let control = Arc::new(apigw::control::ControlPlane::new(
        store.clone(),
        deployed.clone(),
    ));
    control.attach_functions(functions.clone());
    let cluster = crate::cluster::start(
        &loaded,
        &region,
        &data_dir,
        control.clone(),
        args.join.as_deref(),
        args.init_store,
        function_runtime.handle(),
    )?;
    apply_config(
        &loaded,
        &store,
        &control,
        cluster.as_ref(),
        function_runtime.handle(),
    )?;
    // Before the listeners are announced: generated credentials are on
    // disk, and SIGTERM/SIGINT are caught, by the time anyone can call.
    let admin_user = admin_credentials(&loaded, &data_dir)?;
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (term, interrupt) = {
        use tokio::signal::unix::{signal, SignalKind};
        let _runtime = signals.enter();
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    let listeners = bind_shared(listen, workers)?;
    let admin_listener = bind_shared(admin_listen, 1)?.remove(0);
    tracing::info!(role = "dataplane", addr = %listeners[0].local_addr()?, workers, "listening");
    tracing::info!(role = "admin", addr = %admin_listener.local_addr()?, region = %region, "listening");
    let counters: Arc<dyn apigw::throttle::Counters> = match &cluster {
        Some(joined) => Arc::new(apigw::shared_counters::SharedCounters::new(
            joined.counters.clone(),
            joined.view.gossip.peers().len(),
        )),
        None => Arc::new(apigw::throttle::LocalCounters::default()),
    };
    let local_cache = Arc::new(apigw::cache::LocalCache::new(
        node.cache_mb.unwrap_or(64).saturating_mul(1024 * 1024),
    ));
    let cache: Arc<dyn apigw::cache::ResponseCache> = match &cluster {
        Some(joined) => Arc::new(apigw::replicated_cache::ReplicatedCache::new(
            local_cache,
            joined.view.gossip.clone(),
        )),
        None => local_cache,
    };
    let access = Arc::new(crate::access::build(&loaded, counters)?);
    control.attach(access.clone());
    let view = cluster.map(|joined| joined.view);
    let edge = crate::edge::edge(&loaded, view.as_ref(), function_runtime.handle())?;
    let (iam_keys, identities) = crate::users::load(
        &loaded,
        "iam_users",
        &loaded.file.iam_users,
        apigw::policy::Grant::InvokeOnly,
    )?;
    let (admin_keys, admin_identities) = crate::users::load(
        &loaded,
        "admin_users",
        &loaded.file.admin_users,
        apigw::policy::Grant::Everything,
    )?;
    let services = Arc::new(Services {
        edge,
        networks: crate::edge::networks(&loaded)?,
        cluster: view,
        functions: functions.clone(),
        cache,
        access: access.clone(),
        authorizers: Default::default(),
        jwt: crate::access::build_jwt(&loaded, function_runtime.handle())?,
        iam: apigw::dataplane::iam::IamUsers::new(iam_keys),
        identities,
        region,
        capacity: plan.capacity.clone(),
    });

    if let Some(view) = services.cluster.as_ref().filter(|v| v.role == "regional") {
        let gateway = Gateway::new(
            deployed.clone(),
            crate::edge::client(limits.max_body_bytes)?,
            services.clone(),
            Limits {
                max_body_bytes: limits.max_body_bytes,
                body_pace: plan.body_pace,
            },
        );
        crate::edge::serve_forwarded(view, gateway, function_runtime.handle());
    }

    let (stop, stopped) = watch::channel(false);
    let admin = AdminWorker {
        listener: admin_listener,
        handler: Arc::new(Admin::new(
            deployed.clone(),
            services.clone(),
            Some(
                apigw::management::Management::new(
                    store.clone(),
                    match &services.cluster {
                        Some(c) => apigw::management::Writer::Raft(c.raft.clone()),
                        None => apigw::management::Writer::Local(control.clone()),
                    },
                    loaded.file.limits.max_integration_timeout_ms,
                )
                .with_counters(services.access.counters().clone())
                .with_admin_users(admin_identities, &services.region),
            ),
            apigw::admin::AdminAuth {
                metrics_token: loaded.file.admin.metrics_token.clone(),
                ..apigw::admin::AdminAuth::new(
                    std::iter::once(admin_user).chain(admin_keys).collect(),
                    services.region.clone(),
                )
            },
        )),
        options: plan.admin.clone(),
        stopped: stopped.clone(),
        log_flush: Duration::from_millis(loaded.file.log.flush_ms.max(1)),
    };
    let mut threads = vec![std::thread::Builder::new()
        .name("apigw-admin".into())
        .spawn(move || run_admin(admin))?];
    for (index, listener) in listeners.into_iter().enumerate() {
        let client = HttpClient::with_slots(
            Duration::from_secs(90),
            limits.max_body_bytes,
            plan.capacity.backends.clone(),
        )
        .context("cannot set up the backend client")?;
        let gateway = Arc::new(Gateway::new(
            deployed.clone(),
            client,
            services.clone(),
            Limits {
                max_body_bytes: limits.max_body_bytes,
                body_pace: plan.body_pace,
            },
        ));
        let worker = Worker {
            index,
            listener,
            gateway,
            options: options.clone(),
            stopped: stopped.clone(),
            log_flush: Duration::from_millis(loaded.file.log.flush_ms.max(1)),
        };
        threads.push(
            std::thread::Builder::new()
                .name(format!("apigw-worker-{index}"))
                .spawn(move || run_worker(worker))?,
        );
    }
    tracing::info!(stages = deployed.load().stage_count(), data_dir = %data_dir.display(), "ready");

    let signal = signals.block_on(wait_for_signal(term, interrupt));
    tracing::info!(signal, "shutting down");
    let _ = stop.send(true);
    for thread in threads {
        if let Ok(Err(e)) = thread.join() {
            tracing::error!(error = %e, "worker failed");
        }
    }
    functions.shutdown();
    drop(functions);
    if let Some(cluster) = &services.cluster {
        function_runtime.block_on(cluster.raft.shutdown());
        cluster.transport.close();
    }
    // Killing a process is a signal; give supervisors a moment to reap them.
    function_runtime.shutdown_timeout(Duration::from_secs(2));
    drop(services);
    drop(store);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The management API's credentials: the config's, else the environment's,
/// else the ones generated on a first start and kept in the data directory.
fn admin_credentials(
    loaded: &Loaded,
    data_dir: &std::path::Path,
) -> Result<apigw::dataplane::iam::IamUser> {
    let node = &loaded.file.node;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let from_config = node
        .admin_access_key_id
        .clone()
        .zip(node.admin_secret_access_key.clone());
    let from_env = env("APIGW_ADMIN_ACCESS_KEY_ID").zip(env("APIGW_ADMIN_SECRET_ACCESS_KEY"));
    let (key, secret) = match from_config.or(from_env) {
        Some(pair) => pair,
        None => {
            let path = data_dir.join("admin-credentials.json");
            let saved = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| {
                    Some((
                        v["access_key_id"].as_str()?.to_string(),
                        v["secret_access_key"].as_str()?.to_string(),
                    ))
                });
            match saved {
                Some(pair) => pair,
                None => {
                    let key = format!("AKIA{}", apigw::ids::new_api_id().to_uppercase());
                    let secret = format!(
                        "{}{}{}{}",
                        apigw::ids::new_api_id(),
                        apigw::ids::new_api_id(),
                        apigw::ids::new_api_id(),
                        apigw::ids::new_api_id()
                    );
                    let text =
                        serde_json::json!({"access_key_id": key, "secret_access_key": secret})
                            .to_string();
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::PermissionsExt;
                        let _ =
                            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
                    }
                    tracing::info!(path = %path.display(), "generated management API credentials");
                    (key, secret)
                }
            }
        }
    };
    Ok(apigw::dataplane::iam::IamUser {
        name: "admin".into(),
        access_key_id: key,
        secret_access_key: secret,
    })
}

/// Brings the state in line with the config's APIs: in the store directly
/// (before serving), or, in a cluster, through the Raft log once a leader
/// is known (in the background: the node serves what its store has
/// meanwhile). Documents are checked first either way, so a broken one stops
/// the start.
fn apply_config(
    loaded: &Loaded,
    store: &Arc<Store>,
    control: &apigw::control::ControlPlane,
    cluster: Option<&crate::cluster::Joined>,
    runtime: &tokio::runtime::Handle,
) -> Result<()> {
    let Some(joined) = cluster else {
        let applied = crate::apply::apply(store, store.as_ref(), loaded)?;
        log_applied(applied);
        // Written to the store directly: serve it (APIs, keys, functions).
        control.refresh();
        return Ok(());
    };
    let max_timeout = loaded.file.limits.max_integration_timeout_ms;
    for section in &loaded.file.apis {
        crate::apply::import_section(loaded, section, max_timeout)?;
    }
    if loaded.file.apis.is_empty()
        && loaded.file.api_keys.is_empty()
        && loaded.file.usage_plans.is_empty()
        && loaded.file.functions.is_empty()
    {
        return Ok(());
    }
    let loaded = loaded.clone();
    let sink = crate::cluster::RaftSink {
        raft: joined.raft.clone(),
        store: store.clone(),
        runtime: runtime.clone(),
    };
    std::thread::Builder::new()
        .name("apigw-config".into())
        .spawn(move || {
            if !sink.wait_for_leader(Duration::from_secs(120)) {
                tracing::error!("no cluster leader within 120 s: the config's APIs were not applied");
                return;
            }
            match crate::apply::apply(&sink.store, &sink, &loaded) {
                Ok(applied) => log_applied(applied),
                Err(e) => tracing::error!(error = %format!("{e:#}"), "the config's APIs could not be applied through the cluster"),
            }
        })?;
    Ok(())
}

fn log_applied(applied: Vec<crate::apply::Applied>) {
    for applied in applied {
        for w in &applied.warnings {
            tracing::warn!(api = %applied.api_id, at = %w.at, "{}", w.message);
        }
        tracing::info!(api = %applied.api_id, name = %applied.name, changed = applied.changed, deployed = ?applied.deployed, "api from config");
    }
}

/// Binds `count` listening sockets on one address with SO_REUSEPORT (port 0
/// picks one free port for all of them).
fn bind_shared(addr: SocketAddr, count: usize) -> Result<Vec<std::net::TcpListener>> {
    use socket2::{Domain, Socket, Type};
    let mut out: Vec<std::net::TcpListener> = Vec::with_capacity(count);
    let mut target = addr;
    for _ in 0..count {
        let socket = Socket::new(Domain::for_address(target), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket.set_nonblocking(true)?;
        socket
            .bind(&target.into())
            .with_context(|| format!("cannot listen on {addr}"))?;
        socket.listen(1024)?;
        let listener: std::net::TcpListener = socket.into();
        target = listener.local_addr()?;
        out.push(listener);
    }
    Ok(out)
}

fn run_worker(worker: Worker) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    crate::logging::buffer_this_thread();
    let result = runtime.block_on(async move {
        let flusher = tokio::spawn(crate::logging::flush_every(worker.log_flush));
        let until_stop = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let listener = TcpListener::from_std(worker.listener)?;
        dataplane::serve(
            listener,
            worker.gateway,
            worker.options,
            until_stop(worker.stopped),
        )
        .await;
        tracing::debug!(worker = worker.index, "worker stopped");
        flusher.abort();
        Ok(())
    });
    crate::logging::flush();
    result
}

/// What the admin listener's thread needs.
struct AdminWorker {
    listener: std::net::TcpListener,
    handler: Arc<Admin>,
    /// The admin listener's own connection budget and timeouts.
    options: ServerOptions,
    stopped: watch::Receiver<bool>,
    log_flush: Duration,
}

/// The admin listener on its own thread and runtime; heavy calls (imports,
/// applying changes) go further, to that runtime's blocking pool.
fn run_admin(worker: AdminWorker) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    crate::logging::buffer_this_thread();
    let result = runtime.block_on(async move {
        let flusher = tokio::spawn(crate::logging::flush_every(worker.log_flush));
        let mut stopped = worker.stopped;
        let listener = TcpListener::from_std(worker.listener)?;
        let stop = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        dataplane::serve(listener, worker.handler, worker.options, stop).await;
        flusher.abort();
        anyhow::Ok(())
    });
    crate::logging::flush();
    result
}

/// Waits for SIGTERM or SIGINT, whose handlers were installed at start.
async fn wait_for_signal(
    term: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
) -> &'static str {
    async fn next(signal: Option<tokio::signal::unix::Signal>) {
        match signal {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    tokio::select! {
        _ = next(term) => "SIGTERM",
        _ = next(interrupt) => "SIGINT",
    }
}
