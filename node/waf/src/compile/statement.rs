//! Compiling statements and fields: checks each statement the way the
//! wafv2 API validates it (exactly one member set, nestability, limits,
//! linear-time regexes) and builds its [`CStatement`].

use super::types::*;
use super::Ctx;
use crate::error::CompileError;
use crate::model::*;
use crate::transform;
use std::collections::HashSet;
use std::sync::Arc;

/// Nesting deeper than this is refused. AWS documents no number; JSON
/// rules in practice stay far below it, and it bounds evaluation's recursion.
pub const MAX_NESTING: usize = 20;
/// AWS's quota on text transformations per statement.
pub const MAX_TRANSFORMATIONS: usize = 10;
/// AWS's limit on a byte match's search string (bytes, before base64).
pub const MAX_SEARCH_STRING: usize = 200;
/// The model's limit on a regex (`RegexPatternString`).
pub const MAX_REGEX_LEN: usize = 512;
/// The compiled-program size each regex may use.
const REGEX_SIZE_LIMIT: usize = 2 << 20;

/// The one member a `Statement` sets, by AWS's field name.
pub(crate) fn kind_of(s: &Statement) -> Result<&'static str, &'static str> {
    let set: Vec<&'static str> = [
        (s.byte_match.is_some(), "BYTE_MATCH_STATEMENT"),
        (s.sqli_match.is_some(), "SQLI_MATCH_STATEMENT"),
        (s.xss_match.is_some(), "XSS_MATCH_STATEMENT"),
        (s.size_constraint.is_some(), "SIZE_CONSTRAINT_STATEMENT"),
        (s.geo_match.is_some(), "GEO_MATCH_STATEMENT"),
        (
            s.rule_group_reference.is_some(),
            "RULE_GROUP_REFERENCE_STATEMENT",
        ),
        (s.ip_set_reference.is_some(), "IP_SET_REFERENCE_STATEMENT"),
        (
            s.regex_pattern_set_reference.is_some(),
            "REGEX_PATTERN_REFERENCE_STATEMENT",
        ),
        (s.rate_based.is_some(), "RATE_BASED_STATEMENT"),
        (s.and.is_some(), "AND_STATEMENT"),
        (s.or.is_some(), "OR_STATEMENT"),
        (s.not.is_some(), "NOT_STATEMENT"),
        (s.managed_rule_group.is_some(), "MANAGED_RULE_SET_STATEMENT"),
        (s.label_match.is_some(), "LABEL_MATCH_STATEMENT"),
        (s.regex_match.is_some(), "REGEX_MATCH_STATEMENT"),
        (s.asn_match.is_some(), "ASN_MATCH_STATEMENT"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    match set.as_slice() {
        [one] => Ok(one),
        [] => Err("A statement must set exactly one statement type; none is set."),
        _ => Err("A statement must set exactly one statement type; more than one is set."),
    }
}

/// Compiles a nestable statement at nesting `depth` (0 for a rule's own).
pub(crate) fn compile(ctx: &Ctx, s: &Statement, depth: usize) -> Result<CStatement, CompileError> {
    let kind = kind_of(s).map_err(|r| ctx.invalid("STATEMENT", "Statement", r))?;
    if depth > MAX_NESTING {
        return Err(ctx.invalid(
            "STATEMENT",
            kind,
            format!("Statements are nested more than {MAX_NESTING} levels deep."),
        ));
    }
    if let Some(b) = &s.byte_match {
        return byte_match(ctx, b);
    }
    if let Some(q) = &s.sqli_match {
        let high = q.sensitivity_level == Some(SensitivityLevel::High);
        return inspect(
            ctx,
            &q.field_to_match,
            &q.text_transformations,
            Matcher::Sqli { high },
        );
    }
    if let Some(x) = &s.xss_match {
        return inspect(
            ctx,
            &x.field_to_match,
            &x.text_transformations,
            Matcher::Xss,
        );
    }
    if let Some(z) = &s.size_constraint {
        let size = u64::try_from(z.size)
            .ok()
            .filter(|v| *v <= 21_474_836_480)
            .ok_or_else(|| ctx.invalid(kind, "Size", "Size must be between 0 and 21474836480."))?;
        let m = Matcher::Size {
            op: z.comparison_operator,
            size,
        };
        return inspect(ctx, &z.field_to_match, &z.text_transformations, m);
    }
    if let Some(r) = &s.regex_match {
        let re = regex(ctx, &r.regex_string)?;
        let m = Matcher::Regex(Arc::new(vec![re]));
        return inspect(ctx, &r.field_to_match, &r.text_transformations, m);
    }
    if let Some(r) = &s.regex_pattern_set_reference {
        let set = ctx
            .resources
            .regex_pattern_sets
            .get(&r.arn)
            .ok_or_else(|| CompileError::nonexistent(ctx.rule, "REGEX_PATTERN_SET", &r.arn))?;
        let list = set.regular_expression_list.as_deref().unwrap_or_default();
        if list.len() > 10 {
            return Err(ctx.limits(
                "RegularExpressionList",
                "A regex pattern set holds at most 10 patterns.",
            ));
        }
        let res = list
            .iter()
            .filter_map(|e| e.regex_string.as_deref())
            .map(|p| regex(ctx, p))
            .collect::<Result<Vec<_>, _>>()?;
        let m = Matcher::Regex(Arc::new(res));
        return inspect(ctx, &r.field_to_match, &r.text_transformations, m);
    }
    if let Some(g) = &s.geo_match {
        return geo(ctx, g);
    }
    if let Some(a) = &s.asn_match {
        let asns = a
            .asn_list
            .iter()
            .filter_map(|v| u32::try_from(*v).ok())
            .collect();
        let fwd = a
            .forwarded_ip_config
            .as_ref()
            .map(|f| fwd(ctx, f))
            .transpose()?;
        return Ok(CStatement::Asn { asns, fwd });
    }
    if let Some(i) = &s.ip_set_reference {
        return ip_set(ctx, i);
    }
    if let Some(l) = &s.label_match {
        return Ok(CStatement::Label {
            scope: l.scope,
            key: ctx.qualify(&l.key),
        });
    }
    if let Some(a) = &s.and {
        return logical(ctx, &a.statements, depth, kind).map(CStatement::And);
    }
    if let Some(o) = &s.or {
        return logical(ctx, &o.statements, depth, kind).map(CStatement::Or);
    }
    if let Some(n) = &s.not {
        return Ok(CStatement::Not(Box::new(compile(
            ctx,
            &n.statement,
            depth + 1,
        )?)));
    }
    Err(ctx.invalid(
        "STATEMENT",
        kind,
        "This statement type can't be nested; it is only allowed as a rule's top-level statement.",
    ))
}

fn logical(
    ctx: &Ctx,
    list: &[Statement],
    depth: usize,
    kind: &'static str,
) -> Result<Vec<CStatement>, CompileError> {
    if list.is_empty() {
        return Err(ctx.invalid(
            kind,
            "Statements",
            format!("{kind} needs at least one nested statement."),
        ));
    }
    list.iter().map(|s| compile(ctx, s, depth + 1)).collect()
}

fn byte_match(ctx: &Ctx, b: &ByteMatchStatement) -> Result<CStatement, CompileError> {
    let kind = "BYTE_MATCH_STATEMENT";
    let needle = search_string(ctx, b)?;
    if needle.len() > MAX_SEARCH_STRING {
        return Err(ctx.invalid(
            kind,
            "SearchString",
            "The search string is longer than 200 bytes.",
        ));
    }
    let fingerprint =
        b.field_to_match.ja3_fingerprint.is_some() || b.field_to_match.ja4_fingerprint.is_some();
    if fingerprint && b.positional_constraint != PositionalConstraint::Exactly {
        return Err(ctx.invalid(
            kind,
            "PositionalConstraint",
            "JA3/JA4 fingerprints can only be matched EXACTLY.",
        ));
    }
    let word_ok = needle
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    if b.positional_constraint == PositionalConstraint::ContainsWord && !word_ok {
        return Err(ctx.invalid(
            kind,
            "SearchString",
            "With CONTAINS_WORD the search string must contain only A-Z, a-z, 0-9 or _.",
        ));
    }
    let m = Matcher::Bytes {
        needle,
        pos: b.positional_constraint,
    };
    inspect(ctx, &b.field_to_match, &b.text_transformations, m)
}

fn search_string(ctx: &Ctx, b: &ByteMatchStatement) -> Result<Vec<u8>, CompileError> {
    use base64::Engine;
    let decode = |s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|_| {
                ctx.invalid(
                    "BYTE_MATCH_STATEMENT",
                    "SearchString",
                    "The search string is not valid base64.",
                )
            })
    };
    match (&b.search_string, &b.search_string_base64, ctx.dialect) {
        (_, Some(b64), _) => decode(b64),
        (Some(s), None, Dialect::Api) => decode(s),
        (Some(s), None, Dialect::CloudFormation) => Ok(s.as_bytes().to_vec()),
        (None, None, _) => Err(ctx.invalid(
            "BYTE_MATCH_STATEMENT",
            "SearchString",
            "SearchString is required.",
        )),
    }
}

