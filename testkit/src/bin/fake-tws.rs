//! A fake TWS / IB Gateway for manual use with any `ibapi` 5.5 client.
//!
//! ```text
//! cargo run -p testkit --bin fake-tws -- --port 4002
//! ```
//!
//! Prints one JSON line `{"host": ..., "port": ..., "account": ...}` on stdout when ready,
//! then serves until killed. A paper account `DU1234567` with $100,000; AAPL, MSFT, SPY,
//! three ES futures, AAPL options and the SPX index. With `--walk-ms`, prices take a
//! seeded random walk so resting orders fill. Real-time bar streams get a bar every 5 s.
//!
//! It reads commands on stdin, one per line, to act out what a gateway does to its clients:
//!
//! | command | what happens |
//! |---|---|
//! | `stop` | the gateway goes down: connections closed, the port refuses (state kept; orders keep working) |
//! | `start` | it comes back on the same port with its state |
//! | `disconnect` | every connection is dropped, the gateway stays up |
//! | `account ID` | the next connections see account `ID` (`DU…` paper, else live) |
//! | `last SYMBOL PRICE` | the stock's last price moves (bid and ask one tick around it); orders work against it |
//!
//! Each command answers one JSON line on stdout: `{"ok": true}` or `{"ok": false, "error": …}`.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use rust_decimal::Decimal;
use testkit::tws::FakeTws;
use tokio::io::{AsyncBufReadExt, BufReader};

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
    /// Keep a client id in use this long after its connection ends (as a gateway does until
    /// it notices a dropped socket): a client reconnecting sooner gets error 326.
    #[arg(long, default_value_t = 0)]
    linger_ms: u64,
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
        .linger(Duration::from_millis(args.linger_ms))
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
    let mut bars = tokio::time::interval(Duration::from_secs(5));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            _ = bars.tick() => fake.close_bars(),
            signal = tokio::signal::ctrl_c() => {
                signal.context("waiting for ctrl-c")?;
                return Ok(());
            }
            line = lines.next_line() => match line {
                Ok(Some(line)) => {
                    let answer = match command(&fake, line.trim()).await {
                        Ok(()) => serde_json::json!({ "ok": true }),
                        Err(error) => serde_json::json!({ "ok": false, "error": error }),
                    };
                    #[allow(clippy::print_stdout)] // the answer to a command
                    {
                        println!("{answer}");
                    }
                }
                // stdin closed (or unreadable): serve until killed.
                Ok(None) | Err(_) => loop {
                    tokio::select! {
                        _ = bars.tick() => fake.close_bars(),
                        signal = tokio::signal::ctrl_c() => {
                            signal.context("waiting for ctrl-c")?;
                            return Ok(());
                        }
                    }
                },
            },
        }
    }
}

/// Runs one stdin command.
async fn command(fake: &FakeTws, line: &str) -> Result<(), String> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("stop"), None, None) => {
            fake.stop();
            Ok(())
        }
        (Some("start"), None, None) => fake
            .restart()
            .await
            .map_err(|error| format!("cannot listen again on {}: {error}", fake.address())),
        (Some("disconnect"), None, None) => {
            fake.disconnect_all();
            Ok(())
        }
        (Some("account"), Some(account), None) => {
            fake.set_account(account);
            Ok(())
        }
        (Some("last"), Some(symbol), Some(price)) => {
            let price: Decimal = price
                .parse()
                .map_err(|_| format!("`{price}` is not a price"))?;
            let con_id = fake
                .con_id(symbol, "STK")
                .ok_or_else(|| format!("no stock {symbol}"))?;
            fake.set_last(con_id, price);
            Ok(())
        }
        _ => Err(format!(
            "unknown command `{line}`: stop, start, disconnect, account ID, last SYMBOL PRICE"
        )),
    }
}
