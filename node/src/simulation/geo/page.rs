//! The simulation report as a page a reader opens (`report.html`) and the
//! chart it embeds (`chart.svg`): the headline figures first (failover
//! time, failed requests, propagation, rate-limit overshoot, invariants),
//! then one panel per client population sharing a time axis in seconds:
//! latency of each request on a log axis in ms (ticks per decade), 429s and
//! failures marked apart, a band showing which region served it over time,
//! and the timeline's events as lines labelled in rows that do not overlap;
//! then, with APIs, their answers (`page_api.rs`); then the phase tables
//! as HTML tables. `report.rs` builds the figures;
//! this module only draws them.

use std::fmt::Write as _;

use super::escape::esc;
use super::record::{Outcome, Sample};
use super::report::{describe, Report};
use super::scenario::Scenario;

/// Client series colours (none red or orange: those mark failures and 429s).
const CLIENT_COLOURS: [&str; 6] = [
    "#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2",
];
/// Region band colours.
const REGION_COLOURS: [&str; 6] = [
    "#66c2a5", "#8da0cb", "#ffd92f", "#a6d854", "#e5c494", "#b3b3b3",
];
const FAILED: &str = "#d62728";
const LIMITED: &str = "#ff7f0e";

/// Geometry of the chart, in SVG pixels.
const WIDTH: f64 = 1100.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 30.0;
const PANEL_H: f64 = 150.0;
const FAIL_STRIP: f64 = 22.0;
const BAND_H: f64 = 16.0;
const PANEL_GAP: f64 = 34.0;
const LABEL_ROW: f64 = 14.0;
const AXIS_H: f64 = 58.0;
/// Width of one character of the 11 px labels, a little generous.
const CHAR_W: f64 = 6.4;

