//! Request components: body and JSON body oversize handling, the body
//! limit from AssociationConfig, JSON body fallback, pointers and scopes,
//! IP sets (v4, v6, forwarded positions), headers, cookies, header order,
//! JA3 fingerprints.

mod common;
use apigw_waf::*;
use common::*;
use serde_json::{json, Value};

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
