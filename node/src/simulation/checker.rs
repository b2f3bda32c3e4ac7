//! A linearizability checker for registers (the way Knossos and porcupine
//! check histories; Wing & Gong's search with Lowe's memo of visited
//! states): a history of reads and writes per key, each with the moment it
//! was called and the moment it returned, is linearizable if some order of
//! the operations respects real time (an operation that returned before
//! another was called comes first) and reads every value the register held.
//!
//! A write whose outcome is unknown (it timed out: it may commit later)
//! has no return: it may take effect at any point after its call, or
//! never. Keys are independent registers: each is checked alone.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::Serialize;

/// What one operation did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Op {
    Write(String),
    /// What the read saw (`None`: the key was not set).
    Read(Option<String>),
}

/// One operation of a history.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub client: String,
    pub key: String,
    pub op: Op,
    /// When it was called and when it returned (µs); `None`: unknown
    /// outcome (only writes: reads that did not return are left out).
    pub call: u64,
    pub ret: Option<u64>,
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ret = self.ret.map_or("?".to_string(), |r| r.to_string());
        match &self.op {
            Op::Write(v) => write!(
                f,
                "[{} .. {ret}] {} write {}={v}",
                self.call, self.client, self.key
            ),
            Op::Read(v) => write!(
                f,
                "[{} .. {ret}] {} read {}={}",
                self.call,
                self.client,
                self.key,
                v.as_deref().unwrap_or("<unset>")
            ),
        }
    }
}

/// Searches a linearization of one key's operations; the register starts
/// unset. Gives up (`None`) past `budget` visited states.
fn linearizable_key(ops: &[&Event], budget: usize) -> Option<bool> {
    let n = ops.len();
    let mut done = vec![false; n];
    let mut seen: HashSet<(Vec<bool>, Option<String>)> = HashSet::new();
    search(ops, &mut done, None, &mut seen, budget)
}

fn search(
    ops: &[&Event],
    done: &mut Vec<bool>,
    value: Option<String>,
    seen: &mut HashSet<(Vec<bool>, Option<String>)>,
    budget: usize,
) -> Option<bool> {
    // Finished once every operation that returned is placed (pending
    // writes may never have happened).
    if ops
        .iter()
        .zip(done.iter())
        .all(|(e, d)| *d || e.ret.is_none())
    {
        return Some(true);
    }
    if !seen.insert((done.clone(), value.clone())) {
        return Some(false);
    }
    if seen.len() > budget {
        return None;
    }
    // An operation may go next only if it was called before every other
    // remaining operation returned.
    let horizon = ops
        .iter()
        .zip(done.iter())
        .filter(|(_, d)| !**d)
        .filter_map(|(e, _)| e.ret)
        .min()
        .unwrap_or(u64::MAX);
    for i in 0..ops.len() {
        if done[i] || ops[i].call > horizon {
            continue;
        }
        let next = match &ops[i].op {
            Op::Write(v) => Some(v.clone()),
            Op::Read(seen_value) if *seen_value == value => value.clone(),
            Op::Read(_) => continue,
        };
        done[i] = true;
        let found = search(ops, done, next, seen, budget);
        done[i] = false;
        if found != Some(false) {
            return found;
        }
    }
    Some(false)
}

/// The verdict on a history.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Keys with no linearization, each with its operations.
    pub anomalies: Vec<(String, Vec<String>)>,
    /// Keys the search gave up on.
    pub unknown: Vec<String>,
    pub operations: usize,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.anomalies.is_empty() && self.unknown.is_empty()
    }
}

/// Checks every key of `history` (visiting at most `budget` states each).
pub fn check(history: &[Event], budget: usize) -> Verdict {
    let mut by_key: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for e in history {
        by_key.entry(e.key.as_str()).or_default().push(e);
    }
    let mut verdict = Verdict {
        anomalies: Vec::new(),
        unknown: Vec::new(),
        operations: history.len(),
    };
    for (key, mut ops) in by_key {
        ops.sort_by_key(|e| (e.call, e.ret));
        match linearizable_key(&ops, budget) {
            Some(true) => {}
            Some(false) => verdict
                .anomalies
                .push((key.to_string(), ops.iter().map(|e| e.to_string()).collect())),
            None => verdict.unknown.push(key.to_string()),
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(client: &str, v: &str, call: u64, ret: Option<u64>) -> Event {
        Event {
            client: client.into(),
            key: "prod".into(),
            op: Op::Write(v.into()),
            call,
            ret,
        }
    }

    fn r(client: &str, v: Option<&str>, call: u64, ret: u64) -> Event {
        Event {
            client: client.into(),
            key: "prod".into(),
            op: Op::Read(v.map(String::from)),
            call,
            ret: Some(ret),
        }
    }

    #[test]
    fn concurrent_operations_may_take_either_order() {
        let h = vec![
            w("a", "d1", 0, Some(10)),
            w("b", "d2", 5, Some(15)),
            r("c", Some("d1"), 12, 20),
            r("c", Some("d1"), 21, 30),
        ];
        assert!(check(&h, 10_000).ok());
    }

    #[test]
    fn a_stale_read_after_a_write_returned_is_rejected() {
        // d2 was written (and acknowledged) before the read started, yet the
        // read saw d1: a lagging replica answered it.
        let h = vec![
            w("a", "d1", 0, Some(10)),
            w("a", "d2", 20, Some(30)),
            r("b", Some("d1"), 40, 50),
        ];
        let v = check(&h, 10_000);
        assert_eq!(v.anomalies.len(), 1, "{v:?}");
        assert!(v.anomalies[0].1.iter().any(|l| l.contains("read prod=d1")));
    }

    #[test]
    fn a_value_never_written_is_rejected_and_reads_cannot_go_back() {
        let h = vec![w("a", "d1", 0, Some(10)), r("b", Some("d9"), 20, 30)];
        assert!(!check(&h, 10_000).ok());
        // d2 seen, then d1 again with no write of d1 in between.
        let h = vec![
            w("a", "d1", 0, Some(10)),
            w("a", "d2", 11, Some(100)),
            r("b", Some("d2"), 20, 30),
            r("b", Some("d1"), 40, 50),
        ];
        assert!(!check(&h, 10_000).ok());
    }

    #[test]
    fn a_write_of_unknown_outcome_may_or_may_not_have_happened() {
        let took_effect = vec![w("a", "d1", 0, None), r("b", Some("d1"), 50, 60)];
        assert!(check(&took_effect, 10_000).ok());
        let did_not = vec![w("a", "d1", 0, None), r("b", None, 50, 60)];
        assert!(check(&did_not, 10_000).ok());
        // But once seen, it cannot be unseen.
        let flips = vec![
            w("a", "d1", 0, None),
            r("b", Some("d1"), 50, 60),
            r("b", None, 70, 80),
        ];
        assert!(!check(&flips, 10_000).ok());
    }
}
