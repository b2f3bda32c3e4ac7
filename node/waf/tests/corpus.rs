//! The managed groups against corpora: ordinary API traffic must pass the
//! Common, KnownBadInputs and SQLi groups with zero blocks, and public
//! attack payload lists (tests/corpus/README.md names each source and
//! licence) must be blocked at least at the floor measured here. Rates are
//! printed; misses are written to `$CARGO_TARGET_TMPDIR/waf-corpus/`.

mod common;
use apigw_waf::*;
use common::*;
use std::fmt::Write as _;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
const GROUPS: [&str; 3] = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
];

fn lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(format!("{CORPUS}/{name}"))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn pct(s: &str) -> String {
    s.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}

/// Keeps the payload as written (its own encodings intact), escaping only
/// what would end the query value.
fn raw_keep_pct(s: &str) -> String {
    s.replace('&', "%26")
        .replace('#', "%23")
        .replace(' ', "%20")
        .replace('+', "%2B")
}

struct Score {
    name: &'static str,
    total: usize,
    blocked: usize,
    misses: Vec<String>,
}

impl Score {
    fn rate(&self) -> f64 {
        100.0 * self.blocked as f64 / self.total.max(1) as f64
    }
}

fn score(
    acl: &CompiledWebAcl,
    name: &'static str,
    payloads: &[String],
    deliver: impl Fn(&str) -> Req,
) -> Score {
    let mut s = Score {
        name,
        total: 0,
        blocked: 0,
        misses: Vec::new(),
    };
    for p in payloads {
        s.total += 1;
        if eval(acl, &deliver(p)).action == Action::Block {
            s.blocked += 1;
        } else {
            s.misses.push(p.clone());
        }
    }
    s
}

