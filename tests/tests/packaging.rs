//! What an operator deploys with matches what the binary takes: the systemd
//! unit (ops/systemd) and the Kubernetes manifests (ops/k8s) use flags the
//! binary's `serve --help` lists, ports that are the ones in their flags,
//! probes on the admin listener's open `/ready` and `/health`, the store
//! on the state directory / the per-node volume; the unit is checked with
//! `systemd-analyze verify` where there is one, and its command line is run;
//! the Debian package is built with cargo-deb where it is installed and
//! its contents, control file and binary checked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use apigw_tests::node::{apigw_binary, run_apigw, TempDir};
use serde_json::Value;

fn ops(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ops")
        .join(path)
}

/// The long flags of `apigw serve`, from its `--help`.
fn serve_flags() -> Result<Vec<String>> {
    let (status, help, _) = run_apigw(&["serve", "--help"])?;
    ensure!(status.success(), "apigw serve --help");
    Ok(help
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_string)
        .collect())
}

/// `args` of `serve` as (flag, value) pairs; each flag must be one the
/// binary takes.
fn flag_values(args: &[String]) -> Result<Vec<(String, String)>> {
    let known = serve_flags()?;
    ensure!(
        args.first().map(String::as_str) == Some("serve"),
        "{args:?}"
    );
    let mut pairs = Vec::new();
    for pair in args[1..].chunks(2) {
        let [flag, value] = pair else {
            bail!("flag without a value in {args:?}")
        };
        ensure!(known.contains(flag), "`apigw serve` has no {flag}");
        pairs.push((flag.clone(), value.clone()));
    }
    Ok(pairs)
}

fn flag<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(f, _)| f == name)
        .map(|(_, v)| v.as_str())
}

fn port(addr: &str) -> u16 {
    addr.parse::<SocketAddr>().map_or(0, |a| a.port())
}

/// `GET path` on `addr`; the status code.
fn get_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status line")
}

/// Starts `apigw` with `args` and waits for its admin listener's address.
fn start(args: &[String]) -> Result<(Child, SocketAddr)> {
    let mut child = Command::new(apigw_binary()?)
        .args(args)
        .env_remove("APIGW_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().context("stdout")?;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if v["role"] == "admin" {
            if let Some(addr) = v["addr"].as_str().and_then(|a| a.parse().ok()) {
                return Ok((child, addr));
            }
        }
    }
    let _ = child.kill();
    bail!("apigw {args:?} stopped before its admin listener was up")
}

/// The unit's ExecStart, split into words.
fn exec_start(unit: &str) -> Vec<String> {
    unit.lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

#[test]
fn systemd_unit_is_hardened_and_runs() -> Result<()> {
    let unit = std::fs::read_to_string(ops("systemd/apigw.service"))?;
    for directive in [
        "DynamicUser=yes",
        "StateDirectory=apigw",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "LimitNOFILE=65536",
        "Restart=on-failure",
    ] {
        assert!(unit.lines().any(|l| l == directive), "no {directive}");
    }
    let words = exec_start(&unit);
    assert_eq!(words.first().map(String::as_str), Some("/usr/bin/apigw"));
    let pairs = flag_values(&words[1..])?;
    // The store is in the state directory, the config the package's conffile.
    assert_eq!(flag(&pairs, "--data-dir"), Some("/var/lib/apigw"));
    assert_eq!(flag(&pairs, "--config"), Some("/etc/apigw/config.yaml"));
    for f in ["--listen", "--admin-listen"] {
        assert!(flag(&pairs, f).is_some_and(|a| port(a) != 0), "{f}");
    }
    verify_unit(&unit)?;
    run_unit_command(&pairs)
}

/// `systemd-analyze verify` on the unit with the built binary in ExecStart;
/// it exits 0 on bad directives too, so any line naming the file fails.
fn verify_unit(unit: &str) -> Result<()> {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped systemd-analyze verify: systemd-analyze is not installed");
        return Ok(());
    }
    let dir = TempDir::new("unit")?;
    let file = dir.0.join("apigw.service");
    let binary = apigw_binary()?;
    std::fs::write(
        &file,
        unit.replace("/usr/bin/apigw", &binary.to_string_lossy()),
    )?;
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&file)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let about_unit: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("apigw.service"))
        .collect();
    assert!(
        out.status.success() && about_unit.is_empty(),
        "systemd-analyze verify: {stderr}"
    );
    Ok(())
}

/// The unit's command line with the config the package installs; the
/// addresses on port 0 and the state directory in a scratch folder (a test
/// takes no fixed port): `/health` and `/ready` answer on the admin listener.
fn run_unit_command(pairs: &[(String, String)]) -> Result<()> {
    let dir = TempDir::new("unit-run")?;
    let mut args = vec!["serve".to_string()];
    for (f, v) in pairs {
        let value = match f.as_str() {
            "--config" => ops("systemd/config.yaml").to_string_lossy().into_owned(),
            "--data-dir" => dir.0.join("state").to_string_lossy().into_owned(),
            "--listen" | "--admin-listen" => v.replace(&format!(":{}", port(v)), ":0"),
            _ => v.clone(),
        };
        args.extend([f.clone(), value]);
    }
    let (mut child, admin) = start(&args)?;
    let statuses = (get_status(admin, "/health"), get_status(admin, "/ready"));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((statuses.0?, statuses.1?), (200, 200));
    Ok(())
}

