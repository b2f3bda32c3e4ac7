//! Counters shared by a cluster: one grow-only CRDT counter (`crdts`
//! GCounter, one slot per node) per (key, window). A node adds to its own
//! slot; gossip carries changed counters to peers, which merge them (merge is
//! commutative, associative and idempotent, so order and repeats do not
//! matter and every node converges to the same totals).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crdts::{CmRDT, CvRDT, GCounter};
use num_traits::ToPrimitive;
use serde::{Deserialize, Serialize};

/// One counter as gossip carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub window: u64,
    pub counter: GCounter<u64>,
}

struct Slot {
    counter: GCounter<u64>,
    touched: Instant,
}

/// This node's view of the cluster's counters.
pub struct CrdtCounters {
    node: u64,
    slots: Mutex<HashMap<(String, u64), Slot>>,
    dirty: Mutex<HashSet<(String, u64)>>,
    /// What this node added since its last delta went out (peers cannot
    /// know it yet).
    pending: Mutex<HashMap<(String, u64), u64>>,
}

fn total(counter: &GCounter<u64>) -> u64 {
    counter.read().to_u64().unwrap_or(u64::MAX)
}

impl CrdtCounters {
    pub fn new(node: u64) -> CrdtCounters {
        CrdtCounters {
            node,
            slots: Mutex::new(HashMap::new()),
            dirty: Mutex::new(HashSet::new()),
            pending: Mutex::new(HashMap::new()),
        }
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u64), Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn mark(&self, key: (String, u64)) {
        self.dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key);
    }

    /// Adds `n` to this node's slot of (key, window); returns the new total.
    pub fn add(&self, key: &str, window: u64, n: u64) -> u64 {
        let id = (key.to_string(), window);
        let mut slots = self.lock_slots();
        let slot = slots.entry(id.clone()).or_insert_with(|| Slot {
            counter: GCounter::new(),
            touched: Instant::now(),
        });
        let op = slot.counter.inc_many(self.node, n);
        slot.counter.apply(op);
        slot.touched = Instant::now();
        let sum = total(&slot.counter);
        drop(slots);
        *self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id.clone())
            .or_default() += n;
        self.mark(id);
        sum
    }

    /// The cluster-wide total this node knows for (key, window).
    pub fn total(&self, key: &str, window: u64) -> u64 {
        self.lock_slots()
            .get(&(key.to_string(), window))
            .map_or(0, |s| total(&s.counter))
    }

    /// What this node added to (key, window) since its last delta.
    pub fn pending(&self, key: &str, window: u64) -> u64 {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(key.to_string(), window))
            .copied()
            .unwrap_or(0)
    }

    /// Counters changed since the last call (to gossip).
    pub fn take_delta(&self) -> Vec<Entry> {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let dirty: Vec<(String, u64)> = self
            .dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        let slots = self.lock_slots();
        dirty
            .into_iter()
            .filter_map(|(key, window)| {
                let counter = slots.get(&(key.clone(), window))?.counter.clone();
                Some(Entry {
                    key,
                    window,
                    counter,
                })
            })
            .collect()
    }

    /// Every counter (anti-entropy after a partition).
    pub fn snapshot(&self) -> Vec<Entry> {
        self.lock_slots()
            .iter()
            .map(|((key, window), slot)| Entry {
                key: key.clone(),
                window: *window,
                counter: slot.counter.clone(),
            })
            .collect()
    }

    /// Merges counters from a peer.
    pub fn merge(&self, entries: Vec<Entry>) {
        let mut slots = self.lock_slots();
        for entry in entries {
            let slot = slots
                .entry((entry.key, entry.window))
                .or_insert_with(|| Slot {
                    counter: GCounter::new(),
                    touched: Instant::now(),
                });
            slot.counter.merge(entry.counter);
            slot.touched = Instant::now();
        }
    }

    /// Forgets counters nobody touched for `age` (old windows).
    pub fn prune(&self, age: Duration) {
        let now = Instant::now();
        self.lock_slots()
            .retain(|_, s| now.duration_since(s.touched) < age);
    }

    pub fn len(&self) -> usize {
        self.lock_slots().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn counter(slots: &[(u64, u64)]) -> GCounter<u64> {
        let mut c = GCounter::new();
        for (node, n) in slots {
            let op = c.inc_many(*node, *n);
            c.apply(op);
        }
        c
    }

    fn merged(mut a: GCounter<u64>, b: GCounter<u64>) -> GCounter<u64> {
        a.merge(b);
        a
    }

    fn slots() -> impl Strategy<Value = Vec<(u64, u64)>> {
        prop::collection::vec((0u64..5, 0u64..1000), 0..6)
    }

    proptest! {
        #[test]
        fn merge_is_commutative(a in slots(), b in slots()) {
            prop_assert_eq!(merged(counter(&a), counter(&b)), merged(counter(&b), counter(&a)));
        }

        #[test]
        fn merge_is_associative(a in slots(), b in slots(), c in slots()) {
            let left = merged(merged(counter(&a), counter(&b)), counter(&c));
            let right = merged(counter(&a), merged(counter(&b), counter(&c)));
            prop_assert_eq!(left, right);
        }

        #[test]
        fn merge_is_idempotent(a in slots()) {
            prop_assert_eq!(merged(counter(&a), counter(&a)), counter(&a));
        }

        /// Nodes that exchange their deltas in any order agree on totals.
        #[test]
        fn nodes_converge(adds in prop::collection::vec((0u64..3, 1u64..10), 1..40)) {
            let nodes: Vec<CrdtCounters> = (0..3).map(CrdtCounters::new).collect();
            let mut expected = 0;
            for (node, n) in &adds {
                nodes[*node as usize].add("k", 1, *n);
                expected += n;
            }
            let deltas: Vec<Vec<Entry>> = nodes.iter().map(CrdtCounters::take_delta).collect();
            for (i, node) in nodes.iter().enumerate() {
                for (j, delta) in deltas.iter().enumerate().rev() {
                    if i != j {
                        node.merge(delta.clone());
                        node.merge(delta.clone());
                    }
                }
            }
            for node in &nodes {
                prop_assert_eq!(node.total("k", 1), expected);
            }
        }
    }

    #[test]
    fn deltas_carry_only_what_changed() {
        let c = CrdtCounters::new(1);
        c.add("a", 1, 2);
        c.add("b", 1, 1);
        assert_eq!(c.take_delta().len(), 2);
        assert!(c.take_delta().is_empty());
        c.add("a", 1, 1);
        let delta = c.take_delta();
        assert_eq!(delta.len(), 1);
        assert_eq!(total(&delta[0].counter), 3);
        c.prune(Duration::ZERO);
        assert!(c.is_empty());
    }
}
