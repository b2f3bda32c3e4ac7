//! Cognito user pool (JWT) authorizers: tokens signed by a key made in the
//! test, checked against the JWKS file the node is given.

use apigw_tests::{Client, Node};
use base64::Engine;
use http::Method;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test";

const API: &str = r#"
openapi: 3.0.1
info: {title: jwt}
components:
  securitySchemes:
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: [arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_test]
paths:
  /me:
    get:
      security: [{pool: []}]
      x-amazon-apigateway-integration: &who
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"sub": "$context.authorizer.claims.sub", "email": "$context.authorizer.claims.email"}'}
  /admin:
    get:
      security: [{pool: [pets/admin]}]
      x-amazon-apigateway-integration: *who
"#;

struct Signer {
    key: EncodingKey,
    jwks: Value,
}

fn signer(kid: &str) -> Signer {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key pair");
    let raw = pair.public_key_raw();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Signer {
        key: EncodingKey::from_ec_der(&pair.serialize_der()),
        jwks: json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
            "x": b64.encode(&raw[1..33]), "y": b64.encode(&raw[33..65])}]}),
    }
}

fn token(signer: &Signer, claims: Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k1".into());
    encode(&header, &claims, &signer.key).expect("token")
}

fn claims(extra: Value) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut c = json!({"sub": "user-1", "email": "ann@example.com", "iss": ISSUER, "client_id": "app-client", "exp": now + 600, "token_use": "access", "scope": "pets/read"});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            c.insert(k.clone(), v.clone());
        }
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_authorizers_check_signature_issuer_audience_expiry_and_scopes() {
    let good = signer("k1");
    let other = signer("k1");
    let config = format!(
        "jwt_authorizers:\n  - {{name: pool, issuer: '{ISSUER}', audience: [app-client], jwks_file: jwks.json}}\napis:\n  - {{id: jwt, openapi: api.yaml, stages: [{{name: prod}}]}}\n"
    );
    let node = Node::builder()
        .file("api.yaml", API)
        .file("jwks.json", &good.jwks.to_string())
        .config(&config)
        .start()
        .expect("node starts");
    let client = Client::default();
    let me = node.invoke_url("jwt", "prod", "/me");
    let call = |url: String, value: String| {
        let client = client.clone();
        async move {
            client
                .send(Method::GET, &url, &[("authorization", value.as_str())], "")
                .await
                .expect("reply")
        }
    };

    let ok = call(me.clone(), token(&good, claims(json!({})))).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(
        ok.json(),
        json!({"sub": "user-1", "email": "ann@example.com"})
    );
    let bearer = call(
        me.clone(),
        format!("Bearer {}", token(&good, claims(json!({})))),
    )
    .await;
    assert_eq!(bearer.status, 200);

    let refused = [
        ("no token", String::new()),
        ("garbage", "not.a.jwt".to_string()),
        ("another key", token(&other, claims(json!({})))),
        (
            "expired",
            token(&good, claims(json!({"exp": 1_000_000_000u64}))),
        ),
        (
            "other issuer",
            token(&good, claims(json!({"iss": "https://elsewhere"}))),
        ),
        (
            "other audience",
            token(&good, claims(json!({"client_id": "someone-else"}))),
        ),
    ];
    for (why, value) in refused {
        let reply = if value.is_empty() {
            client.get(&me).await.expect("reply")
        } else {
            call(me.clone(), value).await
        };
        assert_eq!(reply.status, 401, "{why}");
        assert_eq!(reply.json(), json!({"message": "Unauthorized"}), "{why}");
    }

    let admin = node.invoke_url("jwt", "prod", "/admin");
    let without_scope = call(admin.clone(), token(&good, claims(json!({})))).await;
    assert_eq!(without_scope.status, 401, "the method wants pets/admin");
    let with_scope = call(
        admin,
        token(&good, claims(json!({"scope": "pets/read pets/admin"}))),
    )
    .await;
    assert_eq!(with_scope.status, 200);
    node.stop().expect("stops");
}
