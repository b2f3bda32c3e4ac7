//! Rate-based rule counting. The engine counts through [`RateCounters`] so
//! the node can back it with its cluster-wide CRDT counters; this module
//! also has [`InMemoryRateCounters`], exact for one process.
//!
//! A rule instance's counter is addressed by [`RateKey`]: the instance (the
//! web ACL, the referencing rule, the group, the rule, so each use of a rule
//! counts separately as AWS does), the aggregation key's bytes and the
//! evaluation window. Windows are counted in buckets of [`BUCKET_SEC`]
//! seconds (AWS checks rates about every 10 seconds): the count at `now` is
//! the sum of the buckets that overlap `(now - window, now]`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Bucket width in seconds.
pub const BUCKET_SEC: u64 = 10;

/// One aggregation instance of one rate-based rule instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateKey<'a> {
    /// The rule instance (`<acl arn>|<rule>` or `<acl arn>|<group rule>|<group>|<rule>`).
    pub instance: &'a str,
    /// The aggregation key, as length-prefixed components (empty for CONSTANT).
    pub key: &'a [u8],
    /// The evaluation window (60, 120, 300 or 600 s).
    pub window_sec: u64,
}

/// Counting for rate-based rules.
pub trait RateCounters {
    /// Records one request for `key` at `now` (Unix seconds). Called once
    /// per request that matches the rule's scope-down and has every key
    /// component.
    fn add(&self, key: &RateKey<'_>, now: u64);
    /// The requests recorded for `key` in the window ending at `now`,
    /// including the one just added. Called right after [`Self::add`].
    fn count(&self, key: &RateKey<'_>, now: u64) -> u64;
}

/// The bucket a timestamp falls in.
pub fn bucket_of(now: u64) -> u64 {
    now - now % BUCKET_SEC
}

/// Whether the bucket starting at `start` overlaps the window ending at `now`.
pub fn in_window(start: u64, window_sec: u64, now: u64) -> bool {
    start + BUCKET_SEC > now.saturating_sub(window_sec)
}

/// (rule instance, aggregation key) -> (bucket start, count), oldest first.
type Buckets = HashMap<(String, Vec<u8>), VecDeque<(u64, u64)>>;

/// Exact in-process counters, bounded: at most `max_keys` aggregation
/// instances are tracked; when full, stale instances are dropped first and
/// new ones are not tracked (they count as zero) until room frees up.
#[derive(Debug)]
pub struct InMemoryRateCounters {
    max_keys: usize,
    inner: Mutex<Buckets>,
}

impl Default for InMemoryRateCounters {
    fn default() -> Self {
        Self::new(100_000)
    }
}

impl InMemoryRateCounters {
    /// Counters tracking at most `max_keys` aggregation instances.
    pub fn new(max_keys: usize) -> Self {
        Self {
            max_keys,
            inner: Mutex::new(HashMap::new()),
        }
    }

    /// How many aggregation instances are tracked.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl RateCounters for InMemoryRateCounters {
    fn add(&self, key: &RateKey<'_>, now: u64) {
        let Ok(mut map) = self.inner.lock() else {
            return;
        };
        let id = (key.instance.to_owned(), key.key.to_vec());
        if !map.contains_key(&id) && map.len() >= self.max_keys {
            map.retain(|_, q| q.back().is_some_and(|(s, _)| in_window(*s, 600, now)));
            if map.len() >= self.max_keys {
                return;
            }
        }
        let q = map.entry(id).or_default();
        let b = bucket_of(now);
        match q.back_mut() {
            Some((s, c)) if *s == b => *c += 1,
            _ => q.push_back((b, 1)),
        }
        while q.front().is_some_and(|(s, _)| !in_window(*s, 600, now)) {
            q.pop_front();
        }
    }

    fn count(&self, key: &RateKey<'_>, now: u64) -> u64 {
        let Ok(map) = self.inner.lock() else { return 0 };
        map.get(&(key.instance.to_owned(), key.key.to_vec()))
            .map(|q| {
                q.iter()
                    .filter(|(s, _)| in_window(*s, key.window_sec, now))
                    .map(|(_, c)| c)
                    .sum()
            })
            .unwrap_or(0)
    }
}
