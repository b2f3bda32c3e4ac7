//! Connection slots: how many client connections a listener holds at once,
//! in total and per source address, and what a connection beyond them gets.
//!
//! One [`Admission`] is shared by every worker of a listener (the kernel
//! spreads connections over the workers' sockets, so a per-worker count
//! would let one worker's share fill while another's sits empty). A
//! connection is admitted by taking a [`Slot`], which gives itself back when
//! dropped. One beyond a cap is not left in the kernel's backlog (where the
//! client would wait and see nothing): it is accepted, told `503` and closed
//! ([`refuse`]). The refusals in progress have their own small budget; past
//! it a connection is closed at once.
//!
//! IPv6 sources are counted by their /64, the block one host usually gets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The answer to a connection over a cap (an AWS-style body; `Retry-After`
/// as a hint, `Connection: close` because it is).
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
content-length: 33\r\n\
retry-after: 1\r\n\
connection: close\r\n\
\r\n\
{\"message\":\"Service Unavailable\"}";

/// How long a refused client is given to read the 503 (what it sent
/// meanwhile is read and dropped, so closing does not reset the connection
/// before the answer arrives).
const REFUSAL_LINGER: Duration = Duration::from_secs(1);
/// Refusals in progress at once; beyond, connections are closed unanswered.
const MAX_REFUSING: usize = 256;

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The listener holds its maximum of connections.
    Full,
    /// This source address holds its maximum.
    PerSource,
}

/// The connection caps of one listener and its counts.
#[derive(Debug)]
pub struct Admission {
    max_total: usize,
    /// 0: no per-source cap.
    max_per_source: usize,
    open: AtomicUsize,
    per_source: Mutex<HashMap<IpAddr, usize>>,
    refused_full: AtomicU64,
    refused_per_source: AtomicU64,
    refusing: AtomicUsize,
}

impl Default for Admission {
    fn default() -> Self {
        Admission::new(10_000, 0)
    }
}

impl Admission {
    /// Caps of `max_total` connections and `max_per_source` per source
    /// address (0: none).
    pub fn new(max_total: usize, max_per_source: usize) -> Admission {
        Admission {
            max_total: max_total.max(1),
            max_per_source,
            open: AtomicUsize::new(0),
            per_source: Mutex::new(HashMap::new()),
            refused_full: AtomicU64::new(0),
            refused_per_source: AtomicU64::new(0),
            refusing: AtomicUsize::new(0),
        }
    }

    /// Takes a slot for a connection from `ip`, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let source = source_key(ip);
        let mut per_source = self
            .per_source
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.open.load(Ordering::Relaxed) >= self.max_total {
            self.refused_full.fetch_add(1, Ordering::Relaxed);
            return Err(Refusal::Full);
        }
        let held = per_source.entry(source).or_insert(0);
        if self.max_per_source > 0 && *held >= self.max_per_source {
            self.refused_per_source.fetch_add(1, Ordering::Relaxed);
            return Err(Refusal::PerSource);
        }
        *held += 1;
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(Slot {
            admission: self.clone(),
            source,
        })
    }

    /// Connections held now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// The listener's cap.
    pub fn max_total(&self) -> usize {
        self.max_total
    }

    fn release(&self, source: IpAddr) {
        let mut per_source = self
            .per_source
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(held) = per_source.get_mut(&source) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                per_source.remove(&source);
            }
        }
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Answers a refused connection with 503 and closes it, unless too many
    /// refusals are already in progress (then it is closed at once).
    pub fn refuse(self: &Arc<Self>, stream: TcpStream) {
        if self.refusing.fetch_add(1, Ordering::Relaxed) >= MAX_REFUSING {
            self.refusing.fetch_sub(1, Ordering::Relaxed);
            drop(stream);
            return;
        }
        let admission = self.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(REFUSAL_LINGER, answer_503(stream)).await;
            admission.refusing.fetch_sub(1, Ordering::Relaxed);
        });
    }

    /// This listener's samples as (metric, extra labels, value): open,
    /// cap, and refusals by reason.
    pub fn samples(&self) -> [(&'static str, &'static str, u64); 4] {
        [
            ("apigw_connections_open", "", self.open() as u64),
            ("apigw_connections_max", "", self.max_total as u64),
            (
                "apigw_connections_refused_total",
                ",reason=\"full\"",
                self.refused_full.load(Ordering::Relaxed),
            ),
            (
                "apigw_connections_refused_total",
                ",reason=\"per_source\"",
                self.refused_per_source.load(Ordering::Relaxed),
            ),
        ]
    }
}

/// Writes the 503, stops sending, and reads what the client still sends
/// until it closes (the caller bounds the time).
async fn answer_503(mut stream: TcpStream) {
    if stream.write_all(REFUSAL).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    while let Ok(n) = stream.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
}

/// The address a per-source count is kept under: IPv4 as it is, IPv6 by /64.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

/// One admitted connection's place; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    admission: Arc<Admission>,
    source: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.admission.release(self.source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_total_and_per_source_and_gives_slots_back() {
        let admission = Arc::new(Admission::new(3, 2));
        let a: IpAddr = "127.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let b: IpAddr = "127.0.0.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let first = admission.admit(a);
        let second = admission.admit(a);
        assert!(first.is_ok() && second.is_ok());
        assert_eq!(admission.admit(a).err(), Some(Refusal::PerSource));
        let third = admission.admit(b);
        assert!(third.is_ok());
        assert_eq!(admission.admit(b).err(), Some(Refusal::Full));
        drop(first);
        assert!(
            admission.admit(a).is_ok(),
            "a slot given back is free again"
        );
        assert_eq!(admission.open(), 3 - 1);
    }

    #[test]
    fn ipv6_sources_count_by_their_64() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap_or(IpAddr::from([0; 16]));
        let two: IpAddr = "2001:db8:1:2:ffff::9"
            .parse()
            .unwrap_or(IpAddr::from([0; 16]));
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap_or(IpAddr::from([0; 16]));
        assert_eq!(source_key(one), source_key(two));
        assert_ne!(source_key(one), source_key(other));
    }
}
