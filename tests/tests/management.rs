//! The management API driven by boto3 (the AWS SDK for Python), unchanged
//! but for the endpoint: import, deploy, invoke, stage variables, redeploy,
//! roll back, list, delete, errors and signatures.

use apigw_tests::Node;
use serde_json::{json, Value};

const KEY: &str = "AKIAMANAGEMENT000001";
const SECRET: &str = "management-secret-0123456789abcdefghijkl";

/// Runs `script` (under tests/scripts) against a fresh node; what it saw.
fn run_script(script: &str) -> (Node, Value) {
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
    let seen = apigw_tests::python::script_json(script, &args).expect("the script runs");
    (node, seen)
}

#[test]
fn boto3_builds_an_api_call_by_call() {
    let (node, seen) = run_script("management_scratch.py");
    assert_eq!(seen["root"], "/");
    assert_eq!(seen["pet_path"], json!(["/pets/{petId}", true, "{petId}"]));
    assert_eq!(
        seen["duplicate_resource"],
        json!(["ConflictException", 409])
    );
    assert_eq!(seen["authorizers"], json!(["tokens"]));
    assert_eq!(seen["authorizer_type"], "TOKEN");
    assert_eq!(seen["bad_integration"], json!(["BadRequestException", 400]));
    assert_eq!(seen["method_again"], json!(["ConflictException", 409]));
    assert_eq!(seen["method"], json!([true, "MOCK", ["200"]]));
    assert_eq!(
        seen["before_deploy"], 403,
        "nothing is served before a deployment"
    );
    assert_eq!(
        seen["cat"],
        json!({"status": 200, "body": {"kind": "cat", "stage": "prod", "v": "p"}})
    );
    assert_eq!(
        seen["no_kind"]["status"], 422,
        "the custom gateway response"
    );
    assert_eq!(
        seen["no_kind"]["body"]["problem"],
        "Missing required request parameters: [kind]"
    );
    assert_eq!(seen["pet"], json!({"status": 200, "body": {"id": "42"}}));
    assert_eq!(
        seen["dev"],
        json!({"status": 200, "body": {"kind": "dog", "stage": "dev", "v": "d"}})
    );
    assert_eq!(seen["stage_again"], json!(["ConflictException", 409]));
    assert_eq!(seen["settings"], json!([100.0, 30]));
    assert_eq!(seen["timeout"], 5000);
    assert_eq!(
        seen["export"],
        json!(["3.0.1", ["/pets", "/pets/{petId}"], true])
    );
    assert_eq!(seen["export_plain"], json!(["2.0", false]));
    assert_eq!(seen["export_yaml"], true);
    assert_eq!(seen["delete_in_use"], json!(["BadRequestException", 400]));
    assert_eq!(seen["deployments_left"], true);
    assert_eq!(
        seen["pet_after"], 403,
        "the resource is gone once redeployed"
    );
    assert_eq!(seen["dev_after"], 403);
    assert_eq!(seen["stages_left"], json!(["prod"]));
    assert_eq!(seen["name"], "renamed");
    assert_eq!(seen["resources"], json!(["/", "/pets"]));
    assert_eq!(seen["tags"], json!([{"team": "pets"}, {"tier": "gold"}]));
    assert_eq!(seen["mapping_again"], json!(["ConflictException", 409]));
    assert_eq!(
        seen["mapping_bad_stage"],
        json!(["BadRequestException", 400])
    );
    assert_eq!(seen["mappings"], json!([["(none)", null], ["v1", "prod"]]));
    assert_eq!(
        seen["domain"],
        json!([["REGIONAL"], "TLS_1_2", {"owner": "ops"}, {"owner": "ops"}])
    );
    assert_eq!(seen["domains_left"], json!([]));
    assert_eq!(seen["plan"], json!([7, 50.0, 10]));
    assert_eq!(seen["key_name"], "k2");
    assert_eq!(seen["usage"], json!([[2, 5]]), "two calls of a quota of 7");
    assert_eq!(seen["plan_key"], "k2");
    assert_eq!(seen["plan_keys_left"], json!([]));
    let mut parallel: Vec<String> = (0..12).map(|i| format!("/item{i}")).collect();
    parallel.sort();
    assert_eq!(
        seen["parallel"],
        json!(parallel),
        "parallel edits of one API all land"
    );
    node.stop().expect("stops");
}

#[test]
fn boto3_manages_apis_end_to_end() {
    let (node, seen) = run_script("management_flow.py");
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
        seen["fail_on_warnings"],
        json!(["BadRequestException", true])
    );
    assert_eq!(seen["warnings"], 1);
    assert_eq!(
        seen["after_delete"],
        json!({"status": 403, "body": {"message": "Forbidden"}})
    );
    node.stop().expect("stops");
}

/// Two nodes of a cluster take edits of one API at once (writes go through
/// Raft; each is conditional on the definition it read): none is lost, both
/// nodes see all of them, and a deployment made on one is served by the
/// other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_edits_one_api_through_two_cluster_nodes_at_once() {
    use apigw_tests::cluster::{cluster_certs, free_udp_port, wait_for_view};
    let (_certs, certs_path) = cluster_certs("1,2");
    let ports = [free_udp_port(), free_udp_port()];
    let start = |id: usize| {
        let peer = 1 - id;
        Node::builder()
            .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
            .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
            .config(&format!(
                "cluster: {{name: lab, node_id: {}, listen: '127.0.0.1:{}', certs: '{certs_path}', gossip_interval_ms: 50, peers: [{{id: {}, addr: '127.0.0.1:{}'}}]}}\n",
                id + 1,
                ports[id],
                peer + 1,
                ports[peer]
            ))
            .start()
            .expect("node starts")
    };
    let (one, two) = (start(0), start(1));
    for node in [&one, &two] {
        wait_for_view(node, "a leader", |v| v["raft"]["leader"].is_u64()).await;
    }
    let script = format!(
        "{}/scripts/management_cluster.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let python = apigw_tests::python::python_with_lambda_ric().expect("python with boto3");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}", one.admin))
        .arg(format!("http://{}", two.admin))
        .arg(format!("http://{}", one.data))
        .arg(KEY)
        .arg(SECRET)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).expect("the script's JSON");
    let mut all: Vec<String> = (0..12).map(|i| format!("/item{i}")).collect();
    all.sort();
    assert_eq!(seen["node1"], json!(all), "no edit lost");
    assert_eq!(seen["node2"], json!(all));
    assert_eq!(seen["served_on_node1"], json!({"item": 7}));
    eprintln!(
        "concurrent modifications answered (and retried by the client): {}",
        seen["conflicts"]
    );
    one.stop().expect("stops");
    two.stop().expect("stops");
}
