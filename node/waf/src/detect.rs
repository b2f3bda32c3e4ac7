//! SQL injection and XSS detection for `SqliMatchStatement` and
//! `XssMatchStatement`: the tokenizer-and-fingerprint detectors of
//! libinjection, through `libinjectionrs` (a pure-Rust port, BSD-3-Clause,
//! which passes the C library's token, folding and HTML5 test files). LOW
//! sensitivity is libinjection's verdict; HIGH adds the patterns in
//! [`HIGH_PATTERNS`], which catch blind and stacked injections libinjection
//! lets through when they stand alone.

use regex::bytes::RegexSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

/// Patterns HIGH sensitivity adds to libinjection's verdict (case-insensitive).
pub const HIGH_PATTERNS: &[&str] = &[
    r"(?i)\b(?:sleep|benchmark|pg_sleep|randomblob)\s*\(",
    r"(?i)\bwaitfor\s+(?:delay|time)\b",
    r"(?i)\bunion\b(?:\s|/\*.*?\*/)+(?:all\s+|distinct\s+)?select\b",
    r"(?i)\b(?:information_schema|sysobjects|syscolumns|pg_catalog|sqlite_master|mysql\.user)\b",
    r"(?i)\b(?:load_file|extractvalue|updatexml)\s*\(",
    r"(?i)\binto\s+(?:out|dump)file\b",
    r"(?i)\bxp_cmdshell\b",
    r"(?i);\s*(?:drop|truncate|shutdown|exec|declare|alter)\s",
    r#"(?i)['"`)]\s*(?:or|and|xor|\|\||&&)\s*\(?\s*['"\d]"#,
    r#"(?i)['"`]\s*(?:--|#|/\*)"#,
];

fn high() -> Option<&'static RegexSet> {
    static SET: OnceLock<Option<RegexSet>> = OnceLock::new();
    SET.get_or_init(|| RegexSet::new(HIGH_PATTERNS).ok())
        .as_ref()
}

/// Whether `input` looks like SQL injection. A panic inside the detector
/// (never seen, but the port indexes slices) counts as a detection: fail
/// closed.
pub fn sqli(input: &[u8], high_sensitivity: bool) -> bool {
    if input.is_empty() {
        return false;
    }
    let lib = catch_unwind(AssertUnwindSafe(|| {
        libinjectionrs::detect_sqli(input).is_injection()
    }))
    .unwrap_or(true);
    lib || (high_sensitivity && high().is_some_and(|s| s.is_match(input)))
}

/// Whether `input` looks like cross-site scripting (libinjection's HTML5
/// tokenizer in every quoting context). Fails closed like [`sqli`].
pub fn xss(input: &[u8]) -> bool {
    if input.is_empty() {
        return false;
    }
    catch_unwind(AssertUnwindSafe(|| {
        libinjectionrs::detect_xss(input).is_injection()
    }))
    .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_and_passes() {
        assert!(sqli(b"1' OR '1'='1", false));
        assert!(sqli(b"1 union select password from users", false));
        assert!(!sqli(b"select a plan", false));
        assert!(!sqli(b"O'Brien", false));
        assert!(sqli(b"1;waitfor delay '0:0:5'", true));
        assert!(xss(b"<script>alert(1)</script>"));
        assert!(xss(b"<img src=x onerror=alert(1)>"));
        assert!(!xss(b"it's **bold** and <b>fine</b>"));
        assert!(high().is_some());
    }
}