/// The whole page: title, headline figures, chart, tables.
pub fn html(report: &Report, samples: &[Sample], scenario: &Scenario, name: &str) -> String {
    let mut p = String::new();
    let title = format!("apigw sim {name} (seed {})", report.seed);
    let _ = write!(
        p,
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>{t}</title>\n<style>{STYLE}</style></head>\n<body>\n<h1>{t}</h1>\n<p class='sub'>{:.1} s simulated, {} regions, {} client populations</p>\n",
        report.simulated_s,
        scenario.regions.len(),
        scenario.clients.len(),
        t = esc(&title)
    );
    p.push_str(&headline(report));
    p.push_str("<h2>Requests over time</h2>\n");
    p.push_str(&svg(report, samples, scenario));
    p.push_str(&super::page_api::html(report));
    p.push_str(&tables(report));
    p.push_str("</body></html>\n");
    p
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222;max-width:1150px}\
h1{font-size:22px;margin:0}.sub{color:#666;margin:4px 0 16px}\
.figures{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:16px}\
.figure{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:150px}\
.figure .v{font-size:22px;font-weight:bold}.figure .k{color:#555;font-size:13px}\
.figure.bad{border-color:#d62728;background:#fdecec}.figure.good{border-color:#2ca02c;background:#eef8ee}\
table{border-collapse:collapse;margin:6px 0 18px;font-size:13px}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}\
td.l,th.l{text-align:left}h3{font-size:15px;margin:14px 0 2px}";

/// The headline figures as boxes at the top of the page.
fn headline(report: &Report) -> String {
    let mut boxes: Vec<(String, String, &str)> = Vec::new();
    let failover = report.failovers.iter().map(|f| f.failover_ms).max();
    let failover_text = match failover {
        None => "none".to_string(),
        Some(None) => "never".to_string(),
        Some(Some(ms)) => format!("{ms} ms"),
    };
    boxes.push((failover_text, "failover time (longest)".into(), ""));
    let failed: usize = report
        .phases
        .iter()
        .flat_map(|p| &p.clients)
        .map(|c| c.requests - c.answered)
        .sum();
    let class = if failed == 0 { "good" } else { "bad" };
    boxes.push((failed.to_string(), "failed requests".into(), class));
    let propagation = match report.propagation.iter().map(|p| p.all_applied_ms).max() {
        None => "none".to_string(),
        Some(None) => "incomplete".to_string(),
        Some(Some(ms)) => format!("{ms} ms"),
    };
    boxes.push((propagation, "config propagation (slowest)".into(), ""));
    if let Some(limit) = report.rate_limit {
        boxes.push((
            format!("{}", report.overshoot),
            format!(
                "rate-limit overshoot ({} admitted, limit {limit})",
                report.admitted
            ),
            "",
        ));
    }
    let (text, class) = if report.violations.is_empty() {
        ("all held".to_string(), "good")
    } else {
        (format!("{} violated", report.violations.len()), "bad")
    };
    boxes.push((text, "invariants".into(), class));
    let mut h = String::from("<div class='figures'>\n");
    for (value, key, class) in boxes {
        let _ = writeln!(
            h,
            "<div class='figure {class}'><div class='v'>{}</div><div class='k'>{}</div></div>",
            esc(&value),
            esc(&key)
        );
    }
    h.push_str("</div>\n");
    h
}

/// Maps simulated milliseconds to x.
struct TimeAxis {
    end_ms: f64,
}

impl TimeAxis {
    fn x(&self, ms: f64) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * (ms / self.end_ms).clamp(0.0, 1.0)
    }

    /// Tick positions in seconds: a 1/2/5 step giving about ten ticks.
    fn ticks(&self) -> Vec<f64> {
        let span_s = self.end_ms / 1000.0;
        let step = [1.0, 2.0, 5.0]
            .iter()
            .flat_map(|m| (-2..5).map(move |e| m * 10f64.powi(e)))
            .filter(|step| span_s / step <= 12.0)
            .fold(f64::INFINITY, f64::min);
        let count = (span_s / step).floor() as usize;
        (0..=count).map(|i| i as f64 * step).collect()
    }
}

/// Maps a latency in microseconds to y on a log scale inside one panel.
struct LatencyAxis {
    /// Decades shown: 10^lo .. 10^hi microseconds.
    lo: i32,
    hi: i32,
}

impl LatencyAxis {
    fn new(samples: &[Sample]) -> LatencyAxis {
        let answered = samples.iter().filter(|s| s.outcome.region().is_some());
        let (min, max) = answered.fold((u64::MAX, 0), |(lo, hi), s| {
            (lo.min(s.latency_us), hi.max(s.latency_us))
        });
        let lo = (min.max(100) as f64).log10().floor() as i32;
        let hi = (max.max(1000) as f64).log10().ceil() as i32;
        LatencyAxis {
            lo: lo.min(hi - 1),
            hi,
        }
    }

    /// y within a panel whose plot area starts at `top`.
    fn y(&self, top: f64, us: u64) -> f64 {
        let v = (us.max(1) as f64)
            .log10()
            .clamp(self.lo as f64, self.hi as f64);
        top + PANEL_H * (1.0 - (v - self.lo as f64) / (self.hi - self.lo) as f64)
    }
}

/// A decade's label in ms: 0.1, 1, 10, 100, 1000...
fn ms_label(decade: i32) -> String {
    let ms = 10f64.powi(decade) / 1000.0;
    if ms < 1.0 {
        format!("{ms}")
    } else {
        format!("{ms:.0}")
    }
}

/// The chart: event labels, one panel per client, the time axis, a legend.
pub fn svg(report: &Report, samples: &[Sample], scenario: &Scenario) -> String {
    let time = TimeAxis {
        end_ms: (report.simulated_s * 1000.0).max(1.0),
    };
    let latency = LatencyAxis::new(samples);
    let events = event_labels(scenario, &time);
    let rows = events.iter().map(|e| e.row + 1).max().unwrap_or(0);
    let top = 10.0 + rows as f64 * LABEL_ROW + 6.0;
    let panel_full = FAIL_STRIP + PANEL_H + 6.0 + BAND_H + PANEL_GAP;
    let panels_h = panel_full * scenario.clients.len() as f64;
    let height = top + panels_h + AXIS_H + 20.0;
    let mut s = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height:.0}' viewBox='0 0 {WIDTH} {height:.0}' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n"
    );
    let regions: Vec<&str> = scenario.regions.iter().map(|r| r.name.as_str()).collect();
    for (i, client) in scenario.clients.iter().enumerate() {
        let panel_top = top + i as f64 * panel_full;
        let mine: Vec<&Sample> = samples.iter().filter(|x| x.client == client.name).collect();
        let colour = CLIENT_COLOURS[i % CLIENT_COLOURS.len()];
        panel(
            &mut s,
            &client.name,
            colour,
            &mine,
            panel_top,
            &time,
            &latency,
        );
        region_band(
            &mut s,
            &mine,
            &regions,
            panel_top + FAIL_STRIP + PANEL_H + 6.0,
            &time,
        );
    }
    let axis_y = top + panels_h - PANEL_GAP + 8.0;
    event_lines(&mut s, &events, top, axis_y);
    time_axis(&mut s, &time, axis_y);
    legend(&mut s, &regions, axis_y + AXIS_H);
    s.push_str("</svg>\n");
    s
}

