//! IAM policies for IAM users, evaluated as AWS does: `execute-api:Invoke`
//! allowed, implicitly and explicitly denied for signed callers;
//! `execute-api:InvalidateCache` for `Cache-Control: max-age=0` (a fresh
//! answer that refills the cache, else each unauthorized strategy); and a
//! read-only admin user of the management API, driven by boto3.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use apigw_tests::backend::json_response;
use apigw_tests::{Backend, Client, Node, Reply};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::Method;
use serde_json::{json, Value};

const API: &str = r#"
openapi: 3.0.1
info: {title: pol}
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
paths:
  /items/{id}:
    get:
      security: [{sigv4: []}]
      parameters: [{name: id, in: path, required: true}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: BACKEND/items/{id}
        requestParameters:
          integration.request.path.id: method.request.path.id
  /things:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: &mock
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"user": "$context.identity.userArn"}'}
  /things/locked:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration: *mock
"#;

const WRITER_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "execute-api:*", "Resource": "arn:aws:execute-api:us-east-1:*:pol/*"},
    {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:pol/*/POST/things/locked"}
  ]
}"#;

/// (name, access key): each user's secret is `{name}-secret-0123456789`.
const USERS: &[(&str, &str)] = &[
    ("reader", "AKIAREADER0000000001"),
    ("writer", "AKIAWRITER0000000001"),
    ("legacy", "AKIALEGACY0000000001"),
    ("flusher", "AKIAFLUSHER000000001"),
    ("expired", "AKIAEXPIRED000000001"),
    ("vpce", "AKIAVPCE000000000001"),
    ("nopol", "AKIANOPOL00000000001"),
];

fn secret(name: &str) -> String {
    format!("{name}-secret-0123456789")
}

fn key(name: &str) -> &'static str {
    USERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, k)| *k)
        .unwrap_or_default()
}

/// One `iam_users` entry; `policies` is its YAML tail (indented lines).
fn user(name: &str, policies: &str) -> String {
    format!(
        "  - name: {name}\n    access_key_id: {}\n    secret_access_key: {}\n{policies}",
        key(name),
        secret(name)
    )
}

fn config() -> String {
    let users = [
        user(
            "reader",
            "    policies:\n      - Version: '2012-10-17'\n        Statement:\n          Effect: Allow\n          Action: execute-api:Invoke\n          Resource: arn:aws:execute-api:*:*:pol/*/GET/*\n",
        ),
        user("writer", "    policies: [writer-policy.json]\n"),
        user("legacy", ""),
        user(
            "flusher",
            "    tags: {team: ops}\n    policies:\n      - Statement:\n          - {Effect: Allow, Action: execute-api:Invoke, Resource: '*'}\n          - Effect: Allow\n            Action: execute-api:InvalidateCache\n            Resource: arn:aws:execute-api:us-east-1:000000000000:pol/*/GET/items/*\n            Condition: {StringEquals: {aws:PrincipalTag/team: ops}, IpAddress: {aws:SourceIp: 127.0.0.0/8}}\n",
        ),
        user(
            "expired",
            "    policies:\n      - '{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\", \"Condition\": {\"DateLessThan\": {\"aws:CurrentTime\": \"2001-01-01T00:00:00Z\"}}}}'\n",
        ),
    ];
    format!(
        "iam_users:\n{}apis:\n  - id: pol\n    openapi: api.yaml\n    stages:\n      - {{name: prod, cache: {{enabled: true, ttl_seconds: 300}}}}\n      - {{name: strict, cache: {{enabled: true, ttl_seconds: 300, unauthorized: FAIL_WITH_403}}}}\n      - {{name: quiet, cache: {{enabled: true, ttl_seconds: 300, unauthorized: SUCCEED_WITHOUT_RESPONSE_HEADER}}}}\n",
        users.concat()
    )
}

/// Sends a SigV4-signed request as `user` (`extra` headers unsigned).
async fn signed(
    node: &Node,
    user: &str,
    method: Method,
    path: &str,
    stage: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let url = node.invoke_url("pol", stage, path);
    let host = node.data.to_string();
    let secret = secret(user);
    let identity =
        aws_credential_types::Credentials::new(key(user), &secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("execute-api")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let headers = [("host", host.as_str())];
    let signable = SignableRequest::new(
        method.as_str(),
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(b""),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("signs").into_parts();
    let mut all: Vec<(String, String)> = headers
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in instructions.headers() {
        all.push((k.to_string(), v.to_string()));
    }
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Client::default()
        .send(method, &url, &refs, "")
        .await
        .expect("reply")
}

/// A backend that numbers its answers.
async fn counting() -> (Backend, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let backend = Backend::start(move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move { json_response(200, &json!({"call": n})) }
    })
    .await;
    (backend, calls)
}

fn start(backend: &Backend) -> Node {
    Node::builder()
        .file("api.yaml", &API.replace("BACKEND", &backend.url()))
        .file("writer-policy.json", WRITER_POLICY)
        .config(&config())
        .start()
        .expect("node starts")
}

fn denied(who: &str, method_arn: &str) -> Value {
    json!({"Message": format!(
        "User: arn:aws:iam::000000000000:user/{who} is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********0000:pol/{method_arn}"
    )})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_is_allowed_denied_and_explicitly_denied() {
    let (backend, _) = counting().await;
    let node = start(&backend);

    let read = signed(&node, "reader", Method::GET, "/items/1", "prod", &[]).await;
    assert_eq!(read.status, 200, "{}", read.text());
    let refused = signed(&node, "reader", Method::POST, "/things", "prod", &[]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json(), denied("reader", "prod/POST/things"));
    assert_eq!(
        refused.header("x-amzn-errortype"),
        Some("AccessDeniedException")
    );

    let wrote = signed(&node, "writer", Method::POST, "/things", "prod", &[]).await;
    assert_eq!(wrote.status, 200, "{}", wrote.text());
    assert_eq!(
        wrote.json(),
        json!({"user": "arn:aws:iam::000000000000:user/writer"})
    );
    let locked = signed(&node, "writer", Method::POST, "/things/locked", "prod", &[]).await;
    assert_eq!(locked.status, 403);
    let Value::String(message) = &denied("writer", "prod/POST/things/locked")["Message"] else {
        unreachable!("a string")
    };
    assert_eq!(
        locked.json(),
        json!({"Message": format!("{message} with an explicit deny")})
    );

    // Without policies: every method, as before policies existed.
    let legacy = signed(&node, "legacy", Method::POST, "/things/locked", "prod", &[]).await;
    assert_eq!(legacy.status, 200, "{}", legacy.text());

    // A condition that no longer holds (aws:CurrentTime) allows nothing.
    let expired = signed(&node, "expired", Method::GET, "/items/1", "prod", &[]).await;
    assert_eq!(expired.status, 403);
    assert_eq!(expired.json(), denied("expired", "prod/GET/items/1"));
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidate_cache_needs_the_permission() {
    let (backend, calls) = counting().await;
    let node = start(&backend);
    let fresh = [("cache-control", "max-age=0")];
    let call = |reply: &Reply| reply.json()["call"].as_u64().unwrap_or_default();

    for stage in ["prod", "strict", "quiet"] {
        let path = format!("/items/{stage}");
        let first = signed(&node, "flusher", Method::GET, &path, stage, &[]).await;
        let cached = signed(&node, "reader", Method::GET, &path, stage, &[]).await;
        assert_eq!(
            call(&cached),
            call(&first),
            "{stage}: served from the cache"
        );

        // Allowed: a fresh answer, which then is the cached one.
        let before = calls.load(Ordering::SeqCst);
        let renewed = signed(&node, "flusher", Method::GET, &path, stage, &fresh).await;
        assert_eq!(renewed.status, 200, "{}", renewed.text());
        assert_eq!(calls.load(Ordering::SeqCst), before + 1, "{stage}: fetched");
        assert!(call(&renewed) > call(&first));
        assert_eq!(renewed.header("warning"), None);
        let refilled = signed(&node, "reader", Method::GET, &path, stage, &[]).await;
        assert_eq!(
            call(&refilled),
            call(&renewed),
            "{stage}: the cache holds it"
        );

        // Not allowed (no InvalidateCache, or no policies at all): the
        // stage's strategy, and the backend is not called.
        for user in ["reader", "legacy"] {
            let asked = signed(&node, user, Method::GET, &path, stage, &fresh).await;
            assert_eq!(calls.load(Ordering::SeqCst), before + 1, "{stage} {user}");
            match stage {
                "strict" => {
                    assert_eq!(asked.status, 403, "{stage} {user}");
                    assert_eq!(
                        asked.json(),
                        json!({"message": "User is not authorized to invalidate the cache"})
                    );
                }
                "prod" => {
                    assert_eq!(call(&asked), call(&renewed));
                    assert!(
                        asked
                            .header("warning")
                            .is_some_and(|w| w.contains("not authorized")),
                        "{stage} {user}: {:?}",
                        asked.headers
                    );
                }
                _ => {
                    assert_eq!(call(&asked), call(&renewed));
                    assert_eq!(asked.header("warning"), None, "{stage} {user}");
                }
            }
        }
    }
    node.stop().expect("stops");
}

const ADMIN_KEY: &str = "AKIAADMIN00000000001";
const ADMIN_SECRET: &str = "admin-secret-0123456789abcdefghijklmnop";
const VIEWER_KEY: &str = "AKIAVIEWER0000000001";
const VIEWER_SECRET: &str = "viewer-secret-0123456789abcdefghijklmno";

#[test]
fn a_read_only_admin_key_reads_but_cannot_change() {
    let config = format!(
        "admin_users:\n  - name: viewer\n    access_key_id: {VIEWER_KEY}\n    secret_access_key: {VIEWER_SECRET}\n    policies:\n      - {{Version: '2012-10-17', Statement: [{{Effect: Allow, Action: 'apigateway:GET', Resource: 'arn:aws:apigateway:us-east-1::/*'}}]}}\n"
    );
    let node = Node::builder()
        .env("APIGW_ADMIN_ACCESS_KEY_ID", ADMIN_KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", ADMIN_SECRET)
        .config(&config)
        .start()
        .expect("node starts");
    let script = format!("{}/scripts/admin_scoped.py", env!("CARGO_MANIFEST_DIR"));
    let python = apigw_tests::python::python_with_lambda_ric().expect("python with boto3");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}", node.admin))
        .args([ADMIN_KEY, ADMIN_SECRET, VIEWER_KEY, VIEWER_SECRET])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).expect("the script's JSON");
    let api_id = seen["api_id"].as_str().unwrap_or_default();
    for read in ["reader_lists", "reader_gets", "reader_resources"] {
        assert_eq!(seen[read], json!({"ok": true, "status": 200}), "{read}");
    }
    assert_eq!(seen["reader_names"], json!(["scoped"]));
    let refusal = |verb: &str, path: &str| {
        json!({"ok": false, "code": "AccessDeniedException", "status": 403, "message": format!(
            "User: arn:aws:iam::000000000000:user/viewer is not authorized to perform: apigateway:{verb} on resource: arn:aws:apigateway:us-east-1::{path}"
        )})
    };
    assert_eq!(seen["reader_creates"], refusal("POST", "/restapis"));
    assert_eq!(
        seen["reader_deletes"],
        refusal("DELETE", &format!("/restapis/{api_id}"))
    );
    assert_eq!(
        seen["reader_patches"],
        refusal("PATCH", &format!("/restapis/{api_id}"))
    );
    assert_eq!(seen["reader_creates_key"], refusal("POST", "/apikeys"));
    assert_eq!(
        seen["still_there"],
        json!(["scoped"]),
        "refused calls change nothing"
    );
    assert_eq!(seen["admin_deletes"], json!({"ok": true, "status": 202}));
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_policies_are_reported_and_unknown_conditions_logged() {
    let dir = apigw_tests::node::TempDir::new("policies").expect("dir");
    let config = dir.0.join("apigw.yaml");
    std::fs::write(
        &config,
        "iam_users:\n  - name: x\n    access_key_id: AKIAX000000000000001\n    secret_access_key: s\n    policies: [{Statement: {Effect: Allow, Action: '*', Resource: '*', Condition: {IpAddress: {aws:SourceIp: somewhere}}}}]\nadmin_users:\n  - {name: y, access_key_id: AKIAY000000000000001, secret_access_key: s, policies: [missing.json]}\n",
    )
    .expect("write");
    let (status, out, _) =
        apigw_tests::node::run_apigw(&["check", config.to_str().expect("utf8")]).expect("runs");
    assert!(!status.success(), "{out}");
    assert!(out.contains("iam_users[0].policies[0]"), "{out}");
    assert!(out.contains("somewhere"), "{out}");

    // A condition key the evaluator does not know: the start goes on, the
    // log names it, and the statement holding it allows nothing.
    let node = Node::builder()
        .file("api.yaml", &API.replace("BACKEND", "http://127.0.0.1:9"))
        .config(
            "iam_users:\n  - name: vpce\n    access_key_id: AKIAVPCE000000000001\n    secret_access_key: vpce-secret-0123456789\n    policies: [{Statement: {Effect: Allow, Action: '*', Resource: '*', Condition: {StringEquals: {aws:SourceVpce: vpce-1}}}}]\napis:\n  - {id: pol, openapi: api.yaml, stages: [{name: prod}]}\n",
        )
        .start()
        .expect("node starts");
    let logged = node
        .wait_for_log(|v| {
            v["conditions"]
                .as_str()
                .is_some_and(|c| c.contains("StringEquals aws:SourceVpce"))
        })
        .expect("the unknown condition is logged");
    assert_eq!(logged["level"], "WARN", "{logged}");
    let refused = signed(&node, "vpce", Method::POST, "/things", "prod", &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_policies_judge_signed_callers_with_their_own_policies() {
    let (backend, _) = counting().await;
    let resource_policy = r#"
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - {Effect: Allow, Principal: {AWS: "arn:aws:iam::000000000000:user/nopol"}, Action: "execute-api:Invoke", Resource: "execute-api:/*/GET/*"}
    - {Effect: Deny, Principal: {AWS: ["arn:aws:iam::000000000000:user/writer"]}, Action: "execute-api:Invoke", Resource: "execute-api:/*/POST/things"}
paths:"#;
    let api = API
        .replace("BACKEND", &backend.url())
        .replacen("paths:", resource_policy, 1);
    let users = [
        user("nopol", "    policies: []\n"),
        user("writer", "    policies: [writer-policy.json]\n"),
        user(
            "reader",
            "    policies: [{Statement: {Effect: Allow, Action: execute-api:Invoke, Resource: 'arn:aws:execute-api:*:*:pol/*/GET/*'}}]\n",
        ),
    ];
    let node = Node::builder()
        .file("api.yaml", &api)
        .file("writer-policy.json", WRITER_POLICY)
        .config(&format!(
            "iam_users:\n{}apis:\n  - {{id: pol, openapi: api.yaml, stages: [{{name: prod}}]}}\n",
            users.concat()
        ))
        .start()
        .expect("node starts");

    // The resource policy alone can admit a caller whose own allow nothing,
    let admitted = signed(&node, "nopol", Method::GET, "/items/1", "prod", &[]).await;
    assert_eq!(admitted.status, 200, "{}", admitted.text());
    // and a caller's own policies alone, where the resource policy is silent;
    let own = signed(&node, "reader", Method::GET, "/items/1", "prod", &[]).await;
    assert_eq!(own.status, 200, "{}", own.text());
    // neither allowing is an implicit deny,
    let neither = signed(&node, "nopol", Method::POST, "/things", "prod", &[]).await;
    assert_eq!(neither.json(), denied("nopol", "prod/POST/things"));
    // and an explicit deny in the resource policy beats the caller's allow.
    let overruled = signed(&node, "writer", Method::POST, "/things", "prod", &[]).await;
    assert_eq!(overruled.status, 403);
    let Value::String(message) = &denied("writer", "prod/POST/things")["Message"] else {
        unreachable!("a string")
    };
    assert_eq!(
        overruled.json(),
        json!({"Message": format!("{message} with an explicit deny")})
    );
    node.stop().expect("stops");
}
