//! The decoding transformations: URL (and `%u`), HTML entities, JavaScript,
//! CSS and C escape sequences, base64, hex and SQL hex. Invalid encodings
//! stay in the output as they were (AWS: "Encodings that aren't valid remain
//! in the output").

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex_at(input: &[u8], at: usize, n: usize) -> Option<u32> {
    let digits = input.get(at..at + n)?;
    digits
        .iter()
        .try_fold(0u32, |acc, b| hex_val(*b).map(|v| acc * 16 + u32::from(v)))
}

/// The byte a 16-bit `%u`/`\u` code becomes: full-width ASCII (FF01-FF5E)
/// maps back to ASCII ("the higher byte is used to detect and adjust the
/// lower byte"); anything else keeps only its low byte.
fn narrow(code: u32) -> u8 {
    if (0xFF01..=0xFF5E).contains(&code) {
        ((code & 0xFF) as u8).wrapping_add(0x20)
    } else {
        (code & 0xFF) as u8
    }
}

fn push_char(out: &mut Vec<u8>, code: u32) {
    match char::from_u32(code) {
        Some(c) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        None => out.push((code & 0xFF) as u8),
    }
}

/// URL_DECODE (and URL_DECODE_UNI with `unicode`): `%HH` to the byte, `+`
/// to a space; with `unicode`, `%uHHHH` through [`narrow`].
pub fn url_decode(input: &[u8], unicode: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%' {
            if unicode && matches!(input.get(i + 1), Some(b'u' | b'U')) {
                if let Some(code) = hex_at(input, i + 2, 4) {
                    out.push(narrow(code));
                    i += 6;
                    continue;
                }
            }
            if let Some(v) = hex_at(input, i + 1, 2) {
                out.push(v as u8);
                i += 3;
                continue;
            }
        }
        out.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    out
}

const NAMED_ENTITIES: &[(&[u8], &[u8])] = &[
    (b"quot", b"\""),
    (b"amp", b"&"),
    (b"lt", b"<"),
    (b"gt", b">"),
    (b"apos", b"'"),
    (b"nbsp", "\u{a0}".as_bytes()),
];

/// HTML_ENTITY_DECODE: `&quot;` `&amp;` `&lt;` `&gt;` `&apos;` `&nbsp;` and
/// numeric `&#nnnn;` / `&#xhhhh;` (the `;` may be missing, as browsers
/// accept). Numeric references become the code point in UTF-8.
pub fn html_entity_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'&' {
            if let Some((code, len)) = numeric_entity(&input[i..]) {
                push_char(&mut out, code);
                i += len;
                continue;
            }
            if let Some((rep, len)) = named_entity(&input[i + 1..]) {
                out.extend_from_slice(rep);
                i += 1 + len;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

fn named_entity(rest: &[u8]) -> Option<(&'static [u8], usize)> {
    NAMED_ENTITIES.iter().find_map(|(name, rep)| {
        let n = name.len();
        let matches = rest.len() > n && rest[..n].eq_ignore_ascii_case(name) && rest[n] == b';';
        matches.then_some((*rep, n + 1))
    })
}

fn numeric_entity(s: &[u8]) -> Option<(u32, usize)> {
    if s.get(1) != Some(&b'#') {
        return None;
    }
    let hex = matches!(s.get(2), Some(b'x' | b'X'));
    let start = if hex { 3 } else { 2 };
    let mut end = start;
    let mut code: u32 = 0;
    while let Some(&b) = s.get(end) {
        let digit = if hex {
            hex_val(b).map(u32::from)
        } else {
            b.is_ascii_digit().then(|| u32::from(b - b'0'))
        };
        let Some(d) = digit else { break };
        code = code
            .saturating_mul(if hex { 16 } else { 10 })
            .saturating_add(d);
        end += 1;
        if end - start > 8 {
            break;
        }
    }
    if end == start {
        return None;
    }
    if s.get(end) == Some(&b';') {
        end += 1;
    }
    Some((code.min(0x10FFFF), end))
}

/// JS_DECODE: `\uHHHH` (through [`narrow`]), `\xHH`, octal `\OOO`, the C
/// escapes `\a \b \f \n \r \t \v`, and `\` before any other character
/// yields that character. JS_DECODE_EXT (`ext`) keeps `\uHHHH` and
/// `\u{H...}` as the full code point in UTF-8 instead of narrowing it.
pub fn js_decode(input: &[u8], ext: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'\\' || i + 1 >= input.len() {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let next = input[i + 1];
        if next == b'u' {
            if ext && input.get(i + 2) == Some(&b'{') {
                if let Some(close) = input[i + 3..].iter().take(7).position(|b| *b == b'}') {
                    if let Some(code) = hex_at(input, i + 3, close) {
                        push_char(&mut out, code);
                        i += 4 + close;
                        continue;
                    }
                }
            }
            if let Some(code) = hex_at(input, i + 2, 4) {
                if ext {
                    push_char(&mut out, code);
                } else {
                    out.push(narrow(code));
                }
                i += 6;
                continue;
            }
        }
        if next == b'x' {
            if let Some(v) = hex_at(input, i + 2, 2) {
                out.push(v as u8);
                i += 4;
                continue;
            }
        }
        if let Some((v, len)) = octal(&input[i + 1..]) {
            out.push(v);
            i += 1 + len;
            continue;
        }
        out.push(c_escape(next).unwrap_or(next));
        i += 2;
    }
    out
}

fn c_escape(b: u8) -> Option<u8> {
    Some(match b {
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 0x0b,
        _ => return None,
    })
}

/// Up to three octal digits whose value fits a byte.
fn octal(s: &[u8]) -> Option<(u8, usize)> {
    let mut v: u32 = 0;
    let mut n = 0;
    while n < 3 {
        match s.get(n) {
            Some(b @ b'0'..=b'7') if v * 8 + u32::from(b - b'0') <= 0xFF => {
                v = v * 8 + u32::from(b - b'0');
                n += 1;
            }
            _ => break,
        }
    }
    (n > 0).then_some((v as u8, n))
}

/// ESCAPE_SEQ_DECODE: `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH` and
/// `\0OOO` / `\OOO` octal. Anything else stays as it was.
pub fn escape_seq_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'\\' || i + 1 >= input.len() {
            out.push(input[i]);
            i += 1;
            continue;
        }
        let next = input[i + 1];
        if let Some(v) = c_escape(next) {
            out.push(v);
            i += 2;
        } else if matches!(next, b'\\' | b'?' | b'\'' | b'"') {
            out.push(next);
            i += 2;
        } else if let (b'x', Some(v)) = (next, hex_at(input, i + 2, 2)) {
            out.push(v as u8);
            i += 4;
        } else if next == b'0' {
            // `\0OOO`: a zero, then up to three octal digits (`\0` alone is NUL).
            match octal(&input[i + 2..]) {
                Some((v, len)) => {
                    out.push(v);
                    i += 2 + len;
                }
                None => {
                    out.push(0);
                    i += 2;
                }
            }
        } else if let Some((v, len)) = octal(&input[i + 1..]) {
            out.push(v);
            i += 1 + len;
        } else {
            out.push(b'\\');
            i += 1;
        }
    }
    out
}

