//! Prints quote snapshots, and optionally recent bars, from the IB gateway.
//!
//! ```text
//! cargo run -p examples --bin ibkr-quote -- AAPL MSFT
//! cargo run -p examples --bin ibkr-quote -- ES --sec-type FUT --bars "5 min" --duration "1 D"
//! ```

#![allow(clippy::print_stdout)] // an example prints its results

use clap::Parser;
use ibkr_sdk::{BarsRequest, Config, ContractSpec, IbkrClient, SecType};

/// Quote snapshots (live, or delayed when live data is not permitted).
#[derive(Debug, Parser)]
struct Args {
    /// Symbols.
    #[arg(required = true)]
    symbols: Vec<String>,
    /// Security type: STK, FUT (front month), IND, CASH.
    #[arg(long, default_value = "STK")]
    sec_type: SecType,
    /// Exchange (default: SMART for stocks).
    #[arg(long)]
    exchange: Option<String>,
    /// Also print bars of this size (`5 min`, `1 hour`, `1 day`).
    #[arg(long)]
    bars: Option<String>,
    /// How far back the bars go (`1 D`, `1 W`, `3 M`).
    #[arg(long, default_value = "1 D")]
    duration: String,
}

fn show(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = IbkrClient::connect(Config::from_env()?).await?;
    let specs: Vec<ContractSpec> = args
        .symbols
        .iter()
        .map(|symbol| {
            let mut spec = ContractSpec::stock(symbol);
            spec.sec_type = args.sec_type;
            match &args.exchange {
                Some(exchange) => spec.on_exchange(exchange),
                None => spec,
            }
        })
        .collect();
    println!(
        "{:<14} {:>12} {:>12} {:>12} {:>8} {:>8}  source",
        "contract", "bid", "ask", "last", "bid sz", "ask sz"
    );
    for (spec, quote) in specs.iter().zip(client.market_data().quotes(&specs).await) {
        match quote {
            Ok(q) => println!(
                "{:<14} {:>12} {:>12} {:>12} {:>8} {:>8}  {:?}",
                q.contract,
                show(q.bid),
                show(q.ask),
                show(q.last),
                show(q.bid_size),
                show(q.ask_size),
                q.source
            ),
            Err(error) => println!("{:<14} {error}", spec.symbol),
        }
    }
    if let Some(bar_size) = &args.bars {
        for spec in &specs {
            let request = BarsRequest::new(bar_size, &args.duration);
            let bars = match client.market_data().bars(spec, &request).await {
                Ok(bars) => bars,
                Err(error) => {
                    println!("\n{}: no bars ({error})", spec.symbol);
                    continue;
                }
            };
            println!(
                "\n{} bars of {} over {}:",
                bars.contract, bars.bar_size, bars.duration
            );
            for bar in bars.bars.iter().rev().take(10).rev() {
                println!(
                    "{}  o {} h {} l {} c {} v {}",
                    bar.time.format("%Y-%m-%d %H:%M"),
                    bar.open,
                    bar.high,
                    bar.low,
                    bar.close,
                    show(bar.volume)
                );
            }
        }
    }
    Ok(())
}
