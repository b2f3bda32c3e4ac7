//! Inspection statements: extracting a `FieldToMatch` from the prepared
//! request (with AWS's size limits and oversize handling, and the JSON
//! body's match pattern, scope and fallback), transforming each value and
//! testing it.

use crate::compile::types::{CField, Inspect, JsonPattern, Matcher, NameFilter};
use crate::detect;
use crate::model::{
    BodyParsingFallbackBehavior as Fb, ComparisonOperator as Op, FallbackBehavior, MatchScope,
    OversizeHandling, PositionalConstraint as P,
};
use crate::request::Prepared;
use crate::transform;
use std::borrow::Cow;

/// The values a field yields, or a forced result.
pub(crate) enum Values<'p> {
    Items(Vec<Cow<'p, [u8]>>),
    Forced(bool),
}

/// Which oversize field (as AWS logs it) an extraction hit, if any.
pub(crate) type Oversize = Option<&'static str>;

/// The forced result of MATCH / NO_MATCH oversize handling; `None` for CONTINUE.
fn oversize(handling: OversizeHandling) -> Option<Values<'static>> {
    match handling {
        OversizeHandling::Match => Some(Values::Forced(true)),
        OversizeHandling::NoMatch => Some(Values::Forced(false)),
        OversizeHandling::Continue => None,
    }
}

fn fallback(f: FallbackBehavior) -> Values<'static> {
    Values::Forced(f == FallbackBehavior::Match)
}

fn keep(filter: &NameFilter, name: &[u8], fold: bool) -> bool {
    let eq = |n: &String| {
        if fold {
            name.eq_ignore_ascii_case(n.as_bytes())
        } else {
            name == n.as_bytes()
        }
    };
    match filter {
        NameFilter::All => true,
        NameFilter::Include(list) => list.iter().any(eq),
        NameFilter::Exclude(list) => !list.iter().any(eq),
    }
}

fn scoped<'p>(
    pairs: impl Iterator<Item = (&'p [u8], &'p [u8])>,
    scope: MatchScope,
) -> Vec<Cow<'p, [u8]>> {
    let mut out = Vec::new();
    for (k, v) in pairs {
        if scope != MatchScope::Value {
            out.push(Cow::Borrowed(k));
        }
        if scope != MatchScope::Key {
            out.push(Cow::Borrowed(v));
        }
    }
    out
}

/// Whether a raw (percent-encoded) query argument name is `want` (lowercase).
fn arg_named(raw: &[u8], want: &str) -> bool {
    raw.eq_ignore_ascii_case(want.as_bytes())
        || transform::url_decode(raw, false).eq_ignore_ascii_case(want.as_bytes())
}

/// Extracts a field's values.
pub(crate) fn extract<'p>(p: &'p Prepared<'p>, field: &CField) -> (Values<'p>, Oversize) {
    let req = p.req;
    let b = |s: &'p str| Cow::Borrowed(s.as_bytes());
    let items = |v: Vec<Cow<'p, [u8]>>| (Values::Items(v), None);
    match field {
        CField::SingleHeader(n) => items(req.header_values(n).map(Cow::Borrowed).collect()),
        CField::SingleQueryArgument(n) => items(
            p.query_args
                .iter()
                .filter(|(k, _)| arg_named(k, n))
                .map(|(_, v)| Cow::Borrowed(*v))
                .collect(),
        ),
        CField::AllQueryArguments => items(
            p.query_args
                .iter()
                .map(|(_, v)| Cow::Borrowed(*v))
                .collect(),
        ),
        CField::UriPath => items(vec![b(req.uri_path)]),
        CField::QueryString => items(vec![b(req.query_string)]),
        CField::Method => items(vec![b(req.method)]),
        CField::Body(h) => {
            if p.body_oversize {
                if let Some(v) = oversize(*h) {
                    return (v, Some("REQUEST_BODY"));
                }
            }
            (
                Values::Items(vec![Cow::Borrowed(p.body)]),
                p.body_oversize.then_some("REQUEST_BODY"),
            )
        }
        CField::JsonBody {
            pattern,
            scope,
            fallback: fb,
            oversize: h,
        } => json_body(p, pattern, *scope, *fb, *h),
        CField::Headers {
            filter,
            scope,
            oversize: h,
        } => {
            let over = p.headers_oversize.then_some("REQUEST_HEADERS");
            if p.headers_oversize {
                if let Some(v) = oversize(*h) {
                    return (v, over);
                }
            }
            let pairs = p
                .headers()
                .iter()
                .filter(|(n, _)| keep(filter, n.as_bytes(), true))
                .map(|(n, v)| (n.as_bytes(), *v));
            (Values::Items(scoped(pairs, *scope)), over)
        }
        CField::Cookies {
            filter,
            scope,
            oversize: h,
        } => {
            let over = p.cookies_oversize.then_some("REQUEST_COOKIES");
            if p.cookies_oversize {
                if let Some(v) = oversize(*h) {
                    return (v, over);
                }
            }
            let pairs = p
                .cookies
                .iter()
                .filter(|(n, _)| keep(filter, n, false))
                .copied();
            (Values::Items(scoped(pairs, *scope)), over)
        }
        CField::HeaderOrder(h) => {
            if p.headers_oversize {
                if let Some(v) = oversize(*h) {
                    return (v, Some("REQUEST_HEADERS"));
                }
            }
            items(vec![Cow::Borrowed(p.header_order())])
        }
        CField::Ja3(f) => req.ja3.map_or((fallback(*f), None), |v| items(vec![b(v)])),
        CField::Ja4(f) => req.ja4.map_or((fallback(*f), None), |v| items(vec![b(v)])),
        CField::UriFragment(f) => req
            .fragment
            .map_or((fallback(*f), None), |v| items(vec![b(v)])),
    }
}