/// CSS_DECODE (CSS 2.x escapes): `\` and 1-6 hex digits (one following
/// whitespace is eaten) becomes a byte using at most the last two bytes of
/// the value, with full-width ASCII narrowed; `\` and a newline is removed;
/// `\` before any other character is dropped (`ja\vascript` -> `javascript`).
pub fn css_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'\\' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        if i + 1 >= input.len() {
            i += 1;
            continue;
        }
        let n = input[i + 1..]
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if n > 0 {
            let code = hex_at(input, i + 1, n).unwrap_or(0) & 0xFFFF;
            out.push(narrow(code));
            i += 1 + n;
            if input.get(i).is_some_and(|b| super::is_ws(*b)) {
                i += 1;
            }
        } else if input[i + 1] == b'\n' {
            i += 2;
        } else {
            out.push(input[i + 1]);
            i += 2;
        }
    }
    out
}

fn b64_val(b: u8, ext: bool) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        b'-' if ext => Some(62),
        b'_' if ext => Some(63),
        _ => None,
    }
}

fn b64_decode_values(vals: impl Iterator<Item = u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in vals {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// BASE64_DECODE: standard alphabet, padding optional. Input that is not
/// base64 (an invalid character, a length of 4n+1) is left unchanged.
pub fn base64_decode(input: &[u8]) -> Vec<u8> {
    let body = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    let vals: Option<Vec<u8>> = body.iter().map(|b| b64_val(*b, false)).collect();
    match vals {
        Some(v) if v.len() % 4 != 1 => b64_decode_values(v.into_iter()),
        _ => input.to_vec(),
    }
}

/// BASE64_DECODE_EXT: "a forgiving implementation that ignores characters
/// that aren't valid": every non-alphabet byte (whitespace, `.`, `=`...) is
/// skipped; both the standard and the URL-safe alphabets are read.
pub fn base64_decode_ext(input: &[u8]) -> Vec<u8> {
    b64_decode_values(input.iter().filter_map(|b| b64_val(*b, true)))
}

/// HEX_DECODE: each pair of hex digits becomes a byte; a byte that is not
/// part of a hex pair is kept as it was.
pub fn hex_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 2 + 1);
    let mut i = 0;
    while i < input.len() {
        match hex_at(input, i, 2) {
            Some(v) => {
                out.push(v as u8);
                i += 2;
            }
            None => {
                out.push(input[i]);
                i += 1;
            }
        }
    }
    out
}

/// SQL_HEX_DECODE: `0x` followed by hex pairs becomes those bytes
/// (`0x414243` -> `ABC`); other text is kept.
pub fn sql_hex_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let is_prefix = input[i] == b'0' && matches!(input.get(i + 1), Some(b'x' | b'X'));
        if is_prefix && hex_at(input, i + 2, 2).is_some() {
            let mut j = i + 2;
            while let Some(v) = hex_at(input, j, 2) {
                out.push(v as u8);
                j += 2;
            }
            i = j;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    out
}
