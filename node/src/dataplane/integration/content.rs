//! Binary payloads and `contentHandling` (CONVERT_TO_TEXT,
//! CONVERT_TO_BINARY) for non-proxy integrations, following AWS's table
//! (`shared/conformance/binary_content_handling_matrix.awsdocs.json`).
//!
//! A payload is binary when its content type is one of the API's binary
//! media types. Text converted "to binary" is base64-decoded; binary
//! converted "to text" is base64-encoded.

use base64::Engine;
use bytes::Bytes;

use crate::snapshot::ContentHandling;

/// A converted payload and whether it is binary now (templates apply to
/// text only).
#[derive(Debug, PartialEq)]
pub(crate) struct Converted {
    pub body: Bytes,
    pub binary: bool,
}

/// The integration request payload for a method request payload.
pub(crate) fn request(
    body: Bytes,
    payload_is_binary: bool,
    handling: ContentHandling,
) -> Result<Converted, String> {
    match (payload_is_binary, handling) {
        (false, ContentHandling::ToBinary) => decode(&body).map(|b| Converted {
            body: b,
            binary: true,
        }),
        (true, ContentHandling::ToText) => Ok(Converted {
            body: encode(&body),
            binary: false,
        }),
        (binary, _) => Ok(Converted { body, binary }),
    }
}

/// The method response payload for an integration response payload.
pub(crate) fn response(
    body: Bytes,
    payload_is_binary: bool,
    accept_is_binary: bool,
    handling: ContentHandling,
) -> Result<Converted, String> {
    match (payload_is_binary, handling) {
        (false, ContentHandling::ToBinary) => decode(&body).map(|b| Converted {
            body: b,
            binary: true,
        }),
        (false, ContentHandling::None) if accept_is_binary => decode(&body).map(|b| Converted {
            body: b,
            binary: true,
        }),
        (false, _) => Ok(Converted {
            body,
            binary: false,
        }),
        (true, ContentHandling::ToText) => Ok(Converted {
            body: encode(&body),
            binary: false,
        }),
        (true, ContentHandling::None) if !accept_is_binary => Ok(Converted {
            body: encode(&body),
            binary: false,
        }),
        (true, _) => Ok(Converted { body, binary: true }),
    }
}

fn decode(body: &[u8]) -> Result<Bytes, String> {
    let text: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&text)
        .map(Bytes::from)
        .map_err(|e| format!("CONVERT_TO_BINARY: the payload is not base64: {e}"))
}

fn encode(body: &[u8]) -> Bytes {
    Bytes::from(base64::engine::general_purpose::STANDARD.encode(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] = b"aGVsbG8="; // "hello", base64: text that decodes
    const BINARY: &[u8] = &[0xff, 0x00, 0x10];

    fn handling(name: &str) -> ContentHandling {
        match name {
            "CONVERT_TO_BINARY" => ContentHandling::ToBinary,
            "CONVERT_TO_TEXT" => ContentHandling::ToText,
            _ => ContentHandling::None,
        }
    }

    /// What a row's expected payload means for our inputs.
    fn expected(outcome: &str, input: &[u8]) -> Vec<u8> {
        match outcome {
            "Base64-decoded binary blob" | "Base64-decoded blob" => {
                base64::engine::general_purpose::STANDARD
                    .decode(input)
                    .expect("decodes")
            }
            "Base64-encoded string" => base64::engine::general_purpose::STANDARD
                .encode(input)
                .into_bytes(),
            _ => input.to_vec(),
        }
    }

    #[test]
    fn every_case_of_the_aws_table() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/binary_content_handling_matrix.awsdocs.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("conformance data not beside the checkout; skipping");
            return;
        };
        let table: serde_json::Value = serde_json::from_str(&text).expect("json");
        let field =
            |row: &serde_json::Value, key: &str| row[key].as_str().unwrap_or_default().to_string();
        let requests = table["request_cases"].as_array().expect("request cases");
        for row in requests {
            let binary = field(row, "Method request payload") == "Binary data";
            let input = if binary { BINARY } else { TEXT };
            let out = request(
                Bytes::from_static(input),
                binary,
                handling(&field(row, "contentHandling")),
            )
            .expect("converts");
            assert_eq!(
                out.body.to_vec(),
                expected(&field(row, "Integration request payload"), input),
                "{row}"
            );
        }
        let responses = table["response_cases"].as_array().expect("response cases");
        assert_eq!(responses.len(), 15);
        for row in responses {
            let binary = field(row, "Integration response payload") == "Binary data";
            let types_set = field(row, "binaryMediaTypes") != "Undefined";
            let accept_binary = types_set && field(row, "Request Accept header") == "A binary type";
            let input = if binary { BINARY } else { TEXT };
            let out = response(
                Bytes::from_static(input),
                binary,
                accept_binary,
                handling(&field(row, "contentHandling")),
            )
            .expect("converts");
            assert_eq!(
                out.body.to_vec(),
                expected(&field(row, "Method response payload"), input),
                "{row}"
            );
        }
    }

    #[test]
    fn text_that_is_not_base64_cannot_become_binary() {
        assert!(request(
            Bytes::from_static(b"not base64!"),
            false,
            ContentHandling::ToBinary
        )
        .is_err());
    }
}
