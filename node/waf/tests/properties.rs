//! Properties: evaluation never panics on arbitrary requests against
//! arbitrary valid web ACLs (random statement trees over every statement
//! type, field and transformation, plus the managed groups), its outputs
//! stay bounded, and every transformation grows its input by at most a
//! constant factor.

mod common;
use apigw_waf::model::TextTransformationType as T;
use apigw_waf::*;
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const TRANSFORMS: [&str; 31] = [
    "NONE",
    "COMPRESS_WHITE_SPACE",
    "HTML_ENTITY_DECODE",
    "LOWERCASE",
    "CMD_LINE",
    "URL_DECODE",
    "BASE64_DECODE",
    "HEX_DECODE",
    "MD5",
    "REPLACE_COMMENTS",
    "ESCAPE_SEQ_DECODE",
    "SQL_HEX_DECODE",
    "CSS_DECODE",
    "JS_DECODE",
    "NORMALIZE_PATH",
    "NORMALIZE_PATH_WIN",
    "REMOVE_NULLS",
    "REPLACE_NULLS",
    "BASE64_DECODE_EXT",
    "URL_DECODE_UNI",
    "UTF8_TO_UNICODE",
    "REMOVE_WHITESPACE",
    "TRIM",
    "TRIM_LEFT",
    "TRIM_RIGHT",
    "REMOVE_COMMENTS_CHAR",
    "UPPERCASE",
    "CMD_LINE_WIN",
    "CMD_LINE_UNIX",
    "JS_DECODE_EXT",
    "SHA256",
];

fn field() -> impl Strategy<Value = Value> {
    let oh = prop_oneof![Just("CONTINUE"), Just("MATCH"), Just("NO_MATCH")];
    let scope = prop_oneof![Just("ALL"), Just("KEY"), Just("VALUE")];
    prop_oneof![
        "[a-z-]{1,12}".prop_map(|n| json!({"SingleHeader": {"Name": n}})),
        "[a-z]{1,8}".prop_map(|n| json!({"SingleQueryArgument": {"Name": n}})),
        Just(json!({"AllQueryArguments": {}})),
        Just(json!({"UriPath": {}})),
        Just(json!({"QueryString": {}})),
        Just(json!({"Method": {}})),
        oh.clone().prop_map(|o| json!({"Body": {"OversizeHandling": o}})),
        (oh.clone(), scope.clone(), prop_oneof![Just(None), Just(Some("MATCH")), Just(Some("NO_MATCH")), Just(Some("EVALUATE_AS_STRING"))], any::<bool>())
            .prop_map(|(o, s, f, all)| {
                let mut j = json!({"MatchPattern": if all { json!({"All": {}}) } else { json!({"IncludedPaths": ["/a", "/b/0"]}) }, "MatchScope": s, "OversizeHandling": o});
                if let Some(f) = f { j["InvalidFallbackBehavior"] = json!(f); }
                json!({"JsonBody": j})
            }),
        (oh.clone(), scope.clone()).prop_map(|(o, s)| json!({"Headers": {"MatchPattern": {"ExcludedHeaders": ["host"]}, "MatchScope": s, "OversizeHandling": o}})),
        (oh.clone(), scope).prop_map(|(o, s)| json!({"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": s, "OversizeHandling": o}})),
        oh.prop_map(|o| json!({"HeaderOrder": {"OversizeHandling": o}})),
        Just(json!({"UriFragment": {"FallbackBehavior": "MATCH"}})),
    ]
}

fn transforms() -> impl Strategy<Value = Value> {
    prop::collection::vec(0..TRANSFORMS.len(), 1..4).prop_map(|v| {
        Value::Array(
            v.iter()
                .enumerate()
                .map(|(i, t)| json!({"Priority": i, "Type": TRANSFORMS[*t]}))
                .collect(),
        )
    })
}

