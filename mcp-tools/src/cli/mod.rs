//! The `trading` command line: the tools of the MCP server for a person at a terminal or a
//! script, through the same in-process door as the REST API ([`crate::front`]) — the same
//! previews, tokens, confirmations, caps, kill switch and journal.
//!
//! Results go to stdout (tables, or one JSON document with `--json`: the tools' own
//! shapes); errors go to stderr as one line, with exit code 1 (2 for a configuration or
//! usage error). `healthcheck` exits 0 when every enabled venue answers, 1 when one does
//! not, 2 when the configuration is wrong.

mod commands;
mod journal;
mod orders;
mod render;
mod session;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Venue;
use crate::error::{ErrorCode, ToolError};

/// Trade on Backpack Exchange and Interactive Brokers from the terminal, safely: simulated
/// by default, paper by default, every order previewed and confirmed.
#[derive(Debug, Parser)]
#[command(name = "trading", version, propagate_version = true)]
#[command(
    after_help = "Configuration comes from the environment and a .env file in the working directory \
(see .env.example). With no keys both venues are simulated. Exit codes: 0 done, 1 failed or refused, \
2 misconfigured or misused."
)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
struct Global {
    /// IB Gateway / TWS host (sets IBKR_GATEWAY_HOST: IBKR is then a real gateway, not the simulator).
    #[arg(long, global = true, value_name = "HOST")]
    host: Option<String>,
    /// IB Gateway / TWS port (sets IBKR_GATEWAY_PORT; paper gateways listen on 4002, TWS paper on 7497).
    #[arg(long, global = true, value_name = "PORT")]
    port: Option<u16>,
    /// Use an IB Gateway paper account (TRADING_MODE=paper; the gateway at 127.0.0.1 unless --host says).
    #[arg(long, global = true, conflicts_with = "live")]
    paper: bool,
    /// Use a live IB account (TRADING_MODE=live): still needs IBKR_LIVE_ACK_FILE and everything the configuration requires.
    #[arg(long, global = true)]
    live: bool,
    /// The venue, when the symbol does not say (symbols with `_` are Backpack's, others IBKR's).
    #[arg(long, global = true, value_enum)]
    venue: Option<VenueArg>,
    /// One JSON document on stdout (the tools' own shapes) instead of tables.
    #[arg(long, global = true)]
    json: bool,
}

/// A venue on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VenueArg {
    /// Backpack Exchange.
    Backpack,
    /// Interactive Brokers.
    Ibkr,
}

impl From<VenueArg> for Venue {
    fn from(venue: VenueArg) -> Self {
        match venue {
            VenueArg::Backpack => Venue::Backpack,
            VenueArg::Ibkr => Venue::Ibkr,
        }
    }
}

/// What an IBKR contract is, beyond its symbol.
#[derive(Debug, Clone, Args, Default)]
struct ContractArgs {
    /// IBKR security type: STK, FUT, OPT, IND, CASH.
    #[arg(long, value_name = "TYPE", default_value = "STK")]
    sec_type: String,
    /// IBKR exchange (default SMART for stocks).
    #[arg(long, value_name = "EXCHANGE")]
    exchange: Option<String>,
    /// IBKR currency (default USD).
    #[arg(long, value_name = "CCY")]
    currency: Option<String>,
    /// IBKR expiry for futures and options, YYYYMM or YYYYMMDD (futures: front month).
    #[arg(long, value_name = "DATE")]
    expiry: Option<String>,
}

