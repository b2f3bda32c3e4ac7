//! How long a control-plane write takes to reach every member: three Raft
//! members in one process over real QUIC on loopback, state on disk; each
//! write is timed from the call until all three members applied it.
//!
//!     cargo run --release -p apigw-cluster --example raft_propagation [WRITES]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use apigw_cluster::raft::{Application, Command, RaftNode, RaftTiming};
use apigw_cluster::{pki, Identity, Kind, Transport, TransportOptions};

/// Counts applied commands.
#[derive(Default)]
struct Counter(AtomicU64);

impl Application for Counter {
    fn apply(&self, _command: &[u8]) -> Vec<u8> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Vec::new()
    }
    fn snapshot(&self) -> Vec<u8> {
        self.0.load(Ordering::SeqCst).to_le_bytes().to_vec()
    }
    fn restore(&self, snapshot: &[u8]) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(snapshot.get(..8).unwrap_or(&[0; 8]));
        self.0.store(u64::from_le_bytes(bytes), Ordering::SeqCst);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let writes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(300);
    let base = std::env::temp_dir().join(format!("apigw-raft-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    pki::init(&base.join("certs"), "bench", &[1, 2, 3])?;
    let mut addrs = BTreeMap::new();
    let mut members = Vec::new();
    for id in 1..=3u64 {
        let cell: Arc<OnceLock<Arc<RaftNode>>> = Arc::new(OnceLock::new());
        let handler_cell = cell.clone();
        let handler: apigw_cluster::transport::Handler = Arc::new(
            move |_from, kind, payload| match (kind, handler_cell.get()) {
                (Kind::Raft, Some(node)) => node.handle(payload),
                _ => Box::pin(async { Err("not ready".to_string()) }),
            },
        );
        let transport = Transport::bind(
            "127.0.0.1:0".parse()?,
            Identity::load(&base.join("certs"), "bench", id)?,
            TransportOptions::default(),
            handler,
        )?;
        addrs.insert(id, transport.local_addr()?);
        let app = Arc::new(Counter::default());
        let raft = RaftNode::start(
            id,
            &base.join(format!("node-{id}")),
            transport,
            app.clone(),
            RaftTiming::default(),
        )
        .await?;
        let _ = cell.set(raft.clone());
        members.push((raft, app));
    }
    members[0].0.initialize(addrs).await?;
    while members.iter().any(|(r, _)| r.leader().is_none()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let leader = members[0].0.leader().unwrap_or(1);
    let writer = members
        .iter()
        .find(|(r, _)| r.node_id() == leader)
        .map(|(r, _)| r.clone())
        .ok_or("no leader")?;
    let mut latencies = Vec::with_capacity(writes);
    for i in 0..writes {
        let before: Vec<u64> = members
            .iter()
            .map(|(_, a)| a.0.load(Ordering::SeqCst))
            .collect();
        let started = Instant::now();
        writer
            .write(
                Command {
                    id: format!("w{i}"),
                    data: vec![0; 512],
                },
                Duration::from_secs(5),
            )
            .await?;
        while members
            .iter()
            .zip(&before)
            .any(|((_, a), b)| a.0.load(Ordering::SeqCst) <= *b)
        {
            tokio::task::yield_now().await;
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{writes} writes of 512 bytes, 3 members over QUIC on loopback, log on disk: leader commit + apply on all three: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.5).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    );
    for (raft, _) in &members {
        raft.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&base);
    Ok(())
}