/// Compiles a regex for linear-time matching; refuses what needs backtracking.
pub(crate) fn regex(ctx: &Ctx, pattern: &str) -> Result<regex::bytes::Regex, CompileError> {
    if pattern.len() > MAX_REGEX_LEN {
        return Err(ctx.invalid(
            "STATEMENT",
            pattern,
            "The regex pattern is longer than 512 characters.",
        ));
    }
    if let Err(e) = regex_syntax::ast::parse::Parser::new().parse(pattern) {
        use regex_syntax::ast::ErrorKind as K;
        let what = match e.kind() {
            K::UnsupportedLookAround => "look-around assertions are not supported",
            K::UnsupportedBackreference => "backreferences are not supported",
            _ => "the pattern is not a valid regex",
        };
        return Err(ctx.invalid(
            "STATEMENT",
            pattern,
            format!("Unsupported regex pattern: {what} ({e})"),
        ));
    }
    regex::bytes::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            ctx.invalid(
                "STATEMENT",
                pattern,
                format!("Unsupported regex pattern: {e}"),
            )
        })
}

pub(crate) fn chain(
    ctx: &Ctx,
    list: &[TextTransformation],
) -> Result<Vec<TextTransformationType>, CompileError> {
    if list.is_empty() {
        return Err(ctx.invalid(
            "TEXT_TRANSFORMATION",
            "TextTransformations",
            "At least one text transformation is required (use NONE).",
        ));
    }
    if list.len() > MAX_TRANSFORMATIONS {
        return Err(ctx.invalid(
            "TEXT_TRANSFORMATION",
            "TextTransformations",
            "A statement takes at most 10 text transformations.",
        ));
    }
    let mut seen = HashSet::new();
    if let Some(dup) = list.iter().find(|t| !seen.insert(t.priority)) {
        return Err(ctx.invalid(
            "TEXT_TRANSFORMATION",
            dup.priority.to_string(),
            "The priorities of a statement's text transformations must all be different.",
        ));
    }
    Ok(transform::ordered(list))
}