fn json_body<'p>(
    p: &'p Prepared<'p>,
    pattern: &JsonPattern,
    scope: MatchScope,
    fb: Option<Fb>,
    h: OversizeHandling,
) -> (Values<'p>, Oversize) {
    let over = p.body_oversize.then_some("REQUEST_JSON_BODY");
    if p.body_oversize {
        if let Some(v) = oversize(h) {
            return (v, over);
        }
    }
    if p.body.iter().all(u8::is_ascii_whitespace) {
        return (Values::Items(Vec::new()), over);
    }
    let doc = p.json();
    if doc.invalid {
        match fb {
            Some(Fb::Match) => return (Values::Forced(true), over),
            Some(Fb::NoMatch) => return (Values::Forced(false), over),
            Some(Fb::EvaluateAsString) => {
                return (Values::Items(vec![Cow::Borrowed(p.body)]), over)
            }
            None => {}
        }
    }
    let selected = doc.elems.iter().filter(|e| {
        let in_scope = match scope {
            MatchScope::All => true,
            MatchScope::Key => e.is_key,
            MatchScope::Value => !e.is_key,
        };
        let in_pattern = match pattern {
            JsonPattern::All => true,
            JsonPattern::Paths(paths) => paths.iter().any(|path| {
                let inside = e.pointer.len() > path.len()
                    && e.pointer.starts_with(path.as_str())
                    && e.pointer.as_bytes()[path.len()] == b'/';
                inside || (!e.is_key && e.pointer == *path)
            }),
        };
        in_scope && in_pattern
    });
    (
        Values::Items(selected.map(|e| Cow::Borrowed(e.text.as_slice())).collect()),
        over,
    )
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn contains_word(hay: &[u8], needle: &[u8]) -> bool {
    let mut start = 0;
    while let Some(i) = memchr::memmem::find(&hay[start..], needle) {
        let at = start + i;
        let end = at + needle.len();
        let left = at == 0 || !is_word(hay[at - 1]);
        let right = end == hay.len() || !is_word(hay[end]);
        if left && right {
            return true;
        }
        start = at + 1;
    }
    false
}

/// Tests one transformed value.
pub(crate) fn test(m: &Matcher, v: &[u8]) -> bool {
    match m {
        Matcher::Bytes { needle, pos } => match pos {
            P::Exactly => v == needle.as_slice(),
            P::StartsWith => v.starts_with(needle),
            P::EndsWith => v.ends_with(needle),
            P::Contains => memchr::memmem::find(v, needle).is_some(),
            P::ContainsWord => contains_word(v, needle),
        },
        Matcher::Regex(list) => list.iter().any(|r| r.is_match(v)),
        Matcher::Size { op, size } => {
            let n = v.len() as u64;
            match op {
                Op::Eq => n == *size,
                Op::Ne => n != *size,
                Op::Le => n <= *size,
                Op::Lt => n < *size,
                Op::Ge => n >= *size,
                Op::Gt => n > *size,
            }
        }
        Matcher::Sqli { high } => detect::sqli(v, *high),
        Matcher::Xss => detect::xss(v),
    }
}

/// Runs an inspection statement; reports any oversize field it met.
pub(crate) fn run(p: &Prepared<'_>, i: &Inspect) -> (bool, Oversize) {
    let (values, over) = extract(p, &i.field);
    let hit = match values {
        Values::Forced(b) => b,
        Values::Items(items) => items
            .iter()
            .any(|v| test(&i.matcher, &transform::apply(&i.chain, v))),
    };
    (hit, over)
}