/// One event of the timeline placed on the chart.
struct EventLabel {
    x: f64,
    text: String,
    row: usize,
}

/// Places each event's label in the first row where it overlaps no other
/// label (greedy, in time order), so labels stay whole and readable.
fn event_labels(scenario: &Scenario, time: &TimeAxis) -> Vec<EventLabel> {
    let mut events: Vec<_> = scenario.timeline.iter().collect();
    events.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    let mut row_ends: Vec<f64> = Vec::new();
    let mut labels = Vec::new();
    for e in events {
        let x = time.x(e.at_s * 1000.0);
        let text = format!("{:.0} s: {}", e.at_s, describe(&e.action));
        let width = text.len() as f64 * CHAR_W;
        // Labels start at their line; one too near the right edge ends there.
        let start = if x + width > WIDTH - 4.0 {
            x - width
        } else {
            x
        };
        let row = match row_ends.iter().position(|end| start > end + 8.0) {
            Some(row) => row,
            None => {
                row_ends.push(f64::NEG_INFINITY);
                row_ends.len() - 1
            }
        };
        row_ends[row] = start + width;
        labels.push(EventLabel { x, text, row });
    }
    labels
}

/// The vertical event lines through every panel and their labels above.
fn event_lines(s: &mut String, events: &[EventLabel], top: f64, bottom: f64) {
    for e in events {
        let label_y = 10.0 + (e.row as f64 + 1.0) * LABEL_ROW - 3.0;
        let anchor = if e.x + e.text.len() as f64 * CHAR_W > WIDTH - 4.0 {
            "end"
        } else {
            "start"
        };
        let _ = writeln!(
            s,
            "<line class='event' x1='{x:.1}' y1='{:.1}' x2='{x:.1}' y2='{bottom:.1}' stroke='#555' stroke-dasharray='4 3'/>\n<text class='event-label' x='{:.1}' y='{label_y:.1}' text-anchor='{anchor}' fill='#333'>{}</text>",
            label_y + 3.0,
            if anchor == "start" { e.x + 3.0 } else { e.x - 3.0 },
            esc(&e.text),
            x = e.x,
        );
    }
    let _ = top;
}

