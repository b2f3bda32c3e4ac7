//! The rules for names and ids that end up in a URL path, a file name, a
//! store key or a log line, in one place: the management API, the import
//! and the config loader all call these. Each rule is AWS's where AWS has
//! one, and each message is AWS's words where AWS's are known (see
//! docs/security/control-plane.md for the table).
//!
//! Free text (API names, descriptions, API key and usage plan names) is not
//! checked here beyond its length: it only ever travels inside JSON (the
//! store, answers, and log lines, which the JSON logger escapes).

/// A name or id that breaks its rule; the message is the client's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NameError(pub String);

type Checked = Result<(), NameError>;

fn fail(message: impl Into<String>) -> Checked {
    Err(NameError(message.into()))
}

/// `[A-Za-z0-9_-]`, the alphabet of stage names and of ids.
fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Stage names: 1 to 128 of `[A-Za-z0-9_-]` (CreateStage, CreateDeployment,
/// the config file, usage plans, base path mappings).
pub fn stage_name(name: &str) -> Checked {
    if name.is_empty() || !name.chars().all(id_char) {
        return fail("Stage name only allows a-zA-Z0-9_-");
    }
    if name.len() > 128 {
        return fail("Stage name must be between 1 and 128 characters");
    }
    Ok(())
}

/// REST API ids: 1 to 64 of `[A-Za-z0-9_-]` (AWS's own are 10 lowercase
/// letters and digits; config files may choose readable ones).
pub fn api_id(id: &str) -> Checked {
    match !id.is_empty() && id.len() <= 64 && id.chars().all(id_char) {
        true => Ok(()),
        false => fail(format!("Invalid API identifier specified: {}", shown(id))),
    }
}

/// Other ids a client may name (deployments, authorizers, request
/// validators, API keys, usage plans): 1 to 128 of `[A-Za-z0-9_-]`.
pub fn id(kind: &str, id: &str) -> Checked {
    match !id.is_empty() && id.len() <= 128 && id.chars().all(id_char) {
        true => Ok(()),
        false => fail(format!(
            "Invalid {kind} identifier specified: {}",
            shown(id)
        )),
    }
}

/// One resource path part: a literal of `[A-Za-z0-9._-]`, `{name}` or
/// `{name+}` (AWS's rule and words), at most 128 characters, and never `.`
/// or `..`, which clients fold away.
pub fn path_part(part: &str) -> Checked {
    let literal = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    let inner = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        Some(name) => name.strip_suffix('+').unwrap_or(name),
        None => part,
    };
    if literal(inner) && part.len() <= 128 && part != "." && part != ".." {
        return Ok(());
    }
    fail(format!(
        "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace: {}",
        shown(part)
    ))
}

/// A resource path: `/` or `/`-separated [`path_part`]s, a greedy part
/// only last.
pub fn resource_path(path: &str) -> Checked {
    if path == "/" {
        return Ok(());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return fail(format!(
            "A resource path must start with /: {}",
            shown(path)
        ));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        path_part(part)?;
        if part.ends_with("+}") && i + 1 != parts.len() {
            return fail(format!(
                "A greedy path part ({{name+}}) must be the last one: {}",
                shown(path)
            ));
        }
    }
    Ok(())
}

/// Model names: alphanumeric, 1 to 128 (AWS's words).
pub fn model_name(name: &str) -> Checked {
    match !name.is_empty() && name.len() <= 128 && name.chars().all(|c| c.is_ascii_alphanumeric()) {
        true => Ok(()),
        false => fail(format!("Model name must be alphanumeric: {}", shown(name))),
    }
}

/// Function names, as Lambda's: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn function_name(name: &str) -> Checked {
    match !name.is_empty() && name.len() <= 64 && name.chars().all(id_char) {
        true => Ok(()),
        false => fail(format!(
            "Function name must be 1 to 64 of a-zA-Z0-9_-: {}",
            shown(name)
        )),
    }
}

/// Custom domain names: DNS labels of letters, digits and `-` (a leading
/// `*.` for a wildcard), at least two labels, at most 253 characters.
pub fn domain_name(name: &str) -> Checked {
    let bare = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    match name.len() <= 253 && bare.contains('.') && bare.split('.').all(label_ok) {
        true => Ok(()),
        false => fail(format!(
            "Invalid domain name identifier specified: {}",
            shown(name)
        )),
    }
}

/// A base path mapping's path: `/`-separated segments of
/// `[A-Za-z0-9._~-]` (no `.` or `..` segment), at most 128 characters.
pub fn base_path(path: &str) -> Checked {
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-'))
    };
    match path.len() <= 128 && path.split('/').all(segment_ok) {
        true => Ok(()),
        false => fail(format!("Invalid base path: {}", shown(path))),
    }
}

/// Tag keys: 1 to 128 of letters, digits, spaces and `_ . : / = + - @`,
/// not starting with `aws:` (AWS's rule for every taggable resource).
pub fn tag_key(key: &str) -> Checked {
    let ok = !key.is_empty()
        && key.chars().count() <= 128
        && key.chars().all(tag_char)
        && !key.to_ascii_lowercase().starts_with("aws:");
    match ok {
        true => Ok(()),
        false => fail(format!("Invalid tag key: {}", shown(key))),
    }
}

