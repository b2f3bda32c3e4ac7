//! Endpoint types at start: the source networks (trusted proxies, private
//! networks), the edge router of an edge node (region catalog, geo database
//! re-read when its file changes), and serving forwarded requests on a
//! regional node.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use apigw::dataplane::edge::{serve_stream, Edge};
use apigw::dataplane::source::{parse_networks, SourceNetworks, DEFAULT_PRIVATE};
use apigw::dataplane::{ClusterView, Gateway};
use apigw::outbound::HttpClient;
use apigw_geo::choose::ChooserOptions;
use apigw_geo::{Catalog, Chooser, GeoDb};

use crate::config::Loaded;

/// Trusted proxies and private networks from `node:`.
pub fn networks(loaded: &Loaded) -> Result<SourceNetworks> {
    let node = &loaded.file.node;
    let trusted = parse_networks(&node.trusted_proxies).context("node.trusted_proxies")?;
    let private = match &node.private_networks {
        Some(list) => parse_networks(list).context("node.private_networks")?,
        None => parse_networks(&DEFAULT_PRIVATE.map(String::from)).context("default networks")?,
    };
    Ok(SourceNetworks::new(trusted, private))
}

/// The router of an edge node (`cluster.role: edge`); `None` otherwise.
pub fn edge(
    loaded: &Loaded,
    view: Option<&Arc<ClusterView>>,
    runtime: &tokio::runtime::Handle,
) -> Result<Option<Arc<Edge>>> {
    let Some(view) = view.filter(|v| v.role == "edge") else {
        return Ok(None);
    };
    let section =
        loaded.file.geo.as_ref().context(
            "an edge node needs a `geo:` section listing the regions and their coordinates",
        )?;
    if section.regions.is_empty() {
        anyhow::bail!("geo.regions is empty: list every region with lat and lon");
    }
    let mut options = ChooserOptions::default();
    if let Some(h) = section.hysteresis {
        anyhow::ensure!((0.0..1.0).contains(&h), "geo.hysteresis must be in [0, 1)");
        options.hysteresis = h;
    }
    if let Some(km) = section.load_km_per_request {
        options.load_km_per_request = km.max(0.0);
    }
    let geo = match &section.database {
        None => None,
        Some(path) => {
            let path = loaded.resolve(path);
            let db = GeoDb::open(&path)?;
            tracing::info!(path = %path.display(), kind = db.database_type().unwrap_or_default(), "geo database loaded");
            let every = Duration::from_secs(section.reload_secs.unwrap_or(60).max(1));
            let watched = db.clone();
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    match watched.reload_if_changed() {
                        Ok(true) => tracing::info!(path = %watched.path().display(), "geo database reloaded"),
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "geo database not reloaded; keeping the one in use"),
                    }
                }
            });
            Some(db)
        }
    };
    let chooser = Chooser::new(Catalog::new(section.regions.clone()), options);
    Ok(Some(Arc::new(Edge::new(view.clone(), chooser, geo))))
}

/// Serves requests edges forward to this node, with a gateway of its own
/// on `runtime`.
pub fn serve_forwarded(view: &ClusterView, gateway: Gateway, runtime: &tokio::runtime::Handle) {
    let gateway = Arc::new(gateway);
    let runtime = runtime.clone();
    view.transport
        .set_stream_handler(Arc::new(move |from, head, send, recv| {
            let gateway = gateway.clone();
            let task = runtime.spawn(serve_stream(gateway, from, head, send, recv));
            Box::pin(async move {
                let _ = task.await;
            })
        }));
}

/// The backend client of the forwarded-request gateway.
pub fn client(max_body_bytes: usize) -> Result<HttpClient> {
    HttpClient::new(Duration::from_secs(90), max_body_bytes)
        .context("cannot set up the backend client")
}
