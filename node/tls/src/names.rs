//! Host names as TLS compares them: normalising a domain name (lower case, no trailing
//! dot), the wildcard a server name falls under (`a.example.com` -> `*.example.com`, one
//! label only), and whether a certificate's DNS name covers a domain (RFC 6125: a `*`
//! stands for exactly one whole left-most label).

use crate::TlsError;

/// The longest host name DNS allows.
const MAX_NAME: usize = 253;

/// Lower-cases and checks a domain name (`api.example.com` or `*.example.com`).
pub fn normalize(domain: &str) -> Result<String, TlsError> {
    let lower = domain.trim_end_matches('.').to_ascii_lowercase();
    let invalid = || TlsError::InvalidDomainName(domain.to_string());
    if lower.is_empty() || lower.len() > MAX_NAME {
        return Err(invalid());
    }
    let rest = lower.strip_prefix("*.").unwrap_or(&lower);
    let labels_ok = rest.split('.').all(label_ok);
    if !labels_ok || (lower.starts_with("*.") && !rest.contains('.')) {
        return Err(invalid());
    }
    Ok(lower)
}

/// A DNS label: 1-63 of `a-z 0-9 -`, not starting or ending with `-`.
fn label_ok(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// The wildcard domain a server name falls under, if it has at least two labels after
/// the first: `a.example.com` -> `*.example.com`; `example.com` -> `*.com` is not offered
/// (a wildcard needs a registrable parent, as certificate authorities require).
pub fn wildcard_of(server_name: &str) -> Option<String> {
    let (_, parent) = server_name.split_once('.')?;
    parent.contains('.').then(|| format!("*.{parent}"))
}

/// Whether a certificate DNS name (a SAN entry) covers `domain` (already normalised).
/// `*.example.com` covers `a.example.com` and the wildcard domain `*.example.com` itself,
/// not `example.com` nor `a.b.example.com`.
pub fn covers(san: &str, domain: &str) -> bool {
    let san = san.trim_end_matches('.').to_ascii_lowercase();
    if san == domain {
        return true;
    }
    match (san.strip_prefix("*."), domain.split_once('.')) {
        (Some(parent), Some((first, rest))) => first != "*" && rest == parent,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses_bad_names() {
        assert_eq!(
            normalize("API.Example.com.").ok().as_deref(),
            Some("api.example.com")
        );
        assert_eq!(
            normalize("*.example.com").ok().as_deref(),
            Some("*.example.com")
        );
        for bad in ["", "a..b", "-a.com", "a_b.com", "*.com", "a.*.com", "*"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("*.example.com", "a.example.com"));
        assert!(covers("*.Example.com", "*.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(covers("api.example.com", "api.example.com"));
        assert!(!covers("a.example.com", "*.example.com"));
        assert_eq!(
            wildcard_of("a.example.com").as_deref(),
            Some("*.example.com")
        );
        assert_eq!(wildcard_of("example.com"), None);
    }
}
