//! Evaluation behaviours AWS documents: Count then Block with labels,
//! custom responses and inserted headers, CAPTCHA / Challenge with tokens,
//! group overrides and exclusions, the log record and the tallies.

mod common;
use apigw_waf::*;
use common::*;
use serde_json::json;

#[test]
fn count_adds_labels_and_headers_then_a_label_match_blocks() {
    let mut count = rule(
        "tag-admin",
        0,
        byte(json!({"UriPath": {}}), "/admin", "STARTS_WITH"),
        json!({"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "seen", "Value": "admin"}]}}}),
    );
    count["RuleLabels"] = json!([{"Name": "path:admin"}]);
    let block = rule(
        "block-tagged",
        1,
        json!({"AndStatement": {"Statements": [
            {"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "path:"}},
            {"NotStatement": {"Statement": byte(json!({"SingleHeader": {"Name": "x-ok"}}), "1", "EXACTLY")}}]}}),
        json!({"Block": {}}),
    );
    let acl = build(
        json!([count, block]),
        "Allow",
        None,
        &CompileOptions::default(),
    );
    let v = eval(&acl, &Req::get("/admin/users"));
    assert_eq!(
        (v.action, v.terminating_rule_id.as_str()),
        (Action::Block, "block-tagged")
    );
    assert_eq!(
        v.labels,
        vec!["awswaf:000000000000:webacl:test-acl:path:admin".to_owned()]
    );
    assert_eq!(v.trace.non_terminating[0].rule_id, "tag-admin");
    assert_eq!(
        v.response, None,
        "plain block: the gateway's WAF_FILTERED 403"
    );
    assert_eq!(v.status(), Some(403));
    assert!(
        v.inserted_headers.is_empty(),
        "blocked requests insert nothing"
    );

    let v = eval(&acl, &Req::get("/admin/users").header("x-ok", "1"));
    assert_eq!(v.action, Action::Allow);
    assert_eq!(
        v.inserted_headers,
        vec![("x-amzn-waf-seen".to_owned(), "admin".to_owned())]
    );
}

#[test]
fn later_inserted_header_of_the_same_name_wins() {
    let h = |v: &str| json!({"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "tier", "Value": v}]}}});
    let any = byte(json!({"UriPath": {}}), "/", "STARTS_WITH");
    let acl = build(
        json!([
            rule("a", 0, any.clone(), h("one")),
            rule("b", 1, any, h("two"))
        ]),
        "Allow",
        None,
        &CompileOptions::default(),
    );
    assert_eq!(
        eval(&acl, &Req::get("/x")).inserted_headers,
        vec![("x-amzn-waf-tier".to_owned(), "two".to_owned())]
    );
}

#[test]
fn custom_block_responses_on_rules_and_default_action() {
    let bodies = json!({"blocked": {"ContentType": "TEXT_HTML", "Content": "<h1>no</h1>"}});
    let r = rule(
        "teapot",
        0,
        byte(json!({"QueryString": {}}), "tea", "CONTAINS"),
        json!({"Block": {"CustomResponse": {"ResponseCode": 418, "CustomResponseBodyKey": "blocked",
            "ResponseHeaders": [{"Name": "Retry-After", "Value": "60"}]}}}),
    );
    let mut doc: serde_json::Value =
        serde_json::from_str(&acl_with(json!([r]), "Allow")).expect("json");
    doc["Properties"]["CustomResponseBodies"] = bodies;
    doc["Properties"]["DefaultAction"] =
        json!({"Block": {"CustomResponse": {"ResponseCode": 404}}});
    let acl = compile_json(
        &doc.to_string(),
        &Resources::default(),
        &CompileOptions::default(),
    )
    .expect("compiles");
    let v = eval(&acl, &Req::get("/?q=tea"));
    let resp = v.response.clone().expect("custom");
    assert_eq!(
        (resp.status, resp.body),
        (418, Some(("<h1>no</h1>".to_owned(), "text/html")))
    );
    assert_eq!(
        resp.headers,
        vec![("Retry-After".to_owned(), "60".to_owned())]
    );
    let v = eval(&acl, &Req::get("/?q=coffee"));
    assert_eq!(
        (v.action, v.terminating_rule_id.as_str(), v.status()),
        (Action::Block, "Default_Action", Some(404))
    );
    assert_eq!(v.response.and_then(|r| r.body), None);
}

#[test]
fn captcha_and_challenge_answer_unless_a_valid_token_is_presented() {
    let key = TokenKey::new(b"node key for tests 0123456789");
    let opts = CompileOptions {
        token_key: Some(key.clone()),
        ..CompileOptions::default()
    };
    let mut cap = rule(
        "captcha-login",
        0,
        byte(json!({"UriPath": {}}), "/login", "EXACTLY"),
        json!({"Captcha": {}}),
    );
    cap["CaptchaConfig"] = json!({"ImmunityTimeProperty": {"ImmunityTime": 120}});
    let chal = rule(
        "challenge-all",
        1,
        byte(json!({"UriPath": {}}), "/", "STARTS_WITH"),
        json!({"Challenge": {}}),
    );
    let acl = build(json!([cap, chal]), "Allow", None, &opts);
    let now = 1_700_000_000u64;
    let run = |r: &Req| {
        evaluate(
            &acl,
            &r.view(),
            &InMemoryRateCounters::default(),
            &NoGeo,
            at(now),
        )
    };

    let v = run(&Req::get("/login"));
    assert_eq!((v.action, v.status()), (Action::Captcha, Some(405)));
    let resp = v.response.clone().expect("captcha response");
    assert_eq!(
        resp.headers,
        vec![("x-amzn-waf-action".to_owned(), "captcha".to_owned())]
    );
    assert_eq!(v.challenge_failure, Some((405, "TOKEN_MISSING")));

    let client = ip("192.0.2.10");
    let both = key.issue(
        client,
        TokenTimes {
            challenge: now - 10,
            captcha: now - 100,
        },
    );
    let v = run(&Req::get("/login").header("Cookie", &format!("aws-waf-token={both}")));
    assert_eq!(
        v.action,
        Action::Allow,
        "captcha solved 100 s ago, immunity 120 s"
    );
    assert_eq!(
        v.trace
            .non_terminating
            .iter()
            .map(|m| m.action)
            .collect::<Vec<_>>(),
        ["CAPTCHA", "CHALLENGE"]
    );

    let stale = key.issue(
        client,
        TokenTimes {
            challenge: now - 10,
            captcha: now - 121,
        },
    );
    let v = run(&Req::get("/login").header("x-aws-waf-token", &stale));
    assert_eq!(
        (v.action, v.challenge_failure),
        (Action::Captcha, Some((405, "TOKEN_EXPIRED")))
    );

    let v = run(&Req::get("/pets"));
    assert_eq!((v.action, v.status()), (Action::Challenge, Some(202)));
    let ch = key.issue(
        client,
        TokenTimes {
            challenge: now - 299,
            captcha: 0,
        },
    );
    assert_eq!(
        run(&Req::get("/pets").header("x-aws-waf-token", &ch)).action,
        Action::Allow,
        "default immunity 300 s"
    );
    let other_ip = key.issue(
        ip("192.0.2.11"),
        TokenTimes {
            challenge: now,
            captcha: 0,
        },
    );
    let v = run(&Req::get("/pets").header("x-aws-waf-token", &other_ip));
    assert_eq!(v.challenge_failure, Some((202, "TOKEN_INVALID")));
}

#[test]
fn managed_group_exclusions_and_overrides() {
    let mk = |extra: serde_json::Value, override_action: serde_json::Value| {
        let mut stmt = json!({"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            stmt[k] = v.clone();
        }
        let r = json!({"Name": "kbi", "Priority": 0, "Statement": {"ManagedRuleGroupStatement": stmt},
            "OverrideAction": override_action, "VisibilityConfig": vis("kbi")});
        build(json!([r]), "Allow", None, &CompileOptions::default())
    };
    let req = Req::new("PROPFIND", "/x");
    let plain = mk(json!({}), json!({"None": {}}));
    let v = eval(&plain, &req);
    assert_eq!(
        (v.action, v.terminating_rule_type),
        (Action::Block, RuleType::ManagedRuleGroup)
    );
    assert_eq!(
        v.labels,
        vec!["awswaf:managed:aws:known-bad-inputs:Propfind_Method".to_owned()]
    );
    assert_eq!(
        v.trace.rule_groups[0].rule_group_id,
        "AWS#AWSManagedRulesKnownBadInputsRuleSet"
    );

    let excluded = mk(
        json!({"ExcludedRules": [{"Name": "PROPFIND_METHOD"}]}),
        json!({"None": {}}),
    );
    let v = eval(&excluded, &req);
    assert_eq!(v.action, Action::Allow);
    assert_eq!(v.labels.len(), 1, "excluded rules still label");
    let m = &v.trace.rule_groups[0].non_terminating[0];
    assert_eq!((m.action, m.overridden_action), ("COUNT", Some("BLOCK")));

    let overridden = mk(
        json!({"RuleActionOverrides": [{"Name": "PROPFIND_METHOD", "ActionToUse": {"Challenge": {}}}]}),
        json!({"None": {}}),
    );
    assert_eq!(eval(&overridden, &req).action, Action::Challenge);
    let counted = mk(json!({}), json!({"Count": {}}));
    assert_eq!(eval(&counted, &req).action, Action::Allow);
    let scoped = mk(
        json!({"ScopeDownStatement": byte(json!({"UriPath": {}}), "/only", "STARTS_WITH")}),
        json!({"None": {}}),
    );
    assert_eq!(
        eval(&scoped, &req).action,
        Action::Allow,
        "outside the scope-down"
    );
    assert_eq!(
        eval(&scoped, &Req::new("PROPFIND", "/only/x")).action,
        Action::Block
    );
}

#[test]
fn log_record_has_aws_fields_and_tallies_count() {
    let acl = managed_acl(&["AWSManagedRulesKnownBadInputsRuleSet"]);
    let req = Req::new("PROPFIND", "/x").header("Cookie", "a=1");
    let v = eval(&acl, &req);
    let rec = log::record(
        &req.view(),
        &v,
        &LogContext {
            timestamp_ms: 1_700_000_000_123,
            request_id: "req-1",
            http_source_id: "abc123:prod",
        },
    );
    assert_eq!(rec["timestamp"], 1_700_000_000_123u64);
    assert_eq!(rec["formatVersion"], 1);
    assert_eq!(
        rec["terminatingRuleId"],
        "AWSManagedRulesKnownBadInputsRuleSet"
    );
    assert_eq!(rec["terminatingRuleType"], "MANAGED_RULE_GROUP");
    assert_eq!(rec["action"], "BLOCK");
    assert_eq!(rec["httpSourceName"], "APIGW");
    assert_eq!(
        rec["ruleGroupList"][0]["terminatingRule"]["ruleId"],
        "PROPFIND_METHOD"
    );
    assert_eq!(rec["httpRequest"]["httpMethod"], "PROPFIND");
    assert_eq!(rec["httpRequest"]["country"], "-");
    assert_eq!(rec["httpRequest"]["headers"][0]["name"], "Host");
    assert_eq!(
        rec["labels"][0]["name"],
        "awswaf:managed:aws:known-bad-inputs:Propfind_Method"
    );
    for k in [
        "webaclId",
        "httpSourceId",
        "rateBasedRuleList",
        "nonTerminatingMatchingRules",
        "requestHeadersInserted",
        "responseCodeSent",
    ] {
        assert!(rec.get(k).is_some(), "{k}");
    }
    let tallies = Tallies::default();
    tallies.record(&v);
    tallies.record(&eval(&acl, &Req::get("/fine")));
    let snap = tallies.snapshot();
    assert_eq!(
        snap["ALL"],
        Counts {
            allowed: 1,
            blocked: 1,
            ..Counts::default()
        }
    );
    assert_eq!(snap["PROPFIND_METHOD"].blocked, 1);
    assert_eq!(
        snap["test-acl"].allowed, 1,
        "the default action under the ACL's metric name"
    );
}
