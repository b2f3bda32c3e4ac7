//! Limits an imported document must stay within, checked before the
//! expensive work: nesting depth (in the text, before the YAML parser sees
//! it) and the number of paths. The size limit is the admin listener's body
//! cap (10 MiB); config files are read whole by the operator's choice.
//!
//! Why depth is checked in the text: the YAML scanner (libyaml, inside
//! serde_norway, via crate::yaml) keeps one possible simple key per open flow collection and
//! re-examines all of them at every token, so `[[[[...` costs time
//! quadratic in its depth (25,000 levels: 1.4 s; 50,000: 6.1 s; a few
//! hundred kilobytes: over a minute), and the parser scans the whole
//! document before its own recursion limit (128) applies. A linear scan of
//! the brackets refuses such a document at once.

use serde_json::Value;

/// Deepest nesting of mappings and sequences a document may have. Real
/// OpenAPI documents stay under 20; JSON Schema models nest a few levels
/// per object.
pub const MAX_DEPTH: usize = 64;

/// Most paths (resources) one document may declare. AWS's default quota is
/// 300 resources per API (raised on request); the benchmark suite serves an
/// API of 10,000 paths, and an import of this many takes well under a
/// second off the data plane.
pub const MAX_PATHS: usize = 20_000;

/// Refuses text whose flow-style nesting (`[`, `{`) is deeper than
/// [`MAX_DEPTH`]; brackets inside quoted strings and comments do not count.
pub fn check_text(text: &str) -> Result<(), String> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut comment = false;
    let mut previous = b'\n';
    for &b in text.as_bytes() {
        match (quote, b) {
            _ if comment => comment = b != b'\n',
            (Some(q), _) if b == q => quote = None,
            (Some(b'"'), b'\\') if previous == b'\\' => {}
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'#') if previous.is_ascii_whitespace() => comment = true,
            (None, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(depth_message());
                }
            }
            (None, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = b;
    }
    Ok(())
}

/// Refuses a parsed document nested deeper than [`MAX_DEPTH`] (block-style
/// YAML nests by indentation, which the text scan does not count).
pub fn check_value(doc: &Value) -> Result<(), String> {
    let mut stack: Vec<(&Value, usize)> = vec![(doc, 1)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth > MAX_DEPTH {
            return Err(depth_message());
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .map_or(0, |p| p.len());
    if paths > MAX_PATHS {
        return Err(format!(
            "The document declares {paths} paths: at most {MAX_PATHS} are allowed"
        ));
    }
    Ok(())
}

fn depth_message() -> String {
    format!(
        "The document is nested deeper than {MAX_DEPTH} levels: at most {MAX_DEPTH} are allowed"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_nesting_is_refused_in_linear_time() {
        let deep = format!("x: {}{}", "[".repeat(200_000), "]".repeat(200_000));
        let started = std::time::Instant::now();
        let e = check_text(&deep).expect_err("too deep");
        assert!(e.contains("nested deeper than 64"), "{e}");
        // Not a timing assertion: the scan stops at the 65th bracket.
        let _ = started.elapsed();
        let ok = format!("x: {}{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(check_text(&ok), Ok(()));
        let quoted = format!(
            "x: '{}'\ny: \"{}\" # {}",
            "[".repeat(100),
            "{".repeat(100),
            "[".repeat(100)
        );
        assert_eq!(check_text(&quoted), Ok(()));
    }

    #[test]
    fn parsed_depth_and_path_counts_are_bounded() {
        let mut v = serde_json::json!(1);
        for _ in 0..64 {
            v = serde_json::json!({ "a": v });
        }
        assert_eq!(check_value(&v), Ok(()));
        let deeper = serde_json::json!([v]);
        assert!(check_value(&deeper).expect_err("65").contains("64 levels"));
        let paths: serde_json::Map<String, Value> = (0..=MAX_PATHS)
            .map(|i| (format!("/p{i}"), serde_json::json!({})))
            .collect();
        let e = check_value(&serde_json::json!({ "paths": paths })).expect_err("paths");
        assert!(e.contains("at most 20000"), "{e}");
    }
}
