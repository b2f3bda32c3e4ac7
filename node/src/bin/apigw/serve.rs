//! `apigw serve`: open the store, apply the config (and `--template`), start the listeners,
//! stop gracefully on SIGTERM/SIGINT.
//!
//! The data plane runs thread-per-core: each worker thread has its own
//! single-threaded runtime, its own listening socket on the shared port
//! (SO_REUSEPORT, the kernel spreads connections), and its own backend
//! connection pool, so a request never hops between threads. The admin
//! listener has a thread of its own (imports and deployments never run on
//! a thread that serves the data plane). With `--tls-listen`, each worker
//! also serves its own socket on the TLS address (custom domains by SNI).
//! The main thread waits for signals.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use apigw::admin::Admin;
use apigw::dataplane::{self, Gateway, Limits, ServerOptions, Services};
use apigw::domains::Domains;
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
    /// TLS data-plane address: custom domains by SNI, ALPN h2 and
    /// http/1.1 [default: off].
    #[arg(long, env = "APIGW_TLS_LISTEN")]
    tls_listen: Option<String>,
    /// Admin address [default: 127.0.0.1:9090].
    #[arg(long, env = "APIGW_ADMIN_LISTEN")]
    admin_listen: Option<String>,
    /// Data-plane worker threads [default: one per core].
    #[arg(long, env = "APIGW_WORKERS")]
    workers: Option<usize>,
    /// The AWS account id (12 digits) in the node's ARNs,
    /// `$context.accountId` and Lambda events [default: 000000000000].
    #[arg(long, env = "APIGW_ACCOUNT_ID")]
    account_id: Option<String>,
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
    #[command(flatten)]
    template: crate::template::TemplateArgs,
}

/// Everything a worker thread needs.
struct Worker {
    index: usize,
    listener: std::net::TcpListener,
    /// This worker's socket on the TLS address, when `--tls-listen` is set.
    tls_listener: Option<std::net::TcpListener>,
    domains: Arc<Domains>,
    gateway: Arc<Gateway>,
    options: ServerOptions,
    stopped: watch::Receiver<bool>,
    log_flush: Duration,
}

/// Where the node listens and how many workers it runs, from flags, the
/// environment and the config (in that order).
struct Settings {
    data_dir: PathBuf,
    listen: SocketAddr,
    tls_listen: Option<SocketAddr>,
    admin_listen: SocketAddr,
    workers: usize,
}

/// The state the listeners serve: the store, what is deployed, the
/// control plane and its cluster, the functions and their runtime.
struct State {
    store: Arc<Store>,
    deployed: Arc<Deployed>,
    control: Arc<apigw::control::ControlPlane>,
    functions: Arc<apigw::functions::Functions>,
    function_runtime: tokio::runtime::Runtime,
    cluster: Option<crate::cluster::Joined>,
    domains: Arc<Domains>,
    region: String,
    /// The listeners' settings and the connection caps, made once: every
    /// worker shares one data-plane admission, and `/metrics` shows it.
    plan: crate::capacity::Plan,
}

/// The signal handlers, installed before the listeners are announced.
struct Signals {
    runtime: tokio::runtime::Runtime,
    term: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
}

pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let mut loaded = match &args.config {
        Some(path) => Loaded::read(path)?,
        None => Loaded::default(),
    };
    let template = crate::template::add_to(&args.template, &mut loaded)?;
    init_logging(&args, &loaded)?;
    set_account(&args, &loaded)?;
    if let Some(template) = &template {
        crate::template::log(template, &loaded);
    }
    let settings = settings(&args, &loaded)?;
    let mut state = open_state(&args, &loaded, &settings)?;
    // Before the listeners are announced: generated credentials are on
    // disk, and SIGTERM/SIGINT are caught, by the time anyone can call.
    let admin_user = admin_credentials(&loaded, &settings.data_dir)?;
    let signals = install_signals()?;
    let listeners = bind_listeners(&settings, &state.region)?;
    let services = build_services(&loaded, &mut state, &settings.data_dir)?;
    let (stop, stopped) = watch::channel(false);
    let threads = start_threads(&loaded, &state, &services, admin_user, listeners, &stopped)?;
    tracing::info!(stages = state.deployed.load().stage_count(), data_dir = %settings.data_dir.display(), "ready");

    let signal = signals
        .runtime
        .block_on(wait_for_signal(signals.term, signals.interrupt));
    tracing::info!(signal, "shutting down");
    let _ = stop.send(true);
    stop_all(threads, state, services);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

