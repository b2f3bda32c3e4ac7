//! Caps on what one backend (`scheme://host:port`) is sent at once, shared
//! by every worker's HTTP client.
//!
//! A request to a backend holds a [`Lease`] from just before it is sent
//! until its response has been read (HTTP) or streamed to the client
//! (HTTP_PROXY); one whose client got a timeout keeps it until the backend
//! answers (for at most one more integration timeout), since the backend is
//! still working on it. An HTTP/1.1 request holds one connection for that time,
//! so at most `max_per_backend` connections to a backend are in use at
//! once; a request beyond waits in a queue, for at most the time its
//! integration has left (or the configured queue timeout, if shorter).
//! What the client then gets is decided by the caller (504, as for any
//! integration that does not answer in time). Idle pooled connections are
//! not leased; each worker keeps at most `max_per_backend` of them.
//!
//! Counts per backend (in use, queued, refused) are kept for `/metrics`; at
//! most [`MAX_TRACKED`] backends are tracked, idle ones are forgotten first.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Backends whose counts are kept at once.
pub const MAX_TRACKED: usize = 4096;

/// The per-backend caps and counts.
#[derive(Debug)]
pub struct BackendSlots {
    /// 0: no cap.
    max_per_backend: usize,
    /// The longest a request waits for a slot, when shorter than its
    /// integration's timeout.
    queue_timeout: Option<Duration>,
    backends: Mutex<HashMap<String, Arc<Backend>>>,
}

#[derive(Debug)]
struct Backend {
    permits: Arc<Semaphore>,
    in_use: AtomicUsize,
    queued: AtomicUsize,
    refused: AtomicU64,
}

/// No slot came free within the wait.
#[derive(Debug, thiserror::Error)]
#[error("no connection to {0} came free in time")]
pub struct QueueTimeout(pub String);

impl Default for BackendSlots {
    fn default() -> Self {
        BackendSlots::new(0, None)
    }
}

impl BackendSlots {
    /// At most `max_per_backend` requests in flight per backend (0: no
    /// cap); waits for a slot last at most `queue_timeout` if given.
    pub fn new(max_per_backend: usize, queue_timeout: Option<Duration>) -> BackendSlots {
        BackendSlots {
            max_per_backend,
            queue_timeout,
            backends: Mutex::new(HashMap::new()),
        }
    }

    /// The cap (0: none).
    pub fn max_per_backend(&self) -> usize {
        self.max_per_backend
    }

    /// Waits for a slot on `backend`, for at most `budget` (the
    /// integration's time left), or the queue timeout if shorter.
    pub async fn acquire(&self, backend: &str, budget: Duration) -> Result<Lease, QueueTimeout> {
        let entry = self.entry(backend);
        let wait = self.queue_timeout.map_or(budget, |q| q.min(budget));
        let mut waiting = Waiting {
            backend: &entry,
            done: false,
        };
        entry.queued.fetch_add(1, Ordering::Relaxed);
        let permit = tokio::time::timeout(wait, entry.permits.clone().acquire_owned()).await;
        match permit {
            Ok(Ok(permit)) => {
                waiting.done = true;
                drop(waiting);
                entry.in_use.fetch_add(1, Ordering::Relaxed);
                Ok(Lease {
                    backend: entry.clone(),
                    _permit: permit,
                })
            }
            // A timeout, or a closed semaphore (never closed): both refusals.
            _ => Err(QueueTimeout(backend.to_string())),
        }
    }

    fn entry(&self, backend: &str) -> Arc<Backend> {
        let mut backends = self
            .backends
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(found) = backends.get(backend) {
            return found.clone();
        }
        if backends.len() >= MAX_TRACKED {
            backends.retain(|_, b| {
                b.in_use.load(Ordering::Relaxed) > 0 || b.queued.load(Ordering::Relaxed) > 0
            });
        }
        let permits = match self.max_per_backend {
            0 => Semaphore::MAX_PERMITS,
            n => n.min(Semaphore::MAX_PERMITS),
        };
        let created = Arc::new(Backend {
            permits: Arc::new(Semaphore::new(permits)),
            in_use: AtomicUsize::new(0),
            queued: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
        });
        backends.insert(backend.to_string(), created.clone());
        created
    }

