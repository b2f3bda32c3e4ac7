//! A connection's writes that make no progress for a while fail.
//!
//! A client that sends requests and never reads the answers would hold its
//! connection (and, for HTTP_PROXY, the backend's) for as long as the
//! response takes to drain into a socket nobody empties: forever. Wrapped
//! in [`SendDeadline`], a write (or flush) that stays blocked for `timeout`
//! fails with `TimedOut`, and hyper closes the connection. The clock runs
//! only while a write is blocked and restarts at every byte accepted, so a
//! slow reader that keeps reading is not cut (nginx's `send_timeout`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// An I/O object whose blocked writes time out.
pub(crate) struct SendDeadline<IO> {
    io: IO,
    timeout: Duration,
    /// Armed while a write is blocked.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<IO> SendDeadline<IO> {
    pub(crate) fn new(io: IO, timeout: Duration) -> SendDeadline<IO> {
        SendDeadline {
            io,
            timeout,
            stalled: None,
        }
    }

    /// Passes a write's outcome on, failing it once it has been blocked
    /// for the timeout.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing for the send timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for SendDeadline<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for SendDeadline<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_shutdown(cx);
        self.watch(cx, polled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_nobody_reads_fails_and_one_that_is_read_goes_on() {
        let (near, far) = tokio::io::duplex(1024);
        let mut stalled = SendDeadline::new(near, Duration::from_millis(20));
        let blocked = stalled.write_all(&[0u8; 4096]).await;
        assert_eq!(
            blocked.err().map(|e| e.kind()),
            Some(io::ErrorKind::TimedOut)
        );
        let (near, far_reader) = tokio::io::duplex(1024);
        let mut read = SendDeadline::new(near, Duration::from_millis(200));
        let drain = tokio::spawn(async move {
            let mut far_reader = far_reader;
            let mut sink = Vec::new();
            far_reader.read_to_end(&mut sink).await.map(|_| sink.len())
        });
        read.write_all(&[0u8; 64 * 1024])
            .await
            .expect("a write that is read goes through");
        drop(read);
        assert_eq!(drain.await.ok().and_then(Result::ok), Some(64 * 1024));
        drop(far);
    }
}
