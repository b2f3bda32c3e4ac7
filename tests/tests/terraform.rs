//! Infrastructure-as-code tools against the management API, unmodified:
//! Terraform with hashicorp/aws 5.x (`tests/terraform/run.py`: init, apply,
//! an empty second plan, an update, an empty plan again, destroy, nothing
//! left) and the calls `cdk deploy` makes through CloudFormation
//! (`tests/cdk/run.py`), each against a fresh node the runner starts.
//!
//! Each Terraform configuration is its own test, run through its whole
//! cycle; the ones that do not pass yet (issue 17; what fails is written
//! down in `tests/terraform/FINDINGS.md`) and the CDK sequences are
//! `#[ignore]`d: run them with
//! `cargo nextest run -p apigw-tests --test terraform --run-ignored all`.
//! Terraform needs `terraform` on PATH and the provider in a filesystem
//! mirror (`APIGW_TF_PLUGIN_MIRROR`, default `/opt/tf-plugins`), as CI may
//! have neither: without them a Terraform test says so and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Why Terraform cannot run here, if it cannot.
fn terraform_missing() -> Option<String> {
    let runs = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        return Some("terraform is not on PATH".into());
    }
    let mirror =
        std::env::var("APIGW_TF_PLUGIN_MIRROR").unwrap_or_else(|_| "/opt/tf-plugins".into());
    let provider = Path::new(&mirror).join("registry.terraform.io/hashicorp/aws");
    let has_version = std::fs::read_dir(&provider).is_ok_and(|mut d| d.next().is_some());
    if !has_version {
        return Some(format!(
            "no hashicorp/aws provider under {} (set APIGW_TF_PLUGIN_MIRROR)",
            provider.display()
        ));
    }
    None
}

/// Runs a driver script with the test Python and this workspace's `apigw`;
/// its exit status, output and the results it wrote as JSON.
fn run_driver(script: &str, results: &Path, args: &[&str]) -> (bool, String, Value) {
    let binary = apigw_tests::node::apigw_binary().expect("the apigw binary");
    let python = apigw_tests::python::python_with_lambda_ric().expect("python with boto3");
    let script: PathBuf = [env!("CARGO_MANIFEST_DIR"), script].iter().collect();
    let out = Command::new(python)
        .arg(&script)
        .arg("--apigw")
        .arg(&binary)
        .arg("--json")
        .arg(results)
        .args(args)
        .output()
        .expect("the driver runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let json = std::fs::read_to_string(results)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out.status.success(), text, json)
}

/// Takes configuration `name` (tests/terraform/configs/NAME) through init,
/// apply, an empty plan, an update, an empty plan, destroy and the check
/// that nothing is left; every step must be ok.
fn terraform_cycle(name: &str) {
    if let Some(why) = terraform_missing() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    let dir = apigw_tests::node::TempDir::new(&format!("terraform-{name}")).expect("temp dir");
    let (success, output, results) = run_driver(
        "terraform/run.py",
        &dir.0.join("results.json"),
        &["--only", name],
    );
    let steps = results[name].as_array().cloned().unwrap_or_default();
    assert!(
        steps.len() >= 7,
        "{name}: the runner reported {} steps:\n{output}",
        steps.len()
    );
    let failed: Vec<String> = steps
        .iter()
        .filter(|s| s["status"] != "ok")
        .map(|s| format!("{name} / {}: {} {}", s["step"], s["status"], s["error"]))
        .collect();
    assert!(
        failed.is_empty(),
        "steps not ok:\n{}\n\n{output}",
        failed.join("\n")
    );
    assert!(success, "{output}");
}

#[test]
fn terraform_account() {
    terraform_cycle("account");
}

#[test]
fn terraform_authorizers() {
    terraform_cycle("authorizers");
}

#[test]
fn terraform_built() {
    terraform_cycle("built");
}

#[test]
fn terraform_client_certificate() {
    terraform_cycle("client_certificate");
}

#[test]
fn terraform_domain() {
    terraform_cycle("domain");
}

#[test]
fn terraform_keys() {
    terraform_cycle("keys");
}

#[test]
fn terraform_models() {
    terraform_cycle("models");
}

#[test]
fn terraform_openapi_body() {
    terraform_cycle("openapi_body");
}

#[test]
fn terraform_stage() {
    terraform_cycle("stage");
}

// Enabled when the issue 17 work makes every call pass.
#[test]
#[ignore = "fails on today's apigw (issue 17): see tests/terraform/FINDINGS.md"]
fn cdk_call_sequences_deploy_answer_and_destroy() {
    let dir = apigw_tests::node::TempDir::new("cdk").expect("temp dir");
    let (success, output, results) = run_driver("cdk/run.py", &dir.0.join("results.json"), &[]);
    let calls = results.as_array().expect("the runner's results");
    assert!(calls.len() > 50, "the driver stopped early:\n{output}");
    let failed: Vec<String> = calls
        .iter()
        .filter(|c| c["status"] == "FAILED")
        .map(|c| format!("{} / {}: {}", c["stack"], c["call"], c["detail"]))
        .collect();
    assert!(
        failed.is_empty(),
        "calls failed:\n{}\n\n{output}",
        failed.join("\n")
    );
    let preflights = calls
        .iter()
        .filter(|c| c["call"].as_str().is_some_and(|s| s.contains("OPTIONS /")))
        .count();
    assert!(
        preflights >= 6,
        "the CORS preflights were not called:\n{output}"
    );
    assert!(success, "{output}");
}