fn inspect(
    ctx: &Ctx,
    field: &FieldToMatch,
    tt: &[TextTransformation],
    matcher: Matcher,
) -> Result<CStatement, CompileError> {
    Ok(CStatement::Inspect(Box::new(Inspect {
        field: compile_field(ctx, field)?,
        chain: chain(ctx, tt)?,
        matcher,
    })))
}

fn name_filter(
    ctx: &Ctx,
    all: bool,
    inc: &Option<Vec<String>>,
    exc: &Option<Vec<String>>,
    fold: bool,
    field: &'static str,
) -> Result<NameFilter, CompileError> {
    let norm = |v: &Vec<String>| {
        v.iter()
            .map(|n| {
                if fold {
                    n.to_ascii_lowercase()
                } else {
                    n.clone()
                }
            })
            .collect()
    };
    match (all, inc, exc) {
        (true, None, None) => Ok(NameFilter::All),
        (false, Some(i), None) => Ok(NameFilter::Include(norm(i))),
        (false, None, Some(e)) => Ok(NameFilter::Exclude(norm(e))),
        _ => Err(ctx.invalid(
            field,
            "MatchPattern",
            "Set exactly one of All, Included... or Excluded...",
        )),
    }
}

/// Compiles a `FieldToMatch`.
pub(crate) fn compile_field(ctx: &Ctx, f: &FieldToMatch) -> Result<CField, CompileError> {
    let mut out: Vec<CField> = Vec::new();
    if let Some(h) = &f.single_header {
        out.push(CField::SingleHeader(h.name.to_ascii_lowercase()));
    }
    if let Some(q) = &f.single_query_argument {
        out.push(CField::SingleQueryArgument(q.name.to_ascii_lowercase()));
    }
    if f.all_query_arguments.is_some() {
        out.push(CField::AllQueryArguments);
    }
    if f.uri_path.is_some() {
        out.push(CField::UriPath);
    }
    if f.query_string.is_some() {
        out.push(CField::QueryString);
    }
    if f.method.is_some() {
        out.push(CField::Method);
    }
    if let Some(b) = &f.body {
        out.push(CField::Body(b.oversize_handling.unwrap_or_default()));
    }
    if let Some(j) = &f.json_body {
        out.push(json_body(ctx, j)?);
    }
    if let Some(h) = &f.headers {
        let p = &h.match_pattern;
        let filter = name_filter(
            ctx,
            p.all.is_some(),
            &p.included_headers,
            &p.excluded_headers,
            true,
            "HEADER_MATCH_PATTERN",
        )?;
        out.push(CField::Headers {
            filter,
            scope: h.match_scope,
            oversize: h.oversize_handling,
        });
    }
    if let Some(c) = &f.cookies {
        let p = &c.match_pattern;
        let filter = name_filter(
            ctx,
            p.all.is_some(),
            &p.included_cookies,
            &p.excluded_cookies,
            false,
            "COOKIE_MATCH_PATTERN",
        )?;
        out.push(CField::Cookies {
            filter,
            scope: c.match_scope,
            oversize: c.oversize_handling,
        });
    }
    if let Some(h) = &f.header_order {
        out.push(CField::HeaderOrder(h.oversize_handling));
    }
    if let Some(j) = &f.ja3_fingerprint {
        out.push(CField::Ja3(j.fallback_behavior));
    }
    if let Some(j) = &f.ja4_fingerprint {
        out.push(CField::Ja4(j.fallback_behavior));
    }
    if let Some(u) = &f.uri_fragment {
        out.push(CField::UriFragment(
            u.fallback_behavior.unwrap_or(FallbackBehavior::NoMatch),
        ));
    }
    match out.len() {
        1 => Ok(out.remove(0)),
        n => Err(ctx.invalid(
            "FIELD_TO_MATCH",
            "FieldToMatch",
            format!("FieldToMatch must set exactly one request component; {n} are set."),
        )),
    }
}

