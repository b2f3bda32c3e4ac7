//! `apigw sim SCENARIO`: multi-region scenarios (regions, latency, client
//! populations, faults on a timeline) run on the cluster's real code in
//! simulated time, with a report. With `apis` in the scenario each
//! regional node also runs the gateway's request pipeline (`gateway.rs`)
//! on the request mixes its clients send (`requests.rs`).

pub mod apis;
pub mod escape;
pub mod gateway;
pub mod page;
pub mod page_api;
pub mod record;
pub mod report;
pub mod report_api;
pub mod requests;
pub mod run;
pub mod scenario;

pub use record::Sample;
pub use report::Report;
pub use scenario::Scenario;

/// Runs a scenario and builds its report; the samples come back for charts.
pub fn simulate(
    scenario: &Scenario,
    dir: &std::path::Path,
) -> Result<(Report, Vec<Sample>), String> {
    let out = run::run(scenario, dir)?;
    let samples = out.samples.clone();
    Ok((report::build(scenario, out), samples))
}
