//! Observability the node keeps beside its own log: AWS-style access logs
//! (formats and their sinks), request metrics for `/metrics`, and trace ids.
//! Nothing here reads the request pipeline's types: the data plane hands
//! in plain values (`dataplane/access_log.rs` renders lines).

pub mod access_format;
pub mod metrics;
pub mod sinks;
pub mod trace;

/// What every data-plane worker shares for observability.
pub struct Observability {
    pub metrics: metrics::Metrics,
    pub access_logs: sinks::AccessLogs,
}

impl Observability {
    /// Metrics, and the access-log sinks with their writer started.
    pub fn start(sinks: sinks::SinkConfig) -> std::io::Result<Observability> {
        Ok(Observability {
            metrics: metrics::Metrics::default(),
            access_logs: sinks::AccessLogs::start(sinks)?,
        })
    }

    /// All of it as Prometheus text.
    pub fn prometheus(&self) -> String {
        let mut text = self.metrics.prometheus();
        text.push_str(&self.access_logs.prometheus());
        text
    }
}
