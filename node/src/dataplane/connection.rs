//! One client connection, from accept to close, and the deadlines that keep
//! it from holding its slot for nothing.
//!
//! A request is *in flight* from the moment its head is parsed until its
//! response body has been sent (or dropped). While none is, the connection
//! must start a request within a deadline: `header` after accept (this
//! covers the protocol detection read, the request line and headers, and an
//! h2c client that never sends a request), `idle` after the last response
//! (HTTP/1.1 keep-alive and idle HTTP/2 alike). When the deadline passes the
//! connection is shut down gracefully (hyper closes an idle HTTP/1.1
//! connection, sends GOAWAY on HTTP/2, abandons the detection read); if it
//! is still open `grace` later (a request head trickling in is not idle to
//! hyper) it is dropped. Deadlines are looked at lazily: nothing wakes the
//! connection when a request starts or ends; it wakes at the earliest time
//! a deadline could be due and looks again. A request in flight is never cut by these: its
//! body has its own pace ([`super::body`]), the integration its timeout,
//! and a response no one takes the send deadline: a blocked write fails
//! (`SendDeadline`), and a connection whose response has had a frame ready
//! that hyper could not send for that long (an HTTP/2 client that opens no
//! flow-control window) is dropped.
//!
//! Also answered here, before any handler: an HTTP/1.1 request without
//! exactly one `Host` header gets 400 (RFC 9112 §3.2).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONNECTION, HOST};
use http::{Request, Response, StatusCode, Version};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::sync::watch;
use tokio::time::Instant;

use super::admission::Slot;
use super::body::{Body, BoxError};
use super::respond::plain;
use super::send_deadline::SendDeadline;

/// How long a connection may wait for its next request, and how long it
/// gets to close once told to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    /// From accept to the first request's head.
    pub header: Duration,
    /// From the end of a response to the next request's head.
    pub idle: Duration,
    /// From a graceful shutdown for idleness to a forced close.
    pub grace: Duration,
    /// From server shutdown to a forced close.
    pub drain: Duration,
    /// The longest a write to the client may stay blocked.
    pub send: Duration,
}

/// Something that answers requests.
pub trait Handler: Send + Sync + 'static {
    /// Called once per request with the client's address.
    fn call(
        &self,
        request: Request<Incoming>,
        remote: SocketAddr,
    ) -> impl Future<Output = Response<Body>> + Send;
}

/// Serves one accepted connection until it closes or its deadlines pass;
/// `slot` is given back at the end.
pub(crate) async fn drive<H: Handler, IO>(
    stream: IO,
    remote: SocketAddr,
    builder: Arc<Builder<TokioExecutor>>,
    handler: Arc<H>,
    deadlines: Deadlines,
    mut stop: watch::Receiver<bool>,
    slot: Slot,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let service = service(handler, remote, activity.clone());
    let io = TokioIo::new(SendDeadline::new(stream, deadlines.send));
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let mut forced_close: Option<Instant> = None;
    let mut stopping = false;
    loop {
        let wake = forced_close
            .or_else(|| activity.idle_check(&deadlines))
            .unwrap_or_else(|| activity.busy_check(&deadlines));
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, %remote, "connection ended with an error");
                }
                break;
            }
            _ = stop.wait_for(|stopped| *stopped), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
                let drain_end = Instant::now() + deadlines.drain;
                forced_close = Some(forced_close.map_or(drain_end, |f| f.min(drain_end)));
            }
            _ = tokio::time::sleep_until(wake) => {
                if forced_close.is_some_and(|f| f <= Instant::now()) {
                    tracing::debug!(%remote, "connection closed: did not finish after shutdown");
                    break;
                }
                if activity.stalled(&deadlines) {
                    tracing::debug!(%remote, "connection closed: the client took no response data for the send timeout");
                    break;
                }
                if activity.deadline(&deadlines).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!(%remote, "connection closed: no request within its deadline");
                    connection.as_mut().graceful_shutdown();
                    forced_close = Some(Instant::now() + deadlines.grace);
                }
            }
        }
    }
    drop(slot);
}

/// The per-request service: the Host check, then the handler; each request
/// counts as in flight until its response body is done.
fn service<H: Handler>(
    handler: Arc<H>,
    remote: SocketAddr,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Tracked>,
    Error = Infallible,
    Future = impl std::future::Future<Output = Result<Response<Tracked>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = activity.enter();
        let handler = handler.clone();
        async move {
            let response = match host_problem(&request) {
                Some(refused) => refused,
                None => handler.call(request, remote).await,
            };
            Ok::<_, Infallible>(response.map(|body| Tracked { body, _busy: busy }))
        }
    })
}

/// 400 for an HTTP/1.1 request without exactly one `Host` header (HTTP/1.0
/// may omit it; HTTP/2 carries `:authority` instead).
fn host_problem<B>(request: &Request<B>) -> Option<Response<Body>> {
    if request.version() != Version::HTTP_11 {
        return None;
    }
    let hosts = request.headers().get_all(HOST).iter().count();
    if hosts == 1 {
        return None;
    }
    tracing::debug!(hosts, "HTTP/1.1 request without exactly one Host header");
    let mut response = plain(StatusCode::BAD_REQUEST, "Bad Request");
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    Some(response)
}

