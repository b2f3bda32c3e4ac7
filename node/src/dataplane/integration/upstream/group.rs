//! One upstream group: its targets, their health (the active check's
//! verdict, passive ejection), and the choice of a target per request.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{Balance, UpstreamConfig};

/// A target and what is known of it.
#[derive(Debug)]
struct Target {
    addr: String,
    /// The active check's verdict (true until it says otherwise).
    healthy: AtomicBool,
    in_flight: AtomicUsize,
    /// Consecutive failed requests (passive).
    failures: AtomicU32,
    ejected_until: Mutex<Option<Instant>>,
}

impl Target {
    fn ejected(&self, now: Instant) -> bool {
        let until = self.ejected_until.lock().unwrap_or_else(|e| e.into_inner());
        until.is_some_and(|t| t > now)
    }

    fn available(&self, now: Instant) -> bool {
        self.healthy.load(Ordering::Relaxed) && !self.ejected(now)
    }
}

/// A target's state, for `/metrics` and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetHealth {
    pub addr: String,
    pub healthy: bool,
    pub ejected: bool,
    pub in_flight: usize,
}

/// An upstream group.
#[derive(Debug)]
pub struct Group {
    config: UpstreamConfig,
    targets: Vec<Target>,
    next: AtomicUsize,
}

impl Group {
    pub(super) fn new(config: UpstreamConfig) -> Group {
        let targets = config
            .targets
            .iter()
            .map(|addr| Target {
                addr: addr.clone(),
                healthy: AtomicBool::new(true),
                in_flight: AtomicUsize::new(0),
                failures: AtomicU32::new(0),
                ejected_until: Mutex::new(None),
            })
            .collect();
        Group {
            config,
            targets,
            next: AtomicUsize::new(0),
        }
    }

    pub(super) fn config(&self) -> &UpstreamConfig {
        &self.config
    }

    /// The targets' addresses, in config order.
    pub(super) fn addrs(&self) -> impl Iterator<Item = &str> {
        self.targets.iter().map(|t| t.addr.as_str())
    }

    /// The active check's verdict on target `index`.
    pub(super) fn set_healthy(&self, index: usize, healthy: bool) {
        if let Some(t) = self.targets.get(index) {
            if t.healthy.swap(healthy, Ordering::Relaxed) != healthy {
                tracing::info!(target_arn = %self.config.target_arn, upstream = %t.addr, healthy, "upstream target health changed");
            }
        }
    }

    pub fn health(&self) -> Vec<TargetHealth> {
        let now = Instant::now();
        self.targets
            .iter()
            .map(|t| TargetHealth {
                addr: t.addr.clone(),
                healthy: t.healthy.load(Ordering::Relaxed),
                ejected: t.ejected(now),
                in_flight: t.in_flight.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// A target for the next request, other than `avoid`; `None` when no
    /// target is healthy and in the rotation.
    pub(crate) fn pick(self: &Arc<Self>, avoid: Option<usize>) -> Option<Picked> {
        let now = Instant::now();
        let n = self.targets.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let candidates = (0..n)
            .map(|k| (start + k) % n)
            .filter(|&i| Some(i) != avoid && self.targets[i].available(now));
        let index = match self.config.balance {
            Balance::RoundRobin => candidates.into_iter().next(),
            Balance::LeastConnections => {
                candidates.min_by_key(|&i| self.targets[i].in_flight.load(Ordering::Relaxed))
            }
        }?;
        self.targets[index]
            .in_flight
            .fetch_add(1, Ordering::Relaxed);
        Some(Picked {
            group: self.clone(),
            index,
        })
    }

    /// Counts a failed request (no connection, or no answer in time)
    /// against target `index`; enough in a row eject it, unless the
    /// group's ejected share is already at its maximum.
    fn failed(&self, index: usize) {
        let passive = &self.config.passive;
        let target = &self.targets[index];
        let failures = target.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if passive.consecutive_failures == 0 || failures < passive.consecutive_failures {
            return;
        }
        let now = Instant::now();
        let ejected = self.targets.iter().filter(|t| t.ejected(now)).count();
        let share = self.targets.len() * passive.max_ejected_percent as usize / 100;
        if ejected >= share.max(1) || target.ejected(now) {
            return;
        }
        *target
            .ejected_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(now + passive.ejection);
        target.failures.store(0, Ordering::Relaxed);
        tracing::warn!(target_arn = %self.config.target_arn, upstream = %target.addr, failures, "upstream target ejected");
    }
}

/// A target chosen for one request; counted in flight until dropped.
pub(crate) struct Picked {
    group: Arc<Group>,
    pub index: usize,
}

impl Picked {
    pub fn addr(&self) -> &str {
        &self.group.targets[self.index].addr
    }

    /// The target answered.
    pub fn succeeded(&self) {
        self.group.targets[self.index]
            .failures
            .store(0, Ordering::Relaxed);
    }

    /// The target could not be reached or did not answer in time.
    pub fn failed(&self) {
        self.group.failed(self.index);
    }
}

impl Drop for Picked {
    fn drop(&mut self) {
        self.group.targets[self.index]
            .in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::super::Passive;
    use super::*;

    fn group(balance: Balance, n: usize) -> Arc<Group> {
        Arc::new(Group::new(UpstreamConfig {
            target_arn: "arn".into(),
            targets: (0..n).map(|i| format!("127.0.0.1:{}", 1000 + i)).collect(),
            balance,
            health_check: None,
            passive: Passive {
                consecutive_failures: 2,
                ejection: std::time::Duration::from_secs(60),
                max_ejected_percent: 50,
            },
        }))
    }

    #[test]
    fn round_robin_takes_each_healthy_target_in_turn() {
        let g = group(Balance::RoundRobin, 3);
        g.set_healthy(1, false);
        let picked: Vec<usize> = (0..4)
            .filter_map(|_| g.pick(None))
            .map(|p| p.index)
            .collect();
        assert_eq!(picked, [0, 2, 2, 0]);
        g.set_healthy(0, false);
        g.set_healthy(2, false);
        assert!(g.pick(None).is_none(), "no healthy target");
    }

    #[test]
    fn least_connections_prefers_the_idle_target() {
        let g = group(Balance::LeastConnections, 2);
        let busy = g.pick(None).expect("a target");
        for _ in 0..3 {
            let next = g.pick(None).expect("a target");
            assert_ne!(next.index, busy.index);
        }
    }

    #[test]
    fn failures_eject_up_to_the_maximum_share() {
        let g = group(Balance::RoundRobin, 4);
        for index in [0, 0, 1, 1, 2, 2] {
            g.failed(index);
        }
        let ejected: Vec<bool> = g.health().iter().map(|t| t.ejected).collect();
        assert_eq!(ejected, [true, true, false, false], "50 % of 4 at most");
        let p = g.pick(Some(2)).expect("a target");
        assert_eq!(p.index, 3);
    }
}