fn init_logging(args: &ServeArgs, loaded: &Loaded) -> Result<()> {
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
    crate::logging::init(&format, &filter)
}

fn settings(args: &ServeArgs, loaded: &Loaded) -> Result<Settings> {
    let node = &loaded.file.node;
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
    let tls_listen = args
        .tls_listen
        .as_deref()
        .or(node.tls_listen.as_deref())
        .filter(|a| !a.is_empty())
        .map(|a| socket_addr("TLS listen", a))
        .transpose()?;
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
    Ok(Settings {
        data_dir,
        listen,
        tls_listen,
        admin_listen,
        workers,
    })
}

/// Sets the account id from the flag, else the config, before anything
/// makes an ARN; a malformed one stops the start.
fn set_account(args: &ServeArgs, loaded: &Loaded) -> Result<()> {
    let (id, from) = match (&args.account_id, &loaded.file.node.account_id) {
        (Some(id), _) => (id, "--account-id"),
        (None, Some(id)) => (id, "node.account_id"),
        (None, None) => return Ok(()),
    };
    apigw::policy::set_account(id).with_context(|| format!("at `{from}`"))
}

/// Opens the store, starts the functions and the cluster, applies the
/// config's APIs, and loads the custom domains.
fn open_state(args: &ServeArgs, loaded: &Loaded, settings: &Settings) -> Result<State> {
    let node = &loaded.file.node;
    let data_dir = &settings.data_dir;
    let store = Arc::new(crate::store::open_for_serve(data_dir, args.init_store)?);
    let deployed = Arc::new(Deployed::default());
    for finding in deployed.reload(&store)? {
        tracing::warn!(at = %finding.at, "{} (this method answers 500)", finding.message);
    }
    let plan = crate::capacity::plan(&loaded.file.limits);
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
        loaded,
        &region,
        data_dir,
        control.clone(),
        args.join.as_deref(),
        args.init_store,
        function_runtime.handle(),
    )?;
    apply_config(
        loaded,
        &store,
        &control,
        cluster.as_ref(),
        function_runtime.handle(),
    )?;
    let domains = Arc::new(Domains::new(loaded.domain_sources()));
    control.attach_domains(domains.clone());
    watch_domain_files(&domains, &store)?;
    Ok(State {
        store,
        deployed,
        control,
        functions,
        function_runtime,
        cluster,
        domains,
        region,
        plan,
    })
}

/// Re-reads the domains' PEM files now and then (a replaced certificate
/// or truststore file is served without a restart); the thread ends with
/// the process.
fn watch_domain_files(domains: &Arc<Domains>, store: &Arc<Store>) -> Result<()> {
    let (domains, store) = (Arc::downgrade(domains), Arc::downgrade(store));
    std::thread::Builder::new()
        .name("apigw-domain-files".into())
        .spawn(move || loop {
            std::thread::sleep(apigw::domains::FILE_CHECK);
            let (Some(domains), Some(store)) = (domains.upgrade(), store.upgrade()) else {
                return;
            };
            if let Err(e) = domains.reload(&store) {
                tracing::warn!(error = %e, "cannot re-read the domain names");
            }
        })?;
    Ok(())
}

fn install_signals() -> Result<Signals> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (term, interrupt) = {
        let _runtime = runtime.enter();
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    Ok(Signals {
        runtime,
        term,
        interrupt,
    })
}

/// The bound sockets: one per worker on the data-plane address (and on the
/// TLS one), one for the admin listener.
struct Listeners {
    dataplane: Vec<std::net::TcpListener>,
    tls: Vec<std::net::TcpListener>,
    admin: std::net::TcpListener,
}

fn bind_listeners(settings: &Settings, region: &str) -> Result<Listeners> {
    let dataplane = bind_shared(settings.listen, settings.workers)?;
    let tls = match settings.tls_listen {
        Some(addr) => bind_shared(addr, settings.workers)?,
        None => Vec::new(),
    };
    let admin = bind_shared(settings.admin_listen, 1)?.remove(0);
    tracing::info!(role = "dataplane", addr = %dataplane[0].local_addr()?, workers = settings.workers, "listening");
    if let Some(first) = tls.first() {
        tracing::info!(role = "dataplane-tls", addr = %first.local_addr()?, workers = settings.workers, "listening");
    }
    tracing::info!(role = "admin", addr = %admin.local_addr()?, region = %region, "listening");
    Ok(Listeners {
        dataplane,
        tls,
        admin,
    })
}

