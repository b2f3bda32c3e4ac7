//! `apigw cluster ...` (certificates) and joining the cluster at start:
//! the QUIC endpoint, gossip, and the counters admission shares.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use apigw::dataplane::ClusterView;
use std::path::Path;

use apigw::control::ControlCommand;
use apigw::model::{Deployment, RestApi, Stage};
use apigw::store::Store;
use apigw_cluster::raft::{Application, Command, RaftFailure, RaftNode, RaftTiming};
use apigw_cluster::{pki, CrdtCounters, Gossip, Identity, Peer, Transport, TransportOptions};
use clap::Subcommand;

use crate::config::{socket_addr, ClusterSection, Loaded};

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

/// A node's running cluster membership.
pub struct Joined {
    pub view: Arc<ClusterView>,
    pub counters: Arc<CrdtCounters>,
    pub raft: Arc<RaftNode>,
}

/// Joins the cluster the config describes: binds the QUIC endpoint, starts
/// gossip and this node's Raft member (state in `data_dir/raft`, applied to
/// `control`) on `runtime`; the node with the lowest id makes the first
/// membership of every configured node. `None` for a single node.
pub fn start(
    loaded: &Loaded,
    region: &str,
    data_dir: &Path,
    control: Arc<dyn Application>,
    join: Option<&str>,
    init_store: bool,
    runtime: &tokio::runtime::Handle,
) -> Result<Option<Joined>> {
    let Some(section) = &loaded.file.cluster else {
        return Ok(None);
    };
    let (identity, listen) = identity(loaded, section)?;
    let peers = peers(section, region)?;
    let role = role(section)?;
    let counters = Arc::new(CrdtCounters::new(section.node_id));
    let gossip = Gossip::new(
        region.to_string(),
        role.clone(),
        peers.clone(),
        counters.clone(),
        Duration::from_millis(section.gossip_interval_ms),
    );
    let _guard = runtime.enter();
    let member = open_endpoint(section, identity, listen, gossip.clone())?;
    let transport = member.transport.clone();
    let raft_dir = data_dir.join("raft");
    let raft = start_raft(&member, section, &raft_dir, control, init_store, runtime)?;
    gossip_to_members(runtime, &raft, &gossip, region, section.node_id);
    membership(runtime, &raft, section, &transport, &peers, join)?;
    let view = ClusterView {
        node_id: section.node_id,
        region: region.to_string(),
        role,
        gossip,
        transport,
        raft: raft.clone(),
    };
    Ok(Some(Joined {
        view: Arc::new(view),
        counters,
        raft,
    }))
}

/// The configured peers (a peer without a region is in this node's).
fn peers(section: &ClusterSection, region: &str) -> Result<Vec<Peer>> {
    section
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
        .collect()
}

/// `edge` or `regional` (the default).
fn role(section: &ClusterSection) -> Result<String> {
    let role = section.role.clone().unwrap_or_else(|| "regional".into());
    if role != "edge" && role != "regional" {
        anyhow::bail!("cluster.role `{role}`: use `edge` or `regional`");
    }
    Ok(role)
}

/// This node's certificates and the address its endpoint listens on.
fn identity(loaded: &Loaded, section: &ClusterSection) -> Result<(Identity, SocketAddr)> {
    let certs = loaded.resolve(&section.certs);
    let identity = Identity::load(&certs, &section.name, section.node_id).with_context(|| {
        format!(
            "cannot load node {}'s certificates from {}",
            section.node_id,
            certs.display()
        )
    })?;
    let listen = socket_addr("cluster listen", &section.listen)?;
    Ok((identity, listen))
}

/// Opens the QUIC endpoint with gossip running on it (inside the runtime).
fn open_endpoint(
    section: &ClusterSection,
    identity: Identity,
    listen: SocketAddr,
    gossip: Arc<Gossip>,
) -> Result<apigw_cluster::Member> {
    let member = apigw_cluster::Member::open(gossip, |handler| {
        Transport::bind(listen, identity, TransportOptions::default(), handler)
    })
    .with_context(|| format!("cannot open the cluster endpoint on {listen}"))?;
    let addr = member.transport.local_addr()?;
    tracing::info!(role = "cluster", addr = %addr, node = section.node_id, "listening");
    Ok(member)
}

