//! Helpers shared by the integration tests: fixtures, requests, evaluation.
#![allow(dead_code)]

use apigw_waf::*;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}"))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("test IP")
}

pub fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// An owned request, borrowed into a RequestView.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub body_len: Option<usize>,
    pub ip: IpAddr,
    pub ja3: Option<String>,
}

impl Req {
    pub fn new(method: &str, target: &str) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Self {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: vec![
                (
                    "Host".into(),
                    b"abc123.execute-api.us-east-1.amazonaws.com".to_vec(),
                ),
                (
                    "User-Agent".into(),
                    b"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0".to_vec(),
                ),
                ("Accept".into(), b"application/json".to_vec()),
            ],
            body: Vec::new(),
            body_len: None,
            ip: ip("192.0.2.10"),
            ja3: None,
        }
    }
    pub fn get(target: &str) -> Self {
        Self::new("GET", target)
    }
    pub fn header(mut self, n: &str, v: &str) -> Self {
        self.headers.push((n.into(), v.as_bytes().to_vec()));
        self
    }
    pub fn without(mut self, n: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(n));
        self
    }
    pub fn body(mut self, content_type: &str, b: &[u8]) -> Self {
        self.body = b.to_vec();
        self.header("Content-Type", content_type)
    }
    pub fn from(mut self, ip_s: &str) -> Self {
        self.ip = ip(ip_s);
        self
    }
    pub fn view(&self) -> RequestView<'_> {
        let mut v = RequestView::new(&self.method, &self.path, self.ip);
        v.query_string = &self.query;
        v.headers = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        v.body = &self.body;
        v.body_len = self.body_len.unwrap_or(self.body.len());
        v.ja3 = self.ja3.as_deref();
        v
    }
}

pub fn compile_json(
    json: &str,
    resources: &Resources,
    opts: &CompileOptions,
) -> Result<CompiledWebAcl, CompileError> {
    let (acl, dialect) = parse_web_acl(json).expect("parse");
    let opts = CompileOptions {
        dialect: dialect.unwrap_or(opts.dialect),
        ..opts.clone()
    };
    compile(&acl, resources, &opts)
}

pub fn eval(acl: &CompiledWebAcl, r: &Req) -> Verdict {
    evaluate(
        acl,
        &r.view(),
        &InMemoryRateCounters::default(),
        &NoGeo,
        at(1_700_000_000),
    )
}

/// A bare web ACL (CloudFormation dialect) around `rules`.
pub fn acl_with(rules: serde_json::Value, default: &str) -> String {
    serde_json::json!({
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {
            "Name": "test-acl",
            "Scope": "REGIONAL",
            "DefaultAction": { default: {} },
            "Rules": rules,
            "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "test-acl"},
        }
    })
    .to_string()
}

pub fn vis(n: &str) -> serde_json::Value {
    serde_json::json!({"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": n})
}

/// A web ACL that runs the named managed groups (priority in order).
pub fn managed_acl(groups: &[&str]) -> CompiledWebAcl {
    let rules: Vec<serde_json::Value> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            serde_json::json!({
                "Name": g, "Priority": i,
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": g}},
                "OverrideAction": {"None": {}},
                "VisibilityConfig": vis(g),
            })
        })
        .collect();
    compile_json(
        &acl_with(serde_json::Value::Array(rules), "Allow"),
        &Resources::default(),
        &CompileOptions::default(),
    )
    .expect("managed ACL compiles")
}

pub fn byte(field: serde_json::Value, s: &str, pos: &str) -> serde_json::Value {
    serde_json::json!({"ByteMatchStatement": {"SearchString": s, "FieldToMatch": field,
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": pos}})
}

pub fn rule(
    name: &str,
    prio: i64,
    st: serde_json::Value,
    action: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({"Name": name, "Priority": prio, "Statement": st, "Action": action, "VisibilityConfig": vis(name)})
}

pub fn build(
    rules: serde_json::Value,
    default: &str,
    bodies: Option<serde_json::Value>,
    opts: &CompileOptions,
) -> CompiledWebAcl {
    let mut doc: serde_json::Value = serde_json::from_str(&acl_with(rules, default)).expect("json");
    if let Some(b) = bodies {
        doc["Properties"]["CustomResponseBodies"] = b;
    }
    compile_json(&doc.to_string(), &Resources::default(), opts).expect("compiles")
}
