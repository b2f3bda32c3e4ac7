//! Private key material that never shows itself: [`PrivateKeyPem`] holds the PEM text a
//! caller hands in (CreateDomainName's `certificatePrivateKey`) and prints as `<redacted>`
//! in `Debug`, so a `{:?}` of any struct that holds one — a request, a store entry, an
//! error — cannot leak it into a log. It has no `Display` and no accessor that returns the
//! text as a `String`; the only way out is [`PrivateKeyPem::expose`], which parsers call.

use std::fmt;

/// The PEM text of a private key. `Debug` prints `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(String);

impl PrivateKeyPem {
    /// Wraps key text; nothing is parsed yet (the store parses and checks it on insert).
    pub fn new(pem: impl Into<String>) -> Self {
        Self(pem.into())
    }

    /// The key text, for the one parser that needs it. Do not format or log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for PrivateKeyPem {
    fn from(pem: String) -> Self {
        Self(pem)
    }
}

impl From<&str> for PrivateKeyPem {
    fn from(pem: &str) -> Self {
        Self(pem.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let key = PrivateKeyPem::new("-----BEGIN PRIVATE KEY-----\nSECRETBYTES\n");
        assert_eq!(format!("{key:?}"), "<redacted>");
        assert_eq!(format!("{key:#?}"), "<redacted>");
        assert!(key.expose().contains("SECRETBYTES"));
    }
}
