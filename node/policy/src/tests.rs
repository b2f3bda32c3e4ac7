//! The evaluator against AWS's documented examples, and its laws.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:api1";

fn at(epoch: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(epoch)
}

fn subject<'a>(action: &'a str, resource: &'a str, caller: Option<Caller<'a>>) -> Subject<'a> {
    Subject {
        action,
        resource,
        arn_prefix: ARN,
        caller,
        source_ip: "10.1.2.3".parse().expect("ip"),
        secure_transport: true,
        now: at(1_800_000_000),
        user_agent: Some("curl/8"),
        referer: None,
    }
}

fn policy(doc: Value) -> Policy {
    Policy::parse(&doc).expect("parses")
}

const TAGS: &[(String, String)] = &[];

fn alice() -> Caller<'static> {
    Caller {
        arn: "arn:aws:iam::000000000000:user/alice",
        name: "alice",
        account: DEFAULT_ACCOUNT,
        tags: TAGS,
    }
}

#[test]
fn the_invoke_example_of_the_developer_guide() {
    // "grant a user permission to view a list of pets ... but to deny the
    // user permission to add a pet to the list".
    let p = policy(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["execute-api:Invoke"], "Resource": [format!("{ARN}/*/GET/pets")]},
        {"Effect": "Deny", "Action": ["execute-api:Invoke"], "Resource": [format!("{ARN}/*/POST/pets")]}
    ]}));
    let get = format!("{ARN}/prod/GET/pets");
    let post = format!("{ARN}/prod/POST/pets");
    let other = format!("{ARN}/prod/GET/owners");
    assert_eq!(
        p.evaluate(&subject(INVOKE, &get, Some(alice()))),
        Decision::Allow
    );
    assert_eq!(
        p.evaluate(&subject(INVOKE, &post, Some(alice()))),
        Decision::ExplicitDeny
    );
    assert_eq!(
        p.evaluate(&subject(INVOKE, &other, Some(alice()))),
        Decision::ImplicitDeny
    );
    // Action names are case-insensitive; another action is not covered.
    assert_eq!(
        p.evaluate(&subject("EXECUTE-API:invoke", &get, None)),
        Decision::Allow
    );
    assert_eq!(
        p.evaluate(&subject(INVALIDATE_CACHE, &get, None)),
        Decision::ImplicitDeny
    );
}

#[test]
fn the_invalidate_cache_example() {
    let p = policy(json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["execute-api:InvalidateCache"],
        "Resource": ["arn:aws:execute-api:*:*:api1/prod/GET/*"]}]}));
    let items = format!("{ARN}/prod/GET/items/1");
    assert_eq!(
        p.evaluate(&subject(INVALIDATE_CACHE, &items, None)),
        Decision::Allow
    );
    assert_eq!(
        p.evaluate(&subject(INVOKE, &items, None)),
        Decision::ImplicitDeny
    );
    let beta = format!("{ARN}/beta/GET/items/1");
    assert_eq!(
        p.evaluate(&subject(INVALIDATE_CACHE, &beta, None)),
        Decision::ImplicitDeny
    );
}

