//! Content codings as API Gateway applies them (gzip and deflate, with
//! flate2): which coding a client's `Accept-Encoding` asks for, request
//! bodies decoded within the payload limit, and response bodies encoded
//! as they stream.
//!
//! AWS's rules (developer guide, "Enabling payload compression for an
//! API"): the coding with the highest `q` in `Accept-Encoding` must be
//! one the gateway supports, else the answer is not compressed; a missing
//! header means `*`, which is not compressed either. A request's
//! `Content-Encoding` must be `gzip`, `deflate` or `identity`, and its
//! body must decode, else 415.

use std::io::{Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use hyper::body::{Body as HttpBody, Frame, SizeHint};

use super::body::{Body, BoxError};

/// A content coding the gateway compresses with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    /// The zlib format (RFC 1950), which HTTP names `deflate`.
    Deflate,
}

impl Coding {
    /// The `Content-Encoding` value.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    /// A coding named in a header (`x-gzip` is gzip, RFC 9110 §8.4.1.3).
    fn parse(name: &str) -> Option<Coding> {
        match name.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Coding::Gzip),
            "deflate" => Some(Coding::Deflate),
            _ => None,
        }
    }
}

/// The coding an `Accept-Encoding` header asks for: the listed coding
/// with the highest `q` (the first of equals), if it is gzip or deflate.
pub fn accepted(header: Option<&str>) -> Option<Coding> {
    let mut best: Option<(&str, f32)> = None;
    for item in header?.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.is_empty() || q <= 0.0 {
            continue;
        }
        if best.is_none_or(|(_, top)| q > top) {
            best = Some((name, q));
        }
    }
    Coding::parse(best?.0)
}

/// Why a request body could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// A coding the gateway does not take (415).
    #[error("content coding {0} is not supported")]
    Unsupported(String),
    /// The body is not in the coding it claims (415).
    #[error("the body is not {0}-coded")]
    Corrupt(&'static str),
    /// Decoded, it is over the payload limit (413).
    #[error("the decoded body is over {0} bytes")]
    TooLarge(usize),
}

/// What a request's `Content-Encoding` asks of the gateway: `None` for
/// no coding or `identity`.
pub fn request_coding(header: Option<&str>) -> Result<Option<Coding>, DecodeError> {
    let Some(name) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    if name.eq_ignore_ascii_case("identity") {
        return Ok(None);
    }
    match Coding::parse(name) {
        Some(coding) => Ok(Some(coding)),
        None => Err(DecodeError::Unsupported(name.chars().take(64).collect())),
    }
}

/// `body` decoded, refusing more than `limit` decoded bytes (so a small
/// body cannot expand past the payload limit). `deflate` takes the zlib
/// format and, as many clients send it, raw deflate.
pub fn decode(coding: Coding, body: &[u8], limit: usize) -> Result<Bytes, DecodeError> {
    if body.is_empty() {
        return Ok(Bytes::new());
    }
    let read = |reader: &mut dyn Read| -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
        reader
            .take(cap)
            .read_to_end(&mut out)
            .map_err(|_| DecodeError::Corrupt(coding.name()))?;
        match out.len() > limit {
            true => Err(DecodeError::TooLarge(limit)),
            false => Ok(out),
        }
    };
    let decoded = match coding {
        Coding::Gzip => read(&mut flate2::read::MultiGzDecoder::new(body)),
        Coding::Deflate => read(&mut flate2::read::ZlibDecoder::new(body)).or_else(|e| match e {
            DecodeError::Corrupt(_) => read(&mut flate2::read::DeflateDecoder::new(body)),
            other => Err(other),
        }),
    }?;
    Ok(Bytes::from(decoded))
}

/// An encoder writing into a buffer that is drained after every frame.
enum Encoder {
    Gzip(GzEncoder<Vec<u8>>),
    Deflate(ZlibEncoder<Vec<u8>>),
}

impl Encoder {
    fn new(coding: Coding) -> Encoder {
        let level = Compression::default();
        match coding {
            Coding::Gzip => Encoder::Gzip(GzEncoder::new(Vec::new(), level)),
            Coding::Deflate => Encoder::Deflate(ZlibEncoder::new(Vec::new(), level)),
        }
    }

    /// Compresses `data` and flushes, so a streamed answer is not held
    /// back; returns what is ready to send.
    fn push(&mut self, data: &[u8]) -> std::io::Result<Bytes> {
        match self {
            Encoder::Gzip(e) => {
                e.write_all(data)?;
                e.flush()?;
                Ok(Bytes::from(std::mem::take(e.get_mut())))
            }
            Encoder::Deflate(e) => {
                e.write_all(data)?;
                e.flush()?;
                Ok(Bytes::from(std::mem::take(e.get_mut())))
            }
        }
    }

