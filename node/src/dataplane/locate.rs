//! Finding the API and stage a request is for:
//! - `Host:` a custom domain name: its base path mappings, the longest
//!   matching base path first (an unmapped path is not found: 403);
//! - `Host: {api-id}.execute-api.{anything}` with path `/{stage}/{path}`;
//! - path `/restapis/{api-id}/{stage}/_user_request_/{path}` on any host.
//!
//! The last two are an API's default endpoint, which
//! `disableExecuteApiEndpoint` closes.
//!
//! The path is normalised first ([`normalize`]), so routing, authorization,
//! the cache key and the backend all see one path: the one a normalising
//! backend would resolve the request to.

use std::borrow::Cow;

use crate::domains::DomainTable;

/// The API, stage and the path inside the stage.
#[derive(Debug, PartialEq, Eq)]
pub struct Located<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    /// Starts with `/`; `/` for the stage root.
    pub path: &'a str,
    /// Through a custom domain: the base path that matched (`(none)` for
    /// the root), `$context.customDomain.basePathMatched`.
    pub base_path: Option<&'a str>,
}

/// Locates a request; `None` if no form matches.
pub fn locate<'a>(
    domains: &'a DomainTable,
    host: Option<&'a str>,
    path: &'a str,
) -> Option<Located<'a>> {
    if let Some(host) = host.map(strip_port) {
        let lower = host.to_ascii_lowercase();
        if let Some(routed) = domains.route(lower.trim_end_matches('.'), path) {
            let routed = routed?;
            return Some(Located {
                api_id: routed.api_id,
                stage: routed.stage,
                path: routed.path,
                base_path: Some(routed.base_path_matched),
            });
        }
    }
    let located = locate_default(host, path)?;
    (!domains.default_endpoint_closed(located.api_id)).then_some(located)
}

/// `host` without a `:port`.
fn strip_port(host: &str) -> &str {
    host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    })
}

/// An API's default endpoint: the `execute-api` host or the path form.
fn locate_default<'a>(host: Option<&'a str>, path: &'a str) -> Option<Located<'a>> {
    if let Some(rest) = path.strip_prefix("/restapis/") {
        let (api_id, rest) = rest.split_once('/')?;
        let (stage, rest) = rest.split_once('/')?;
        let inner = rest.strip_prefix("_user_request_")?;
        if !(inner.is_empty() || inner.starts_with('/')) {
            return None;
        }
        return nonempty(api_id, stage, inner);
    }
    let host = strip_port(host?);
    let (api_id, domain) = host.split_once('.')?;
    if !domain.starts_with("execute-api.") && domain != "execute-api" {
        return None;
    }
    if !path.starts_with('/') {
        return None;
    }
    // AWS tolerates extra slashes before the stage (`//prod/pets`).
    let rest = path.trim_start_matches('/');
    let (stage, inner) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    nonempty(api_id, stage, inner)
}

/// RFC 3986 §6.2.2 normalisation of a request path: escapes of unreserved
/// characters decoded (`%2e` is `.`, `%79` is `y`), the hex digits of every
/// other escape upper-cased, then dot segments removed (§5.2.4), so `..`,
/// `%2e%2e`, `.%2E` and `%2e.` all climb one segment and `.` or `%2e` none.
/// `%2F` and `%5C` stay escaped: data inside a segment, never separators.
/// Empty segments (`//`) are kept. Borrowed when nothing changes.
pub fn normalize(path: &str) -> Cow<'_, str> {
    let escapes = unescape_unreserved(path);
    let unescaped: &str = &escapes;
    let has_dots = unescaped
        .split('/')
        .any(|segment| segment == "." || segment == "..");
    if !has_dots {
        return match escapes {
            Cow::Borrowed(_) => Cow::Borrowed(path),
            Cow::Owned(owned) => Cow::Owned(owned),
        };
    }
    Cow::Owned(remove_dot_segments(unescaped))
}

/// Decodes `%XX` of ALPHA / DIGIT / `-` `.` `_` `~`; upper-cases the rest.
fn unescape_unreserved(path: &str) -> Cow<'_, str> {
    if !path.contains('%') {
        return Cow::Borrowed(path);
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(b) if b.is_ascii_alphanumeric() || b"-._~".contains(&b) => {
                out.push(char::from(b));
                i += 3;
            }
            Some(b) => {
                out.push_str(&format!("%{b:02X}"));
                i += 3;
            }
            None => {
                // Not an escape: copy one character as it is.
                let len = path[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&path[i..i + len]);
                i += len;
            }
        }
    }
    Cow::Owned(out)
}

/// RFC 3986 §5.2.4 on an absolute path, segment by segment: `.` goes, `..`
/// takes the segment before it (never above the root); a dot segment at the
/// end leaves a trailing `/`.
fn remove_dot_segments(path: &str) -> String {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." => {}
            ".." => {
                out.pop();
            }
            other => out.push(other),
        }
        if i == last && matches!(*segment, "." | "..") {
            out.push("");
        }
    }
    format!("/{}", out.join("/"))
}

