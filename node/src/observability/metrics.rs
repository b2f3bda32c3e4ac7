//! Request metrics for `/metrics`: `apigw_requests_total{api,stage,status}`,
//! the request and integration duration histograms by `{api,stage}`, the
//! same by `{resource,method}` where the stage's `metricsEnabled` is on,
//! and the in-flight gauge.
//!
//! The hot path takes no lock and formats no text: the series are found
//! in a map behind an [`ArcSwap`] (copied on the rare insert of a new
//! label set) and counted with relaxed atomics. Label sets are capped
//! ([`MAX_SERIES`]); requests past the cap are counted as overflow.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

/// The most label sets (stages plus methods) kept.
pub const MAX_SERIES: usize = 2000;

/// Which methods of a stage are counted by `{resource,method}`: the
/// stage's `*/*/metrics/enabled`, overridden by a method's own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MethodMetrics {
    all: bool,
    own: HashMap<String, bool>,
}

impl MethodMetrics {
    /// From `(method key, metricsEnabled)` pairs (`*/*` for the stage).
    pub fn new<'a>(settings: impl Iterator<Item = (&'a str, Option<bool>)>) -> MethodMetrics {
        let mut m = MethodMetrics::default();
        for (key, enabled) in settings {
            match (key, enabled) {
                ("*/*", Some(on)) => m.all = on,
                (key, Some(on)) => {
                    m.own.insert(key.to_string(), on);
                }
                _ => {}
            }
        }
        m
    }

    /// Whether any method may be counted (so a key is worth making).
    pub fn any(&self) -> bool {
        self.all || self.own.values().any(|on| *on)
    }

    /// Whether this `{resource}/{VERB}` is counted.
    pub fn enabled(&self, key: &str) -> bool {
        self.own.get(key).copied().unwrap_or(self.all)
    }
}

/// Histogram bucket bounds, seconds.
const BOUNDS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram of atomics.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, bucket) in BOUNDS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// Counts by status code (100..=599).
pub struct StatusCounts([AtomicU64; 500]);

