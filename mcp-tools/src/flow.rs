//! The one write flow both venues share, so each rule is written and tested once.
//!
//! An order, in this order: `ORDERS_ENABLED`; the kill switch (early, so nobody is asked
//! about an order that cannot go); the journal is usable; the order's exposure, valued now
//! against the market; the confirmation (token of this session, and the person when the
//! client can be asked or the policy says so); then one journal transaction across
//! processes — the kill switch again, the caps against every process's orders, the intent
//! — the send, and the result. Every refusal is journaled with its reason.
//!
//! A cancel skips the kill switch and the caps (it only reduces risk) but keeps the symbol
//! allow-list and the journal.

use std::future::Future;
use std::sync::Arc;

use crate::safety::journal::utc;
use rmcp::RoleServer;
use rmcp::model::InputRequiredResult;
use rmcp::service::RequestContext;

use crate::config::{Mode, Venue};
use crate::confirm::{Answer, Confirmation, Pending, Policy, confirm, session_of};
use crate::error::{ErrorCode, ToolError};
use crate::safety::caps::{self, CapUsage, Valued};
use crate::safety::journal::{Attempt, Fill, Intent, Journal, Refusal, WriteOutcome};
use crate::state::AppState;

/// A write the venue did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    /// What is known of its effect.
    pub outcome: WriteOutcome,
    /// What to tell the model.
    pub message: String,
    /// The code the tool reports (from the outcome, refined by the venue's error).
    pub code: ErrorCode,
}

impl WriteFailure {
    /// A failure whose code follows from its outcome.
    pub fn new(outcome: WriteOutcome, message: impl Into<String>) -> Self {
        Self {
            outcome,
            message: message.into(),
            code: ErrorCode::of_outcome(outcome),
        }
    }

    /// The venue's own reason for a write that changed nothing (`not_found`,
    /// `rate_limited`, `invalid_input`, ...). A write that may have had an effect keeps its
    /// code: an unknown outcome is never reported as anything else.
    #[must_use]
    pub fn refined(mut self, code: ErrorCode) -> Self {
        let nothing_happened =
            matches!(self.outcome, WriteOutcome::Rejected | WriteOutcome::NotSent);
        if nothing_happened && code.nothing_sent() && code != ErrorCode::Internal {
            self.code = code;
        }
        self
    }
}

/// A completed write.
#[derive(Debug, Clone)]
pub struct Written<T> {
    /// The venue's answer.
    pub value: T,
    /// The journal's correlation id.
    pub correlation_id: String,
}

/// What a placement call ends with.
#[derive(Debug)]
pub enum Placement<T> {
    /// Sent and accepted.
    Done(Written<T>),
    /// Ask the person first: return this to the client (protocol 2026-07-28).
    Ask(Box<InputRequiredResult>),
}

/// The tool's answer to a placement: `done` wraps an accepted order; a question goes back to
/// the client; an error is the model's to read.
pub fn respond<T, P: serde::Serialize>(
    placement: Result<Placement<T>, ToolError>,
    done: impl FnOnce(Written<T>) -> P,
) -> rmcp::model::CallToolResponse {
    match placement {
        Ok(Placement::Done(written)) => crate::tools::structured(&done(written)),
        Ok(Placement::Ask(question)) => rmcp::model::CallToolResponse::InputRequired(*question),
        Err(error) => error.into(),
    }
}

/// An order of one venue, ready to go through the flow.
pub trait OrderVenue: Sync {
    /// The venue's answer to a placement.
    type Placed: Send;
    /// The venue.
    const VENUE: Venue;
    /// The placing tool (journal).
    const TOOL: &'static str;
    /// Fields left out of the question when they have this value (the venue's defaults).
    const DEFAULTS: &'static [(&'static str, &'static str)];

    /// The symbol (allow-list).
    fn symbol(&self) -> String;
    /// The order as previewed and confirmed (the token is bound to it).
    fn canonical(&self) -> &serde_json::Value;
    /// The order in a few words: `BUY SOL_USDC 0.1 at market`.
    fn headline(&self) -> String;
    /// What the order can execute for, against the market now, in the cap currency.
    fn value(&self) -> impl Future<Output = Result<Valued, ToolError>> + Send;
    /// Sends it: the venue's answer and its ids for the journal, or what is known.
    fn send(&self) -> impl Future<Output = Result<(Self::Placed, String), WriteFailure>> + Send;
    /// What the venue's answer says had executed (journaled for replays and reports).
    fn fill(placed: &Self::Placed) -> Option<Fill>;
}

