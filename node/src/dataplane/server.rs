//! The accept loop shared by the data-plane and admin listeners.
//!
//! Takes an already-bound listener and a shutdown future (so tests bind port
//! 0 and stop the server when they like). Each connection speaks HTTP/1.1 or
//! HTTP/2 cleartext (h2c, prior knowledge), detected from its first bytes.
//! A connection takes a slot from the listener's [`Admission`] (a cap in
//! total and per source address, shared by all workers); one beyond the caps
//! is answered 503 and closed, never left waiting in the backlog. Each
//! admitted connection is driven by [`connection::drive`], which closes it
//! when it holds its slot without a request. On shutdown the listener
//! closes, idle connections close, and in-flight requests get `drain` to
//! finish. The TLS listener ([`super::tls`]) shares this loop, its
//! deadlines and its HTTP settings.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::admission::{Admission, Slot};
pub use super::connection::Handler;
use super::connection::{self, Deadlines};

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Connection caps (shared by the workers serving one address).
    pub admission: Arc<Admission>,
    /// Largest request head (request line + headers) accepted; larger gets 431.
    pub max_header_bytes: usize,
    /// From accept to a complete first request head (includes the protocol
    /// detection read).
    pub header_timeout: Duration,
    /// How long a connection with no request in flight stays open.
    pub idle_timeout: Duration,
    /// How long a write to the client may stay blocked (it reads nothing).
    pub send_timeout: Duration,
    /// HTTP/2: how often a PING checks that the peer is alive, and how long
    /// its answer may take before the connection is closed.
    pub h2_keepalive_interval: Duration,
    pub h2_keepalive_timeout: Duration,
    /// HTTP/2: streams a client may have open at once on one connection.
    pub h2_max_streams: u32,
    /// How long in-flight requests may run after shutdown begins.
    pub drain: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            admission: Arc::new(Admission::default()),
            max_header_bytes: 10_240,
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(60),
            h2_keepalive_interval: Duration::from_secs(20),
            h2_keepalive_timeout: Duration::from_secs(20),
            h2_max_streams: 128,
            drain: Duration::from_secs(30),
        }
    }
}

/// How long a connection shut down for idleness may take to close before
/// it is dropped.
const IDLE_GRACE: Duration = Duration::from_secs(1);

/// Serves `handler` on `listener` until `shutdown` completes, then drains.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) {
    let builder = Arc::new(builder(&options));
    let deadlines = deadlines(&options);
    let admission = options.admission.clone();
    let spawn = |stream: TcpStream, remote: SocketAddr, slot: Slot, stopped| {
        tokio::spawn(connection::drive(
            stream,
            remote,
            builder.clone(),
            handler.clone(),
            deadlines,
            stopped,
            slot,
        ));
    };
    let refuse = |stream| admission.refuse(stream);
    accept_loop(listener, &options, shutdown, spawn, refuse).await;
}

/// The deadlines every connection of a listener gets.
pub(super) fn deadlines(options: &ServerOptions) -> Deadlines {
    Deadlines {
        header: options.header_timeout,
        idle: options.idle_timeout,
        grace: IDLE_GRACE,
        drain: options.drain,
        send: options.send_timeout,
    }
}

/// Accepts until `shutdown`: an admitted connection goes to `spawn` with its
/// slot and the stop signal, one over the caps to `refuse`; then waits up to
/// `drain` for the spawned connections to finish.
pub(super) async fn accept_loop(
    listener: TcpListener,
    options: &ServerOptions,
    shutdown: impl Future<Output = ()>,
    mut spawn: impl FnMut(TcpStream, SocketAddr, Slot, watch::Receiver<bool>),
    mut refuse: impl FnMut(TcpStream),
) {
    let (stop, stopped) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        match options.admission.admit(remote.ip()) {
            Ok(slot) => {
                let _ = stream.set_nodelay(true);
                spawn(stream, remote, slot, stopped.clone());
            }
            Err(refusal) => {
                tracing::debug!(%remote, ?refusal, "connection refused: over its cap");
                refuse(stream);
            }
        }
    }
    drop(listener);
    drop(stopped);
    let _ = stop.send(true);
    tokio::select! {
        _ = stop.closed() => {}
        _ = tokio::time::sleep(options.drain) => {
            tracing::warn!("drain time over; closing the connections still open");
        }
    }
}

/// The HTTP/1.1 and HTTP/2 settings every connection of a listener shares.
pub(super) fn builder(options: &ServerOptions) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        // Kept so answers and Lambda proxy events spell header names as
        // AWS does (dataplane::integration::header_case).
        .preserve_header_case(true)
        .timer(TokioTimer::new())
        // A backstop: the connection's own deadline (header, then idle) is
        // the one that normally fires.
        .header_read_timeout(options.header_timeout.max(options.idle_timeout))
        .max_buf_size(options.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(options.h2_keepalive_interval))
        .keep_alive_timeout(options.h2_keepalive_timeout)
        .max_concurrent_streams(options.h2_max_streams)
        .max_header_list_size(u32::try_from(options.max_header_bytes).unwrap_or(u32::MAX));
    builder
}
