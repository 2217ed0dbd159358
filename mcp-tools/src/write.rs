//! The one path every write takes, in this order: the kill switch; the venue's write lock;
//! the caps (orders); the journal's intent line, flushed; the send; the journal's result
//! line; the caps' record of what may have reached the venue.

use std::future::Future;

use chrono::Utc;
use rust_decimal::Decimal;

use crate::config::Venue;
use crate::safety::journal::{Entry, Phase, WriteOutcome, correlation_id};
use crate::state::AppState;

/// What a write is about.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    /// The venue.
    pub venue: Venue,
    /// The tool name (journal).
    pub tool: &'static str,
    /// The symbol (allow-list).
    pub symbol: String,
    /// The order's value: `Some` for orders (checked against the caps), `None` for cancels.
    pub notional: Option<Decimal>,
    /// Whether the caps apply (orders) or not (cancels).
    pub capped: bool,
    /// What is asked, for the journal.
    pub request: serde_json::Value,
}

/// A write the venue did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    /// What is known of its effect.
    pub outcome: WriteOutcome,
    /// What to tell the model.
    pub message: String,
}

/// A completed write.
#[derive(Debug, Clone)]
pub struct Written<T> {
    /// The venue's answer.
    pub value: T,
    /// The journal's correlation id.
    pub correlation_id: String,
}

fn outcome_words(outcome: WriteOutcome) -> &'static str {
    match outcome {
        WriteOutcome::Accepted => "accepted",
        WriteOutcome::Rejected => "refused by the venue; nothing changed",
        WriteOutcome::Unknown => {
            "OUTCOME UNKNOWN: it may have reached the venue. Look it up before sending anything again"
        }
        WriteOutcome::NotSent => "not sent",
    }
}

/// Runs `send` under the rules (see the module docs). `send` returns the venue's answer and
/// a short detail for the journal (ids), or a failure.
///
/// # Errors
/// A message for the model saying whether anything was sent.
pub async fn write<T, F, Fut>(
    state: &AppState,
    request: WriteRequest,
    send: F,
) -> Result<Written<T>, String>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(T, String), WriteFailure>>,
{
    if state.kill_switch.engaged() {
        return Err(state.kill_switch.refusal());
    }
    let mode = state.config.venue(request.venue).mode;
    let mut lock = state.caps(request.venue).lock().await;
    let now = Utc::now();
    if request.capped
        && let Err(reason) = lock.check(&request.symbol, request.notional, now)
    {
        return Err(format!(
            "refused by the server's limits: {reason}. Nothing was sent"
        ));
    }
    let id = correlation_id();
    let intent = Entry {
        ts: now,
        id: id.clone(),
        venue: request.venue,
        mode,
        tool: request.tool.to_owned(),
        phase: Phase::Intent,
        request: Some(state.redactor.json(&request.request)),
        notional: request.notional,
        outcome: None,
        detail: None,
    };
    if let Err(error) = state.journal.append(&intent) {
        tracing::error!(%error, "journal write failed; refusing the write");
        return Err(format!(
            "refused: the journal {} cannot be written ({error}); nothing was sent",
            state.journal.path().display()
        ));
    }
    tracing::info!(id = %id, venue = request.venue.as_str(), tool = request.tool, "write sent");
    let result = send().await;
    let (outcome, detail) = match &result {
        Ok((_, detail)) => (WriteOutcome::Accepted, detail.clone()),
        Err(failure) => (failure.outcome, state.redactor.text(&failure.message)),
    };
    let finished = Entry {
        ts: Utc::now(),
        id: id.clone(),
        venue: request.venue,
        mode,
        tool: request.tool.to_owned(),
        phase: Phase::Result,
        request: None,
        notional: None,
        outcome: Some(outcome),
        detail: Some(detail.clone()),
    };
    if let Err(error) = state.journal.append(&finished) {
        tracing::error!(%error, id = %id, "journal result not written");
    }
    if request.capped && matches!(outcome, WriteOutcome::Accepted | WriteOutcome::Unknown) {
        lock.record(now, request.notional.unwrap_or(Decimal::ZERO));
    }
    tracing::info!(id = %id, outcome = ?outcome, "write finished");
    match result {
        Ok((value, _)) => Ok(Written {
            value,
            correlation_id: id,
        }),
        Err(failure) => Err(format!(
            "{}: {} (journal id {id})",
            outcome_words(failure.outcome),
            state.redactor.text(&failure.message)
        )),
    }
}
