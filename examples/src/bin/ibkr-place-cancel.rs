//! Places a limit order far from the market, shows it working, then cancels it: the whole
//! order life cycle without a fill. With orders disabled (the default) it shows the
//! simulated preview and the refusal instead.
//!
//! ```text
//! ORDERS_ENABLED=true cargo run -p examples --bin ibkr-place-cancel -- AAPL --quantity 1
//! ```
//!
//! The limit price defaults to 10% under the bid (rounded down to the tick), so a buy
//! rests; pass `--price` to choose it.

#![allow(clippy::print_stdout)] // an example prints its results

use clap::Parser;
use ibkr_sdk::{Action, Config, ContractSpec, Error, IbkrClient, OrderSpec, Price, Quantity};
use rust_decimal::Decimal;

/// Place a resting limit buy, then cancel it.
#[derive(Debug, Parser)]
struct Args {
    /// Stock symbol.
    symbol: String,
    /// Shares to buy.
    #[arg(long, default_value = "1")]
    quantity: Quantity,
    /// Limit price (default: 10% under the bid).
    #[arg(long)]
    price: Option<Price>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = IbkrClient::connect(Config::from_env()?).await?;
    let contract = ContractSpec::stock(&args.symbol);
    let resolved = client.contracts().resolve(&contract).await?;
    let price = match args.price {
        Some(price) => price,
        None => {
            let quote = client.market_data().quote(&contract).await?;
            let reference = quote
                .bid
                .or(quote.last)
                .ok_or_else(|| anyhow::anyhow!("no price for {}; pass --price", args.symbol))?;
            let tick = resolved.min_tick.map_or(Decimal::new(1, 2), Price::value);
            let target = reference.value() * Decimal::new(9, 1);
            Price::new(((target / tick).floor() * tick).normalize())
        }
    };
    let order = OrderSpec::limit(contract, Action::Buy, args.quantity, price);
    let preview = client.orders().preview(&order).await?;
    println!(
        "preview ({:?}): buy {} {} at {} = {} {}, commission {}, initial margin change {}",
        preview.source,
        preview.quantity,
        preview.contract,
        price,
        preview.notional.map_or("?".into(), |n| n.to_string()),
        preview.currency,
        preview.commission.map_or("-".into(), |c| c.to_string()),
        preview
            .initial_margin_change
            .map_or("-".into(), |m| m.to_string()),
    );
    let placed = match client.orders().place(&order).await {
        Ok(placed) => placed,
        Err(Error::TradingDisabled) => {
            println!(
                "not placed: orders are disabled (set ORDERS_ENABLED=true on a paper account to run the whole cycle)"
            );
            return Ok(());
        }
        Err(error) => {
            println!("not placed: {error} (outcome: {:?})", error.outcome());
            return Err(error.into());
        }
    };
    println!(
        "placed: order {} is {} ({} left)",
        placed.order_id,
        placed.status,
        placed.remaining.map_or("?".into(), |r| r.to_string())
    );
    let working = client.orders().status(placed.order_id).await?;
    println!(
        "status: order {} is {}, {} filled",
        working.order_id, working.status, working.filled
    );
    let cancelled = client.orders().cancel(placed.order_id).await?;
    println!(
        "cancelled: order {} is {}",
        cancelled.order_id, cancelled.status
    );
    let last = client.orders().status(placed.order_id).await?;
    println!(
        "final: order {} is {}, {} filled",
        last.order_id, last.status, last.filled
    );
    Ok(())
}
