//! Lambda integrations with local functions: unmodified Python handlers run by
//! the official runtime interface client (`awslambdaric` from PyPI), as child
//! processes of a real node.

use std::time::Duration;

use apigw_tests::python::python_with_lambda_ric;
use apigw_tests::{Client, Node};
use http::Method;
use serde_json::{json, Value};

const HANDLERS: &str = include_str!("../functions/python/app.py");

fn lambda_uri(name: &str) -> String {
    format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{name}/invocations")
}

fn api() -> String {
    let proxy = |name: &str| {
        format!(
            "x-amazon-apigateway-integration: {{type: aws_proxy, httpMethod: POST, uri: '{}'}}",
            lambda_uri(name)
        )
    };
    format!(
        r#"
openapi: 3.0.1
info: {{title: functions}}
paths:
  /{{proxy+}}:
    x-amazon-apigateway-any-method:
      {echo}
  /hardcoded:
    get:
      {echo}
  /by-stage:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${{stageVariables.fn}}/invocations'
  /plain:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: '{plain}'
        responses:
          default: {{statusCode: "200"}}
  /fail:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: '{fail}'
        responses:
          "not found: .*":
            statusCode: "404"
            responseTemplates:
              application/json: '{{"missing": true}}'
          default: {{statusCode: "200"}}
  /broken:
    post:
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: '{broken}'
        responses:
          default: {{statusCode: "200"}}
  /no-such-program:
    get:
      {no_program}
  /slow:
    post:
      {slow}
  /impatient:
    post:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        timeoutInMillis: 300
        uri: '{patient}'
  /crashy:
    post:
      {crashy}
  /malformed:
    get:
      {malformed}
  /undeclared:
    get:
      {undeclared}
"#,
        echo = proxy("echo"),
        plain = lambda_uri("plain"),
        fail = lambda_uri("fail"),
        slow = proxy("slow"),
        broken = lambda_uri("broken"),
        no_program = proxy("no-program"),
        patient = lambda_uri("patient"),
        crashy = proxy("crashy"),
        malformed = proxy("malformed"),
        undeclared = proxy("nobody"),
    )
}

fn config() -> String {
    let python = python_with_lambda_ric().expect("python with awslambdaric");
    let python = python.display();
    let function = |name: &str, handler: &str, extra: &str| {
        format!(
            "  - {{name: {name}, command: ['{python}', -m, awslambdaric, 'app.{handler}'], cwd: '.'{extra}}}\n"
        )
    };
    let mut text = String::from("node: {region: eu-west-3}\nfunctions:\n");
    text += &function("echo", "echo", ", env: {GREETING: hi}, max_concurrency: 4");
    text += &function("plain", "plain", ", min_warm: 1");
    text += &function("fail", "fail", "");
    text += &function("slow", "slow", ", timeout_ms: 1000, max_concurrency: 1");
    text += &function("patient", "slow", ", timeout_ms: 5000");
    text += &function("crashy", "crashy", "");
    text += &function("malformed", "malformed", "");
    text += &function("broken", "nothing_here", "");
    text += "  - {name: no-program, command: [/nonexistent/apigw-test-program]}\n";
    text += "apis:\n  - id: fns\n    openapi: api.yaml\n    stages:\n      - {name: prod, variables: {fn: echo}}\n";
    text
}

fn start() -> Node {
    Node::builder()
        .file("api.yaml", &api())
        .file("app.py", HANDLERS)
        .config(&config())
        .start()
        .expect("node starts")
}

fn host_headers<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut headers = vec![("host", "fns.execute-api.localhost")];
    headers.extend_from_slice(extra);
    headers
}

