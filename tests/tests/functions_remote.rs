//! Remote functions: the gateway calls the Lambda Invoke API, signed with
//! SigV4, on a configurable endpoint. The endpoint here is a small Lambda
//! service of the test's own that checks every signature independently.

use std::time::SystemTime;

use apigw_tests::backend::{json_response, Seen};
use apigw_tests::{Backend, Client, Node};
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http::Method;
use serde_json::{json, Value};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Recomputes the request's SigV4 signature with the shared secret and says
/// whether the `Authorization` header carries it.
fn signature_is_valid(seen: &Seen, host: &str) -> Result<(), String> {
    let authorization = seen
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no authorization")?;
    let amz_date = seen
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or("no x-amz-date")?;
    if !authorization.starts_with(&format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")) {
        return Err(format!("unexpected credential scope in {authorization}"));
    }
    if !authorization.contains("/eu-west-1/lambda/aws4_request") {
        return Err(format!("wrong region or service in {authorization}"));
    }
    let signed_headers = authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .ok_or("no SignedHeaders")?;
    let headers: Vec<(String, String)> = signed_headers
        .split(';')
        .filter(|h| !matches!(*h, "x-amz-date" | "x-amz-content-sha256"))
        .map(|h| {
            let value = if h == "host" {
                host.to_string()
            } else {
                seen.headers
                    .get(h)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string()
            };
            (h.to_string(), value)
        })
        .collect();
    let time = time::PrimitiveDateTime::parse(
        amz_date,
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .map_err(|e| e.to_string())?
    .assume_utc();
    let identity =
        aws_credential_types::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("lambda")
        .time(SystemTime::from(time))
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let url = format!("http://{host}{}", seen.target);
    let signable = SignableRequest::new(
        &seen.method,
        &url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&seen.body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let expected = instructions
        .headers()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.to_string())
        .ok_or("signer gave no authorization")?;
    if expected != authorization {
        return Err(format!(
            "signature mismatch:\n got  {authorization}\n want {expected}"
        ));
    }
    Ok(())
}

/// A Lambda Invoke API endpoint with three functions.
async fn lambda_service() -> Backend {
    Backend::start(|seen: Seen| async move {
        let host = seen.headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        if let Err(reason) = signature_is_valid(&seen, &host) {
            return json_response(403, &json!({"message": reason}));
        }
        let event: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
        match seen.target.as_str() {
            "/2015-03-31/functions/echo-at-aws/invocations" => json_response(
                200,
                &json!({"statusCode": 201, "body": json!({"path": event["path"], "invocationType": seen.headers.get("x-amz-invocation-type").and_then(|v| v.to_str().ok())}).to_string()}),
            ),
            "/2015-03-31/functions/failing/invocations" => {
                let mut response = json_response(200, &json!({"errorMessage": "bad input: no name", "errorType": "Error"}));
                response.headers_mut().insert("x-amz-function-error", "Unhandled".parse().expect("header"));
                response
            }
            "/2015-03-31/functions/busy/invocations" => json_response(429, &json!({"Type": "User", "message": "Rate Exceeded."})),
            _ => json_response(404, &json!({"Type": "User", "message": "Function not found"})),
        }
    })
    .await
}

fn api() -> String {
    let uri = |name: &str| {
        format!("arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:{name}/invocations")
    };
    format!(
        r#"
openapi: 3.0.1
info: {{title: remote}}
paths:
  /echo:
    get:
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: '{echo}'}}
  /failing:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: '{failing}'
        responses:
          "bad input.*": {{statusCode: "400"}}
          default: {{statusCode: "200"}}
  /busy:
    get:
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: '{busy}'}}
  /gone:
    get:
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: '{gone}'}}
  /forged:
    get:
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: '{forged}'}}
"#,
        echo = uri("echo"),
        failing = uri("failing"),
        busy = uri("busy"),
        gone = uri("gone"),
        forged = uri("forged"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_functions_are_invoked_with_sigv4() {
    let lambda = lambda_service().await;
    let endpoint = lambda.url();
    let config = format!(
        r#"
functions:
  - {{name: echo, remote: {{endpoint: '{endpoint}', function_name: echo-at-aws, region: eu-west-1}}}}
  - {{name: failing, remote: {{endpoint: '{endpoint}', region: eu-west-1}}}}
  - {{name: busy, remote: {{endpoint: '{endpoint}', region: eu-west-1}}}}
  - {{name: gone, remote: {{endpoint: '{endpoint}', region: eu-west-1}}}}
  - {{name: forged, remote: {{endpoint: '{endpoint}', function_name: echo-at-aws, region: eu-west-1, access_key_id: {ACCESS_KEY}, secret_access_key: not-the-secret}}}}
apis:
  - {{id: remote, openapi: api.yaml, stages: [{{name: prod}}]}}
"#
    );
    let node = Node::builder()
        .file("api.yaml", &api())
        .config(&config)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .start()
        .expect("node starts");
    let client = Client::default();

    let echo = client
        .get(&node.invoke_url("remote", "prod", "/echo"))
        .await
        .expect("reply");
    assert_eq!(echo.status, 201, "{}", echo.text());
    assert_eq!(
        echo.json(),
        json!({"path": "/echo", "invocationType": "RequestResponse"})
    );

    let failing = client
        .send(
            Method::POST,
            &node.invoke_url("remote", "prod", "/failing"),
            &[],
            Bytes::from_static(b"{}"),
        )
        .await
        .expect("reply");
    assert_eq!(failing.status, 400);
    assert_eq!(failing.json()["errorMessage"], "bad input: no name");

    let busy = client
        .get(&node.invoke_url("remote", "prod", "/busy"))
        .await
        .expect("reply");
    assert_eq!(busy.status, 429);
    assert_eq!(busy.json(), json!({"message": "Too Many Requests"}));

    for path in ["/gone", "/forged"] {
        let reply = client
            .get(&node.invoke_url("remote", "prod", path))
            .await
            .expect("reply");
        assert_eq!(reply.status, 500, "{path}");
        assert_eq!(reply.json(), json!({"message": "Internal server error"}));
    }
    // The forged signature was refused by the service, not by luck.
    let refused = lambda
        .seen()
        .iter()
        .filter(|s| signature_is_valid(s, &lambda.addr.to_string()).is_err())
        .count();
    assert_eq!(refused, 1);
    node.stop().expect("stops");
}
