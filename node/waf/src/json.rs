//! The JSON body as AWS WAF parses it: leniently (a missing comma or colon,
//! or extra colons, still give key/value pairs, as the developer guide's
//! examples show), stopping at the first real error (an invalid character,
//! a duplicate key, truncation, a root that is neither object nor array)
//! and keeping what was parsed before it. The result is a flat list of
//! elements, each with its JSON Pointer, which is what `MatchPattern` and
//! `MatchScope` select from.

/// One key or scalar value of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonElem {
    /// The JSON Pointer of the element (for a key: of the member it names).
    pub pointer: String,
    /// A key (true) or a value (false).
    pub is_key: bool,
    /// Keys and strings unescaped; numbers, `true`, `false`, `null` as written.
    pub text: Vec<u8>,
}

/// The parsed document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonDoc {
    /// Elements in document order, up to the first error.
    pub elems: Vec<JsonElem>,
    /// Whether parsing failed somewhere (the fallback behavior applies).
    pub invalid: bool,
}

/// Nesting beyond this is treated as a parse failure (bounds recursion).
const MAX_DEPTH: usize = 128;

/// Parses `body` leniently.
pub fn parse(body: &[u8]) -> JsonDoc {
    let mut p = Parser {
        s: body,
        i: 0,
        doc: JsonDoc::default(),
    };
    p.ws();
    let ok = match p.peek() {
        Some(b'{') | Some(b'[') => p.value("", 0).is_some(),
        _ => false,
    };
    p.ws();
    let trailing = p.i < p.s.len();
    p.doc.invalid = !ok || trailing;
    p.doc
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    doc: JsonDoc,
}

fn escape_pointer(key: &[u8]) -> String {
    String::from_utf8_lossy(key)
        .replace('~', "~0")
        .replace('/', "~1")
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self
            .peek()
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Parses one value at `pointer`; `None` on error.
    fn value(&mut self, pointer: &str, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match self.peek()? {
            b'{' => self.object(pointer, depth),
            b'[' => self.array(pointer, depth),
            b'"' => {
                let text = self.string()?;
                self.push(pointer, false, text);
                Some(())
            }
            _ => {
                let text = self.literal()?;
                self.push(pointer, false, text);
                Some(())
            }
        }
    }

    fn push(&mut self, pointer: &str, is_key: bool, text: Vec<u8>) {
        self.doc.elems.push(JsonElem {
            pointer: pointer.to_owned(),
            is_key,
            text,
        });
    }

    fn object(&mut self, pointer: &str, depth: usize) -> Option<()> {
        self.i += 1;
        let mut seen: Vec<Vec<u8>> = Vec::new();
        loop {
            self.ws();
            match self.peek()? {
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                b',' => {
                    self.i += 1;
                    continue;
                }
                b'"' => {}
                _ => return None,
            }
            let key = self.string()?;
            if seen.contains(&key) {
                return None;
            }
            let member = format!("{pointer}/{}", escape_pointer(&key));
            seen.push(key.clone());
            self.push(&member, true, key);
            while self.eat(b':') {}
            self.value(&member, depth + 1)?;
        }
    }

    fn array(&mut self, pointer: &str, depth: usize) -> Option<()> {
        self.i += 1;
        let mut index = 0usize;
        loop {
            self.ws();
            match self.peek()? {
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                b',' => {
                    self.i += 1;
                    continue;
                }
                _ => {}
            }
            self.value(&format!("{pointer}/{index}"), depth + 1)?;
            index += 1;
        }
    }

    fn literal(&mut self) -> Option<Vec<u8>> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
        {
            self.i += 1;
        }
        let lit = &self.s[start..self.i];
        let ok = matches!(lit, b"true" | b"false" | b"null")
            || (!lit.is_empty() && (lit[0].is_ascii_digit() || lit[0] == b'-'));
        ok.then(|| lit.to_vec())
    }

    /// A JSON string at `self.i` (which is `"`), unescaped.
    fn string(&mut self) -> Option<Vec<u8>> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let b = self.peek()?;
            self.i += 1;
            match b {
                b'"' => return Some(out),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'u' => self.unicode(&mut out)?,
                        other => out.push(other),
                    }
                }
                0x00..=0x1f => return None,
                _ => out.push(b),
            }
        }
    }

    fn unicode(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let hex = self.s.get(self.i..self.i + 4)?;
        let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        self.i += 4;
        let c = char::from_u32(code).unwrap_or('\u{fffd}');
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(doc: &JsonDoc) -> Vec<String> {
        doc.elems
            .iter()
            .map(|e| String::from_utf8_lossy(&e.text).into_owned())
            .collect()
    }

    #[test]
    fn aws_lenient_examples_give_two_pairs() {
        for body in [
            r#"{"key1":"value1""key2":"value2"}"#,
            r#"{"key1":"value1","key2""value2"}"#,
            r#"{"key1"::"value1","key2""value2"}"#,
        ] {
            let doc = parse(body.as_bytes());
            assert!(!doc.invalid, "{body}");
            assert_eq!(texts(&doc), ["key1", "value1", "key2", "value2"], "{body}");
        }
    }

    #[test]
    fn pointers_and_errors() {
        let doc = parse(br#"{"a":{"c":"d","b":{"e":{"f":"g"}}},"l":[1,"x"]}"#);
        assert!(!doc.invalid);
        let ptrs: Vec<&str> = doc.elems.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            ptrs,
            [
                "/a", "/a/c", "/a/c", "/a/b", "/a/b/e", "/a/b/e/f", "/a/b/e/f", "/l", "/l/0",
                "/l/1"
            ]
        );
        let dup = parse(br#"{"a":1,"a":2}"#);
        assert!(dup.invalid);
        assert_eq!(texts(&dup), ["a", "1"]);
        assert!(parse(b"\"just a string\"").invalid);
        assert!(parse(br#"{"a":"trunc"#).invalid);
        assert!(parse(&[b'['; 500]).invalid);
    }
}
