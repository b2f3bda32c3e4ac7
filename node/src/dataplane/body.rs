//! Response and request body types and helpers, and how fast a request
//! body must arrive ([`Pace`]).

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use std::time::Duration;

use bytes::BytesMut;
use http_body_util::{BodyExt, Full};

/// Errors a streamed body can carry.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every data-plane response.
pub type Body = BoxBody<Bytes, BoxError>;

/// A body held in memory.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An empty body.
pub fn empty() -> Body {
    full(Bytes::new())
}

/// Why a request body could not be read.
#[derive(Debug)]
pub enum ReadError {
    TooLarge,
    /// It did not keep up with its [`Pace`].
    TooSlow,
    Broken(String),
}

/// How fast a request body must arrive: all of it within `timeout`, plus
/// one second for every `min_rate` bytes received (Apache's
/// `RequestReadTimeout body=...,MinRate=...`). A client that sends nothing
/// is cut at `timeout`; one that keeps sending at `min_rate` or more is
/// never cut.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub timeout: Duration,
    /// Bytes per second; 0: `timeout` covers the whole body.
    pub min_rate: u64,
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            timeout: Duration::from_secs(30),
            min_rate: 1024,
        }
    }
}

impl Pace {
    /// The time allowed for the body once `received` bytes have arrived.
    pub fn allowance(&self, received: usize) -> Duration {
        let earned = match self.min_rate {
            0 => Duration::ZERO,
            rate => Duration::from_secs_f64(received as f64 / rate as f64),
        };
        self.timeout.saturating_add(earned)
    }
}

/// How much of an oversized body is read and thrown away so the client,
/// still sending, sees the 413 instead of a reset connection.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// Reads a whole body at the default [`Pace`], refusing more than `limit`
/// bytes. On refusal the rest is drained (bounded in bytes and time) before
/// returning.
pub async fn read_limited<B>(body: B, limit: usize) -> Result<Bytes, ReadError>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    read_paced(body, limit, Pace::default()).await
}

/// Reads a whole body, refusing more than `limit` bytes or a body slower
/// than `pace`.
pub async fn read_paced<B>(body: B, limit: usize, pace: Pace) -> Result<Bytes, ReadError>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let mut body = body;
    let mut buf = BytesMut::new();
    let started = tokio::time::Instant::now();
    loop {
        let deadline = started + pace.allowance(buf.len());
        let Ok(next) = tokio::time::timeout_at(deadline, body.frame()).await else {
            return Err(ReadError::TooSlow);
        };
        let Some(frame) = next else {
            break;
        };
        let frame = frame.map_err(|e| ReadError::Broken(e.into().to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if buf.len() + data.len() > limit {
            drain(body).await;
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&data);
    }
    Ok(buf.freeze())
}

/// Reads and discards what is left of a body, within the drain bounds.
pub async fn drain<B>(mut body: B)
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
{
    let discard = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}

/// What a request body must be for the pipeline (a client's, or one
/// forwarded over QUIC).
pub trait RequestBody:
    hyper::body::Body<Data = Bytes, Error: Into<BoxError> + Send> + Unpin + Send + 'static
{
}

impl<B> RequestBody for B where
    B: hyper::body::Body<Data = Bytes, Error: Into<BoxError> + Send> + Unpin + Send + 'static
{
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A body that sends one piece, then nothing, forever.
    struct Stalls(bool);

    impl hyper::body::Body for Stalls {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, BoxError>>> {
            if self.0 {
                return Poll::Pending;
            }
            self.0 = true;
            Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from_static(
                b"abc",
            )))))
        }
    }

    #[tokio::test]
    async fn a_stalled_body_is_cut_at_its_pace() {
        let pace = Pace {
            timeout: Duration::from_millis(20),
            min_rate: 1024,
        };
        let read = read_paced(Stalls(false), 100, pace).await;
        assert!(matches!(read, Err(ReadError::TooSlow)), "{read:?}");
        let whole = read_paced(full("hello"), 100, pace).await;
        assert_eq!(whole.ok(), Some(Bytes::from_static(b"hello")));
    }

    #[test]
    fn each_byte_received_earns_time() {
        let pace = Pace {
            timeout: Duration::from_secs(30),
            min_rate: 1000,
        };
        assert_eq!(pace.allowance(0), Duration::from_secs(30));
        assert_eq!(pace.allowance(5000), Duration::from_secs(35));
        let flat = Pace {
            min_rate: 0,
            ..pace
        };
        assert_eq!(flat.allowance(5000), Duration::from_secs(30));
    }
}
