//! Bad input is refused at compile time, naming the rule and the reason in
//! AWS's terms (exception, field, parameter).

mod common;
use apigw_waf::*;
use common::*;
use serde_json::{json, Value};

fn byte(s: &str) -> Value {
    json!({"ByteMatchStatement": {"SearchString": s, "FieldToMatch": {"UriPath": {}},
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS"}})
}

fn rule(name: &str, prio: i64, st: Value) -> Value {
    json!({"Name": name, "Priority": prio, "Statement": st, "Action": {"Block": {}}, "VisibilityConfig": vis(name)})
}

fn refuse(rules: Value) -> CompileError {
    refuse_with(rules, &CompileOptions::default())
}

fn refuse_with(rules: Value, opts: &CompileOptions) -> CompileError {
    match compile_json(&acl_with(rules, "Allow"), &Resources::default(), opts) {
        Ok(_) => panic!("compiled, expected a refusal"),
        Err(e) => e,
    }
}

fn regex(p: &str) -> Value {
    json!({"RegexMatchStatement": {"RegexString": p, "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}})
}

#[test]
fn regexes_that_need_backtracking() {
    let e = refuse(json!([
        rule("ok", 0, byte("a")),
        rule("lookahead", 1, regex("^(?=admin)"))
    ]));
    assert_eq!(
        (e.exception.code(), e.rule.as_deref(), e.field),
        (
            "WAFInvalidParameterException",
            Some("lookahead"),
            "STATEMENT"
        )
    );
    assert!(e.reason.contains("look-around"), "{}", e.reason);
    assert_eq!(e.parameter, "^(?=admin)");
    let e = refuse(json!([rule("backref", 0, regex(r"(a)\1"))]));
    assert!(e.reason.contains("backreferences"), "{}", e.reason);
    let e = refuse(json!([rule("bad", 0, regex("(unclosed"))]));
    assert!(e.reason.contains("not a valid regex"), "{}", e.reason);
    assert!(
        e.aws_message()
            .starts_with("Error reason: Unsupported regex pattern"),
        "{}",
        e.aws_message()
    );
}

#[test]
fn duplicate_priorities_and_names() {
    let e = refuse(json!([rule("a", 1, byte("x")), rule("b", 1, byte("y"))]));
    assert_eq!(
        (e.rule.as_deref(), e.field, e.parameter.as_str()),
        (Some("b"), "RULE", "1")
    );
    let e = refuse(json!([rule("a", 1, byte("x")), rule("a", 2, byte("y"))]));
    assert!(e.reason.contains("Duplicate rule name"), "{}", e.reason);
}

fn managed(name: &str, version: Option<&str>) -> Value {
    let mut s = json!({"VendorName": "AWS", "Name": name});
    if let Some(v) = version {
        s["Version"] = json!(v);
    }
    json!({"Name": "m", "Priority": 0, "Statement": {"ManagedRuleGroupStatement": s}, "OverrideAction": {"None": {}}, "VisibilityConfig": vis("m")})
}

#[test]
fn unknown_managed_group_or_version() {
    let e = refuse(json!([managed("AWSManagedRulesBotControlRuleSet", None)]));
    assert_eq!(
        (e.rule.as_deref(), e.field),
        (Some("m"), "MANAGED_RULE_SET")
    );
    let e = refuse(json!([managed(
        "AWSManagedRulesCommonRuleSet",
        Some("Version_9.9")
    )]));
    assert_eq!(e.parameter, "Version_9.9");
    let e = refuse(json!([managed(
        "AWSManagedRulesAmazonIpReputationList",
        Some("Version_1.0")
    )]));
    assert!(e.reason.contains("no version"), "unversioned group");
    let mut excl = managed("AWSManagedRulesSQLiRuleSet", None);
    excl["Statement"]["ManagedRuleGroupStatement"]["ExcludedRules"] =
        json!([{"Name": "NoSuchRule"}]);
    let e = refuse(json!([excl]));
    assert_eq!(
        (e.field, e.parameter.as_str()),
        ("EXCLUDED_RULE", "NoSuchRule")
    );
}

#[test]
fn nesting_beyond_the_limit_and_non_nestable_statements() {
    let mut s = byte("x");
    for _ in 0..25 {
        s = json!({"NotStatement": {"Statement": s}});
    }
    let e = refuse(json!([rule("deep", 0, s)]));
    assert_eq!(e.rule.as_deref(), Some("deep"));
    assert!(e.reason.contains("nested more than 20"), "{}", e.reason);
    let nested_rate = json!({"NotStatement": {"Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}}});
    let e = refuse(json!([rule("nested-rate", 0, nested_rate)]));
    assert!(e.reason.contains("can't be nested"), "{}", e.reason);
    let two = json!({"ByteMatchStatement": byte("x")["ByteMatchStatement"], "GeoMatchStatement": {"CountryCodes": ["US"]}});
    let e = refuse(json!([rule("two", 0, two)]));
    assert!(
        e.reason.contains("exactly one statement type"),
        "{}",
        e.reason
    );
}

#[test]
fn capacity_over_the_limit() {
    let many: Vec<Value> = (0..8)
        .map(|i| json!({"Name": format!("x{i}"), "Priority": i, "Action": {"Block": {}}, "VisibilityConfig": vis("x"),
            "Statement": {"XssMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}},
                "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "HTML_ENTITY_DECODE"}]}}}))
        .collect();
    // 8 x (40 + 10 + 20) = 560 WCUs.
    let opts = CompileOptions {
        max_capacity: 500,
        ..CompileOptions::default()
    };
    let e = refuse_with(Value::Array(many.clone()), &opts);
    assert_eq!(e.exception.code(), "WAFLimitsExceededException");
    assert!(e.reason.contains("560"), "{}", e.reason);
    let ok = compile_json(
        &acl_with(Value::Array(many), "Allow"),
        &Resources::default(),
        &CompileOptions::default(),
    )
    .expect("fits 5000");
    assert_eq!(ok.capacity(), 560);
}

#[test]
fn missing_references_and_bodies() {
    let e = refuse(json!([rule(
        "ipset",
        0,
        json!({"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/x/y"}})
    )]));
    assert_eq!(
        (e.exception.code(), e.rule.as_deref(), e.field),
        ("WAFNonexistentItemException", Some("ipset"), "IP_SET")
    );
    let mut r = rule("custom", 0, byte("x"));
    r["Action"] = json!({"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "nope"}}});
    let e = refuse(json!([r]));
    assert_eq!(
        (e.field, e.parameter.as_str()),
        ("CUSTOM_RESPONSE_BODY", "nope")
    );
}

#[test]
fn parameter_checks() {
    let rate = |limit: i64, window: i64| json!({"RateBasedStatement": {"Limit": limit, "EvaluationWindowSec": window, "AggregateKeyType": "IP"}});
    assert!(refuse(json!([rule("r", 0, rate(5, 60))]))
        .reason
        .contains("Limit"));
    assert!(refuse(json!([rule("r", 0, rate(100, 30))]))
        .reason
        .contains("EvaluationWindowSec"));
    let mut labelled = rule("l", 0, byte("x"));
    labelled["RuleLabels"] = json!([{"Name": "awswaf:mine"}]);
    assert!(refuse(json!([labelled])).reason.contains("reserved"));
    let tts: Vec<Value> = (0..11)
        .map(|i| json!({"Priority": i, "Type": "LOWERCASE"}))
        .collect();
    let mut many = byte("x");
    many["ByteMatchStatement"]["TextTransformations"] = Value::Array(tts);
    assert!(refuse(json!([rule("t", 0, many)]))
        .reason
        .contains("at most 10"));
    let word = json!({"ByteMatchStatement": {"SearchString": "bad bot", "FieldToMatch": {"UriPath": {}},
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS_WORD"}});
    assert!(refuse(json!([rule("w", 0, word)]))
        .reason
        .contains("CONTAINS_WORD"));
    let mut cap = rule("c", 0, byte("x"));
    cap["CaptchaConfig"] = json!({"ImmunityTimeProperty": {"ImmunityTime": 10}});
    assert!(refuse(json!([cap])).reason.contains("ImmunityTime"));
}

#[test]
fn api_dialect_search_string_must_be_base64() {
    let doc = json!({"Name": "a", "DefaultAction": {"Allow": {}}, "VisibilityConfig": vis("a"),
        "Rules": [rule("b64", 0, byte("not base64!"))]});
    let (acl, _) = parse_web_acl(&doc.to_string()).expect("parse");
    let e = compile(&acl, &Resources::default(), &CompileOptions::default()).expect_err("refused");
    assert_eq!(
        (e.rule.as_deref(), e.parameter.as_str()),
        (Some("b64"), "SearchString")
    );
}

#[test]
fn parse_errors_say_what() {
    assert!(matches!(parse_web_acl("{"), Err(ParseError::Json(_))));
    let e = parse_web_acl(r#"{"Name": "x"}"#).expect_err("refused");
    assert!(e.to_string().contains("DefaultAction"), "{e}");
}
