//! Data-plane answers as AWS gives them (issue 17), each behaviour checked
//! against a real node with a real HTTP client: MOCK templates CDK writes
//! (`{statusCode: 200}`) and `$context.responseOverride`/`requestOverride`;
//! `$input.body` of an empty body; a method missing on a literal resource
//! falling through to `{proxy+}`; a greedy parameter not named proxy in an
//! HTTP_PROXY URI; the headers HTTP and HTTP_PROXY send and answer
//! (`x-amzn-Remapped-*`, dropped hop-by-hop headers, API id and trace
//! headers); Lambda proxy events (trace id, `X-Forwarded-Port`, no
//! `requestContext.authorizer` without an authorizer) and Lambda
//! integrations AWS fails at invoke time.

use apigw_tests::backend::{describe, json_response};
use apigw_tests::python::python_with_lambda_ric;
use apigw_tests::{Backend, Client, Node};
use http::Method;
use serde_json::{json, Value};

const MOCKS: &str = r#"
openapi: 3.0.1
info: {title: mocks}
paths:
  /cors:
    options:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{statusCode: 200}'}
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.Access-Control-Allow-Origin: "'*'"
  /override:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            #set($context.responseOverride.status = 444)
            #set($context.responseOverride.header.foo = "bar")
            #set($context.responseOverride.custom = "passed around")
            #set($context.requestOverride.path.note = "from the request")
            {"statusCode": 200}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"status": "$context.responseOverride.status", "custom": "$context.responseOverride.custom", "note": "$context.requestOverride.path.note"}'
  /body:
    post:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            #set($context.responseOverride.header.X-Body = "$input.body")
            {"statusCode": 200}
        responses:
          default: {statusCode: "200"}
  /test:
    post:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"from": "literal"}'}
  /{proxy+}:
    options:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"from": "proxy", "proxy": "$input.params(''proxy'')"}'}
"#;

