//! The admin listener's door: every route but `GET /health` and `GET /ready`
//! refuses unsigned, badly signed, wrongly scoped and tampered requests with
//! AWS's 403s, and such a request changes nothing; `/metrics` also opens to
//! the configured bearer token. The same scope and payload rules hold for
//! AWS_IAM methods on the data plane.

use std::time::SystemTime;

use apigw_tests::{AdminClient, Client, Node, Reply};
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4;
use http::Method;
use serde_json::{json, Value};

const KEY: &str = "AKIAADMINAUTH0000001";
const SECRET: &str = "admin-auth-secret-0123456789abcdefghij";
const USER_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const USER_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const METRICS_TOKEN: &str = "scrape-me-0123456789";

const API: &str = r#"
openapi: 3.0.1
info: {title: guarded}
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
paths:
  /cached:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"cached": true}'}}}
  /things:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"ok": true}'}}}
"#;

fn start() -> Node {
    let config = format!(
        "admin: {{metrics_token: {METRICS_TOKEN}}}\n\
         iam_users:\n  - {{name: alice, access_key_id: {USER_KEY}, secret_access_key: '{USER_SECRET}'}}\n\
         apis:\n  - id: guarded\n    openapi: api.yaml\n    stages: [{{name: prod, cache: {{enabled: true}}}}]\n"
    );
    Node::builder()
        .file("api.yaml", API)
        .config(&config)
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .start()
        .expect("node starts")
}

/// How to sign by hand, and what to get wrong.
struct Signing<'a> {
    key: &'a str,
    secret: &'a str,
    region: &'a str,
    service: &'a str,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body's hash.
    unsigned_payload: bool,
    /// An `x-amz-content-sha256` to send (and sign) as is.
    claimed_sha256: Option<&'a str>,
}

impl Signing<'_> {
    fn admin() -> Signing<'static> {
        Signing {
            key: KEY,
            secret: SECRET,
            region: "us-east-1",
            service: "apigateway",
            unsigned_payload: false,
            claimed_sha256: None,
        }
    }
}