/// Tag values: 0 to 256 of the same characters as keys.
pub fn tag_value(value: &str) -> Checked {
    match value.chars().count() <= 256 && value.chars().all(tag_char) {
        true => Ok(()),
        false => fail(format!("Invalid tag value: {}", shown(value))),
    }
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

/// Free text (names, descriptions): at most `max` characters, no control
/// characters but tab, newline and carriage return.
pub fn free_text(what: &str, text: &str, max: usize) -> Checked {
    let ok = text.chars().count() <= max
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'));
    match ok {
        true => Ok(()),
        false => fail(format!(
            "{what} must be at most {max} characters, without control characters"
        )),
    }
}

/// A name as an error message shows it: escaped (so a newline or a quote
/// cannot forge a line of a log) and cut to 140 characters.
fn shown(name: &str) -> String {
    let escaped: String = name.escape_debug().collect();
    match escaped.char_indices().nth(140) {
        Some((at, _)) => format!("{}...", &escaped[..at]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "",
        "../evil",
        "a/b",
        "a b",
        "prod\n",
        "prod\r\n{\"forged\":1}",
        "a\0b",
        "%2e%2e",
        "ünïcode",
        "a;b",
    ];

    #[test]
    fn stage_names_follow_aws() {
        for good in ["prod", "v1_beta-2", "A", &"s".repeat(128)] {
            assert_eq!(stage_name(good), Ok(()), "{good}");
        }
        for bad in HOSTILE.iter().copied().chain([".", "a.b"]) {
            let e = stage_name(bad).expect_err(bad);
            assert_eq!(e.0, "Stage name only allows a-zA-Z0-9_-", "{bad:?}");
        }
        let long = "s".repeat(129);
        assert!(stage_name(&long).expect_err("long").0.contains("128"));
        assert!(stage_name(&"s".repeat(200)).is_err());
    }

    #[test]
    fn ids_follow_one_alphabet() {
        assert_eq!(api_id("a1b2c3d4e5"), Ok(()));
        assert_eq!(api_id("my-api_2"), Ok(()));
        assert!(api_id(&"a".repeat(65)).is_err());
        assert_eq!(id("authorizer", "abc123"), Ok(()));
        for bad in HOSTILE {
            assert!(api_id(bad).is_err(), "{bad:?}");
            assert!(id("usage plan", bad).is_err(), "{bad:?}");
            assert!(function_name(bad).is_err(), "{bad:?}");
        }
        assert!(function_name(&"f".repeat(65)).is_err());
        assert_eq!(function_name("my-fn_1"), Ok(()));
    }

    #[test]
    fn path_parts_and_paths_follow_aws() {
        for good in ["pets", "{petId}", "{proxy+}", "v1.2", "a_b-c"] {
            assert_eq!(path_part(good), Ok(()), "{good}");
        }
        for bad in HOSTILE
            .iter()
            .copied()
            .chain([".", "..", "{}", "{a", "a}", "{+}", "{a b}", "a:b"])
        {
            let e = path_part(bad).expect_err(bad);
            assert!(
                e.0.starts_with("Resource's path part only allow a-zA-Z0-9._-"),
                "{bad:?}"
            );
        }
        assert_eq!(resource_path("/"), Ok(()));
        assert_eq!(resource_path("/pets/{id}/{proxy+}"), Ok(()));
        assert!(resource_path("/{proxy+}/x").is_err());
        assert!(resource_path("pets").is_err());
        assert!(resource_path("/pets//x").is_err());
        assert!(resource_path("/pets/../x").is_err());
    }

    #[test]
    fn models_are_alphanumeric() {
        assert_eq!(model_name("Pet2"), Ok(()));
        for bad in HOSTILE.iter().copied().chain(["body_1", "a.b", "a-b"]) {
            let e = model_name(bad).expect_err(bad);
            assert!(
                e.0.starts_with("Model name must be alphanumeric"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn domains_base_paths_and_tags() {
        for good in ["api.example.com", "*.example.com", "a-b.c0.io"] {
            assert_eq!(domain_name(good), Ok(()), "{good}");
        }
        for bad in HOSTILE
            .iter()
            .copied()
            .chain(["localhost", "-a.com", "a..com", "a.com/x"])
        {
            assert!(domain_name(bad).is_err(), "{bad:?}");
        }
        for good in ["v1", "v1/pets", "a.b~c"] {
            assert_eq!(base_path(good), Ok(()), "{good}");
        }
        for bad in ["", "../x", "a//b", "a b", "x\n", "a/./b"] {
            assert!(base_path(bad).is_err(), "{bad:?}");
        }
        for good in ["team", "cost center", "a:b/c=d+e-f@g", "ключ"] {
            assert_eq!(tag_key(good), Ok(()), "{good}");
        }
        for bad in ["", "aws:owner", "AWS:x", "a\nb", "a\"b", &"k".repeat(129)] {
            assert!(tag_key(bad).is_err(), "{bad:?}");
        }
        assert_eq!(tag_value(""), Ok(()));
        assert!(tag_value(&"v".repeat(257)).is_err());
    }

    #[test]
    fn free_text_refuses_control_characters_and_messages_escape() {
        assert_eq!(free_text("name", "Pets API\n(v2)", 1024), Ok(()));
        assert!(free_text("name", "a\u{1b}[31m", 1024).is_err());
        assert!(free_text("name", &"n".repeat(1025), 1024).is_err());
        let e = stage_name("x")
            .and_then(|_| api_id("a\nb"))
            .expect_err("bad");
        assert!(!e.0.contains('\n'), "{e}");
        let e = path_part(&"p\n".repeat(200)).expect_err("long");
        assert!(!e.0.contains('\n') && e.0.len() < 400, "{e}");
    }
}