/// What every gateway shares: counters, cache, keys, edge, IAM users.
fn build_services(loaded: &Loaded, state: &mut State, data_dir: &Path) -> Result<Arc<Services>> {
    let node = &loaded.file.node;
    let limits = &loaded.file.limits;
    let plan = &state.plan;
    let runtime = state.function_runtime.handle();
    let cluster = state.cluster.as_ref();
    let counters: Arc<dyn apigw::throttle::Counters> = match cluster {
        Some(joined) => Arc::new(apigw::shared_counters::SharedCounters::new(
            joined.counters.clone(),
            joined.view.gossip.peers().len(),
        )),
        None => Arc::new(apigw::throttle::LocalCounters::default()),
    };
    let local_cache = Arc::new(apigw::cache::LocalCache::new(
        node.cache_mb.unwrap_or(64).saturating_mul(1024 * 1024),
    ));
    let cache: Arc<dyn apigw::cache::ResponseCache> = match cluster {
        Some(joined) => Arc::new(apigw::replicated_cache::ReplicatedCache::new(
            local_cache,
            joined.view.gossip.clone(),
        )),
        None => local_cache,
    };
    let access = Arc::new(crate::access::build(loaded, counters)?);
    state.control.attach(access.clone());
    let view = state.cluster.take().map(|joined| joined.view);
    let edge = crate::edge::edge(loaded, view.as_ref(), runtime)?;
    let (iam_keys, identities) = crate::users::load(
        loaded,
        "iam_users",
        &loaded.file.iam_users,
        apigw::policy::Grant::InvokeOnly,
    )?;
    let waf = Arc::new(apigw::web_acls::WebAcls::new(access.counters().clone()));
    state.control.attach_waf(waf.clone());
    let ws_counters = access.counters().clone();
    let upstreams = Arc::new(apigw::dataplane::integration::upstream::Upstreams::new(
        crate::upstreams::configs(&loaded.file.upstreams)?,
    ));
    state.control.attach_upstreams(upstreams.clone());
    upstreams.start_health_checks(runtime);
    let services = Arc::new(Services {
        edge,
        networks: crate::edge::networks(loaded)?,
        cluster: view.clone(),
        functions: state.functions.clone(),
        cache,
        access,
        authorizers: Default::default(),
        jwt: crate::access::build_jwt(loaded, runtime)?,
        iam: apigw::dataplane::iam::IamUsers::new(iam_keys),
        identities,
        region: state.region.clone(),
        capacity: plan.capacity.clone(),
        waf: waf.clone(),
        domains: state.domains.clone(),
        websocket: Arc::new(apigw::dataplane::websocket::WebSockets::new(
            loaded.file.websocket.limits(),
            state.functions.clone(),
            state.deployed.clone(),
            &state.region,
            view,
            ws_counters,
        )),
        observability: Arc::new(observability(loaded, data_dir)?),
        aws: Arc::new(apigw::dataplane::integration::aws::AwsServices::new(
            crate::aws::config(&loaded.file.aws)?,
        )),
        upstreams,
        simulated_backend: None,
    });
    if let Some(view) = services.cluster.as_ref().filter(|v| v.role == "regional") {
        let gateway = Gateway::new(
            state.deployed.clone(),
            crate::edge::client(limits.max_body_bytes)?,
            services.clone(),
            Limits {
                max_body_bytes: limits.max_body_bytes,
                body_pace: plan.body_pace,
            },
        );
        crate::edge::serve_forwarded(view, gateway, runtime);
    }
    Ok(services)
}

/// Stage access-log sinks (the config's, else `{data-dir}/logs`) and metrics.
fn observability(loaded: &Loaded, data_dir: &Path) -> Result<apigw::observability::Observability> {
    use apigw::observability::sinks::{SinkConfig, SinkTarget};
    let log = &loaded.file.log;
    let routes = log
        .access_sinks
        .iter()
        .map(|(arn, to)| {
            let target = match SinkTarget::parse(to) {
                SinkTarget::File(path) => SinkTarget::File(loaded.resolve(&path)),
                other => other,
            };
            (arn.clone(), target)
        })
        .collect();
    let config = SinkConfig {
        routes,
        log_dir: Some(data_dir.join("logs")),
        queue: log.access_queue,
    };
    Ok(apigw::observability::Observability::start(config)?)
}

