//! `cargo install --path node` gives one `apigw` whose `sim` works and
//! whose `--version` names the commit: installed into a temporary root,
//! then run from there.
//!
//! The install uses this test's target directory, so it reuses what the
//! workspace build compiled: `--features apigw-model/test-support` gives it
//! the feature set the test build has (that feature adds one test helper
//! and nothing a command runs); without it every crate that depends on the
//! model would be compiled again. A user's `cargo install --path node` is
//! the same command without that flag.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use apigw_tests::node::TempDir;

/// The workspace root (this crate is `tests/`).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The target directory this test binary was built into
/// (`{target}/{profile}/deps/{test}`).
fn target_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .context("no target directory above the test binary")
}

/// The short commit of the checkout, as build.rs reads it (`None` outside git).
fn head_commit() -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(workspace())
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}

fn install(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = Instant::now();
    let out = Command::new(cargo)
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", target_dir()?)
        .env_remove("APIGW_COMMIT")
        .args([
            "install",
            "--path",
            "node",
            "--debug",
            "--offline",
            "--locked",
        ])
        .args(["--features", "apigw-model/test-support", "--root"])
        .arg(root)
        .output()
        .context("running cargo install")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "cargo install took {:.1} s; compiled: {:?}",
        started.elapsed().as_secs_f64(),
        stderr
            .lines()
            .filter(|l| l.trim_start().starts_with("Compiling"))
            .collect::<Vec<_>>()
    );
    if !out.status.success() {
        bail!("cargo install failed: {stderr}");
    }
    let binary = root.join("bin/apigw");
    ensure!(
        binary.is_file(),
        "no {} after the install",
        binary.display()
    );
    Ok(binary)
}

#[test]
fn installed_binary_runs_sim_and_names_its_commit() -> Result<()> {
    let root = TempDir::new("install")?;
    let apigw = install(&root.0)?;

    let version = Command::new(&apigw).arg("--version").output()?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let commit = head_commit().unwrap_or_else(|| "unknown".into());
    assert_eq!(
        version,
        format!("apigw {} (commit {commit})", env!("CARGO_PKG_VERSION"))
    );

    let out_dir = root.0.join("sim-out");
    let scenario = workspace().join("simulations/scenarios/three-regions.yaml");
    let sim = Command::new(&apigw)
        .current_dir(&root.0)
        .arg("sim")
        .arg(&scenario)
        .arg("--out")
        .arg(&out_dir)
        .output()?;
    let stdout = String::from_utf8_lossy(&sim.stdout);
    assert!(
        sim.status.success(),
        "apigw sim failed: {stdout}\n{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    assert!(stdout.contains("invariants: all held"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.json"))?)?;
    assert_eq!(report["seed"], 7, "the scenario's seed");
    assert!(report["phases"].as_array().is_some_and(|p| p.len() > 1));
    for file in ["chart.svg", "report.html"] {
        assert!(out_dir.join(file).is_file(), "{file} written");
    }
    Ok(())
}
