//! What happened, for the person looking after an incident: one structured event per tool
//! call on every front door, and the metrics a monitoring system scrapes.
//!
//! Every `tools/call` runs inside [`observed`]: it gets a correlation id (the journal's rows
//! of that call carry the same id, and every log line inside the call, the SDKs' venue
//! request lines included, carries it in the `call` span), its venue requests are timed by
//! the [`VenueRequests`] layer, and when it ends one `trading::call` event is logged with
//! the front door, the tool, the venue, the arguments (redacted, bounded), the outcome and
//! the durations, and the [`Metrics`] move.

mod layer;
mod metrics;
mod queue;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rmcp::model::{CallToolResponse, CallToolResult};
use serde::Serialize;
use tracing::Instrument;

pub use layer::VenueRequests;
pub use metrics::{Activity, Metrics};
pub use queue::drain as write_waiting_events;

use crate::error::{ErrorCode, code_of, text_of};
use crate::safety::journal::correlation_id;
use crate::safety::redact::Redactor;

/// The log target of the per-call events.
pub const CALL_TARGET: &str = "trading::call";

/// The log target of the `call` span around each call (its correlation id on every line
/// logged inside it, the venue request lines included).
pub const SPAN_TARGET: &str = "trading::span";

/// The tool name counted for a name the server does not list.
pub const UNKNOWN_TOOL: &str = "(not a tool)";

/// The longest argument summary an event carries.
const MAX_ARGUMENTS: usize = 512;

/// Argument fields never logged, whatever their value (a confirmation token is a
/// capability: with it, a log reader in the same session could place the order).
const HIDDEN_ARGUMENTS: &[&str] = &["confirmationToken", "token", "apiKey", "secret"];

/// Which front door a call came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Door {
    /// MCP over stdio.
    McpStdio,
    /// MCP over streamable HTTP.
    McpHttp,
    /// The REST API.
    Rest,
    /// The `trading` command line.
    Cli,
    /// An application embedding the server.
    Library,
}

impl Door {
    /// The name in events and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Door::McpStdio => "mcp_stdio",
            Door::McpHttp => "mcp_http",
            Door::Rest => "rest",
            Door::Cli => "cli",
            Door::Library => "library",
        }
    }
}

/// How a call ended, as the event and the metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// It did what was asked.
    Ok,
    /// The server asked the person first (the call continues in a later request).
    Asked,
    /// The server refused it (safety gate, bad input, a tier that is off): nothing was sent.
    Refused(ErrorCode),
    /// The venue said no or could not be reached.
    VenueError(ErrorCode),
    /// A write may or may not have reached the venue.
    Unknown(ErrorCode),
    /// The server failed.
    Failed(ErrorCode),
}

impl CallOutcome {
    /// The outcome of a call that answered `response`.
    pub fn of(response: &Result<CallToolResponse, rmcp::ErrorData>) -> Self {
        match response {
            Ok(CallToolResponse::Complete(result)) => Self::of_result(result),
            Ok(_) => CallOutcome::Asked,
            Err(error) if error.code == rmcp::model::ErrorCode::INVALID_PARAMS => {
                CallOutcome::Refused(ErrorCode::InvalidInput)
            }
            Err(_) => CallOutcome::Failed(ErrorCode::Internal),
        }
    }

    fn of_result(result: &CallToolResult) -> Self {
        let Some(code) = code_of(result) else {
            return CallOutcome::Ok;
        };
        match code {
            ErrorCode::OutcomeUnknown | ErrorCode::Timeout => CallOutcome::Unknown(code),
            ErrorCode::VenueUnavailable
            | ErrorCode::VenueRejected
            | ErrorCode::RateLimited
            | ErrorCode::NotFound => CallOutcome::VenueError(code),
            ErrorCode::Internal => CallOutcome::Failed(code),
            _ => CallOutcome::Refused(code),
        }
    }

    /// `ok`, `asked`, `refused`, `venue_error`, `outcome_unknown` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Asked => "asked",
            CallOutcome::Refused(_) => "refused",
            CallOutcome::VenueError(_) => "venue_error",
            CallOutcome::Unknown(_) => "outcome_unknown",
            CallOutcome::Failed(_) => "failed",
        }
    }

    /// The error code, when it did not succeed.
    pub fn code(self) -> Option<ErrorCode> {
        match self {
            CallOutcome::Ok | CallOutcome::Asked => None,
            CallOutcome::Refused(code)
            | CallOutcome::VenueError(code)
            | CallOutcome::Unknown(code)
            | CallOutcome::Failed(code) => Some(code),
        }
    }
}