fn leaf() -> impl Strategy<Value = Value> {
    let pos = prop_oneof![
        Just("EXACTLY"),
        Just("STARTS_WITH"),
        Just("ENDS_WITH"),
        Just("CONTAINS"),
        Just("CONTAINS_WORD")
    ];
    prop_oneof![
        ("[a-z0-9_]{1,6}", field(), transforms(), pos).prop_map(|(s, f, t, p)| json!({"ByteMatchStatement": {"SearchString": s, "FieldToMatch": f, "TextTransformations": t, "PositionalConstraint": p}})),
        (field(), transforms(), any::<bool>()).prop_map(|(f, t, h)| json!({"SqliMatchStatement": {"FieldToMatch": f, "TextTransformations": t, "SensitivityLevel": if h {"HIGH"} else {"LOW"}}})),
        (field(), transforms()).prop_map(|(f, t)| json!({"XssMatchStatement": {"FieldToMatch": f, "TextTransformations": t}})),
        (field(), transforms(), 0i64..5000).prop_map(|(f, t, n)| json!({"SizeConstraintStatement": {"FieldToMatch": f, "ComparisonOperator": "GT", "Size": n, "TextTransformations": t}})),
        (prop_oneof!["[a-z]{1,6}".prop_map(|s| format!("^{s}")), "[a-z]{1,6}".prop_map(|s| format!("(?i){s}.*[0-9]+$")), Just("a|b+c?".to_owned())], field(), transforms()).prop_map(|(r, f, t)| json!({"RegexMatchStatement": {"RegexString": r, "FieldToMatch": f, "TextTransformations": t}})),
        Just(json!({"GeoMatchStatement": {"CountryCodes": ["US", "FR"], "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}}})),
        Just(json!({"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "awswaf:clientip:geo:"}})),
        Just(json!({"AsnMatchStatement": {"AsnList": [64500]}})),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3)
                .prop_map(|v| json!({"AndStatement": {"Statements": v}})),
            prop::collection::vec(inner.clone(), 1..3)
                .prop_map(|v| json!({"OrStatement": {"Statements": v}})),
            inner.prop_map(|s| json!({"NotStatement": {"Statement": s}})),
        ]
    })
}

fn rule(i: usize, s: Value, kind: u8) -> Value {
    let action = ["Block", "Allow", "Count", "Captcha", "Challenge"][kind as usize % 5];
    let st = if kind % 7 == 6 {
        json!({"RateBasedStatement": {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "CUSTOM_KEYS",
            "CustomKeys": [{"HTTPMethod": {}}, {"UriPath": {"TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}], "ScopeDownStatement": s}})
    } else {
        s
    };
    json!({"Name": format!("r{i}"), "Priority": i, "Statement": st, "Action": {action: {}}, "RuleLabels": [{"Name": format!("l{i}")}], "VisibilityConfig": vis("r")})
}

fn acl() -> impl Strategy<Value = CompiledWebAcl> {
    (prop::collection::vec((statement(), any::<u8>()), 1..5), any::<bool>()).prop_map(|(rules, managed)| {
        let mut list: Vec<Value> = rules.into_iter().enumerate().map(|(i, (s, k))| rule(i, s, k)).collect();
        if managed {
            for (i, g) in ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"].iter().enumerate() {
                list.push(json!({"Name": g, "Priority": 100 + i, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": g}},
                    "OverrideAction": {"Count": {}}, "VisibilityConfig": vis(g)}));
            }
        }
        compile_json(&acl_with(Value::Array(list), "Allow"), &Resources::default(), &CompileOptions::default()).expect("generated ACLs are valid")
    })
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop_oneof![
            Just("GET".to_owned()),
            Just("POST".to_owned()),
            Just("PROPFIND".to_owned()),
            "[A-Z]{1,8}"
        ],
        "/[ -~]{0,60}",
        "[ -~]{0,80}",
        prop::collection::vec(
            ("[A-Za-z-]{1,12}", prop::collection::vec(any::<u8>(), 0..40)),
            0..8,
        ),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            "[{}\\[\\]\":,a-z0-9 ]{0,200}".prop_map(String::into_bytes)
        ],
        0usize..40_000,
    )
        .prop_map(|(m, path, q, headers, body, extra)| {
            let mut r = Req::new(&m, &path);
            r.query = q;
            for (n, v) in headers {
                r.headers.push((n, v));
            }
            r.body_len = Some(body.len() + extra);
            r.body = body;
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn evaluation_never_panics_and_stays_bounded(acl in acl(), reqs in prop::collection::vec(request(), 1..4)) {
        let counters = InMemoryRateCounters::default();
        for (i, r) in reqs.iter().enumerate() {
            let v = evaluate(&acl, &r.view(), &counters, &NoGeo, at(1_700_000_000 + i as u64));
            prop_assert!(v.labels.len() <= 2 * acl.rule_count() + 4, "labels {}", v.labels.len());
            prop_assert!(v.inserted_headers.len() <= 10 * acl.rule_count());
            prop_assert!(v.trace.tallies.len() <= acl.rule_count() + 2);
            let rec = log::record(&r.view(), &v, &LogContext { timestamp_ms: 0, request_id: "r", http_source_id: "s" });
            prop_assert!(rec.is_object());
        }
    }

    #[test]
    fn transformations_grow_by_a_bounded_factor(input in prop::collection::vec(any::<u8>(), 0..200), which in 0usize..31) {
        let kind: T = serde_json::from_value(json!(TRANSFORMS[which])).expect("enum");
        let out = transform::apply_one(kind, &input);
        prop_assert!(out.len() <= 4 * input.len() + 32, "{kind:?}: {} -> {}", input.len(), out.len());
    }

    #[test]
    fn json_parser_never_panics(input in prop::collection::vec(any::<u8>(), 0..400)) {
        let doc = apigw_waf::json::parse(&input);
        prop_assert!(doc.elems.len() <= input.len());
    }
}
