//! The chaos run (see `benches::chaos`): random tool calls through a real MCP client against
//! both venues with faults injected, then the journal reconciled against the venues.
//!
//! ```text
//! cargo run --release -p benches --bin chaos -- [calls] [seed]    # default 10000 42
//! ```
//!
//! Prints the report as JSON on stdout; exits non-zero when a promise broke.

use std::process::ExitCode;

use benches::chaos::{ChaosConfig, count_panics, run};
use rust_decimal::Decimal;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let calls = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    count_panics();
    let config = ChaosConfig {
        calls,
        seed,
        order_cap: Decimal::from(2_000),
        daily_cap: Decimal::from(250_000),
    };
    match run(&config).await {
        Ok(report) => {
            #[allow(clippy::print_stdout)] // the report is the output
            {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            }
            if report.holds() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("chaos: {error}");
            }
            ExitCode::FAILURE
        }
    }
}
