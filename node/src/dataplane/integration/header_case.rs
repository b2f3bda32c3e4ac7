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
//! - [`spell`]: hyper's client reads a response head written with the
//!   wanted spellings: names a method response maps or a function answers
//!   with as they were written, then AWS's own (`x-amzn-RequestId`,
//!   `Content-Type`, `X-Amzn-Trace-Id`, `x-amzn-Remapped-*`...); the answer
//!   carries a copy of the extension that read left. Reads run on one
//!   helper thread and are kept per list of names (a bounded cache), so an
//!   API's answers read once per distinct set of names; [`aws_spelling`]
//!   gives an answer not spelled yet AWS's names only.
//! - [`client_spelling`]: for a Lambda proxy event, hyper's client writes a
//!   request head from the client's headers and their recorded spellings,
//!   and the names are read back from it (bounded in size and time; on any
//!   failure the caller falls back to Title-Case).
//!
//! HTTP/2 names are lower case by the protocol; nothing here applies.

use std::collections::HashMap;
use std::sync::mpsc::{self, Sender, SyncSender};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Extensions, HeaderMap, HeaderName, Request, Response};
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

/// Distinct lists of names whose spelling is kept.
const CACHE_ENTRIES: usize = 4096;

/// Names of an answer's own spelled (beyond this many, AWS's only).
const MAX_NAMES: usize = 100;

/// A read of spellings asked of the helper thread, and where to answer.
type Job = (Vec<String>, SyncSender<Option<Extensions>>);

/// The helper thread that reads spellings (its own runtime: callers may be
/// on a runtime thread, where blocking on another runtime is not allowed).
static HELPER: LazyLock<Option<Mutex<Sender<Job>>>> = LazyLock::new(|| {
    let (jobs, incoming) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("header-case".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
            else {
                return;
            };
            while let Ok((names, reply)) = incoming.recv() {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let _ = reply.send(runtime.block_on(read_spelled_response(&names)));
            }
        })
        .ok()?;
    Some(Mutex::new(jobs))
});

/// Spellings already read, by the names an answer asked for.
static CACHE: LazyLock<Mutex<HashMap<Vec<String>, Option<Extensions>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// AWS's names alone (most answers), read once.
static AWS_ONLY: LazyLock<Option<Extensions>> = LazyLock::new(|| spelling_for(Vec::new()));

/// Marks an answer whose spelling is set.
#[derive(Debug, Clone, Copy)]
struct Spelled;

/// Makes hyper write the answer's header names as AWS spells them, unless
/// [`spell`] already did.
pub(crate) fn aws_spelling<B>(response: &mut Response<B>) {
    if response.extensions().get::<Spelled>().is_none() {
        spell(response, &[]);
    }
}

/// Makes hyper write `names` as given (in order; a name given twice spells
/// its second value too), and AWS's own names as AWS spells them.
pub(crate) fn spell<B>(response: &mut Response<B>, names: &[String]) {
    apply(response, spelling(names));
}

/// The extension [`spell`] gives an answer: `names` as given, and AWS's.
pub(crate) fn spelling(names: &[String]) -> Option<Extensions> {
    let names: Vec<String> = names
        .iter()
        .filter(|n| HeaderName::from_bytes(n.as_bytes()).is_ok())
        .take(MAX_NAMES)
        .cloned()
        .collect();
    if names.is_empty() {
        AWS_ONLY.clone()
    } else {
        spelling_for(names)
    }
}

/// Gives `response` a spelling [`spelling`] made.
pub(crate) fn apply<B>(response: &mut Response<B>, spelled: Option<Extensions>) {
    if let Some(extensions) = spelled {
        response.extensions_mut().extend(extensions);
        response.extensions_mut().insert(Spelled);
    }
}

/// The extension spelling `names` then AWS's names, from the cache or read.
fn spelling_for(names: Vec<String>) -> Option<Extensions> {
    let lock = |m: &'static Mutex<HashMap<Vec<String>, Option<Extensions>>>| {
        m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if let Some(found) = lock(&CACHE).get(&names) {
        return found.clone();
    }
    let mut wanted = names.clone();
    for aws in AWS_NAMES {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(aws)) {
            wanted.push((*aws).to_string());
        }
    }
    let (reply, answer) = mpsc::sync_channel(1);
    {
        let helper = HELPER.as_ref()?;
        let jobs = helper
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        jobs.send((wanted, reply)).ok()?;
    }
    let read = answer.recv_timeout(DEADLINE).ok().flatten();
    let mut cache = lock(&CACHE);
    if cache.len() < CACHE_ENTRIES && read.is_some() {
        cache.insert(names, read.clone());
    }
    read
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
    fn answers_are_marked_spelled_once() {
        let mut response = Response::new(());
        spell(
            &mut response,
            &["tesT-Multi".to_string(), "bad name".to_string()],
        );
        assert!(response.extensions().get::<Spelled>().is_some());
        let mut plain = Response::new(());
        aws_spelling(&mut plain);
        assert!(plain.extensions().get::<Spelled>().is_some());
        let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        assert!(cache.contains_key(&vec!["tesT-Multi".to_string()]));
    }

    #[test]
    fn spellings_of_a_head() {
        let head = b"GET / HTTP/1.1\r\ntEsT-HEADeR: a\r\nX-Other: b\r\ntest-header: c\r\n\r\n";
        let names = spellings(head);
        assert_eq!(names["test-header"], "tEsT-HEADeR");
        assert_eq!(names["x-other"], "X-Other");
    }
}
