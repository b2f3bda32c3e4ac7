//! Header name spelling on HTTP/1.1, as AWS writes it and as clients wrote it.
//!
//! `http::HeaderName` is lower case. With `preserve_header_case` (the
//! data-plane listener turns it on) hyper records how a client spelled each
//! header name, in a private extension of the request, and writes a
//! response's names as the same kind of extension on the response says
//! (names it does not list go out lower case). That extension has no public
//! constructor or accessor, so this module goes through hyper's own HTTP/1
//! client, in memory:
//!
//! - [`aws_spelling`]: once per process, hyper's client reads a response
//!   head written with AWS's spellings (`x-amzn-RequestId`, `Content-Type`,
//!   `X-Amzn-Trace-Id`, `x-amzn-Remapped-*`...); every answer then carries
//!   a copy of the extension that read left.
//! - [`client_spelling`]: for a Lambda proxy event, hyper's client writes a
//!   request head from the client's headers and their recorded spellings,
//!   and the names are read back from it (bounded in size and time; on any
//!   failure the caller falls back to Title-Case).
//!
//! HTTP/2 names are lower case by the protocol; nothing here applies.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use bytes::Bytes;
use http::{Extensions, HeaderMap, Request, Response};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// AWS's spelling of the names its answers carry.
const AWS_NAMES: &[&str] = &[
    "Connection",
    "Content-Length",
    "Content-Type",
    "Date",
    "X-Amzn-Trace-Id",
    "x-amz-apigw-id",
    "x-amzn-ErrorType",
    "x-amzn-RequestId",
    "x-amzn-Remapped-Authorization",
    "x-amzn-Remapped-Connection",
    "x-amzn-Remapped-Content-Length",
    "x-amzn-Remapped-Content-MD5",
    "x-amzn-Remapped-Date",
    "x-amzn-Remapped-Expect",
    "x-amzn-Remapped-Host",
    "x-amzn-Remapped-Max-Forwards",
    "x-amzn-Remapped-Proxy-Authenticate",
    "x-amzn-Remapped-Server",
    "x-amzn-Remapped-Trailer",
    "x-amzn-Remapped-Upgrade",
    "x-amzn-Remapped-User-Agent",
    "x-amzn-Remapped-WWW-Authenticate",
    "x-amzn-Remapped-x-amzn-RequestId",
];

/// The largest request head read back (the listener's own cap on headers
/// is lower).
const MAX_HEAD_BYTES: usize = 256 * 1024;

/// How long reading a head back from memory may take.
const DEADLINE: Duration = Duration::from_millis(200);

/// The extension that spells [`AWS_NAMES`], made once.
static AWS_SPELLING: LazyLock<Option<Extensions>> = LazyLock::new(|| {
    // Its own thread and runtime: the first caller may be on a runtime
    // thread, where blocking on another runtime is not allowed.
    std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .ok()?;
        runtime.block_on(read_spelled_response(AWS_NAMES))
    })
    .join()
    .ok()
    .flatten()
});

/// Makes hyper write the answer's header names as AWS spells them.
pub(crate) fn aws_spelling<B>(response: &mut Response<B>) {
    if let Some(extensions) = AWS_SPELLING.as_ref() {
        response.extensions_mut().extend(extensions.clone());
    }
}

/// Has hyper's client read a response head with `names` spelled as given;
/// the response's extensions then hold that spelling.
async fn read_spelled_response(names: &[&str]) -> Option<Extensions> {
    let (client_io, mut server_io) = tokio::io::duplex(16 * 1024);
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .preserve_header_case(true)
        .handshake::<_, Empty<Bytes>>(TokioIo::new(client_io))
        .await
        .ok()?;
    let request = Request::builder().uri("/").body(Empty::new()).ok()?;
    let answer = sender.send_request(request);
    let mut head = String::from("HTTP/1.1 200 OK\r\n");
    for name in names {
        if !name.eq_ignore_ascii_case("content-length") {
            head.push_str(name);
            head.push_str(": x\r\n");
        }
    }
    head.push_str("Content-Length: 0\r\n\r\n");
    let server = async {
        read_head(&mut server_io).await?;
        server_io.write_all(head.as_bytes()).await.ok()?;
        Some(server_io)
    };
    let exchange = async {
        let (response, _server) = tokio::join!(answer, server);
        response.ok()
    };
    let response = tokio::time::timeout(DEADLINE, async {
        tokio::select! {
            response = exchange => response,
            _ = connection => None,
        }
    })
    .await
    .ok()
    .flatten()?;
    Some(response.extensions().clone())
}

/// The client's spelling of its header names (lower-case name to the
/// spelling it first came in), read back from the request's recorded case;
/// empty when hyper recorded none (HTTP/2) or reading it back failed.
pub(crate) async fn client_spelling(
    headers: &HeaderMap,
    extensions: &Extensions,
) -> HashMap<String, String> {
    tokio::time::timeout(DEADLINE, write_request_head(headers, extensions))
        .await
        .ok()
        .flatten()
        .map(|head| spellings(&head))
        .unwrap_or_default()
}

/// The request head hyper's client writes for `headers` with the recorded
/// spelling in `extensions`.
async fn write_request_head(headers: &HeaderMap, extensions: &Extensions) -> Option<Vec<u8>> {
    let (client_io, mut server_io) = tokio::io::duplex(16 * 1024);
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .preserve_header_case(true)
        .handshake::<_, Empty<Bytes>>(TokioIo::new(client_io))
        .await
        .ok()?;
    let mut request = Request::builder().uri("/").body(Empty::new()).ok()?;
    *request.headers_mut() = headers.clone();
    *request.extensions_mut() = extensions.clone();
    // The request is queued now; its answer never comes and is not awaited.
    let _pending = sender.send_request(request);
    tokio::select! {
        head = read_head(&mut server_io) => head,
        _ = connection => None,
    }
}

/// Reads bytes up to the end of an HTTP/1 head (`\r\n\r\n`).
async fn read_head(io: &mut tokio::io::DuplexStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = io.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buffer[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end + 4);
            return Some(head);
        }
        if head.len() > MAX_HEAD_BYTES {
            return None;
        }
    }
}

/// The header names of a request head, lower case to first spelling.
fn spellings(head: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let text = String::from_utf8_lossy(head);
    for line in text.split("\r\n").skip(1) {
        if let Some((name, _)) = line.split_once(':') {
            out.entry(name.to_ascii_lowercase())
                .or_insert_with(|| name.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_head_gives_back_what_the_extension_recorded() {
        // Without a recorded spelling hyper writes the names lower case.
        let mut headers = HeaderMap::new();
        headers.insert("x-test", "1".parse().expect("value"));
        let names = client_spelling(&headers, &Extensions::new()).await;
        assert_eq!(names.get("x-test").map(String::as_str), Some("x-test"));
    }

    #[test]
    fn aws_spelling_is_made() {
        let mut response = Response::new(());
        aws_spelling(&mut response);
        assert!(AWS_SPELLING.is_some(), "the spelling extension was made");
    }

    #[test]
    fn spellings_of_a_head() {
        let head = b"GET / HTTP/1.1\r\ntEsT-HEADeR: a\r\nX-Other: b\r\ntest-header: c\r\n\r\n";
        let names = spellings(head);
        assert_eq!(names["test-header"], "tEsT-HEADeR");
        assert_eq!(names["x-other"], "X-Other");
    }
}
