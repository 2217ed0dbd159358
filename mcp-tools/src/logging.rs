//! Logs go to stderr only (stdout is the JSON-RPC channel on stdio), with secrets redacted,
//! and `rmcp` capped at `info` (it logs whole requests and results at `debug`).

use std::io::Write;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::safety::redact::Redactor;

/// Writes one formatted log event to stderr with secrets replaced.
#[derive(Debug, Clone)]
pub struct RedactingStderr {
    redactor: Redactor,
}

impl Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(self.redactor.text(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingStderr;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// How log lines are written: `TRADING_LOG_FORMAT=json` gives one JSON object per line
/// (the call events' fields at the top level, the `call` span's correlation id under
/// `span`), anything else the human format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people.
    Human,
    /// For log collectors.
    Json,
}

impl Format {
    /// From `TRADING_LOG_FORMAT`.
    pub fn from_env() -> Self {
        match std::env::var("TRADING_LOG_FORMAT") {
            Ok(value) if value.trim().eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Human,
        }
    }
}

/// Installs the logger (`RUST_LOG` picks levels; default `default_level`) and the layer
/// that times venue requests for the call events. With the JSON format the call events are
/// on at `info` unless `RUST_LOG` names `trading::call` itself.
///
/// Lines are written by a background thread (`tracing-appender`'s non-blocking writer, never
/// dropping a line), so a call's answer does not wait for its log line to reach the disk.
/// Keep the returned guard until the process ends: dropping it writes what is left.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(
    redactor: Redactor,
    default_level: &str,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, fmt};

    let format = Format::from_env();
    let asked = std::env::var("RUST_LOG").ok();
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // At most info for rmcp, and never more than what was asked for everything else.
    let rmcp_level = filter
        .max_level_hint()
        .map_or(LevelFilter::INFO, |asked| asked.min(LevelFilter::INFO));
    if let Ok(cap) = format!("rmcp={rmcp_level}").parse() {
        filter = filter.add_directive(cap);
    }
    let names_calls = asked.is_some_and(|a| a.contains(crate::observe::CALL_TARGET));
    if format == Format::Json
        && !names_calls
        && let Ok(calls) = format!("{}=info", crate::observe::CALL_TARGET).parse()
    {
        filter = filter.add_directive(calls);
    }
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("trading-logs")
        .finish(RedactingStderr { redactor });
    let lines = match format {
        Format::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .with_filter(filter)
            .boxed(),
        Format::Human => fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .with_filter(filter)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(lines)
        .with(crate::observe::VenueRequests.with_filter(crate::observe::VenueRequests::filter()))
        .try_init()
        .ok()
        .map(|()| guard)
}