/// Runs a journal call off the async threads (SQLite may wait for another process's lock).
pub(crate) async fn journaled<T: Send + 'static>(
    journal: &Arc<Journal>,
    call: impl FnOnce(&Journal) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let journal = Arc::clone(journal);
    tokio::task::spawn_blocking(move || call(&journal))
        .await
        .map_err(|e| format!("the journal call did not finish: {e}"))?
}

/// Who asks for what, the request redacted: what every journal row of this write shares.
fn attempt(
    state: &AppState,
    ctx: &RequestContext<RoleServer>,
    (venue, tool): (Venue, &'static str),
    symbol: String,
    request: &serde_json::Value,
) -> Attempt {
    Attempt {
        id: crate::observe::call_id(),
        venue,
        mode: state.config.mode(venue),
        tool,
        session: session_of(ctx),
        symbol,
        request: state.redactor.json(request),
    }
}

/// Journals the refusal of `attempt` (a journal that cannot take it is logged) and returns
/// it.
async fn refuse(state: &AppState, attempt: &Attempt, refused: ToolError) -> ToolError {
    let refusal = Refusal {
        attempt: attempt.clone(),
        reason: state.redactor.text(&refused.message),
    };
    if let Err(error) = journaled(&state.journal, move |j| j.refuse(&refusal)).await {
        tracing::error!(%error, "a refusal could not be journaled");
    }
    count_order(state, attempt, WriteOutcome::NotSent);
    tracing::info!(tool = attempt.tool, code = %refused.code, reason = %refused.message, "refused");
    refused
}

/// Counts an order placement's outcome in the metrics (previews and cancels are not orders).
fn count_order(state: &AppState, attempt: &Attempt, outcome: WriteOutcome) {
    if attempt.tool.ends_with("_create_order") || attempt.tool.ends_with("_place_order") {
        state.metrics.record_order(attempt.venue.as_str(), outcome);
    }
}

fn journal_down(error: &str) -> ToolError {
    ToolError::new(
        ErrorCode::JournalUnavailable,
        format!("refused: {error}; trading is stopped until the journal works. Nothing was sent"),
    )
}

/// One line per field that is not at its default: `price: 150`, `trigger.price: 140`.
fn fields(
    value: &serde_json::Value,
    prefix: &str,
    defaults: &[(&str, &str)],
    out: &mut Vec<String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                fields(item, &name, defaults, out);
            }
        }
        serde_json::Value::Null | serde_json::Value::Bool(false) => {}
        serde_json::Value::String(text) if defaults.contains(&(prefix, text.as_str())) => {}
        serde_json::Value::String(text) => out.push(format!("{prefix}: {text}")),
        other => {
            let text = other.to_string();
            if !defaults.contains(&(prefix, text.as_str())) {
                out.push(format!("{prefix}: {text}"));
            }
        }
    }
}

/// The line that says what an order can execute for.
pub fn exposure_line(valued: &Valued) -> String {
    match valued.value {
        Some(value) => format!(
            "It can execute for up to {} {} ({}).",
            value.normalize(),
            valued.currency,
            valued.basis
        ),
        None => format!("It has NO BOUND the server can compute: {}.", valued.basis),
    }
}

/// The question put to the person: the venue and mode, the order in words, every field
/// not at its default, and the exposure.
pub fn question<V: OrderVenue>(order: &V, mode: Mode, valued: &Valued) -> String {
    let mut lines = Vec::new();
    fields(order.canonical(), "", V::DEFAULTS, &mut lines);
    let live = if mode == Mode::Live {
        "LIVE, real money. "
    } else {
        ""
    };
    format!(
        "{live}{} ({}): {}\n{}\n{}\nSend this order?",
        V::VENUE.as_str(),
        mode.as_str(),
        order.headline(),
        lines
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
        exposure_line(valued)
    )
}

/// Warnings every preview carries about the exposure and the caps.
pub fn exposure_warnings(valued: &Valued, state: &AppState, venue: Venue) -> Vec<String> {
    let caps = &state.config.venue(venue).caps;
    let mut warnings = Vec::new();
    match valued.value {
        None => warnings.push(format!(
            "no bound: the server cannot say what this order can execute for ({})",
            valued.basis
        )),
        Some(value) => {
            if let Some(cap) = caps.max_order_notional.filter(|c| !c.is_zero())
                && let Some(share) = value
                    .checked_div(cap)
                    .and_then(|s| s.checked_mul(rust_decimal::Decimal::ONE_HUNDRED))
            {
                warnings.push(format!(
                    "uses {}% of the per-order cap of {cap} {}",
                    share.round_dp(1),
                    caps.currency
                ));
            }
        }
    }
    if state.config.mode(venue) == Mode::Live {
        warnings.push("LIVE: this order trades real money".into());
    }
    if !state.config.orders_enabled {
        warnings.push("ORDERS_ENABLED=false: the server will not send this order".into());
    }
    warnings
}