/// Starts this node's Raft member. A damaged Raft file stops the start,
/// unless `--init-store` sets it aside (the cluster then sends the state
/// again).
fn start_raft(
    member: &apigw_cluster::Member,
    section: &ClusterSection,
    raft_dir: &Path,
    control: Arc<dyn Application>,
    init_store: bool,
    runtime: &tokio::runtime::Handle,
) -> Result<Arc<RaftNode>> {
    let start = || {
        runtime.block_on(member.start_raft(
            section.node_id,
            raft_dir,
            control.clone(),
            RaftTiming::default(),
        ))
    };
    match start() {
        Err(RaftFailure::File(e)) if e.is_damage() && init_store => {
            let aside = apigw_cluster::redb_file::set_aside(e.path())
                .with_context(|| format!("cannot move {} aside", e.path().display()))?;
            tracing::warn!(error = %e, kept_as = %aside.display(), "--init-store: the unreadable Raft state was set aside; the cluster sends this node its state again");
            start()
        }
        Err(RaftFailure::File(e)) if e.is_damage() => anyhow::bail!(
            "{e}\n  Nothing was changed and the node did not start. This is the node's Raft log and state: \
             start it with `--init-store` to set the file aside and receive the state from the cluster's \
             other members again (a cluster of one starts empty: then restore a backup through it)."
        ),
        other => other,
    }
    .context("cannot start this node's Raft member")
}

/// Gossip to every member, including nodes that joined after the start:
/// each membership change adds its nodes as gossip peers.
fn gossip_to_members(
    runtime: &tokio::runtime::Handle,
    raft: &Arc<RaftNode>,
    gossip: &Arc<Gossip>,
    region: &str,
    own: u64,
) {
    let (raft, gossip, region) = (raft.clone(), gossip.clone(), region.to_string());
    runtime.spawn(async move {
        let mut metrics = raft.raft.metrics();
        loop {
            let members: Vec<(u64, String)> = metrics
                .borrow()
                .membership_config
                .nodes()
                .map(|(id, node)| (*id, node.addr.clone()))
                .collect();
            for (id, addr) in members {
                if let (true, Ok(addr)) = (id != own, addr.parse::<SocketAddr>()) {
                    gossip.add_peer(Peer {
                        id,
                        addr,
                        region: region.clone(),
                    });
                }
            }
            if metrics.changed().await.is_err() {
                return;
            }
        }
    });
}

/// This node's place in the membership: with `--join`, asked for (in the
/// background); else, on the lowest-id node, the first membership made.
fn membership(
    runtime: &tokio::runtime::Handle,
    raft: &Arc<RaftNode>,
    section: &ClusterSection,
    transport: &Transport,
    peers: &[Peer],
    join: Option<&str>,
) -> Result<()> {
    if let Some(target) = join {
        let via = join_target(target, peers)?;
        let own = transport.local_addr()?.to_string();
        runtime.spawn(join_as_learner(raft.clone(), section.node_id, own, via));
    } else if lowest_id(section) == section.node_id {
        initialize(runtime, raft, section.node_id, transport, peers)?;
    }
    Ok(())
}

/// The lowest node id of the configured cluster: that node makes the first
/// membership.
fn lowest_id(section: &ClusterSection) -> u64 {
    section
        .peers
        .iter()
        .map(|p| p.id)
        .fold(section.node_id, u64::min)
}

