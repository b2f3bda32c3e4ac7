//! `apigw sim SCENARIO [--seed N] [--out DIR]` (also the `apigw-sim` binary):
//! runs a scenario file and prints its report; writes `report.json`,
//! `chart.svg` and `report.html` into the output folder. Exits 1 when an
//! invariant was violated, 2 on a bad scenario.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::geo::{page, simulate, Report, Scenario};

fn usage() -> ExitCode {
    eprintln!("usage: apigw sim SCENARIO.yaml [--seed N] [--out DIR]");
    ExitCode::from(2)
}

/// The command line.
struct Args {
    file: PathBuf,
    seed: Option<u64>,
    out: Option<PathBuf>,
}

/// Runs the command line `args` (without the program name).
pub fn main(args: impl IntoIterator<Item = String>) -> ExitCode {
    let args = match parse_args(args.into_iter()) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let scenario = match load(&args.file, args.seed) {
        Ok(scenario) => scenario,
        Err(code) => return code,
    };
    let stem = args
        .file
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().to_string());
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("sim-out").join(&stem));
    let work = std::env::temp_dir().join(format!("apigw-sim-{stem}-{}", std::process::id()));
    let nodes: u32 = scenario.regions.iter().map(|r| r.nodes).sum();
    let progress = crate::progress::Progress::spinner(format!(
        "simulating {stem}: {} s of load on {nodes} nodes",
        scenario.duration_s
    ));
    let result = simulate(&scenario, &work);
    drop(progress);
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
    let svg = page::svg(&report, &samples, &scenario);
    let html = page::html(&report, &samples, &scenario, &stem);
    match write_outputs(&out, &report, &svg, &html) {
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

/// `SCENARIO [--seed N] [--out DIR]`; `Err`: the exit code (usage shown).
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, ExitCode> {
    let mut file = None;
    let mut seed = None;
    let mut out = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seed" => match args.next().and_then(|s| s.parse::<u64>().ok()) {
                Some(s) => seed = Some(s),
                None => return Err(usage()),
            },
            "--out" => match args.next() {
                Some(d) => out = Some(PathBuf::from(d)),
                None => return Err(usage()),
            },
            "-h" | "--help" => {
                usage();
                return Err(ExitCode::SUCCESS);
            }
            other if file.is_none() && !other.starts_with('-') => file = Some(PathBuf::from(other)),
            _ => return Err(usage()),
        }
    }
    let file = file.ok_or_else(usage)?;
    Ok(Args { file, seed, out })
}

/// The scenario file, its seed replaced when one was given; `Err`: exit 2.
fn load(file: &Path, seed: Option<u64>) -> Result<Scenario, ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        eprintln!("cannot read {}: {e}", file.display());
        ExitCode::from(2)
    })?;
    let base = file.parent().unwrap_or(Path::new("."));
    let mut scenario = Scenario::parse_in(&text, base).map_err(|e| {
        eprintln!("{}: {e}", file.display());
        ExitCode::from(2)
    })?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

/// `report.json`, `chart.svg` and `report.html` into `out`.
fn write_outputs(out: &Path, report: &Report, svg: &str, html: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(
        out.join("report.json"),
        serde_json::to_vec_pretty(report).unwrap_or_default(),
    )?;
    std::fs::write(out.join("chart.svg"), svg)?;
    std::fs::write(out.join("report.html"), html)
}
