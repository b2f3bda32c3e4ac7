//! Issue 25, item 3: the simulator runs the gateway's request pipeline
//! (`simulations/scenarios/api-keys-usage-plan.yaml`). Seeded and
//! replayable: clients sharing an API key on a usage plan are throttled,
//! cluster-wide, to what the plan allows; requests without a key get 403
//! (`ForbiddenException`), an unknown path 403 Missing Authentication
//! Token; a quota stops at its limit; the stage cache answers most GETs;
//! the simulated backend's failures come back as AWS's 504
//! `INTEGRATION_FAILURE`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use apigw_simulations::geo::report_api::ApiFigures;
use apigw_simulations::geo::{simulate, Report, Scenario};

const SCENARIO: &str = include_str!("../scenarios/api-keys-usage-plan.yaml");
/// The regional nodes' gossip interval.
const GOSSIP_S: f64 = 0.1;

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn run(scenario: &Scenario, name: &str) -> Report {
    let dir = std::env::temp_dir().join(format!("apigw-api-{name}-{}", std::process::id()));
    let (report, _) = simulate(scenario, &dir).expect("runs");
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{}", report.text());
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    report
}

/// Answers to the requests of the mix whose label passes `pick`, by status.
fn statuses(api: &ApiFigures, pick: impl Fn(&str) -> bool) -> BTreeMap<u16, usize> {
    let mut out = BTreeMap::new();
    for (label, by_status) in api.by_request.iter().filter(|(l, _)| pick(l)) {
        for (status, n) in by_status {
            *out.entry(*status).or_default() += n;
        }
        assert!(!label.is_empty());
    }
    out
}

fn count(statuses: &BTreeMap<u16, usize>, pick: impl Fn(u16) -> bool) -> usize {
    statuses
        .iter()
        .filter(|(s, _)| pick(**s))
        .map(|(_, n)| n)
        .sum()
}

/// The `gold` plan's rate and burst, from the scenario.
fn gold_plan(scenario: &Scenario) -> (f64, f64) {
    let plan = scenario
        .usage_plans
        .iter()
        .find(|p| p.keys.iter().any(|k| k == "gold"))
        .expect("gold's plan");
    (
        plan.rate.expect("a rate"),
        f64::from(plan.burst.expect("a burst")),
    )
}

/// Gold's requests that reach admission (an unknown path is refused by
/// routing first): (sent, admitted, 429s, 5xx).
fn gold(api: &ApiFigures) -> (usize, usize, usize, usize) {
    let s = statuses(api, |l| l.ends_with("key=gold") && !l.contains("/nowhere"));
    (
        count(&s, |_| true),
        count(&s, |s| (200..300).contains(&s)),
        count(&s, |s| s == 429),
        count(&s, |s| s >= 500),
    )
}

