//! AWS_IAM methods: requests signed with SigV4 by a configured IAM user pass;
//! unsigned, stale, forged or tampered ones get AWS's 403s.

use std::time::{Duration, SystemTime};

use apigw_tests::{Client, Node, Reply};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::Method;
use serde_json::json;

const API: &str = r#"
openapi: 3.0.1
info: {title: iam}
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
paths:
  /things:
    post:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"arn": "$context.identity.userArn", "key": "$context.identity.accessKey"}'}
"#;

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Sends a SigV4-signed POST (`tamper` changes the body after signing).
async fn signed(
    node: &Node,
    key: &str,
    secret: &str,
    at: SystemTime,
    body: &str,
    tamper: bool,
) -> Reply {
    let url = node.invoke_url("iam", "prod", "/things?b=2&a=1");
    let host = node.data.to_string();
    let identity = aws_credential_types::Credentials::new(key, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("execute-api")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/json"),
    ];
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("signs").into_parts();
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in instructions.headers() {
        all.push((k.to_string(), v.to_string()));
    }
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let sent = if tamper {
        format!("{body} ")
    } else {
        body.to_string()
    };
    Client::default()
        .send(Method::POST, &url, &refs, sent)
        .await
        .expect("reply")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4_is_verified() {
    let config = format!(
        "iam_users:\n  - {{name: alice, access_key_id: {KEY}, secret_access_key: '{SECRET}'}}\napis:\n  - {{id: iam, openapi: api.yaml, stages: [{{name: prod}}]}}\n"
    );
    let node = Node::builder()
        .file("api.yaml", API)
        .config(&config)
        .start()
        .expect("node starts");
    let now = SystemTime::now();

    let ok = signed(&node, KEY, SECRET, now, r#"{"x": 1}"#, false).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(
        ok.json(),
        json!({"arn": "arn:aws:iam::000000000000:user/alice", "key": KEY})
    );

    let unsigned = Client::default()
        .send(
            Method::POST,
            &node.invoke_url("iam", "prod", "/things"),
            &[],
            "{}",
        )
        .await
        .expect("reply");
    assert_eq!(unsigned.status, 403);
    assert_eq!(
        unsigned.json(),
        json!({"message": "Missing Authentication Token"})
    );

    let forged = signed(&node, KEY, "not-the-secret", now, "{}", false).await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        forged.header("x-amzn-errortype"),
        Some("InvalidSignatureException")
    );
    assert!(forged.json()["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("The request signature we calculated does not match")));

    let tampered = signed(&node, KEY, SECRET, now, "{}", true).await;
    assert_eq!(tampered.status, 403, "the body is covered by the signature");

    let stranger = signed(&node, "AKIAUNKNOWN000000000", SECRET, now, "{}", false).await;
    assert_eq!(
        stranger.json(),
        json!({"message": "The security token included in the request is invalid."})
    );

    let stale = signed(
        &node,
        KEY,
        SECRET,
        now - Duration::from_secs(600),
        "{}",
        false,
    )
    .await;
    assert_eq!(stale.status, 403);
    assert!(stale.json()["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("Signature expired")));
    node.stop().expect("stops");
}
