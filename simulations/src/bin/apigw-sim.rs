//! `apigw-sim SCENARIO [--seed N] [--out DIR]` (also run as `apigw sim`):
//! runs a scenario file and prints its report; writes `report.json`,
//! `chart.svg` and `report.html` into the output folder. Exits 1 when an
//! invariant was violated, 2 on a bad scenario.

use std::path::PathBuf;
use std::process::ExitCode;

use apigw_simulations::geo::{simulate, Scenario};

fn usage() -> ExitCode {
    eprintln!("usage: apigw sim SCENARIO.yaml [--seed N] [--out DIR]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut seed = None;
    let mut out = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => match args.next().and_then(|s| s.parse::<u64>().ok()) {
                Some(s) => seed = Some(s),
                None => return usage(),
            },
            "--out" => match args.next() {
                Some(d) => out = Some(PathBuf::from(d)),
                None => return usage(),
            },
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            other if file.is_none() && !other.starts_with('-') => file = Some(PathBuf::from(other)),
            _ => return usage(),
        }
    }
    let Some(file) = file else {
        return usage();
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let mut scenario = match Scenario::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let stem = file
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().to_string());
    let out = out.unwrap_or_else(|| PathBuf::from("sim-out").join(&stem));
    let work = std::env::temp_dir().join(format!("apigw-sim-{stem}-{}", std::process::id()));
    let result = simulate(&scenario, &work);
    let _ = std::fs::remove_dir_all(&work);
    let (report, samples) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("the simulation failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = report.text();
    print!("{text}");
    let svg = report.svg(&samples, &scenario);
    let html = format!(
        "<!doctype html><meta charset='utf-8'><title>apigw sim {stem}</title>\n<h1>{stem} (seed {})</h1>\n{svg}\n<pre>{}</pre>\n",
        report.seed,
        text.replace('&', "&amp;").replace('<', "&lt;")
    );
    let written = std::fs::create_dir_all(&out)
        .and_then(|()| {
            std::fs::write(
                out.join("report.json"),
                serde_json::to_vec_pretty(&report).unwrap_or_default(),
            )
        })
        .and_then(|()| std::fs::write(out.join("chart.svg"), &svg))
        .and_then(|()| std::fs::write(out.join("report.html"), html));
    match written {
        Ok(()) => println!(
            "\nwritten: {}/report.json, chart.svg, report.html",
            out.display()
        ),
        Err(e) => eprintln!("cannot write the report into {}: {e}", out.display()),
    }
    if report.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
