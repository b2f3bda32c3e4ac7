//! What the engine sees of a request ([`RequestView`]: plain data the data
//! plane fills in, borrowed) and the per-evaluation parse of it
//! ([`Prepared`]: query arguments, cookies, size limits, the JSON body
//! parsed at most once).

use crate::json::{self, JsonDoc};
use std::cell::OnceCell;
use std::net::IpAddr;

/// AWS inspects at most this many headers, and at most [`HEADER_BYTES`] of them.
pub const MAX_HEADERS: usize = 200;
/// AWS inspects at most the first 8 KB of headers.
pub const HEADER_BYTES: usize = 8192;
/// AWS inspects at most this many cookies, and at most [`COOKIE_BYTES`] of them.
pub const MAX_COOKIES: usize = 200;
/// AWS inspects at most the first 8 KB of cookies.
pub const COOKIE_BYTES: usize = 8192;

/// A request as the data plane received it. Everything is borrowed and raw:
/// the path and query string undecoded, headers in arrival order with their
/// original names, the body as far as the gateway has read it with the
/// length the client declared or sent.
#[derive(Debug, Clone)]
pub struct RequestView<'a> {
    /// The HTTP method (`GET`).
    pub method: &'a str,
    /// The URI path as received, undecoded (`/prod/pets/%7Bid%7D`).
    pub uri_path: &'a str,
    /// The query string without `?`, undecoded (`a=1&b=%20`).
    pub query_string: &'a str,
    /// The fragment, if the client sent one (browsers never do).
    pub fragment: Option<&'a str>,
    /// Headers in arrival order, names as received.
    pub headers: Vec<(&'a str, &'a [u8])>,
    /// The body bytes the gateway holds (it need not hold more than the
    /// ACL's inspection limit, [`crate::CompiledWebAcl::body_limit`]).
    pub body: &'a [u8],
    /// The full body length (at least `body.len()`); decides oversize handling.
    pub body_len: usize,
    /// The address of the TCP peer (the request's origin IP).
    pub client_ip: IpAddr,
    /// `HTTP/1.1`, `HTTP/2.0`: for logs.
    pub http_version: &'a str,
    /// The JA3 fingerprint of the TLS ClientHello, if the listener computes it.
    pub ja3: Option<&'a str>,
    /// The JA4 fingerprint, if the listener computes it.
    pub ja4: Option<&'a str>,
}

impl<'a> RequestView<'a> {
    /// A request with no headers, query or body, for building up in tests
    /// and simple callers.
    pub fn new(method: &'a str, uri_path: &'a str, client_ip: IpAddr) -> Self {
        Self {
            method,
            uri_path,
            query_string: "",
            fragment: None,
            headers: Vec::new(),
            body: &[],
            body_len: 0,
            client_ip,
            http_version: "HTTP/1.1",
            ja3: None,
            ja4: None,
        }
    }

    /// The values of every header named `name` (case-insensitive), in order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The first value of header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.header_values(name).next()
    }
}

/// The per-evaluation view: components split once, limits applied.
pub(crate) struct Prepared<'r> {
    pub req: &'r RequestView<'r>,
    pub query_args: Pairs<'r>,
    pub cookies: Pairs<'r>,
    pub cookies_oversize: bool,
    /// How many headers fall inside the inspection limits.
    pub headers_inspectable: usize,
    pub headers_oversize: bool,
    pub body: &'r [u8],
    pub body_oversize: bool,
    json: OnceCell<JsonDoc>,
    header_order: OnceCell<Vec<u8>>,
}

impl<'r> Prepared<'r> {
    pub fn new(req: &'r RequestView<'r>, body_limit: usize) -> Self {
        let (headers_inspectable, headers_oversize) = header_limits(req);
        let (cookies, cookies_oversize) = cookies(req);
        let body = &req.body[..req.body.len().min(body_limit)];
        Self {
            req,
            query_args: query_args(req.query_string.as_bytes()),
            cookies,
            cookies_oversize,
            headers_inspectable,
            headers_oversize,
            body,
            body_oversize: req.body_len.max(req.body.len()) > body_limit,
            json: OnceCell::new(),
            header_order: OnceCell::new(),
        }
    }

    /// The inspectable headers.
    pub fn headers(&self) -> &[(&'r str, &'r [u8])] {
        &self.req.headers[..self.headers_inspectable]
    }

    /// The body parsed as JSON (once).
    pub fn json(&self) -> &JsonDoc {
        self.json.get_or_init(|| json::parse(self.body))
    }

    /// Header names in order joined with `:` (the HeaderOrder component).
    pub fn header_order(&self) -> &[u8] {
        self.header_order.get_or_init(|| {
            let names: Vec<&str> = self.headers().iter().map(|(n, _)| *n).collect();
            names.join(":").into_bytes()
        })
    }
}

fn header_limits(req: &RequestView) -> (usize, bool) {
    let mut bytes = 0;
    for (i, (n, v)) in req.headers.iter().enumerate() {
        bytes += n.len() + v.len();
        if i >= MAX_HEADERS || bytes > HEADER_BYTES {
            return (i, true);
        }
    }
    (req.headers.len(), false)
}

/// Splits `a=1&b=2` into (name, value) pairs; a pair without `=` has an
/// empty value. Empty pieces (`a=1&&b=2`) are skipped.
pub(crate) fn query_args(q: &[u8]) -> Vec<(&[u8], &[u8])> {
    q.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|b| *b == b'=') {
            Some(i) => (&p[..i], &p[i + 1..]),
            None => (p, &p[p.len()..]),
        })
        .collect()
}

/// Name/value pairs borrowed from the request.
pub(crate) type Pairs<'r> = Vec<(&'r [u8], &'r [u8])>;

fn cookies<'r>(req: &'r RequestView<'r>) -> (Pairs<'r>, bool) {
    let mut out = Vec::new();
    let mut bytes = 0;
    for value in req.header_values("cookie") {
        for piece in value.split(|b| *b == b';') {
            let piece = trim_ascii(piece);
            if piece.is_empty() {
                continue;
            }
            bytes += piece.len();
            if out.len() >= MAX_COOKIES || bytes > COOKIE_BYTES {
                return (out, true);
            }
            out.push(match piece.iter().position(|b| *b == b'=') {
                Some(i) => (trim_ascii(&piece[..i]), trim_ascii(&piece[i + 1..])),
                None => (piece, &piece[piece.len()..]),
            });
        }
    }
    (out, false)
}

pub(crate) fn trim_ascii(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end]
}
