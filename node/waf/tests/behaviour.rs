//! Evaluation behaviours AWS documents: Count then Block with labels,
//! custom responses and inserted headers, CAPTCHA / Challenge with tokens,
//! oversize handling, JSON body fallback, group overrides and exclusions,
//! the log record and the tallies.

mod common;
use apigw_waf::*;
use common::*;
use serde_json::{json, Value};

fn byte(field: serde_json::Value, s: &str, pos: &str) -> serde_json::Value {
    json!({"ByteMatchStatement": {"SearchString": s, "FieldToMatch": field,
        "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": pos}})
}

fn rule(
    name: &str,
    prio: i64,
    st: serde_json::Value,
    action: serde_json::Value,
) -> serde_json::Value {
    json!({"Name": name, "Priority": prio, "Statement": st, "Action": action, "VisibilityConfig": vis(name)})
}

fn build(
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

fn oversize_acl(handling: &str, json_body: bool) -> CompiledWebAcl {
    let field = if json_body {
        json!({"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": handling}})
    } else {
        json!({"Body": {"OversizeHandling": handling}})
    };
    build(
        json!([rule(
            "body-evil",
            0,
            byte(field, "evil", "CONTAINS"),
            json!({"Block": {}})
        )]),
        "Allow",
        None,
        &CompileOptions::default(),
    )
}

#[test]
fn body_oversize_handling_each_option() {
    let mut big = vec![b' '; 20 * 1024];
    big[..14].copy_from_slice(b"{\"a\":\"clean\"} ");
    let tail_evil = {
        let mut b = big.clone();
        b.extend_from_slice(b"evil");
        b
    };
    let head_evil = {
        let mut b = big.clone();
        b[..13].copy_from_slice(b"{\"a\":\"evil\"} ");
        b
    };
    for json_body in [false, true] {
        let run = |h: &str, body: &[u8]| {
            eval(
                &oversize_acl(h, json_body),
                &Req::new("POST", "/").body("application/json", body),
            )
            .action
        };
        assert_eq!(
            run("CONTINUE", &tail_evil),
            Action::Allow,
            "beyond 16 KB is not inspected (json: {json_body})"
        );
        assert_eq!(
            run("CONTINUE", &head_evil),
            Action::Block,
            "within 16 KB is (json: {json_body})"
        );
        assert_eq!(
            run("MATCH", &big),
            Action::Block,
            "oversize matches (json: {json_body})"
        );
        assert_eq!(
            run("NO_MATCH", &head_evil),
            Action::Allow,
            "oversize doesn't match (json: {json_body})"
        );
        assert_eq!(
            run("MATCH", b"{\"a\":\"small\"}"),
            Action::Allow,
            "not oversize (json: {json_body})"
        );
    }
    // The length the client sent decides, even if the gateway holds only the limit.
    let mut r = Req::new("POST", "/").body("text/plain", b"clean");
    r.body_len = Some(1 << 20);
    assert_eq!(
        eval(&oversize_acl("MATCH", false), &r).action,
        Action::Block
    );
    let v = eval(&oversize_acl("MATCH", false), &r);
    assert_eq!(v.trace.oversize_fields, vec!["REQUEST_BODY"]);
}

#[test]
fn association_config_raises_the_body_limit() {
    let mut doc: serde_json::Value = serde_json::from_str(&acl_with(
        json!([rule(
            "evil",
            0,
            byte(
                json!({"Body": {"OversizeHandling": "CONTINUE"}}),
                "evil",
                "CONTAINS"
            ),
            json!({"Block": {}})
        )]),
        "Allow",
    ))
    .expect("json");
    doc["Properties"]["AssociationConfig"] =
        json!({"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_48"}}});
    let acl = compile_json(
        &doc.to_string(),
        &Resources::default(),
        &CompileOptions::default(),
    )
    .expect("compiles");
    assert_eq!(acl.body_limit(), 48 * 1024);
    let mut body = vec![b'x'; 40 * 1024];
    body.extend_from_slice(b"evil");
    assert_eq!(
        eval(&acl, &Req::new("POST", "/").body("text/plain", &body)).action,
        Action::Block
    );
}

