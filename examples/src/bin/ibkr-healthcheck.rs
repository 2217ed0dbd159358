//! Checks that the IB gateway answers: prints its time, the account and the mode, and exits
//! non-zero with the reason when it does not.
//!
//! ```text
//! IBKR_GATEWAY_PORT=4002 cargo run -p examples --bin ibkr-healthcheck
//! ```
//!
//! Exit codes: 0 healthy, 1 the gateway is unreachable or not answering, 2 the
//! configuration is invalid.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line check reports on the terminal

use std::process::ExitCode;

use ibkr_sdk::{Config, Error, IbkrClient};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("unhealthy: {error}");
            return ExitCode::from(2);
        }
    };
    let address = config.address();
    let checked = async {
        let client = IbkrClient::connect(config).await?;
        client.healthcheck().await
    };
    match checked.await {
        Ok(health) => {
            println!(
                "healthy: gateway {address} time {} ({} ms), account {} ({}), orders {}, server version {}",
                health.server_time.format("%Y-%m-%d %H:%M:%S UTC"),
                health.round_trip_ms,
                health.account,
                health.mode.as_str(),
                if health.orders_enabled {
                    "enabled"
                } else {
                    "disabled"
                },
                health.server_version
            );
            ExitCode::SUCCESS
        }
        Err(error @ (Error::Config(_) | Error::AccountModeMismatch { .. })) => {
            eprintln!("unhealthy: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("unhealthy: {error}");
            ExitCode::FAILURE
        }
    }
}
