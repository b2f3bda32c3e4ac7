//! Statement evaluation: logical statements, label matching, geo and ASN
//! matching (which label every request they inspect), IP sets, and the
//! forwarded-IP rules AWS documents (header missing: the statement does not
//! apply; malformed: the fallback decides; comma-separated; ANY inspects
//! the last 10 addresses).

use super::Eval;
use crate::compile::types::{CStatement, Fwd};
use crate::eval::inspect;
use crate::geo::GeoInfo;
use crate::model::{FallbackBehavior, ForwardedIpPosition, LabelMatchScope};
use std::net::IpAddr;

/// The addresses in a forwarded-IP header: `None` when the header is
/// absent, `Some(Err(()))` when any address is malformed.
pub(crate) fn forwarded(e: &Eval, header: &str) -> Option<Result<Vec<IpAddr>, ()>> {
    let raw = e.prep.req.header(header)?;
    let text = std::str::from_utf8(raw).map_err(|_| ());
    Some(text.and_then(|t| {
        t.split(',')
            .map(|a| a.trim().parse::<IpAddr>().map_err(|_| ()))
            .collect()
    }))
}

/// The address a statement looks at: the origin, or the first forwarded one.
/// `Err(Some(b))`: decided by the fallback; `Err(None)`: doesn't apply.
pub(crate) fn source_ip(e: &Eval, fwd: Option<&Fwd>) -> Result<IpAddr, Option<bool>> {
    let Some(f) = fwd else {
        return Ok(e.prep.req.client_ip);
    };
    match forwarded(e, &f.header) {
        None => Err(None),
        Some(Err(())) => Err(Some(f.fallback == FallbackBehavior::Match)),
        Some(Ok(list)) => list
            .first()
            .copied()
            .ok_or(Some(f.fallback == FallbackBehavior::Match)),
    }
}

fn geo_labels(info: &GeoInfo, forwarded: bool, pending: &mut Vec<String>) {
    let src = if forwarded { "forwardedip" } else { "clientip" };
    let country = info.country.as_deref().unwrap_or("XX");
    let region = info.region.as_deref().unwrap_or("XX");
    pending.push(format!("awswaf:{src}:geo:country:{country}"));
    pending.push(format!("awswaf:{src}:geo:region:{country}-{region}"));
}

/// Evaluates a statement. Labels that statements add (geo) go to `pending`
/// and reach the request when the rule's evaluation ends.
pub(crate) fn matches(e: &mut Eval, s: &CStatement, pending: &mut Vec<String>) -> bool {
    match s {
        CStatement::Inspect(i) => {
            let (hit, over) = inspect::run(e.prep, i);
            if let Some(f) = over {
                if !e.trace.oversize_fields.contains(&f) {
                    e.trace.oversize_fields.push(f);
                }
            }
            hit
        }
        CStatement::Geo { countries, fwd } => match source_ip(e, fwd.as_ref()) {
            Ok(ip) => {
                let info = e.lookup(ip);
                geo_labels(&info, fwd.is_some(), pending);
                info.country.as_ref().is_some_and(|c| countries.contains(c))
            }
            Err(decided) => decided.unwrap_or(false),
        },
        CStatement::Asn { asns, fwd } => match source_ip(e, fwd.as_ref()) {
            Ok(ip) => e.lookup(ip).asn.is_some_and(|a| asns.contains(&a)),
            Err(decided) => decided.unwrap_or(false),
        },
        CStatement::IpSet { set, fwd: None } => set.contains(e.prep.req.client_ip),
        CStatement::IpSet {
            set,
            fwd: Some((f, pos)),
        } => match forwarded(e, &f.header) {
            None => false,
            Some(Err(())) => f.fallback == FallbackBehavior::Match,
            Some(Ok(list)) => {
                let pick: Vec<IpAddr> = match pos {
                    ForwardedIpPosition::First => list.first().copied().into_iter().collect(),
                    ForwardedIpPosition::Last => list.last().copied().into_iter().collect(),
                    ForwardedIpPosition::Any => list.iter().rev().take(10).copied().collect(),
                };
                pick.into_iter().any(|ip| set.contains(ip))
            }
        },
        CStatement::Label { scope, key } => match scope {
            LabelMatchScope::Label => e.labels.iter().any(|l| l == key),
            LabelMatchScope::Namespace => {
                let ns = if key.ends_with(':') {
                    key.clone()
                } else {
                    format!("{key}:")
                };
                e.labels.iter().any(|l| l.starts_with(&ns))
            }
        },
        CStatement::And(list) => list.iter().all(|s| matches(e, s, pending)),
        CStatement::Or(list) => list.iter().any(|s| matches(e, s, pending)),
        CStatement::Not(s) => !matches(e, s, pending),
    }
}