/// The admin thread and one thread per data-plane worker.
fn start_threads(
    loaded: &Loaded,
    state: &State,
    services: &Arc<Services>,
    admin_user: apigw::dataplane::iam::IamUser,
    listeners: Listeners,
    stopped: &watch::Receiver<bool>,
) -> Result<Vec<std::thread::JoinHandle<Result<()>>>> {
    let limits = &loaded.file.limits;
    let plan = &state.plan;
    let log_flush = Duration::from_millis(loaded.file.log.flush_ms.max(1));
    let admin = admin_worker(
        loaded,
        state,
        services,
        admin_user,
        listeners.admin,
        stopped,
    )?;
    let mut threads = vec![std::thread::Builder::new()
        .name("apigw-admin".into())
        .spawn(move || run_admin(admin))?];
    let mut tls = listeners.tls.into_iter();
    for (index, listener) in listeners.dataplane.into_iter().enumerate() {
        let client = HttpClient::with_slots(
            Duration::from_secs(90),
            limits.max_body_bytes,
            plan.capacity.backends.clone(),
        )
        .context("cannot set up the backend client")?;
        let gateway = Arc::new(Gateway::new(
            state.deployed.clone(),
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
            tls_listener: tls.next(),
            domains: state.domains.clone(),
            gateway,
            options: plan.dataplane.clone(),
            stopped: stopped.clone(),
            log_flush,
        };
        threads.push(
            std::thread::Builder::new()
                .name(format!("apigw-worker-{index}"))
                .spawn(move || run_worker(worker))?,
        );
    }
    Ok(threads)
}

/// The admin listener's handler: the management API with the admin
/// credentials and the config's admin users.
fn admin_worker(
    loaded: &Loaded,
    state: &State,
    services: &Arc<Services>,
    admin_user: apigw::dataplane::iam::IamUser,
    listener: std::net::TcpListener,
    stopped: &watch::Receiver<bool>,
) -> Result<AdminWorker> {
    let limits = &loaded.file.limits;
    let plan = &state.plan;
    let log_flush = Duration::from_millis(loaded.file.log.flush_ms.max(1));
    let (admin_keys, admin_identities) = crate::users::load(
        loaded,
        "admin_users",
        &loaded.file.admin_users,
        apigw::policy::Grant::Everything,
    )?;
    Ok(AdminWorker {
        listener,
        handler: Arc::new(Admin::new(
            state.deployed.clone(),
            services.clone(),
            Some(
                apigw::management::Management::new(
                    state.store.clone(),
                    match &services.cluster {
                        Some(c) => apigw::management::Writer::Raft(c.raft.clone()),
                        None => apigw::management::Writer::Local(state.control.clone()),
                    },
                    limits.max_integration_timeout_ms,
                )
                .with_counters(services.access.counters().clone())
                .with_functions(services.functions.clone())
                .with_admin_users(admin_identities, &services.region)
                .with_account_throttle(apigw::throttle::Rate {
                    per_second: loaded.file.limits.account_rate_limit,
                    burst: loaded.file.limits.account_burst_limit,
                }),
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
        log_flush,
    })
}

/// Joins the threads, stops the functions and the cluster.
fn stop_all(
    threads: Vec<std::thread::JoinHandle<Result<()>>>,
    state: State,
    services: Arc<Services>,
) {
    for thread in threads {
        if let Ok(Err(e)) = thread.join() {
            tracing::error!(error = %e, "worker failed");
        }
    }
    state.functions.shutdown();
    drop(state.functions);
    if let Some(cluster) = &services.cluster {
        state.function_runtime.block_on(cluster.raft.shutdown());
        cluster.transport.close();
    }
    // Killing a process is a signal; give supervisors a moment to reap them.
    state
        .function_runtime
        .shutdown_timeout(Duration::from_secs(2));
    drop(services);
    drop(state.store);
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
        && loaded.file.websocket_apis.is_empty()
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
        let plain = dataplane::serve(
            listener,
            worker.gateway.clone(),
            worker.options.clone(),
            until_stop(worker.stopped.clone()),
        );
        match worker.tls_listener {
            Some(tls) => {
                let tls = dataplane::serve_tls(
                    TcpListener::from_std(tls)?,
                    worker.gateway,
                    worker.domains.tls().clone(),
                    worker.options,
                    until_stop(worker.stopped),
                );
                tokio::join!(plain, tls);
            }
            None => plain.await,
        }
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