/// An order on the command line.
#[derive(Debug, Clone, Args)]
struct OrderArgs {
    /// buy or sell.
    #[arg(value_enum, required_unless_present = "order_json")]
    side: Option<Side>,
    /// How much (base quantity; shares or contracts on IBKR).
    #[arg(required_unless_present = "order_json")]
    quantity: Option<String>,
    /// The symbol: SOL_USDC (Backpack), AAPL (IBKR).
    #[arg(required_unless_present = "order_json")]
    symbol: Option<String>,
    /// Limit price (a market order without it).
    #[arg(long, value_name = "PRICE")]
    limit: Option<String>,
    /// Stop (trigger) price: a stop order, or a stop-limit with --limit.
    #[arg(long, value_name = "PRICE")]
    stop: Option<String>,
    /// Time in force: GTC, IOC, FOK (Backpack); DAY, GTC, IOC, FOK (IBKR).
    #[arg(long, value_name = "TIF")]
    tif: Option<String>,
    /// Post-only (Backpack limit orders).
    #[arg(long)]
    post_only: bool,
    /// Reduce-only (Backpack).
    #[arg(long)]
    reduce_only: bool,
    /// The whole order as the venue's tool takes it (JSON), instead of the words above:
    /// Backpack's `order`, or IBKR's `{"order": ..}` / `{"bracket": ..}`.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["side", "quantity", "symbol", "limit", "stop", "tif", "post_only", "reduce_only"])]
    order_json: Option<String>,
    #[command(flatten)]
    contract: ContractArgs,
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that each venue answers (exit 0), does not (1), or is misconfigured (2).
    Healthcheck,
    /// Quotes: `trading quote AAPL MSFT`, `trading quote SOL_USDC`.
    Quote {
        /// Symbols; the venue is inferred from each (or --venue).
        #[arg(required = true)]
        symbols: Vec<String>,
        #[command(flatten)]
        contract: ContractArgs,
    },
    /// Historical bars of an IBKR contract.
    Bars {
        /// The symbol (IBKR).
        symbol: String,
        /// Bar size: "1 min", "5 mins", "1 hour", "1 day", ...
        #[arg(long, default_value = "5 mins")]
        bar_size: String,
        /// How far back: "1 D", "1 W", "1 M", ...
        #[arg(long, default_value = "1 D")]
        duration: String,
        /// How many of the latest bars to show in the table.
        #[arg(long, default_value_t = 12)]
        last: usize,
        #[command(flatten)]
        contract: ContractArgs,
    },
    /// Balances or summary, positions and PnL of a venue (both without --venue).
    Account,
    /// Orders: the open ones, or one's status.
    Orders {
        #[command(subcommand)]
        what: Option<OrdersCommand>,
    },
    /// Check an order without sending it; prints a confirmation token for `place --yes`.
    Preview(OrderArgs),
    /// Preview an order, show it, ask on the terminal, then send it.
    Place {
        #[command(flatten)]
        order: OrderArgs,
        /// Send without asking: only with --token, from a `trading preview` of this exact order,
        /// and only where the venue lets the token confirm (TRADING_MCP_<VENUE>_CONFIRM=token).
        #[arg(long, requires = "token")]
        yes: bool,
        /// The confirmation token a `trading preview` of this order printed.
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
    },
    /// Cancel an order: `trading cancel 42` (IBKR), `trading cancel ID --symbol SOL_USDC` (Backpack).
    Cancel {
        /// The order id.
        id: String,
        /// The market (Backpack orders need it).
        #[arg(long)]
        symbol: Option<String>,
    },
    /// Serve the REST API (needs TRADING_API_KEY); prints {"url", "openapi"} when ready.
    StartApi {
        /// Where to listen (port 0 picks a free one).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
        bind: SocketAddr,
    },
    /// Serve MCP, as `trading-mcp` does (stdio, or --http ADDR).
    Mcp {
        /// Serve streamable HTTP on this address (needs TRADING_MCP_HTTP_TOKEN).
        #[arg(long, value_name = "ADDR")]
        http: Option<SocketAddr>,
    },
    /// A scripted session on the simulators; with --paper, quotes and bars from an IB Gateway paper session (no orders).
    Demo {
        /// How long to watch the simulated order for a fill, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 20)]
        watch: u64,
    },
    /// The journal (every order attempt, result and refusal) as JSON lines, oldest first; its replay and its report.
    Journal {
        /// Replay or report; none: print the rows.
        #[command(subcommand)]
        action: Option<JournalCommand>,
        /// Only rows at or after this time (RFC 3339, or a date YYYY-MM-DD).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only this outcome: accepted, rejected, unknown, not_sent.
        #[arg(long, value_name = "OUTCOME")]
        outcome: Option<String>,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum JournalCommand {
    /// Run the journal's orders again, in order, on a fresh simulator seeded and timed as recorded, and show per order whether the outcome matches (exit 1 when one differs).
    Replay {
        /// The journal file (default: this configuration's).
        journal: Option<std::path::PathBuf>,
        /// Relative tolerance on average prices, in basis points.
        #[arg(long, value_name = "BPS", default_value_t = 1)]
        tolerance_bps: u32,
    },
    /// Write one self-contained HTML page: orders over time, cap usage against the caps, outcomes by kind, latency percentiles.
    Report {
        /// The journal file (default: this configuration's).
        journal: Option<std::path::PathBuf>,
        /// Where to write the page.
        #[arg(
            long,
            short,
            value_name = "FILE",
            default_value = "journal-report.html"
        )]
        out: std::path::PathBuf,
        /// A saved /metrics answer, for the venue request latencies.
        #[arg(long, value_name = "FILE")]
        metrics: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum OrdersCommand {
    /// The open orders (the default).
    List {
        /// Only this market (Backpack).
        #[arg(long)]
        symbol: Option<String>,
    },
    /// One order's status: `orders status 42` (IBKR), `orders status ID --symbol SOL_USDC`.
    Status {
        /// The order id.
        id: String,
        /// The market (Backpack orders need it).
        #[arg(long)]
        symbol: Option<String>,
    },
}

/// A failed command: what to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    error: ToolError,
    exit: u8,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            error: ToolError::invalid(message),
            exit: 2,
        }
    }

    fn config(message: impl Into<String>) -> Self {
        Self {
            error: ToolError::new(ErrorCode::InvalidInput, message),
            exit: 2,
        }
    }
}

impl From<ToolError> for Failure {
    fn from(error: ToolError) -> Self {
        Self { error, exit: 1 }
    }
}

/// Runs `trading` with the process's arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    let serving_http = matches!(
        cli.command,
        Command::StartApi { .. } | Command::Mcp { http: Some(_) }
    );
    let result = crate::serve::runtime(serving_http)
        .map_err(|e| Failure::from(ToolError::new(ErrorCode::Internal, e)))
        .and_then(|runtime| runtime.block_on(commands::run(cli)));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            report(&failure.error, json);
            ExitCode::from(failure.exit)
        }
    }
}

/// One line (or one JSON document with `--json`) on stderr.
#[allow(clippy::print_stderr)] // errors go to stderr
fn report(error: &ToolError, json: bool) {
    if json {
        let body = serde_json::json!({ "error_code": error.code, "message": error.message, "details": {} });
        eprintln!("{body}");
    } else {
        eprintln!("trading: {} ({})", error.message, error.code);
    }
}
