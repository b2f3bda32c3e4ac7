//! `apigw serve`: open the store, apply the config, start the listeners,
//! stop gracefully on SIGTERM/SIGINT.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use apigw::admin::Admin;
use apigw::dataplane::integration::http::HttpClient;
use apigw::dataplane::{self, Gateway, Limits, ServerOptions};
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
    /// Log format: json or text [default: json].
    #[arg(long, env = "APIGW_LOG_FORMAT")]
    log_format: Option<String>,
    /// Log filter, e.g. `info` or `apigw=debug` [default: info].
    #[arg(long, env = "APIGW_LOG")]
    log: Option<String>,
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
    init_logging(&format, &filter)?;
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

    let store = Store::open(&data_dir)
        .with_context(|| format!("cannot open the store in {}", data_dir.display()))?;
    for applied in crate::apply::apply(&store, &loaded)? {
        for w in &applied.warnings {
            tracing::warn!(api = %applied.api_id, at = %w.at, "{}", w.message);
        }
        tracing::info!(
            api = %applied.api_id,
            name = %applied.name,
            changed = applied.changed,
            deployed = ?applied.deployed,
            "api from config"
        );
    }
    let deployed = Arc::new(Deployed::default());
    for finding in deployed.reload(&store)? {
        tracing::warn!(at = %finding.at, "{} (this method answers 500)", finding.message);
    }

    let limits = &loaded.file.limits;
    let client = HttpClient::new(Duration::from_secs(90), limits.max_body_bytes)
        .context("cannot set up the backend client")?;
    let gateway = Arc::new(Gateway::new(
        deployed.clone(),
        client,
        Limits {
            max_body_bytes: limits.max_body_bytes,
        },
    ));
    let admin = Arc::new(Admin::new(deployed.clone()));
    let options = ServerOptions {
        max_connections: limits.max_connections,
        max_header_bytes: limits.max_header_bytes,
        drain: Duration::from_millis(limits.drain_timeout_ms),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let data_listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let admin_listener =
            TcpListener::bind(admin_listen).await.with_context(|| format!("cannot listen on {admin_listen}"))?;
        tracing::info!(role = "dataplane", addr = %data_listener.local_addr()?, "listening");
        tracing::info!(role = "admin", addr = %admin_listener.local_addr()?, "listening");
        tracing::info!(stages = deployed.load().stage_count(), data_dir = %data_dir.display(), "ready");

        let (stop, stopped) = watch::channel(false);
        let until_stop = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let data = tokio::spawn(dataplane::serve(data_listener, gateway, options.clone(), until_stop(stopped.clone())));
        let admin = tokio::spawn(dataplane::serve(admin_listener, admin, options, until_stop(stopped)));
        let signal = wait_for_signal().await;
        tracing::info!(signal, "shutting down");
        let _ = stop.send(true);
        let _ = tokio::join!(data, admin);
        drop(store);
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}

fn init_logging(format: &str, filter: &str) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .with_context(|| format!("bad log filter `{filter}`"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    match format {
        "json" => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
        "text" => builder.init(),
        other => anyhow::bail!("log format `{other}` is not json or text"),
    }
    Ok(())
}