/// The preview's check of the caps as they stand for every process sharing the journal. A
/// refusal is journaled (what the assistant tried is part of an incident's story).
///
/// # Errors
/// What the order would be refused for; a journal that cannot be read.
pub async fn preview_caps(
    state: &AppState,
    ctx: &RequestContext<RoleServer>,
    tool: &'static str,
    venue: Venue,
    symbol: &str,
    valued: &Valued,
    request: &serde_json::Value,
) -> Result<CapUsage, ToolError> {
    let config = state.config.venue(venue);
    let mode = state.config.mode(venue);
    let now = utc(&state.config.clock);
    let used = match journaled(&state.journal, move |j| j.used(venue, mode, now)).await {
        Ok(used) => used,
        Err(error) => return Err(journal_down(&error)),
    };
    if let Err(refused) = caps::check(&config.caps, symbol, Some(valued), used) {
        let attempt = attempt(state, ctx, (venue, tool), symbol.to_owned(), request);
        let refused = refused.map_message(|reason| {
            format!("this order would be refused by the server's limits: {reason}")
        });
        return Err(refuse(state, &attempt, refused).await);
    }
    Ok(caps::usage(&config.caps, used))
}

/// A token for `canonical`, redeemable in this call's session only.
pub fn issue_token(
    state: &AppState,
    ctx: &RequestContext<RoleServer>,
    venue: Venue,
    canonical: serde_json::Value,
) -> String {
    state.tokens.issue(venue, canonical, &session_of(ctx))
}

/// Places `order` under the rules (see the module docs).
///
/// # Errors
/// A refusal (nothing sent), the venue's rejection, or an unknown outcome, each saying so.
pub async fn place<V: OrderVenue>(
    state: &AppState,
    ctx: &RequestContext<RoleServer>,
    order: &V,
    token: &str,
    answer: Answer<'_>,
) -> Result<Placement<V::Placed>, ToolError> {
    let config = state.config.venue(V::VENUE);
    let asked = attempt(
        state,
        ctx,
        (V::VENUE, V::TOOL),
        order.symbol(),
        order.canonical(),
    );
    let early = if state.config.orders_enabled {
        state.kill_switch.check().err()
    } else {
        Some(ToolError::new(
            ErrorCode::OrdersDisabled,
            "refused: ORDERS_ENABLED=false, so this server sends no orders (previews and cancels still work). Nothing was sent",
        ))
    };
    if let Some(refused) = early {
        state.tokens.void(token);
        return Err(refuse(state, &asked, refused).await);
    }
    if let Err(error) = journaled(&state.journal, |j| j.health()).await {
        state.tokens.void(token);
        return Err(refuse(state, &asked, journal_down(&error)).await);
    }
    let valued = match order.value().await {
        Ok(valued) => valued,
        Err(error) => {
            state.tokens.void(token);
            return Err(error);
        }
    };
    let message = question(order, state.config.mode(V::VENUE), &valued);
    let policy = Policy {
        confirm: config.confirm,
        timeout: state.config.confirm_timeout,
    };
    let pending = Pending {
        token,
        venue: V::VENUE,
        order: order.canonical(),
        session: &asked.session,
        message: &message,
    };
    match confirm(ctx, &state.tokens, policy, pending, answer).await {
        Confirmation::Confirmed => {}
        Confirmation::Ask(question) => return Ok(Placement::Ask(question)),
        Confirmation::Refused(refused) => return Err(refuse(state, &asked, refused).await),
    }
    let intent = Intent {
        attempt: asked,
        exposure: Some(valued),
    };
    let written = reserve_and_send(state, intent, true, || order.send(), V::fill).await?;
    Ok(Placement::Done(written))
}