/// What the deadline needs to know about a connection's requests.
struct Activity {
    in_flight: AtomicUsize,
    /// Whether a request has started (then `idle` applies, else `header`).
    served: AtomicBool,
    /// When the connection last became idle, in ms since `started`.
    idle_since_ms: AtomicU64,
    /// Since when a response frame has waited for hyper to take the next
    /// one (ms since `started`; [`NONE`]: none waits). hyper stops asking
    /// for frames when it cannot send: the socket is full (HTTP/1.1) or the
    /// client opens no HTTP/2 flow-control window.
    unsent_since_ms: AtomicU64,
    started: Instant,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            idle_since_ms: AtomicU64::new(0),
            unsent_since_ms: AtomicU64::new(NONE),
            started: Instant::now(),
        }
    }

    fn enter(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.served.store(true, Ordering::SeqCst);
        Busy(self.clone())
    }

    /// When the connection must have started its next request, if none is
    /// in flight.
    fn deadline(&self, deadlines: &Deadlines) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let since = self.started + Duration::from_millis(self.idle_since_ms.load(Ordering::SeqCst));
        let wait = if self.served.load(Ordering::SeqCst) {
            deadlines.idle
        } else {
            deadlines.header
        };
        Some(since + wait)
    }
}

impl Activity {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    /// When to look again while no request is in flight: its deadline, or
    /// a send timeout from now if sooner (a request that starts meanwhile
    /// and stalls is due no sooner than that).
    fn idle_check(&self, deadlines: &Deadlines) -> Option<Instant> {
        self.deadline(deadlines)
            .map(|due| due.min(Instant::now() + deadlines.send))
    }

    /// When to look again while requests are in flight: when the waiting
    /// frame's time is up, else the sooner of a send and an idle timeout
    /// from now. Nothing wakes the connection when a request starts or
    /// ends (that would cost a poll and a timer per request); every
    /// deadline such a change can bring is at least this far away (a stall
    /// or an idle spell that begins later ends later), so looking again
    /// then still finds each deadline on time.
    fn busy_check(&self, deadlines: &Deadlines) -> Instant {
        match self.unsent_since_ms.load(Ordering::Relaxed) {
            NONE => Instant::now() + deadlines.send.min(deadlines.idle),
            since => self.started + Duration::from_millis(since) + deadlines.send,
        }
    }

    /// Whether a response frame has waited a send timeout for the client.
    fn stalled(&self, deadlines: &Deadlines) -> bool {
        let since = self.unsent_since_ms.load(Ordering::SeqCst);
        since != NONE
            && self.in_flight.load(Ordering::SeqCst) > 0
            && self.started + Duration::from_millis(since) + deadlines.send <= Instant::now()
    }
}

/// No time: nothing waits.
const NONE: u64 = u64::MAX;

/// A request in flight; dropping it ends the request.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let activity = &self.0;
        activity
            .idle_since_ms
            .store(activity.now_ms(), Ordering::SeqCst);
        // What it left unsent is no one's any more.
        activity.unsent_since_ms.store(NONE, Ordering::SeqCst);
        activity.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its request in flight until it is done.
pub(crate) struct Tracked {
    body: Body,
    _busy: Busy,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let activity = self._busy.0.clone();
        activity.unsent_since_ms.store(NONE, Ordering::SeqCst);
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(Some(Ok(_)))) && !self.body.is_end_stream() {
            let now = activity.now_ms();
            let _ = activity.unsent_since_ms.compare_exchange(
                NONE,
                now,
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
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

    fn deadlines() -> Deadlines {
        Deadlines {
            header: Duration::from_secs(5),
            idle: Duration::from_secs(60),
            grace: Duration::from_secs(1),
            drain: Duration::from_secs(30),
            send: Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn header_deadline_first_then_idle_after_a_response() {
        let activity = Arc::new(Activity::new());
        let first = activity.deadline(&deadlines());
        assert_eq!(first, Some(activity.started + Duration::from_secs(5)));
        let busy = activity.enter();
        assert_eq!(
            activity.deadline(&deadlines()),
            None,
            "a request in flight has none"
        );
        let before = Instant::now();
        drop(busy);
        let after = Instant::now();
        let next = activity.deadline(&deadlines()).unwrap_or(before);
        // Counted in whole milliseconds from the connection's start.
        let idle = Duration::from_secs(60);
        assert!(
            next + Duration::from_millis(1) >= before + idle,
            "{next:?} {before:?}"
        );
        assert!(next <= after + idle);
    }

    #[test]
    fn http11_needs_exactly_one_host() {
        let request = |version, hosts: &[&str]| {
            let mut builder = Request::builder().version(version).uri("/");
            for h in hosts {
                builder = builder.header(HOST, *h);
            }
            builder.body(()).unwrap_or_default()
        };
        let status = |r: Option<Response<Body>>| r.map(|r| r.status());
        assert_eq!(
            status(host_problem(&request(Version::HTTP_11, &["a"]))),
            None
        );
        assert_eq!(
            status(host_problem(&request(Version::HTTP_11, &[]))),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            status(host_problem(&request(Version::HTTP_11, &["a", "b"]))),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(status(host_problem(&request(Version::HTTP_10, &[]))), None);
    }
}