fn nonempty<'a>(api_id: &'a str, stage: &'a str, inner: &'a str) -> Option<Located<'a>> {
    if api_id.is_empty() || stage.is_empty() {
        return None;
    }
    Some(Located {
        api_id,
        stage,
        path: if inner.is_empty() { "/" } else { inner },
        base_path: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l<'a>(api_id: &'a str, stage: &'a str, path: &'a str) -> Option<Located<'a>> {
        Some(Located {
            api_id,
            stage,
            path,
            base_path: None,
        })
    }

    static NONE: std::sync::LazyLock<DomainTable> = std::sync::LazyLock::new(DomainTable::default);

    fn locate<'a>(host: Option<&'a str>, path: &'a str) -> Option<Located<'a>> {
        super::locate(&NONE, host, path)
    }

    #[test]
    fn custom_domains_first_then_the_default_endpoint_unless_closed() {
        use crate::domains::Mapping;
        let mut t = DomainTable::default();
        t.insert(
            "api.example.test",
            vec![
                Mapping::new("v1/orders", "orders", Some("prod")),
                Mapping::new("v1", "one", None),
            ],
        );
        t.close_default_endpoint("closed");
        assert_eq!(
            super::locate(&t, Some("API.example.test:8443"), "/v1/orders/big"),
            Some(Located {
                api_id: "orders",
                stage: "prod",
                path: "/big",
                base_path: Some("v1/orders"),
            })
        );
        assert_eq!(
            super::locate(&t, Some("api.example.test"), "/v1/beta/x"),
            Some(Located {
                api_id: "one",
                stage: "beta",
                path: "/x",
                base_path: Some("v1"),
            })
        );
        assert_eq!(super::locate(&t, Some("api.example.test"), "/v2"), None);
        assert_eq!(
            super::locate(
                &t,
                Some("api.example.test"),
                "/restapis/x/prod/_user_request_/"
            ),
            None
        );
        assert_eq!(
            super::locate(&t, Some("closed.execute-api.x"), "/prod/a"),
            None
        );
        assert_eq!(
            super::locate(&t, None, "/restapis/closed/prod/_user_request_/a"),
            None
        );
        assert_eq!(
            super::locate(&t, Some("open.execute-api.x"), "/prod/a"),
            l("open", "prod", "/a")
        );
    }

    #[test]
    fn host_form() {
        assert_eq!(
            locate(Some("abc.execute-api.localhost:8080"), "/prod/pets/1"),
            l("abc", "prod", "/pets/1")
        );
        assert_eq!(
            locate(Some("abc.execute-api.us-east-1.amazonaws.com"), "/prod"),
            l("abc", "prod", "/")
        );
        assert_eq!(
            locate(Some("abc.execute-api.x"), "/prod/"),
            l("abc", "prod", "/")
        );
        assert_eq!(
            locate(Some("abc.execute-api.x"), "//prod/pets"),
            l("abc", "prod", "/pets")
        );
        assert_eq!(locate(Some("example.com"), "/prod/pets"), None);
        assert_eq!(locate(Some("abc.execute-api.x"), "/"), None);
    }

    #[test]
    fn dot_segments_in_every_encoding() {
        for (sent, resolved) in [
            ("/prod/echo/../keyed", "/prod/keyed"),
            ("/prod/echo/%2e%2e/keyed", "/prod/keyed"),
            ("/prod/echo/%2E%2e/keyed", "/prod/keyed"),
            ("/prod/echo/.%2e/keyed", "/prod/keyed"),
            ("/prod/echo/%2e./keyed", "/prod/keyed"),
            ("/prod/echo/./keyed", "/prod/echo/keyed"),
            ("/prod/echo/%2e/keyed", "/prod/echo/keyed"),
            ("/prod/echo/a/..", "/prod/echo/"),
            ("/prod/echo/a/.", "/prod/echo/a/"),
            ("/prod/../../..", "/"),
            ("/prod/echo/..%2fkeyed", "/prod/echo/..%2Fkeyed"),
            ("/prod/echo/..%2Fkeyed", "/prod/echo/..%2Fkeyed"),
            ("/prod/echo/..%5ckeyed", "/prod/echo/..%5Ckeyed"),
            ("/prod/echo/%252e%252e/keyed", "/prod/echo/%252e%252e/keyed"),
            ("/prod/ke%79ed", "/prod/keyed"),
            ("/prod/a%20b/%7e", "/prod/a%20b/~"),
            ("/prod/a//../b", "/prod/a/b"),
            ("//prod/pets", "//prod/pets"),
            ("/prod/100%", "/prod/100%"),
            ("/prod/%zz/%e2%82%ac", "/prod/%zz/%E2%82%AC"),
        ] {
            assert_eq!(normalize(sent), resolved, "{sent}");
        }
        assert!(matches!(normalize("/prod/pets/1"), Cow::Borrowed(_)));
    }

    #[test]
    fn path_form() {
        assert_eq!(
            locate(
                Some("localhost:8080"),
                "/restapis/abc/prod/_user_request_/pets"
            ),
            l("abc", "prod", "/pets")
        );
        assert_eq!(
            locate(None, "/restapis/abc/prod/_user_request_"),
            l("abc", "prod", "/")
        );
        assert_eq!(locate(None, "/restapis/abc/prod/_user_request_x"), None);
        assert_eq!(locate(None, "/restapis/abc/prod/pets"), None);
        assert_eq!(locate(None, "/restapis//prod/_user_request_/"), None);
    }
}
