//! The `Condition` element: operators, keys, and how a request's facts meet
//! them.
//!
//! Operators: `String{Equals,NotEquals,EqualsIgnoreCase,NotEqualsIgnoreCase,
//! Like,NotLike}`, `Numeric{Equals,NotEquals,LessThan,LessThanEquals,
//! GreaterThan,GreaterThanEquals}`, `Date…` (the same six), `Bool`,
//! `IpAddress` / `NotIpAddress`, `Arn{Equals,Like,NotEquals,NotLike}`, each
//! with an `…IfExists` form, and `Null`.
//!
//! Keys: `aws:SourceIp`, `aws:CurrentTime`, `aws:EpochTime`,
//! `aws:SecureTransport`, `aws:username`, `aws:PrincipalArn`,
//! `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:PrincipalTag/{tag}`,
//! `aws:UserAgent`, `aws:Referer` (names case-insensitive, as in IAM).
//!
//! As IAM evaluates them: the values listed for a key are alternatives (any
//! one matching is enough), the keys of an operator and the operators of a
//! statement must all hold; a negated operator (`…Not…`, `NotIpAddress`)
//! holds when no value matches. A key the request lacks makes an operator
//! false, a negated one true, an `…IfExists` one true. An operator or key
//! this engine does not know is kept as [`Clause::Unknown`]: the statement
//! holding it fails closed (an Allow never applies, a Deny always does).

use std::net::IpAddr;
use std::time::UNIX_EPOCH;

use ipnet::IpNet;
use serde_json::Value;

use super::wildcard::wildcard;
use super::Subject;

/// One operator applied to one key.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Clause {
    Known {
        test: Test,
        negated: bool,
        if_exists: bool,
        key: Key,
        values: Vec<String>,
    },
    /// `Null`: `true` asks for the key to be absent, `false` present.
    Null { key: Key, absent: bool },
    /// An operator or key this engine does not evaluate.
    Unknown { operator: String, key: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Ordering),
    Date(Ordering),
    Bool,
    Ip,
    ArnLike,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ordering {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

/// The condition keys this engine knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Key {
    SourceIp,
    CurrentTime,
    EpochTime,
    SecureTransport,
    Username,
    PrincipalArn,
    PrincipalAccount,
    PrincipalType,
    PrincipalTag(String),
    UserAgent,
    Referer,
}

impl Key {
    fn parse(name: &str) -> Option<Key> {
        let lower = name.to_ascii_lowercase();
        if let Some(tag) = lower.strip_prefix("aws:principaltag/") {
            // Tag keys compare case-insensitively, as IAM's do.
            return Some(Key::PrincipalTag(tag.to_string()));
        }
        Some(match lower.as_str() {
            "aws:sourceip" => Key::SourceIp,
            "aws:currenttime" => Key::CurrentTime,
            "aws:epochtime" => Key::EpochTime,
            "aws:securetransport" => Key::SecureTransport,
            "aws:username" => Key::Username,
            "aws:principalarn" => Key::PrincipalArn,
            "aws:principalaccount" => Key::PrincipalAccount,
            "aws:principaltype" => Key::PrincipalType,
            "aws:useragent" => Key::UserAgent,
            "aws:referer" => Key::Referer,
            _ => return None,
        })
    }
}

/// A key's value in a request.
enum Fact<'a> {
    Text(std::borrow::Cow<'a, str>),
    Ip(IpAddr),
    /// Seconds since the epoch.
    Time(f64),
    Bool(bool),
}

impl Fact<'_> {
    fn text(&self) -> String {
        match self {
            Fact::Text(t) => t.to_string(),
            Fact::Ip(ip) => ip.to_string(),
            Fact::Time(t) => t.to_string(),
            Fact::Bool(b) => b.to_string(),
        }
    }
}

fn fact<'a>(key: &Key, s: &'a Subject<'_>) -> Option<Fact<'a>> {
    let caller = s.caller.as_ref();
    let epoch = || {
        s.now
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64().floor())
    };
    Some(match key {
        Key::SourceIp => Fact::Ip(s.source_ip),
        Key::CurrentTime | Key::EpochTime => Fact::Time(epoch()),
        Key::SecureTransport => Fact::Bool(s.secure_transport),
        Key::Username => Fact::Text(caller?.name.into()),
        Key::PrincipalArn => Fact::Text(caller?.arn.into()),
        Key::PrincipalAccount => Fact::Text(caller?.account.into()),
        Key::PrincipalType => Fact::Text("User".into()),
        Key::PrincipalTag(tag) => Fact::Text(
            caller?
                .tags
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(tag))
                .map(|(_, v)| v.as_str())?
                .into(),
        ),
        Key::UserAgent => Fact::Text(s.user_agent?.into()),
        Key::Referer => Fact::Text(s.referer?.into()),
    })
}

/// Parses one operator block: `{"StringEquals": {"aws:username": ["a"]}}`'s
/// inside, for operator `op`.
pub(super) fn parse(op: &str, keys: &Value) -> Result<Vec<Clause>, String> {
    let Value::Object(keys) = keys else {
        return Err(format!("Condition `{op}` must map keys to values"));
    };
    let mut clauses = Vec::new();
    for (name, values) in keys {
        let values = scalars(values).map_err(|e| format!("Condition `{op}` `{name}`: {e}"))?;
        clauses.push(clause(op, name, values)?);
    }
    Ok(clauses)
}

fn scalars(v: &Value) -> Result<Vec<String>, String> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err("values must be strings, numbers or booleans".to_string()),
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

