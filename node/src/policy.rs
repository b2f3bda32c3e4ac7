//! IAM policy documents, as API Gateway evaluates them for Lambda authorizer
//! results and resource policies: `Effect`, `Action`, `Resource` with `*`
//! and `?` wildcards, anonymous `Principal`, and the `IpAddress` /
//! `NotIpAddress` conditions on `aws:SourceIp`. An explicit Deny wins over
//! any Allow; no matching Allow is an implicit deny.
//!
//! A statement with a condition this engine does not know fails closed: an
//! Allow with it never matches, a Deny with it always does.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

/// The outcome of evaluating a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
    /// `None`: no Principal given (authorizer policies); `Some(false)`: a
    /// principal other than everyone.
    anyone: Option<bool>,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    SourceIpIn(Vec<IpNet>),
    SourceIpNotIn(Vec<IpNet>),
    Unsupported,
}

/// What a request looks like to a policy.
pub struct Subject<'a> {
    pub action: &'a str,
    /// The method ARN.
    pub resource: &'a str,
    pub source_ip: IpAddr,
    /// Whether the caller is anonymous (resource policies without IAM auth).
    pub anonymous: bool,
    /// `arn:aws:execute-api:{region}:{account}:{api-id}`, for resources
    /// written `execute-api:/stage/METHOD/path`.
    pub arn_prefix: &'a str,
}

impl Policy {
    /// Parses a policy document.
    pub fn parse(doc: &Value) -> Result<Policy, String> {
        let doc = match doc {
            Value::String(text) => {
                &serde_json::from_str(text).map_err(|e| format!("the policy is not JSON: {e}"))?
            }
            other => other,
        };
        let statements = match doc.get("Statement") {
            Some(Value::Array(items)) => items.clone(),
            Some(single @ Value::Object(_)) => vec![single.clone()],
            _ => return Err("the policy has no Statement".into()),
        };
        let statements = statements
            .iter()
            .enumerate()
            .map(|(i, s)| statement(s).map_err(|e| format!("Statement[{i}]: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Policy { statements })
    }

    /// Evaluates the policy for a request.
    pub fn evaluate(&self, subject: &Subject<'_>) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            if s.anyone == Some(false) && subject.anonymous {
                continue;
            }
            let action = s.actions.iter().any(|a| {
                wildcard(
                    &a.to_ascii_lowercase(),
                    &subject.action.to_ascii_lowercase(),
                )
            });
            let resource = s
                .resources
                .iter()
                .any(|r| match r.strip_prefix("execute-api:") {
                    // `execute-api:/stage/GET/path` names this API's methods.
                    Some(rest) if rest.starts_with('/') => {
                        wildcard(&format!("{}{rest}", subject.arn_prefix), subject.resource)
                    }
                    _ => wildcard(r, subject.resource),
                });
            if !(action && resource) {
                continue;
            }
            let conditions = s.conditions.iter().all(|c| match c {
                Condition::SourceIpIn(nets) => nets.iter().any(|n| n.contains(&subject.source_ip)),
                Condition::SourceIpNotIn(nets) => {
                    !nets.iter().any(|n| n.contains(&subject.source_ip))
                }
                Condition::Unsupported => !s.allow,
            });
            if !conditions {
                continue;
            }
            if !s.allow {
                return Decision::ExplicitDeny;
            }
            allowed = true;
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn statement(s: &Value) -> Result<Statement, String> {
    let allow = match s.get("Effect").and_then(Value::as_str) {
        Some(e) if e.eq_ignore_ascii_case("allow") => true,
        Some(e) if e.eq_ignore_ascii_case("deny") => false,
        _ => return Err("Effect must be Allow or Deny".into()),
    };
    let actions = strings(s.get("Action"));
    if actions.is_empty() {
        return Err("Action is missing".into());
    }
    let resources = strings(s.get("Resource"));
    if resources.is_empty() {
        return Err("Resource is missing".into());
    }
    let anyone = s.get("Principal").map(|p| match p {
        Value::String(s) => s == "*",
        Value::Object(o) => o
            .get("AWS")
            .is_some_and(|a| strings(Some(a)).iter().any(|x| x == "*")),
        _ => false,
    });
    let mut conditions = Vec::new();
    if let Some(Value::Object(ops)) = s.get("Condition") {
        for (op, keys) in ops {
            let Value::Object(keys) = keys else {
                conditions.push(Condition::Unsupported);
                continue;
            };
            for (key, values) in keys {
                let is_ip = key.eq_ignore_ascii_case("aws:SourceIp");
                let nets = || -> Result<Vec<IpNet>, String> {
                    strings(Some(values))
                        .iter()
                        .map(|v| {
                            v.parse::<IpNet>()
                                .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
                                .map_err(|_| format!("`{v}` is not an IP address or CIDR"))
                        })
                        .collect()
                };
                conditions.push(match op.as_str() {
                    "IpAddress" if is_ip => Condition::SourceIpIn(nets()?),
                    "NotIpAddress" if is_ip => Condition::SourceIpNotIn(nets()?),
                    _ => Condition::Unsupported,
                });
            }
        }
    }
    Ok(Statement {
        allow,
        actions,
        resources,
        anyone,
        conditions,
    })
}

/// `*` matches any run of characters, `?` one character.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:api1";

    fn subject<'a>(resource: &'a str, ip: &str) -> Subject<'a> {
        Subject {
            action: "execute-api:Invoke",
            resource,
            source_ip: ip.parse().expect("ip"),
            anonymous: true,
            arn_prefix: ARN,
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(
            "arn:*:execute-api:*:*:api1/*/GET/*",
            "arn:aws:execute-api:us-east-1:1:api1/prod/GET/pets/1"
        ));
        assert!(!wildcard("arn:*/POST/*", "arn:aws/prod/GET/pets"));
        assert!(wildcard("a?c", "abc"));
        assert!(wildcard("*", ""));
    }

    #[test]
    fn ip_conditions_and_deny_wins() {
        let policy = Policy::parse(
            &json!({
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
                    {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                     "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.7"]}}}
                ]
            }),
        )
        .expect("parses");
        let method = format!("{ARN}/prod/GET/pets");
        assert_eq!(
            policy.evaluate(&subject(&method, "10.1.2.3")),
            Decision::Allow
        );
        assert_eq!(
            policy.evaluate(&subject(&method, "192.168.1.7")),
            Decision::Allow
        );
        assert_eq!(
            policy.evaluate(&subject(&method, "8.8.8.8")),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn authorizer_policies() {
        let policy = Policy::parse(
            &json!({"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": format!("{ARN}/prod/GET/*")}]}),
        )
        .expect("parses");
        assert_eq!(
            policy.evaluate(&subject(&format!("{ARN}/prod/GET/pets"), "1.1.1.1")),
            Decision::Allow
        );
        assert_eq!(
            policy.evaluate(&subject(&format!("{ARN}/prod/POST/pets"), "1.1.1.1")),
            Decision::ImplicitDeny
        );
        assert!(Policy::parse(
            &json!({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]})
        )
        .is_err());
        let unknown = Policy::parse(
            &json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "v"}}}]}),
        )
        .expect("parses");
        assert_eq!(
            unknown.evaluate(&subject("x", "1.1.1.1")),
            Decision::ImplicitDeny,
            "unknown conditions fail closed"
        );
    }
}