/// One client's latency panel: log axis with decade ticks, answered
/// requests as dots, 429s as orange triangles, failures as red crosses in
/// the strip above the plot.
fn panel(
    s: &mut String,
    name: &str,
    colour: &str,
    mine: &[&Sample],
    top: f64,
    time: &TimeAxis,
    latency: &LatencyAxis,
) {
    let plot_top = top + FAIL_STRIP;
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let _ = writeln!(
        s,
        "<text x='{x0}' y='{:.1}' font-weight='bold' fill='{colour}'>{}</text><text x='{:.1}' y='{:.1}' fill='{FAILED}' text-anchor='end'>failed</text>",
        top - 4.0,
        esc(name),
        x0 - 6.0,
        top + FAIL_STRIP - 8.0
    );
    let _ = writeln!(
        s,
        "<rect x='{x0}' y='{plot_top:.1}' width='{:.1}' height='{PANEL_H}' fill='none' stroke='#999'/>",
        x1 - x0
    );
    for decade in latency.lo..=latency.hi {
        let y = latency.y(plot_top, 10u64.pow(decade.max(0) as u32));
        let _ = writeln!(
            s,
            "<line x1='{x0}' y1='{y:.1}' x2='{x1}' y2='{y:.1}' stroke='#e3e3e3'/><line x1='{:.1}' y1='{y:.1}' x2='{x0}' y2='{y:.1}' stroke='#333'/><text class='latency-tick' x='{:.1}' y='{:.1}' text-anchor='end'>{}</text>",
            x0 - 4.0,
            x0 - 6.0,
            y + 4.0,
            ms_label(decade)
        );
    }
    let _ = writeln!(
        s,
        "<text class='axis-title' transform='translate({:.1} {:.1}) rotate(-90)' text-anchor='middle'>latency (ms, log)</text>",
        x0 - 48.0,
        plot_top + PANEL_H / 2.0
    );
    for smp in mine {
        let x = time.x(smp.at_ms as f64);
        match smp.outcome {
            Outcome::Ok { .. } => {
                let y = latency.y(plot_top, smp.latency_us);
                let _ = writeln!(s, "<circle cx='{x:.1}' cy='{y:.1}' r='2' fill='{colour}'/>");
            }
            Outcome::Limited { .. } => {
                let y = latency.y(plot_top, smp.latency_us);
                let _ = writeln!(
                    s,
                    "<path class='limited' d='M{x:.1} {:.1}l3 5h-6z' fill='none' stroke='{LIMITED}'/>",
                    y - 3.0
                );
            }
            Outcome::Failed | Outcome::NoRegion => {
                let y = top + FAIL_STRIP - 11.0;
                let _ = writeln!(
                    s,
                    "<path class='failed' d='M{:.1} {:.1}l6 6m0 -6l-6 6' stroke='{FAILED}' stroke-width='1.5'/>",
                    x - 3.0,
                    y - 3.0
                );
            }
        }
    }
}

