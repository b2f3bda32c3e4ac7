//! The management calls whose answers follow AWS's recorded ones (issue
//! 17), driven by boto3 against a real node (`scripts/management_fidelity.py`):
//! AWS's error types and messages, request-layer enum checks reported
//! together, patch paths and ops as AWS takes them, and the resources AWS
//! has that apigw added here (documentation parts and versions, VPC links,
//! resource moves served by the data plane after a deployment).

use apigw_tests::Node;
use serde_json::{json, Value};

const KEY: &str = "AKIAFIDELITY00000001";
const SECRET: &str = "fidelity-secret-0123456789abcdefghijklmn";

/// What the script saw against a fresh node.
fn seen() -> Value {
    let node = Node::builder()
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .start()
        .expect("node starts");
    let args = [
        format!("http://{}", node.admin),
        format!("http://{}", node.data),
        KEY.to_string(),
        SECRET.to_string(),
    ];
    apigw_tests::python::script_json("management_fidelity.py", &args).expect("the script runs")
}

/// `[code, status]` of a refusal the script recorded as `[code, status, message]`.
fn refusal(v: &Value) -> (String, u64, String) {
    (
        v[0].as_str().unwrap_or_default().to_string(),
        v[1].as_u64().unwrap_or_default(),
        v[2].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn management_answers_follow_aws() {
    let seen = seen();
    rest_apis(&seen);
    methods_and_responses(&seen);
    resources(&seen);
    keys_docs_and_links(&seen);
}

fn rest_apis(seen: &Value) {
    let (code, status, message) = refusal(&seen["create_enum_errors"]);
    assert_eq!((code.as_str(), status), ("ValidationException", 400));
    assert!(
        message.starts_with("2 validation errors detected: Value '[wrong]'"),
        "{message}"
    );
    assert_eq!(
        refusal(&seen["create_empty_description"]).2,
        "Description cannot be an empty string"
    );
    assert!(refusal(&seen["create_private_ipv4"])
        .2
        .contains("dualstack"));
    assert_eq!(seen["dualstack"], json!(["dualstack", "v1"]));
    assert_eq!(
        seen["patched"],
        json!([["image/jpeg", "image/gif"], {"types": ["PRIVATE"], "ipAddressType": "dualstack"}])
    );
    assert!(refusal(&seen["private_to_ipv4"]).2.contains("Private APIs"));
    assert_eq!(
        refusal(&seen["compression_add"]).2,
        "Invalid patch operation specified. Must be one of: [replace]"
    );
    assert_eq!(
        refusal(&seen["whole_media_list"]).2,
        "Invalid patch path /binaryMediaTypes"
    );
    assert_eq!(seen["default_models"], json!(["Empty", "Error"]));
    assert!(refusal(&seen["model_without_schema"])
        .2
        .starts_with("Model schema must have"));
}

fn methods_and_responses(seen: &Value) {
    assert!(refusal(&seen["method_add_scalar"]).2.ends_with("[replace]"));
    assert!(refusal(&seen["method_custom_without_authorizer"])
        .2
        .starts_with("Invalid authorizer ID specified."));
    assert_eq!(seen["method_lenient"], json!([false, "NONE", false]));
    assert!(refusal(&seen["duplicate_parameter_names"])
        .2
        .starts_with("Parameter names must be unique"));
    assert_eq!(
        seen["integration_response_put"],
        json!(["", {"application/json": null}])
    );
    assert_eq!(seen["integration_response_patch"], "2\\d{2}");
    assert_eq!(
        seen["gateway_response_patch"],
        json!(["444", false, ["application/json"]])
    );
    let missing = refusal(&seen["gateway_response_replace_missing"]);
    assert_eq!((missing.0.as_str(), missing.1), ("NotFoundException", 404));
    assert_eq!(
        refusal(&seen["gateway_response_delete_unset"]).2,
        "Gateway response type not defined on api"
    );
    assert_eq!(
        refusal(&seen["gateway_response_bad_type"]).0,
        "ValidationException"
    );
    assert_eq!(seen["validator_without_value"], false);
    assert_eq!(
        refusal(&seen["validator_blank_name"]).2,
        "Request Validator name cannot be blank"
    );
}

fn resources(seen: &Value) {
    assert_eq!(
        refusal(&seen["cyclical"]).2,
        "Resources cannot be cyclical."
    );
    assert_eq!(
        refusal(&seen["root_rename"]).2,
        "Root resource cannot update its pathPart."
    );
    assert_eq!(seen["renamed"], json!([true, "/dogs", "/dogs/sub"]));
    assert_eq!(seen["old_path_new_id"], true);
    assert_eq!(
        seen["served_after_move"],
        json!([200, 403]),
        "the moved method answers at its new path only"
    );
}

fn keys_docs_and_links(seen: &Value) {
    assert_eq!(seen["key_unnamed_has_no_name"], true);
    assert_eq!(seen["key_name_query"], json!([true]));
    assert_eq!(seen["key_name_query_cased"], 0);
    assert!(refusal(&seen["key_value_too_long"]).2.contains("128"));
    assert_eq!(seen["up_keys_missing_plan"], json!([]));
    assert_eq!(
        seen["doc_part"],
        json!([{"type": "API"}, {"description": "e"}])
    );
    assert_eq!(refusal(&seen["doc_part_bad_type"]).0, "ValidationException");
    assert_eq!(seen["doc_version"], json!(["v1", "x"]));
    assert_eq!(
        seen["doc_import"],
        json!([1, [{"description": "imported"}]])
    );
    assert_eq!(
        refusal(&seen["doc_import_bad"]).2,
        "Unable to build importer with provided input."
    );
    assert_eq!(refusal(&seen["doc_deleted_again"]).1, 404);
    assert_eq!(
        seen["vpc_link"],
        json!(["PENDING", "AVAILABLE", "link-2", true])
    );
    assert_eq!(refusal(&seen["vpc_link_gone"]).1, 404);
    assert!(refusal(&seen["vpc_link_bad_arn"])
        .2
        .contains("not well formed"));
}

/// `--account-id` puts the node's account in what it answers; an id that
/// is not 12 digits stops the start, naming the flag.
#[tokio::test]
async fn the_account_id_is_configurable() -> anyhow::Result<()> {
    let node = Node::builder()
        .arg("--account-id")
        .arg("123456789012")
        .start()?;
    let reply = node
        .admin_client()
        .get("/restapis/nope000000/stages")
        .await?;
    assert_eq!(reply.status.as_u16(), 404);
    assert_eq!(
        reply.json()["message"],
        "Invalid API identifier specified 123456789012:nope000000"
    );
    let dir = apigw_tests::node::TempDir::new("bad-account")?;
    let data = dir.0.join("data");
    let (status, _, stderr) = apigw_tests::node::run_apigw(&[
        "serve",
        "--account-id",
        "12345",
        "--data-dir",
        data.to_str().unwrap_or_default(),
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ])?;
    assert!(!status.success());
    assert!(
        stderr.contains("--account-id") && stderr.contains("not 12 digits"),
        "{stderr}"
    );
    Ok(())
}
