//! The management API driven by boto3 (the AWS SDK for Python), unchanged
//! but for the endpoint: import, deploy, invoke, stage variables, redeploy,
//! roll back, list, delete, errors and signatures.

use apigw_tests::Node;
use serde_json::{json, Value};

const KEY: &str = "AKIAMANAGEMENT000001";
const SECRET: &str = "management-secret-0123456789abcdefghijkl";

#[test]
fn boto3_manages_apis_end_to_end() {
    let node = Node::builder()
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .start()
        .expect("node starts");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/management_flow.py");
    let python = apigw_tests::python::python_with_lambda_ric().expect("python with boto3");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}", node.admin))
        .arg(format!("http://{}", node.data))
        .arg(KEY)
        .arg(SECRET)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).expect("the script's JSON");
    assert_eq!(seen["imported_name"], "managed");
    assert_eq!(
        seen["after_deploy"],
        json!({"color": "blue", "word": "first"})
    );
    assert_eq!(
        seen["after_variable"],
        json!({"color": "red", "word": "first"}),
        "stage variables apply at once"
    );
    assert_eq!(
        seen["before_redeploy"],
        json!({"color": "red", "word": "first"}),
        "a changed API needs a deployment"
    );
    assert_eq!(
        seen["after_redeploy"],
        json!({"color": "red", "word": "second"})
    );
    assert_eq!(
        seen["after_rollback"],
        json!({"color": "red", "word": "first"}),
        "the stage points at the first deployment again"
    );
    assert_eq!(seen["stage_deployment_is_first"], true);
    assert_eq!(seen["deployments"], 2);
    assert_eq!(seen["listed"], true);
    assert_eq!(
        seen["resources"],
        json!(["/", "/color", "/secret"]),
        "the root resource always exists, as on AWS"
    );
    assert_eq!(seen["without_key"], 403);
    assert_eq!(seen["key_not_in_plan"], 403);
    assert_eq!(
        seen["keyed"],
        json!([200, 200, 429]),
        "the plan's quota of 2 a day"
    );
    assert_eq!(seen["plan_keys"], json!(["ci"]));
    assert_eq!(seen["keys_listed"], json!(["ci"]));
    assert_eq!(seen["missing"], json!(["NotFoundException", 404]));
    assert_eq!(seen["forged"], 403);
    assert_eq!(
        seen["after_delete"],
        json!({"status": 403, "body": {"message": "Forbidden"}})
    );
    node.stop().expect("stops");
}
