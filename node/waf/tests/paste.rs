//! A pasted `get-web-acl` output with one rule of each statement type:
//! it parses, serializes back unchanged, compiles with its referenced
//! resources, and each rule fires on the request meant for it.

mod common;
use apigw_waf::*;
use common::*;
use std::collections::HashMap;

fn resources() -> Resources {
    let mut r = Resources::default();
    let (rg, _) = parse_rule_group(&fixture("own-group.json")).expect("rule group");
    r.add_rule_group("", rg);
    r.add_ip_set(
        "",
        parse_ip_set(&fixture("blocked-ipset.json")).expect("ip set"),
    );
    r.add_regex_pattern_set(
        "",
        parse_regex_pattern_set(&fixture("paths-regexset.json")).expect("regex set"),
    );
    r
}

fn geo() -> StaticGeo {
    let us = GeoInfo {
        country: Some("US".into()),
        region: Some("OR".into()),
        asn: Some(64501),
    };
    let bad_asn = GeoInfo {
        country: Some("DE".into()),
        region: None,
        asn: Some(64500),
    };
    StaticGeo(HashMap::from([
        (ip("192.0.2.10"), us),
        (ip("192.0.2.99"), bad_asn),
    ]))
}

fn compiled() -> CompiledWebAcl {
    compile_json(
        &fixture("all-statements.json"),
        &resources(),
        &CompileOptions::default(),
    )
    .expect("compiles")
}

fn run(acl: &CompiledWebAcl, r: &Req) -> Verdict {
    evaluate(
        acl,
        &r.view(),
        &InMemoryRateCounters::default(),
        &geo(),
        at(1_700_000_000),
    )
}

#[test]
fn round_trip_keeps_every_member() {
    let text = fixture("all-statements.json");
    let (acl, dialect) = parse_web_acl(&text).expect("parses");
    assert_eq!(
        dialect,
        Some(Dialect::Api),
        "get-web-acl output is the API dialect"
    );
    let original: serde_json::Value = serde_json::from_str(&text).expect("json");
    let back = serde_json::to_value(&acl).expect("serializes");
    assert_eq!(back, original["WebACL"], "serialized back unchanged");
    assert_eq!(acl.rules.as_ref().map(Vec::len), Some(14));
}

#[test]
fn compiles_and_reports_capacity() {
    let acl = compiled();
    // geo 1 + byte CONTAINS 10+10 + sqli 20+20+10 (all args) + xss 40 + size 1 + ipset 1
    // + regex set 25+10 + rate 2 + and/or/not 2+2+2 + label 1 + regex 3 + asn 1
    // + own group 50 + KnownBadInputs 200
    assert_eq!(
        acl.capacity(),
        1 + 20 + 50 + 40 + 1 + 1 + 35 + 2 + 6 + 1 + 3 + 1 + 50 + 200
    );
    assert_eq!(acl.body_limit(), 16 * 1024);
}

fn terminating(r: &Req) -> (Action, String, Vec<String>) {
    let v = run(&compiled(), r);
    (v.action, v.terminating_rule_id, v.labels)
}

#[test]
fn each_rule_fires_on_its_request() {
    let cases: Vec<(Req, &str)> = vec![
        (
            Req::get("/pets").header("User-Agent", "x BadBot/1.0"),
            "byte-ua",
        ),
        (Req::get("/pets?id=1%27%20OR%20%271%27%3D%271"), "sqli-args"),
        (
            Req::new("POST", "/pets").body("text/plain", b"<script>alert(1)</script>"),
            "xss-body",
        ),
        (Req::get(&format!("/{}", "a".repeat(101))), "size-uri"),
        (Req::get("/pets").from("203.0.113.9"), "ipset-block"),
        (Req::get("/ADMIN/users"), "regexset-path"),
        (Req::new("DELETE", "/pets/1"), "and-or-not"),
        (Req::get("/pets?debug=true"), "regex-q"),
        (Req::get("/pets").from("192.0.2.99"), "asn"),
        (Req::get("/rg-block/x"), "rg"),
        (Req::new("PROPFIND", "/pets"), "managed-kbi"),
    ];
    for (req, rule) in cases {
        let (action, id, _) = terminating(&req);
        assert_eq!(
            (action, id.as_str()),
            (Action::Block, rule),
            "{} {}",
            req.method,
            req.path
        );
    }
    let (action, id, labels) = terminating(&Req::new("DELETE", "/pets/1").header("x-admin", "yes"));
    assert_eq!((action, id.as_str()), (Action::Allow, "Default_Action"));
    assert!(
        labels.contains(&"awswaf:clientip:geo:country:US".to_owned()),
        "{labels:?}"
    );
    assert!(labels.contains(&"awswaf:clientip:geo:region:US-OR".to_owned()));
    assert!(
        labels.contains(&"awswaf:111122223333:webacl:all-statements:from:us".to_owned()),
        "label match then label"
    );
}

#[test]
fn group_rule_terminates_with_its_custom_response_and_labels() {
    let v = run(&compiled(), &Req::get("/rg-block/x"));
    assert_eq!(v.terminating_rule_type, RuleType::Group);
    let resp = v.response.expect("custom response");
    assert_eq!(resp.status, 418);
    assert_eq!(resp.headers, vec![("x-why".to_owned(), "group".to_owned())]);
    assert_eq!(
        resp.body,
        Some((
            "{\"error\":\"denied by group\"}".to_owned(),
            "application/json"
        ))
    );
    assert!(v
        .labels
        .contains(&"awswaf:111122223333:rulegroup:own-group:rg:blocked".to_owned()));
    let g = &v.trace.rule_groups[0];
    assert!(g
        .rule_group_id
        .ends_with("/rulegroup/own-group/77777777-2222-3333-4444-555555555555"));
    assert_eq!(
        g.terminating_rule.as_ref().map(|m| m.rule_id.as_str()),
        Some("rg-block-path")
    );
}

#[test]
fn rate_rule_blocks_the_eleventh_request_in_the_window() {
    let acl = compiled();
    let counters = InMemoryRateCounters::default();
    let r = Req::get("/pets");
    let actions: Vec<Action> = (0..12)
        .map(|i| evaluate(&acl, &r.view(), &counters, &geo(), at(1_700_000_000 + i)).action)
        .collect();
    assert!(
        actions[..10].iter().all(|a| *a == Action::Allow),
        "{actions:?}"
    );
    assert_eq!(&actions[10..], &[Action::Block, Action::Block]);
}

#[test]
fn cloudformation_resource_reads_plain_search_strings() {
    let cfn = acl_with(
        serde_json::json!([{
            "Name": "ua", "Priority": 0, "Action": {"Block": {}}, "VisibilityConfig": vis("ua"),
            "Statement": {"ByteMatchStatement": {"SearchString": "BadBot", "FieldToMatch": {"SingleHeader": {"Name": "User-Agent"}},
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS_WORD"}}
        }]),
        "Allow",
    );
    let acl =
        compile_json(&cfn, &Resources::default(), &CompileOptions::default()).expect("compiles");
    assert_eq!(
        eval(&acl, &Req::get("/").header("User-Agent", "x;BadBot;y")).action,
        Action::Block
    );
    assert_eq!(
        eval(&acl, &Req::get("/").header("User-Agent", "BadBots")).action,
        Action::Allow,
        "CONTAINS_WORD"
    );
}