fn json_fallback_acl(
    fallback: Option<&str>,
    paths: Option<&[&str]>,
    scope: &str,
) -> CompiledWebAcl {
    let mut jb = json!({"MatchPattern": {"All": {}}, "MatchScope": scope});
    if let Some(p) = paths {
        jb["MatchPattern"] = json!({"IncludedPaths": p});
    }
    if let Some(f) = fallback {
        jb["InvalidFallbackBehavior"] = json!(f);
    }
    build(
        json!([rule(
            "json-evil",
            0,
            byte(json!({"JsonBody": jb}), "evil", "CONTAINS"),
            json!({"Block": {}})
        )]),
        "Allow",
        None,
        &CompileOptions::default(),
    )
}

#[test]
fn json_body_invalid_fallback_behaviours() {
    let invalid_before = br#"{"a": "ok", "b": tru "evil"}"#; // error before "evil"
    let invalid_after = br#"{"a": "evil", "b": }"#; // error after "evil"
    let run = |acl: &CompiledWebAcl, b: &[u8]| {
        eval(acl, &Req::new("POST", "/").body("application/json", b)).action
    };
    let none = json_fallback_acl(None, None, "ALL");
    assert_eq!(
        run(&none, invalid_before),
        Action::Allow,
        "no fallback: parsed part only"
    );
    assert_eq!(
        run(&none, invalid_after),
        Action::Block,
        "no fallback: parsed part is inspected"
    );
    assert_eq!(
        run(
            &json_fallback_acl(Some("MATCH"), None, "ALL"),
            invalid_before
        ),
        Action::Block
    );
    assert_eq!(
        run(
            &json_fallback_acl(Some("NO_MATCH"), None, "ALL"),
            invalid_after
        ),
        Action::Allow
    );
    assert_eq!(
        run(
            &json_fallback_acl(Some("EVALUATE_AS_STRING"), None, "ALL"),
            invalid_before
        ),
        Action::Block
    );
    assert_eq!(
        run(
            &json_fallback_acl(Some("MATCH"), None, "ALL"),
            br#"{"fine": true}"#
        ),
        Action::Allow,
        "valid JSON: no fallback"
    );
    assert_eq!(
        run(&json_fallback_acl(Some("MATCH"), None, "ALL"), b""),
        Action::Allow,
        "no body: no match"
    );
}