fn mock_node() -> Node {
    Node::builder()
        .file("api.yaml", MOCKS)
        .config("apis:\n  - id: mocks\n    openapi: api.yaml\n    stages: [{name: dev}]\n")
        .start()
        .expect("node starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_accepts_the_cdk_cors_template_and_answers_empty() {
    let node = mock_node();
    let reply = Client::default()
        .send(
            Method::OPTIONS,
            &node.invoke_url("mocks", "dev", "/cors"),
            &[("content-type", "application/json")],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), "");
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("connection"), Some("keep-alive"));
    assert_eq!(
        reply.header("x-amzn-trace-id"),
        None,
        "MOCK answers carry none"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_spell_header_names_as_aws_does() {
    let node = mock_node();
    let url = node.invoke_url("mocks", "dev", "/cors");
    let (headers, _) = tokio::task::spawn_blocking(move || {
        curl("OPTIONS", &url, &["Content-Type: application/json"], "")
    })
    .await
    .expect("curl thread");
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    // As the method response's mapping spells it, and AWS's own names.
    for spelled in [
        "Access-Control-Allow-Origin",
        "Content-Type",
        "Content-Length",
        "Date",
        "Connection",
        "x-amzn-RequestId",
        "x-amz-apigw-id",
    ] {
        assert!(names.contains(&spelled), "{spelled} not in {names:?}");
    }
    // A gateway response too.
    let missing = node.invoke_url("mocks", "dev", "/nothing/here");
    let (headers, body) = tokio::task::spawn_blocking(move || curl("GET", &missing, &[], ""))
        .await
        .expect("curl thread");
    assert!(body.contains("Missing Authentication Token"), "{body}");
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"x-amzn-ErrorType"), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_request_template_overrides_reach_the_response() {
    let node = mock_node();
    let reply = Client::default()
        .get(&node.invoke_url("mocks", "dev", "/override"))
        .await
        .expect("reply");
    assert_eq!(reply.status, 444, "{}", reply.text());
    assert_eq!(reply.header("foo"), Some("bar"));
    assert_eq!(
        reply.json(),
        json!({"status": "444", "custom": "passed around", "note": "from the request"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_body_of_an_empty_request_is_an_empty_object() {
    let node = mock_node();
    let client = Client::default();
    let url = node.invoke_url("mocks", "dev", "/body");
    let empty = client
        .send(Method::POST, &url, &[], "")
        .await
        .expect("reply");
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(empty.header("x-body"), Some("{}"));
    let given = client
        .send(Method::POST, &url, &[], r#"{"a":1}"#)
        .await
        .expect("reply");
    assert_eq!(given.header("x-body"), Some(r#"{"a":1}"#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_missing_on_a_literal_resource_falls_through_to_proxy() {
    let node = mock_node();
    let client = Client::default();
    let url = node.invoke_url("mocks", "dev", "/test");
    let options = client
        .send(Method::OPTIONS, &url, &[], "")
        .await
        .expect("reply");
    assert_eq!(options.status, 200, "{}", options.text());
    assert_eq!(options.json(), json!({"from": "proxy", "proxy": "test"}));
    let post = client
        .send(Method::POST, &url, &[], "")
        .await
        .expect("reply");
    assert_eq!(post.json(), json!({"from": "literal"}));
    // No resource has GET: still AWS's answer for a missing method.
    let get = client.get(&url).await.expect("reply");
    assert_eq!(get.status, 403);
    assert_eq!(
        get.json(),
        json!({"message": "Missing Authentication Token"})
    );
}

fn http_api(backend: &str) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: http}}
paths:
  /{{map+}}:
    x-amazon-apigateway-any-method:
      parameters:
        - {{name: map, in: path, required: true, schema: {{type: string}}}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: '{backend}/up/{{map}}'
        requestParameters:
          integration.request.path.map: method.request.path.map
  /plain:
    get:
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: '{backend}/plain'
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.Content-Length: "'99'"
              method.response.header.Server: "'mine'"
              method.response.header.X-Kept: "'kept'"
"#
    )
}

fn http_node(backend: &Backend) -> Node {
    Node::builder()
        .file("api.yaml", &http_api(&backend.url()))
        .config("apis:\n  - id: httpapi\n    openapi: api.yaml\n    stages: [{name: prod}]\n")
        .start()
        .expect("node starts")
}

/// A backend echoing the request, answering with headers AWS remaps.
async fn remapping_backend() -> Backend {
    Backend::start(|seen| async move {
        let mut response = json_response(200, &describe(&seen));
        let headers = response.headers_mut();
        headers.insert("server", http::HeaderValue::from_static("backend/1.0"));
        headers.insert(
            "x-amzn-requestid",
            http::HeaderValue::from_static("backend-request-id"),
        );
        headers.insert("x-own", http::HeaderValue::from_static("passed"));
        response
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_headers_go_and_come_back_as_on_aws() {
    let backend = remapping_backend().await;
    let node = http_node(&backend);
    let reply = Client::default()
        .send(
            Method::POST,
            &node.invoke_url("httpapi", "prod", "/a/b%20c/d"),
            &[
                ("content-type", "application/json"),
                ("expect", "100-continue"),
                ("max-forwards", "2"),
                ("te", "trailers"),
                ("via", "1.1 somewhere"),
                ("x-client", "kept"),
            ],
            r#"{"hello":"world"}"#,
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let seen = reply.json();
    // A greedy parameter not named proxy fills the URI's {map}.
    assert_eq!(seen["target"], "/up/a/b%20c/d");
    let sent = &seen["headers"];
    for dropped in ["max-forwards", "te", "via", "expect"] {
        assert_eq!(sent.get(dropped), None, "{dropped} reached the backend");
    }
    assert_eq!(sent["x-client"], "kept");
    assert_eq!(sent["x-amzn-apigateway-api-id"], "httpapi");
    assert!(sent["x-amzn-trace-id"]
        .as_str()
        .is_some_and(|t| t.starts_with("Root=1-")));
    assert_eq!(
        sent["content-length"],
        r#"{"hello":"world"}"#.len().to_string()
    );
    assert_eq!(sent["x-forwarded-for"], "127.0.0.1");
    // The backend's own headers AWS keeps as x-amzn-Remapped-*.
    assert_eq!(reply.header("x-amzn-remapped-server"), Some("backend/1.0"));
    assert_eq!(
        reply.header("x-amzn-remapped-x-amzn-requestid"),
        Some("backend-request-id")
    );
    assert!(reply.header("x-amzn-remapped-date").is_some());
    let length = reply.body.len().to_string();
    assert_eq!(reply.header("content-length"), Some(length.as_str()));
    assert_eq!(
        reply.header("x-amzn-remapped-content-length"),
        Some(length.as_str())
    );
    assert_eq!(reply.header("x-own"), Some("passed"));
    assert_eq!(reply.header("server"), None);
    assert_ne!(
        reply.header("x-amzn-requestid"),
        Some("backend-request-id"),
        "the gateway's own request id"
    );
}

/// A backend on a raw socket that spells its header names its own way,
/// on keep-alive connections; `answers` counts the requests it answered.
fn spelling_backend() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let answers = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = answers.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let counted = counted.clone();
            std::thread::spawn(move || {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match stream.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    buffer.drain(..end + 4);
                    let n = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nX-Custom-ID: {n}\r\ncontent-TYPE: text/plain\r\n\
                         x-MiXeD-Case: yes\r\nContent-Length: 2\r\n\r\nok"
                    );
                    if stream.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, answers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_proxy_answers_keep_the_backends_spelling_on_reused_connections() {
    let (backend, answers) = spelling_backend();
    let node = Node::builder()
        .file("api.yaml", &http_api(&backend))
        .config("apis:\n  - id: httpapi\n    openapi: api.yaml\n    stages: [{name: prod}]\n")
        .start()
        .expect("node starts");
    let url = node.invoke_url("httpapi", "prod", "/spelled");
    // Three requests: the later ones reuse the gateway's pooled backend
    // connection, whose watcher must record each answer's head anew.
    for round in 0..3 {
        let url = url.clone();
        let (headers, body) = tokio::task::spawn_blocking(move || curl("GET", &url, &[], ""))
            .await
            .expect("curl thread");
        assert_eq!(body, "ok");
        let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        for spelled in [
            "X-Custom-ID",
            "content-TYPE",
            "x-MiXeD-Case",
            "x-amzn-RequestId",
            "x-amz-apigw-id",
            "x-amzn-Remapped-Content-Length",
        ] {
            assert!(
                names.contains(&spelled),
                "round {round}: {spelled} not in {names:?}"
            );
        }
        let id = headers
            .iter()
            .find(|(k, _)| k == "X-Custom-ID")
            .map(|(_, v)| v.clone());
        assert!(id.is_some_and(|v| v.parse::<usize>().is_ok()));
    }
    assert_eq!(answers.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_integration_sends_aws_defaults_and_remaps_mapped_headers() {
    let backend = remapping_backend().await;
    let node = http_node(&backend);
    let reply = Client::default()
        .get(&node.invoke_url("httpapi", "prod", "/plain"))
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let sent = &reply.json()["headers"];
    assert_eq!(sent["accept"], "application/json");
    assert_eq!(sent["user-agent"], "AmazonAPIGateway_httpapi");
    assert_eq!(sent["x-amzn-apigateway-api-id"], "httpapi");
    assert_eq!(sent["content-length"], "0");
    assert_eq!(sent.get("x-forwarded-for"), None, "only proxies forward");
    // Content-Length mapped in the method response goes out remapped; the
    // real one stays the body's.
    assert_eq!(reply.header("x-amzn-remapped-content-length"), Some("99"));
    let length = reply.body.len().to_string();
    assert_eq!(reply.header("content-length"), Some(length.as_str()));
    assert_eq!(reply.header("x-amzn-remapped-server"), Some("mine"));
    assert_eq!(reply.header("x-kept"), Some("kept"));
    assert!(reply
        .header("x-amzn-trace-id")
        .is_some_and(|t| t.starts_with("Root=1-")));
}

const HANDLERS: &str = include_str!("../functions/python/app.py");

fn lambda_uri(name: &str) -> String {
    format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{name}/invocations")
}

fn lambda_node() -> Node {
    let api = format!(
        r#"
openapi: 3.0.1
info: {{title: fns}}
paths:
  /event:
    post:
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: '{echo}'}}
  /get-method:
    get:
      x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: GET, uri: '{echo}'}}
  /plain:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: '{plain}'
        responses:
          default: {{statusCode: "200"}}
  /mapped-te:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: '{plain}'
        requestParameters:
          integration.request.header.TE: "'gzip'"
        responses:
          default: {{statusCode: "200"}}
"#,
        echo = lambda_uri("echo"),
        plain = lambda_uri("plain"),
    );
    let python = python_with_lambda_ric().expect("python with awslambdaric");
    let python = python.display();
    let config = format!(
        "functions:\n  - {{name: echo, command: ['{python}', -m, awslambdaric, app.echo], cwd: '.'}}\n  - {{name: plain, command: ['{python}', -m, awslambdaric, app.plain], cwd: '.'}}\napis:\n  - id: fns\n    openapi: api.yaml\n    stages: [{{name: prod}}]\n"
    );
    Node::builder()
        .file("api.yaml", &api)
        .file("app.py", HANDLERS)
        .config(&config)
        .start()
        .expect("node starts")
}

/// One request with curl, which sends header names as written: the
/// status line and headers as they came (names unchanged) and the body.
fn curl(method: &str, url: &str, headers: &[&str], body: &str) -> (Vec<(String, String)>, String) {
    let mut command = std::process::Command::new("curl");
    command.args(["-sS", "-i", "--max-time", "30", "-X", method]);
    if !body.is_empty() {
        command.args(["--data-binary", body]);
    }
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().expect("curl runs");
    assert!(
        output.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect();
    (headers, body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_proxy_event_and_answer_carry_what_aws_adds() {
    let node = lambda_node();
    let url = node.invoke_url("fns", "prod", "/event");
    let (answer_headers, body) = tokio::task::spawn_blocking(move || {
        curl(
            "POST",
            &url,
            &["x-cLiEnT: 1", "aUThorization: token", "TE: trailers"],
            "hello",
        )
    })
    .await
    .expect("curl thread");
    let reply: Value = serde_json::from_str(&body).expect("JSON answer");
    let event = &reply["event"];
    let headers = &event["headers"];
    // The client's spelling, but standard headers canonical (AWS's rule).
    assert_eq!(headers["x-cLiEnT"], "1", "{headers}");
    assert_eq!(headers["Authorization"], "token", "{headers}");
    let trace = headers["X-Amzn-Trace-Id"].as_str().expect("trace id");
    assert!(trace.starts_with("Root=1-"), "{trace}");
    assert_eq!(
        event["multiValueHeaders"]["X-Amzn-Trace-Id"],
        json!([trace])
    );
    let port = node.url("").rsplit(':').next().map(str::to_string);
    assert_eq!(headers["X-Forwarded-Port"].as_str(), port.as_deref());
    assert_eq!(headers["X-Forwarded-Proto"], "http");
    for dropped in ["Connection", "Content-Length", "TE", "Te"] {
        assert_eq!(headers.get(dropped), None, "{dropped} in the event");
    }
    let context = event["requestContext"].as_object().expect("requestContext");
    assert!(
        !context.contains_key("authorizer"),
        "no authorizer ran: {context:?}"
    );
    // The answer: the same trace id, names spelled as AWS spells them.
    let names: Vec<&str> = answer_headers.iter().map(|(k, _)| k.as_str()).collect();
    for spelled in [
        "Content-Type",
        "Content-Length",
        "Date",
        "Connection",
        "x-amzn-RequestId",
        "x-amz-apigw-id",
        "X-Amzn-Trace-Id",
    ] {
        assert!(names.contains(&spelled), "{spelled} not in {names:?}");
    }
    let answered_trace = answer_headers
        .iter()
        .find(|(k, _)| k == "X-Amzn-Trace-Id")
        .map(|(_, v)| v.as_str());
    assert_eq!(answered_trace, Some(trace));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_integrations_aws_fails_answer_internal_server_error() {
    let node = lambda_node();
    let client = Client::default();
    for (method, path) in [(Method::GET, "/get-method"), (Method::POST, "/mapped-te")] {
        let reply = client
            .send(method, &node.invoke_url("fns", "prod", path), &[], "{}")
            .await
            .expect("reply");
        assert_eq!(reply.status, 500, "{path}: {}", reply.text());
        assert_eq!(reply.text(), r#"{"message": "Internal server error"}"#);
        assert_eq!(
            reply.header("x-amzn-errortype"),
            Some("InternalServerErrorException")
        );
    }
    // A non-proxy function called without a body is given `{}`.
    let plain = client
        .send(
            Method::POST,
            &node.invoke_url("fns", "prod", "/plain"),
            &[],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert_eq!(plain.json()["got"], json!({}));
}
