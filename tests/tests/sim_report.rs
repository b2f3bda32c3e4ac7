//! The simulation report as a reader opens it: `apigw sim` writes
//! report.html, headless Chromium (Debian's `chromium`) renders it, and the
//! rendered page has the time and latency axes with their ticks, the event
//! labels, the headline figures of report.json, the phase tables, and a
//! screenshot with the client series, the region bands and the 429 marks
//! in it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use apigw_tests::node::{apigw_binary, TempDir};
use serde_json::Value;

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../simulations/scenarios/three-regions.yaml")
}

/// `chromium` on PATH; `None` when absent (CI installs it: a missing one
/// fails there).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("chromium is not installed (.ci/run installs it)");
    }
    found
}

/// Runs chromium headless on `page` with `args`; its stdout.
fn headless(chromium: &Path, profile: &Path, page: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args([
            "--no-first-run",
            "--disable-extensions",
            "--force-device-scale-factor=1",
        ])
        // Nothing reaches out: the machine's network is closed.
        .args([
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .args(["--disable-sync", "--disable-quic"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .context("running chromium")?;
    if !out.status.success() {
        bail!("chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs the scenario; the output folder and report.json.
fn run_sim(dir: &Path) -> Result<(PathBuf, Value)> {
    let out = dir.join("out");
    let run = Command::new(apigw_binary()?)
        .arg("sim")
        .arg(scenario())
        .arg("--out")
        .arg(&out)
        .output()?;
    ensure!(
        run.status.success(),
        "apigw sim: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Piped: no progress drawn.
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\r') && !stderr.contains("simulating"),
        "progress bytes on a piped stderr: {stderr:?}"
    );
    let report = serde_json::from_slice(&std::fs::read(out.join("report.json"))?)?;
    Ok((out, report))
}

/// The texts of the elements with `class` in the rendered DOM.
fn texts_of_class(dom: &str, class: &str) -> Vec<String> {
    let marker = format!("class=\"{class}\"");
    dom.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &dom[i..];
            let start = rest.find('>')? + 1;
            let end = rest[start..].find('<')? + start;
            Some(rest[start..end].to_string())
        })
        .collect()
}

fn check_dom(dom: &str, report: &Value) {
    assert!(dom.contains("time (s, simulated)"), "no time axis title");
    assert!(dom.contains("latency (ms, log)"), "no latency axis title");
    let time_ticks = texts_of_class(dom, "time-tick");
    let end = report["simulated_s"].as_f64().unwrap_or(0.0);
    assert!(time_ticks.len() >= 5, "time ticks: {time_ticks:?}");
    assert_eq!(time_ticks.first().map(String::as_str), Some("0"));
    let last: f64 = time_ticks
        .last()
        .and_then(|t| t.parse().ok())
        .unwrap_or(-1.0);
    assert!(
        last <= end && last > end * 0.7,
        "last tick {last} of {end} s"
    );
    let latency_ticks = texts_of_class(dom, "latency-tick");
    for decade in ["1", "10", "100", "1000"] {
        assert!(
            latency_ticks.iter().any(|t| t == decade),
            "{latency_ticks:?}"
        );
    }
    let labels = texts_of_class(dom, "event-label");
    assert_eq!(labels.len(), 7, "one label per timeline event: {labels:?}");
    assert!(
        labels.iter().any(|l| l == "13 s: eu-central-1 down"),
        "{labels:?}"
    );
    // The headline figures are report.json's.
    let failover = report["failovers"][0]["failover_ms"].as_u64().unwrap_or(0);
    assert!(
        dom.contains(&format!(">{failover} ms<")),
        "failover {failover} ms"
    );
    let propagation = report["propagation"][0]["all_applied_ms"]
        .as_u64()
        .unwrap_or(0);
    assert!(dom.contains(&format!(">{propagation} ms<")), "propagation");
    let overshoot = report["overshoot"].as_i64().unwrap_or(-1);
    assert!(
        dom.contains(&format!("<div class=\"v\">{overshoot}</div>")),
        "overshoot"
    );
    assert!(dom.contains("rate-limit overshoot"));
    assert!(dom.contains(">all held<"), "invariants");
    let phases = report["phases"].as_array().map_or(0, Vec::len);
    assert_eq!(dom.matches("<table class=\"phase\">").count(), phases);
}

/// How many pixels of the screenshot are near `rgb`.
fn pixels_near(image: &[u8], channels: usize, rgb: [u8; 3]) -> usize {
    image
        .chunks_exact(channels)
        .filter(|p| (0..3).all(|c| p[c].abs_diff(rgb[c]) <= 12))
        .count()
}

fn check_screenshot(file: &Path) -> Result<()> {
    let decoder = png::Decoder::new(std::fs::File::open(file)?);
    let mut reader = decoder.read_info()?;
    let mut image = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut image)?;
    let channels = info.color_type.samples();
    ensure!(channels >= 3, "a colour screenshot ({:?})", info.color_type);
    assert_eq!((info.width, info.height), (1200, 1400));
    let image = &image[..info.buffer_size()];
    let total = image.len() / channels;
    let white = pixels_near(image, channels, [255, 255, 255]);
    assert!(white < total * 97 / 100, "the page is almost blank");
    // First client's dots, the first region's band, the 429 marks.
    for (what, rgb, least) in [
        ("client series", [0x1f, 0x77, 0xb4], 300),
        ("region band", [0x66, 0xc2, 0xa5], 2000),
        ("429 marks", [0xff, 0x7f, 0x0e], 50),
    ] {
        let n = pixels_near(image, channels, rgb);
        assert!(n >= least, "{what}: {n} pixels of {rgb:?}");
    }
    Ok(())
}

#[test]
fn report_page_renders_with_axes_and_figures() -> Result<()> {
    let dir = TempDir::new("sim-report")?;
    let (out, report) = run_sim(&dir.0)?;
    let page = out.join("report.html");
    let Some(chromium) = chromium() else {
        eprintln!("skipped: chromium is not installed");
        return Ok(());
    };
    let profile = dir.0.join("chromium-profile");
    let dom = headless(&chromium, &profile, &page, &["--dump-dom"])?;
    check_dom(&dom, &report);
    let shot = dir.0.join("report.png");
    headless(
        &chromium,
        &profile,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1400",
        ],
    )?;
    if let Ok(keep) = std::env::var("APIGW_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&shot, keep);
    }
    check_screenshot(&shot)
}
