//! The TLS data-plane listener (`--tls-listen`): the plain listener's accept
//! loop, caps and deadlines ([`super::server`]), with a TLS handshake
//! ([`apigw_tls::accept`]: SNI picks the custom domain's certificate and
//! security policy, unknown names get `unrecognized_name`, ALPN `h2` /
//! `http/1.1`) before HTTP. The handshake must finish within the header
//! timeout; a connection over the caps is closed (a plain-text 503 would mean
//! nothing to a TLS client). What the handshake settled rides on every
//! request of the connection as an `Arc<ConnectionInfo>` extension, for
//! `$context.identity.clientCert`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use apigw_tls::{ConnectionInfo, TlsStore};
use http::{Request, Response};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::time::Instant;

use super::body::Body;
use super::connection;
use super::server::{accept_loop, builder, deadlines, Handler, ServerOptions};

/// The connection's handler: the listener's, with its TLS facts attached.
struct WithTls<H> {
    inner: Arc<H>,
    info: Arc<ConnectionInfo>,
}

impl<H: Handler> Handler for WithTls<H> {
    async fn call(&self, mut request: Request<Incoming>, remote: SocketAddr) -> Response<Body> {
        request.extensions_mut().insert(self.info.clone());
        self.inner.call(request, remote).await
    }
}

/// Serves `handler` over TLS with the domains of `tls` on `listener` until
/// `shutdown` completes, then drains.
pub async fn serve_tls<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    tls: Arc<TlsStore>,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) {
    let builder = Arc::new(builder(&options));
    let deadlines = deadlines(&options);
    let spawn = |stream, remote: SocketAddr, slot, stopped| {
        let (builder, handler, tls) = (builder.clone(), handler.clone(), tls.clone());
        tokio::spawn(async move {
            let snapshot = tls.snapshot();
            let deadline = Instant::now() + deadlines.header;
            match apigw_tls::accept(stream, &snapshot, deadline).await {
                Ok(accepted) => {
                    drop(snapshot);
                    let handler = Arc::new(WithTls {
                        inner: handler,
                        info: Arc::new(accepted.info),
                    });
                    connection::drive(
                        accepted.stream,
                        remote,
                        builder,
                        handler,
                        deadlines,
                        stopped,
                        slot,
                    )
                    .await;
                }
                Err(e) if e.is_client_fault() => {
                    tracing::debug!(%remote, error = %e, "TLS handshake refused");
                }
                Err(e) => tracing::warn!(%remote, error = %e, "TLS handshake failed"),
            }
        });
    };
    accept_loop(listener, &options, shutdown, spawn, drop).await;
}