/// A band under a client's panel: which region answered it over time
/// (each stretch from one request to the next), red where nothing did.
fn region_band(s: &mut String, mine: &[&Sample], regions: &[&str], y: f64, time: &TimeAxis) {
    let mut stretches: Vec<(Option<&str>, u64, u64)> = Vec::new();
    for (i, smp) in mine.iter().enumerate() {
        let end = mine.get(i + 1).map_or(smp.at_ms + 1, |n| n.at_ms);
        let region = smp.outcome.region();
        match stretches.last_mut() {
            Some(last) if last.0 == region => last.2 = end,
            _ => stretches.push((region, smp.at_ms, end)),
        }
    }
    for (region, from, to) in stretches {
        let (x0, x1) = (time.x(from as f64), time.x(to as f64));
        let fill = match region {
            Some(r) => region_colour(regions, r),
            None => FAILED,
        };
        let label = region.unwrap_or("none");
        let _ = writeln!(
            s,
            "<rect class='region' x='{x0:.1}' y='{y:.1}' width='{:.1}' height='{BAND_H}' fill='{fill}'><title>{} {:.1}-{:.1} s</title></rect>",
            (x1 - x0).max(0.5),
            esc(label),
            from as f64 / 1000.0,
            to as f64 / 1000.0
        );
        if x1 - x0 > label.len() as f64 * CHAR_W + 6.0 {
            let _ = writeln!(
                s,
                "<text x='{:.1}' y='{:.1}' fill='#222'>{}</text>",
                x0 + 3.0,
                y + BAND_H - 4.0,
                esc(label)
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x='{:.1}' y='{:.1}' text-anchor='end' fill='#555'>served by</text>",
        LEFT - 6.0,
        y + BAND_H - 4.0
    );
}

fn region_colour(regions: &[&str], region: &str) -> &'static str {
    let i = regions
        .iter()
        .position(|r| *r == region)
        .unwrap_or(regions.len());
    REGION_COLOURS[i % REGION_COLOURS.len()]
}

/// The shared time axis under the last panel, ticks in seconds.
fn time_axis(s: &mut String, time: &TimeAxis, y: f64) {
    let _ = writeln!(
        s,
        "<line x1='{LEFT}' y1='{y:.1}' x2='{:.1}' y2='{y:.1}' stroke='#333'/>",
        WIDTH - RIGHT
    );
    for t in time.ticks() {
        let x = time.x(t * 1000.0);
        let _ = writeln!(
            s,
            "<line x1='{x:.1}' y1='{y:.1}' x2='{x:.1}' y2='{:.1}' stroke='#333'/><text class='time-tick' x='{x:.1}' y='{:.1}' text-anchor='middle'>{t}</text>",
            y + 5.0,
            y + 17.0
        );
    }
    let _ = writeln!(
        s,
        "<text class='axis-title' x='{:.1}' y='{:.1}' text-anchor='middle'>time (s, simulated)</text>",
        (LEFT + WIDTH - RIGHT) / 2.0,
        y + 32.0
    );
}

/// What the marks and colours mean.
fn legend(s: &mut String, regions: &[&str], y: f64) {
    let mut x = LEFT;
    let _ = write!(
        s,
        "<circle cx='{:.1}' cy='{:.1}' r='3' fill='#555'/><text x='{:.1}' y='{:.1}'>answered (not 429)</text>",
        x + 3.0, y - 4.0, x + 10.0, y
    );
    x += 135.0;
    let _ = write!(
        s,
        "<path d='M{:.1} {:.1}l3 5h-6z' fill='none' stroke='{LIMITED}'/><text x='{:.1}' y='{:.1}'>throttled (429)</text>",
        x + 3.0, y - 8.0, x + 10.0, y
    );
    x += 110.0;
    let _ = write!(
        s,
        "<path d='M{:.1} {:.1}l6 6m0 -6l-6 6' stroke='{FAILED}' stroke-width='1.5'/><text x='{:.1}' y='{:.1}'>failed</text>",
        x, y - 8.0, x + 10.0, y
    );
    x += 70.0;
    for r in regions {
        let _ = write!(
            s,
            "<rect x='{x:.1}' y='{:.1}' width='12' height='10' fill='{}'/><text x='{:.1}' y='{y:.1}'>{}</text>",
            y - 9.0,
            region_colour(regions, r),
            x + 16.0,
            esc(r)
        );
        x += 30.0 + r.len() as f64 * CHAR_W;
    }
    s.push('\n');
}

/// The phase tables and the other figures as HTML tables.
fn tables(report: &Report) -> String {
    let mut t = String::from("<h2>Phases</h2>\n");
    for phase in &report.phases {
        let _ = writeln!(
            t,
            "<h3>{:.1} s to {:.1} s: {}</h3>\n<table class='phase'><tr><th class='l'>client</th><th>requests</th><th>answered</th><th>429s</th><th>p50 ms</th><th>p99 ms</th><th class='l'>regions (answers)</th></tr>",
            phase.from_s,
            phase.to_s,
            esc(&phase.name)
        );
        for c in &phase.clients {
            let regions: Vec<String> = c.regions.iter().map(|(r, n)| format!("{r}: {n}")).collect();
            let _ = writeln!(
                t,
                "<tr><td class='l'>{}</td><td>{}</td><td>{:.1} %</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td class='l'>{}</td></tr>",
                esc(&c.client),
                c.requests,
                c.success_ratio * 100.0,
                c.limited,
                c.p50_ms,
                c.p99_ms,
                esc(&regions.join(", "))
            );
        }
        t.push_str("</table>\n");
    }
    t.push_str(&failover_table(report));
    t.push_str(&propagation_table(report));
    t.push_str(&outcome_list(report));
    t
}

fn failover_table(report: &Report) -> String {
    if report.failovers.is_empty() {
        return String::new();
    }
    let mut t = String::from("<h2>Failovers</h2>\n<table class='failovers'><tr><th class='l'>client</th><th class='l'>from region</th><th>at s</th><th>failover ms</th><th>failed requests</th></tr>\n");
    for f in &report.failovers {
        let _ = writeln!(
            t,
            "<tr><td class='l'>{}</td><td class='l'>{}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.client),
            esc(&f.region),
            f.at_s,
            f.failover_ms.map_or("never".into(), |ms| ms.to_string()),
            f.failed_requests
        );
    }
    t.push_str("</table>\n");
    t
}

fn propagation_table(report: &Report) -> String {
    if report.propagation.is_empty() {
        return String::new();
    }
    let mut t = String::from("<h2>Config propagation</h2>\n<table class='propagation'><tr><th class='l'>deployment</th><th>at s</th><th>to every running node, ms</th><th class='l'>not applied on</th></tr>\n");
    for p in &report.propagation {
        let missing: Vec<String> = p.not_applied_on.iter().map(u64::to_string).collect();
        let _ = writeln!(
            t,
            "<tr><td class='l'>{}</td><td>{:.1}</td><td>{}</td><td class='l'>{}</td></tr>",
            esc(&p.deploy),
            p.at_s,
            p.all_applied_ms.map_or("never".into(), |ms| ms.to_string()),
            missing.join(", ")
        );
    }
    t.push_str("</table>\n");
    t
}

/// Leaders, notes and invariant violations.
fn outcome_list(report: &Report) -> String {
    let mut t = String::from("<h2>Invariants and leaders</h2>\n<ul>\n");
    if report.violations.is_empty() {
        t.push_str("<li>invariants: all held</li>\n");
    }
    for v in &report.violations {
        let _ = writeln!(t, "<li style='color:{FAILED}'>violated: {}</li>", esc(v));
    }
    let leaders: Vec<String> = report
        .leaders
        .iter()
        .map(|(term, node)| format!("term {term}: node {node}"))
        .collect();
    let _ = writeln!(t, "<li>Raft leaders: {}</li>", esc(&leaders.join("; ")));
    for n in &report.notes {
        let _ = writeln!(t, "<li>note: {}</li>", esc(n));
    }
    t.push_str("</ul>\n");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ticks_are_round_and_cover_the_run() {
        let ticks = TimeAxis { end_ms: 32_000.0 }.ticks();
        assert_eq!(ticks.first(), Some(&0.0));
        assert_eq!(ticks.last(), Some(&30.0));
        assert!(ticks.windows(2).all(|w| (w[1] - w[0] - 5.0).abs() < 1e-9));
    }

    #[test]
    fn latency_decades_span_the_samples() {
        let sample = |us| Sample {
            client: "c".into(),
            at_ms: 0,
            latency_us: us,
            outcome: Outcome::Ok { region: "r".into() },
            switched: false,
            api: None,
        };
        let axis = LatencyAxis::new(&[sample(4_000), sample(1_260_000)]);
        assert_eq!((axis.lo, axis.hi), (3, 7));
        assert_eq!(ms_label(2), "0.1");
        assert_eq!(ms_label(6), "1000");
    }
}