/// Sends `method url` signed as `how` says over `signed_body`, with `sent_body`.
async fn send_signed(
    method: Method,
    url: &str,
    how: &Signing<'_>,
    signed_body: &str,
    sent_body: &str,
) -> Reply {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("host");
    let identity =
        aws_credential_types::Credentials::new(how.key, how.secret, None, None, "test").into();
    let mut settings = SigningSettings::default();
    if how.unsigned_payload {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(how.region)
        .name(how.service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("params")
        .into();
    let mut headers = vec![
        ("host".to_string(), host.to_string()),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    if let Some(claimed) = how.claimed_sha256 {
        headers.push(("x-amz-content-sha256".into(), claimed.into()));
    }
    let body = match how.unsigned_payload {
        true => SignableBody::UnsignedPayload,
        false => SignableBody::Bytes(signed_body.as_bytes()),
    };
    let signable = SignableRequest::new(
        method.as_str(),
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("signs").into_parts();
    for (k, v) in instructions.headers() {
        headers.push((k.to_string(), v.to_string()));
    }
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Client::default()
        .send(method, url, &refs, sent_body.to_string())
        .await
        .expect("reply")
}

/// Every admin route but the open two, with a body where it takes one.
fn routes() -> Vec<(Method, &'static str, &'static str)> {
    vec![
        (Method::GET, "/metrics", ""),
        (Method::GET, "/functions", ""),
        (Method::GET, "/cluster", ""),
        (Method::POST, "/cluster/members/2/promote", ""),
        (Method::DELETE, "/cluster/members/2", ""),
        (
            Method::DELETE,
            "/restapis/guarded/stages/prod/cache/data",
            "",
        ),
        (Method::GET, "/restapis", ""),
        (Method::POST, "/restapis", r#"{"name": "intruder"}"#),
        (Method::GET, "/restapis/guarded", ""),
        (Method::DELETE, "/restapis/guarded", ""),
        (
            Method::POST,
            "/restapis/guarded/deployments",
            r#"{"stageName": "evil"}"#,
        ),
        (Method::DELETE, "/restapis/guarded/stages/prod", ""),
        (
            Method::POST,
            "/apikeys",
            r#"{"name": "k", "enabled": true}"#,
        ),
        (Method::POST, "/usageplans", r#"{"name": "p"}"#),
        (
            Method::POST,
            "/domainnames",
            r#"{"domainName": "a.example.com"}"#,
        ),
        (
            Method::GET,
            "/tags/arn:aws:apigateway:us-east-1::/restapis/guarded",
            "",
        ),
        (Method::POST, "/health", ""),
        (Method::GET, "/no/such/route", ""),
    ]
}

fn assert_refused(reply: &Reply, kind: &str, message: &str, what: &str) {
    assert_eq!(reply.status, 403, "{what}: {}", reply.text());
    assert_eq!(reply.header("x-amzn-errortype"), Some(kind), "{what}");
    assert_eq!(reply.json(), json!({ "message": message }), "{what}");
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// What the state looks like through signed reads: APIs, stages, keys,
/// plans, domains, cluster membership, and whether the cache holds bytes.
async fn state(admin: &AdminClient) -> Value {
    let items = |v: Value, field: &str| -> Vec<Value> {
        let mut out: Vec<Value> = v["item"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| i[field].clone())
            .collect();
        out.sort_by_key(|v| v.to_string());
        out
    };
    let get = |path: &'static str| async move { admin.get(path).await.expect(path).json() };
    let metrics = admin.get("/metrics").await.expect("metrics").text();
    json!({
        "apis": items(get("/restapis").await, "id"),
        "stages": items(get("/restapis/guarded/stages").await, "stageName"),
        "deployments": get("/restapis/guarded/deployments").await["item"].as_array().map(Vec::len),
        "keys": items(get("/apikeys").await, "id"),
        "plans": items(get("/usageplans").await, "id"),
        "domains": items(get("/domainnames").await, "domainName"),
        "cache_empty": metrics.contains("apigw_cache_bytes 0\n"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_and_badly_signed_admin_calls_are_refused_and_change_nothing() {
    let node = start();
    let admin = node.admin_client();
    let client = Client::default();
    // Fill the stage cache, so a flush would show.
    let cached = client
        .get(&node.invoke_url("guarded", "prod", "/cached"))
        .await
        .expect("cached");
    assert_eq!(cached.status, 200, "{}", cached.text());
    let before = state(&admin).await;
    assert_eq!(before["cache_empty"], false, "{before}");
    assert_eq!(before["stages"], json!(["prod"]));

    for (method, path, body) in routes() {
        let url = format!("http://{}{path}", node.admin);
        let what = format!("{method} {path}");
        let unsigned = client
            .send(method.clone(), &url, &[], body.to_string())
            .await
            .expect("reply");
        assert_refused(
            &unsigned,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
            &format!("unsigned {what}"),
        );
        let forged = Signing {
            secret: "not-the-secret",
            ..Signing::admin()
        };
        let reply = send_signed(method.clone(), &url, &forged, body, body).await;
        assert_refused(&reply, "InvalidSignatureException", MISMATCH, &what);
        let stranger = Signing {
            key: "AKIANOBODY0000000000",
            ..Signing::admin()
        };
        let reply = send_signed(method.clone(), &url, &stranger, body, body).await;
        assert_refused(
            &reply,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            &what,
        );
        let garbage = client
            .send(
                method.clone(),
                &url,
                &[("authorization", "AWS4-HMAC-SHA256 nonsense")],
                body.to_string(),
            )
            .await
            .expect("reply");
        assert_eq!(garbage.status, 403, "garbage {what}");
        assert_eq!(
            garbage.header("x-amzn-errortype"),
            Some("InvalidSignatureException")
        );
        // The metrics token opens /metrics and nothing else.
        let bearer = format!("Bearer {METRICS_TOKEN}");
        let with_token = client
            .send(
                method.clone(),
                &url,
                &[("authorization", bearer.as_str())],
                body.to_string(),
            )
            .await
            .expect("reply");
        if (method.clone(), path) == (Method::GET, "/metrics") {
            assert_eq!(with_token.status, 200, "{}", with_token.text());
            assert!(with_token.text().contains("apigw_cache_bytes"));
        } else {
            assert_eq!(
                with_token.status, 403,
                "the token opens only /metrics: {what}"
            );
        }
    }
    let wrong_token = client
        .send(
            Method::GET,
            &format!("http://{}/metrics", node.admin),
            &[("authorization", "Bearer not-the-token")],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(wrong_token.status, 403);

    assert_eq!(state(&admin).await, before, "nothing changed");

    // The probes stay open; signed calls work.
    for path in ["/health", "/ready"] {
        let open = client
            .get(&format!("http://{}{path}", node.admin))
            .await
            .expect("probe");
        assert_eq!(open.status, 200, "{path}");
    }
    let flushed = admin
        .send(
            Method::DELETE,
            "/restapis/guarded/stages/prod/cache/data",
            "",
        )
        .await
        .expect("flush");
    assert_eq!(flushed.status, 202, "{}", flushed.text());
    assert_eq!(
        state(&admin).await["cache_empty"],
        true,
        "a signed flush works"
    );
    let unknown = admin.get("/no/such/route").await.expect("reply");
    assert_eq!(unknown.status, 404);
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_must_be_scoped_to_the_nodes_region() {
    let node = start();
    let admin = node.admin_client();
    let url = format!("http://{}/restapis", node.admin);
    let invoke = node.invoke_url("guarded", "prod", "/things");
    let body = r#"{"name": "elsewhere"}"#;
    for region in ["eu-west-1", "nowhere"] {
        let how = Signing {
            region,
            ..Signing::admin()
        };
        let reply = send_signed(Method::POST, &url, &how, body, body).await;
        assert_refused(
            &reply,
            "InvalidSignatureException",
            &format!("Credential should be scoped to a valid region, not '{region}'. "),
            region,
        );
        let user = Signing {
            key: USER_KEY,
            secret: USER_SECRET,
            region,
            service: "execute-api",
            ..Signing::admin()
        };
        let reply = send_signed(Method::POST, &invoke, &user, "{}", "{}").await;
        assert_eq!(reply.status, 403, "data plane, {region}: {}", reply.text());
        assert_eq!(
            reply.json()["message"],
            format!("Credential should be scoped to a valid region, not '{region}'. ")
        );
    }
    let wrong_service = Signing {
        service: "execute-api",
        ..Signing::admin()
    };
    let reply = send_signed(Method::POST, &url, &wrong_service, body, body).await;
    assert_refused(
        &reply,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'apigateway'. ",
        "service",
    );
    let names: Vec<Value> = admin.get("/restapis").await.expect("list").json()["item"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("guarded")], "nothing was created");
    // Signed for the node's own region, both work.
    let user = Signing {
        key: USER_KEY,
        secret: USER_SECRET,
        service: "execute-api",
        ..Signing::admin()
    };
    let reply = send_signed(Method::POST, &invoke, &user, "{}", "{}").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_in_another_region_takes_its_own_regions_signatures() {
    let node = Node::builder()
        .config("node: {region: eu-west-3}\n")
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .start()
        .expect("node starts");
    assert_eq!(node.region, "eu-west-3");
    let listed = node.admin_client().get("/restapis").await.expect("list");
    assert_eq!(listed.status, 200, "{}", listed.text());
    let url = format!("http://{}/restapis", node.admin);
    let reply = send_signed(Method::GET, &url, &Signing::admin(), "", "").await;
    assert_refused(
        &reply,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'us-east-1'. ",
        "us-east-1 on an eu-west-3 node",
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_payloads_and_tampered_bodies_are_refused() {
    let node = start();
    let admin = node.admin_client();
    let url = format!("http://{}/restapis", node.admin);
    let body = r#"{"name": "honest"}"#;
    let evil = r#"{"name": "tampered"}"#;

    let unsigned_payload = Signing {
        unsigned_payload: true,
        ..Signing::admin()
    };
    let reply = send_signed(Method::POST, &url, &unsigned_payload, body, evil).await;
    assert_eq!(reply.status, 403, "UNSIGNED-PAYLOAD: {}", reply.text());
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
    let reply = send_signed(Method::POST, &url, &Signing::admin(), body, evil).await;
    assert_refused(
        &reply,
        "InvalidSignatureException",
        MISMATCH,
        "tampered body",
    );
    // A payload hash header that is not the body's, even when signed.
    let claimed = Signing {
        claimed_sha256: Some("0000000000000000000000000000000000000000000000000000000000000000"),
        ..Signing::admin()
    };
    let reply = send_signed(Method::POST, &url, &claimed, body, body).await;
    assert_refused(
        &reply,
        "InvalidSignatureException",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        "claimed hash",
    );
    let names: Vec<Value> = admin.get("/restapis").await.expect("list").json()["item"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("guarded")], "nothing was created");
    // On the data plane, an AWS_IAM method: the same rules.
    let invoke = node.invoke_url("guarded", "prod", "/things");
    let user = Signing {
        key: USER_KEY,
        secret: USER_SECRET,
        service: "execute-api",
        ..Signing::admin()
    };
    let unsigned_payload = Signing {
        unsigned_payload: true,
        ..user
    };
    let reply = send_signed(Method::POST, &invoke, &unsigned_payload, "{}", "{\"x\":1}").await;
    assert_eq!(
        reply.status,
        403,
        "execute-api UNSIGNED-PAYLOAD: {}",
        reply.text()
    );
    let user = Signing {
        key: USER_KEY,
        secret: USER_SECRET,
        service: "execute-api",
        ..Signing::admin()
    };
    let reply = send_signed(Method::POST, &invoke, &user, "{}", "{\"x\":1}").await;
    assert_eq!(reply.status, 403, "execute-api tampered: {}", reply.text());
    let reply = send_signed(Method::POST, &invoke, &user, "{}", "{}").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_membership_routes_refuse_unsigned_calls_and_work_signed() {
    use apigw_tests::cluster::{cluster_certs, free_udp_port, wait_for_view};
    let (_certs, certs) = cluster_certs("1,2");
    let ports = [free_udp_port(), free_udp_port()];
    let start = |i: usize| {
        let (id, peer) = (i + 1, 2 - i);
        Node::builder()
            .config(&format!(
                "cluster:\n  name: lab\n  node_id: {id}\n  listen: 127.0.0.1:{}\n  certs: '{certs}'\n  gossip_interval_ms: 50\n  peers: [{{id: {peer}, addr: '127.0.0.1:{}'}}]\n",
                ports[i],
                ports[1 - i]
            ))
            .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
            .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
            .start()
            .expect("node starts")
    };
    let nodes = [start(0), start(1)];
    for node in &nodes {
        wait_for_view(node, "a leader and two voters", |v| {
            v["raft"]["leader"].is_u64() && v["raft"]["voters"] == json!([1, 2])
        })
        .await;
    }
    let client = Client::default();
    for node in &nodes {
        for (method, path) in [
            (Method::DELETE, "/cluster/members/1"),
            (Method::DELETE, "/cluster/members/2"),
            (Method::POST, "/cluster/members/1/promote"),
            (Method::POST, "/cluster/members/2/promote"),
            (Method::GET, "/cluster"),
        ] {
            let url = format!("http://{}{path}", node.admin);
            let reply = client
                .send(method.clone(), &url, &[], "")
                .await
                .expect("reply");
            assert_refused(
                &reply,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
                &format!("{method} {path}"),
            );
        }
    }
    let view = nodes[0]
        .admin_client()
        .get("/cluster")
        .await
        .expect("view")
        .json();
    assert_eq!(
        view["raft"]["voters"],
        json!([1, 2]),
        "no member was removed: {view}"
    );
    // Signed, the same route works: the leader removes the other member.
    let leader = view["raft"]["leader"].as_u64().expect("leader") as usize;
    let other = 3 - leader;
    let removed = nodes[leader - 1]
        .admin_client()
        .send(Method::DELETE, &format!("/cluster/members/{other}"), "")
        .await
        .expect("remove");
    assert_eq!(removed.status, 200, "{}", removed.text());
    assert_eq!(removed.json()["voters"], json!([leader]));
    for node in nodes {
        node.stop().expect("stops");
    }
}

/// Stage names AWS refuses (`[A-Za-z0-9_-]`, at most 128 characters).
fn bad_stage_names() -> Vec<String> {
    let mut names: Vec<String> = ["../evil", "a/b", "a b", "prod\n", "x\"y", "é", "a.b"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.push("s".repeat(129));
    names.push("s".repeat(200));
    names
}

async fn stage_names(admin: &AdminClient) -> Vec<String> {
    let mut names: Vec<String> = admin
        .get("/restapis/guarded/stages")
        .await
        .expect("stages")
        .json()["item"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["stageName"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

async fn deployment_count(admin: &AdminClient) -> usize {
    admin
        .get("/restapis/guarded/deployments")
        .await
        .expect("deployments")
        .json()["item"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_names_are_refused_and_nothing_is_stored() {
    let node = start();
    let admin = node.admin_client();
    let deployments = deployment_count(&admin).await;
    for name in bad_stage_names() {
        for (path, body) in [
            (
                "/restapis/guarded/deployments",
                json!({ "stageName": name }),
            ),
            (
                "/restapis/guarded/stages",
                json!({"stageName": name, "deploymentId": "x"}),
            ),
        ] {
            let reply = admin
                .send(Method::POST, path, body.to_string())
                .await
                .expect("reply");
            assert_eq!(reply.status, 400, "{path} {name:?}: {}", reply.text());
            assert_eq!(
                reply.header("x-amzn-errortype"),
                Some("BadRequestException")
            );
            let message = reply.json()["message"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert!(message.starts_with("Stage name"), "{message}");
        }
    }
    // The same through boto3.
    let names = serde_json::to_string(&bad_stage_names()).expect("json");
    let script = format!("{}/scripts/bad_names.py", env!("CARGO_MANIFEST_DIR"));
    let python = apigw_tests::python::python_with_lambda_ric().expect("python with boto3");
    let out = std::process::Command::new(python)
        .args([
            &script,
            &format!("http://{}", node.admin),
            KEY,
            SECRET,
            "guarded",
            &names,
        ])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    for name in bad_stage_names() {
        for call in ["create_deployment", "create_stage"] {
            let got = &seen[&name][call];
            assert_eq!(
                got[0], "BadRequestException",
                "boto3 {call} {name:?}: {got}"
            );
            assert_eq!(got[1], 400);
        }
    }
    assert_eq!(
        stage_names(&admin).await,
        ["prod"],
        "no bad stage was stored"
    );
    assert_eq!(
        deployment_count(&admin).await,
        deployments,
        "no deployment either"
    );

    // Other names that end up in paths: resource path parts, models,
    // domains, base paths, tags.
    let root = admin
        .get("/restapis/guarded/resources")
        .await
        .expect("resources")
        .json()["item"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["path"] == "/")
        .and_then(|r| r["id"].as_str().map(str::to_string))
        .expect("root");
    let refused: Vec<(String, Value, &str)> = vec![
        (
            format!("/restapis/guarded/resources/{root}"),
            json!({"pathPart": "../x"}),
            "Resource's path part only allow",
        ),
        (
            format!("/restapis/guarded/resources/{root}"),
            json!({"pathPart": "a b"}),
            "Resource's path part only allow",
        ),
        (
            "/restapis/guarded/models".into(),
            json!({"name": "body_1", "schema": "{}", "contentType": "application/json"}),
            "Model name must be alphanumeric",
        ),
        (
            "/domainnames".into(),
            json!({"domainName": "../evil"}),
            "Invalid domain name",
        ),
        (
            "/domainnames".into(),
            json!({"domainName": "a.example.com\nx"}),
            "Invalid domain name",
        ),
        (
            "/restapis".into(),
            json!({"name": "ok", "tags": {"aws:owner": "x"}}),
            "Invalid tag key",
        ),
        (
            "/restapis".into(),
            json!({"name": "bell\u{7}"}),
            "name must be at most",
        ),
    ];
    for (path, body, message) in refused {
        let reply = admin
            .send(Method::POST, &path, body.to_string())
            .await
            .expect("reply");
        assert_eq!(reply.status, 400, "{path} {body}: {}", reply.text());
        let got = reply.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(got.starts_with(message), "{path} {body}: {got}");
    }
    let apis = admin.get("/restapis").await.expect("apis").json()["item"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(apis, 1, "no API was created");
    let domains = admin.get("/domainnames").await.expect("domains").json()["item"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(domains, 0);
    node.stop().expect("stops");
}

#[test]
fn a_config_with_a_bad_stage_name_does_not_start() {
    for name in ["../evil", "a b", "s".repeat(129).as_str()] {
        let config = format!(
            "apis:\n  - {{id: guarded, openapi: api.yaml, stages: [{{name: {}}}]}}\n",
            serde_json::to_string(name).expect("json")
        );
        let started = Node::builder()
            .file("api.yaml", API)
            .config(&config)
            .start();
        let Err(e) = started else {
            panic!("a node started with stage name {name:?}");
        };
        assert!(format!("{e:#}").contains("Stage name"), "{e:#}");
    }
}

#[test]
fn names_cannot_forge_log_lines() {
    let config = "apis:\n  - {id: guarded, name: \"evil\\n{\\\"level\\\":\\\"ERROR\\\",\\\"forged\\\":true}\", openapi: api.yaml, stages: [{name: prod}]}\n";
    let node = Node::builder()
        .file("api.yaml", API)
        .config(config)
        .start()
        .expect("node starts");
    let line = node
        .wait_for_log(|v| v["message"] == "api from config")
        .expect("the API's log line");
    assert_eq!(line["name"], "evil\n{\"level\":\"ERROR\",\"forged\":true}");
    for line in node.log_lines() {
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(v.get("forged").is_none(), "{line}");
    }
    node.stop().expect("stops");
}