fn json_body(ctx: &Ctx, j: &JsonBody) -> Result<CField, CompileError> {
    let p = &j.match_pattern;
    let pattern = match (&p.all, &p.included_paths) {
        (Some(_), None) => JsonPattern::All,
        (None, Some(paths)) if !paths.is_empty() => {
            let valid = paths
                .iter()
                .all(|s| s == "/" || (s.starts_with('/') && !s.contains("~2")));
            if !valid {
                return Err(ctx.invalid(
                    "JSON_MATCH_PATTERN",
                    "IncludedPaths",
                    "IncludedPaths must be JSON Pointers.",
                ));
            }
            JsonPattern::Paths(
                paths
                    .iter()
                    .map(|s| if s == "/" { String::new() } else { s.clone() })
                    .collect(),
            )
        }
        _ => {
            return Err(ctx.invalid(
                "JSON_MATCH_PATTERN",
                "MatchPattern",
                "Set exactly one of All or IncludedPaths.",
            ))
        }
    };
    Ok(CField::JsonBody {
        pattern,
        scope: j.match_scope,
        fallback: j.invalid_fallback_behavior,
        oversize: j.oversize_handling.unwrap_or_default(),
    })
}

pub(crate) fn fwd(ctx: &Ctx, f: &ForwardedIpConfig) -> Result<Fwd, CompileError> {
    header_name(ctx, &f.header_name, "FORWARDED_IP_CONFIG")?;
    Ok(Fwd {
        header: f.header_name.to_ascii_lowercase(),
        fallback: f.fallback_behavior,
    })
}

