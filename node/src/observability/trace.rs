//! Trace ids: the X-Ray `X-Amzn-Trace-Id` header
//! (`Root=1-{8 hex epoch seconds}-{24 hex};Parent={16 hex};Sampled={0|1}`)
//! continued from the client, taken from a W3C `traceparent`, or made new;
//! and the `traceparent` sent on to backends with the same trace id.

use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;

/// One request's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// `1-{8 hex}-{24 hex}` (the X-Ray trace id).
    pub root: String,
    /// The caller's span, if it named one.
    pub parent: Option<String>,
    /// The caller's sampling decision, if it made one.
    pub sampled: Option<bool>,
    /// This gateway's span id (16 hex), the parent of backend calls.
    pub span: String,
    /// The client's `X-Amzn-Trace-Id`, kept as sent.
    given: Option<String>,
    /// Whether the trace came from a W3C `traceparent`: only then does a
    /// backend get one (API Gateway itself sends none).
    w3c: bool,
}

impl Trace {
    /// The trace of a request with these headers, arriving at `now`.
    pub fn from_headers(headers: &HeaderMap, now: SystemTime) -> Trace {
        let span = format!("{:016x}", rand::random::<u64>());
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 256)
        };
        if let Some(given) = text("x-amzn-trace-id") {
            if let Some(mut t) = parse_xray(given) {
                t.span = span;
                t.given = Some(given.to_string());
                return t;
            }
        }
        if let Some(t) = text("traceparent").and_then(parse_traceparent) {
            return Trace {
                span,
                w3c: true,
                ..t
            };
        }
        Trace {
            root: new_root(now),
            parent: None,
            sampled: None,
            span,
            given: None,
            w3c: false,
        }
    }

    /// The `X-Amzn-Trace-Id` value sent to backends and the client: the
    /// client's own as sent; else the root, and with tracing on this
    /// gateway's span as parent and the sampling decision.
    pub fn header(&self, tracing: bool) -> String {
        if let Some(given) = &self.given {
            return given.clone();
        }
        if !tracing {
            return match (&self.parent, self.sampled) {
                (Some(p), Some(s)) => {
                    format!("Root={};Parent={p};Sampled={}", self.root, u8::from(s))
                }
                _ => format!("Root={}", self.root),
            };
        }
        let sampled = self.sampled.unwrap_or(true);
        format!(
            "Root={};Parent={};Sampled={}",
            self.root,
            self.span,
            u8::from(sampled)
        )
    }

    /// The W3C `traceparent` for a backend call when the client sent one:
    /// the same trace id, this gateway's span as parent.
    pub fn traceparent_to_send(&self) -> Option<String> {
        self.w3c.then(|| self.traceparent())
    }

    /// The W3C `traceparent` of this trace: the same trace id, this
    /// gateway's span as parent.
    pub fn traceparent(&self) -> String {
        let hex: String = self.root[2..].chars().filter(|c| *c != '-').collect();
        let flags = u8::from(self.sampled.unwrap_or(false));
        format!("00-{hex}-{}-{flags:02x}", self.span)
    }
}

/// `1-{epoch seconds, 8 hex}-{24 random hex}`.
pub fn new_root(now: SystemTime) -> String {
    let seconds = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let random = rand::random::<u128>() >> 32;
    format!("1-{:08x}-{random:024x}", seconds & 0xffff_ffff)
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `Root=1-...;Parent=...;Sampled=...` (fields in any order, others ignored).
fn parse_xray(header: &str) -> Option<Trace> {
    let mut trace = Trace {
        root: String::new(),
        parent: None,
        sampled: None,
        span: String::new(),
        given: None,
        w3c: false,
    };
    for field in header.split(';') {
        let (key, value) = field.trim().split_once('=')?;
        match key {
            "Root" if valid_root(value) => trace.root = value.to_ascii_lowercase(),
            "Parent" if is_hex(value, 16) => trace.parent = Some(value.to_ascii_lowercase()),
            "Sampled" => {
                trace.sampled = match value {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    (!trace.root.is_empty()).then_some(trace)
}

fn valid_root(root: &str) -> bool {
    let mut parts = root.split('-');
    parts.next() == Some("1")
        && parts.next().is_some_and(|t| is_hex(t, 8))
        && parts.next().is_some_and(|r| is_hex(r, 24))
        && parts.next().is_none()
}

/// `00-{32 hex trace id}-{16 hex parent}-{2 hex flags}`.
fn parse_traceparent(header: &str) -> Option<Trace> {
    let mut parts = header.split('-');
    let (version, id, parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let zero = |s: &str| s.bytes().all(|b| b == b'0');
    if !is_hex(version, 2) || version == "ff" || !is_hex(id, 32) || zero(id) {
        return None;
    }
    if !is_hex(parent, 16) || zero(parent) || !is_hex(flags, 2) {
        return None;
    }
    let id = id.to_ascii_lowercase();
    let flags = u8::from_str_radix(flags, 16).ok()?;
    Some(Trace {
        root: format!("1-{}-{}", &id[..8], &id[8..]),
        parent: Some(parent.to_ascii_lowercase()),
        sampled: Some(flags & 1 == 1),
        span: String::new(),
        given: None,
        w3c: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn new_root_starts_with_the_epoch() {
        let t = Trace::from_headers(
            &HeaderMap::new(),
            UNIX_EPOCH + std::time::Duration::from_secs(0x5f00_0001),
        );
        assert!(t.root.starts_with("1-5f000001-"), "{}", t.root);
        assert_eq!(t.root.len(), 35);
        assert_eq!(t.header(false), format!("Root={}", t.root));
        assert!(t
            .header(true)
            .ends_with(&format!(";Parent={};Sampled=1", t.span)));
    }

    #[test]
    fn client_header_kept() {
        let given = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
        let t = Trace::from_headers(&headers(&[("x-amzn-trace-id", given)]), SystemTime::now());
        assert_eq!(t.root, "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(t.header(true), given);
        assert!(t
            .traceparent()
            .starts_with("00-5759e988bd862e3fe1be46a994272793-"));
        assert!(t.traceparent().ends_with("-01"));
    }

    #[test]
    fn traceparent_taken() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let t = Trace::from_headers(&headers(&[("traceparent", tp)]), SystemTime::now());
        assert_eq!(t.root, "1-4bf92f35-77b34da6a3ce929d0e0e4736");
        assert_eq!(t.parent.as_deref(), Some("00f067aa0ba902b7"));
        assert_eq!(t.sampled, Some(true));
        let bad = Trace::from_headers(
            &headers(&[("traceparent", "00-zz-1-01")]),
            SystemTime::now(),
        );
        assert_ne!(bad.root, t.root);
    }
}