/// A cancel under the rules (see the module docs): the allow-list and the journal, not the
/// kill switch. A cancel only reduces risk, so a journal that cannot be written does not
/// stop it (the failure is logged and the answer says so).
///
/// # Errors
/// A refusal, the venue's rejection or an unknown outcome, each saying so.
pub async fn cancel<T, F, Fut>(
    state: &AppState,
    ctx: &RequestContext<RoleServer>,
    venue: Venue,
    tool: &'static str,
    symbol: String,
    request: serde_json::Value,
    send: F,
) -> Result<Written<T>, ToolError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(T, String), WriteFailure>>,
{
    let caps = &state.config.venue(venue).caps;
    let asked = attempt(state, ctx, (venue, tool), symbol, &request);
    if let Err(refused) = caps::check(caps, &asked.symbol, None, rust_decimal::Decimal::ZERO) {
        let refused =
            refused.map_message(|reason| format!("refused: {reason}; nothing was cancelled"));
        return Err(refuse(state, &asked, refused).await);
    }
    let intent = Intent {
        attempt: asked,
        exposure: None,
    };
    if let Err(error) = journaled(&state.journal, |j| j.health()).await {
        tracing::error!(%error, tool, "the journal cannot be used; cancelling without it");
        let value = send().await.map_err(|failure| {
            ToolError::new(
                failure.code,
                format!(
                    "{}: {} (not journaled: {error})",
                    outcome_words(failure.outcome),
                    state.redactor.text(&failure.message)
                ),
            )
        })?;
        return Ok(Written {
            value: value.0,
            correlation_id: format!("not journaled: {error}"),
        });
    }
    reserve_and_send(state, intent, false, send, |_| None).await
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

/// The journal transaction (kill switch for orders, caps, intent), the send, the result.
async fn reserve_and_send<T, F, Fut>(
    state: &AppState,
    intent: Intent,
    gated: bool,
    send: F,
    fill_of: impl FnOnce(&T) -> Option<Fill>,
) -> Result<Written<T>, ToolError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(T, String), WriteFailure>>,
{
    let caps = state.config.venue(intent.attempt.venue).caps.clone();
    let kill_switch = state.kill_switch.clone();
    let reserved = intent.clone();
    let now = utc(&state.config.clock);
    let id = journaled(&state.journal, move |j| {
        Ok(j.reserve(
            &reserved,
            &caps,
            || if gated { kill_switch.check() } else { Ok(()) },
            now,
        ))
    })
    .await
    .map_err(|error| journal_down(&error))?
    .map_err(|refused| {
        count_order(state, &intent.attempt, WriteOutcome::NotSent);
        refused.map_message(|reason| {
            if reason.starts_with("refused") {
                reason
            } else {
                format!("refused: {reason}. Nothing was sent")
            }
        })
    })?;
    let attempt = intent.attempt.clone();
    tracing::info!(id = %id, venue = attempt.venue.as_str(), tool = attempt.tool, "write sent");
    let result = send().await;
    let (outcome, detail, fill) = match &result {
        Ok((value, detail)) => (WriteOutcome::Accepted, detail.clone(), fill_of(value)),
        Err(failure) => (failure.outcome, state.redactor.text(&failure.message), None),
    };
    count_order(state, &attempt, outcome);
    let finished_id = id.clone();
    if let Err(error) = journaled(&state.journal, move |j| {
        j.finish(&finished_id, &attempt, outcome, &detail, fill.as_ref())
    })
    .await
    {
        // The intent stays and counts against the caps until a person looks.
        tracing::error!(%error, id = %id, "journal result not written");
    }
    tracing::info!(id = %id, outcome = ?outcome, "write finished");
    match result {
        Ok((value, _)) => Ok(Written {
            value,
            correlation_id: id,
        }),
        Err(failure) => Err(ToolError::new(
            failure.code,
            format!(
                "{}: {} (journal id {id})",
                outcome_words(failure.outcome),
                state.redactor.text(&failure.message)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_lists_every_field_not_at_its_default() {
        let order = serde_json::json!({
            "symbol": "SOL_USDC", "side": "Bid", "timeInForce": "GTC", "reduceOnly": true,
            "postOnly": false, "triggerPrice": "140", "takeProfit": { "price": "200" },
            "clientId": 7, "quoteQuantity": null
        });
        let mut lines = Vec::new();
        fields(&order, "", &[("timeInForce", "GTC")], &mut lines);
        assert_eq!(
            lines,
            [
                "clientId: 7",
                "reduceOnly: true",
                "side: Bid",
                "symbol: SOL_USDC",
                "takeProfit.price: 200",
                "triggerPrice: 140"
            ]
        );
    }
}