fn report(scores: &[Score]) {
    let dir = format!("{}/waf-corpus", env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::create_dir_all(&dir);
    for s in scores {
        println!(
            "detection {:<28} {:>4}/{:<4} = {:5.1} %",
            s.name,
            s.blocked,
            s.total,
            s.rate()
        );
        let _ = std::fs::write(
            format!("{dir}/{}.misses.txt", s.name),
            s.misses.join("\n") + "\n",
        );
    }
    println!("misses written to {dir}");
}

fn json_body(key: &str, p: &str) -> Vec<u8> {
    serde_json::json!({ key: p }).to_string().into_bytes()
}

#[test]
fn benign_traffic_passes_with_zero_blocks() {
    let acl = managed_acl(&GROUPS);
    let mut blocked = Vec::new();
    let entries = lines("benign.jsonl");
    for line in &entries {
        let e: serde_json::Value = serde_json::from_str(line).expect("benign.jsonl line");
        let target = match e["query"].as_str() {
            Some(q) if !q.is_empty() => format!("{}?{q}", e["path"].as_str().unwrap_or("/")),
            _ => e["path"].as_str().unwrap_or("/").to_owned(),
        };
        let mut r = Req::new(e["method"].as_str().unwrap_or("GET"), &target);
        for h in e["headers"].as_array().into_iter().flatten() {
            let (n, v) = (h[0].as_str().unwrap_or(""), h[1].as_str().unwrap_or(""));
            r = r.without(n).header(n, v);
        }
        if let (Some(ct), Some(b)) = (e["content_type"].as_str(), e["body"].as_str()) {
            r = r.body(ct, b.as_bytes());
        }
        let v = eval(&acl, &r);
        if v.action != Action::Allow {
            blocked.push(format!(
                "{}: {} by {:?}",
                e["name"],
                v.terminating_rule_id,
                v.trace
                    .rule_groups
                    .last()
                    .and_then(|g| g.terminating_rule.clone())
            ));
        }
    }
    println!(
        "false positives: {}/{} = {:.1} %",
        blocked.len(),
        entries.len(),
        100.0 * blocked.len() as f64 / entries.len() as f64
    );
    assert!(
        blocked.is_empty(),
        "benign requests blocked:\n{}",
        blocked.join("\n")
    );
}

#[test]
fn libinjection_false_positive_list_stays_under_its_ceiling() {
    // Search-box input that once fooled libinjection (its data/false_positives.txt),
    // URL-encoded as the file says, as a query argument.
    let acl = managed_acl(&GROUPS);
    let list = lines("benign-search.txt");
    let blocked: Vec<String> = list
        .iter()
        .filter_map(|q| {
            let v = eval(
                &acl,
                &Req::get(&format!(
                    "/prod/search?q={}",
                    q.replace(' ', "+").replace('#', "%23").replace('&', "%26")
                )),
            );
            let by = v
                .trace
                .rule_groups
                .last()
                .and_then(|g| g.terminating_rule.as_ref())
                .map(|m| m.rule_id.clone());
            (v.action == Action::Block).then(|| format!("{q}    <- {}", by.unwrap_or_default()))
        })
        .collect();
    println!(
        "false positives (libinjection list): {}/{} = {:.1} %",
        blocked.len(),
        list.len(),
        100.0 * blocked.len() as f64 / list.len() as f64
    );
    let dir = format!("{}/waf-corpus", env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        format!("{dir}/benign-search.blocked.txt"),
        blocked.join("\n") + "\n",
    );
    // These are inputs chosen because they fool SQL detectors; most of the
    // blocks are libinjection's own LOW-sensitivity verdict. Ceiling as measured.
    assert!(
        blocked.len() * 100 <= list.len() * 6,
        "{} blocked:\n{}",
        blocked.len(),
        blocked.join("\n")
    );
}

#[test]
fn attack_corpora_are_blocked() {
    let acl = managed_acl(&GROUPS);
    let sqli = lines("sqli.txt");
    let xss = lines("xss.txt");
    let traversal = lines("traversal.txt");
    let mut log4j = lines("log4shell.txt");
    log4j.extend(lines("log4shell-extra.txt"));
    let json = |b: Vec<u8>| Req::new("POST", "/prod/items").body("application/json", &b);
    let scores = vec![
        score(&acl, "sqli-query", &sqli, |p| {
            Req::get(&format!("/prod/items?id={}", pct(p)))
        }),
        score(&acl, "sqli-query-appended", &sqli, |p| {
            Req::get(&format!("/prod/items?id=1{}", pct(p)))
        }),
        score(&acl, "sqli-json-body", &sqli, |p| json(json_body("id", p))),
        score(&acl, "xss-query", &xss, |p| {
            Req::get(&format!("/prod/search?q={}", pct(p)))
        }),
        score(&acl, "xss-json-body", &xss, |p| {
            json(json_body("comment", p))
        }),
        score(&acl, "traversal-query", &traversal, |p| {
            Req::get(&format!("/prod/download?file={}", raw_keep_pct(p)))
        }),
        score(&acl, "traversal-query-encoded", &traversal, |p| {
            Req::get(&format!("/prod/download?file={}", pct(p)))
        }),
        score(&acl, "traversal-path", &traversal, |p| {
            Req::get(&format!("/prod/download/{}", raw_keep_pct(p)))
        }),
        score(&acl, "log4shell-header", &log4j, |p| {
            Req::get("/prod/items").header("X-Api-Version", p)
        }),
        score(&acl, "log4shell-query", &log4j, |p| {
            Req::get(&format!("/prod/items?v={}", raw_keep_pct(p)))
        }),
        score(&acl, "log4shell-json-body", &log4j, |p| {
            json(json_body("v", p))
        }),
    ];
    report(&scores);
    // Floors set from what was measured (see README.md); a drop is a regression.
    let floors = [
        ("sqli-query", 97.0),
        ("sqli-query-appended", 97.0),
        ("sqli-json-body", 97.0),
        ("xss-query", 97.0),
        ("xss-json-body", 97.0),
        ("traversal-query", 98.0),
        ("traversal-query-encoded", 90.0),
        ("traversal-path", 98.0),
        ("log4shell-header", 100.0),
        ("log4shell-query", 100.0),
        ("log4shell-json-body", 100.0),
    ];
    for (name, floor) in floors {
        let s = scores.iter().find(|s| s.name == name).expect("scored");
        assert!(
            s.rate() >= floor,
            "{name}: {:.1} % < floor {floor} %",
            s.rate()
        );
    }
}
