//! Would it go the same way again? A replay reads a journal, rebuilds each order's intent
//! and runs the intents, in order, against a fresh simulator, then says per order whether
//! the outcome matches what was recorded.
//!
//! - Each venue's simulator is built as the journal recorded it (the same seed and speed, its
//!   clock started at the recorded start: the last start before the intent, since each server
//!   process starts its own), and its clock is moved to each intent's time before the intent
//!   runs, so the market is the one the order met: Backpack's price path, the IBKR gateway's
//!   price walk (a step a second of the clock). Journals with no recorded simulator (a real
//!   venue, an older journal) replay against a fresh simulator with the default seed started
//!   at the first order: their differences are the report.
//! - Accepted orders compare their status, executed quantity and average price (within the
//!   stated relative tolerance). IBKR's working statuses (PendingSubmit, PreSubmitted,
//!   Submitted) count as one: which one an answer catches is timing. IBKR sends fills right after the acknowledgement, and the
//!   answer may or may not hold them: an IBKR order also matches when the recorded fill is the
//!   order as the gateway has it a moment after the answer.
//! - Refusals by the server were never sent: they are listed, not replayed. An intent whose
//!   outcome was unknown (or has no result: the process stopped) matches whatever the
//!   simulator does, and the report says what that was.
//!
//! Order ids differ between the run and the replay: cancels are translated through the ids
//! the replayed orders got.

mod html;
mod markets;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

pub use html::report_page;

use crate::config::{Mode, Venue};
use crate::safety::journal::{Entry, Fill, Filter, Journal, Phase, WriteOutcome};

/// How a replay compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Relative tolerance on average prices: 0.0001 is one basis point.
    pub price_tolerance: Decimal,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            price_tolerance: Decimal::new(1, 4),
        }
    }
}

/// What one side (the run, or the replay) says happened to an order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Accepted, rejected, unknown, not sent; `None`: no result was recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<WriteOutcome>,
    /// What had executed when the venue answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fill: Option<Fill>,
    /// The venue's ids or its error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How one order compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The replay went the same way.
    Match,
    /// It did not: see the differences.
    Differs,
    /// It could not be replayed (see the note).
    NotReplayed,
    /// The server refused it: it was never sent, so there is nothing to replay.
    Refused,
}

impl Verdict {
    /// `match`, `differs`, `not_replayed`, `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::Differs => "differs",
            Verdict::NotReplayed => "not_replayed",
            Verdict::Refused => "refused",
        }
    }
}

/// One journaled write, recorded and replayed.
#[derive(Debug, Clone, Serialize)]
pub struct OrderReplay {
    /// The correlation id.
    pub id: String,
    /// When the intent (or refusal) was journaled.
    pub ts: DateTime<Utc>,
    /// The venue.
    pub venue: Venue,
    /// Its mode when recorded.
    pub mode: Mode,
    /// The tool.
    pub tool: String,
    /// The symbol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// What the order could execute for, in the cap currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure: Option<String>,
    /// What the journal recorded.
    pub recorded: Outcome,
    /// What the simulator did (absent when not replayed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<Outcome>,
    /// How they compare.
    pub verdict: Verdict,
    /// Each difference, in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
    /// Anything else worth knowing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A replay's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The journal replayed.
    pub journal: String,
    /// The relative price tolerance used.
    pub price_tolerance: String,
    /// Every write, in journal order.
    pub orders: Vec<OrderReplay>,
    /// How many matched.
    pub matched: usize,
    /// How many differ.
    pub differing: usize,
    /// How many could not be replayed.
    pub not_replayed: usize,
    /// How many the server refused (never sent).
    pub refused: usize,
    /// Every replayed write matched and none was left out.
    pub all_match: bool,
}

