//! One table per text transformation, from the AWS WAF developer guide's
//! descriptions ("Text transformation options") and their examples where
//! it gives one (SQL hex `0x414243` -> `ABC`, CSS `ja\vascript` ->
//! `javascript`, full-width `%uFF41` -> `a`...). Every value of the
//! model's `TextTransformationType` enum has a table.

use apigw_waf::model::TextTransformationType as T;
use apigw_waf::transform::apply_one;

fn check(kind: T, cases: &[(&[u8], &[u8])]) {
    for (input, want) in cases {
        let got = apply_one(kind, input);
        assert_eq!(
            got,
            want.to_vec(),
            "{kind:?}({:?}) = {:?}, want {:?}",
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want)
        );
    }
}

#[test]
fn none() {
    check(T::None, &[(b"A%20b", b"A%20b")]);
}

#[test]
fn compress_white_space() {
    check(
        T::CompressWhiteSpace,
        &[
            (b"a  \t\n\r\x0b\x0cb", b"a b"),
            ("x\u{a0}\u{a0}y".as_bytes(), b"x y"),
            (b"  lead", b" lead"),
        ],
    );
}

#[test]
fn html_entity_decode() {
    check(
        T::HtmlEntityDecode,
        &[
            (b"&quot;&lt;script&gt;", b"\"<script>"),
            (b"&#x3c;&#60;&#x3C", b"<<<"),
            (b"a&nbsp;b", "a\u{a0}b".as_bytes()),
            (b"&amp;&unknown;", b"&&unknown;"),
            (b"&#x1F600;", "\u{1F600}".as_bytes()),
        ],
    );
}

#[test]
fn lowercase_and_uppercase() {
    check(T::Lowercase, &[(b"SeLeCT \xc3\x89", b"select \xc3\x89")]);
    check(T::Uppercase, &[(b"propfind", b"PROPFIND")]);
}

#[test]
fn cmd_line() {
    check(
        T::CmdLine,
        &[
            (b"C^M^D.exe /c", b"cmd.exe/c"),
            (b"c\"at' /etc/pa\\sswd", b"cat/etc/passwd"),
            (b"a,b;c   d", b"a b c d"),
            (b"echo   (x)", b"echo(x)"),
        ],
    );
    check(
        T::CmdLineWin,
        &[(b"cmd=/c,dir", b"cmd/c dir"), (b"wh%%oami", b"whoami")],
    );
    check(
        T::CmdLineUnix,
        &[
            (b"cat${IFS}/etc/passwd", b"cat/etc/passwd"),
            (b"w$@hoami", b"whoami"),
        ],
    );
}

#[test]
fn url_decode() {
    check(
        T::UrlDecode,
        &[
            (b"%27%20OR%201%3D1", b"' OR 1=1"),
            (b"a+b", b"a b"),
            (b"%zz%4", b"%zz%4"),
            (b"%u0041", b"%u0041"),
        ],
    );
}

#[test]
fn url_decode_uni() {
    check(
        T::UrlDecodeUni,
        &[
            (b"%uFF41%uff1c", b"a<"),
            (b"%u0041%41", b"AA"),
            (b"%u1234", b"\x34"),
            (b"%uZZZZ", b"%uZZZZ"),
        ],
    );
}

#[test]
fn base64_decode() {
    check(
        T::Base64Decode,
        &[
            (b"PHNjcmlwdD4=", b"<script>"),
            (b"PHNjcmlwdD4", b"<script>"),
            (b"not base64!", b"not base64!"),
        ],
    );
}

#[test]
fn base64_decode_ext() {
    check(
        T::Base64DecodeExt,
        &[(b"PH.Nj cm!lw\ndD4=", b"<script>"), (b"Pz8_", b"??\x3f")],
    );
}

#[test]
fn hex_decode() {
    check(
        T::HexDecode,
        &[(b"3c736372697074", b"<script"), (b"4142zz", b"ABzz")],
    );
}

#[test]
fn md5_and_sha256() {
    check(
        T::Md5,
        &[(
            b"abc",
            &[
                0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1,
                0x7f, 0x72,
            ],
        )],
    );
    let sha = apply_one(T::Sha256, b"abc");
    assert_eq!(sha.len(), 32);
    assert_eq!(&sha[..4], &[0xba, 0x78, 0x16, 0xbf]);
}

#[test]
fn replace_comments() {
    check(
        T::ReplaceComments,
        &[
            (b"UNION/**/SELECT", b"UNION SELECT"),
            (b"a/*x*//*y*/b", b"a  b"),
            (b"a/*unterminated", b"a "),
            (b"a*/b", b"a*/b"),
        ],
    );
}

#[test]
fn remove_comments_char() {
    check(T::RemoveCommentsChar, &[(b"1/*x*/or--1#", b"1xor1")]);
}

#[test]
fn escape_seq_decode() {
    check(
        T::EscapeSeqDecode,
        &[
            (b"a\\nb\\t\\x41\\101\\0101", b"a\nb\tAAA"),
            (b"\\'\\\"\\\\\\?", b"'\"\\?"),
            (b"\\q\\xZZ", b"\\q\\xZZ"),
        ],
    );
}

#[test]
fn sql_hex_decode() {
    check(
        T::SqlHexDecode,
        &[
            (b"0x414243", b"ABC"),
            (b"select 0x61646d696e", b"select admin"),
            (b"0xZZ", b"0xZZ"),
        ],
    );
}

#[test]
fn css_decode() {
    check(
        T::CssDecode,
        &[
            (b"ja\\vascript", b"javascript"),
            (b"\\6a\\61 vascript", b"javascript"),
            (b"\\00006a", b"j"),
            (b"\\0000006a", b"\x006a"),
            (b"\\ff41", b"a"),
            (b"a\\\nb", b"ab"),
        ],
    );
}

#[test]
fn js_decode() {
    check(
        T::JsDecode,
        &[
            (b"\\u0061lert\\x28\\61\\)", b"alert(1)"),
            (b"\\uff41", b"a"),
            (b"\\u2028", b"\x28"),
            (b"\\q", b"q"),
        ],
    );
    check(
        T::JsDecodeExt,
        &[(b"\\u00e9\\u{1F600}", "\u{e9}\u{1F600}".as_bytes())],
    );
}

#[test]
fn normalize_path() {
    check(
        T::NormalizePath,
        &[
            (b"/a//b/./c/../d", b"/a/b/d"),
            (b"/a/b/../../../etc", b"/etc"),
            (b"../../etc/passwd", b"../../etc/passwd"),
            (b"/dir/", b"/dir/"),
        ],
    );
    check(
        T::NormalizePathWin,
        &[
            (b"\\a\\.\\b\\..\\c", b"/a/c"),
            (b"..\\..\\boot.ini", b"../../boot.ini"),
        ],
    );
}

#[test]
fn nulls() {
    check(T::RemoveNulls, &[(b"a\x00b\x00", b"ab")]);
    check(T::ReplaceNulls, &[(b"a\x00b", b"a b")]);
}

#[test]
fn utf8_to_unicode() {
    check(
        T::Utf8ToUnicode,
        &[
            ("a\u{e9}\u{263a}".as_bytes(), b"a%u00e9%u263a"),
            (b"\xff", b"\xff"),
        ],
    );
}

#[test]
fn whitespace_and_trim() {
    check(T::RemoveWhitespace, &[(b" s e\tl\ne c t ", b"select")]);
    check(T::Trim, &[(b" \t x y \n", b"x y")]);
    check(T::TrimLeft, &[(b"  x ", b"x ")]);
    check(T::TrimRight, &[(b"  x ", b"  x")]);
}
