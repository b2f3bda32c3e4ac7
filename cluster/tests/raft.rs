//! A three-member Raft group over real QUIC on loopback, with its state on
//! disk: writes on any node reach all, a killed leader is replaced without
//! losing committed writes, a restarted member catches up from disk and its
//! peers, and a retried command applies once.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use apigw_cluster::raft::{Application, Command, RaftNode, RaftTiming};
use apigw_cluster::{pki, Identity, Kind, Transport, TransportOptions};

/// A key-value map driven by `key=value` commands.
#[derive(Default)]
struct Kv(Mutex<BTreeMap<String, String>>);

impl Application for Kv {
    fn apply(&self, command: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(command);
        if let Some((k, v)) = text.split_once('=') {
            self.0
                .lock()
                .expect("kv")
                .insert(k.to_string(), v.to_string());
        }
        b"ok".to_vec()
    }
    fn snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(&*self.0.lock().expect("kv")).unwrap_or_default()
    }
    fn restore(&self, snapshot: &[u8]) {
        *self.0.lock().expect("kv") = serde_json::from_slice(snapshot).unwrap_or_default();
    }
}

impl Kv {
    fn get(&self, k: &str) -> Option<String> {
        self.0.lock().expect("kv").get(k).cloned()
    }
}

struct Member {
    raft: Arc<RaftNode>,
    kv: Arc<Kv>,
    transport: Arc<Transport>,
}

async fn start(id: u64, addr: SocketAddr, certs: &Path, data: &Path) -> Member {
    let cell: Arc<OnceLock<Arc<RaftNode>>> = Arc::new(OnceLock::new());
    let handler_cell = cell.clone();
    let handler: apigw_cluster::transport::Handler =
        Arc::new(
            move |_from, kind, payload| match (kind, handler_cell.get()) {
                (Kind::Raft, Some(node)) => node.handle(payload),
                _ => Box::pin(async { Err("not ready".to_string()) }),
            },
        );
    let mut transport = None;
    // A restarted member rebinds its old port once the old socket is gone.
    for _ in 0..50 {
        match Transport::bind(
            addr,
            Identity::load(certs, "lab", id).expect("identity"),
            TransportOptions::default(),
            handler.clone(),
        ) {
            Ok(t) => {
                transport = Some(t);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let transport = transport.expect("bind");
    let kv = Arc::new(Kv::default());
    let timing = RaftTiming {
        snapshot_every: 5,
        ..RaftTiming::default()
    };
    let raft = RaftNode::start(
        id,
        &data.join(format!("node-{id}")),
        transport.clone(),
        kv.clone(),
        timing,
    )
    .await
    .expect("raft");
    let _ = cell.set(raft.clone());
    Member {
        raft,
        kv,
        transport,
    }
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn free_port() -> SocketAddr {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raft_group_over_quic_survives_its_leader() {
    let base = std::env::temp_dir().join(format!("apigw-raft-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (certs, data) = (base.join("certs"), base.join("data"));
    pki::init(&certs, "lab", &[1, 2, 3]).expect("certs");
    let addrs: BTreeMap<u64, SocketAddr> = (1..=3).map(|id| (id, free_port())).collect();
    let mut members = BTreeMap::new();
    for (id, addr) in &addrs {
        members.insert(*id, start(*id, *addr, &certs, &data).await);
    }
    members[&1]
        .raft
        .initialize(addrs.clone())
        .await
        .expect("initialize");
    wait_for("a leader", || {
        members.values().all(|m| m.raft.leader().is_some())
    })
    .await;

    // A write on a follower is forwarded to the leader and reaches everyone.
    let leader = members[&1].raft.leader().expect("leader");
    let follower = *members
        .keys()
        .find(|id| **id != leader)
        .expect("a follower");
    let command = Command {
        id: "w1".into(),
        data: b"a=1".to_vec(),
    };
    let applied = members[&follower]
        .raft
        .write(command.clone(), Duration::from_secs(5))
        .await
        .expect("write");
    assert_eq!(applied.data, b"ok");
    wait_for("a=1 everywhere", || {
        members
            .values()
            .all(|m| m.kv.get("a").as_deref() == Some("1"))
    })
    .await;

    // Retrying the same command (an unknown outcome) does not apply it again.
    let again = members[&leader]
        .raft
        .write(command, Duration::from_secs(5))
        .await
        .expect("retry");
    assert!(again.duplicate);

    // Enough writes to take snapshots and compact the log.
    for i in 0..12 {
        let c = Command {
            id: format!("n{i}"),
            data: format!("n{i}={i}").into_bytes(),
        };
        members[&leader]
            .raft
            .write(c, Duration::from_secs(5))
            .await
            .expect("write");
    }

    // Kill the leader: the others elect a new one and keep every committed write.
    let old = members.remove(&leader).expect("leader member");
    old.raft.shutdown().await;
    old.transport.close();
    drop(old);
    wait_for("a new leader", || {
        members
            .values()
            .all(|m| m.raft.leader().is_some_and(|l| l != leader))
    })
    .await;
    let survivor = *members.keys().next().expect("survivor");
    let c = Command {
        id: "w2".into(),
        data: b"b=2".to_vec(),
    };
    members[&survivor]
        .raft
        .write(c, Duration::from_secs(5))
        .await
        .expect("write after failover");
    for m in members.values() {
        assert_eq!(
            m.kv.get("a").as_deref(),
            Some("1"),
            "no committed write lost"
        );
        assert_eq!(m.kv.get("n11").as_deref(), Some("11"));
    }

    // The old leader restarts from its disk and catches up.
    let back = start(leader, addrs[&leader], &certs, &data).await;
    assert_eq!(
        back.kv.get("a").as_deref(),
        Some("1"),
        "state restored from disk before catching up"
    );
    wait_for("the restarted member to catch up", || {
        back.kv.get("b").as_deref() == Some("2")
    })
    .await;
    back.raft.shutdown().await;
    for m in members.values() {
        m.raft.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&base);
}
