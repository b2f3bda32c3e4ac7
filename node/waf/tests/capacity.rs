//! WCU figures as the AWS WAF developer guide gives them per statement,
//! and the capacities AWS publishes for the managed rule groups.

mod common;
use apigw_waf::*;
use common::*;
use serde_json::{json, Value};

fn tt(types: &[&str]) -> Value {
    Value::Array(
        types
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"Priority": i, "Type": t}))
            .collect(),
    )
}

fn capacity(statements: Vec<Value>) -> u64 {
    let rules: Vec<Value> = statements
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let group = s.get("ManagedRuleGroupStatement").is_some() || s.get("RuleGroupReferenceStatement").is_some();
            let mut r = json!({"Name": format!("r{i}"), "Priority": i, "Statement": s, "VisibilityConfig": vis("r")});
            if group {
                r["OverrideAction"] = json!({"None": {}});
            } else {
                r["Action"] = json!({"Count": {}});
            }
            r
        })
        .collect();
    let mut res = Resources::default();
    res.add_ip_set(
        "arn:ipset",
        apigw_waf::model::IpSet {
            name: "s".into(),
            id: None,
            arn: None,
            description: None,
            ip_address_version: apigw_waf::model::IpAddressVersion::Ipv4,
            addresses: vec!["192.0.2.0/24".into()],
        },
    );
    res.add_regex_pattern_set(
        "arn:regex",
        apigw_waf::model::RegexPatternSet {
            name: Some("r".into()),
            id: None,
            arn: None,
            description: None,
            regular_expression_list: Some(vec![apigw_waf::model::RegexEntry {
                regex_string: Some("^a".into()),
            }]),
        },
    );
    let (rg, _) = parse_rule_group(&fixture("own-group.json")).expect("group");
    res.add_rule_group("", rg);
    compile_json(
        &acl_with(Value::Array(rules), "Allow"),
        &res,
        &CompileOptions::default(),
    )
    .expect("compiles")
    .capacity()
}

fn byte(field: Value, pos: &str, t: &[&str]) -> Value {
    json!({"ByteMatchStatement": {"SearchString": "x", "FieldToMatch": field, "TextTransformations": tt(t), "PositionalConstraint": pos}})
}

fn managed(name: &str) -> Value {
    json!({"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}})
}

#[test]
fn statement_figures() {
    let uri = json!({"UriPath": {}});
    let args = json!({"AllQueryArguments": {}});
    let json_all = json!({"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL"}});
    let cases: Vec<(Value, u64)> = vec![
        (byte(uri.clone(), "EXACTLY", &["NONE"]), 2),
        (byte(uri.clone(), "STARTS_WITH", &["LOWERCASE"]), 12),
        (
            byte(
                args.clone(),
                "CONTAINS",
                &["URL_DECODE", "HTML_ENTITY_DECODE"],
            ),
            10 + 10 + 20,
        ),
        (byte(json_all.clone(), "CONTAINS_WORD", &["NONE"]), 20),
        (
            json!({"SqliMatchStatement": {"FieldToMatch": json_all.clone(), "TextTransformations": tt(&["URL_DECODE"]), "SensitivityLevel": "HIGH"}}),
            60 + 10,
        ),
        (
            json!({"SqliMatchStatement": {"FieldToMatch": uri.clone(), "TextTransformations": tt(&["NONE"])}}),
            20,
        ),
        (
            json!({"XssMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": tt(&["HTML_ENTITY_DECODE"])}}),
            50,
        ),
        (
            json!({"SizeConstraintStatement": {"FieldToMatch": args.clone(), "ComparisonOperator": "GT", "Size": 1, "TextTransformations": tt(&["NONE"])}}),
            11,
        ),
        (
            json!({"RegexMatchStatement": {"RegexString": "a+", "FieldToMatch": json_all, "TextTransformations": tt(&["NONE"])}}),
            6,
        ),
        (
            json!({"RegexPatternSetReferenceStatement": {"ARN": "arn:regex", "FieldToMatch": {"QueryString": {}}, "TextTransformations": tt(&["NONE"])}}),
            25,
        ),
        (json!({"GeoMatchStatement": {"CountryCodes": ["US"]}}), 1),
        (
            json!({"LabelMatchStatement": {"Scope": "LABEL", "Key": "a"}}),
            1,
        ),
        (json!({"IPSetReferenceStatement": {"ARN": "arn:ipset"}}), 1),
        (
            json!({"IPSetReferenceStatement": {"ARN": "arn:ipset", "IPSetForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH", "Position": "ANY"}}}),
            5,
        ),
        (
            json!({"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}),
            2,
        ),
        (
            json!({"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "CUSTOM_KEYS", "CustomKeys": [
            {"HTTPMethod": {}}, {"UriPath": {"TextTransformations": tt(&["LOWERCASE"])}}],
            "ScopeDownStatement": {"GeoMatchStatement": {"CountryCodes": ["US"]}}}}),
            2 + 30 + 40 + 1,
        ),
        (
            json!({"AndStatement": {"Statements": [byte(uri.clone(), "EXACTLY", &["NONE"]), {"NotStatement": {"Statement": byte(uri, "CONTAINS", &["NONE"])}}]}}),
            12,
        ),
        (
            json!({"RuleGroupReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/own-group/77777777-2222-3333-4444-555555555555"}}),
            50,
        ),
    ];
    for (s, want) in cases {
        assert_eq!(capacity(vec![s.clone()]), want, "{s}");
    }
}