#[test]
fn api_keys_and_a_usage_plan_throttle_to_the_plan() {
    let scenario = Scenario::parse_in(SCENARIO, &scenarios()).expect("a valid scenario");
    let report = run(&scenario, "plan");
    let api = &report.apis[0];
    assert_eq!(api.api, "pets");
    assert_eq!(api.unanswered, 0);

    // Each population is served by its own region: two nodes admit `gold`.
    let start = &report.phases[0];
    for (client, region) in [("paris", "eu-central-1"), ("new-york", "us-east-1")] {
        let c = start
            .clients
            .iter()
            .find(|c| c.client == client)
            .expect("client");
        assert_eq!(c.regions.keys().collect::<Vec<_>>(), [region], "{c:?}");
    }

    // The plan allows `rate` a second plus the burst once, over the whole
    // cluster: R x D + B. The count is cluster-wide (per-node counters
    // would admit that on each node, twice as many); between two gossip
    // rounds a node guesses its peer's share, so the overshoot is at most
    // one gossip interval's worth of the rate each second; the load's
    // ends fall inside seconds, so up to one second's rate less.
    let (rate, burst) = gold_plan(&scenario);
    let d = scenario.duration_s as f64;
    let allowed = rate * d + burst;
    let (sent, admitted, throttled, failed) = gold(api);
    eprintln!("gold: {sent} sent, {admitted} admitted (plan allows {allowed}), {throttled} 429s, {failed} 5xx");
    let (lo, hi) = (allowed - rate, allowed + rate * d * GOSSIP_S);
    assert!(
        (lo..=hi).contains(&(admitted as f64)),
        "{admitted} admitted, the plan allows {allowed} (tolerance {lo}..{hi})"
    );
    // So the 429s are what the plan leaves of what was sent.
    let expected_429 = sent as f64 - allowed - failed as f64;
    assert!(
        (expected_429 - rate * d * GOSSIP_S..=expected_429 + rate).contains(&(throttled as f64)),
        "{throttled} 429s, expected {expected_429}"
    );
    assert_eq!(sent, admitted + throttled + failed);
    let kinds = &api.error_types["GET /pets key=gold"];
    assert_eq!(
        kinds["TooManyRequestsException"],
        api.by_request["GET /pets key=gold"][&429]
    );

    // `bronze`: a quota of 25 and no throttle; one node serves it, so
    // exactly 25 pass and the rest get 429 Limit Exceeded.
    let bronze = &api.by_request["GET /pets key=bronze"];
    let bronze_sent: usize = bronze.values().sum();
    assert_eq!(count(bronze, |s| s == 200), 25, "{bronze:?}");
    assert_eq!(count(bronze, |s| s == 429), bronze_sent - 25, "{bronze:?}");
    assert_eq!(
        api.error_types["GET /pets key=bronze"]["LimitExceededException"],
        bronze_sent - 25
    );

    // No key: 403 Forbidden. A path the API lacks: 403 Missing
    // Authentication Token (routing answers before keys are looked at).
    let no_key = &api.by_request["GET /pets"];
    assert_eq!(no_key.keys().collect::<Vec<_>>(), [&403], "{no_key:?}");
    assert_eq!(
        api.error_types["GET /pets"]["ForbiddenException"],
        no_key[&403]
    );
    let nowhere = &api.by_request["GET /nowhere key=gold"];
    assert_eq!(nowhere.keys().collect::<Vec<_>>(), [&403], "{nowhere:?}");
    assert_eq!(
        api.error_types["GET /nowhere key=gold"]["MissingAuthenticationTokenException"],
        nowhere[&403]
    );

    // The stage cache (5 s, two nodes) answers most GETs.
    let rate = api.cache_hit_rate.expect("the cache was asked");
    assert!(rate > 0.8, "cache hit rate {rate}");
    assert!(api.cache_misses >= 2, "each node filled its cache");

    // The backend fails 10% of its calls; POST /orders is never cached,
    // so about a tenth of them answer 504 (binomial, 80 calls).
    let orders = &api.by_request["POST /orders"];
    let orders_sent: usize = orders.values().sum();
    let failed = count(orders, |s| s == 504);
    assert!(
        (2..=20).contains(&failed),
        "{failed} of {orders_sent} failed"
    );
    assert_eq!(count(orders, |s| s == 201), orders_sent - failed);

    // The per-second series add up to the totals.
    let per_429: usize = report.per_second.iter().map(|s| s.throttled).sum();
    let per_5xx: usize = report.per_second.iter().map(|s| s.server_errors).sum();
    assert_eq!(per_429, count(&api.statuses, |s| s == 429));
    assert_eq!(per_5xx, count(&api.statuses, |s| s >= 500));
    assert!(report.per_second.len() >= scenario.duration_s as usize);

    let (again, _) = simulate(
        &scenario,
        &std::env::temp_dir().join(format!("apigw-api-again-{}", std::process::id())),
    )
    .expect("runs again");
    assert_eq!(
        serde_json::to_string(&report).ok(),
        serde_json::to_string(&again).ok(),
        "the seed replays the same report"
    );
}

#[test]
fn one_node_admits_what_the_plan_allows() {
    // Both populations on one node: no gossip in the count.
    let text = SCENARIO.replace(
        "  - {name: us-east-1, lat: 38.9, lon: -77.04, nodes: 1}\n",
        "",
    );
    let scenario = Scenario::parse_in(&text, &scenarios()).expect("a valid scenario");
    assert_eq!(scenario.regions.len(), 1);
    let report = run(&scenario, "one-node");
    let (rate, burst) = gold_plan(&scenario);
    let allowed = rate * scenario.duration_s as f64 + burst;
    let (sent, admitted, throttled, failed) = gold(&report.apis[0]);
    eprintln!("gold on one node: {sent} sent, {admitted} admitted (plan allows {allowed}), {throttled} 429s");
    assert!(
        (allowed - rate..=allowed + 1.0).contains(&(admitted as f64)),
        "{admitted} admitted, the plan allows {allowed}"
    );
    assert_eq!(sent, admitted + throttled + failed);
}

