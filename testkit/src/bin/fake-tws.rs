//! A fake TWS / IB Gateway for manual use with any `ibapi` 5.5 client.
//!
//! ```text
//! cargo run -p testkit --bin fake-tws -- --port 4002
//! ```
//!
//! Prints one JSON line `{"host": ..., "port": ..., "account": ...}` on stdout when ready,
//! then serves until killed. A paper account `DU1234567` with $100,000; AAPL, MSFT, SPY,
//! three ES futures, AAPL options and the SPX index. With `--walk-ms`, prices take a
//! seeded random walk so resting orders fill.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use rust_decimal::Decimal;
use testkit::tws::FakeTws;

/// A fake TWS / IB Gateway speaking the protocol of `ibapi` 5.5.
#[derive(Debug, Parser)]
#[command(name = "fake-tws", version)]
struct Args {
    /// Port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 4002)]
    port: u16,
    /// Account id (`DU…` is a paper account; anything else reads as live).
    #[arg(long, default_value = "DU1234567")]
    account: String,
    /// Starting cash.
    #[arg(long, default_value = "100000")]
    cash: Decimal,
    /// Move every stock and future by up to one tick this often (0: prices stay put).
    #[arg(long, default_value_t = 0)]
    walk_ms: u64,
    /// Seed of the random walk.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// The line printed when the gateway is ready (fields in this order).
#[derive(serde::Serialize)]
struct Ready<'a> {
    host: &'a str,
    port: u16,
    account: &'a str,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let fake = FakeTws::builder()
        .account(args.account.clone())
        .cash(args.cash)
        .port(args.port)
        .record_requests(false)
        .try_start()
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
    let address = fake.address();
    let ready = serde_json::to_string(&Ready {
        host: &address.ip().to_string(),
        port: address.port(),
        account: &args.account,
    })?;
    #[allow(clippy::print_stdout)] // the program's one line of output
    {
        println!("{ready}");
    }
    let _walk =
        (args.walk_ms > 0).then(|| fake.walk(Duration::from_millis(args.walk_ms), args.seed));
    tokio::signal::ctrl_c()
        .await
        .context("waiting for ctrl-c")?;
    Ok(())
}
