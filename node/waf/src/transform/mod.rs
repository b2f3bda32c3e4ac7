//! Text transformations: the `TextTransformationType` values, applied in
//! ascending `Priority` to the bytes of a request component before it is
//! inspected. Semantics follow the AWS WAF developer guide's "Text
//! transformation options" (which mirror ModSecurity's `t:` functions of
//! the same names); where the guide is silent the choice is written beside
//! the function. Every transformation is a pure function of its input, runs
//! in linear time and grows its input by at most a small constant factor.

mod decode;
mod normalize;

use crate::model::{TextTransformation, TextTransformationType as T};
use std::borrow::Cow;

pub use decode::*;
pub use normalize::*;

/// Sorts transformations by priority (the order AWS applies them).
pub fn ordered(list: &[TextTransformation]) -> Vec<T> {
    let mut v: Vec<(i64, T)> = list.iter().map(|t| (t.priority, t.kind)).collect();
    v.sort_by_key(|(p, _)| *p);
    v.into_iter()
        .map(|(_, k)| k)
        .filter(|k| *k != T::None)
        .collect()
}

/// Applies one transformation.
pub fn apply_one(kind: T, input: &[u8]) -> Vec<u8> {
    match kind {
        T::None => input.to_vec(),
        T::CompressWhiteSpace => compress_white_space(input),
        T::HtmlEntityDecode => html_entity_decode(input),
        T::Lowercase => input.to_ascii_lowercase(),
        T::Uppercase => input.to_ascii_uppercase(),
        T::CmdLine => cmd_line(input, CmdFlavour::Generic),
        T::CmdLineWin => cmd_line(input, CmdFlavour::Windows),
        T::CmdLineUnix => cmd_line(input, CmdFlavour::Unix),
        T::UrlDecode => url_decode(input, false),
        T::UrlDecodeUni => url_decode(input, true),
        T::Base64Decode => base64_decode(input),
        T::Base64DecodeExt => base64_decode_ext(input),
        T::HexDecode => hex_decode(input),
        T::Md5 => md5(input),
        T::Sha256 => sha256(input),
        T::ReplaceComments => replace_comments(input),
        T::RemoveCommentsChar => remove_comments_char(input),
        T::EscapeSeqDecode => escape_seq_decode(input),
        T::SqlHexDecode => sql_hex_decode(input),
        T::CssDecode => css_decode(input),
        T::JsDecode => js_decode(input, false),
        T::JsDecodeExt => js_decode(input, true),
        T::NormalizePath => normalize_path(input, false),
        T::NormalizePathWin => normalize_path(input, true),
        T::RemoveNulls => input.iter().copied().filter(|b| *b != 0).collect(),
        T::ReplaceNulls => input
            .iter()
            .map(|b| if *b == 0 { b' ' } else { *b })
            .collect(),
        T::Utf8ToUnicode => utf8_to_unicode(input),
        T::RemoveWhitespace => remove_whitespace(input),
        T::Trim => trim(input, true, true),
        T::TrimLeft => trim(input, true, false),
        T::TrimRight => trim(input, false, true),
    }
}

/// Applies an ordered chain (from [`ordered`]); borrows when the chain is empty.
pub fn apply<'a>(chain: &[T], input: &'a [u8]) -> Cow<'a, [u8]> {
    let mut out: Cow<'a, [u8]> = Cow::Borrowed(input);
    for kind in chain {
        out = Cow::Owned(apply_one(*kind, &out));
    }
    out
}

/// The whitespace set COMPRESS_WHITE_SPACE and friends use: space, `\t`,
/// `\n`, `\v`, `\f`, `\r` (the non-breaking space is handled by the callers,
/// as the byte 0xA0 and as its UTF-8 form C2 A0).
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// MD5 of the input, as raw binary (AWS: "The computed hash is in a raw
/// binary form").
pub fn md5(input: &[u8]) -> Vec<u8> {
    use md5::{Digest, Md5};
    Md5::digest(input).to_vec()
}

/// SHA-256 of the input, as raw binary like MD5.
pub fn sha256(input: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(input).to_vec()
}