/// `--join`: asks the member at `via` (id, address) to add this node as a
/// learner, once a second for a minute.
async fn join_as_learner(raft: Arc<RaftNode>, node_id: u64, own: String, via: (u64, SocketAddr)) {
    let change = apigw_cluster::raft::MemberChange::Join {
        id: node_id,
        addr: own,
    };
    for attempt in 1..=60 {
        match raft
            .change_members(change.clone(), Some(via), Duration::from_secs(10))
            .await
        {
            Ok(()) => {
                tracing::info!(target: "apigw::cluster", via = via.0, "joined the cluster as a learner");
                return;
            }
            Err(e) => {
                tracing::warn!(target: "apigw::cluster", attempt, error = %e, "cannot join the cluster yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    tracing::error!(target: "apigw::cluster", "gave up joining the cluster");
}

/// The first membership: this node and every configured peer.
fn initialize(
    runtime: &tokio::runtime::Handle,
    raft: &RaftNode,
    node_id: u64,
    transport: &Transport,
    peers: &[Peer],
) -> Result<()> {
    let mut members = std::collections::BTreeMap::new();
    members.insert(node_id, transport.local_addr()?);
    for p in peers {
        members.insert(p.id, p.addr);
    }
    runtime
        .block_on(raft.initialize(members))
        .context("cannot initialize the Raft membership")
}

/// `ID@HOST:PORT`, or `HOST:PORT` of a configured peer.
fn join_target(target: &str, peers: &[Peer]) -> Result<(u64, SocketAddr)> {
    if let Some((id, addr)) = target.split_once('@') {
        let id = id
            .parse()
            .with_context(|| format!("--join `{target}`: `{id}` is not a node id"))?;
        return Ok((id, socket_addr("--join", addr)?));
    }
    let addr = socket_addr("--join", target)?;
    peers
        .iter()
        .find(|p| p.addr == addr)
        .map(|p| (p.id, addr))
        .with_context(|| {
            format!(
                "--join `{target}`: give it as ID@HOST:PORT (no configured peer has that address)"
            )
        })
}

/// Writes control-plane changes through the Raft log (forwarded to the
/// leader); each call waits until this node's store shows the change.
pub struct RaftSink {
    pub raft: Arc<RaftNode>,
    pub store: Arc<Store>,
    pub runtime: tokio::runtime::Handle,
}

impl RaftSink {
    fn write(&self, command: ControlCommand) -> Result<()> {
        let command = Command {
            id: apigw::ids::new_request_id(),
            data: command.encode(),
        };
        let applied = self
            .runtime
            .block_on(self.raft.write(command, Duration::from_secs(10)))
            .context("the cluster did not accept the change")?;
        let outcome: Result<(), String> = serde_json::from_slice(&applied.data).unwrap_or(Ok(()));
        outcome.map_err(anyhow::Error::msg)
    }

    /// Waits (a little) for this node to apply what the leader committed.
    fn until(&self, what: &str, mut done: impl FnMut() -> bool) -> Result<()> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            if std::time::Instant::now() > deadline {
                anyhow::bail!("this node did not apply {what} in time");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Waits for a leader to be known (after a start, an election).
    pub fn wait_for_leader(&self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        while self.raft.leader().is_none() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }
}

impl crate::apply::Sink for RaftSink {
    fn put_function(&self, decl: &apigw::functions::FunctionDecl) -> Result<()> {
        self.write(ControlCommand::PutFunction(Box::new(decl.clone())))?;
        self.until("the function", || {
            self.store.list_functions().is_ok_and(|f| f.contains(decl))
        })
    }

    fn delete_function(&self, name: &str) -> Result<()> {
        self.write(ControlCommand::DeleteFunction(name.to_string()))
    }

    fn put_ws_api(&self, api: &apigw::model::websocket::WsApi) -> Result<()> {
        self.write(ControlCommand::PutWsApi(Box::new(api.clone())))?;
        self.until("the WebSocket API", || {
            self.store
                .get_ws_api(&api.id)
                .is_ok_and(|a| a.as_ref() == Some(api))
        })
    }

    fn prunes(&self) -> bool {
        false
    }

    fn delete_api_key(&self, id: &str) -> Result<()> {
        self.write(ControlCommand::DeleteApiKey(id.to_string()))
    }

    fn delete_usage_plan(&self, id: &str) -> Result<()> {
        self.write(ControlCommand::DeleteUsagePlan(id.to_string()))
    }

    fn put_api_key(&self, key: &apigw::access::ApiKey) -> Result<()> {
        self.write(ControlCommand::PutApiKey(Box::new(key.clone())))?;
        self.until("the API key", || {
            self.store
                .list_api_keys()
                .is_ok_and(|keys| keys.contains(key))
        })
    }

    fn put_usage_plan(&self, plan: &apigw::access::UsagePlan) -> Result<()> {
        self.write(ControlCommand::PutUsagePlan(Box::new(plan.clone())))?;
        self.until("the usage plan", || {
            self.store
                .list_usage_plans()
                .is_ok_and(|plans| plans.contains(plan))
        })
    }

    fn put_api(&self, api: &RestApi) -> Result<()> {
        self.write(ControlCommand::PutApi(Box::new(api.clone())))?;
        self.until("the API", || {
            self.store.get_api(&api.id).ok().flatten().as_ref() == Some(api)
        })
    }

    fn put_deployment(&self, deployment: &Deployment) -> Result<()> {
        self.write(ControlCommand::PutDeployment(Box::new(deployment.clone())))?;
        self.until("the deployment", || {
            self.store
                .get_deployment(&deployment.rest_api_id, &deployment.id)
                .ok()
                .flatten()
                .is_some()
        })
    }

    fn put_stage(&self, stage: &Stage) -> Result<()> {
        self.write(ControlCommand::PutStage(Box::new(stage.clone())))?;
        self.until("the stage", || {
            self.store
                .get_stage(&stage.rest_api_id, &stage.stage_name)
                .ok()
                .flatten()
                .as_ref()
                == Some(stage)
        })
    }
}
