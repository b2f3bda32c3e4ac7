//! Admission counters shared by a cluster: the [`Counters`] the node uses
//! when it has peers.
//!
//! Quotas count in a CRDT counter per (key, window), so every node sees the
//! cluster's total (as of the last gossip). Throttles keep the local token
//! bucket for the burst shape and also check a cluster-wide sliding window
//! (the previous second's count, weighted by the part of it still in the
//! window, plus this second's): a request is refused when the cluster has
//! already admitted `rate` in the last second, plus as much of the burst as
//! the previous second left unused.
//!
//! Between two gossip rounds a node knows only its own admissions. For
//! throttles it assumes each peer admitted as many as it did since its last
//! delta went out, which splits the second's headroom between nodes (under
//! uneven load a node refuses early until the next round; a throttled client
//! retries). Quotas do not guess: refusing `Limit Exceeded` for a quota that
//! is not spent would be wrong for the rest of the period, so they count what
//! is known and may overshoot by what the other nodes admitted during one
//! gossip interval (measured in the cluster test).

use std::sync::Arc;
use std::time::Duration;

use apigw_cluster::CrdtCounters;

use crate::throttle::{Counters, LocalCounters, Rate};

/// Local buckets plus cluster-wide CRDT counts.
pub struct SharedCounters {
    local: LocalCounters,
    crdt: Arc<CrdtCounters>,
    /// How many other nodes share the counters.
    peers: u64,
}

impl SharedCounters {
    pub fn new(crdt: Arc<CrdtCounters>, peers: usize) -> SharedCounters {
        SharedCounters {
            local: LocalCounters::default(),
            crdt,
            peers: peers as u64,
        }
    }

    /// The cluster's count, with the peers' unseen share estimated.
    fn estimate(&self, counter: &str, window: u64) -> u64 {
        self.crdt.total(counter, window) + self.peers * self.crdt.pending(counter, window)
    }
}

impl Counters for SharedCounters {
    fn try_acquire(&self, key: &str, rate: Rate, now: Duration) -> bool {
        if !self.local.try_acquire(key, rate, now) {
            return false;
        }
        let second = now.as_secs();
        let into = now.subsec_nanos() as f64 / 1e9;
        let counter = format!("rate:{key}");
        let previous = self.estimate(&counter, second.saturating_sub(1)) as f64;
        let current = self.estimate(&counter, second) as f64;
        let estimate = previous * (1.0 - into) + current;
        // Like a token bucket: the burst is available again only as far as
        // the previous second left the rate unused.
        let unused = 1.0 - (previous / rate.per_second).min(1.0);
        let cap = rate.per_second + f64::from(rate.burst) * unused;
        if estimate >= cap {
            return false;
        }
        self.crdt.add(&counter, second, 1);
        true
    }

    fn try_consume(&self, key: &str, window: u64, limit: u64) -> Option<u64> {
        let counter = format!("quota:{key}");
        if self.crdt.total(&counter, window) >= limit {
            return None;
        }
        let total = self.crdt.add(&counter, window, 1);
        Some(limit.saturating_sub(total))
    }

    fn used(&self, key: &str, window: u64) -> u64 {
        self.crdt.total(&format!("quota:{key}"), window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_count_what_peers_used() {
        let mine = Arc::new(CrdtCounters::new(1));
        let theirs = CrdtCounters::new(2);
        theirs.add("quota:k", 5, 8);
        mine.merge(theirs.take_delta());
        let shared = SharedCounters::new(mine, 1);
        assert_eq!(shared.try_consume("k", 5, 10), Some(1));
        assert_eq!(shared.try_consume("k", 5, 10), Some(0));
        assert_eq!(shared.try_consume("k", 5, 10), None);
    }

    #[test]
    fn throttles_see_the_cluster_rate() {
        let mine = Arc::new(CrdtCounters::new(1));
        let theirs = CrdtCounters::new(2);
        let now = Duration::from_secs(1000);
        theirs.add("rate:k", 1000, 15);
        mine.merge(theirs.take_delta());
        let shared = SharedCounters::new(mine, 0);
        let rate = Rate {
            per_second: 10.0,
            burst: 10,
        };
        let admitted = (0..20)
            .filter(|_| shared.try_acquire("k", rate, now))
            .count();
        assert_eq!(
            admitted, 5,
            "the cluster already admitted 15 of 20 this second"
        );
    }

    #[test]
    fn throttles_split_the_headroom_between_nodes() {
        let mine = Arc::new(CrdtCounters::new(1));
        let shared = SharedCounters::new(mine.clone(), 1);
        let rate = Rate {
            per_second: 10.0,
            burst: 10,
        };
        let now = Duration::from_secs(2000);
        let admitted = (0..30)
            .filter(|_| shared.try_acquire("k", rate, now))
            .count();
        assert_eq!(
            admitted, 10,
            "half of rate + burst while the peer's share is unknown"
        );
        mine.take_delta();
        let later = now + Duration::from_millis(500);
        let more = (0..30)
            .filter(|_| shared.try_acquire("k", rate, later))
            .count();
        assert!(more > 0 && more <= 5, "after a gossip round: {more}");
    }
}
