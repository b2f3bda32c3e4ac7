//! The AWS conformance suite (`tests/conformance/run.py`) against the freshly
//! built binary: it replays the calls behind AWS's recorded answers and
//! compares apigw's. This test fails when fewer cases pass than the floor in
//! `tests/conformance/floor.json` (a ratchet: raise it when a fix makes more
//! cases pass), and checks that the vendored copy of the recorded files is
//! the shared one, byte for byte, where both are present.

use std::path::{Path, PathBuf};
use std::process::Command;

use apigw_tests::node::{apigw_binary, TempDir};
use apigw_tests::python::python_with_lambda_ric;
use serde_json::Value;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// `../shared/conformance/aws-recorded` beside the checkout, when there is one.
fn shared_recorded() -> Option<PathBuf> {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let dir = checkout
        .parent()?
        .join("shared")
        .join("conformance")
        .join("aws-recorded");
    dir.is_dir().then_some(dir)
}

/// The interpreter the function tests use, with `requests` added if missing.
fn python() -> PathBuf {
    let python = python_with_lambda_ric().expect("python with awslambdaric and boto3");
    let has = |module: &str| {
        Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has("requests") {
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "requests"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(installed, "pip install requests failed");
    }
    python
}

#[test]
fn conformance_passes_at_least_the_floor() {
    let python = python();
    let out_dir = TempDir::new("conformance").expect("temp dir");
    let report = out_dir.0.join("conformance.json");
    let output = Command::new(&python)
        .arg(suite().join("run.py"))
        .arg("--apigw")
        .arg(apigw_binary().expect("the apigw binary"))
        .arg("--python")
        .arg(&python)
        .arg("--json")
        .arg(&report)
        .output()
        .expect("run.py runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "run.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("the report")).expect("JSON");
    let floor: Value =
        serde_json::from_slice(&std::fs::read(suite().join("floor.json")).expect("floor.json"))
            .expect("floor.json is JSON");
    let passed = result["total"]["pass"].as_u64().expect("total.pass");
    let minimum = floor["pass"].as_u64().expect("floor.json has pass");
    assert!(
        passed >= minimum,
        "{passed} conformance cases pass, fewer than the floor of {minimum} (tests/conformance/floor.json)"
    );
    assert!(
        result["total"]["recorded"].as_u64() >= floor["recorded"].as_u64(),
        "fewer recorded cases than when the floor was set: is the recorded folder complete?"
    );
}

#[test]
fn vendored_recordings_are_the_shared_ones() {
    let vendored = suite().join("aws-recorded");
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("a recorded folder")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".snapshot.json") || n == "README.md")
            .collect();
        names.sort();
        names
    };
    let ours = names(&vendored);
    assert_eq!(
        ours.iter()
            .filter(|n| n.ends_with(".snapshot.json"))
            .count(),
        17,
        "the vendored copy has the 17 snapshot files"
    );
    let Some(shared) = shared_recorded() else {
        println!("no ../shared/conformance/aws-recorded beside the checkout: nothing to compare");
        return;
    };
    assert_eq!(ours, names(&shared), "the same files");
    for name in ours {
        let a = std::fs::read(vendored.join(&name)).expect("vendored file");
        let b = std::fs::read(shared.join(&name)).expect("shared file");
        assert!(a == b, "{name} differs from ../shared's copy");
    }
}
