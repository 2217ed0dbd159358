//! A short trading session against the built-in simulator: no keys, no network.
//!
//! Starts the testkit's fake Backpack exchange in-process (simulated time runs 600x), then
//! drives the real `backpack-sdk` client through it: markets, balances, a validated and
//! rounded limit order that waits and then fills as the market moves, a cancel, a perp
//! position opened and closed, and the fills.
//!
//! ```text
//! cargo run -p examples --bin backpack-demo
//! ```

#![allow(clippy::print_stdout)] // a demo prints what it does

use std::time::Duration;

use anyhow::Context;
use backpack_sdk::Client;
use backpack_sdk::api::history::GetFillHistory;
use backpack_sdk::client::Reconciled;
use backpack_sdk::model::{ClientOrderId, DepthLimit, MarketType, Side};
use backpack_sdk::spec::OrderSpec;
use rust_decimal::Decimal;
use testkit::backpack::FakeBackpack;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let fake = FakeBackpack::builder()
        .speed(600)
        .record_requests(false)
        .start()
        .await;
    let client = Client::builder()
        .base_url(fake.uri())
        .credentials(fake.credentials())
        .build()?;
    println!(
        "simulated Backpack exchange at {} (prices move 600x faster than real time)\n",
        client.base_url()
    );

    let markets = client.markets().list(None).await?;
    println!("markets:");
    for market in &markets {
        let ticker = client.markets().ticker(market.symbol.clone(), None).await?;
        println!(
            "  {:<14} {:<5} tick {:<5} step {:<7} last {}",
            market.symbol.as_str(),
            market.market_type.as_str(),
            market.filters.price.tick_size.to_string(),
            market.filters.quantity.step_size.to_string(),
            ticker.last_price
        );
    }

    let depth = client
        .markets()
        .depth("SOL_USDC", Some(DepthLimit::L5))
        .await?;
    let (bid, ask) = (
        depth.best_bid().context("bids")?,
        depth.best_ask().context("asks")?,
    );
    println!(
        "\nSOL_USDC best bid {} x {}, best ask {} x {}",
        bid.price(),
        bid.quantity(),
        ask.price(),
        ask.quantity()
    );

    // A limit buy 0.3% under the market, asked with too many decimals: validated, then
    // rounded to the tick and step sizes before anything is sent.
    let market = client.markets().get("SOL_USDC").await?;
    let target = bid.price().value() * Decimal::new(997, 3);
    let spec = OrderSpec::limit(
        "SOL_USDC",
        Side::Bid,
        target.round_dp(4).into(),
        "1.2345".parse()?,
    )
    .client_id(1)
    .build()?;
    let fitted = spec.fit_to(&market, None)?;
    for change in &fitted.adjustments {
        println!(
            "rounded {} {} -> {} ({})",
            change.field, change.from, change.to, change.reason
        );
    }
    let placed = client.orders().place(&fitted.spec).await?;
    println!(
        "placed {} {} SOL @ {} -> {:?}",
        placed.id,
        placed.quantity.unwrap_or_default(),
        placed.price.unwrap_or_default(),
        placed.status
    );
    println!(
        "balances while it rests: USDC {:?}",
        client.account().balances().await?.get("USDC")
    );

    print!("waiting for the market to come down to it");
    let mut waited = 0;
    loop {
        match client
            .orders()
            .reconcile("SOL_USDC", ClientOrderId(1))
            .await?
        {
            Reconciled::Finished(order) => {
                println!(
                    "\nfilled {} at {}",
                    order.executed_quantity.unwrap_or_default(),
                    order.average_fill_price().unwrap_or_default()
                );
                break;
            }
            Reconciled::Open(_) if waited < 300 => {
                print!(".");
                waited += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => {
                println!("\nstill {other:?} after 30 s; cancelling");
                client.orders().cancel("SOL_USDC", ClientOrderId(1)).await?;
                break;
            }
        }
    }

    let far = OrderSpec::limit("SOL_USDC", Side::Ask, "999".parse()?, "1".parse()?).build()?;
    let resting = client.orders().place(&far).await?;
    let cancelled = client
        .orders()
        .cancel("SOL_USDC", resting.id)
        .await?
        .cancelled()
        .context("cancel")?;
    println!(
        "placed and cancelled {} -> {:?}",
        cancelled.id, cancelled.status
    );

    let open = OrderSpec::market("SOL_USDC_PERP", Side::Bid, "3".parse()?).build()?;
    let opened = client.orders().place(&open).await?;
    let position = &client.account().positions(None).await?[0];
    println!(
        "perp: bought {} SOL_USDC_PERP at {}; position {} @ {}, uPnL {}",
        opened.executed_quantity,
        opened.average_fill_price().unwrap_or_default(),
        position.net_quantity,
        position.entry_price,
        position.pnl_unrealized
    );
    let close = OrderSpec::market("SOL_USDC_PERP", Side::Ask, "3".parse()?)
        .reduce_only(true)
        .build()?;
    client.orders().place(&close).await?;
    println!(
        "perp: closed; open positions now {}",
        client.account().positions(None).await?.len()
    );

    println!("\nbalances:");
    for row in client.account().balances_with_lent().await? {
        println!(
            "  {:<5} available {:>14} locked {:>6} lent {:>4}",
            row.asset.as_str(),
            row.available.to_string(),
            row.locked.to_string(),
            row.lent.to_string()
        );
    }
    let fills = client
        .history()
        .fills(&GetFillHistory::new().market_type(MarketType::Spot))
        .await?;
    println!(
        "\n{} spot fills; last: {:?}",
        fills.len(),
        fills.first().map(|f| (
            f.side.as_str().to_owned(),
            f.quantity,
            f.price,
            f.fee,
            f.fee_symbol.as_str().to_owned()
        ))
    );
    fake.with_exchange(|exchange| exchange.check_invariants())
        .map_err(anyhow::Error::msg)?;
    println!("exchange invariants hold (assets conserved, locked = reserved, books uncrossed)");
    Ok(())
}