#[test]
fn json_body_paths_and_scopes_as_the_guide_example() {
    let body = br#"{"a":{"c":"evil-d","b":{"e":{"evil-f":"evil-g"}}},"evil-top":1}"#;
    let run = |scope: &str, paths: Option<&[&str]>| {
        eval(
            &json_fallback_acl(None, paths, scope),
            &Req::new("POST", "/").body("application/json", body),
        )
        .action
    };
    assert_eq!(
        run("KEY", Some(&["/a/b"])),
        Action::Block,
        "key evil-f is under /a/b"
    );
    assert_eq!(
        run("VALUE", Some(&["/a/b"])),
        Action::Block,
        "value evil-g is under /a/b"
    );
    assert_eq!(run("VALUE", Some(&["/a/c"])), Action::Block);
    assert_eq!(
        run("KEY", Some(&["/a/c"])),
        Action::Allow,
        "the key c itself is not evaluated"
    );
    assert_eq!(run("VALUE", Some(&["/z"])), Action::Allow);
    assert_eq!(run("KEY", None), Action::Block, "evil-top key");
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

#[test]
fn ip_sets_v4_v6_and_forwarded_positions() {
    let mut res = Resources::default();
    let set = |v: &str, a: &[&str]| {
        serde_json::from_value::<apigw_waf::model::IpSet>(
            json!({"Name": "s", "IPAddressVersion": v, "Addresses": a}),
        )
        .expect("ip set")
    };
    res.add_ip_set("arn:v4", set("IPV4", &["198.51.100.0/24"]));
    res.add_ip_set("arn:v6", set("IPV6", &["2001:db8::/32"]));
    let stmt = |arn: &str, pos: Option<&str>| {
        let mut s = json!({"IPSetReferenceStatement": {"ARN": arn}});
        if let Some(p) = pos {
            s["IPSetReferenceStatement"]["IPSetForwardedIPConfig"] = json!({"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH", "Position": p});
        }
        s
    };
    let acl = |s: Value| {
        compile_json(
            &acl_with(json!([rule("ip", 0, s, json!({"Block": {}}))]), "Allow"),
            &res,
            &CompileOptions::default(),
        )
        .expect("compiles")
    };
    let xff = |v: &str| Req::get("/").header("X-Forwarded-For", v);
    assert_eq!(
        eval(
            &acl(stmt("arn:v6", None)),
            &Req::get("/").from("2001:db8::7")
        )
        .action,
        Action::Block
    );
    assert_eq!(
        eval(
            &acl(stmt("arn:v4", None)),
            &Req::get("/").from("::ffff:198.51.100.9")
        )
        .action,
        Action::Block,
        "IPv4-mapped"
    );
    assert_eq!(
        eval(
            &acl(stmt("arn:v4", Some("FIRST"))),
            &xff("198.51.100.1, 192.0.2.1")
        )
        .action,
        Action::Block
    );
    assert_eq!(
        eval(
            &acl(stmt("arn:v4", Some("LAST"))),
            &xff("198.51.100.1, 192.0.2.1")
        )
        .action,
        Action::Allow
    );
    assert_eq!(
        eval(
            &acl(stmt("arn:v4", Some("ANY"))),
            &xff("192.0.2.1, 198.51.100.1, 192.0.2.2")
        )
        .action,
        Action::Block
    );
    assert_eq!(
        eval(
            &acl(stmt("arn:v4", Some("ANY"))),
            &xff("198.51.100.1 192.0.2.1")
        )
        .action,
        Action::Allow,
        "malformed: fallback NO_MATCH"
    );
    assert_eq!(
        eval(
            &acl(stmt("arn:v4", Some("FIRST"))),
            &Req::get("/").from("198.51.100.1")
        )
        .action,
        Action::Allow,
        "header absent: rule not applied"
    );
    let refused = compile_json(
        &acl_with(
            json!([rule("ip", 0, stmt("arn:v4", None), json!({"Block": {}}))]),
            "Allow",
        ),
        &{
            let mut r = Resources::default();
            r.add_ip_set("arn:v4", set("IPV4", &["0.0.0.0/0"]));
            r
        },
        &CompileOptions::default(),
    );
    assert!(refused.is_err(), "/0 is refused");
}

#[test]
fn headers_cookies_header_order_and_fingerprints() {
    let acl = |field: Value, s: &str, pos: &str| {
        build(
            json!([rule("f", 0, byte(field, s, pos), json!({"Block": {}}))]),
            "Allow",
            None,
            &CompileOptions::default(),
        )
    };
    let headers_keys = acl(
        json!({"Headers": {"MatchPattern": {"IncludedHeaders": ["X-Trace"]}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}}),
        "x-trace",
        "EXACTLY",
    );
    assert_eq!(
        eval(&headers_keys, &Req::get("/").header("x-trace", "1")).action,
        Action::Block
    );
    let cookie_vals = acl(
        json!({"Cookies": {"MatchPattern": {"ExcludedCookies": ["ok"]}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}),
        "evil",
        "EXACTLY",
    );
    assert_eq!(
        eval(
            &cookie_vals,
            &Req::get("/").header("Cookie", "ok=evil; a=evil")
        )
        .action,
        Action::Block
    );
    assert_eq!(
        eval(&cookie_vals, &Req::get("/").header("Cookie", "ok=evil")).action,
        Action::Allow,
        "excluded cookie"
    );
    let order = acl(
        json!({"HeaderOrder": {"OversizeHandling": "CONTINUE"}}),
        "Host:User-Agent:Accept",
        "EXACTLY",
    );
    assert_eq!(eval(&order, &Req::get("/")).action, Action::Block);
    let mut many = Req::get("/");
    for i in 0..250 {
        many = many.header(&format!("x-h{i}"), "v");
    }
    let over = acl(
        json!({"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "MATCH"}}),
        "nothing",
        "EXACTLY",
    );
    assert_eq!(
        eval(&over, &many).action,
        Action::Block,
        "more than 200 headers: oversize"
    );
    let ja3 = acl(
        json!({"JA3Fingerprint": {"FallbackBehavior": "MATCH"}}),
        "e7d705a3286e19ea42f587b344ee6865",
        "EXACTLY",
    );
    let mut r = Req::get("/");
    assert_eq!(
        eval(&ja3, &r).action,
        Action::Block,
        "no fingerprint: fallback MATCH"
    );
    r.ja3 = Some("00000000000000000000000000000000".into());
    assert_eq!(eval(&ja3, &r).action, Action::Allow);
    r.ja3 = Some("e7d705a3286e19ea42f587b344ee6865".into());
    assert_eq!(eval(&ja3, &r).action, Action::Block);
}
