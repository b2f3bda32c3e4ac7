//! Identifiers in AWS's shapes: API ids, deployment ids, request ids.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn random_text(len: usize) -> String {
    (0..len)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A fresh REST API id: ten lowercase letters and digits (`a1b2c3d4e5`).
pub fn new_api_id() -> String {
    random_text(10)
}

/// A fresh deployment id: six lowercase letters and digits.
pub fn new_deployment_id() -> String {
    random_text(6)
}

/// A stable API id derived from a name, so an API declared in a config file
/// keeps its URL across restarts without the user picking an id.
pub fn api_id_for_name(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    digest
        .iter()
        .take(10)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// A stable resource id for a path of an API (AWS gives resources ids like
/// `abc123`; ours are derived so they survive re-imports).
pub fn resource_id(api_id: &str, path: &str) -> String {
    let mut id = api_id_for_name(&format!("{api_id}{path}"));
    id.truncate(6);
    id
}

/// Whether `id` has the shape of an API id we accept in URLs and config.
pub fn is_valid_api_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A request id in UUID v4 form, as `x-amzn-RequestId` carries it.
pub fn new_request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0x0f)] as char);
    }
    out
}

/// An extended request id as `x-amz-apigw-id` carries it (`Fsb3vHOmIAMEVhw=`).
pub fn new_extended_request_id() -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out: String = (0..15)
        .map(|_| B64[rand::random_range(0..64)] as char)
        .collect();
    out.push('=');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(new_api_id().len(), 10);
        assert!(is_valid_api_id(&new_api_id()));
        assert_eq!(new_deployment_id().len(), 6);
        let rid = new_request_id();
        assert_eq!(rid.len(), 36);
        assert_eq!(&rid[14..15], "4");
        assert_eq!(
            [&rid[8..9], &rid[13..14], &rid[18..19], &rid[23..24]],
            ["-"; 4]
        );
        assert!(rid.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(new_extended_request_id().len(), 16);
        assert_eq!(api_id_for_name("hello"), api_id_for_name("hello"));
        assert_ne!(api_id_for_name("hello"), api_id_for_name("world"));
        assert!(!is_valid_api_id("a/b"));
    }
}
