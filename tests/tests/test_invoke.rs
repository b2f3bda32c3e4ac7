//! `TestInvokeMethod` (issue 17), driven by boto3 against a real node
//! (`scripts/test_invoke.py`): a MOCK method, an HTTP_PROXY method calling a
//! real backend on 127.0.0.1, a URI naming an unset stage variable (and the
//! same given `stageVariables`), a MOCK rendering given variables, and
//! AWS's NotFound refusals.

use apigw_tests::Node;
use serde_json::Value;

const KEY: &str = "AKIATESTINVOKE000001";
const SECRET: &str = "test-invoke-secret-0123456789abcdefghijk";

/// What the script saw against a fresh node.
fn seen() -> Value {
    let node = Node::builder()
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .start()
        .expect("node starts");
    let args = [
        format!("http://{}", node.admin),
        KEY.to_string(),
        SECRET.to_string(),
    ];
    apigw_tests::python::script_json("test_invoke.py", &args).expect("the script runs")
}

/// The log's lines without their time stamps.
fn log_lines(answer: &Value) -> Vec<String> {
    let log = answer["log"].as_str().expect("a log");
    log.lines()
        .skip(1)
        .map(|l| l.split_once(" : ").map_or(l, |(_, rest)| rest).to_string())
        .collect()
}

#[test]
fn test_invoke_runs_the_current_definition() {
    let seen = seen();
    mock(&seen["mock"]);
    http_proxy(&seen["http"]);
    unset_variable(&seen["unset_variable"]);
    given_variables(&seen);
    let refusal = |v: &Value| (v[0].clone(), v[1].clone(), v[2].clone());
    let not_found = |m: &str| {
        (
            Value::from("NotFoundException"),
            Value::from(404),
            Value::from(m),
        )
    };
    assert_eq!(
        refusal(&seen["no_method"]),
        not_found("Invalid Method identifier specified")
    );
    assert_eq!(
        refusal(&seen["no_resource"]),
        not_found("Invalid Resource identifier specified")
    );
    assert_eq!(
        refusal(&seen["no_api"]),
        not_found("Invalid Resource identifier specified")
    );
}

fn mock(answer: &Value) {
    assert_eq!(answer["status"], 200);
    let body: Value =
        serde_json::from_str(answer["body"].as_str().expect("a body")).expect("JSON body");
    assert_eq!(body, serde_json::json!({"id": "42", "q": "yes"}));
    assert_eq!(answer["headers"]["Content-Type"], "application/json");
    assert_eq!(
        answer["multiValueHeaders"]["Content-Type"][0],
        "application/json"
    );
    let lines = log_lines(answer);
    assert_eq!(lines[1], "HTTP Method: POST, Resource Path: /items/42");
    assert_eq!(lines[2], "Method request path: {id=42}");
    assert_eq!(lines[3], "Method request query string: {q=yes}");
    assert_eq!(
        lines[5],
        r#"Method request body before transformations: {"n": 1}"#
    );
    assert_eq!(
        lines.last().expect("a last line"),
        "Method completed with status: 200"
    );
    assert!(answer["latency"].as_u64().is_some());
}

fn http_proxy(answer: &Value) {
    assert_eq!(answer["status"], 201, "{answer}");
    let body: Value =
        serde_json::from_str(answer["body"].as_str().expect("a body")).expect("JSON body");
    assert_eq!(body["path"], "/backend");
    assert_eq!(body["probe"], "hello");
    assert!(log_lines(answer).contains(&"Method request headers: {x-probe=hello}".to_string()));
}

fn unset_variable(answer: &Value) {
    assert_eq!(answer["status"], 500);
    assert_eq!(
        answer["headers"]["x-amzn-ErrorType"],
        "InternalServerErrorException"
    );
    let lines = log_lines(answer);
    assert_eq!(lines[1], "HTTP Method: GET, Resource Path: /");
    assert!(lines.contains(
        &"Execution failed due to configuration error: Invalid endpoint address".to_string()
    ));
}

/// `stageVariables` reach the integration URI and the templates, on AWS's
/// `test-invoke-stage`.
fn given_variables(seen: &Value) {
    let http = &seen["with_variable"];
    assert_eq!(http["status"], 201, "{http}");
    let body: Value = serde_json::from_str(http["body"].as_str().unwrap_or_default())
        .expect("the backend's JSON");
    assert_eq!(body["path"], "/from-variable");
    let mock = &seen["mock_variables"];
    let body: Value = serde_json::from_str(mock["body"].as_str().unwrap_or_default())
        .expect("the template's JSON");
    assert_eq!(
        body,
        serde_json::json!({"color": "teal", "stage": "test-invoke-stage"})
    );
}