    /// Prometheus text: in use, queued and refused per backend, and the cap.
    pub fn prometheus(&self) -> String {
        let backends = self
            .backends
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut rows: Vec<(&String, &Arc<Backend>)> = backends.iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = format!(
            "# HELP apigw_backend_max_connections Connections in use allowed per backend (0: no cap).\n\
             # TYPE apigw_backend_max_connections gauge\n\
             apigw_backend_max_connections {}\n",
            self.max_per_backend
        );
        let series: [Series; 3] = [
            (
                "apigw_backend_connections_in_use",
                "gauge",
                "Requests holding a connection to the backend.",
                |b| b.in_use.load(Ordering::Relaxed) as u64,
            ),
            (
                "apigw_backend_queued",
                "gauge",
                "Requests waiting for a connection to the backend.",
                |b| b.queued.load(Ordering::Relaxed) as u64,
            ),
            (
                "apigw_backend_refused_total",
                "counter",
                "Requests that gave up waiting for a connection to the backend.",
                |b| b.refused.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, value) in series {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (backend, counts) in &rows {
                let label = backend.replace('\\', "\\\\").replace('"', "\\\"");
                out.push_str(&format!(
                    "{name}{{backend=\"{label}\"}} {}\n",
                    value(counts)
                ));
            }
        }
        out
    }
}

/// A metric family of the backends: name, type, help, value.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Backend) -> u64,
);

/// A request waiting in a backend's queue; counted as refused if it stops
/// waiting without a slot (timed out, or its client went away).
struct Waiting<'a> {
    backend: &'a Backend,
    done: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.backend.queued.fetch_sub(1, Ordering::Relaxed);
        if !self.done {
            self.backend.refused.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A request's slot on a backend; given back when dropped.
#[derive(Debug)]
pub struct Lease {
    backend: Arc<Backend>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.backend.in_use.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A backend's response body that keeps its [`Lease`] until it ends.
pub struct Leased<B> {
    pub body: B,
    pub lease: Option<Lease>,
}

impl<B> hyper::body::Body for Leased<B>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            // The backend's part is over: free the slot now, not when the
            // client's connection gets around to dropping the body.
            self.lease = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caps_in_use_queues_then_refuses_at_the_deadline() {
        let slots = BackendSlots::new(2, None);
        let budget = Duration::from_millis(20);
        let first = slots.acquire("http://b:80", budget).await;
        let second = slots.acquire("http://b:80", budget).await;
        assert!(first.is_ok() && second.is_ok());
        let third = slots.acquire("http://b:80", budget).await;
        assert!(third.is_err(), "a third waits out its budget");
        let text = slots.prometheus();
        assert!(
            text.contains("apigw_backend_connections_in_use{backend=\"http://b:80\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("apigw_backend_queued{backend=\"http://b:80\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("apigw_backend_refused_total{backend=\"http://b:80\"} 1"),
            "{text}"
        );
        drop(first);
        let fourth = slots.acquire("http://b:80", budget).await;
        assert!(fourth.is_ok(), "a slot given back serves the next");
        let other = slots.acquire("http://c:80", budget).await;
        assert!(other.is_ok(), "another backend has its own slots");
    }

    #[tokio::test]
    async fn queue_timeout_shortens_the_wait() {
        let slots = BackendSlots::new(1, Some(Duration::from_millis(20)));
        let _held = slots.acquire("k", Duration::from_secs(600)).await;
        let waited = tokio::time::timeout(
            Duration::from_secs(300),
            slots.acquire("k", Duration::from_secs(600)),
        )
        .await;
        assert!(
            matches!(waited, Ok(Err(_))),
            "refused at the queue timeout, not the budget"
        );
    }
}
