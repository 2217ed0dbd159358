//! `trading journal report`: one self-contained HTML page (inline CSS and SVG, no script,
//! nothing fetched when it is opened) with the orders over time, the caps' use against the
//! caps, the outcomes by kind and the latency percentiles, from a journal and optionally a
//! metrics scrape.
//!
//! Money stays decimal until it becomes a pixel: `f64` appears only as SVG coordinates.

// Pixel geometry, not money: the amounts are decimals until they are placed on the page.
#![allow(
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::config::{Caps, Venue};
use crate::safety::journal::{Entry, Phase, WriteOutcome};

const WIDTH: f64 = 880.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 20.0;

/// Text made safe for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The outcome of each write: its result's, a refusal's `not_sent`, or `None` (no result).
fn outcomes(entries: &[Entry]) -> BTreeMap<&str, Option<WriteOutcome>> {
    let mut outcomes = BTreeMap::new();
    for entry in entries {
        match entry.phase {
            Phase::Intent => {
                outcomes.entry(entry.id.as_str()).or_insert(None);
            }
            Phase::Result | Phase::Refusal => {
                outcomes.insert(entry.id.as_str(), entry.outcome);
            }
        }
    }
    outcomes
}

fn outcome_name(outcome: Option<WriteOutcome>) -> &'static str {
    match outcome {
        Some(WriteOutcome::Accepted) => "accepted",
        Some(WriteOutcome::Rejected) => "rejected",
        Some(WriteOutcome::Unknown) => "unknown",
        Some(WriteOutcome::NotSent) => "refused",
        None => "no result",
    }
}

fn colour(outcome: &str) -> &'static str {
    match outcome {
        "accepted" => "#2e7d32",
        "rejected" => "#ef6c00",
        "unknown" | "no result" => "#c62828",
        _ => "#757575",
    }
}

/// The time axis: `ts` as an x coordinate between the first and last row.
struct Axis {
    from: DateTime<Utc>,
    span_ms: f64,
}

impl Axis {
    fn of(entries: &[Entry]) -> Self {
        let from = entries.first().map_or_else(Utc::now, |e| e.ts);
        let to = entries.last().map_or(from, |e| e.ts);
        Self {
            from,
            span_ms: ((to - from).num_milliseconds().max(1)) as f64,
        }
    }

    fn x(&self, ts: DateTime<Utc>) -> f64 {
        LEFT + (ts - self.from).num_milliseconds() as f64 / self.span_ms * (WIDTH - LEFT - RIGHT)
    }

    fn labels(&self, y: f64, out: &mut String) {
        let to = self.from + Duration::milliseconds(self.span_ms as i64);
        for (ts, anchor) in [(self.from, "start"), (to, "end")] {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{y}" text-anchor="{anchor}" class="axis">{}</text>"#,
                self.x(ts),
                ts.format("%Y-%m-%d %H:%M:%S UTC")
            );
        }
    }
}

/// Every order attempt as a dot on its venue's lane, coloured by outcome.
fn timeline(entries: &[Entry], axis: &Axis) -> String {
    let outcomes = outcomes(entries);
    let mut svg =
        format!(r#"<svg viewBox="0 0 {WIDTH} 130" role="img" aria-label="orders over time">"#);
    for (lane, venue) in [Venue::Backpack, Venue::Ibkr].into_iter().enumerate() {
        let y = 30.0 + lane as f64 * 45.0;
        let _ = write!(
            svg,
            r#"<text x="8" y="{:.1}" class="lane">{}</text><line x1="{LEFT}" x2="{:.1}" y1="{y}" y2="{y}" class="grid"/>"#,
            y + 4.0,
            venue.as_str(),
            WIDTH - RIGHT
        );
        for entry in entries
            .iter()
            .filter(|e| e.venue == venue && e.phase != Phase::Result)
        {
            let outcome = outcome_name(outcomes.get(entry.id.as_str()).copied().flatten());
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{y}" r="6" fill="{}"><title>{} {} {} {}: {}</title></circle>"#,
                axis.x(entry.ts),
                colour(outcome),
                entry.ts.format("%H:%M:%S%.3f"),
                escape(&entry.tool),
                escape(entry.symbol.as_deref().unwrap_or("")),
                escape(entry.exposure.as_deref().unwrap_or("")),
                outcome
            );
        }
    }
    axis.labels(122.0, &mut svg);
    svg.push_str("</svg>");
    svg
}