fn clause(op: &str, name: &str, values: Vec<String>) -> Result<Clause, String> {
    let unknown = || Clause::Unknown {
        operator: op.to_string(),
        key: name.to_string(),
    };
    let Some(key) = Key::parse(name) else {
        return Ok(unknown());
    };
    if op == "Null" {
        let absent = match values.as_slice() {
            [v] if v.eq_ignore_ascii_case("true") => true,
            [v] if v.eq_ignore_ascii_case("false") => false,
            _ => return Err(format!("Condition `Null` `{name}` must be true or false")),
        };
        return Ok(Clause::Null { key, absent });
    }
    let (base, if_exists) = match op.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let Some((test, negated)) = operator(base) else {
        return Ok(unknown());
    };
    check_values(test, name, &values)?;
    Ok(Clause::Known {
        test,
        negated,
        if_exists,
        key,
        values,
    })
}

fn operator(base: &str) -> Option<(Test, bool)> {
    use Ordering::*;
    let ordered = |rest: &str| -> Option<(Ordering, bool)> {
        Some(match rest {
            "Equals" => (Equals, false),
            "NotEquals" => (Equals, true),
            "LessThan" => (LessThan, false),
            "LessThanEquals" => (LessThanEquals, false),
            "GreaterThan" => (GreaterThan, false),
            "GreaterThanEquals" => (GreaterThanEquals, false),
            _ => return None,
        })
    };
    if let Some(rest) = base.strip_prefix("Numeric") {
        return ordered(rest).map(|(o, n)| (Test::Numeric(o), n));
    }
    if let Some(rest) = base.strip_prefix("Date") {
        return ordered(rest).map(|(o, n)| (Test::Date(o), n));
    }
    Some(match base {
        "StringEquals" => (Test::StringEquals, false),
        "StringNotEquals" => (Test::StringEquals, true),
        "StringEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, true),
        "StringLike" => (Test::StringLike, false),
        "StringNotLike" => (Test::StringLike, true),
        "Bool" => (Test::Bool, false),
        "IpAddress" => (Test::Ip, false),
        "NotIpAddress" => (Test::Ip, true),
        "ArnEquals" | "ArnLike" => (Test::ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (Test::ArnLike, true),
        _ => return None,
    })
}

/// Refuses values the operator can never read (a policy with them is a
/// mistake better reported when it is loaded).
fn check_values(test: Test, name: &str, values: &[String]) -> Result<(), String> {
    for v in values {
        let ok = match test {
            Test::Ip => net(v).is_some(),
            Test::Numeric(_) => v.parse::<f64>().is_ok(),
            Test::Date(_) => date(v).is_some(),
            Test::Bool => v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"),
            _ => true,
        };
        if !ok {
            return Err(format!("`{v}` is not a valid value for `{name}` here"));
        }
    }
    Ok(())
}

fn net(v: &str) -> Option<IpNet> {
    v.parse::<IpNet>()
        .ok()
        .or_else(|| v.parse::<IpAddr>().ok().map(IpNet::from))
}

/// ISO 8601 (`2026-12-01T00:00:00Z`, `2026-12-01`) or epoch seconds.
fn date(v: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(n) = v.parse::<f64>() {
        return Some(n);
    }
    if let Ok(t) = time::OffsetDateTime::parse(v, &Rfc3339) {
        return Some(t.unix_timestamp() as f64);
    }
    let day =
        time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(day.midnight().assume_utc().unix_timestamp() as f64)
}

fn compare(o: Ordering, fact: f64, value: f64) -> bool {
    match o {
        Ordering::Equals => fact == value,
        Ordering::LessThan => fact < value,
        Ordering::LessThanEquals => fact <= value,
        Ordering::GreaterThan => fact > value,
        Ordering::GreaterThanEquals => fact >= value,
    }
}

fn matches(test: Test, fact: &Fact<'_>, value: &str) -> bool {
    match (test, fact) {
        (Test::Ip, Fact::Ip(ip)) => net(value).is_some_and(|n| n.contains(ip)),
        (Test::Ip, _) => false,
        (Test::Bool, Fact::Bool(b)) => value.eq_ignore_ascii_case(&b.to_string()),
        (Test::Bool, Fact::Text(t)) => value.eq_ignore_ascii_case(t),
        (Test::Bool, _) => false,
        (Test::Date(o), Fact::Time(t)) => date(value).is_some_and(|v| compare(o, *t, v)),
        (Test::Date(o), Fact::Text(t)) => date(t)
            .zip(date(value))
            .is_some_and(|(f, v)| compare(o, f, v)),
        (Test::Date(_), _) => false,
        (Test::Numeric(o), f) => {
            let number = match f {
                Fact::Time(t) => Some(*t),
                other => other.text().parse::<f64>().ok(),
            };
            number
                .zip(value.parse::<f64>().ok())
                .is_some_and(|(f, v)| compare(o, f, v))
        }
        (Test::StringEquals, f) => f.text() == value,
        (Test::StringEqualsIgnoreCase, f) => f.text().eq_ignore_ascii_case(value),
        (Test::StringLike | Test::ArnLike, f) => wildcard(value, &f.text()),
    }
}

impl Clause {
    /// Whether the clause holds for the request; `None` for an unknown one.
    pub(super) fn holds(&self, s: &Subject<'_>) -> Option<bool> {
        match self {
            Clause::Unknown { .. } => None,
            Clause::Null { key, absent } => Some(fact(key, s).is_none() == *absent),
            Clause::Known {
                test,
                negated,
                if_exists,
                key,
                values,
            } => Some(match fact(key, s) {
                None => *negated || *if_exists,
                Some(f) => values.iter().any(|v| matches(*test, &f, v)) != *negated,
            }),
        }
    }

    /// `operator key` of an unknown clause, for the log.
    pub(super) fn unknown(&self) -> Option<String> {
        match self {
            Clause::Unknown { operator, key } => Some(format!("{operator} {key}")),
            _ => None,
        }
    }
}
