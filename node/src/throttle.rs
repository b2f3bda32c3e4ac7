//! Admission counters: token buckets for throttling (GCRA: one timestamp per
//! key) and windowed counts for quotas, behind the [`Counters`] interface a
//! cluster backs with counters shared between nodes.
//!
//! The local implementation shards keys over mutex-guarded maps, so the
//! admission path takes one short, rarely contended lock per check.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::Duration;

pub use crate::model::usage::{Period, Quota, Rate};

/// Where admission state lives: in this process, or shared by a cluster.
pub trait Counters: Send + Sync {
    /// Takes a token from `key`'s bucket; `false` when it is empty.
    fn try_acquire(&self, key: &str, rate: Rate, now: Duration) -> bool;
    /// Counts one request against `key`'s quota in `window`; `None` (and
    /// nothing counted) when the limit is reached, else what remains.
    fn try_consume(&self, key: &str, window: u64, limit: u64) -> Option<u64>;
    /// Requests counted against `key` in `window`.
    fn used(&self, key: &str, window: u64) -> u64;
}

/// One bucket: the theoretical arrival time of the next request (GCRA).
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tat: Duration,
}

/// Counters for one node.
pub struct LocalCounters {
    buckets: Vec<Mutex<HashMap<String, Bucket>>>,
    quotas: Vec<Mutex<HashMap<String, (u64, u64)>>>,
    hasher: std::collections::hash_map::RandomState,
}

const SHARDS: usize = 64;
/// A shard prunes idle buckets when it holds more than this many.
const PRUNE_ABOVE: usize = 4096;

impl Default for LocalCounters {
    fn default() -> Self {
        LocalCounters {
            buckets: (0..SHARDS).map(|_| Mutex::default()).collect(),
            quotas: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }
}

impl LocalCounters {
    fn shard(&self, key: &str) -> usize {
        (self.hasher.hash_one(key) as usize) % SHARDS
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Counters for LocalCounters {
    fn try_acquire(&self, key: &str, rate: Rate, now: Duration) -> bool {
        if rate.per_second <= 0.0 || rate.burst == 0 {
            return false;
        }
        let interval = Duration::from_secs_f64(1.0 / rate.per_second);
        let tolerance = interval * rate.burst;
        let mut shard = lock(&self.buckets[self.shard(key)]);
        if shard.len() > PRUNE_ABOVE {
            // A bucket whose arrival time has passed is full again: forget it.
            shard.retain(|_, b| b.tat > now);
        }
        let tat = shard.get(key).map_or(now, |b| b.tat.max(now));
        let next = tat + interval;
        if next.saturating_sub(now) > tolerance {
            return false;
        }
        shard.insert(key.to_string(), Bucket { tat: next });
        true
    }

    fn try_consume(&self, key: &str, window: u64, limit: u64) -> Option<u64> {
        let mut shard = lock(&self.quotas[self.shard(key)]);
        let entry = shard.entry(key.to_string()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit {
            return None;
        }
        entry.1 += 1;
        Some(limit - entry.1)
    }

    fn used(&self, key: &str, window: u64) -> u64 {
        let shard = lock(&self.quotas[self.shard(key)]);
        shard
            .get(key)
            .filter(|(w, _)| *w == window)
            .map_or(0, |(_, n)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_admit_the_burst_then_the_rate() {
        let c = LocalCounters::default();
        let rate = Rate {
            per_second: 10.0,
            burst: 5,
        };
        let t0 = Duration::from_secs(100);
        let admitted = (0..20).filter(|_| c.try_acquire("k", rate, t0)).count();
        assert_eq!(admitted, 5, "a full bucket admits the burst");
        // 1 s later, 10 more tokens, capped at the burst.
        let t1 = t0 + Duration::from_secs(1);
        let admitted = (0..20).filter(|_| c.try_acquire("k", rate, t1)).count();
        assert_eq!(admitted, 5);
        // Steady: one every 100 ms.
        let mut admitted = 0;
        for i in 0..100u32 {
            if c.try_acquire("k", rate, t1 + Duration::from_millis(100) * (i + 1)) {
                admitted += 1;
            }
        }
        assert_eq!(admitted, 100);
        assert!(c.try_acquire("other", rate, t0), "keys are independent");
        assert!(!c.try_acquire(
            "z",
            Rate {
                per_second: 0.0,
                burst: 5
            },
            t0
        ));
        assert!(!c.try_acquire(
            "z",
            Rate {
                per_second: 5.0,
                burst: 0
            },
            t0
        ));
    }

    #[test]
    fn quotas_count_per_window() {
        let c = LocalCounters::default();
        assert_eq!(c.try_consume("k", 1, 2), Some(1));
        assert_eq!(c.try_consume("k", 1, 2), Some(0));
        assert_eq!(c.try_consume("k", 1, 2), None);
        assert_eq!(c.used("k", 1), 2);
        assert_eq!(
            c.try_consume("k", 2, 2),
            Some(1),
            "a new window starts over"
        );
    }
}
