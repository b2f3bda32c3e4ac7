//! Per-rule tallies, the counterpart of AWS WAF's CloudWatch metrics
//! (`AllowedRequests`, `BlockedRequests`, `CountedRequests`,
//! `CaptchaRequests`, `ChallengeRequests` per rule metric name, and `ALL`
//! for the web ACL). The node records each [`Verdict`] and exposes the
//! snapshot on `/metrics`.

use crate::eval::{Tally, Verdict};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Counts per tally kind for one metric name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// `AllowedRequests`.
    pub allowed: u64,
    /// `BlockedRequests`.
    pub blocked: u64,
    /// `CountedRequests`.
    pub counted: u64,
    /// `CaptchaRequests`.
    pub captcha: u64,
    /// `ChallengeRequests`.
    pub challenge: u64,
}

impl Counts {
    fn bump(&mut self, t: Tally) {
        let slot = match t {
            Tally::Allowed => &mut self.allowed,
            Tally::Blocked => &mut self.blocked,
            Tally::Counted => &mut self.counted,
            Tally::Captcha => &mut self.captcha,
            Tally::Challenge => &mut self.challenge,
        };
        *slot += 1;
    }
}

/// Tallies for one web ACL. Bounded by the number of metric names the ACL
/// defines.
#[derive(Debug, Default)]
pub struct Tallies {
    inner: Mutex<BTreeMap<String, Counts>>,
}

impl Tallies {
    /// Records one verdict.
    pub fn record(&self, v: &Verdict) {
        let Ok(mut map) = self.inner.lock() else {
            return;
        };
        for (metric, t) in &v.trace.tallies {
            map.entry(metric.clone()).or_default().bump(*t);
        }
    }

    /// The counts by metric name.
    pub fn snapshot(&self) -> BTreeMap<String, Counts> {
        self.inner.lock().map(|m| m.clone()).unwrap_or_default()
    }
}
