//! Per-function counters, updated lock-free on the invocation path.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Live counters of one function.
#[derive(Debug, Default)]
pub struct FunctionMetrics {
    invocations: AtomicU64,
    errors: AtomicU64,
    throttles: AtomicU64,
    cold_starts: AtomicU64,
    cold_start_ms_total: AtomicU64,
    duration_us_total: AtomicU64,
    duration_us_max: AtomicU64,
    concurrency: AtomicI64,
    instances: AtomicI64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MetricsSnapshot {
    pub invocations: u64,
    pub errors: u64,
    pub throttles: u64,
    pub cold_starts: u64,
    pub cold_start_ms_total: u64,
    pub duration_us_total: u64,
    pub duration_us_max: u64,
    /// Invocations running now.
    pub concurrency: i64,
    /// Processes alive now (local functions).
    pub instances: i64,
}

impl FunctionMetrics {
    /// An invocation started; the guard ends it.
    pub fn begin(&self) -> Running<'_> {
        self.concurrency.fetch_add(1, Ordering::Relaxed);
        Running { metrics: self }
    }

    pub fn finished(&self, took: Duration, failed: bool) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.invocations.fetch_add(1, Ordering::Relaxed);
        self.duration_us_total.fetch_add(us, Ordering::Relaxed);
        self.duration_us_max.fetch_max(us, Ordering::Relaxed);
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn throttled(&self) {
        self.throttles.fetch_add(1, Ordering::Relaxed);
    }

    pub fn cold_start(&self, took: Duration) {
        self.cold_starts.fetch_add(1, Ordering::Relaxed);
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        self.cold_start_ms_total.fetch_add(ms, Ordering::Relaxed);
    }

    pub fn instance_started(&self) {
        self.instances.fetch_add(1, Ordering::Relaxed);
    }

    pub fn instance_stopped(&self) {
        self.instances.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            invocations: self.invocations.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            throttles: self.throttles.load(Ordering::Relaxed),
            cold_starts: self.cold_starts.load(Ordering::Relaxed),
            cold_start_ms_total: self.cold_start_ms_total.load(Ordering::Relaxed),
            duration_us_total: self.duration_us_total.load(Ordering::Relaxed),
            duration_us_max: self.duration_us_max.load(Ordering::Relaxed),
            concurrency: self.concurrency.load(Ordering::Relaxed),
            instances: self.instances.load(Ordering::Relaxed),
        }
    }
}

/// Counts an invocation as running until dropped.
pub struct Running<'m> {
    metrics: &'m FunctionMetrics,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.metrics.concurrency.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A metric family: name, type, help, and how to read it from a snapshot.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(&MetricsSnapshot) -> String,
);

/// Prometheus text exposition of every function's metrics.
pub fn prometheus(functions: &[(String, MetricsSnapshot)]) -> String {
    let mut out = String::new();
    let families: [Family; 8] = [
        (
            "apigw_function_invocations_total",
            "counter",
            "Completed invocations.",
            |m| m.invocations.to_string(),
        ),
        (
            "apigw_function_errors_total",
            "counter",
            "Invocations that ended in a function error.",
            |m| m.errors.to_string(),
        ),
        (
            "apigw_function_throttles_total",
            "counter",
            "Invocations refused at the concurrency limit.",
            |m| m.throttles.to_string(),
        ),
        (
            "apigw_function_cold_starts_total",
            "counter",
            "Instances started for an invocation.",
            |m| m.cold_starts.to_string(),
        ),
        (
            "apigw_function_cold_start_seconds_total",
            "counter",
            "Time from process start to ready, summed.",
            |m| format!("{:.3}", m.cold_start_ms_total as f64 / 1000.0),
        ),
        (
            "apigw_function_duration_seconds_total",
            "counter",
            "Invocation time, summed.",
            |m| format!("{:.6}", m.duration_us_total as f64 / 1e6),
        ),
        (
            "apigw_function_concurrency",
            "gauge",
            "Invocations running now.",
            |m| m.concurrency.to_string(),
        ),
        (
            "apigw_function_instances",
            "gauge",
            "Function processes alive now.",
            |m| m.instances.to_string(),
        ),
    ];
    for (name, kind, help, value) in families {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (function, m) in functions {
            out.push_str(&format!("{name}{{function=\"{function}\"}} {}\n", value(m)));
        }
    }
    out
}