fn header_name(ctx: &Ctx, name: &str, field: &'static str) -> Result<(), CompileError> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ctx.invalid(field, name, "The header name must match ^[a-zA-Z0-9-]+$."))
    }
}

fn geo(ctx: &Ctx, g: &GeoMatchStatement) -> Result<CStatement, CompileError> {
    let codes = g.country_codes.as_deref().unwrap_or_default();
    if codes.is_empty() {
        return Err(ctx.invalid(
            "GEO_MATCH_STATEMENT",
            "CountryCodes",
            "CountryCodes needs at least one country.",
        ));
    }
    if let Some(bad) = codes
        .iter()
        .find(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(ctx.invalid(
            "GEO_MATCH_STATEMENT",
            bad.clone(),
            "Country codes are ISO 3166 alpha-2 codes.",
        ));
    }
    let fwd = g
        .forwarded_ip_config
        .as_ref()
        .map(|f| fwd(ctx, f))
        .transpose()?;
    Ok(CStatement::Geo {
        countries: codes.iter().cloned().collect(),
        fwd,
    })
}

fn ip_set(ctx: &Ctx, i: &IpSetReferenceStatement) -> Result<CStatement, CompileError> {
    let set = ctx.ip_set(&i.arn)?;
    let fwd = match &i.ip_set_forwarded_ip_config {
        Some(c) => {
            header_name(ctx, &c.header_name, "IP_SET_FORWARDED_IP_CONFIG")?;
            Some((
                Fwd {
                    header: c.header_name.to_ascii_lowercase(),
                    fallback: c.fallback_behavior,
                },
                c.position,
            ))
        }
        None => None,
    };
    Ok(CStatement::IpSet { set, fwd })
}

/// Compiles an IP set's addresses; refuses `/0` and malformed CIDRs as AWS does.
pub(crate) fn ip_matcher(set: &IpSet) -> Result<IpMatcher, (String, &'static str)> {
    if set.addresses.len() > 10_000 {
        return Err((
            set.name.clone(),
            "An IP set holds at most 10,000 addresses.",
        ));
    }
    let mut nets = Vec::with_capacity(set.addresses.len());
    for a in &set.addresses {
        let net: ipnet::IpNet = a
            .trim()
            .parse()
            .map_err(|_| (a.clone(), "Not a CIDR block."))?;
        let v4 = matches!(net, ipnet::IpNet::V4(_));
        if v4 != (set.ip_address_version == IpAddressVersion::Ipv4) {
            return Err((
                a.clone(),
                "The address does not match the set's IPAddressVersion.",
            ));
        }
        if net.prefix_len() == 0 {
            return Err((a.clone(), "AWS WAF supports all CIDR ranges except /0."));
        }
        nets.push(net.trunc());
    }
    Ok(IpMatcher { nets })
}
