//! The report page's section for a scenario with APIs: a bar chart of
//! 429s and 5xx answers per second, then per API a table of answers by
//! request of the mix and status, with the stage cache's hit rate.
//! `report_api.rs` builds the figures; this module only draws them.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::escape::esc;
use super::report::Report;
use super::report_api::{ApiFigures, Second};

const THROTTLED: &str = "#ff7f0e";
const SERVER_ERROR: &str = "#d62728";
const WIDTH: f64 = 1100.0;
const HEIGHT: f64 = 160.0;
const LEFT: f64 = 50.0;
const BOTTOM: f64 = 24.0;

/// The section (empty without API requests).
pub fn html(report: &Report) -> String {
    if report.apis.is_empty() {
        return String::new();
    }
    let mut t = String::from("<h2>API answers</h2>\n");
    t.push_str(&chart(&report.per_second));
    for api in &report.apis {
        t.push_str(&table(api));
    }
    t
}

/// 429s and 5xx per second, side by side.
fn chart(seconds: &[Second]) -> String {
    let top = seconds
        .iter()
        .map(|s| s.throttled.max(s.server_errors))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = (WIDTH - LEFT - 10.0) / seconds.len().max(1) as f64;
    let bar = (slot / 2.0 - 1.0).max(1.0);
    let y = |n: usize| HEIGHT - BOTTOM - (n as f64 / top) * (HEIGHT - BOTTOM - 10.0);
    let mut s = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' font-family='sans-serif' font-size='11'>\n\
         <text x='{LEFT}' y='10'><tspan fill='{THROTTLED}'>&#9632; 429s</tspan> <tspan fill='{SERVER_ERROR}'>&#9632; 5xx</tspan> per second (max {top})</text>\n"
    );
    for (i, sec) in seconds.iter().enumerate() {
        let x = LEFT + i as f64 * slot;
        for (n, colour, dx) in [
            (sec.throttled, THROTTLED, 0.0),
            (sec.server_errors, SERVER_ERROR, bar + 1.0),
        ] {
            let _ = writeln!(
                s,
                "<rect x='{:.1}' y='{:.1}' width='{bar:.1}' height='{:.1}' fill='{colour}'><title>{} s: {n}</title></rect>",
                x + dx,
                y(n),
                HEIGHT - BOTTOM - y(n),
                sec.at_s
            );
        }
        if i % 5 == 0 {
            let _ = writeln!(
                s,
                "<text x='{x:.1}' y='{:.1}'>{} s</text>",
                HEIGHT - 8.0,
                sec.at_s
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// One API's answers by request and status.
fn table(api: &ApiFigures) -> String {
    let statuses: BTreeSet<u16> = api.statuses.keys().copied().collect();
    let cache = api.cache_hit_rate.map_or("not asked".to_string(), |r| {
        format!(
            "{:.1} % hits ({} hits, {} misses)",
            r * 100.0,
            api.cache_hits,
            api.cache_misses
        )
    });
    let mut t = format!(
        "<h3>{}: {} requests, {} unanswered; stage cache {}</h3>\n<table><tr><th class='l'>request</th>",
        esc(&api.api),
        api.requests,
        api.unanswered,
        esc(&cache)
    );
    for s in &statuses {
        let _ = write!(t, "<th>{s}</th>");
    }
    t.push_str("<th class='l'>gateway responses</th></tr>\n");
    for (request, by_status) in &api.by_request {
        let _ = write!(t, "<tr><td class='l'>{}</td>", esc(request));
        for s in &statuses {
            let _ = write!(t, "<td>{}</td>", by_status.get(s).copied().unwrap_or(0));
        }
        let kinds: Vec<String> = api
            .error_types
            .get(request)
            .into_iter()
            .flatten()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect();
        let _ = writeln!(t, "<td class='l'>{}</td></tr>", esc(&kinds.join(", ")));
    }
    t.push_str("</table>\n");
    t
}