/// Replays `journal` (see the module docs).
///
/// # Errors
/// When the journal cannot be read. Orders that cannot be replayed or differ are the
/// report, not errors.
pub async fn replay(journal: &Journal, options: &Options) -> Result<Report, String> {
    let entries = journal.entries(&Filter::default())?;
    let starts = journal.simulators()?;
    let results: HashMap<&str, &Entry> = entries
        .iter()
        .filter(|e| e.phase == Phase::Result)
        .map(|e| (e.id.as_str(), e))
        .collect();
    let mut backpack = markets::BackpackReplay::new(&starts);
    let mut ibkr = markets::IbkrReplay::new(&starts);
    let mut orders = Vec::new();
    for entry in &entries {
        let recorded = match entry.phase {
            Phase::Result => continue,
            Phase::Refusal => Outcome {
                outcome: Some(WriteOutcome::NotSent),
                fill: None,
                detail: entry.detail.clone(),
            },
            Phase::Intent => results
                .get(entry.id.as_str())
                .map_or_else(Outcome::default, |r| Outcome {
                    outcome: r.outcome,
                    fill: r.fill.clone(),
                    detail: r.detail.clone(),
                }),
        };
        let mut order = OrderReplay {
            id: entry.id.clone(),
            ts: entry.ts,
            venue: entry.venue,
            mode: entry.mode,
            tool: entry.tool.clone(),
            symbol: entry.symbol.clone(),
            exposure: entry.exposure.clone(),
            recorded,
            replayed: None,
            verdict: Verdict::Refused,
            differences: Vec::new(),
            note: None,
        };
        if entry.phase == Phase::Intent {
            let ran = match entry.venue {
                Venue::Backpack => backpack.run(entry, &order.recorded).await,
                Venue::Ibkr => ibkr.run(entry, &order.recorded).await,
            };
            match ran {
                Ok((replayed, note, settled)) => {
                    let compared = compare_settled(&order.recorded, &replayed, settled, options);
                    order.verdict = compared.0;
                    order.differences = compared.1;
                    order.note = [note, compared.2]
                        .into_iter()
                        .flatten()
                        .reduce(|a, b| format!("{a}; {b}"));
                    order.replayed = Some(replayed);
                }
                Err(reason) => {
                    order.verdict = Verdict::NotReplayed;
                    order.note = Some(reason);
                }
            }
        }
        orders.push(order);
    }
    let count = |verdict: Verdict| orders.iter().filter(|o| o.verdict == verdict).count();
    let (matched, differing, not_replayed, refused) = (
        count(Verdict::Match),
        count(Verdict::Differs),
        count(Verdict::NotReplayed),
        count(Verdict::Refused),
    );
    Ok(Report {
        journal: journal.describe(),
        price_tolerance: format!(
            "{}%",
            (options.price_tolerance * Decimal::ONE_HUNDRED).normalize()
        ),
        all_match: differing == 0 && not_replayed == 0,
        orders,
        matched,
        differing,
        not_replayed,
        refused,
    })
}

fn words(outcome: Option<WriteOutcome>) -> &'static str {
    match outcome {
        Some(WriteOutcome::Accepted) => "accepted",
        Some(WriteOutcome::Rejected) => "rejected",
        Some(WriteOutcome::Unknown) => "unknown",
        Some(WriteOutcome::NotSent) => "not sent",
        None => "no result",
    }
}

/// [`compare`], and when that differs, `recorded` against the order a moment after the
/// answer (`settled`): the run may have recorded either.
fn compare_settled(
    recorded: &Outcome,
    replayed: &Outcome,
    settled: Option<Fill>,
    options: &Options,
) -> (Verdict, Vec<String>, Option<String>) {
    let compared = compare(recorded, replayed, options);
    let Some(settled) = settled else {
        return compared;
    };
    if compared.0 != Verdict::Differs || replayed.fill.as_ref() == Some(&settled) {
        return compared;
    }
    let later = Outcome {
        fill: Some(settled),
        ..replayed.clone()
    };
    match compare(recorded, &later, options) {
        (Verdict::Match, _, _) => (
            Verdict::Match,
            Vec::new(),
            Some("matched the order as the gateway had it a moment after the answer (fills sent after the acknowledgement)".into()),
        ),
        _ => compared,
    }
}

