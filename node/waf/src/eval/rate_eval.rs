//! Rate-based rules: the scope-down, the aggregation key (requests missing
//! any key component are left out of the rule, as AWS documents), then one
//! count and a comparison with the limit.

use super::statement::{forwarded, matches as stmt_matches, source_ip};
use super::verdict::RateBasedTrace;
use super::Eval;
use crate::compile::types::{CAggregate, CKey, CRate, CRule};
use crate::model::{FallbackBehavior, TextTransformationType};
use crate::rate::RateKey;
use crate::transform;

/// One key component's value, or why there is none.
enum Part {
    Value(Vec<u8>),
    Missing,
    /// Malformed forwarded IP: the fallback decides the whole rule.
    Decided(bool),
}

fn transformed(chain: &[TextTransformationType], v: &[u8]) -> Part {
    if v.is_empty() {
        Part::Missing
    } else {
        Part::Value(transform::apply(chain, v).into_owned())
    }
}

fn fingerprint(v: Option<&str>, f: FallbackBehavior) -> Part {
    match (v, f) {
        (Some(v), _) => Part::Value(v.as_bytes().to_vec()),
        (None, FallbackBehavior::Match) => Part::Value(b"-".to_vec()),
        (None, FallbackBehavior::NoMatch) => Part::Missing,
    }
}

fn forwarded_ip(e: &Eval, r: &CRate) -> Part {
    let Some(f) = &r.fwd else {
        return Part::Missing;
    };
    match forwarded(e, &f.header) {
        None => Part::Missing,
        Some(Ok(list)) if !list.is_empty() => Part::Value(list[0].to_string().into_bytes()),
        Some(_) => Part::Decided(f.fallback == FallbackBehavior::Match),
    }
}

fn part(e: &mut Eval, r: &CRate, k: &CKey) -> Part {
    let p = e.prep;
    match k {
        CKey::Header(n, c) => p.req.header(n).map_or(Part::Missing, |v| transformed(c, v)),
        CKey::Cookie(n, c) => p
            .cookies
            .iter()
            .find(|(k, _)| *k == n.as_bytes())
            .map_or(Part::Missing, |(_, v)| transformed(c, v)),
        CKey::QueryArgument(n, c) => p
            .query_args
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n.as_bytes()))
            .map_or(Part::Missing, |(_, v)| transformed(c, v)),
        CKey::QueryString(c) => transformed(c, p.req.query_string.as_bytes()),
        CKey::UriPath(c) => transformed(c, p.req.uri_path.as_bytes()),
        CKey::Method => Part::Value(p.req.method.as_bytes().to_vec()),
        CKey::Ip => Part::Value(p.req.client_ip.to_string().into_bytes()),
        CKey::ForwardedIp => forwarded_ip(e, r),
        CKey::LabelNamespace(ns) => {
            let mut names: Vec<&str> = e
                .labels
                .iter()
                .filter(|l| l.starts_with(ns.as_str()))
                .map(String::as_str)
                .collect();
            names.sort_unstable();
            if names.is_empty() {
                Part::Missing
            } else {
                Part::Value(names.join(",").into_bytes())
            }
        }
        CKey::Ja3(f) => fingerprint(p.req.ja3, *f),
        CKey::Ja4(f) => fingerprint(p.req.ja4, *f),
        CKey::Asn => match source_ip(e, None) {
            Ok(ip) => e
                .lookup(ip)
                .asn
                .map_or(Part::Missing, |a| Part::Value(a.to_string().into_bytes())),
            Err(_) => Part::Missing,
        },
    }
}

/// The aggregation key as length-prefixed parts (so `a|bc` and `ab|c`
/// differ), with a printable form for the log.
fn key(e: &mut Eval, r: &CRate) -> Result<(Vec<u8>, String), Option<bool>> {
    let parts: Vec<CKey> = match &r.aggregate {
        CAggregate::Constant => return Ok((Vec::new(), String::new())),
        CAggregate::Ip => vec![CKey::Ip],
        CAggregate::ForwardedIp => vec![CKey::ForwardedIp],
        CAggregate::Custom(keys) => keys.clone(),
    };
    let mut bytes = Vec::new();
    let mut shown = Vec::new();
    for k in &parts {
        match part(e, r, k) {
            Part::Value(v) => {
                bytes.extend_from_slice(&(v.len() as u32).to_be_bytes());
                shown.push(String::from_utf8_lossy(&v).into_owned());
                bytes.extend_from_slice(&v);
            }
            Part::Missing => return Err(None),
            Part::Decided(b) => return Err(Some(b)),
        }
    }
    Ok((bytes, shown.join(",")))
}

fn limit_key(a: &CAggregate) -> &'static str {
    match a {
        CAggregate::Ip => "IP",
        CAggregate::ForwardedIp => "FORWARDED_IP",
        CAggregate::Constant => "CONSTANT",
        CAggregate::Custom(_) => "CUSTOM_KEYS",
    }
}

/// Whether the rate-based rule's action applies to this request.
pub(super) fn matches(e: &mut Eval, rule: &CRule, r: &CRate, pending: &mut Vec<String>) -> bool {
    if let Some(s) = &r.scope_down {
        if !stmt_matches(e, s, pending) {
            return false;
        }
    }
    let (bytes, shown) = match key(e, r) {
        Ok(k) => k,
        Err(decided) => return decided.unwrap_or(false),
    };
    let rk = RateKey {
        instance: &r.instance,
        key: &bytes,
        window_sec: r.window_sec,
    };
    e.counters.add(&rk, e.now);
    let over = e.counters.count(&rk, e.now) > r.limit;
    if over {
        e.trace.rate_based.push(RateBasedTrace {
            rule_name: rule.name.clone(),
            limit_key: limit_key(&r.aggregate),
            limit_value: shown,
            max_rate_allowed: r.limit,
            evaluation_window_sec: r.window_sec,
        });
    }
    over
}
