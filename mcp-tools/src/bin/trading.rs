//! `trading`: the command line for Backpack Exchange and Interactive Brokers (see
//! `mcp_tools::cli`).
//!
//! ```text
//! trading healthcheck                       # exit 0 reachable, 1 unreachable, 2 misconfigured
//! trading quote AAPL MSFT SOL_USDC          # the venue from the symbol (or --venue)
//! trading preview buy 0.1 SOL_USDC --limit 150
//! trading place buy 0.1 SOL_USDC --limit 150  # shows the preview, asks, sends
//! trading start-api --bind 127.0.0.1:8787   # the REST API (TRADING_API_KEY)
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    mcp_tools::cli::main()
}