impl Default for StatusCounts {
    fn default() -> Self {
        StatusCounts(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl StatusCounts {
    fn add(&self, status: u16) {
        let i = usize::from(status.clamp(100, 599) - 100);
        self.0[i].fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, labels: &str) {
        for (i, n) in self.0.iter().enumerate() {
            let n = n.load(Ordering::Relaxed);
            if n > 0 {
                let status = i + 100;
                let _ = writeln!(
                    out,
                    "apigw_requests_total{{{labels},status=\"{status}\"}} {n}"
                );
            }
        }
    }
}

/// One label set's series.
#[derive(Default)]
pub struct Series {
    pub requests: StatusCounts,
    pub duration: Histogram,
    pub integration: Histogram,
}

impl Series {
    fn record(&self, m: &Measured) {
        self.requests.add(m.status);
        self.duration.observe(m.duration);
        if let Some(d) = m.integration {
            self.integration.observe(d);
        }
    }
}

/// A stage's series and its methods'.
#[derive(Default)]
struct StageSeries {
    all: Arc<Series>,
    /// `{resource}/{VERB}` -> series (stages with `metricsEnabled`).
    methods: ArcSwap<HashMap<String, Arc<Series>>>,
}

/// What one finished request measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub status: u16,
    pub duration: Duration,
    pub integration: Option<Duration>,
}

/// api id -> stage name -> series.
type Stages = HashMap<String, HashMap<String, Arc<StageSeries>>>;

/// The node's request metrics.
#[derive(Default)]
pub struct Metrics {
    stages: ArcSwap<Stages>,
    /// Held only to insert a new label set.
    insert: Mutex<()>,
    series: AtomicU64,
    overflow: AtomicU64,
    in_flight: AtomicI64,
}

impl Metrics {
    /// Counts a request in flight until the guard drops.
    pub fn enter(&self) -> InFlightGuard<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlightGuard(self)
    }

    /// Records a request of a stage (`method`: its `{resource}/{VERB}`
    /// when that method's metrics are enabled).
    pub fn record(&self, api: &str, stage: &str, method: Option<&str>, m: &Measured) {
        let Some(series) = self.stage(api, stage) else {
            return;
        };
        series.all.record(m);
        if let Some(key) = method {
            if let Some(s) = self.method(&series, key) {
                s.record(m);
            }
        }
    }

    fn stage(&self, api: &str, stage: &str) -> Option<Arc<StageSeries>> {
        if let Some(s) = self.stages.load().get(api).and_then(|m| m.get(stage)) {
            return Some(s.clone());
        }
        let _held = self.insert.lock().ok()?;
        if let Some(s) = self.stages.load().get(api).and_then(|m| m.get(stage)) {
            return Some(s.clone());
        }
        self.claim()?;
        let created = Arc::new(StageSeries::default());
        let mut next = Stages::clone(&self.stages.load());
        next.entry(api.to_string())
            .or_default()
            .insert(stage.to_string(), created.clone());
        self.stages.store(Arc::new(next));
        Some(created)
    }

    fn method(&self, stage: &StageSeries, key: &str) -> Option<Arc<Series>> {
        if let Some(s) = stage.methods.load().get(key) {
            return Some(s.clone());
        }
        let _held = self.insert.lock().ok()?;
        if let Some(s) = stage.methods.load().get(key) {
            return Some(s.clone());
        }
        self.claim()?;
        let created = Arc::new(Series::default());
        let mut next = HashMap::clone(&stage.methods.load());
        next.insert(key.to_string(), created.clone());
        stage.methods.store(Arc::new(next));
        Some(created)
    }

    /// A slot for a new label set, or `None` (counted) past the cap.
    fn claim(&self) -> Option<()> {
        if self.series.load(Ordering::Relaxed) as usize >= MAX_SERIES {
            self.overflow.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        self.series.fetch_add(1, Ordering::Relaxed);
        Some(())
    }

    /// Prometheus text.
    pub fn prometheus(&self) -> String {
        let stages = self.stages.load();
        let mut sorted: Vec<(&String, &String, &Arc<StageSeries>)> = stages
            .iter()
            .flat_map(|(api, m)| m.iter().map(move |(stage, s)| (api, stage, s)))
            .collect();
        sorted.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut out = String::new();
        let mut labelled = Vec::new();
        for (api, stage, s) in &sorted {
            let base = format!("api=\"{}\",stage=\"{}\"", escape(api), escape(stage));
            labelled.push((base.clone(), s.all.clone()));
            let methods = s.methods.load();
            let mut keys: Vec<&String> = methods.keys().collect();
            keys.sort();
            for key in keys {
                let (resource, verb) = key.rsplit_once('/').unwrap_or((key.as_str(), ""));
                let resource = if resource.is_empty() { "/" } else { resource };
                let labels = format!(
                    "{base},resource=\"{}\",method=\"{}\"",
                    escape(resource),
                    escape(verb)
                );
                labelled.push((labels, methods[key].clone()));
            }
        }
        self.write(&mut out, &labelled);
        out
    }

    fn write(&self, out: &mut String, labelled: &[(String, Arc<Series>)]) {
        out.push_str("# HELP apigw_requests_total Requests answered, by API, stage and status.\n# TYPE apigw_requests_total counter\n");
        for (labels, s) in labelled {
            s.requests.write(out, labels);
        }
        out.push_str("# HELP apigw_request_duration_seconds Time from arrival to answer (CloudWatch Latency).\n# TYPE apigw_request_duration_seconds histogram\n");
        for (labels, s) in labelled {
            s.duration
                .write(out, "apigw_request_duration_seconds", labels);
        }
        out.push_str("# HELP apigw_integration_duration_seconds Time spent in the integration (CloudWatch IntegrationLatency).\n# TYPE apigw_integration_duration_seconds histogram\n");
        for (labels, s) in labelled {
            s.integration
                .write(out, "apigw_integration_duration_seconds", labels);
        }
        let _ = write!(
            out,
            "# HELP apigw_requests_in_flight Requests being served by this node.\n# TYPE apigw_requests_in_flight gauge\napigw_requests_in_flight {}\n\
             # HELP apigw_metrics_series_overflow_total Requests not counted by label because the label sets reached their cap.\n# TYPE apigw_metrics_series_overflow_total counter\napigw_metrics_series_overflow_total {}\n",
            self.in_flight.load(Ordering::Relaxed),
            self.overflow.load(Ordering::Relaxed)
        );
    }
}

/// Holds one in-flight request.
pub struct InFlightGuard<'a>(&'a Metrics);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A Prometheus label value.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ms: u64) -> Measured {
        Measured {
            status: 200,
            duration: Duration::from_millis(ms),
            integration: Some(Duration::from_millis(ms / 2)),
        }
    }

    #[test]
    fn counts_by_label_set() {
        let m = Metrics::default();
        m.record("a1", "prod", None, &ok(3));
        m.record("a1", "prod", Some("/pets/GET"), &ok(30));
        m.record(
            "a1",
            "dev",
            None,
            &Measured {
                status: 404,
                ..ok(1)
            },
        );
        let text = m.prometheus();
        assert!(text.contains("apigw_requests_total{api=\"a1\",stage=\"prod\",status=\"200\"} 2\n"));
        assert!(text.contains("apigw_requests_total{api=\"a1\",stage=\"prod\",resource=\"/pets\",method=\"GET\",status=\"200\"} 1\n"));
        assert!(text.contains("apigw_requests_total{api=\"a1\",stage=\"dev\",status=\"404\"} 1\n"));
        assert!(text.contains(
            "apigw_request_duration_seconds_bucket{api=\"a1\",stage=\"prod\",le=\"0.005\"} 1\n"
        ));
        assert!(
            text.contains("apigw_request_duration_seconds_count{api=\"a1\",stage=\"prod\"} 2\n")
        );
    }

    #[test]
    fn label_sets_are_capped() {
        let m = Metrics::default();
        for i in 0..MAX_SERIES + 5 {
            m.record("a", &format!("s{i}"), None, &ok(1));
        }
        assert!(m
            .prometheus()
            .contains("apigw_metrics_series_overflow_total 5\n"));
    }
}
