//! Bodies over QUIC streams, for requests forwarded between nodes: a
//! receiving stream read as an HTTP body, and an HTTP body written to a
//! sending stream, frame by frame (never held whole).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Frame;
use tokio::io::{AsyncRead, ReadBuf};

use super::body::BoxError;

/// How much one read takes from the stream.
const CHUNK: usize = 64 * 1024;

/// The rest of a QUIC receiving stream, as an HTTP body.
pub struct QuicBody {
    recv: quinn::RecvStream,
    done: bool,
}

impl QuicBody {
    pub fn new(recv: quinn::RecvStream) -> QuicBody {
        QuicBody { recv, done: false }
    }
}

impl hyper::body::Body for QuicBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let mut buf = BytesMut::zeroed(CHUNK);
        let mut read = ReadBuf::new(&mut buf);
        match Pin::new(&mut self.recv).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => {
                self.done = true;
                Poll::Ready(Some(Err(Box::new(e))))
            }
            Poll::Ready(Ok(())) => {
                let n = read.filled().len();
                if n == 0 {
                    self.done = true;
                    return Poll::Ready(None);
                }
                buf.truncate(n);
                Poll::Ready(Some(Ok(Frame::data(buf.freeze()))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// Writes every data frame of `body` to `send`, then finishes the stream.
/// Returns how many bytes went out.
pub async fn pump<B>(mut body: B, send: &mut quinn::SendStream) -> Result<u64, BoxError>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    let mut sent = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(Into::into)?;
        if let Ok(data) = frame.into_data() {
            sent += data.len() as u64;
            send.write_all(&data).await?;
        }
    }
    send.finish()?;
    Ok(sent)
}
