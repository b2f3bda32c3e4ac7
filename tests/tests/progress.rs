//! Long commands show progress on a terminal and stay quiet when piped:
//! `apigw check` of a large API under a pseudo-terminal (`script`) draws
//! its spinner; the same command piped writes no progress byte (no escape
//! sequence, no carriage return, no spinner text) to stderr or stdout.

use std::process::Command;

use anyhow::{ensure, Result};
use apigw_tests::node::{apigw_binary, TempDir};
use serde_json::json;

/// An OpenAPI document with `n` MOCK routes.
fn large_api(n: usize) -> String {
    let paths: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| {
            let method = json!({"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200"}}
                }
            }});
            (format!("/r{i}"), method)
        })
        .collect();
    json!({"openapi": "3.0.1", "info": {"title": "large", "version": "1"}, "paths": paths})
        .to_string()
}

fn has_progress_bytes(text: &str) -> bool {
    text.contains('\u{1b}') || text.contains('\r') || text.contains("importing")
}

#[test]
fn progress_on_a_terminal_and_none_when_piped() -> Result<()> {
    let dir = TempDir::new("progress")?;
    let file = dir.0.join("large.json");
    std::fs::write(&file, large_api(2000))?;
    let apigw = apigw_binary()?;

    let piped = Command::new(&apigw).arg("check").arg(&file).output()?;
    ensure!(piped.status.success(), "apigw check failed");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&piped.stdout),
        String::from_utf8_lossy(&piped.stderr),
    );
    assert!(stdout.contains("2000"), "the check's report: {stdout}");
    assert!(!has_progress_bytes(&stderr), "piped stderr: {stderr:?}");
    assert!(!has_progress_bytes(&stdout), "piped stdout: {stdout:?}");

    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped the terminal half: `script` (util-linux) is not installed");
        return Ok(());
    }
    let command = format!("'{}' check '{}'", apigw.display(), file.display());
    let tty = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()?;
    let seen = String::from_utf8_lossy(&tty.stdout);
    assert!(tty.status.success(), "{seen}");
    assert!(
        seen.contains("importing"),
        "no spinner on a terminal: {seen:?}"
    );
    Ok(())
}
