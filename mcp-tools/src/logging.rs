//! Logs go to stderr only (stdout is the JSON-RPC channel on stdio), with secrets redacted,
//! and `rmcp` capped at `info` (it logs whole requests and results at `debug`).

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::safety::redact::Redactor;

/// How long an `info` or `debug` line may wait in memory before it is written.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// Lines waiting beyond this many bytes are written at once.
const MAX_WAITING: usize = 64 * 1024;

/// Where log lines go: stderr, secrets replaced. A warning or an error is written at once
/// (with everything before it, in order); other lines wait at most `FLUSH_EVERY` (50 ms) in memory
/// and are written together by a background thread, so a call does not pay a system call
/// for its event line. What waits is written when the [`LogGuard`] is dropped.
#[derive(Debug, Clone)]
pub struct RedactingStderr {
    sink: Arc<Sink>,
}

#[derive(Debug)]
struct Sink {
    redactor: Redactor,
    waiting: Mutex<Vec<u8>>,
}

impl Sink {
    /// Adds `line` (redacted); writes everything now when `urgent` or too much waits.
    fn add(&self, line: &[u8], urgent: bool) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let redacted = self.redactor.text(&text);
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        waiting.extend_from_slice(redacted.as_bytes());
        if urgent || waiting.len() > MAX_WAITING {
            return write_out(&mut waiting);
        }
        Ok(())
    }

    /// Writes what waits.
    fn flush(&self) -> std::io::Result<()> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        write_out(&mut waiting)
    }
}

fn write_out(waiting: &mut Vec<u8>) -> std::io::Result<()> {
    if waiting.is_empty() {
        return Ok(());
    }
    let result = std::io::stderr().write_all(waiting);
    waiting.clear();
    result
}

impl RedactingStderr {
    /// A sink with its flushing thread (which ends with the last handle).
    fn start(redactor: Redactor) -> Self {
        let sink = Arc::new(Sink {
            redactor,
            waiting: Mutex::new(Vec::with_capacity(MAX_WAITING)),
        });
        let weak = Arc::downgrade(&sink);
        let _ = std::thread::Builder::new()
            .name("trading-logs".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(FLUSH_EVERY);
                    match weak.upgrade() {
                        Some(sink) => {
                            let _ = sink.flush();
                        }
                        None => return,
                    }
                }
            });
        Self { sink }
    }
}

/// One log line on its way to the sink.
#[derive(Debug)]
pub struct LineWriter {
    sink: Arc<Sink>,
    urgent: bool,
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sink.add(buf, self.urgent)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sink.flush()
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            sink: Arc::clone(&self.sink),
            urgent: true,
        }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        LineWriter {
            sink: Arc::clone(&self.sink),
            urgent: *meta.level() <= tracing::Level::WARN,
        }
    }
}

/// Writes out the lines still waiting when dropped: keep it until the process ends.
#[derive(Debug)]
pub struct LogGuard(Arc<Sink>);

impl Drop for LogGuard {
    fn drop(&mut self) {
        crate::observe::write_waiting_events();
        let _ = self.0.flush();
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
/// on at `info` unless `RUST_LOG` names `trading::call`; the `call` span (`trading::span`)
/// is on when something is logged at debug. Keep the guard until the process ends (see
/// [`RedactingStderr`]).
#[must_use = "dropping the guard writes out the waiting lines; keep it until the process ends"]
pub fn init(redactor: Redactor, default_level: &str) -> LogGuard {
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
    let names = |target: &str| asked.as_deref().is_some_and(|a| a.contains(target));
    if format == Format::Json
        && !names(crate::observe::CALL_TARGET)
        && let Ok(directive) = format!("{}=info", crate::observe::CALL_TARGET).parse()
    {
        filter = filter.add_directive(directive);
    }
    // The `call` span puts the correlation id on the lines logged inside a call; the ones
    // that need it are the venue request lines, at debug. It costs a call more than its
    // event does, so it is on only when something is logged at debug (or it is named).
    let debugging = filter
        .max_level_hint()
        .is_some_and(|level| level >= LevelFilter::DEBUG);
    if !names(crate::observe::SPAN_TARGET) {
        let level = if debugging { "info" } else { "off" };
        if let Ok(directive) = format!("{}={level}", crate::observe::SPAN_TARGET).parse() {
            filter = filter.add_directive(directive);
        }
    }
    let writer = RedactingStderr::start(redactor);
    let guard = LogGuard(Arc::clone(&writer.sink));
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
    let _ = tracing_subscriber::registry()
        .with(lines)
        .with(crate::observe::VenueRequests.with_filter(crate::observe::VenueRequests::filter()))
        .try_init();
    guard
}
