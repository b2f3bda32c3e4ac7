//! The control plane's stages, as registers written and read through
//! every node while the leader and a follower are cut off and a node is
//! killed, are linearizable over five seeds (Raft writes, reads behind a
//! ReadIndex barrier); an anomaly fails with the history. Plain local
//! reads (no barrier) are checked too and reported.

use apigw_simulations::linearizability::linearizability;

#[test]
fn stages_are_linearizable_under_partitions_and_a_kill_over_five_seeds() {
    for seed in 1..=5 {
        let dir = std::env::temp_dir().join(format!("apigw-lin-{seed}-{}", std::process::id()));
        let report = linearizability(seed, &dir).expect("runs");
        let _ = std::fs::remove_dir_all(&dir);
        eprintln!(
            "seed {seed}: {} operations ({} reads; writes {} acknowledged, {} refused, {} unknown); faults {:?}; plain local reads: {} keys with anomalies",
            report.verdict.operations,
            report.reads,
            report.writes_acknowledged,
            report.writes_refused,
            report.writes_unknown,
            report.faults,
            report.local_verdict.anomalies.len(),
        );
        assert!(
            report.verdict.ok(),
            "seed {seed}: not linearizable: {:?}\nhistory:\n{}",
            report.verdict,
            report.history_text()
        );
        // The run did what it claims: operations on every key, writes that
        // were refused or unknown while cut off, every fault played.
        assert!(
            report.writes_acknowledged > 50,
            "{}",
            report.writes_acknowledged
        );
        assert!(report.reads > 50, "{}", report.reads);
        assert!(report.writes_refused + report.writes_unknown > 0);
        assert_eq!(report.faults.len(), 5, "{:?}", report.faults);
    }
}