#[test]
fn the_management_examples() {
    // Read everything of one API; change only its documentation.
    let p = policy(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["apigateway:GET"], "Resource": ["arn:aws:apigateway:us-east-1::/restapis/a1/*"]},
        {"Effect": "Allow", "Action": ["apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
         "Resource": ["arn:aws:apigateway:us-east-1::/restapis/a1/documentation/*"]}
    ]}));
    let r = |path: &str| identity::management_arn("us-east-1", path);
    let check = |verb: &str, path: &str| p.evaluate(&subject(verb, &r(path), Some(alice())));
    assert_eq!(
        check("apigateway:GET", "/restapis/a1/stages/prod"),
        Decision::Allow
    );
    assert_eq!(
        check("apigateway:DELETE", "/restapis/a1/stages/prod"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        check("apigateway:POST", "/restapis/a1/documentation/parts"),
        Decision::Allow
    );
    assert_eq!(
        check("apigateway:GET", "/restapis/a2"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        identity::management_action(&http::Method::PATCH),
        "apigateway:PATCH"
    );
}

#[test]
fn resource_policies_with_ip_conditions_and_principals() {
    let p = policy(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.7"]}}}
    ]}));
    let method = format!("{ARN}/prod/GET/pets");
    let mut s = subject(INVOKE, &method, None);
    assert_eq!(p.evaluate(&s), Decision::Allow);
    s.source_ip = "192.168.1.7".parse().expect("ip");
    assert_eq!(p.evaluate(&s), Decision::Allow);
    s.source_ip = "8.8.8.8".parse().expect("ip");
    assert_eq!(p.evaluate(&s), Decision::ExplicitDeny);

    let named = policy(json!({"Statement": {"Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::000000000000:user/alice"]},
        "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}}));
    assert_eq!(
        named.evaluate(&subject(INVOKE, &method, None)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        named.evaluate(&subject(INVOKE, &method, Some(alice()))),
        Decision::Allow
    );
    let account = policy(json!({"Statement": {"Effect": "Allow",
        "Principal": {"AWS": "000000000000"}, "Action": "*", "Resource": "*"}}));
    assert_eq!(
        account.evaluate(&subject(INVOKE, &method, Some(alice()))),
        Decision::Allow
    );
    let not = policy(json!({"Statement": {"Effect": "Deny",
        "NotPrincipal": {"AWS": "arn:aws:iam::000000000000:user/alice"}, "Action": "*", "Resource": "*"}}));
    assert_eq!(
        not.evaluate(&subject(INVOKE, &method, Some(alice()))),
        Decision::ImplicitDeny
    );
    assert_eq!(
        not.evaluate(&subject(INVOKE, &method, None)),
        Decision::ExplicitDeny
    );
}

#[test]
fn not_action_and_not_resource() {
    let p = policy(json!({"Statement": [
        {"Effect": "Allow", "NotAction": "execute-api:InvalidateCache", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "NotResource": format!("{ARN}/prod/*")}
    ]}));
    let prod = format!("{ARN}/prod/GET/x");
    let beta = format!("{ARN}/beta/GET/x");
    assert_eq!(p.evaluate(&subject(INVOKE, &prod, None)), Decision::Allow);
    assert_eq!(
        p.evaluate(&subject(INVALIDATE_CACHE, &prod, None)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        p.evaluate(&subject(INVOKE, &beta, None)),
        Decision::ExplicitDeny
    );
}

#[test]
fn time_transport_user_and_tag_conditions() {
    let everything = |condition: Value| {
        policy(
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}}),
        )
    };
    let tags = [("team".to_string(), "Payments".to_string())];
    let tagged = Caller {
        tags: &tags,
        ..alice()
    };
    let check = |condition: Value, caller: Option<Caller<'_>>| {
        everything(condition).evaluate(&subject(INVOKE, "x", caller))
    };
    use Decision::{Allow, ImplicitDeny};
    // Now is 1_800_000_000 = 2027-01-15T08:00:00Z.
    for (condition, expected) in [
        (
            json!({"DateGreaterThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}),
            Allow,
        ),
        (
            json!({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}),
            ImplicitDeny,
        ),
        (
            json!({"DateGreaterThan": {"aws:CurrentTime": "2027-01-01"},
                "DateLessThan": {"aws:CurrentTime": "2027-02-01T00:00:00Z"}}),
            Allow,
        ),
        (
            json!({"NumericLessThan": {"aws:EpochTime": 1_900_000_000}}),
            Allow,
        ),
        (
            json!({"NumericGreaterThanEquals": {"aws:EpochTime": "1800000001"}}),
            ImplicitDeny,
        ),
        (json!({"Bool": {"aws:SecureTransport": "true"}}), Allow),
        (
            json!({"Bool": {"aws:SecureTransport": false}}),
            ImplicitDeny,
        ),
        (json!({"StringEquals": {"aws:username": "alice"}}), Allow),
        (
            json!({"StringEquals": {"aws:username": ["bob", "alice"]}}),
            Allow,
        ),
        (
            json!({"StringNotEquals": {"aws:username": ["bob", "alice"]}}),
            ImplicitDeny,
        ),
        (
            json!({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/al*"}}),
            Allow,
        ),
        (
            json!({"StringEqualsIgnoreCase": {"aws:PrincipalTag/Team": "payments"}}),
            Allow,
        ),
        (
            json!({"StringEquals": {"aws:PrincipalTag/team": "payments"}}),
            ImplicitDeny,
        ),
        (json!({"StringLike": {"aws:UserAgent": "curl/*"}}), Allow),
        (json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), Allow),
        (
            json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            ImplicitDeny,
        ),
    ] {
        assert_eq!(
            check(condition.clone(), Some(tagged)),
            expected,
            "{condition}"
        );
    }
    // Keys the request lacks: false, true when negated or IfExists; Null.
    for (condition, expected) in [
        (
            json!({"StringEquals": {"aws:username": "alice"}}),
            ImplicitDeny,
        ),
        (json!({"StringNotEquals": {"aws:username": "alice"}}), Allow),
        (
            json!({"StringEqualsIfExists": {"aws:username": "alice"}}),
            Allow,
        ),
        (json!({"StringEquals": {"aws:Referer": "x"}}), ImplicitDeny),
        (json!({"Null": {"aws:username": "true"}}), Allow),
        (json!({"Null": {"aws:username": "false"}}), ImplicitDeny),
    ] {
        assert_eq!(
            check(condition.clone(), None),
            expected,
            "anonymous: {condition}"
        );
    }
}

#[test]
fn unknown_conditions_fail_closed() {
    let unknown_allow = policy(
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}]}),
    );
    assert_eq!(
        unknown_allow.evaluate(&subject(INVOKE, "x", None)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        unknown_allow.unsupported_conditions(),
        vec!["StringEquals aws:SourceVpce"]
    );
    let unknown_deny = policy(json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"aws:username": "bob"}}}]}));
    assert_eq!(
        unknown_deny.evaluate(&subject(INVOKE, "x", None)),
        Decision::ExplicitDeny
    );
    // A Deny whose known condition is false does not apply, unknown or not.
    let mixed = policy(json!({"Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceVpce": "v"}, "Bool": {"aws:SecureTransport": "false"}}}]}));
    assert_eq!(mixed.evaluate(&subject(INVOKE, "x", None)), Decision::Allow);
}