#[test]
fn bad_api_scenarios_are_refused_naming_the_file_or_field() {
    let dir = std::env::temp_dir().join(format!("apigw-api-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    std::fs::write(dir.join("broken.yaml"), "openapi: [").expect("written");
    std::fs::write(
        dir.join("http.yaml"),
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses: {'200': {description: ok}}\n      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: 'http://example.com/'}\n",
    )
    .expect("written");
    std::fs::copy(scenarios().join("pets.openapi.yaml"), dir.join("pets.yaml")).expect("copied");
    let head = "duration_s: 5\nregions: [{name: a, lat: 0, lon: 0, nodes: 1}]\n";
    let client =
        "clients: [{name: c, lat: 0, lon: 0, rps: 1, requests: [{path: /pets, key: gold}]}]\n";
    for (text, expected) in [
        (
            format!("{head}{client}apis: [{{name: p, openapi: missing.yaml}}]\nkeys: [{{name: gold}}]"),
            "apis[0] `p`",
        ),
        (
            format!("{head}{client}apis: [{{name: p, openapi: broken.yaml}}]\nkeys: [{{name: gold}}]"),
            "broken.yaml",
        ),
        (
            format!("{head}{client}apis: [{{name: p, openapi: http.yaml}}]\nkeys: [{{name: gold}}]"),
            "MOCK",
        ),
        (
            format!("{head}{client}apis: [{{name: p, openapi: pets.yaml}}]"),
            "clients `c`.requests[0].key: unknown key `gold`",
        ),
        (
            format!("{head}{client}apis: [{{name: p, openapi: pets.yaml}}]\nkeys: [{{name: gold}}]\nusage_plans: [{{name: u, apis: [p], keys: [silver]}}]"),
            "usage_plans[0] `u`.keys: unknown key `silver`",
        ),
        (
            format!("{head}{client}apis: [{{name: p, openapi: pets.yaml}}]\nkeys: [{{name: gold}}]\nusage_plans: [{{name: u, apis: [q], keys: [gold]}}]"),
            "usage_plans[0] `u`.apis: unknown API `q`",
        ),
        (format!("{head}{client}"), "the scenario has no `apis`"),
        (
            format!("{head}clients: [{{name: c, lat: 0, lon: 0, rps: 1}}]\napis: [{{name: p, openapi: pets.yaml}}]"),
            "give `requests`",
        ),
        (
            format!("{head}{client}apis: [{{name: p, openapi: pets.yaml, colour: red}}]"),
            "unknown field `colour`",
        ),
    ] {
        let error = Scenario::parse_in(&text, &dir).expect_err("refused");
        assert!(error.contains(expected), "{error}\n(expected {expected})");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_region_down_moves_keyed_clients_and_the_plan_still_holds() {
    // Paris's region dies halfway: its clients move to us-east-1, whose
    // node has heard (by gossip) what the dead node admitted.
    let text = format!("{SCENARIO}timeline:\n  - {{at_s: 12, region_down: eu-central-1}}\n");
    let scenario = Scenario::parse_in(&text, &scenarios()).expect("a valid scenario");
    let report = run(&scenario, "region-down");
    let paris = report.phases[1]
        .clients
        .iter()
        .find(|c| c.client == "paris")
        .expect("paris");
    assert_eq!(
        paris.regions.keys().collect::<Vec<_>>(),
        ["us-east-1"],
        "{paris:?}"
    );
    assert_eq!(report.failed_idempotent, 0);
    let api = &report.apis[0];
    let (rate, burst) = gold_plan(&scenario);
    let allowed = rate * scenario.duration_s as f64 + burst;
    let (_, admitted, _, _) = gold(api);
    assert!(
        (allowed - rate..=allowed + rate * scenario.duration_s as f64 * GOSSIP_S)
            .contains(&(admitted as f64)),
        "{admitted} admitted across the failover, the plan allows {allowed}"
    );
    // The quota spent on the dead node stays spent on the live one.
    let bronze = &api.by_request["GET /pets key=bronze"];
    assert_eq!(count(bronze, |s| s == 200), 25, "{bronze:?}");
}
