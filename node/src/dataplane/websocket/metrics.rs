//! WebSocket metrics per API, stage and route, named after AWS's
//! CloudWatch metrics for WebSocket APIs and written as Prometheus series
//! on `/metrics`: ConnectCount (`$connect` attempts), MessageCount
//! (messages from clients), IntegrationError (the integration answered
//! 4XX/5XX), ClientError (refused before the integration: no route, an
//! authorizer's 401/403), ExecutionError (the integration could not be
//! called: timeout, failure) and IntegrationLatency (summed, with its
//! count); plus the open connections. Keys come from deployed route keys,
//! so the set stays bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What happened on a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Connect,
    Message,
    IntegrationError,
    ClientError,
    ExecutionError,
}

#[derive(Debug, Default, Clone)]
struct Counts {
    events: [u64; 5],
    latency_us: u64,
    latency_count: u64,
}

/// The counters, by (API, stage, route key).
#[derive(Debug, Default)]
pub struct WsMetrics {
    by_route: Mutex<HashMap<(String, String, String), Counts>>,
}

const SERIES: [(&str, &str); 5] = [
    (
        "apigw_websocket_connect_total",
        "ConnectCount: $connect attempts.",
    ),
    (
        "apigw_websocket_messages_total",
        "MessageCount: messages from clients.",
    ),
    (
        "apigw_websocket_integration_errors_total",
        "IntegrationError: the integration answered 4XX/5XX.",
    ),
    (
        "apigw_websocket_client_errors_total",
        "ClientError: refused before the integration.",
    ),
    (
        "apigw_websocket_execution_errors_total",
        "ExecutionError: the integration could not be called.",
    ),
];

impl WsMetrics {
    fn with(&self, api: &str, stage: &str, route: &str, f: impl FnOnce(&mut Counts)) {
        if let Ok(mut map) = self.by_route.lock() {
            let key = (api.to_string(), stage.to_string(), route.to_string());
            f(map.entry(key).or_default());
        }
    }

    /// Counts `event` on a route.
    pub fn count(&self, api: &str, stage: &str, route: &str, event: Event) {
        self.with(api, stage, route, |c| c.events[event as usize] += 1);
    }

    /// Adds one integration call's time.
    pub fn latency(&self, api: &str, stage: &str, route: &str, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.with(api, stage, route, |c| {
            c.latency_us = c.latency_us.saturating_add(us);
            c.latency_count += 1;
        });
    }

    /// The Prometheus text, with `open` connections as a gauge.
    pub fn prometheus(&self, open: usize) -> String {
        let snapshot: Vec<_> = self
            .by_route
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let mut out = format!(
            "# HELP apigw_websocket_connections Open WebSocket connections on this node.\n# TYPE apigw_websocket_connections gauge\napigw_websocket_connections {open}\n"
        );
        let labels = |(api, stage, route): &(String, String, String)| {
            format!(
                "api=\"{}\",stage=\"{}\",route=\"{}\"",
                escape(api),
                escape(stage),
                escape(route)
            )
        };
        for (i, (name, help)) in SERIES.iter().enumerate() {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for (key, counts) in &snapshot {
                out.push_str(&format!("{name}{{{}}} {}\n", labels(key), counts.events[i]));
            }
        }
        let name = "apigw_websocket_integration_latency_seconds";
        out.push_str(&format!(
            "# HELP {name} IntegrationLatency, summed.\n# TYPE {name} summary\n"
        ));
        for (key, counts) in &snapshot {
            let seconds = counts.latency_us as f64 / 1e6;
            out.push_str(&format!("{name}_sum{{{}}} {seconds:.6}\n", labels(key)));
            out.push_str(&format!(
                "{name}_count{{{}}} {}\n",
                labels(key),
                counts.latency_count
            ));
        }
        out
    }
}

/// A Prometheus label value: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_per_route_with_escaped_labels() {
        let m = WsMetrics::default();
        m.count("a1", "prod", "$connect", Event::Connect);
        m.count("a1", "prod", "say \"hi\"", Event::Message);
        m.latency("a1", "prod", "$connect", Duration::from_millis(5));
        let text = m.prometheus(2);
        assert!(text.contains("apigw_websocket_connections 2"));
        assert!(text.contains(
            r#"apigw_websocket_connect_total{api="a1",stage="prod",route="$connect"} 1"#
        ));
        assert!(text.contains(r#"route="say \"hi\""} 1"#));
        assert!(text.contains(r#"apigw_websocket_integration_latency_seconds_count{api="a1",stage="prod",route="$connect"} 1"#));
    }
}
