//! The report's figures for a scenario with APIs: per API the answers by
//! status (and per request of the mix), the stage cache's hit rate, and
//! per second of the run the requests, 429s and 5xx answers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::record::Sample;

/// One API's answers.
#[derive(Debug, Clone, Serialize)]
pub struct ApiFigures {
    pub api: String,
    pub requests: usize,
    /// Answers by status.
    pub statuses: BTreeMap<u16, usize>,
    /// Requests no node answered.
    pub unanswered: usize,
    /// Answers by status for each request of the mix (`GET /pets key=gold`).
    pub by_request: BTreeMap<String, BTreeMap<u16, usize>>,
    /// Gateway responses by `x-amzn-ErrorType` for each request of the mix.
    pub error_types: BTreeMap<String, BTreeMap<String, usize>>,
    /// Stage cache lookups that found an entry, over every node.
    pub cache_hits: u64,
    pub cache_misses: u64,
    /// hits / lookups (`None`: the stage cache was never asked).
    pub cache_hit_rate: Option<f64>,
}

/// One second of the run (from its start; the load starts 2 s in).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Second {
    pub at_s: u64,
    pub requests: usize,
    pub throttled: usize,
    pub server_errors: usize,
}

/// Every API's figures, from the samples and the caches' counts (hits,
/// misses per API name).
pub fn figures(samples: &[Sample], cache: &BTreeMap<String, (u64, u64)>) -> Vec<ApiFigures> {
    let mut by_api: BTreeMap<&str, ApiFigures> = BTreeMap::new();
    for s in samples {
        let Some(a) = &s.api else { continue };
        let f = by_api.entry(&a.api).or_insert_with(|| {
            let (hits, misses) = cache.get(&a.api).copied().unwrap_or_default();
            let lookups = hits + misses;
            ApiFigures {
                api: a.api.clone(),
                requests: 0,
                statuses: BTreeMap::new(),
                unanswered: 0,
                by_request: BTreeMap::new(),
                error_types: BTreeMap::new(),
                cache_hits: hits,
                cache_misses: misses,
                cache_hit_rate: (lookups > 0).then(|| hits as f64 / lookups as f64),
            }
        });
        f.requests += 1;
        match a.status {
            Some(status) => {
                *f.statuses.entry(status).or_default() += 1;
                *f.by_request
                    .entry(a.request.clone())
                    .or_default()
                    .entry(status)
                    .or_default() += 1;
            }
            None => f.unanswered += 1,
        }
        if let Some(kind) = &a.error_type {
            *f.error_types
                .entry(a.request.clone())
                .or_default()
                .entry(kind.clone())
                .or_default() += 1;
        }
    }
    by_api.into_values().collect()
}

/// Requests, 429s and 5xx answers per second of the run, by the second
/// each request started in; empty without API requests.
pub fn per_second(samples: &[Sample]) -> Vec<Second> {
    let stamped: Vec<(u64, Option<u16>)> = samples
        .iter()
        .filter_map(|s| s.api.as_ref().map(|a| (s.at_ms / 1000, a.status)))
        .collect();
    let (Some(first), Some(last)) = (
        stamped.iter().map(|s| s.0).min(),
        stamped.iter().map(|s| s.0).max(),
    ) else {
        return Vec::new();
    };
    let mut seconds: Vec<Second> = (first..=last)
        .map(|at_s| Second {
            at_s,
            requests: 0,
            throttled: 0,
            server_errors: 0,
        })
        .collect();
    for (at, status) in stamped {
        let second = &mut seconds[(at - first) as usize];
        second.requests += 1;
        match status {
            Some(429) => second.throttled += 1,
            Some(s) if s >= 500 => second.server_errors += 1,
            _ => {}
        }
    }
    seconds
}

/// The figures as text for a terminal.
pub fn text(apis: &[ApiFigures], seconds: &[Second]) -> String {
    let mut t = String::new();
    for f in apis {
        let statuses: Vec<String> = f.statuses.iter().map(|(s, n)| format!("{s}:{n}")).collect();
        let _ = writeln!(
            t,
            "\napi {}: {} requests, {} unanswered; statuses {}",
            f.api,
            f.requests,
            f.unanswered,
            statuses.join(" ")
        );
        for (request, statuses) in &f.by_request {
            let mut s: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}:{n}")).collect();
            for (kind, n) in f.error_types.get(request).into_iter().flatten() {
                s.push(format!("{kind}:{n}"));
            }
            let _ = writeln!(t, "  {request:<32} {}", s.join(" "));
        }
        match f.cache_hit_rate {
            Some(rate) => {
                let _ = writeln!(
                    t,
                    "  stage cache: {} hits, {} misses ({:.1}% hits)",
                    f.cache_hits,
                    f.cache_misses,
                    rate * 100.0
                );
            }
            None => {
                let _ = writeln!(t, "  stage cache: not asked");
            }
        }
    }
    if !seconds.is_empty() {
        let row = |f: fn(&Second) -> usize| {
            let v: Vec<String> = seconds.iter().map(|s| f(s).to_string()).collect();
            v.join(" ")
        };
        let _ = writeln!(
            t,
            "per second from {} s: 429s [{}]; 5xx [{}]",
            seconds[0].at_s,
            row(|s| s.throttled),
            row(|s| s.server_errors)
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::geo::record::{ApiRequest, Outcome};

    fn sample(at_ms: u64, request: &str, status: Option<u16>) -> Sample {
        Sample {
            client: "c".into(),
            at_ms,
            latency_us: 1000,
            outcome: Outcome::Failed,
            switched: false,
            api: Some(ApiRequest {
                api: "pets".into(),
                request: request.into(),
                status,
                error_type: (status == Some(429)).then(|| "ThrottlingException".into()),
            }),
        }
    }

    #[test]
    fn statuses_cache_and_seconds_are_counted() {
        let samples = [
            sample(2100, "GET /pets key=gold", Some(200)),
            sample(2600, "GET /pets key=gold", Some(429)),
            sample(4100, "GET /pets", Some(403)),
            sample(4200, "GET /pets", Some(502)),
            sample(4300, "GET /pets", None),
        ];
        let cache = BTreeMap::from([("pets".to_string(), (3, 1))]);
        let apis = figures(&samples, &cache);
        assert_eq!(apis.len(), 1);
        let pets = &apis[0];
        assert_eq!(pets.requests, 5);
        assert_eq!(pets.unanswered, 1);
        assert_eq!(
            pets.statuses,
            BTreeMap::from([(200, 1), (403, 1), (429, 1), (502, 1)])
        );
        assert_eq!(pets.by_request["GET /pets key=gold"][&429], 1);
        assert_eq!(
            pets.error_types["GET /pets key=gold"]["ThrottlingException"],
            1
        );
        assert_eq!(pets.cache_hit_rate, Some(0.75));
        let seconds = per_second(&samples);
        let counts: Vec<(u64, usize, usize, usize)> = seconds
            .iter()
            .map(|s| (s.at_s, s.requests, s.throttled, s.server_errors))
            .collect();
        assert_eq!(counts, [(2, 2, 1, 0), (3, 0, 0, 0), (4, 3, 0, 1)]);
    }
}
