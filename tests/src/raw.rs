//! Raw-socket clients for tests of how a node treats connections: a source
//! address of choice (any of 127/8), reading until the peer closes, one
//! HTTP/1.1 exchange by hand, and a minimal HTTP/2 client that answers
//! SETTINGS and PING but never opens flow-control window.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A connection to `to` from `source` (any 127/8 address is this machine).
pub async fn connect_from(source: &str, to: SocketAddr) -> Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(format!("{source}:0").parse()?)?;
    Ok(socket.connect(to).await?)
}

/// Reads until the peer closes (EOF or reset); what it sent meanwhile.
pub async fn until_closed<R: AsyncRead + Unpin>(
    stream: &mut R,
    bound: Duration,
) -> Result<Vec<u8>> {
    let mut seen = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    if tokio::time::timeout(bound, read).await.is_err() {
        bail!("the node kept the connection open for {bound:?}");
    }
    Ok(seen)
}

/// One raw HTTP/1.1 request on a new connection from `source`; the answer.
pub async fn raw_request(source: &str, to: SocketAddr, request: &str) -> Result<String> {
    let mut stream = connect_from(source, to).await?;
    stream.write_all(request.as_bytes()).await?;
    let answer = until_closed(&mut stream, Duration::from_secs(30)).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// Reads one HTTP/1.1 response with a Content-Length, leaving the
/// connection open.
pub async fn read_one_response(stream: &mut TcpStream) -> Result<()> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            bail!("closed before the response ended");
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_string();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "{head}");
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .map(str::to_string)
            })
            .context("content-length")?
            .trim()
            .parse()?;
        if body.len() >= length {
            return Ok(());
        }
    }
}

/// What a raw HTTP/2 client saw before the server closed.
#[derive(Debug, Default)]
pub struct H2Seen {
    pub pinged: bool,
    pub goaway: bool,
    pub data_bytes: usize,
}

/// A raw HTTP/2 client: preface and SETTINGS, then `request` (frames) if
/// any; after that it only answers what the server sends (SETTINGS and PING
/// acks) and never opens flow-control window. Runs until the server closes.
pub async fn h2c_client(mut stream: TcpStream, request: &[u8], bound: Duration) -> Result<H2Seen> {
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await?;
    stream.write_all(&frame(4, 0, 0, &[])).await?;
    stream.write_all(request).await?;
    let mut seen = H2Seen::default();
    let run = async {
        let mut header = [0u8; 9];
        while stream.read_exact(&mut header).await.is_ok() {
            let length =
                usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
            let (kind, flags) = (header[3], header[4]);
            let mut payload = vec![0u8; length];
            if stream.read_exact(&mut payload).await.is_err() {
                break;
            }
            let reply = match (kind, flags & 1) {
                (0, _) => {
                    seen.data_bytes += length;
                    None
                }
                (4, 0) => Some(frame(4, 1, 0, &[])),
                (6, 0) => {
                    seen.pinged = true;
                    Some(frame(6, 1, 0, &payload))
                }
                (7, _) => {
                    seen.goaway = true;
                    None
                }
                _ => None,
            };
            if let Some(reply) = reply {
                if stream.write_all(&reply).await.is_err() {
                    break;
                }
            }
        }
    };
    tokio::time::timeout(bound, run)
        .await
        .map_err(|_| anyhow::anyhow!("the node kept the h2c connection open for {bound:?}"))?;
    Ok(seen)
}

/// An HTTP/2 frame.
pub fn frame(kind: u8, flags: u8, stream: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = vec![
        (len >> 16) as u8,
        (len >> 8) as u8,
        len as u8,
        kind,
        flags,
        0,
        0,
        0,
        stream,
    ];
    out.extend_from_slice(payload);
    out
}

/// HEADERS (END_STREAM, END_HEADERS) on stream 1 for `GET {path}`, in HPACK
/// without Huffman: `:method GET` and `:scheme http` from the static table,
/// `:path` and `:authority` as literals with indexed names.
pub fn h2_get(path: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x44, path.len() as u8];
    block.extend_from_slice(path.as_bytes());
    block.extend_from_slice(&[0x41, 1, b'x']);
    frame(1, 0x5, 1, &block)
}