/// Every document of ops/k8s/apigw.yaml, by kind.
fn manifests() -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(ops("k8s/apigw.yaml"))?;
    text.split("\n---\n")
        .map(|doc| apigw::model::yaml::from_str(doc).map_err(anyhow::Error::from))
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str, name: &str) -> Result<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .with_context(|| format!("no {kind} {name}"))
}

/// A named container port (number, protocol).
fn container_port(container: &Value, name: &str) -> (u64, String) {
    let ports = container["ports"].as_array().cloned().unwrap_or_default();
    ports
        .iter()
        .find(|p| p["name"] == name)
        .map_or((0, String::new()), |p| {
            (
                p["containerPort"].as_u64().unwrap_or(0),
                p["protocol"].as_str().unwrap_or("TCP").to_string(),
            )
        })
}

#[test]
fn kubernetes_manifests_match_the_binary() -> Result<()> {
    let docs = manifests()?;
    let set = of_kind(&docs, "StatefulSet", "apigw")?;
    assert_eq!(set["spec"]["replicas"], 3);
    let pod = &set["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args: Vec<String> = serde_json::from_value(container["args"].clone())?;
    let pairs = flag_values(&args)?;
    let data = flag(&pairs, "--listen").context("--listen")?;
    let admin = flag(&pairs, "--admin-listen").context("--admin-listen")?;
    assert_eq!(
        container_port(container, "data"),
        (port(data).into(), "TCP".into())
    );
    assert_eq!(
        container_port(container, "admin"),
        (port(admin).into(), "TCP".into())
    );
    for (probe, path) in [("readinessProbe", "/ready"), ("livenessProbe", "/health")] {
        assert_eq!(container[probe]["httpGet"]["path"], path);
        assert_eq!(container[probe]["httpGet"]["port"], "admin");
    }
    // One volume per node for the store, mounted where --data-dir points.
    let claim = &set["spec"]["volumeClaimTemplates"][0]["metadata"]["name"];
    let mount = mount_path(container, claim.as_str().unwrap_or_default());
    assert_eq!(mount.as_deref(), flag(&pairs, "--data-dir"));
    // Peer discovery: a headless Service publishing the cluster port (UDP).
    let peers = of_kind(
        &docs,
        "Service",
        set["spec"]["serviceName"].as_str().unwrap_or(""),
    )?;
    assert_eq!(peers["spec"]["clusterIP"], "None");
    let (cluster_port, protocol) = container_port(container, "cluster");
    assert_eq!(protocol, "UDP");
    assert_eq!(peers["spec"]["ports"][0]["port"], cluster_port);
    assert_eq!(peers["spec"]["ports"][0]["protocol"], "UDP");
    let service = of_kind(&docs, "Service", "apigw")?;
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "data");
    let pdb = of_kind(&docs, "PodDisruptionBudget", "apigw")?;
    assert_eq!(pdb["spec"]["minAvailable"], 2, "a Raft majority of 3");
    assert_eq!(pdb["spec"]["selector"], set["spec"]["selector"]);
    let secrets: Vec<String> = pod["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|v| {
            v["projected"]["sources"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|s| s["secret"]["name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(secrets, ["apigw-cluster-ca", "apigw-node-certs"]);
    rendered_config_checks(&docs, container, &pairs, cluster_port)
}

fn mount_path(container: &Value, volume: &str) -> Option<String> {
    container["volumeMounts"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == volume)
        .and_then(|m| m["mountPath"].as_str().map(str::to_string))
}

/// Runs the init container's script for pod apigw-1 (its paths moved into
/// a scratch folder, `getent` answering for the peers' names), then
/// `apigw check` on the config it wrote, and compares the config with the
/// pod: node id, cluster port, certificate folder, peers.
fn rendered_config_checks(
    docs: &[Value],
    container: &Value,
    pairs: &[(String, String)],
    cluster_port: u64,
) -> Result<()> {
    let config_map = of_kind(docs, "ConfigMap", "apigw-config")?;
    let dir = TempDir::new("k8s")?;
    let (template, run, bin) = (dir.0.join("template"), dir.0.join("run"), dir.0.join("bin"));
    for d in [&template, &run, &bin] {
        std::fs::create_dir_all(d)?;
    }
    let text = |key: &str| {
        config_map["data"][key]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    std::fs::write(template.join("apigw.yaml.in"), text("apigw.yaml.in"))?;
    let script = text("init.sh")
        .replace("/etc/apigw/template", &template.to_string_lossy())
        .replace("/run/apigw", &run.to_string_lossy());
    // Pod apigw-N is at 10.0.0.N.
    let getent = "#!/bin/sh\nn=${2#apigw-}\necho \"10.0.0.${n%%.*} $2\"\n";
    std::fs::write(bin.join("getent"), getent)?;
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("getent"))
        .status()?;
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .envs([
            ("POD_NAME", "apigw-1"),
            ("POD_NAMESPACE", "default"),
            ("POD_IP", "10.0.0.1"),
        ])
        .envs([("PEER_SERVICE", "apigw-peers"), ("REPLICAS", "3")])
        .env("PATH", path)
        .output()?;
    ensure!(
        out.status.success(),
        "init.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config_file = run.join("apigw.yaml");
    ensure!(
        flag(pairs, "--config") == Some("/run/apigw/apigw.yaml"),
        "the container reads the config the init container writes"
    );
    let (status, stdout, stderr) = run_apigw(&["check", &config_file.to_string_lossy()])?;
    assert!(status.success(), "apigw check: {stdout}{stderr}");
    let config: Value = apigw::model::yaml::from_str(&std::fs::read_to_string(&config_file)?)?;
    let cluster = &config["cluster"];
    assert_eq!(cluster["node_id"], 2, "pod apigw-1 is node 2");
    assert_eq!(cluster["listen"], format!("10.0.0.1:{cluster_port}"));
    let peers: Vec<(u64, String)> = cluster["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["id"].as_u64().unwrap_or(0),
                p["addr"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        peers,
        [
            (1, format!("10.0.0.0:{cluster_port}")),
            (3, format!("10.0.0.2:{cluster_port}"))
        ]
    );
    assert_eq!(
        mount_path(container, "certs").as_deref(),
        cluster["certs"].as_str()
    );
    Ok(())
}

/// `cargo deb` of the node around the binary the workspace build made
/// (`--no-build --profile dev`: a release build takes a quarter of an hour
/// on two cores; the package's layout is the same). Skipped, saying so,
/// where cargo-deb is not installed (`cargo install cargo-deb`).
#[test]
fn debian_package_holds_the_binary_unit_and_config() -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let has_deb = Command::new(&cargo)
        .args(["deb", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_deb {
        eprintln!("skipped: cargo-deb is not installed (cargo install cargo-deb)");
        return Ok(());
    }
    let binary = apigw_binary()?;
    let target = binary
        .parent()
        .and_then(Path::parent)
        .context("no target directory above the binary")?;
    let dir = TempDir::new("deb")?;
    let deb = dir.0.join("apigw.deb");
    let out = Command::new(&cargo)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("CARGO_TARGET_DIR", target)
        .args([
            "deb",
            "-p",
            "apigw",
            "--no-build",
            "--profile",
            "dev",
            "--fast",
        ])
        .arg("-o")
        .arg(&deb)
        .output()?;
    ensure!(
        out.status.success(),
        "cargo deb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dpkg = |args: &[&str]| -> Result<String> {
        let out = Command::new("dpkg-deb").args(args).arg(&deb).output()?;
        ensure!(out.status.success(), "dpkg-deb {args:?}");
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let contents = dpkg(&["-c"])?;
    for path in [
        "./usr/bin/apigw",
        "./usr/lib/systemd/system/apigw.service",
        "./etc/apigw/config.yaml",
    ] {
        assert!(
            contents.lines().any(|l| l.ends_with(path)),
            "{path} not in the package: {contents}"
        );
    }
    assert_eq!(dpkg(&["-f"])?.lines().next(), Some("Package: apigw"));
    let control = dir.0.join("control");
    let extract = dir.0.join("root");
    let status = Command::new("dpkg-deb")
        .arg("-e")
        .arg(&deb)
        .arg(&control)
        .status()?;
    ensure!(status.success(), "dpkg-deb -e");
    let conffiles = std::fs::read_to_string(control.join("conffiles"))?;
    assert!(conffiles.lines().any(|l| l == "/etc/apigw/config.yaml"));
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&extract)
        .status()?;
    ensure!(status.success(), "dpkg-deb -x");
    let unit = std::fs::read_to_string(extract.join("usr/lib/systemd/system/apigw.service"))?;
    assert_eq!(unit, std::fs::read_to_string(ops("systemd/apigw.service"))?);
    let version = Command::new(extract.join("usr/bin/apigw"))
        .arg("--version")
        .output()?;
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.starts_with(&format!("apigw {}", env!("CARGO_PKG_VERSION"))),
        "the packaged binary: {version}"
    );
    // The packaged config starts a node that passes `apigw check`.
    let (status, stdout, stderr) = run_apigw(&[
        "check",
        &extract.join("etc/apigw/config.yaml").to_string_lossy(),
    ])?;
    assert!(status.success(), "apigw check: {stdout}{stderr}");
    Ok(())
}
