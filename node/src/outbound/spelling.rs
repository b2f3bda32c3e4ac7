//! How an HTTP/1.1 backend spelled the header names of its latest answer,
//! read off the connection as the bytes go by.
//!
//! hyper records a response's header-name spelling in a private extension
//! that nothing outside hyper can read; reading it back costs a second,
//! in-memory HTTP exchange per answer (`header_case::client_spelling`).
//! Instead, [`Spelling`] wraps each backend connection: after every request
//! written, it copies the bytes hyper reads until the end of the response
//! head (`\r\n\r\n`; informational `1xx` heads are skipped), keeps the
//! header names of that head as the backend wrote them, and passes every
//! byte through unchanged; the body is not looked at. Every response of the
//! connection carries the connection's [`Spelled`] record (hyper-util's
//! connection "extra"), and an HTTP/1.1 connection carries one exchange at
//! a time, so when a response arrives its record holds that response's
//! head. HTTP/2 connections (names are lower case by the protocol) are not
//! watched; a head over [`MAX_HEAD_BYTES`] is given up on (no record: the
//! caller falls back to the slow read).

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBuf, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};

/// The longest response head watched.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The most bytes copied through the watcher per read (heads are small;
/// a longer head takes more reads).
const CHUNK: usize = 4096;

/// The header names of a connection's latest complete response head, in
/// the order and spelling the backend wrote them, and the spelling made
/// for the last distinct list of names (answers of one backend mostly
/// carry the same names, so it is made once per connection).
#[derive(Debug, Clone, Default)]
pub struct Spelled(Arc<Mutex<Record>>);

#[derive(Debug, Default)]
struct Record {
    latest: Option<Names>,
    made: Option<(Names, Option<http::Extensions>)>,
}

/// Header names as written, shared (a head like the one before reuses them).
pub type Names = Arc<[String]>;

impl Spelled {
    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The names of the head just read, taken (the next response of the
    /// connection records its own).
    pub fn take(&self) -> Option<Names> {
        self.lock().latest.take()
    }

    /// What `make` makes of `names`, made again only when the names differ
    /// from the last ones made on this connection.
    pub fn made_for(
        &self,
        names: &Names,
        make: impl FnOnce(&[String]) -> Option<http::Extensions>,
    ) -> Option<http::Extensions> {
        if let Some((made_names, made)) = &self.lock().made {
            if Arc::ptr_eq(made_names, names) {
                return made.clone();
            }
        }
        let made = make(names);
        self.lock().made = Some((names.clone(), made.clone()));
        made
    }

    fn set(&self, names: Option<Names>) {
        self.lock().latest = names;
    }
}

/// Where the watcher is in the connection's exchange.
#[derive(Debug)]
enum Watch {
    /// Not watching (HTTP/2).
    Off,
    /// A request went out: the bytes read so far of its response head.
    Head(Vec<u8>),
    /// The head is read (or given up on): the body, until the next request.
    Body,
}

/// A backend connection whose response heads are watched.
pub struct Spelling<T> {
    inner: T,
    watch: Watch,
    record: Spelled,
    /// The names of the head before, reused when the next has the same.
    last: Option<Names>,
}

impl<T> Spelling<T> {
    fn new(inner: T, watched: bool) -> Spelling<T> {
        Spelling {
            inner,
            watch: if watched { Watch::Body } else { Watch::Off },
            record: Spelled::default(),
            last: None,
        }
    }

    /// A request is going out: its response head is next.
    fn request_written(&mut self) {
        if matches!(self.watch, Watch::Body) {
            self.record.set(None);
            self.watch = Watch::Head(Vec::new());
        }
    }

    /// Bytes hyper read, while a head is awaited.
    fn observe(&mut self, bytes: &[u8]) {
        let Watch::Head(head) = &mut self.watch else {
            return;
        };
        head.extend_from_slice(bytes);
        loop {
            let Some(end) = find_end(head) else {
                if head.len() > MAX_HEAD_BYTES {
                    self.watch = Watch::Body;
                }
                return;
            };
            let rest = head.split_off(end);
            let complete = std::mem::replace(head, rest);
            match parse_head(&complete, self.last.as_ref()) {
                // 100 Continue and the like: the final head follows.
                Some((status, _)) if (100..200).contains(&status) => continue,
                Some((_, names)) => {
                    self.last = Some(names.clone());
                    self.record.set(Some(names));
                }
                None => self.record.set(None),
            }
            self.watch = Watch::Body;
            return;
        }
    }
}

/// Where the head ends (just past its `\r\n\r\n`), if it is all there.
fn find_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

/// A response head's status and header names (`last` again when they are
/// the same names in the same order).
fn parse_head(head: &[u8], last: Option<&Names>) -> Option<(u16, Names)> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let names = lines
        .filter_map(|line| line.split_once(':').map(|(name, _)| name.trim()))
        .filter(|name| !name.is_empty());
    if let Some(last) = last {
        if names.clone().eq(last.iter().map(String::as_str)) {
            return Some((status, last.clone()));
        }
    }
    Some((status, names.map(str::to_string).collect()))
}