#[test]
fn malformed_documents_are_refused() {
    for bad in [
        json!({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}),
        json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": "*"}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
               "Condition": {"IpAddress": {"aws:SourceIp": "not-an-ip"}}}]}),
        json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
               "Condition": {"DateLessThan": {"aws:CurrentTime": "tomorrow"}}}]}),
        json!({"Version": "2012-10-17"}),
    ] {
        assert!(Policy::parse(&bad).is_err(), "{bad}");
    }
    // JSON text in a string, as authorizers and the management API give it.
    let text =
        Value::String(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into());
    assert!(Policy::parse(&text).is_ok());
}

#[test]
fn denial_messages_are_aws_s() {
    let arn = format!("{ARN}/prod/GET/pets");
    assert_eq!(
        denial("arn:aws:iam::000000000000:user/bob", INVOKE, &arn, Decision::ImplicitDeny),
        "User: arn:aws:iam::000000000000:user/bob is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********0000:api1/prod/GET/pets"
    );
    assert!(denial("anonymous", INVOKE, &arn, Decision::ExplicitDeny)
        .ends_with(" with an explicit deny"));
    assert_eq!(
        denial("u", "apigateway:POST", "arn:aws:apigateway:us-east-1::/restapis", Decision::ImplicitDeny),
        "User: u is not authorized to perform: apigateway:POST on resource: arn:aws:apigateway:us-east-1::/restapis"
    );
}

#[test]
fn grants() {
    let user = |grant| Identity {
        name: "u".into(),
        tags: vec![],
        grant,
    };
    let m = format!("{ARN}/prod/GET/x");
    let s = |action| subject(action, &m, None);
    assert_eq!(
        user(Grant::Everything).decide(&s("apigateway:DELETE")),
        Decision::Allow
    );
    assert_eq!(user(Grant::InvokeOnly).decide(&s(INVOKE)), Decision::Allow);
    assert_eq!(
        user(Grant::InvokeOnly).decide(&s(INVALIDATE_CACHE)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        user(Grant::Policies(vec![])).decide(&s(INVOKE)),
        Decision::ImplicitDeny
    );
}

// Laws, over policies drawn from a small vocabulary so statements match often.

fn statement() -> impl Strategy<Value = Value> {
    let action = prop::sample::select(vec![
        "*",
        "execute-api:*",
        "execute-api:Invoke",
        "execute-api:InvalidateCache",
        "apigateway:GET",
    ]);
    let resource = prop::sample::select(vec![
        "*",
        "arn:aws:execute-api:*",
        "arn:aws:execute-api:us-east-1:000000000000:api1/prod/*",
        "arn:aws:execute-api:*:*:api1/*/POST/*",
        "x",
    ]);
    let condition = prop::sample::select(vec![
        json!(null),
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        json!({"StringEquals": {"aws:SourceVpce": "v"}}),
        json!({"Bool": {"aws:SecureTransport": "true"}}),
    ]);
    (
        any::<bool>(),
        any::<bool>(),
        action,
        any::<bool>(),
        resource,
        condition,
    )
        .prop_map(
            |(allow, not_action, action, not_resource, resource, condition)| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
                s.insert(
                    (if not_action { "NotAction" } else { "Action" }).into(),
                    json!(action),
                );
                s.insert(
                    (if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    })
                    .into(),
                    json!(resource),
                );
                if !condition.is_null() {
                    s.insert("Condition".into(), condition);
                }
                Value::Object(s)
            },
        )
}

