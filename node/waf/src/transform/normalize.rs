//! The normalizing transformations: white space, command lines, comments,
//! paths, trimming and UTF-8 to `%u` notation.

use super::is_ws;

/// Visits the input with the non-breaking space (byte 0xA0, or its UTF-8
/// form C2 A0) reported as `None`, every other byte as `Some(b)`.
fn bytes_nbsp(input: &[u8]) -> impl Iterator<Item = Option<u8>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *input.get(i)?;
        if b == 0xC2 && input.get(i + 1) == Some(&0xA0) {
            i += 2;
            return Some(None);
        }
        i += 1;
        Some(if b == 0xA0 { None } else { Some(b) })
    })
}

/// COMPRESS_WHITE_SPACE: `\f \t \n \r \v` and the non-breaking space become
/// a space, and runs of spaces become one space.
pub fn compress_white_space(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    for b in bytes_nbsp(input) {
        match b {
            Some(c) if !is_ws(c) => out.push(c),
            _ => {
                if out.last() != Some(&b' ') {
                    out.push(b' ');
                }
            }
        }
    }
    out
}

/// REMOVE_WHITESPACE: drops every white-space byte (as above) entirely.
pub fn remove_whitespace(input: &[u8]) -> Vec<u8> {
    bytes_nbsp(input).flatten().filter(|b| !is_ws(*b)).collect()
}

/// TRIM, TRIM_LEFT, TRIM_RIGHT: white space off either or both ends.
pub fn trim(input: &[u8], left: bool, right: bool) -> Vec<u8> {
    let mut s = input;
    while left && s.first().is_some_and(|b| is_ws(*b)) {
        s = &s[1..];
    }
    while right && s.last().is_some_and(|b| is_ws(*b)) {
        s = &s[..s.len() - 1];
    }
    s.to_vec()
}

/// The command-line flavour of CMD_LINE, CMD_LINE_WIN and CMD_LINE_UNIX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmdFlavour {
    /// CMD_LINE as documented.
    Generic,
    /// CMD_LINE_WIN: also treats `=` as a separator (cmd.exe does) and
    /// deletes `%` pairs around nothing (`%%`), an evasion cmd ignores.
    Windows,
    /// CMD_LINE_UNIX: also turns `$IFS` / `${IFS}` into a space and deletes
    /// `$@` and backslash-newline, evasions a POSIX shell ignores.
    Unix,
}

/// CMD_LINE: delete `\ " ' ^`; delete spaces before `/` and `(`; replace
/// `,` and `;` with a space; compress runs of spaces (white space counts);
/// lowercase A-Z.
pub fn cmd_line(input: &[u8], flavour: CmdFlavour) -> Vec<u8> {
    let pre = match flavour {
        CmdFlavour::Generic => input.to_vec(),
        CmdFlavour::Windows => replace_all(input, b"%%", b""),
        CmdFlavour::Unix => {
            let s = replace_all(input, b"\\\n", b"");
            let s = replace_all(&s, b"${IFS}", b" ");
            let s = replace_all(&s, b"$IFS", b" ");
            replace_all(&s, b"$@", b"")
        }
    };
    let mut out = Vec::with_capacity(pre.len());
    for &b in &pre {
        let sep =
            matches!(b, b',' | b';') || is_ws(b) || (flavour == CmdFlavour::Windows && b == b'=');
        match b {
            b'\\' | b'"' | b'\'' | b'^' => {}
            _ if sep => {
                if out.last() != Some(&b' ') {
                    out.push(b' ');
                }
            }
            b'/' | b'(' => {
                while out.last() == Some(&b' ') {
                    out.pop();
                }
                out.push(b);
            }
            _ => out.push(b.to_ascii_lowercase()),
        }
    }
    out
}

fn replace_all(input: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

/// REPLACE_COMMENTS: each C-style comment `/* ... */` becomes one space (an
/// unterminated one too); consecutive comments are not merged; a lone `*/`
/// is kept.
pub fn replace_comments(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i..].starts_with(b"/*") {
            out.push(b' ');
            match input[i + 2..].windows(2).position(|w| w == b"*/") {
                Some(p) => i += 2 + p + 2,
                None => break,
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

/// REMOVE_COMMENTS_CHAR: deletes the comment markers `/*`, `*/`, `--` and
/// `#` (the text between them stays).
pub fn remove_comments_char(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        if rest.starts_with(b"/*") || rest.starts_with(b"*/") || rest.starts_with(b"--") {
            i += 2;
        } else if rest[0] == b'#' {
            i += 1;
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    out
}

/// NORMALIZE_PATH (and NORMALIZE_PATH_WIN with `win`, which first turns
/// `\` into `/`): removes repeated slashes, `.` segments and `..` segments
/// with the segment they cancel; `..` at the beginning of the input (with
/// nothing to cancel) is kept. A trailing slash is kept.
pub fn normalize_path(input: &[u8], win: bool) -> Vec<u8> {
    let owned: Vec<u8>;
    let s: &[u8] = if win {
        owned = input
            .iter()
            .map(|b| if *b == b'\\' { b'/' } else { *b })
            .collect();
        &owned
    } else {
        input
    };
    let absolute = s.first() == Some(&b'/');
    let trailing = s.len() > 1 && (s.ends_with(b"/") || s.ends_with(b"/.") || s.ends_with(b"/.."));
    let mut segs: Vec<&[u8]> = Vec::new();
    for seg in s.split(|b| *b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if segs.last().is_some_and(|l| *l != b"..") {
                    segs.pop();
                } else if !absolute {
                    segs.push(seg);
                }
            }
            _ => segs.push(seg),
        }
    }
    let mut out = Vec::with_capacity(s.len());
    if absolute {
        out.push(b'/');
    }
    out.extend_from_slice(&segs.join(&b'/'));
    if trailing && out.last() != Some(&b'/') {
        out.push(b'/');
    }
    out
}

/// UTF8_TO_UNICODE: each multi-byte UTF-8 character becomes `%uHHHH`
/// (lowercase hex, more digits above U+FFFF), ASCII and invalid bytes stay.
pub fn utf8_to_unicode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                encode_chars(s, &mut out);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // Safe split: the prefix was reported valid.
                encode_chars(std::str::from_utf8(good).unwrap_or_default(), &mut out);
                let skip = e.error_len().unwrap_or(bad.len());
                out.extend_from_slice(&bad[..skip]);
                rest = &bad[skip..];
            }
        }
    }
    out
}

fn encode_chars(s: &str, out: &mut Vec<u8>) {
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else {
            out.extend_from_slice(format!("%u{:04x}", c as u32).as_bytes());
        }
    }
}
