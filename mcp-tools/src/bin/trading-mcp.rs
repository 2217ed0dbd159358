//! `trading-mcp`: the MCP server for Backpack Exchange and Interactive Brokers.
//!
//! ```text
//! trading-mcp                      # stdio (what Cursor, Claude Desktop and Claude Code start)
//! trading-mcp --http 127.0.0.1:8765  # streamable HTTP at /mcp, bearer TRADING_MCP_HTTP_TOKEN
//! trading-mcp demo                 # a scripted session against the simulators
//! trading-mcp tools                # the tools/list answer, as JSON
//! trading-mcp journal --since 2026-12-01 --venue ibkr --outcome unknown   # JSON lines
//! ```
//!
//! Configuration comes from the environment (see `mcp_tools::config`); with no keys both
//! venues run on the built-in simulators.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mcp_tools::safety::redact::Redactor;
use mcp_tools::{AppState, ServerConfig, TradingServer, serve};

/// MCP server for trading on Backpack Exchange and Interactive Brokers.
#[derive(Debug, Parser)]
#[command(name = "trading-mcp", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Serve streamable HTTP on this address instead of stdio (needs TRADING_MCP_HTTP_TOKEN).
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Only these toolsets, comma separated: backpack, ibkr, market, account, trading.
    #[arg(long, value_name = "LIST")]
    tools: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve (the default).
    Serve,
    /// Run a scripted session through an in-process MCP client against the simulators.
    Demo {
        /// How long to watch the first order for a fill before cancelling it, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 20)]
        watch: u64,
    },
    /// Print the tools/list answer as JSON.
    Tools,
    /// Print the journal (every intent, result and refusal) as JSON lines, oldest first.
    Journal {
        /// Only rows at or after this time (RFC 3339, or a date `YYYY-MM-DD`).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only this venue: `backpack` or `ibkr`.
        #[arg(long, value_name = "VENUE")]
        venue: Option<String>,
        /// Only rows with this outcome: accepted, rejected, unknown, not_sent.
        #[arg(long, value_name = "OUTCOME")]
        outcome: Option<String>,
    },
}

fn configured(cli: &Cli, redactor: &Redactor) -> Result<std::sync::Arc<AppState>, String> {
    let mut config = ServerConfig::from_env()?;
    if let Some(tools) = &cli.tools {
        config.restrict_tools(tools)?;
    }
    Ok(AppState::new(config, redactor.clone()))
}

async fn run(cli: Cli) -> Result<(), String> {
    serve::load_dotenv()?;
    let redactor = serve::redactor();
    // The demo's output is the session; its logs would only interleave with it.
    let level = if matches!(cli.command, Some(Command::Demo { .. })) {
        "warn"
    } else {
        "info"
    };
    let _logs = mcp_tools::logging::init(redactor.clone(), level);
    match cli.command {
        Some(Command::Demo { watch }) => mcp_tools::demo::run(Duration::from_secs(watch))
            .await
            .map_err(|e| e.to_string()),
        Some(Command::Tools) => {
            let state = configured(&cli, &redactor)?;
            let tools = TradingServer::new(state).tools();
            let json = serde_json::to_string_pretty(&serde_json::json!({ "tools": tools }))
                .map_err(|e| e.to_string())?;
            serve::print_line(&json);
            Ok(())
        }
        Some(Command::Journal {
            ref since,
            ref venue,
            ref outcome,
        }) => {
            let filter =
                serve::journal_filter(since.as_deref(), venue.as_deref(), outcome.as_deref())?;
            serve::print_journal(&ServerConfig::from_env()?, &filter)
        }
        Some(Command::Serve) | None => {
            let state = configured(&cli, &redactor)?;
            serve::mcp(state, cli.http).await
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving_http = cli.http.is_some() && matches!(cli.command, None | Some(Command::Serve));
    let result = serve::runtime(serving_http).and_then(|runtime| runtime.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            #[allow(clippy::print_stderr)] // the one line a failed start leaves
            {
                eprintln!("trading-mcp: {error}");
            }
            ExitCode::FAILURE
        }
    }
}
