//! Rate-based rules against the in-memory counters: window maths (10 s
//! buckets, 60-600 s windows) and key aggregation (IP, forwarded IP,
//! constant, custom keys, missing components left out).

mod common;
use apigw_waf::rate::{bucket_of, in_window, BUCKET_SEC};
use apigw_waf::*;
use common::*;
use serde_json::json;

fn rate_acl(stmt: serde_json::Value) -> CompiledWebAcl {
    let r = json!({"Name": "rate", "Priority": 0, "Statement": {"RateBasedStatement": stmt},
        "Action": {"Block": {}}, "VisibilityConfig": vis("rate")});
    compile_json(
        &acl_with(json!([r]), "Allow"),
        &Resources::default(),
        &CompileOptions::default(),
    )
    .expect("compiles")
}

#[test]
fn window_maths() {
    assert_eq!(bucket_of(1_700_000_007), 1_700_000_000);
    assert!(in_window(1_700_000_000, 60, 1_700_000_059));
    assert!(
        in_window(1_700_000_000, 60, 1_700_000_069),
        "the bucket still overlaps the window"
    );
    assert!(!in_window(1_700_000_000, 60, 1_700_000_070));
    assert_eq!(BUCKET_SEC, 10);
}

#[test]
fn counts_expire_after_the_window() {
    let acl = rate_acl(json!({"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}));
    let c = InMemoryRateCounters::default();
    let r = Req::get("/");
    let t0 = 1_700_000_000;
    for i in 0..10 {
        assert_eq!(
            evaluate(&acl, &r.view(), &c, &NoGeo, at(t0 + i)).action,
            Action::Allow
        );
    }
    let v = evaluate(&acl, &r.view(), &c, &NoGeo, at(t0 + 20));
    assert_eq!(v.action, Action::Block, "11th request within 60 s");
    let trace = &v.trace.rate_based[0];
    assert_eq!(
        (
            trace.limit_key,
            trace.limit_value.as_str(),
            trace.max_rate_allowed
        ),
        ("IP", "192.0.2.10", 10)
    );
    // 80 s later the first bucket (t0..t0+10) has left the window; 2 requests remain (t0+20, t0+80).
    assert_eq!(
        evaluate(&acl, &r.view(), &c, &NoGeo, at(t0 + 80)).action,
        Action::Allow
    );
    assert_eq!(
        evaluate(&acl, &r.view(), &c, &NoGeo, at(t0 + 81)).action,
        Action::Allow
    );
}

#[test]
fn ip_aggregation_separates_clients() {
    let acl = rate_acl(json!({"Limit": 10, "AggregateKeyType": "IP"}));
    let c = InMemoryRateCounters::default();
    let t = at(1_700_000_000);
    for _ in 0..11 {
        evaluate(&acl, &Req::get("/").view(), &c, &NoGeo, t);
    }
    assert_eq!(
        evaluate(&acl, &Req::get("/").view(), &c, &NoGeo, t).action,
        Action::Block
    );
    assert_eq!(
        evaluate(
            &acl,
            &Req::get("/").from("192.0.2.77").view(),
            &c,
            &NoGeo,
            t
        )
        .action,
        Action::Allow
    );
}

#[test]
fn forwarded_ip_missing_header_is_not_counted_and_malformed_uses_fallback() {
    let acl = rate_acl(json!({"Limit": 10, "AggregateKeyType": "FORWARDED_IP",
        "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}}));
    let c = InMemoryRateCounters::default();
    let t = at(1_700_000_000);
    for _ in 0..20 {
        evaluate(&acl, &Req::get("/").view(), &c, &NoGeo, t);
    }
    assert!(c.is_empty(), "no header: the rule doesn't apply");
    let bad = Req::get("/").header("X-Forwarded-For", "not-an-ip");
    assert_eq!(
        evaluate(&acl, &bad.view(), &c, &NoGeo, t).action,
        Action::Block,
        "fallback MATCH"
    );
    for i in 0..11 {
        let r = Req::get("/")
            .header("X-Forwarded-For", "198.51.100.1, 10.0.0.1")
            .from(&format!("192.0.2.{i}"));
        evaluate(&acl, &r.view(), &c, &NoGeo, t);
    }
    let r = Req::get("/").header("X-Forwarded-For", "198.51.100.1");
    assert_eq!(
        evaluate(&acl, &r.view(), &c, &NoGeo, t).action,
        Action::Block,
        "first address aggregates across origins"
    );
}

#[test]
fn constant_counts_everything_in_scope() {
    let acl = rate_acl(json!({"Limit": 10, "AggregateKeyType": "CONSTANT",
        "ScopeDownStatement": {"ByteMatchStatement": {"SearchString": "/login", "FieldToMatch": {"UriPath": {}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}}));
    let c = InMemoryRateCounters::default();
    let t = at(1_700_000_000);
    for i in 0..10 {
        evaluate(
            &acl,
            &Req::get("/login").from(&format!("192.0.2.{i}")).view(),
            &c,
            &NoGeo,
            t,
        );
        evaluate(&acl, &Req::get("/other").view(), &c, &NoGeo, t);
    }
    assert_eq!(
        evaluate(&acl, &Req::get("/other").view(), &c, &NoGeo, t).action,
        Action::Allow,
        "outside the scope-down"
    );
    assert_eq!(
        evaluate(
            &acl,
            &Req::get("/login").from("192.0.2.200").view(),
            &c,
            &NoGeo,
            t
        )
        .action,
        Action::Block
    );
}

#[test]
fn custom_keys_aggregate_on_the_tuple_and_skip_missing_components() {
    let acl = rate_acl(
        json!({"Limit": 10, "AggregateKeyType": "CUSTOM_KEYS", "CustomKeys": [
            {"HTTPMethod": {}},
            {"QueryArgument": {"Name": "City", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}},
            {"Header": {"Name": "x-api-key", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
            {"IP": {}},
        ]}),
    );
    let c = InMemoryRateCounters::default();
    let t = at(1_700_000_000);
    let req =
        |m: &str, city: &str| Req::new(m, &format!("/w?city={city}")).header("x-api-key", "k1");
    for i in 0..11 {
        let city = if i % 2 == 0 { "Paris" } else { "PARIS" };
        evaluate(&acl, &req("GET", city).view(), &c, &NoGeo, t);
    }
    assert_eq!(
        evaluate(&acl, &req("GET", "paris").view(), &c, &NoGeo, t).action,
        Action::Block,
        "LOWERCASE folds the key"
    );
    assert_eq!(
        evaluate(&acl, &req("POST", "paris").view(), &c, &NoGeo, t).action,
        Action::Allow,
        "another method"
    );
    assert_eq!(
        evaluate(&acl, &req("GET", "lyon").view(), &c, &NoGeo, t).action,
        Action::Allow,
        "another city"
    );
    let before = c.len();
    for _ in 0..20 {
        evaluate(&acl, &Req::get("/w?city=paris").view(), &c, &NoGeo, t);
    }
    assert_eq!(c.len(), before, "a request without x-api-key is left out");
}

#[test]
fn label_namespace_key_uses_earlier_labels() {
    let label_rule = json!({"Name": "tag", "Priority": 0, "Action": {"Count": {}}, "VisibilityConfig": vis("tag"),
        "RuleLabels": [{"Name": "tenant:acme"}],
        "Statement": {"ByteMatchStatement": {"SearchString": "acme", "FieldToMatch": {"SingleHeader": {"Name": "x-tenant"}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}});
    let rate = json!({"Name": "per-tenant", "Priority": 1, "Action": {"Block": {}}, "VisibilityConfig": vis("per-tenant"),
        "Statement": {"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "CUSTOM_KEYS",
            "CustomKeys": [{"LabelNamespace": {"Namespace": "tenant:"}}]}}});
    let acl = compile_json(
        &acl_with(json!([label_rule, rate]), "Allow"),
        &Resources::default(),
        &CompileOptions::default(),
    )
    .expect("compiles");
    let c = InMemoryRateCounters::default();
    let t = at(1_700_000_000);
    for i in 0..10 {
        let r = Req::get("/")
            .header("x-tenant", "acme")
            .from(&format!("192.0.2.{i}"));
        evaluate(&acl, &r.view(), &c, &NoGeo, t);
    }
    let v = evaluate(
        &acl,
        &Req::get("/").header("x-tenant", "acme").view(),
        &c,
        &NoGeo,
        t,
    );
    assert_eq!(v.action, Action::Block);
    assert_eq!(
        v.trace.rate_based[0].limit_value,
        "awswaf:000000000000:webacl:test-acl:tenant:acme"
    );
    assert_eq!(
        evaluate(&acl, &Req::get("/").view(), &c, &NoGeo, t).action,
        Action::Allow,
        "no label: not counted"
    );
}

#[test]
fn counters_are_bounded() {
    let c = InMemoryRateCounters::new(3);
    for i in 0..10u8 {
        let k = [i];
        c.add(
            &RateKey {
                instance: "r",
                key: &k,
                window_sec: 60,
            },
            1_700_000_000,
        );
    }
    assert_eq!(c.len(), 3);
}
