//! The `apigw` command line, run as a process. (Being an integration test of
//! this package also makes `cargo nextest run --workspace` build the fresh
//! `apigw` binary that the black-box tests in `tests/` start.)

use std::process::Command;

fn apigw(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_apigw"))
        .args(args)
        .env_remove("APIGW_CONFIG")
        .output()
        .expect("apigw runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_and_help() {
    let (ok, out, _) = apigw(&["--version"]);
    assert!(ok);
    assert!(out.starts_with("apigw "), "{out}");
    let (ok, out, _) = apigw(&["serve", "--help"]);
    assert!(ok);
    for flag in [
        "--config",
        "--data-dir",
        "--listen",
        "--admin-listen",
        "APIGW_LISTEN",
    ] {
        assert!(out.contains(flag), "{flag} missing from:\n{out}");
    }
}

#[test]
fn check_accepts_the_examples() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/examples");
    let (ok, out, _) = apigw(&["check", &format!("{examples}/hello.yaml")]);
    assert!(ok, "{out}");
    let (ok, out, _) = apigw(&["check", &format!("{examples}/petstore-openapi3.yaml")]);
    assert!(ok, "{out}");
    let (ok, out, _) = apigw(&["check", &format!("{examples}/functions/config.yaml")]);
    assert!(ok, "{out}");
    assert!(
        !out.contains("warning"),
        "every function is declared: {out}"
    );
}

#[test]
fn check_names_undeclared_functions() {
    let dir = std::env::temp_dir().join(format!("apigw-cli-fn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let api = "openapi: 3.0.1\ninfo: {title: t}\npaths:\n  /x:\n    get:\n      x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:ghost/invocations'}\n";
    std::fs::write(dir.join("api.yaml"), api).expect("api");
    std::fs::write(dir.join("config.yaml"), "apis:\n  - {openapi: api.yaml}\n").expect("config");
    let (ok, out, _) = apigw(&["check", dir.join("config.yaml").to_str().expect("utf8")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "a warning, not an error: {out}");
    assert!(
        out.contains("GET /x: function `ghost` is not declared"),
        "{out}"
    );
}

#[test]
fn bad_flags_get_clear_errors() {
    let dir = std::env::temp_dir().join(format!("apigw-cli-{}", std::process::id()));
    let data = dir.to_str().expect("utf8");
    let (ok, _, err) = apigw(&["serve", "--data-dir", data, "--listen", "not-an-address"]);
    assert!(!ok);
    assert!(
        err.contains("listen `not-an-address` is not an address"),
        "{err}"
    );
    let (ok, _, err) = apigw(&[
        "serve",
        "--data-dir",
        data,
        "--config",
        "/nonexistent/apigw.yaml",
    ]);
    assert!(!ok);
    assert!(err.contains("cannot read /nonexistent/apigw.yaml"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
