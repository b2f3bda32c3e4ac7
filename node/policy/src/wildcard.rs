//! IAM's wildcards in `Action`, `Resource`, `Principal` and the `*Like`
//! condition operators: `*` matches any run of characters (none included),
//! `?` exactly one; every other character matches itself.

/// Whether `text` matches `pattern`. Linear backtracking on the last `*`,
/// so no pattern can make it take more than `len(pattern) × len(text)` steps.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        // A `*` in the pattern is a wildcard even where the text has a `*`
        // (a path may): test it before the literal comparison.
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// [`wildcard`] with ASCII case folded (action names are case-insensitive).
pub fn wildcard_ignore_case(pattern: &str, text: &str) -> bool {
    wildcard(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert!(wildcard(
            "arn:*:execute-api:*:*:api1/*/GET/*",
            "arn:aws:execute-api:us-east-1:1:api1/prod/GET/pets/1"
        ));
        assert!(!wildcard("arn:*/POST/*", "arn:aws/prod/GET/pets"));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "ac"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("", "a"));
        // Found by the laws below: a `*` in the text once ate the pattern's.
        assert!(wildcard("*", "*a"));
        assert!(wildcard("api1/*/GET/*", "api1/prod/GET/a*b"));
        assert!(wildcard_ignore_case(
            "execute-api:invoke",
            "execute-api:Invoke"
        ));
        assert!(!wildcard("execute-api:invoke", "execute-api:Invoke"));
    }

    /// Text without the wildcard characters.
    fn plain() -> impl Strategy<Value = String> {
        "[a-z:/.\\-]{0,12}"
    }

    proptest! {
        #[test]
        fn a_plain_pattern_matches_only_itself(a in plain(), b in plain()) {
            prop_assert!(wildcard(&a, &a));
            prop_assert_eq!(wildcard(&a, &b), a == b);
        }

        #[test]
        fn star_matches_everything(t in ".{0,16}") {
            prop_assert!(wildcard("*", &t));
            prop_assert!(wildcard("**", &t));
        }

        #[test]
        fn a_question_mark_stands_for_one_character(t in plain()) {
            let n = t.chars().count();
            prop_assert!(wildcard(&"?".repeat(n), &t));
            prop_assert!(!wildcard(&"?".repeat(n + 1), &t));
        }

        #[test]
        fn prefix_star_matches_every_extension(a in plain(), b in plain()) {
            let text = format!("{a}{b}");
            let (prefix, suffix, both) = (format!("{a}*"), format!("*{b}"), format!("{a}*{b}"));
            prop_assert!(wildcard(&prefix, &text));
            prop_assert!(wildcard(&suffix, &text));
            prop_assert!(wildcard(&both, &text));
        }

        #[test]
        fn replacing_a_character_by_a_wildcard_keeps_a_match(t in "[a-z]{1,12}", i in 0usize..12) {
            let i = i % t.len();
            let mut q = t.clone();
            q.replace_range(i..i + 1, "?");
            let mut s = t.clone();
            s.replace_range(i..i + 1, "*");
            prop_assert!(wildcard(&q, &t));
            prop_assert!(wildcard(&s, &t));
        }
    }
}
