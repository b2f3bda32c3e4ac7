//! The request components a statement inspects (`FieldToMatch` and its
//! members) and the text transformations applied to them, as botocore's
//! `wafv2` model spells them.

use super::lenient;
use serde::{Deserialize, Serialize};

/// An empty JSON object (`{}`), used by members whose presence is the value
/// (`"UriPath": {}`, `"All": {}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// `FieldToMatch`: exactly one member is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FieldToMatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_header: Option<SingleHeader>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub single_query_argument: Option<SingleQueryArgument>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_query_arguments: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_path: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_string: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_body: Option<JsonBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Headers>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookies: Option<Cookies>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_order: Option<HeaderOrder>,
    #[serde(rename = "JA3Fingerprint", skip_serializing_if = "Option::is_none")]
    pub ja3_fingerprint: Option<Fingerprint>,
    #[serde(rename = "JA4Fingerprint", skip_serializing_if = "Option::is_none")]
    pub ja4_fingerprint: Option<Fingerprint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_fragment: Option<UriFragment>,
}

/// `SingleHeader`: one header by name (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SingleHeader {
    pub name: String,
}

/// `SingleQueryArgument`: one query argument by name (case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SingleQueryArgument {
    pub name: String,
}

/// `OversizeHandling`: what to do when a component exceeds what WAF inspects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OversizeHandling {
    #[default]
    Continue,
    Match,
    NoMatch,
}

/// `Body`: the request body as plain bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oversize_handling: Option<OversizeHandling>,
}

/// `JsonMatchPattern`: all of the JSON, or the elements at JSON Pointers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JsonMatchPattern {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_paths: Option<Vec<String>>,
}

/// `JsonMatchScope` / `MapMatchScope`: keys, values or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchScope {
    All,
    Key,
    Value,
}

/// `BodyParsingFallbackBehavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BodyParsingFallbackBehavior {
    Match,
    NoMatch,
    EvaluateAsString,
}

/// `JsonBody`: the body parsed as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JsonBody {
    pub match_pattern: JsonMatchPattern,
    pub match_scope: MatchScope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_fallback_behavior: Option<BodyParsingFallbackBehavior>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oversize_handling: Option<OversizeHandling>,
}

/// `HeaderMatchPattern`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HeaderMatchPattern {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_headers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_headers: Option<Vec<String>>,
}

/// `Headers`: all headers, filtered by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Headers {
    pub match_pattern: HeaderMatchPattern,
    pub match_scope: MatchScope,
    pub oversize_handling: OversizeHandling,
}

/// `CookieMatchPattern`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CookieMatchPattern {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<Empty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub included_cookies: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_cookies: Option<Vec<String>>,
}

/// `Cookies`: all cookies, filtered by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cookies {
    pub match_pattern: CookieMatchPattern,
    pub match_scope: MatchScope,
    pub oversize_handling: OversizeHandling,
}

/// `HeaderOrder`: the header names joined with `:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HeaderOrder {
    pub oversize_handling: OversizeHandling,
}

/// `FallbackBehavior`: the match result when the component is missing or malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FallbackBehavior {
    Match,
    NoMatch,
}

/// `JA3Fingerprint` / `JA4Fingerprint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Fingerprint {
    pub fallback_behavior: FallbackBehavior,
}

/// `UriFragment`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UriFragment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_behavior: Option<FallbackBehavior>,
}

/// `TextTransformation`: one step, applied in ascending `Priority`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TextTransformation {
    #[serde(deserialize_with = "lenient::i64")]
    pub priority: i64,
    #[serde(rename = "Type")]
    pub kind: TextTransformationType,
}

/// `TextTransformationType`: the 21 values botocore's model lists plus the
/// ten newer ones the current API reference lists.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TextTransformationType {
    None,
    CompressWhiteSpace,
    HtmlEntityDecode,
    Lowercase,
    CmdLine,
    UrlDecode,
    Base64Decode,
    HexDecode,
    #[serde(rename = "MD5")]
    Md5,
    ReplaceComments,
    EscapeSeqDecode,
    SqlHexDecode,
    CssDecode,
    JsDecode,
    NormalizePath,
    NormalizePathWin,
    RemoveNulls,
    ReplaceNulls,
    #[serde(rename = "BASE64_DECODE_EXT")]
    Base64DecodeExt,
    UrlDecodeUni,
    #[serde(rename = "UTF8_TO_UNICODE")]
    Utf8ToUnicode,
    RemoveWhitespace,
    Trim,
    TrimLeft,
    TrimRight,
    RemoveCommentsChar,
    Uppercase,
    CmdLineWin,
    CmdLineUnix,
    JsDecodeExt,
    #[serde(rename = "SHA256")]
    Sha256,
}