/// The verdict, the differences and a note.
fn compare(
    recorded: &Outcome,
    replayed: &Outcome,
    options: &Options,
) -> (Verdict, Vec<String>, Option<String>) {
    match (recorded.outcome, replayed.outcome) {
        (None | Some(WriteOutcome::Unknown), now) => (
            Verdict::Match,
            Vec::new(),
            Some(format!(
                "the recorded outcome was not known; the simulator: {}",
                words(now)
            )),
        ),
        (was, now) if was != now => (
            Verdict::Differs,
            vec![format!(
                "outcome: recorded {}, replayed {}",
                words(was),
                words(now)
            )],
            None,
        ),
        (Some(WriteOutcome::Accepted), _) => {
            let differences = fill_differences(
                recorded.fill.as_ref(),
                replayed.fill.as_ref(),
                options.price_tolerance,
            );
            let verdict = if differences.is_empty() {
                Verdict::Match
            } else {
                Verdict::Differs
            };
            (verdict, differences, None)
        }
        _ => (Verdict::Match, Vec::new(), None),
    }
}

/// IBKR's statuses of an order working with the gateway: which of them an answer catches is
/// a matter of timing (a bracket's entry is PreSubmitted until the set is transmitted, then
/// Submitted), so they count as one.
fn working(status: &str) -> bool {
    matches!(
        status,
        "PendingSubmit" | "PreSubmitted" | "Submitted" | "ApiPending"
    )
}

/// What differs between two fills: status, executed quantity, average price beyond the
/// relative `tolerance`. A missing recorded fill (an older journal) is not compared.
fn fill_differences(
    recorded: Option<&Fill>,
    replayed: Option<&Fill>,
    tolerance: Decimal,
) -> Vec<String> {
    let (Some(was), Some(now)) = (recorded, replayed) else {
        return Vec::new();
    };
    let mut differences = Vec::new();
    let same_status = if working(&was.status) {
        working(&now.status)
    } else {
        was.status == now.status
    };
    if !same_status {
        differences.push(format!(
            "status: recorded {}, replayed {}",
            was.status, now.status
        ));
    }
    let decimal = |text: &str| text.parse::<Decimal>().ok();
    if decimal(&was.filled) != decimal(&now.filled) {
        differences.push(format!(
            "executed quantity: recorded {}, replayed {}",
            was.filled, now.filled
        ));
    }
    let price = |fill: &Fill| fill.average_price.as_deref().and_then(decimal);
    match (price(was), price(now)) {
        (Some(a), Some(b)) => {
            let allowed = a.abs().checked_mul(tolerance).unwrap_or(Decimal::MAX);
            if a.checked_sub(b).is_none_or(|d| d.abs() > allowed) {
                differences.push(format!("average price: recorded {a}, replayed {b}"));
            }
        }
        (None, None) => {}
        (a, b) => differences.push(format!(
            "average price: recorded {}, replayed {}",
            a.map_or("none".into(), |p| p.to_string()),
            b.map_or("none".into(), |p| p.to_string())
        )),
    }
    differences
}

impl Report {
    /// The report as a table for a terminal.
    pub fn table(&self) -> String {
        let mut rows = vec![[
            "TIME".to_owned(),
            "VENUE".into(),
            "TOOL".into(),
            "SYMBOL".into(),
            "RECORDED".into(),
            "REPLAYED".into(),
            "VERDICT".into(),
            "WHY".into(),
        ]];
        for order in &self.orders {
            let side = |o: &Outcome| {
                let mut text = words(o.outcome).to_owned();
                if let Some(fill) = &o.fill {
                    text.push_str(&format!(" {} {}", fill.status, fill.filled));
                    if let Some(price) = &fill.average_price {
                        text.push_str(&format!(" @ {price}"));
                    }
                }
                text
            };
            let why = if order.differences.is_empty() {
                order.note.clone().unwrap_or_default()
            } else {
                order.differences.join("; ")
            };
            rows.push([
                order.ts.format("%H:%M:%S%.3f").to_string(),
                order.venue.as_str().into(),
                order.tool.clone(),
                order.symbol.clone().unwrap_or_default(),
                side(&order.recorded),
                order.replayed.as_ref().map_or_else(|| "-".into(), side),
                order.verdict.as_str().into(),
                why,
            ]);
        }
        let widths: Vec<usize> = (0..8)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for row in &rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out.push_str(&format!(
            "\n{} matched, {} differ, {} not replayed, {} refused by the server (never sent); price tolerance {}. {}\n",
            self.matched,
            self.differing,
            self.not_replayed,
            self.refused,
            self.price_tolerance,
            if self.all_match { "All match." } else { "NOT all match." }
        ));
        out
    }
}

#[cfg(test)]
mod tests;
