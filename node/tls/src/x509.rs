//! Reading certificate fields the way AWS reports them: distinguished names as RFC 4514
//! strings (`CN=client,O=Example,C=US`, most specific first), serial numbers as colon-
//! separated lower-case hex (`a1:b2:...`), dates as OpenSSL prints them (`May 28 12:30:02
//! 2019 GMT`, day padded with a space), certificates as PEM; and the DNS names of a
//! certificate's subject alternative names. Built on x509-parser.

use base64::Engine as _;
use time::macros::format_description;
use x509_parser::asn1_rs::Tag;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{X509Certificate, X509Name};
use x509_parser::time::ASN1Time;
use x509_parser::x509::AttributeTypeAndValue;

/// Parses one DER certificate, refusing trailing bytes.
pub fn parse(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err("trailing data after the certificate".to_string()),
        Err(e) => Err(format!("not an X.509 certificate ({e})")),
    }
}

/// A name as RFC 4514 writes it: RDNs in reverse order of the encoding, comma-separated,
/// multi-valued RDNs joined by `+`, known attribute types by their short names.
pub fn dn_string(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(attribute_string)
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

/// `TYPE=value` for one attribute.
fn attribute_string(attr: &AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type().to_id_string();
    let value = match string_value(attr) {
        Some(text) => escape_value(&text),
        None => hex_value(attr),
    };
    match short_name(&oid) {
        Some(short) => format!("{short}={value}"),
        None => format!("{oid}={value}"),
    }
}

/// RFC 4514's short names for the attribute types it lists (plus `emailAddress`, as
/// OpenSSL and Java print it).
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

/// The attribute's text, for the string types certificates use.
fn string_value(attr: &AttributeTypeAndValue<'_>) -> Option<String> {
    let any = attr.attr_value();
    match any.tag() {
        Tag::BmpString => {
            let units: Vec<u16> = any
                .data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::TeletexString | Tag::VisibleString => {
            Some(any.data.iter().map(|b| char::from(*b)).collect())
        }
        _ => attr.as_str().ok().map(str::to_string),
    }
}

/// RFC 4514 section 2.4 escaping.
fn escape_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if c == '\0' {
            out.push_str("\\00");
            continue;
        }
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `#` and the hex of the value's DER encoding, for values that are not strings.
fn hex_value(attr: &AttributeTypeAndValue<'_>) -> String {
    let any = attr.attr_value();
    let data = any.data;
    let mut der = vec![u8::try_from(any.tag().0).unwrap_or(0x04)];
    match u8::try_from(data.len()) {
        Ok(n) if n < 0x80 => der.push(n),
        _ => {
            let len = data.len().to_be_bytes();
            let skip = len.iter().take_while(|b| **b == 0).count();
            der.push(0x80 | u8::try_from(len.len() - skip).unwrap_or(0));
            der.extend_from_slice(&len[skip..]);
        }
    }
    der.extend_from_slice(data);
    format!("#{}", hex(&der, ""))
}

/// Hex of bytes, lower case, with a separator between bytes.
fn hex(bytes: &[u8], sep: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// The serial number as AWS shows it: `a1:a1:...`, without DER's leading sign byte.
pub fn serial_string(cert: &X509Certificate<'_>) -> String {
    let raw = cert.raw_serial();
    let raw = match raw {
        [0, next, ..] if *next >= 0x80 => &raw[1..],
        _ => raw,
    };
    hex(raw, ":")
}

/// A time as OpenSSL's `ASN1_TIME_print` writes it, which is AWS's format for
/// `validity.notBefore` / `notAfter`: `Aug  5 09:36:04 2021 GMT`.
pub fn openssl_time(t: ASN1Time) -> String {
    let fmt = format_description!(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
    );
    t.to_datetime()
        .to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_else(|_| t.timestamp().to_string())
}

/// A DER certificate as PEM (64-character base64 lines).
pub fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The DNS names among the certificate's subject alternative names.
pub fn dns_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_rfc4514() {
        assert_eq!(escape_value("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape_value(" lead and trail "), "\\ lead and trail\\ ");
        assert_eq!(escape_value("#x"), "\\#x");
        assert_eq!(escape_value("plain"), "plain");
    }

    #[test]
    fn formats_time_like_openssl() {
        let t = ASN1Time::from_timestamp(1_628_156_164).ok();
        assert_eq!(
            t.map(openssl_time).as_deref(),
            Some("Aug  5 09:36:04 2021 GMT")
        );
        let t = ASN1Time::from_timestamp(1_559_046_602).ok();
        assert_eq!(
            t.map(openssl_time).as_deref(),
            Some("May 28 12:30:02 2019 GMT")
        );
    }
}