impl<T: Read + Unpin> Read for Spelling<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !matches!(this.watch, Watch::Head(_)) {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let mut copy = [MaybeUninit::<u8>::uninit(); CHUNK];
        let room = buf.remaining().min(CHUNK);
        let mut through = ReadBuf::uninit(&mut copy[..room]);
        match Pin::new(&mut this.inner).poll_read(cx, through.unfilled()) {
            Poll::Ready(Ok(())) => {
                let read = through.filled();
                buf.put_slice(read);
                this.observe(read);
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<T: Write + Unpin> Write for Spelling<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.request_written();
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.request_written();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<T: Connection> Connection for Spelling<T> {
    fn connected(&self) -> Connected {
        let connected = self.inner.connected();
        if matches!(self.watch, Watch::Off) {
            connected
        } else {
            connected.extra(self.record.clone())
        }
    }
}

/// A connector whose connections are [`Spelling`]-watched.
#[derive(Clone)]
pub struct SpellingConnector<C>(pub C);

impl<C> tower_service::Service<Uri> for SpellingConnector<C>
where
    C: tower_service::Service<Uri>,
    C::Response: Connection + Send + 'static,
    C::Future: Send + 'static,
{
    type Response = Spelling<C::Response>;
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move {
            let io = connecting.await?;
            let h2 = io.connected().is_negotiated_h2();
            Ok(Spelling::new(io, !h2))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched() -> Spelling<()> {
        Spelling::new((), true)
    }

    #[test]
    fn a_head_split_over_reads_is_recorded_with_its_spelling() {
        let mut s = watched();
        s.request_written();
        s.observe(b"HTTP/1.1 200 OK\r\nX-Custom-ID: 1\r\ncontent-TYPE: text/plain\r\n");
        assert!(s.record.take().is_none());
        s.observe(b"Content-Length: 2\r\n\r\nok");
        assert_eq!(
            s.record.take().as_deref(),
            Some(
                &[
                    "X-Custom-ID".to_string(),
                    "content-TYPE".to_string(),
                    "Content-Length".to_string()
                ][..]
            )
        );
        // The body is not looked at, even when it looks like a head.
        s.observe(b"HTTP/1.1 500 x\r\nNot-A: header\r\n\r\n");
        assert!(s.record.take().is_none());
    }

    #[test]
    fn informational_heads_are_skipped() {
        let mut s = watched();
        s.request_written();
        s.observe(
            b"HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\nHTTP/1.1 201 Created\r\nX-Late: 2\r\n\r\n",
        );
        assert_eq!(
            s.record.take().as_deref(),
            Some(&["X-Late".to_string()][..])
        );
    }

    #[test]
    fn each_request_starts_a_new_record_and_huge_heads_are_given_up() {
        let mut s = watched();
        s.request_written();
        s.observe(b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n");
        s.request_written();
        s.observe(b"HTTP/1.1 200 OK\r\n");
        assert!(
            s.record.take().is_none(),
            "the first answer's record is gone"
        );
        s.observe(&vec![b'x'; MAX_HEAD_BYTES + 1]);
        s.observe(b"\r\n\r\n");
        assert!(s.record.take().is_none());
        // A request written mid-head (an early answer) keeps the head going.
        s.request_written();
        s.observe(b"HTTP/1.1 200 OK\r\nB: 2\r\n");
        s.request_written();
        s.observe(b"\r\n");
        assert_eq!(s.record.take().as_deref(), Some(&["B".to_string()][..]));
    }

    #[test]
    fn the_same_names_again_are_shared_and_made_once() {
        let mut s = watched();
        s.request_written();
        s.observe(b"HTTP/1.1 200 OK\r\nX-A: 1\r\nDate: one\r\n\r\n");
        let first = s.record.take().expect("first");
        s.request_written();
        s.observe(b"HTTP/1.1 200 OK\r\nX-A: 2\r\nDate: two\r\n\r\n");
        let second = s.record.take().expect("second");
        assert!(Arc::ptr_eq(&first, &second), "same names, same list");
        let mut made = 0;
        for names in [&first, &second] {
            let _ = s.record.made_for(names, |_| {
                made += 1;
                Some(http::Extensions::new())
            });
        }
        assert_eq!(made, 1);
        s.request_written();
        s.observe(b"HTTP/1.1 200 OK\r\nX-B: 1\r\n\r\n");
        let third = s.record.take().expect("third");
        assert!(!Arc::ptr_eq(&first, &third));
    }

    #[test]
    fn unwatched_connections_record_nothing() {
        let mut s = Spelling::new((), false);
        s.request_written();
        s.observe(b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\n");
        assert!(s.record.take().is_none());
    }
}
