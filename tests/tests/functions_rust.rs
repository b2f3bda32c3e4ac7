//! A local function built with the official Rust runtime client
//! (`lambda_runtime`, in tests/function-rs) behind an AWS_PROXY integration.

use apigw_tests::node::workspace_binary;
use apigw_tests::{Client, Node};
use http::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lambda_runtime_binary_runs_unmodified() {
    let function =
        workspace_binary("apigw-test-function", "apigw-test-function").expect("function binary");
    let api = r#"
openapi: 3.0.1
info: {title: rust}
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:rusty/invocations
"#;
    let config = format!(
        "functions:\n  - {{name: rusty, command: ['{}'], max_concurrency: 2}}\napis:\n  - {{id: rust, openapi: api.yaml, stages: [{{name: prod}}]}}\n",
        function.display()
    );
    let node = Node::builder()
        .file("api.yaml", api)
        .config(&config)
        .start()
        .expect("node starts");
    let client = Client::default();
    let url = node.invoke_url("rust", "prod", "/some/where");

    let first = client
        .send(Method::POST, &url, &[], "hello")
        .await
        .expect("reply");
    assert_eq!(first.status, 200, "{}", first.text());
    let body = first.json();
    assert_eq!(body["runtime"], "rust");
    assert_eq!(body["function"], "rusty");
    assert_eq!(body["path"], "/some/where");
    assert_eq!(
        body["requestId"],
        first.header("x-amzn-requestid").expect("request id")
    );
    let request_id = first
        .header("x-amzn-requestid")
        .expect("request id")
        .to_string();
    node.wait_for_log(|v| {
        v["target"] == "apigw::function"
            && v["requestId"] == request_id.as_str()
            && v["message"] == "rust handler saw \"/some/where\""
    })
    .expect("the handler's output is attributed to its invocation");

    let second = client
        .send(Method::POST, &url, &[], "again")
        .await
        .expect("reply");
    assert_eq!(second.json()["pid"], body["pid"], "warm instance reused");

    // The runtime reports the handler's error through /error; a proxy
    // integration answers 502 and the process lives on.
    let failed = client
        .send(Method::POST, &url, &[], "fail")
        .await
        .expect("reply");
    assert_eq!(failed.status, 502);
    assert_eq!(failed.json(), json!({"message": "Internal server error"}));
    let after = client
        .send(Method::POST, &url, &[], "hello")
        .await
        .expect("reply");
    assert_eq!(
        after.json()["pid"],
        body["pid"],
        "an error does not cost the instance"
    );
    node.stop().expect("stops");
}