    /// The end of the stream (the gzip trailer, the zlib checksum).
    fn finish(self) -> std::io::Result<Bytes> {
        match self {
            Encoder::Gzip(e) => e.finish().map(Bytes::from),
            Encoder::Deflate(e) => e.finish().map(Bytes::from),
        }
    }
}

/// A response body compressed frame by frame as it streams.
pub struct Compressed {
    inner: Body,
    encoder: Option<Encoder>,
}

/// `body` compressed with `coding`.
pub fn compress(body: Body, coding: Coding) -> Body {
    use http_body_util::BodyExt;
    Compressed {
        inner: body,
        encoder: Some(Encoder::new(coding)),
    }
    .boxed()
}

impl HttpBody for Compressed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            let Some(encoder) = this.encoder.as_mut() else {
                return Poll::Ready(None);
            };
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(frame) => frame,
            };
            let out = match frame {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => encoder.push(&data),
                    // Trailers pass as they are.
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => match this.encoder.take() {
                    Some(encoder) => encoder.finish(),
                    None => return Poll::Ready(None),
                },
            };
            match out {
                Ok(bytes) if bytes.is_empty() => continue,
                Ok(bytes) => return Poll::Ready(Some(Ok(Frame::data(bytes)))),
                Err(e) => return Poll::Ready(Some(Err(Box::new(e)))),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.encoder.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_q_must_be_gzip_or_deflate() {
        assert_eq!(accepted(None), None);
        assert_eq!(accepted(Some("")), None);
        assert_eq!(accepted(Some("*")), None);
        assert_eq!(accepted(Some("gzip")), Some(Coding::Gzip));
        assert_eq!(accepted(Some("GZIP")), Some(Coding::Gzip));
        assert_eq!(accepted(Some("deflate, gzip")), Some(Coding::Deflate));
        assert_eq!(accepted(Some("gzip, deflate, br")), Some(Coding::Gzip));
        assert_eq!(accepted(Some("br")), None);
        assert_eq!(accepted(Some("br, gzip")), None);
        assert_eq!(accepted(Some("br;q=0.5, gzip")), Some(Coding::Gzip));
        assert_eq!(
            accepted(Some("deflate;q=0.5,gzip;q=1.0")),
            Some(Coding::Gzip)
        );
        assert_eq!(
            accepted(Some("gzip;q=0, deflate;q=0.1")),
            Some(Coding::Deflate)
        );
        assert_eq!(
            accepted(Some("gzip;q=1.0,identity;q=0.5,*;q=0")),
            Some(Coding::Gzip)
        );
        assert_eq!(accepted(Some("identity")), None);
    }

    #[test]
    fn request_codings() {
        assert_eq!(request_coding(None), Ok(None));
        assert_eq!(request_coding(Some("identity")), Ok(None));
        assert_eq!(request_coding(Some("gzip")), Ok(Some(Coding::Gzip)));
        assert!(matches!(
            request_coding(Some("br")),
            Err(DecodeError::Unsupported(_))
        ));
        assert!(matches!(
            request_coding(Some("gzip, br")),
            Err(DecodeError::Unsupported(_))
        ));
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("test");
        e.finish().expect("test")
    }

    #[test]
    fn decoding_is_bounded_and_checked() {
        let text = b"hello hello hello".repeat(100);
        let packed = gzip(&text);
        assert_eq!(
            decode(Coding::Gzip, &packed, 10_000).expect("test"),
            text.as_slice()
        );
        // A bomb: 10 MB of zeros in a few kB, refused at the limit.
        let bomb = gzip(&vec![0u8; 10_000_000]);
        assert!(bomb.len() < 20_000);
        assert_eq!(
            decode(Coding::Gzip, &bomb, 1_000_000),
            Err(DecodeError::TooLarge(1_000_000))
        );
        assert_eq!(
            decode(Coding::Gzip, b"not gzip", 100),
            Err(DecodeError::Corrupt("gzip"))
        );
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(b"raw deflate").expect("test");
        let raw = raw.finish().expect("test");
        assert_eq!(
            decode(Coding::Deflate, &raw, 100).expect("test"),
            &b"raw deflate"[..]
        );
    }

    #[tokio::test]
    async fn a_streamed_body_round_trips() {
        use http_body_util::BodyExt;
        let text = b"{\"pets\": [1, 2, 3]}".repeat(200);
        for coding in [Coding::Gzip, Coding::Deflate] {
            let body = compress(super::super::body::full(text.clone()), coding);
            let packed = body.collect().await.expect("test").to_bytes();
            assert!(packed.len() < text.len() / 4);
            assert_eq!(
                decode(coding, &packed, 1 << 20).expect("test"),
                text.as_slice()
            );
        }
    }
}