fn request() -> impl Strategy<Value = (&'static str, &'static str, bool)> {
    (
        prop::sample::select(vec![
            INVOKE,
            INVALIDATE_CACHE,
            "apigateway:GET",
            "apigateway:DELETE",
        ]),
        prop::sample::select(vec![
            "arn:aws:execute-api:us-east-1:000000000000:api1/prod/GET/pets",
            "arn:aws:execute-api:us-east-1:000000000000:api1/beta/POST/pets",
            "arn:aws:apigateway:us-east-1::/restapis",
        ]),
        any::<bool>(),
    )
}

fn judge(statements: &[Value], (action, resource, inside): (&str, &str, bool)) -> Decision {
    let p = policy(json!({"Statement": statements}));
    let mut s = subject(action, resource, None);
    if !inside {
        s.source_ip = "8.8.8.8".parse().expect("ip");
    }
    p.evaluate(&s)
}

proptest! {
    #[test]
    fn a_deny_of_everything_always_wins(
        statements in prop::collection::vec(statement(), 0..6),
        at in 0usize..6,
        r in request(),
    ) {
        let mut with_deny = statements.clone();
        let at = at.min(with_deny.len());
        with_deny.insert(at, json!({"Effect": "Deny", "Action": "*", "Resource": "*"}));
        prop_assert_eq!(judge(&with_deny, r), Decision::ExplicitDeny);
    }

    #[test]
    fn without_an_allow_statement_nothing_is_allowed(
        statements in prop::collection::vec(statement(), 0..6),
        r in request(),
    ) {
        let denies: Vec<Value> = statements
            .into_iter()
            .filter(|s| s["Effect"] == "Deny")
            .collect();
        prop_assert_ne!(judge(&denies, r), Decision::Allow);
    }

    #[test]
    fn statement_order_does_not_matter(
        statements in prop::collection::vec(statement(), 0..6),
        r in request(),
    ) {
        let mut reversed = statements.clone();
        reversed.reverse();
        prop_assert_eq!(judge(&statements, r), judge(&reversed, r));
    }

    #[test]
    fn an_explicit_deny_in_one_statement_is_an_explicit_deny_of_the_whole(
        statements in prop::collection::vec(statement(), 1..6),
        r in request(),
    ) {
        let whole = judge(&statements, r);
        let parts: Vec<Decision> = statements.iter().map(|s| judge(std::slice::from_ref(s), r)).collect();
        prop_assert_eq!(whole, parts.iter().copied().fold(Decision::ImplicitDeny, Decision::merge));
    }

    #[test]
    fn merge_is_commutative_and_associative(a in 0u8..3, b in 0u8..3, c in 0u8..3) {
        let d = |n: u8| [Decision::Allow, Decision::ExplicitDeny, Decision::ImplicitDeny][n as usize];
        let (a, b, c) = (d(a), d(b), d(c));
        prop_assert_eq!(a.merge(b), b.merge(a));
        prop_assert_eq!(a.merge(b).merge(c), a.merge(b.merge(c)));
        prop_assert_eq!(a.merge(Decision::ExplicitDeny), Decision::ExplicitDeny);
        prop_assert_eq!(a.merge(Decision::ImplicitDeny), a);
    }
}

#[test]
fn account_ids_are_twelve_digits() {
    assert_eq!(check_account("123456789012"), Ok(()));
    for bad in [
        "12345678901",
        "1234567890123",
        "12345678901a",
        "",
        "１２３４５６７８９０１２",
    ] {
        assert!(check_account(bad).is_err(), "{bad}");
    }
    assert_eq!(account(), DEFAULT_ACCOUNT);
}