#[test]
fn managed_group_capacities_as_published() {
    assert_eq!(capacity(vec![managed("AWSManagedRulesCommonRuleSet")]), 700);
    assert_eq!(
        capacity(vec![managed("AWSManagedRulesKnownBadInputsRuleSet")]),
        200
    );
    assert_eq!(capacity(vec![managed("AWSManagedRulesSQLiRuleSet")]), 200);
    assert_eq!(
        capacity(vec![managed("AWSManagedRulesAmazonIpReputationList")]),
        25
    );
    // The console's usual starter ACL: core rule set, known bad inputs, IP reputation.
    let starter = vec![
        managed("AWSManagedRulesCommonRuleSet"),
        managed("AWSManagedRulesKnownBadInputsRuleSet"),
        managed("AWSManagedRulesAmazonIpReputationList"),
    ];
    assert_eq!(capacity(starter), 925);
    let mut scoped = managed("AWSManagedRulesCommonRuleSet");
    scoped["ManagedRuleGroupStatement"]["ScopeDownStatement"] =
        json!({"LabelMatchStatement": {"Scope": "LABEL", "Key": "x"}});
    assert_eq!(capacity(vec![scoped]), 701, "plus the scope-down");
}

#[test]
fn pasted_acl_capacity_matches_its_rules() {
    let (acl, _) = parse_web_acl(&fixture("all-statements.json")).expect("parse");
    assert_eq!(acl.rules.as_ref().map(Vec::len), Some(14));
}

#[test]
fn check_capacity_counts_a_rule_list() {
    let (acl, _) = parse_web_acl(&fixture("all-statements.json")).expect("parse");
    let rules = acl.rules.clone().unwrap_or_default();
    let mut res = Resources::default();
    res.add_rule_group(
        "",
        parse_rule_group(&fixture("own-group.json"))
            .expect("group")
            .0,
    );
    res.add_ip_set(
        "",
        parse_ip_set(&fixture("blocked-ipset.json")).expect("ip set"),
    );
    res.add_regex_pattern_set(
        "",
        parse_regex_pattern_set(&fixture("paths-regexset.json")).expect("regex set"),
    );
    let opts = CompileOptions::default();
    assert_eq!(
        check_capacity(&rules, &res, &opts).expect("capacity"),
        compile(&acl, &res, &opts).expect("compiles").capacity()
    );
    assert_eq!(
        check_capacity(&rules[..2], &res, &opts).expect("capacity"),
        1 + 20
    );
}
