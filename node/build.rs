//! Build script of the `apigw` package: gives the binary the commit it was
//! built from (`APIGW_COMMIT`, shown by `apigw --version`).
//!
//! The commit is `git rev-parse --short HEAD` of the checkout the package
//! sits in, or the `APIGW_COMMIT` environment variable when set (for
//! packagers building from a tarball), else `unknown` (no git, or not a
//! checkout). No network. The script runs again when the checkout's HEAD or
//! the branch it names moves, so a build after a commit shows that commit.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=APIGW_COMMIT");
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let dir = manifest.as_deref().unwrap_or(Path::new("."));
    let commit = match std::env::var("APIGW_COMMIT") {
        Ok(given) if !given.trim().is_empty() => given.trim().to_string(),
        _ => {
            watch_head(dir);
            git(dir, &["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into())
        }
    };
    println!("cargo:rustc-env=APIGW_COMMIT={commit}");
}

/// One line of `git ARGS` run in `dir`; `None` when git is missing, fails
/// or `dir` is not in a checkout.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let line = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !line.is_empty()).then_some(line)
}

/// Asks cargo to run this script again when HEAD, the branch it points at
/// or the packed refs change.
fn watch_head(dir: &Path) {
    let mut paths = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        paths.push(branch);
    }
    for p in paths {
        if let Some(file) = git(
            dir,
            &["rev-parse", "--path-format=absolute", "--git-path", &p],
        ) {
            if Path::new(&file).exists() {
                println!("cargo:rerun-if-changed={file}");
            }
        }
    }
}