/// What the orders sent (or maybe sent) in the 24 hours before each order could execute
/// for, per venue and mode, as the caps count it.
fn usage_steps(entries: &[Entry], venue: Venue) -> Vec<(DateTime<Utc>, Decimal)> {
    let outcomes = outcomes(entries);
    let mut counted: Vec<(DateTime<Utc>, Decimal)> = entries
        .iter()
        .filter(|e| e.venue == venue && e.phase == Phase::Intent)
        .filter(|e| {
            !matches!(
                outcomes.get(e.id.as_str()).copied().flatten(),
                Some(WriteOutcome::Rejected | WriteOutcome::NotSent)
            )
        })
        .filter_map(|e| Some((e.ts, e.exposure.as_deref()?.parse::<Decimal>().ok()?)))
        .collect();
    // One pass over the orders by time: what enters the window is added, what leaves it
    // (24 hours older) is taken out.
    counted.sort_by_key(|(ts, _)| *ts);
    let mut steps = Vec::with_capacity(counted.len());
    let (mut used, mut oldest) = (Decimal::ZERO, 0);
    for (ts, value) in &counted {
        used = used.saturating_add(*value);
        while let Some((old, value)) = counted.get(oldest)
            && *old <= *ts - Duration::hours(24)
        {
            used = used.saturating_sub(*value);
            oldest += 1;
        }
        steps.push((*ts, used));
    }
    steps
}

/// The rolling day's use of the daily cap, as a step line under the cap.
fn cap_chart(entries: &[Entry], axis: &Axis, venue: Venue, caps: &Caps) -> String {
    let steps = usage_steps(entries, venue);
    let peak = steps.iter().map(|(_, v)| *v).max().unwrap_or_default();
    let top = caps
        .max_daily_notional
        .map_or(peak, |cap| cap.max(peak))
        .max(Decimal::ONE);
    let y = |value: Decimal| 150.0 - (value / top).to_f64().unwrap_or(0.0) * 130.0;
    let mut svg = format!(
        r#"<svg viewBox="0 0 {WIDTH} 180" role="img" aria-label="{} cap usage">"#,
        venue.as_str()
    );
    let _ = write!(
        svg,
        r#"<line x1="{LEFT}" x2="{:.1}" y1="150" y2="150" class="grid"/><text x="8" y="154" class="axis">0</text>"#,
        WIDTH - RIGHT
    );
    if let Some(cap) = caps.max_daily_notional {
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" class="cap"/><text x="{LEFT}" y="{:.1}" class="axis">daily cap {} {}</text>"#,
            WIDTH - RIGHT,
            y(cap),
            y(cap),
            y(cap) - 6.0,
            cap.normalize(),
            escape(&caps.currency)
        );
    }
    if !steps.is_empty() {
        let mut path = format!("M {LEFT} 150");
        for (ts, used) in &steps {
            let _ = write!(path, " H {:.1} V {:.1}", axis.x(*ts), y(*used));
        }
        let _ = write!(path, " H {:.1}", WIDTH - RIGHT);
        let _ = write!(svg, r#"<path d="{path}" class="used"/>"#);
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="axis">peak {} {}</text>"#,
            WIDTH - RIGHT,
            y(peak) - 6.0,
            peak.normalize(),
            escape(&caps.currency)
        );
    }
    axis.labels(172.0, &mut svg);
    svg.push_str("</svg>");
    svg
}

/// Tool × outcome counts as horizontal stacked bars.
fn outcome_bars(entries: &[Entry]) -> String {
    let outcomes = outcomes(entries);
    let mut by_tool: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.phase != Phase::Result) {
        let outcome = outcome_name(outcomes.get(entry.id.as_str()).copied().flatten());
        *by_tool
            .entry(entry.tool.as_str())
            .or_default()
            .entry(outcome)
            .or_default() += 1;
    }
    let most = by_tool
        .values()
        .map(|o| o.values().sum::<usize>())
        .max()
        .unwrap_or(1)
        .max(1);
    let height = 30 + by_tool.len() * 28;
    let mut svg =
        format!(r#"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="outcomes by kind">"#);
    for (row, (tool, counts)) in by_tool.iter().enumerate() {
        let y = 10.0 + row as f64 * 28.0;
        let _ = write!(
            svg,
            r#"<text x="8" y="{:.1}" class="lane">{}</text>"#,
            y + 14.0,
            escape(tool)
        );
        let mut x = 230.0;
        for (outcome, count) in counts {
            let width = *count as f64 / most as f64 * (WIDTH - 230.0 - RIGHT - 60.0);
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{width:.1}" height="20" fill="{}"><title>{outcome}: {count}</title></rect>"#,
                colour(outcome)
            );
            x += width;
        }
        let total: usize = counts.values().sum();
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" class="axis">{total}</text>"#,
            x + 6.0,
            y + 14.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// `p`-th percentile of sorted `values`.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let index = (sorted.len() * p).div_ceil(100).saturating_sub(1);
    sorted.get(index.min(sorted.len() - 1)).copied()
}

