//! The benchmark suite still runs (issue 18): `ops/bench/suite.sh --quick`
//! drives every throughput scenario once, for about a second each, against
//! the binary under test and nginx and haproxy beside it, and fails unless
//! every response was 2xx. Nothing here is timed: the figures a quick run
//! prints mean nothing, and a slow machine must not fail this test. It
//! skips, saying so, where the suite's tools (nginx, haproxy, wrk, h2load)
//! are not installed (`.ci/run` installs them).

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};
use apigw_tests::node::apigw_binary;

/// The scenarios the smoke run covers: all but the API-size sweep (it
/// imports a 10,000-path API three times) and the Lambda function (it
/// needs the Python runtime client), which the full suite runs.
const SCENARIOS: &str = "http_proxy,key_throttle_log,mock_template,vtl,h2c,fixed_rate";

#[test]
fn the_quick_suite_runs_and_counts_only_2xx() -> Result<()> {
    let missing: Vec<&str> = ["nginx", "haproxy", "wrk", "h2load", "taskset"]
        .into_iter()
        .filter(|tool| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .map_or(true, |o| !o.status.success())
        })
        .collect();
    if !missing.is_empty() {
        eprintln!("skipped: the benchmark suite needs {missing:?} (.ci/run installs them)");
        return Ok(());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let json = std::env::temp_dir().join(format!("apigw-bench-smoke-{}.json", std::process::id()));
    let output = Command::new(root.join("ops/bench/suite.sh"))
        .args(["--quick", "--scenario", SCENARIOS, "--json"])
        .arg(&json)
        .env("APIGW_BIN", apigw_binary()?)
        .output()
        .context("running ops/bench/suite.sh")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "the quick suite failed:\n{stdout}\n{stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).context("the suite's JSON")?)?;
    let _ = std::fs::remove_file(&json);
    ensure!(report["quick"] == true, "{report}");
    // Every scenario reported apigw and at least one peer, each with
    // answers counted.
    for scenario in SCENARIOS.split(',') {
        ensure!(
            stdout.contains(&format!("| {scenario} | apigw |")),
            "{scenario} has no apigw row:\n{stdout}"
        );
        ensure!(
            stdout.contains(&format!("| {scenario} | nginx |")),
            "{scenario} has no nginx row:\n{stdout}"
        );
    }
    Ok(())
}
