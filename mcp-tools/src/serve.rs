//! What both binaries (`trading-mcp` and `trading`) do the same way: read `.env`, the
//! configuration, serve MCP or the REST API, print the journal.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use crate::config::ServerConfig;
use crate::observe::Door;
use crate::safety::journal::{Filter, Journal};
use crate::safety::redact::Redactor;
use crate::server::TradingServer;
use crate::state::AppState;

/// The variables whose values are secrets (redacted from every log line and answer).
pub const SECRET_VARIABLES: &[&str] = &[
    "BACKPACK_API_SECRET",
    "BACKPACK_PRIVATE_KEY",
    "TRADING_MCP_HTTP_TOKEN",
    "TRADING_API_KEY",
];

/// Loads `.env` from the working directory into the environment; variables already set
/// win. Returns the file read, if there was one.
///
/// # Errors
/// A `.env` that exists but cannot be read or parsed (a broken file is not ignored: it
/// may be what switches the safety settings).
pub fn load_dotenv() -> Result<Option<PathBuf>, String> {
    match dotenvy::dotenv() {
        Ok(path) => Ok(Some(path)),
        Err(error) if error.not_found() => Ok(None),
        Err(error) => Err(format!("the .env file could not be read: {error}")),
    }
}

/// The redactor for this process's secrets.
pub fn redactor() -> Redactor {
    Redactor::from_env(SECRET_VARIABLES)
}

/// A runtime for a process: one thread for a single client (stdio, one command: the
/// quickest start), every core for an HTTP server with many clients.
///
/// # Errors
/// When the runtime cannot be built.
pub fn runtime(many_clients: bool) -> Result<tokio::runtime::Runtime, String> {
    let mut builder = if many_clients {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| format!("the async runtime could not start: {e}"))
}

/// Serves MCP: stdio, or streamable HTTP on `http` (needs `TRADING_MCP_HTTP_TOKEN`).
///
/// # Errors
/// When the session or the listener cannot start.
pub async fn mcp(state: Arc<AppState>, http: Option<SocketAddr>) -> Result<(), String> {
    let server = TradingServer::new(Arc::clone(&state));
    let door = if http.is_some() {
        Door::McpHttp
    } else {
        Door::McpStdio
    };
    let server = server.at(door);
    match http {
        Some(bind) => {
            let token = std::env::var("TRADING_MCP_HTTP_TOKEN").unwrap_or_default();
            let settings = crate::http::HttpSettings::from_lookup(|name| std::env::var(name).ok())?;
            state.warm_up();
            crate::http::serve(server, bind, token, settings, stop_on_ctrl_c()).await
        }
        None => {
            let running = server
                .serve(rmcp::transport::io::stdio_pipes())
                .await
                .map_err(|e| format!("the MCP session did not start: {e}"))?;
            state.warm_up();
            running
                .waiting()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

/// Serves the REST API on `bind` with `settings`; prints one JSON line `{"url",
/// "openapi"}` on stdout once it answers.
///
/// # Errors
/// An address that cannot be bound.
pub async fn rest(
    state: Arc<AppState>,
    bind: SocketAddr,
    settings: crate::rest::RestSettings,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    state.warm_up();
    let server = TradingServer::new(state);
    crate::rest::serve(server, listener, settings, stop_on_ctrl_c(), |ready| {
        if let Ok(line) = serde_json::to_string(ready) {
            print_line(&line);
        }
    })
    .await
}

fn stop_on_ctrl_c() -> CancellationToken {
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    shutdown
}

/// Prints a line on stdout, the one place the binaries write results.
#[allow(clippy::print_stdout)] // results go to stdout
pub fn print_line(line: &str) {
    println!("{line}");
}

/// `--since`, `--venue`, `--outcome` as a journal filter.
///
/// # Errors
/// A value that is not a time, a venue or an outcome.
pub fn journal_filter(
    since: Option<&str>,
    venue: Option<&str>,
    outcome: Option<&str>,
) -> Result<Filter, String> {
    use chrono::{DateTime, NaiveDate, Utc};
    let since = since
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .or_else(|_| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
                })
                .map_err(|_| {
                    format!("--since {text:?} is not a time (2026-12-01 or 2026-12-01T10:00:00Z)")
                })
        })
        .transpose()?;
    let venue = venue
        .map(|text| {
            serde_json::from_value(serde_json::Value::String(text.to_ascii_lowercase()))
                .map_err(|_| format!("--venue {text:?} is not backpack or ibkr"))
        })
        .transpose()?;
    let outcome = outcome
        .map(|text| {
            serde_json::from_value(serde_json::Value::String(text.to_ascii_lowercase())).map_err(
                |_| format!("--outcome {text:?} is not accepted, rejected, unknown or not_sent"),
            )
        })
        .transpose()?;
    Ok(Filter {
        since,
        venue,
        outcome,
    })
}

/// Prints the journal's rows that pass `filter` as JSON lines, oldest first.
///
/// # Errors
/// When the journal cannot be read.
pub fn print_journal(config: &ServerConfig, filter: &Filter) -> Result<(), String> {
    let journal = Journal::new(config.journal_path.clone());
    for entry in journal.entries(filter)? {
        print_line(&serde_json::to_string(&entry).map_err(|e| e.to_string())?);
    }
    Ok(())
}