/// Intent to result per venue: how long the venue took to answer each order, from the journal.
fn journal_latency(entries: &[Entry]) -> String {
    let intents: BTreeMap<&str, &Entry> = entries
        .iter()
        .filter(|e| e.phase == Phase::Intent)
        .map(|e| (e.id.as_str(), e))
        .collect();
    let mut by_venue: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for result in entries.iter().filter(|e| e.phase == Phase::Result) {
        if let Some(intent) = intents.get(result.id.as_str()) {
            by_venue
                .entry(result.venue.as_str())
                .or_default()
                .push((result.ts - intent.ts).num_milliseconds());
        }
    }
    let mut rows = String::new();
    for (venue, mut times) in by_venue {
        times.sort_unstable();
        let cell = |p| percentile(&times, p).map_or("–".into(), |v| format!("{v} ms"));
        let _ = write!(
            rows,
            "<tr><td>{venue}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            times.len(),
            cell(50),
            cell(90),
            cell(99),
            cell(100)
        );
    }
    rows
}

/// Percentiles of the venue request histograms in a metrics scrape, from their buckets
/// (each is the bucket's upper bound: an upper estimate).
fn scrape_latency(scrape: &str) -> Result<String, String> {
    let lines = scrape.lines().map(|l| Ok(l.to_owned()));
    let parsed = prometheus_parse::Scrape::parse(lines)
        .map_err(|e| format!("the metrics scrape cannot be read: {e}"))?;
    let mut samples: Vec<&prometheus_parse::Sample> = parsed
        .samples
        .iter()
        .filter(|s| s.metric == "trading_venue_request_duration_seconds")
        .collect();
    samples.sort_by_key(|s| (s.labels.get("venue"), s.labels.get("endpoint")));
    let mut rows = String::new();
    for sample in samples {
        let prometheus_parse::Value::Histogram(buckets) = &sample.value else {
            continue;
        };
        let total = buckets.last().map_or(0.0, |b| b.count);
        let at = |p: f64| {
            buckets
                .iter()
                .find(|b| b.count >= total * p)
                .map_or("–".into(), |b| {
                    if b.less_than.is_finite() {
                        format!("≤ {:.2} ms", b.less_than * 1000.0)
                    } else {
                        "> last bucket".into()
                    }
                })
        };
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{total}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(sample.labels.get("venue").unwrap_or("")),
            escape(sample.labels.get("endpoint").unwrap_or("")),
            at(0.5),
            at(0.9),
            at(0.99)
        );
    }
    Ok(rows)
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:920px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}svg{width:100%;height:auto;background:#fafafa;border:1px solid #ddd}
.axis{font-size:11px;fill:#555}.lane{font-size:12px;fill:#222}.grid{stroke:#ccc}.cap{stroke:#c62828;stroke-dasharray:6 4}
.used{fill:none;stroke:#1565c0;stroke-width:2}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 10px;text-align:left}
.key span{display:inline-block;margin-right:14px}.key i{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:4px}";

/// The report page for `entries` (a journal's rows, oldest first) under `caps` per venue,
/// with the venue latencies of `scrape` (a `/metrics` answer) when given.
///
/// # Errors
/// A scrape that cannot be read.
pub fn report_page(
    journal: &str,
    entries: &[Entry],
    caps: &[(Venue, &Caps)],
    scrape: Option<&str>,
) -> Result<String, String> {
    let axis = Axis::of(entries);
    let attempts = entries.iter().filter(|e| e.phase != Phase::Result).count();
    let mut page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Trading journal report</title><style>{STYLE}</style></head><body>\
         <h1>Trading journal report</h1><p>{} · {attempts} order attempts and cancels · generated {}</p>",
        escape(journal),
        Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    page.push_str("<h2>Orders over time</h2><p class=\"key\">");
    for outcome in ["accepted", "rejected", "unknown", "no result", "refused"] {
        let _ = write!(
            page,
            r#"<span><i style="background:{}"></i>{outcome}</span>"#,
            colour(outcome)
        );
    }
    page.push_str("</p>");
    page.push_str(&timeline(entries, &axis));
    for (venue, venue_caps) in caps {
        let _ = write!(
            page,
            "<h2>{} cap usage (rolling 24 h, what the orders can execute for)</h2>",
            venue.as_str()
        );
        page.push_str(&cap_chart(entries, &axis, *venue, venue_caps));
        if let Some(cap) = venue_caps.max_order_notional {
            let _ = write!(
                page,
                "<p>Per-order cap: {} {}.</p>",
                cap.normalize(),
                escape(&venue_caps.currency)
            );
        }
    }
    page.push_str("<h2>Outcomes by kind</h2>");
    page.push_str(&outcome_bars(entries));
    page.push_str(
        "<h2>Latency</h2><p>Order intent to the venue's answer, from the journal:</p>\
         <table><tr><th>venue</th><th>orders</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>",
    );
    page.push_str(&journal_latency(entries));
    page.push_str("</table>");
    if let Some(scrape) = scrape {
        page.push_str(
            "<p>Venue requests, from the metrics scrape:</p><table><tr><th>venue</th><th>endpoint</th><th>requests</th><th>p50</th><th>p90</th><th>p99</th></tr>",
        );
        page.push_str(&scrape_latency(scrape)?);
        page.push_str("</table>");
    }
    page.push_str("</body></html>\n");
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, id: &str, phase: Phase, outcome: Option<WriteOutcome>) -> Entry {
        Entry {
            seq,
            ts: DateTime::from_timestamp_millis(1_780_000_000_000 + seq * 1_000)
                .unwrap_or_default(),
            id: id.into(),
            phase,
            venue: Venue::Backpack,
            mode: crate::config::Mode::Simulated,
            tool: "backpack_create_order".into(),
            session: None,
            symbol: Some("SOL_<USDC>".into()),
            request: None,
            exposure: (phase == Phase::Intent).then(|| "900".into()),
            currency: Some("USDC".into()),
            outcome,
            detail: None,
            fill: None,
        }
    }

    #[test]
    fn the_page_is_self_contained_escaped_and_counts_what_the_caps_count() {
        let entries = [
            row(1, "a", Phase::Intent, None),
            row(2, "a", Phase::Result, Some(WriteOutcome::Accepted)),
            row(3, "b", Phase::Intent, None),
            row(4, "b", Phase::Result, Some(WriteOutcome::Rejected)),
            row(5, "c", Phase::Intent, None),
            row(6, "d", Phase::Refusal, Some(WriteOutcome::NotSent)),
        ];
        let mut caps = Caps::unlimited("USDC");
        caps.max_daily_notional = Some(Decimal::from(5_000));
        let page =
            report_page("j<1>", &entries, &[(Venue::Backpack, &caps)], None).unwrap_or_default();
        for outside in ["src=", "href=", "url(", "@import", "<script"] {
            assert!(!page.contains(outside), "{outside}");
        }
        assert!(page.contains("j&lt;1&gt;") && !page.contains("SOL_<USDC>"));
        // The accepted order and the one with no result count; rejected and refused do not.
        assert!(page.contains("peak 1800 USDC"), "{page}");
        assert!(page.contains("daily cap 5000 USDC"));
        let steps = usage_steps(&entries, Venue::Backpack);
        assert_eq!(steps.len(), 2);
        // 25 hours later both have left the window.
        let mut later = row(90_000, "e", Phase::Intent, None);
        later.exposure = Some("50".into());
        let with_later: Vec<Entry> = entries.iter().cloned().chain([later]).collect();
        let steps = usage_steps(&with_later, Venue::Backpack);
        let used: Vec<String> = steps.iter().map(|(_, v)| v.to_string()).collect();
        assert_eq!(used, ["900", "1800", "50"]);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50), Some(50));
        assert_eq!(percentile(&values, 99), Some(99));
        assert_eq!(percentile(&values, 100), Some(100));
        assert_eq!(percentile(&[], 50), None);
    }
}
