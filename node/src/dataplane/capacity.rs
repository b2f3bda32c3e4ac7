//! The node's connection capacity as one thing `/metrics` can print: the
//! listeners' connection slots ([`Admission`]) and the backends' slots
//! ([`BackendSlots`]).

use std::sync::Arc;

use super::admission::Admission;
use crate::outbound::slots::BackendSlots;

/// Connection caps and counts of the listeners and backends.
#[derive(Debug, Default)]
pub struct Capacity {
    /// The data-plane listener's (shared by its workers).
    pub dataplane: Arc<Admission>,
    /// The admin listener's, kept apart so a data-plane flood leaves it room.
    pub admin: Arc<Admission>,
    /// Integration requests in flight per backend.
    pub backends: Arc<BackendSlots>,
}

/// Metric families of the listeners: name, type, help.
const FAMILIES: [(&str, &str, &str); 3] = [
    (
        "apigw_connections_open",
        "gauge",
        "Client connections held now.",
    ),
    (
        "apigw_connections_max",
        "gauge",
        "The listener's cap on client connections.",
    ),
    (
        "apigw_connections_refused_total",
        "counter",
        "Connections answered 503 and closed for being over a cap.",
    ),
];

impl Capacity {
    /// Prometheus text for all of it.
    pub fn prometheus(&self) -> String {
        let listeners = [("dataplane", &self.dataplane), ("admin", &self.admin)];
        let mut out = String::new();
        for (family, kind, help) in FAMILIES {
            out.push_str(&format!("# HELP {family} {help}\n# TYPE {family} {kind}\n"));
            for (listener, admission) in listeners {
                for (name, labels, value) in admission.samples() {
                    if name == family {
                        out.push_str(&format!(
                            "{name}{{listener=\"{listener}\"{labels}}} {value}\n"
                        ));
                    }
                }
            }
        }
        out.push_str(&self.backends.prometheus());
        out
    }
}
