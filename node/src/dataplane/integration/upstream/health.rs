//! Active health checks: every interval, `GET {path}` on each target of a
//! group (HTTP/1.1, `Connection: close`, within the check's timeout); a
//! status in the expected ranges is a success. The healthy threshold of
//! successes in a row makes a target healthy, the unhealthy threshold of
//! failures in a row unhealthy.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Group, HealthCheck};

/// Checks `group`'s targets until the process ends.
pub(super) async fn run(group: Arc<Group>) {
    let Some(check) = group.config().health_check.clone() else {
        return;
    };
    let addrs: Vec<String> = group.addrs().map(str::to_string).collect();
    // Consecutive results per target: (successes, failures).
    let mut streaks = vec![(0u32, 0u32); addrs.len()];
    let mut ticker = tokio::time::interval(check.interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let probes = addrs.iter().map(|addr| probe(addr, &check));
        let results = futures_util::future::join_all(probes).await;
        for (index, ok) in results.into_iter().enumerate() {
            let (successes, failures) = &mut streaks[index];
            if ok {
                *successes += 1;
                *failures = 0;
                if *successes >= check.healthy_threshold.max(1) {
                    group.set_healthy(index, true);
                }
            } else {
                *failures += 1;
                *successes = 0;
                if *failures >= check.unhealthy_threshold.max(1) {
                    group.set_healthy(index, false);
                }
            }
        }
    }
}

/// One check of one target: whether it answered an expected status in time.
async fn probe(addr: &str, check: &HealthCheck) -> bool {
    let status = tokio::time::timeout(check.timeout, status_of(addr, &check.path)).await;
    match status {
        Ok(Some(status)) => check
            .expected
            .iter()
            .any(|&(low, high)| (low..=high).contains(&status)),
        _ => false,
    }
}

/// The status code of `GET path` at `addr`.
async fn status_of(addr: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: apigw-health-check\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        let n = stream.read(&mut head[read..]).await.ok()?;
        if n == 0 {
            break;
        }
        read += n;
    }
    parse_status(&head[..read])
}

/// `HTTP/1.1 200 OK` -> 200.
fn parse_status(head: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text.strip_prefix("HTTP/1.")?;
    rest.get(2..5)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read() {
        assert_eq!(parse_status(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(parse_status(b"HTTP/1.0 503 x"), Some(503));
        assert_eq!(parse_status(b"SSH-2.0"), None);
        assert_eq!(parse_status(b"HTTP/1.1 2"), None);
    }
}
