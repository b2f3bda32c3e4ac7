//! Turns the config's `limits:` into the listeners' settings and the
//! connection caps they share, after making room for them in the process's
//! file-descriptor limit.
//!
//! Every connection is a file descriptor, and so are backend connections,
//! the store and function processes' pipes; when they run out, `accept`
//! fails on every listener at once, the admin one included. So at start the
//! soft `RLIMIT_NOFILE` is raised to the hard limit (systemd's default soft
//! limit is 1024), and if the data plane's and admin's caps plus a reserve
//! still do not fit, the data plane's cap is lowered to fit, with a warning.

use std::sync::Arc;
use std::time::Duration;

use apigw::dataplane::admission::Admission;
use apigw::dataplane::body::Pace;
use apigw::dataplane::capacity::Capacity;
use apigw::dataplane::ServerOptions;
use apigw::outbound::slots::BackendSlots;

use crate::config::LimitsSection;

/// Descriptors kept for what is not a client connection: backend pools,
/// the store, logs, function processes, the cluster's sockets.
const RESERVED_FDS: u64 = 1024;

/// What the listeners and backend clients are built with.
pub struct Plan {
    pub dataplane: ServerOptions,
    pub admin: ServerOptions,
    pub capacity: Arc<Capacity>,
    pub body_pace: Pace,
}

/// Raises the descriptor limit, fits the caps in it, builds the settings.
pub fn plan(limits: &LimitsSection) -> Plan {
    let fds = raise_fd_limit();
    let max_connections = fit(limits.max_connections, limits.admin_max_connections, fds);
    let ms = Duration::from_millis;
    let capacity = Arc::new(Capacity {
        dataplane: Arc::new(Admission::new(
            max_connections,
            limits.max_connections_per_ip,
        )),
        admin: Arc::new(Admission::new(limits.admin_max_connections, 0)),
        backends: Arc::new(BackendSlots::new(
            limits.backend_max_connections,
            limits.backend_queue_timeout_ms.map(ms),
        )),
    });
    let dataplane = ServerOptions {
        admission: capacity.dataplane.clone(),
        max_header_bytes: limits.max_header_bytes,
        header_timeout: ms(limits.header_timeout_ms),
        idle_timeout: ms(limits.idle_timeout_ms),
        send_timeout: ms(limits.send_timeout_ms),
        h2_keepalive_interval: ms(limits.h2_keepalive_interval_ms),
        h2_keepalive_timeout: ms(limits.h2_keepalive_timeout_ms),
        h2_max_streams: limits.h2_max_streams,
        drain: ms(limits.drain_timeout_ms),
    };
    let admin = ServerOptions {
        admission: capacity.admin.clone(),
        ..dataplane.clone()
    };
    Plan {
        dataplane,
        admin,
        capacity,
        body_pace: Pace {
            timeout: ms(limits.body_timeout_ms),
            min_rate: limits.min_body_rate,
        },
    }
}

/// The data plane's cap, lowered if it and the admin's do not fit in `fds`.
fn fit(max_connections: usize, admin: usize, fds: Option<u64>) -> usize {
    let Some(fds) = fds else {
        return max_connections;
    };
    let room = fds.saturating_sub(RESERVED_FDS + admin as u64);
    let room = usize::try_from(room).unwrap_or(usize::MAX).max(1);
    if max_connections > room {
        tracing::warn!(
            max_connections,
            lowered_to = room,
            nofile = fds,
            "limits.max_connections does not fit in the file-descriptor limit (RLIMIT_NOFILE, \
             less {RESERVED_FDS} reserved and the admin listener's cap); raise the limit \
             (LimitNOFILE= in the systemd unit, ulimit -n) to keep the configured cap"
        );
        return room;
    }
    max_connections
}

/// Raises the soft RLIMIT_NOFILE to the hard one; the soft limit in force
/// after (None: unlimited or unknown).
fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::info!(
                from = %shown(limit.current),
                to = %shown(limit.maximum),
                "raised the file-descriptor limit"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot raise the file-descriptor limit"),
        }
    }
    getrlimit(Resource::Nofile).current
}

/// A limit as a log shows it.
fn shown(limit: Option<u64>) -> String {
    limit.map_or_else(|| "unlimited".into(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_lowered_to_fit_the_descriptors() {
        assert_eq!(fit(10_000, 256, Some(1024 * 1024)), 10_000);
        assert_eq!(fit(10_000, 256, Some(4096)), 4096 - 1024 - 256);
        assert_eq!(fit(10_000, 256, Some(100)), 1, "never 0");
        assert_eq!(fit(10_000, 256, None), 10_000);
    }
}