/// The event, as the echo function saw it.
async fn echoed(client: &Client, node: &Node, method: Method, path: &str, body: &str) -> Value {
    let reply = client
        .send(
            method,
            &node.url(path),
            &host_headers(&[("user-agent", "apigw-tests")]),
            body.to_string(),
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    reply.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_events_match_what_aws_sends() {
    let node = start();
    let client = Client::default();

    // (request path, event path, requestContext.path, pathParameters) as AWS
    // recorded them for a `/{proxy+}` resource.
    let cases = [
        (
            "/prod/proxy-value",
            "/proxy-value",
            "/prod/proxy-value",
            json!({"proxy": "proxy-value"}),
        ),
        (
            "/prod/proxy-value/",
            "/proxy-value/",
            "/prod/proxy-value/",
            json!({"proxy": "proxy-value"}),
        ),
        (
            "/prod/proxy-value//double-slash",
            "/proxy-value//double-slash",
            "/prod/proxy-value//double-slash",
            json!({"proxy": "proxy-value//double-slash"}),
        ),
        (
            "//prod/proxy-value",
            "/proxy-value",
            "/prod/proxy-value",
            json!({"proxy": "proxy-value"}),
        ),
        (
            "/prod//proxy-value",
            "/proxy-value",
            "/prod//proxy-value",
            json!({"proxy": "proxy-value"}),
        ),
        (
            "/prod/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "/prod/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            json!({"proxy": "proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com"}),
        ),
        (
            "/prod/hardcoded",
            "/hardcoded",
            "/prod/hardcoded",
            Value::Null,
        ),
    ];
    for (request_path, path, context_path, params) in cases {
        let event = echoed(&client, &node, Method::GET, request_path, "").await["event"].clone();
        assert_eq!(event["path"], path, "{request_path}");
        assert_eq!(
            event["requestContext"]["path"], context_path,
            "{request_path}"
        );
        assert_eq!(event["pathParameters"], params, "{request_path}");
        assert_eq!(event["body"], Value::Null);
        assert_eq!(event["queryStringParameters"], Value::Null);
        assert_eq!(event["multiValueQueryStringParameters"], Value::Null);
        assert_eq!(event["stageVariables"], json!({"fn": "echo"}));
    }

    let query = "?dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com&plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar&zhash=abort/";
    let event = echoed(
        &client,
        &node,
        Method::GET,
        &format!("/prod/proxy-value/api{query}"),
        "",
    )
    .await["event"]
        .clone();
    assert_eq!(
        event["queryStringParameters"],
        json!({
            "dateTimeOffset": "2023-06-12T18:05:10.123456 00:00",
            "email": "test+alias@gmail.com",
            "plus": "test alias@gmail.com",
            "url": "https://www.google.com/",
            "whitespace": "foo bar",
            "zhash": "abort/",
        })
    );

    let multi = "/prod/proxy-value?category=electronics&category=books&price=10&price=20&price=30";
    let reply = echoed(
        &client,
        &node,
        Method::POST,
        multi,
        r#"{"message": "hello world"}"#,
    )
    .await;
    let event = &reply["event"];
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(
        event["queryStringParameters"],
        json!({"category": "books", "price": "30"})
    );
    assert_eq!(
        event["multiValueQueryStringParameters"],
        json!({"category": ["electronics", "books"], "price": ["10", "20", "30"]})
    );
    assert_eq!(event["body"], r#"{"message": "hello world"}"#);
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["resource"], "/{proxy+}");
    let context = &event["requestContext"];
    assert_eq!(context["resourcePath"], "/{proxy+}");
    assert_eq!(context["stage"], "prod");
    assert_eq!(context["apiId"], "fns");
    assert_eq!(context["httpMethod"], "POST");
    assert_eq!(context["protocol"], "HTTP/1.1");
    assert_eq!(context["domainName"], "fns.execute-api.localhost");
    assert_eq!(context["domainPrefix"], "fns");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(context["identity"]["userAgent"], "apigw-tests");
    assert_eq!(context["identity"]["accessKey"], Value::Null);
    assert!(context["requestTimeEpoch"]
        .as_u64()
        .is_some_and(|t| t > 1_600_000_000_000));
    assert_eq!(context["resourceId"].as_str().map(str::len), Some(6));
    assert_eq!(event["headers"]["User-Agent"], "apigw-tests");
    assert_eq!(
        event["multiValueHeaders"]["User-Agent"],
        json!(["apigw-tests"])
    );
    assert_eq!(event["headers"]["X-Forwarded-For"], "127.0.0.1");
    // Lambda's request id is the API request id; the environment is Lambda's.
    assert_eq!(reply["requestId"], context["requestId"]);
    assert_eq!(
        reply["env"],
        json!({"AWS_REGION": "eu-west-3", "AWS_LAMBDA_FUNCTION_NAME": "echo", "GREETING": "hi"})
    );
    let remaining = reply["remainingMs"].as_i64().expect("remaining time");
    assert!(remaining > 0 && remaining <= 3000, "{remaining}");
    // The runtime client's `_X_AMZN_TRACE_ID` is the request's trace header.
    assert_eq!(reply["traceId"], event["headers"]["X-Amzn-Trace-Id"]);
    assert!(reply["traceId"]
        .as_str()
        .is_some_and(|t| t.starts_with("Root=1-")));
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_responses_are_validated_and_shaped() {
    let node = start();
    let client = Client::default();
    let reply = client
        .send(
            Method::GET,
            &node.invoke_url("fns", "prod", "/anything"),
            &[],
            "",
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-function"), Some("echo"));
    assert_eq!(reply.header("x-count"), Some("1"));
    let multi: Vec<&str> = reply
        .headers
        .get_all("x-multi")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(multi, vec!["a", "b"]);
    assert!(reply.header("x-amzn-requestid").is_some());

    let bad = client
        .get(&node.invoke_url("fns", "prod", "/malformed"))
        .await
        .expect("reply");
    assert_eq!(bad.status, 502);
    assert_eq!(bad.json(), json!({"message": "Internal server error"}));

    let by_stage = client
        .get(&node.invoke_url("fns", "prod", "/by-stage"))
        .await
        .expect("reply");
    assert_eq!(by_stage.status, 200);
    assert_eq!(by_stage.json()["event"]["resource"], "/by-stage");

    let undeclared = client
        .get(&node.invoke_url("fns", "prod", "/undeclared"))
        .await
        .expect("reply");
    assert_eq!(undeclared.status, 500);
    assert_eq!(
        undeclared.json(),
        json!({"message": "Internal server error"})
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_proxy_passes_the_body_and_selects_by_error_message() {
    let node = start();
    let client = Client::default();
    let admin = node.admin_client();
    // min_warm: 1 starts an instance before any traffic.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while admin.get("/functions").await.expect("functions").json()["functions"]["plain"]
        ["instances"]
        != 1
    {
        assert!(std::time::Instant::now() < deadline, "no warm instance");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reply = client
        .send(
            Method::POST,
            &node.invoke_url("fns", "prod", "/plain"),
            &[("content-type", "application/json")],
            r#"{"a": [1, 2]}"#,
        )
        .await
        .expect("reply");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["got"], json!({"a": [1, 2]}));
    let plain = &admin.get("/functions").await.expect("functions").json()["functions"]["plain"];
    assert_eq!(plain["cold_starts"], 0, "served by the warm instance");
    assert_eq!(plain["invocations"], 1);

    let missing = client
        .send(
            Method::POST,
            &node.invoke_url("fns", "prod", "/fail"),
            &[],
            r#"{"kind": "missing", "id": 7}"#,
        )
        .await
        .expect("reply");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json(), json!({"missing": true}));

    // No pattern matches: the default response carries Lambda's error payload.
    let other = client
        .send(
            Method::POST,
            &node.invoke_url("fns", "prod", "/fail"),
            &[],
            r#"{"kind": "other"}"#,
        )
        .await
        .expect("reply");
    assert_eq!(other.status, 200);
    let error = other.json();
    assert_eq!(error["errorMessage"], "something else broke");
    assert_eq!(error["errorType"], "ValueError");

    // A handler that does not exist: the runtime reports it on /init/error,
    // and that is the invocation's error, at once (no wait for a timeout).
    let started = std::time::Instant::now();
    let broken = client
        .send(
            Method::POST,
            &node.invoke_url("fns", "prod", "/broken"),
            &[],
            "{}",
        )
        .await
        .expect("reply");
    assert_eq!(broken.status, 200);
    assert_eq!(broken.json()["errorType"], "Runtime.HandlerNotFound");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // A command that cannot start is the operator's fault: 500.
    let no_program = client
        .get(&node.invoke_url("fns", "prod", "/no-such-program"))
        .await
        .expect("reply");
    assert_eq!(no_program.status, 500);
    assert_eq!(
        no_program.json(),
        json!({"message": "Internal server error"})
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_kill_and_concurrency_is_limited() {
    let node = start();
    let client = Client::default();
    let slow = node.invoke_url("fns", "prod", "/slow");

    // Warm: the same process answers twice.
    let first = client
        .send(Method::POST, &slow, &[], "0")
        .await
        .expect("reply");
    let second = client
        .send(Method::POST, &slow, &[], "0")
        .await
        .expect("reply");
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(
        first.json()["pid"],
        second.json()["pid"],
        "warm instance reused"
    );

    // Past the function's 1 s timeout: the invocation fails (502) and its
    // process is killed, so the next call is a cold start in a new process.
    let timed_out = client
        .send(Method::POST, &slow, &[], "5")
        .await
        .expect("reply");
    assert_eq!(timed_out.status, 502);
    assert_eq!(
        timed_out.json(),
        json!({"message": "Internal server error"})
    );
    let after = client
        .send(Method::POST, &slow, &[], "0")
        .await
        .expect("reply");
    assert_eq!(after.status, 200);
    assert_ne!(
        after.json()["pid"],
        first.json()["pid"],
        "the timed-out process was replaced"
    );

    // max_concurrency 1: a second invocation while one runs is refused.
    let busy = {
        let client = client.clone();
        let slow = slow.clone();
        tokio::spawn(async move { client.send(Method::POST, &slow, &[], "0.8").await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = client
        .send(Method::POST, &slow, &[], "0")
        .await
        .expect("reply");
    assert_eq!(refused.status, 429);
    assert_eq!(refused.json(), json!({"message": "Too Many Requests"}));
    assert_eq!(busy.await.expect("task").expect("reply").status, 200);

    // An integration timeout shorter than the function's gives AWS's 504.
    let impatient = client
        .send(
            Method::POST,
            &node.invoke_url("fns", "prod", "/impatient"),
            &[],
            "2",
        )
        .await
        .expect("reply");
    assert_eq!(impatient.status, 504);
    assert_eq!(
        impatient.json(),
        json!({"message": "Endpoint request timed out"})
    );

    let metrics = node
        .admin_client()
        .get("/metrics")
        .await
        .expect("metrics")
        .text();
    assert!(
        metrics.contains("apigw_function_throttles_total{function=\"slow\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("apigw_function_errors_total{function=\"slow\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("apigw_function_cold_starts_total{function=\"slow\"} 2"),
        "{metrics}"
    );
    node.stop().expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_function_is_reported_and_restarted() {
    let node = start();
    let client = Client::default();
    let url = node.invoke_url("fns", "prod", "/crashy");
    let before = client
        .send(Method::POST, &url, &[], "hello")
        .await
        .expect("reply");
    assert_eq!(before.status, 200);
    let crashed = client
        .send(Method::POST, &url, &[], "die")
        .await
        .expect("reply");
    assert_eq!(crashed.status, 502);
    assert_eq!(crashed.json(), json!({"message": "Internal server error"}));
    let request_id = crashed
        .header("x-amzn-requestid")
        .expect("request id")
        .to_string();
    node.wait_for_log(|v| {
        v["target"] == "apigw::function"
            && v["requestId"] == request_id.as_str()
            && v["message"] == "about to exit"
    })
    .expect("the function's output is attributed to its invocation");
    node.wait_for_log(|v| {
        v["target"] == "apigw::function"
            && v["function"] == "crashy"
            && v["status"] == "exit status 3"
    })
    .expect("the exit is logged");
    let after = client
        .send(Method::POST, &url, &[], "hello")
        .await
        .expect("reply");
    assert_eq!(after.status, 200);
    assert_ne!(after.json()["pid"], before.json()["pid"]);

    let functions = node
        .admin_client()
        .get("/functions")
        .await
        .expect("functions")
        .json();
    let crashy = &functions["functions"]["crashy"];
    assert_eq!(crashy["invocations"], 3);
    assert_eq!(crashy["errors"], 1);
    assert_eq!(crashy["cold_starts"], 2);
    node.stop().expect("stops");
}
