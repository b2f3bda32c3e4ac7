//! URL and form encoding as API Gateway applies it, in one place:
//! `$util.urlEncode`/`urlDecode`, and the data plane's query strings and
//! path parameters.

/// Java's `URLEncoder.encode(s, "UTF-8")`: space as `+`, `*-._` kept.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b' ' => out.push('+'),
            b if safe(b) => out.push(b as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The length of [`encode`]'s result, known before it is built.
pub fn encoded_len(s: &str) -> usize {
    s.bytes().map(|b| if safe(b) { 1 } else { 3 }).sum()
}

/// Bytes `encode` writes as one byte (a space becomes `+`).
fn safe(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' | b' ')
}

/// Decodes a form-encoded component (`+` is a space, then `%XX`).
pub fn decode_form_component(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Percent-decodes a raw path parameter value (`+` stays a `+`).
pub fn decode_path_component(raw: &str) -> String {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

/// Splits and decodes a query string (`+` is a space, as browsers send it).
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_form_component(k), decode_form_component(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_javas() {
        assert_eq!(encode("a b&c=d/é*"), "a+b%26c%3Dd%2F%C3%A9*");
        assert_eq!(encoded_len("a b&c=d/é*"), encode("a b&c=d/é*").len());
    }

    #[test]
    fn decoding() {
        assert_eq!(decode_form_component("a+b%26c"), "a b&c");
        assert_eq!(decode_path_component("a+b%20c"), "a+b c");
        assert_eq!(
            parse_query("a=1&b=x+y&c=%2F&d&a=2"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "/".into()),
                ("d".into(), "".into()),
                ("a".into(), "2".into())
            ]
        );
    }
}
