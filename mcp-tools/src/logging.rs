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

/// Installs the logger (`RUST_LOG` picks levels; default `default_level`).
pub fn init(redactor: Redactor, default_level: &str) {
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // At most info for rmcp, and never more than what was asked for everything else.
    let rmcp_level = filter
        .max_level_hint()
        .map_or(LevelFilter::INFO, |asked| asked.min(LevelFilter::INFO));
    if let Ok(cap) = format!("rmcp={rmcp_level}").parse() {
        filter = filter.add_directive(cap);
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingStderr { redactor })
        .with_ansi(false)
        .try_init();
}
