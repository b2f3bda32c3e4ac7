//! `apigw sim` scenarios: the example runs with its invariants held, a
//! region going down moves its clients to the next nearest region without
//! failed requests and they come back when it returns, the cluster-wide
//! limit holds, and a seed replays the same report.

use apigw_simulations::geo::{simulate, Scenario};

const SCENARIO: &str = r#"
seed: 3
duration_s: 14
regions:
  - {name: eu-central-1, lat: 50.11, lon: 8.68, nodes: 1}
  - {name: us-east-1, lat: 38.9, lon: -77.04, nodes: 2}
clients:
  - {name: paris, lat: 48.86, lon: 2.35, rps: 20}
  - {name: new-york, lat: 40.71, lon: -74.01, rps: 20}
rate_limit: {limit: 300}
timeline:
  - {at_s: 6, region_down: eu-central-1}
  - {at_s: 8, deploy: {via: us-east-1}}
  - {at_s: 11, region_up: eu-central-1}
"#;

#[test]
fn a_region_down_fails_over_and_the_seed_replays() {
    let scenario = Scenario::parse(SCENARIO).expect("a valid scenario");
    let dir = std::env::temp_dir().join(format!("apigw-geo-sim-{}", std::process::id()));
    let (report, _) = simulate(&scenario, &dir).expect("runs");
    eprintln!("{}", report.text());
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    // Before the fault each population is served by its nearest region.
    let start = &report.phases[0];
    for (client, region) in [("paris", "eu-central-1"), ("new-york", "us-east-1")] {
        let c = start
            .clients
            .iter()
            .find(|c| c.client == client)
            .expect("client");
        assert!(c.requests > 50, "{c:?}");
        assert_eq!(c.regions.keys().collect::<Vec<_>>(), [region], "{c:?}");
    }
    // After it, Paris is answered by us-east-1 only.
    let after = &report.phases[1];
    let paris = after
        .clients
        .iter()
        .find(|c| c.client == "paris")
        .expect("paris");
    assert_eq!(
        paris.regions.keys().collect::<Vec<_>>(),
        ["us-east-1"],
        "{paris:?}"
    );
    let failover = report
        .failovers
        .iter()
        .find(|f| f.client == "paris")
        .expect("paris fails over");
    let ms = failover.failover_ms.expect("paris reached us-east-1");
    assert!(ms < 3000, "failover took {ms} ms");
    assert_eq!(failover.failed_requests, 0);
    // Once eu-central-1 is back (its node rebinds its port and rejoins),
    // Paris moves back to it.
    let back = &report.phases[3];
    let paris = back
        .clients
        .iter()
        .find(|c| c.client == "paris")
        .expect("paris");
    assert!(
        paris
            .regions
            .get("eu-central-1")
            .is_some_and(|n| *n * 2 > paris.requests),
        "{paris:?}"
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    // The deployment reached both running nodes.
    assert!(
        report.propagation[0].all_applied_ms.is_some(),
        "{:?}",
        report.propagation
    );
    // 40 rps for ~14 s against a limit of 300: the limit is reached.
    assert!(report.admitted >= 300, "{}", report.admitted);
    assert!(report.overshoot < 30, "overshoot {}", report.overshoot);

    let (again, _) = simulate(&scenario, &dir).expect("runs again");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        serde_json::to_string(&report).ok(),
        serde_json::to_string(&again).ok(),
        "the seed replays the same report"
    );
}

#[test]
fn bad_scenarios_are_refused_with_a_reason() {
    for (text, expected) in [
        ("duration_s: 5\nregions: []\nclients: []", "regions and clients"),
        (
            "duration_s: 5\nregions: [{name: a, lat: 0, lon: 0, nodes: 1}]\nclients: [{name: c, lat: 0, lon: 0, rps: 1}]\ntimeline: [{at_s: 1, region_down: b}]",
            "unknown region `b`",
        ),
        (
            "duration_s: 0\nregions: [{name: a, lat: 0, lon: 0, nodes: 1}]\nclients: [{name: c, lat: 0, lon: 0, rps: 1}]",
            "duration_s must be 1 to 600",
        ),
        (
            "duration_s: 5\nregions: [{name: a, lat: 0, lon: 0, nodes: 1}]\nclients: [{name: c, lat: 0, lon: 0, rps: 1}]\ntimeline: [{at_s: 1, kill_node: a/3}]",
            "the region has 1 nodes",
        ),
        ("nonsense: [", "unknown field `nonsense`"),
    ] {
        let error = Scenario::parse(text).expect_err("refused");
        assert!(error.contains(expected), "{error}");
    }
}
