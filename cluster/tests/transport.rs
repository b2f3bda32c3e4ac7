//! Real QUIC endpoints on loopback: mutual TLS from the cluster CA, peer
//! names checked, gossip converging counters between nodes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use apigw_cluster::{
    pki, CrdtCounters, Gossip, Identity, Kind, Peer, Transport, TransportError, TransportOptions,
};

fn dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("apigw-cluster-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn echo() -> apigw_cluster::transport::Handler {
    apigw_cluster::transport::sync_handler(|from, _kind, payload: Vec<u8>| {
        let mut out = format!("from {from}: ").into_bytes();
        out.extend(payload);
        Ok(out)
    })
}

fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("addr")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_calls_and_refusals() {
    let certs = dir("tls");
    pki::init(&certs, "lab", &[1, 2]).expect("certs");
    let one = Transport::bind(
        any_port(),
        Identity::load(&certs, "lab", 1).expect("1"),
        TransportOptions::default(),
        echo(),
    )
    .expect("bind 1");
    let two = Transport::bind(
        any_port(),
        Identity::load(&certs, "lab", 2).expect("2"),
        TransportOptions::default(),
        echo(),
    )
    .expect("bind 2");
    let two_addr = two.local_addr().expect("addr");
    let answer = one
        .call(
            2,
            two_addr,
            Kind::Gossip,
            b"hi".to_vec(),
            Duration::from_secs(5),
        )
        .await
        .expect("call");
    assert_eq!(answer, b"from 1: hi");

    // Dialling node 2's address as if it were node 3: its certificate does
    // not name node 3, so the handshake fails.
    let wrong = one
        .call(
            3,
            two_addr,
            Kind::Gossip,
            b"hi".to_vec(),
            Duration::from_secs(5),
        )
        .await;
    assert!(
        matches!(wrong, Err(TransportError::Unreachable { .. })),
        "{wrong:?}"
    );

    // A node with a certificate from another CA is refused.
    let other = dir("other");
    pki::init(&other, "lab", &[1]).expect("other CA");
    let stranger = Transport::bind(
        any_port(),
        Identity::load(&other, "lab", 1).expect("stranger"),
        TransportOptions::default(),
        echo(),
    )
    .expect("bind");
    let refused = stranger
        .call(
            2,
            two_addr,
            Kind::Gossip,
            b"hi".to_vec(),
            Duration::from_secs(5),
        )
        .await;
    assert!(
        refused.is_err(),
        "a certificate from another CA must be refused: {refused:?}"
    );

    // Node 2 claiming to be node 1 in its frames is refused by the server's
    // check of its certificate (node 2 dials node 1 with node 2's cert but a
    // forged identity).
    let mut forged = Identity::load(&certs, "lab", 2).expect("2");
    forged.node_id = 1;
    let impostor =
        Transport::bind(any_port(), forged, TransportOptions::default(), echo()).expect("bind");
    let one_addr = one.local_addr().expect("addr");
    let impersonation = impostor
        .call(
            1,
            one_addr,
            Kind::Gossip,
            b"hi".to_vec(),
            Duration::from_secs(5),
        )
        .await;
    assert!(
        matches!(impersonation, Err(TransportError::Refused { .. })),
        "{impersonation:?}"
    );
    let _ = std::fs::remove_dir_all(&certs);
    let _ = std::fs::remove_dir_all(&other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_converges_counters_and_tracks_health() {
    let certs = dir("gossip");
    pki::init(&certs, "lab", &[1, 2, 3]).expect("certs");
    let interval = Duration::from_millis(50);
    let mut nodes = Vec::new();
    // Bind first to learn the ports, then start gossip with the peer list.
    let mut slots = Vec::new();
    for id in 1..=3u64 {
        let counters = Arc::new(CrdtCounters::new(id));
        let cell: Arc<std::sync::OnceLock<Arc<Gossip>>> = Arc::new(std::sync::OnceLock::new());
        let handler_cell = cell.clone();
        let handler =
            apigw_cluster::transport::sync_handler(move |from, _kind, payload: Vec<u8>| {
                match handler_cell.get() {
                    Some(g) => g.receive(from, &payload),
                    None => Err("not ready".into()),
                }
            });
        let transport = Transport::bind(
            any_port(),
            Identity::load(&certs, "lab", id).expect("identity"),
            TransportOptions::default(),
            handler,
        )
        .expect("bind");
        slots.push((id, counters, cell, transport));
    }
    let addrs: Vec<(u64, SocketAddr)> = slots
        .iter()
        .map(|(id, _, _, t)| (*id, t.local_addr().expect("addr")))
        .collect();
    for (id, counters, cell, transport) in slots {
        let peers = addrs
            .iter()
            .filter(|(p, _)| *p != id)
            .map(|(p, addr)| Peer {
                id: *p,
                addr: *addr,
                region: "eu".into(),
            })
            .collect();
        let gossip = Gossip::new(
            "eu".into(),
            "regional".into(),
            peers,
            counters.clone(),
            interval,
        );
        let _ = cell.set(gossip.clone());
        tokio::spawn(gossip.clone().run(transport.clone()));
        nodes.push((counters, gossip, transport));
    }
    for (i, (counters, _, _)) in nodes.iter().enumerate() {
        counters.add("quota:k", 7, (i as u64 + 1) * 10);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let totals: Vec<u64> = nodes
            .iter()
            .map(|(c, _, _)| c.total("quota:k", 7))
            .collect();
        if totals.iter().all(|t| *t == 60) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "counters did not converge: {totals:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        nodes[0].1.peers().iter().all(|p| p.up),
        "{:?}",
        nodes[0].1.peers()
    );

    // Stop node 3: the others mark it down after three intervals (>= 1 s).
    nodes[2].2.close();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let seen_by_one = nodes[0].1.peers();
    assert!(
        seen_by_one.iter().any(|p| p.id == 3 && !p.up),
        "{seen_by_one:?}"
    );
    assert!(
        seen_by_one.iter().any(|p| p.id == 2 && p.up),
        "{seen_by_one:?}"
    );
    let _ = std::fs::remove_dir_all(&certs);
}
