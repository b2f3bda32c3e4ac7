//! `apigw cluster ...` (certificates) and joining the cluster at start:
//! the QUIC endpoint, gossip, and the counters admission shares.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use apigw::dataplane::ClusterView;
use apigw_cluster::{pki, CrdtCounters, Gossip, Identity, Peer, Transport, TransportOptions};
use clap::Subcommand;

use crate::config::{socket_addr, Loaded};

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Make a cluster CA and certificates for the first nodes.
    Init {
        /// Where to write ca.pem, ca.key, node-{id}.pem, node-{id}.key.
        #[arg(long)]
        dir: PathBuf,
        /// The cluster's name (certificates name nodes `node-{id}.{name}.apigw`).
        #[arg(long, default_value = "apigw")]
        name: String,
        /// Node ids, comma separated.
        #[arg(long, value_delimiter = ',', required = true)]
        nodes: Vec<u64>,
    },
    /// Issue a certificate for another node with an existing CA.
    Issue {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value = "apigw")]
        name: String,
        #[arg(long)]
        node: u64,
    },
}

pub fn run(command: ClusterCommand) -> Result<()> {
    match command {
        ClusterCommand::Init { dir, name, nodes } => {
            pki::init(&dir, &name, &nodes)?;
            println!(
                "cluster `{name}`: CA and certificates for nodes {nodes:?} in {}",
                dir.display()
            );
        }
        ClusterCommand::Issue { dir, name, node } => {
            pki::issue(&dir, &name, node)?;
            println!(
                "cluster `{name}`: certificate for node {node} in {}",
                dir.display()
            );
        }
    }
    Ok(())
}

/// Joins the cluster the config describes: binds the QUIC endpoint and
/// starts gossip on `runtime`. `None` for a single node.
pub fn start(
    loaded: &Loaded,
    region: &str,
    runtime: &tokio::runtime::Handle,
) -> Result<Option<(Arc<ClusterView>, Arc<CrdtCounters>)>> {
    let Some(section) = &loaded.file.cluster else {
        return Ok(None);
    };
    let certs = loaded.resolve(&section.certs);
    let identity = Identity::load(&certs, &section.name, section.node_id).with_context(|| {
        format!(
            "cannot load node {}'s certificates from {}",
            section.node_id,
            certs.display()
        )
    })?;
    let listen = socket_addr("cluster listen", &section.listen)?;
    let peers = section
        .peers
        .iter()
        .map(|p| {
            Ok(Peer {
                id: p.id,
                addr: p.addr.parse::<SocketAddr>().with_context(|| {
                    format!("cluster peer {}: `{}` is not an address", p.id, p.addr)
                })?,
                region: p.region.clone().unwrap_or_else(|| region.to_string()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let counters = Arc::new(CrdtCounters::new(section.node_id));
    let gossip = Gossip::new(
        region.to_string(),
        peers,
        counters.clone(),
        Duration::from_millis(section.gossip_interval_ms),
    );
    let handler_gossip = gossip.clone();
    let handler =
        apigw_cluster::transport::sync_handler(move |from, kind, payload: Vec<u8>| match kind {
            apigw_cluster::Kind::Gossip => handler_gossip.receive(from, &payload),
            other => Err(format!("{other:?} traffic is not served by this version")),
        });
    let _guard = runtime.enter();
    let transport = Transport::bind(listen, identity, TransportOptions::default(), handler)
        .with_context(|| format!("cannot open the cluster endpoint on {listen}"))?;
    tracing::info!(role = "cluster", addr = %transport.local_addr()?, node = section.node_id, "listening");
    runtime.spawn(gossip.clone().run(transport.clone()));
    let view = ClusterView {
        node_id: section.node_id,
        region: region.to_string(),
        role: section.role.clone().unwrap_or_else(|| "regional".into()),
        gossip,
        transport,
    };
    Ok(Some((Arc::new(view), counters)))
}