/// One venue request made during a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueRequest {
    /// `backpack` or `ibkr`.
    pub venue: &'static str,
    /// `GET /api/v1/ticker`, `quote`, `place_order`...
    pub endpoint: String,
    /// How long it took, microseconds.
    pub elapsed_us: u64,
}

/// What one call in flight knows about itself.
#[derive(Debug)]
struct CallScope {
    id: String,
    venue_us: AtomicU64,
    requests: Mutex<Vec<VenueRequest>>,
}

tokio::task_local! {
    static CALL: Arc<CallScope>;
}

/// The correlation id of the call in flight, or a new one outside a call.
pub fn call_id() -> String {
    CALL.try_with(|scope| scope.id.clone())
        .unwrap_or_else(|_| correlation_id())
}

/// Counts a venue request against the call in flight (none: not counted).
pub(crate) fn note_venue_request(request: VenueRequest) {
    let _ = CALL.try_with(|scope| {
        scope
            .venue_us
            .fetch_add(request.elapsed_us, Ordering::Relaxed);
        scope
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
    });
}

/// The event logged when a call ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// Shared with the call's journal rows and log lines.
    pub correlation_id: String,
    /// The front door.
    pub door: Door,
    /// The tool.
    pub tool: String,
    /// The venue it concerns, when it concerns one.
    pub venue: Option<&'static str>,
    /// The arguments, redacted and bounded.
    pub arguments: String,
    /// How it ended.
    pub outcome: CallOutcome,
    /// The refusal's or error's message (first line, redacted, bounded).
    pub reason: Option<String>,
    /// From the call's start to its answer, microseconds.
    pub total_us: u64,
    /// Of which waiting on the venue, microseconds.
    pub venue_us: u64,
    /// How many venue requests it made.
    pub venue_requests: usize,
    /// When it ended (the line may be written a little later).
    pub ended: chrono::DateTime<chrono::Utc>,
}

impl CallEvent {
    /// Whether a person should see it at once (a warning).
    fn urgent(&self) -> bool {
        matches!(
            self.outcome,
            CallOutcome::Unknown(_) | CallOutcome::Failed(_)
        )
    }

    fn log(&self) {
        let venue = self.venue.unwrap_or("none");
        let code = self.outcome.code().map_or("", ErrorCode::as_str);
        let reason = self.reason.as_deref().unwrap_or("");
        let level_is_warn = self.urgent();
        macro_rules! emit {
            ($level:ident) => {
                tracing::$level!(
                    target: CALL_TARGET,
                    correlation_id = %self.correlation_id,
                    door = self.door.as_str(),
                    tool = %self.tool,
                    venue,
                    arguments = %self.arguments,
                    outcome = self.outcome.as_str(),
                    code,
                    reason,
                    total_us = self.total_us,
                    venue_us = self.venue_us,
                    venue_requests = self.venue_requests,
                    ended = %self.ended.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "call"
                )
            };
        }
        if level_is_warn {
            emit!(warn);
        } else {
            emit!(info);
        }
    }
}

/// The venue a tool concerns: its name's prefix, or the `venue` argument (`watch`).
fn venue_of(
    tool: &str,
    arguments: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Option<&'static str> {
    if tool.starts_with("backpack_") {
        return Some("backpack");
    }
    if tool.starts_with("ibkr_") {
        return Some("ibkr");
    }
    match arguments
        .and_then(|a| a.get("venue"))
        .and_then(|v| v.as_str())
    {
        Some("backpack") => Some("backpack"),
        Some("ibkr") => Some("ibkr"),
        _ => None,
    }
}

/// The arguments as one bounded line, secrets and capabilities left out.
pub fn summarize(
    arguments: Option<serde_json::Map<String, serde_json::Value>>,
    redactor: &Redactor,
) -> String {
    let Some(arguments) = arguments else {
        return "{}".into();
    };
    let mut shown = serde_json::Value::Object(arguments);
    hide(&mut shown);
    bounded(&redactor.json(&shown).to_string(), MAX_ARGUMENTS)
}

