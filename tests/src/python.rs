//! A Python interpreter that has the official Lambda runtime interface client
//! (`awslambdaric`), boto3, mmdb-writer and websockets from PyPI, for tests that run
//! unmodified Python handlers, drive the management API as AWS users do, or
//! write geo databases.
//!
//! Uses `APIGW_TEST_PYTHON` if set, else `python3` if it can import both,
//! else a virtualenv made once under the target directory (several test
//! processes may ask at once: the first one to create the lock folder
//! installs, the others wait for its marker file).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// What the tests import.
const PACKAGES: [&str; 4] = ["awslambdaric", "boto3", "mmdb-writer", "websockets"];

/// The interpreter to run `python -m awslambdaric module.handler` with.
pub fn python_with_lambda_ric() -> Result<PathBuf> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| find_or_install().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn find_or_install() -> Result<PathBuf> {
    if let Ok(python) = std::env::var("APIGW_TEST_PYTHON") {
        return Ok(PathBuf::from(python));
    }
    let system = PathBuf::from("python3");
    if can_import(&system) {
        return Ok(system);
    }
    let exe = std::env::current_exe()?;
    let target = exe
        .ancestors()
        .nth(3)
        .context("no target directory above the test executable")?;
    let venv = target.join("test-python");
    let python = venv.join("bin").join("python");
    let marker = venv.join(".installed-awslambdaric-boto3-mmdb-websockets");
    if marker.exists() {
        return Ok(python);
    }
    let lock = target.join("test-python.lock");
    if std::fs::create_dir(&lock).is_ok() {
        let result = install(&venv);
        if result.is_ok() {
            std::fs::write(&marker, PACKAGES.join(" "))?;
        }
        let _ = std::fs::remove_dir(&lock);
        result?;
        return Ok(python);
    }
    let waited = Instant::now();
    while !marker.exists() {
        if waited.elapsed() > Duration::from_secs(600) || !lock.exists() && !marker.exists() {
            bail!(
                "another test process failed to install awslambdaric into {}",
                venv.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(python)
}

fn can_import(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import awslambdaric, boto3, mmdb_writer, websockets"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn install(venv: &Path) -> Result<()> {
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv)
        .status()
        .context("python3 is needed for the function tests")?;
    if !made.success() {
        bail!("python3 -m venv {} failed", venv.display());
    }
    let pip = Command::new(venv.join("bin").join("python"))
        .args(["-m", "pip", "install", "--quiet"])
        .args(PACKAGES)
        .status()
        .context("running pip")?;
    if !pip.success() {
        bail!("pip install {} failed", PACKAGES.join(" "));
    }
    Ok(())
}

/// Writes a MaxMind-format geo database with `tests/scripts/make_geo_db.py`:
/// `layout` is `city` (GeoIP2-City) or `flat` (DB-IP Lite); each network is
/// `(cidr, lat, lon, country)`.
pub fn make_geo_db(path: &Path, layout: &str, networks: &[(&str, f64, f64, &str)]) -> Result<()> {
    let spec = serde_json::json!({
        "layout": layout,
        "networks": networks
            .iter()
            .map(|(cidr, lat, lon, country)| serde_json::json!({"cidr": cidr, "lat": lat, "lon": lon, "country": country}))
            .collect::<Vec<_>>(),
    });
    let spec_path = path.with_extension("json");
    std::fs::write(&spec_path, spec.to_string())?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make_geo_db.py");
    let out = Command::new(python_with_lambda_ric()?)
        .arg(script)
        .arg(&spec_path)
        .arg(path)
        .output()
        .context("running make_geo_db.py")?;
    if !out.status.success() {
        bail!(
            "make_geo_db.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Runs `tests/scripts/{script}` with `args` under [`python_with_lambda_ric`]
/// and parses the one JSON value it prints; fails (with both streams) when
/// the script does.
pub fn script_json(script: &str, args: &[String]) -> Result<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(script);
    let out = Command::new(python_with_lambda_ric()?)
        .arg(&path)
        .args(args)
        .output()
        .with_context(|| format!("running {}", path.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "{script} failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_str(stdout.trim()).with_context(|| format!("{script}'s JSON: {stdout}"))
}