fn hide(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if HIDDEN_ARGUMENTS.contains(&key.as_str()) {
                    *item = serde_json::Value::String("[hidden]".into());
                } else {
                    hide(item);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(hide),
        _ => {}
    }
}

/// `text` cut at `max` bytes (on a character boundary), marked when cut.
fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn micros(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The reason a response gives, for a call that did not succeed.
fn reason_of(
    response: &Result<CallToolResponse, rmcp::ErrorData>,
    redactor: &Redactor,
) -> Option<String> {
    let text = match response {
        Ok(CallToolResponse::Complete(result)) if result.is_error == Some(true) => text_of(result),
        Err(error) => error.message.to_string(),
        Ok(_) => return None,
    };
    let first = text.lines().next().unwrap_or_default();
    Some(bounded(&redactor.text(first), MAX_ARGUMENTS))
}

/// Runs `call` (the tool `tool` with `arguments`, through `door`) as one observed call:
/// its correlation id, its span, its venue time, its event and its metrics.
pub async fn observed<F>(
    metrics: &Metrics,
    redactor: &Redactor,
    door: Door,
    tool: &str,
    arguments: Option<serde_json::Map<String, serde_json::Value>>,
    call: F,
) -> Result<CallToolResponse, rmcp::ErrorData>
where
    F: Future<Output = Result<CallToolResponse, rmcp::ErrorData>>,
{
    let started = Instant::now();
    let scope = Arc::new(CallScope {
        id: correlation_id(),
        venue_us: AtomicU64::new(0),
        requests: Mutex::new(Vec::new()),
    });
    let venue = venue_of(tool, arguments.as_ref());
    let summary = summarize(arguments, redactor);
    let span = tracing::info_span!(target: SPAN_TARGET, "call", correlation_id = %scope.id, tool);
    let response = CALL.scope(Arc::clone(&scope), call.instrument(span)).await;
    let outcome = CallOutcome::of(&response);
    let requests = std::mem::take(
        &mut *scope
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    let event = CallEvent {
        correlation_id: scope.id.clone(),
        door,
        tool: tool.to_owned(),
        venue,
        arguments: summary,
        outcome,
        reason: reason_of(&response, redactor),
        total_us: micros(started),
        venue_us: scope.venue_us.load(Ordering::Relaxed),
        venue_requests: requests.len(),
        ended: chrono::Utc::now(),
    };
    metrics.record_call(&event, &requests);
    queue::log(event);
    response
}

#[cfg(test)]
mod tests;

/// The content type of [`scrape`]'s text (OpenMetrics, which Prometheus asks for first).
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics, with the caps' usage read from the journal now (every process's orders)
/// and the Backpack stream's reconnects read from its client.
///
/// # Errors
/// When the metrics cannot be encoded.
pub async fn scrape(state: &crate::state::AppState) -> Result<String, String> {
    use crate::config::Venue;
    for venue in [Venue::Backpack, Venue::Ibkr] {
        if !state.config.venue(venue).tiers.any() {
            continue;
        }
        let caps = &state.config.venue(venue).caps;
        let mode = state.config.mode(venue);
        let now = crate::safety::journal::utc(&state.config.clock);
        match crate::flow::journaled(&state.journal, move |j| j.used(venue, mode, now)).await {
            Ok(used) => state
                .metrics
                .set_cap_used(venue.as_str(), mode.as_str(), used),
            Err(error) => tracing::warn!(%error, "cap usage not read for the metrics"),
        }
        for (cap, limit) in [
            ("per_order", caps.max_order_notional),
            ("daily", caps.max_daily_notional),
        ] {
            if let Some(limit) = limit {
                state.metrics.set_cap_limit(venue.as_str(), cap, limit);
            }
        }
    }
    if let Some(backpack) = state.backpack_if_connected().await {
        state
            .metrics
            .catch_up_reconnects("backpack", backpack.stream_reconnects());
    }
    state.metrics.encode()
}

/// `GET /metrics` on the HTTP transports (behind their own authentication).
pub async fn metrics_response(state: Arc<crate::state::AppState>) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    match scrape(&state).await {
        Ok(text) => ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], text).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error).into_response(),
    }
}
