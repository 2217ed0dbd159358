//! Lists, creates, cancels and watches orders.
//!
//! ```text
//! export BACKPACK_BASE_URL=http://127.0.0.1:9100 BACKPACK_API_SECRET=<base64 seed>
//! cargo run -p examples --bin backpack-orders -- list [--symbol SOL_USDC]
//! cargo run -p examples --bin backpack-orders -- create SOL_USDC bid 0.5 --price 150
//! cargo run -p examples --bin backpack-orders -- cancel SOL_USDC 4200000123
//! cargo run -p examples --bin backpack-orders -- watch SOL_USDC bid 1 --below 0.2
//! ```
//!
//! Against the real exchange these place real orders: `create` and `watch` say what they
//! will send and validate it against the market's rules first.

#![allow(clippy::print_stdout)] // an example prints its results

use std::time::Duration;

use anyhow::{Context, bail};
use backpack_sdk::Client;
use backpack_sdk::client::Reconciled;
use backpack_sdk::model::{ClientOrderId, Order, OrderId, Price, Quantity, Side, Symbol};
use backpack_sdk::spec::OrderSpec;
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "backpack-orders")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SideArg {
    Bid,
    Ask,
}

impl From<SideArg> for Side {
    fn from(side: SideArg) -> Side {
        match side {
            SideArg::Bid => Side::Bid,
            SideArg::Ask => Side::Ask,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lists open orders.
    List {
        /// Only this market.
        #[arg(long)]
        symbol: Option<String>,
    },
    /// Places an order: limit with --price, else market.
    Create {
        /// Market, e.g. SOL_USDC.
        symbol: String,
        /// bid (buy) or ask (sell).
        side: SideArg,
        /// Base quantity.
        quantity: String,
        /// Limit price; omit for a market order.
        #[arg(long)]
        price: Option<String>,
    },
    /// Cancels an open order by id.
    Cancel {
        /// Market.
        symbol: String,
        /// Order id.
        order_id: String,
    },
    /// Places a limit order a little away from the market and waits until it fills.
    Watch {
        /// Market.
        symbol: String,
        /// bid (buy) or ask (sell).
        side: SideArg,
        /// Base quantity.
        quantity: String,
        /// Distance from the mid price, in percent (bids below, asks above).
        #[arg(long, default_value = "0.2")]
        below: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
}

fn show(order: &Order) {
    println!(
        "{:<12} {:<14} {:<4} {:<6} {:>10} @ {:<10} filled {:>10} {:?}",
        order.id.as_str(),
        order.symbol.as_str(),
        order.side.as_str(),
        order.order_type.as_str(),
        order.quantity.map(|q| q.to_string()).unwrap_or_default(),
        order
            .price
            .map(|p| p.to_string())
            .unwrap_or_else(|| "market".into()),
        order.executed_quantity.to_string(),
        order.status
    );
}

/// Validates an order and fits it to the market's tick and step sizes, printing changes.
async fn prepare(client: &Client, spec: OrderSpec) -> anyhow::Result<OrderSpec> {
    let market = client.markets().get(spec.symbol().clone()).await?;
    let fitted = spec.fit_to(&market, None)?;
    for adjustment in &fitted.adjustments {
        println!(
            "adjusted {}: {} -> {} ({})",
            adjustment.field, adjustment.from, adjustment.to, adjustment.reason
        );
    }
    Ok(fitted.spec)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = Client::from_env()?;
    if !client.has_credentials() {
        bail!("set BACKPACK_API_SECRET (base64 ED25519 seed)");
    }
    client.sync_clock().await?;
    match args.command {
        Command::List { symbol } => {
            let orders = client
                .orders()
                .list_open(symbol.map(Symbol::from), None)
                .await?;
            println!("{} open orders", orders.len());
            orders.iter().for_each(show);
        }
        Command::Create {
            symbol,
            side,
            quantity,
            price,
        } => {
            let quantity: Quantity = quantity.parse().context("quantity")?;
            let spec = match price {
                Some(price) => OrderSpec::limit(
                    symbol,
                    side.into(),
                    price.parse().context("price")?,
                    quantity,
                ),
                None => OrderSpec::market(symbol, side.into(), quantity),
            }
            .build()?;
            let spec = prepare(&client, spec).await?;
            show(&client.orders().place(&spec).await?);
        }
        Command::Cancel { symbol, order_id } => {
            match client
                .orders()
                .cancel(symbol, OrderId::new(order_id))
                .await?
            {
                backpack_sdk::model::CancelOutcome::Cancelled(order) => show(&order),
                backpack_sdk::model::CancelOutcome::Accepted => {
                    println!("cancel accepted; check again shortly")
                }
            }
        }
        Command::Watch {
            symbol,
            side,
            quantity,
            below,
            timeout,
        } => {
            let side: Side = side.into();
            let depth = client.markets().depth(symbol.clone(), None).await?;
            let (bid, ask) = (
                depth.best_bid().context("no bids")?,
                depth.best_ask().context("no asks")?,
            );
            let mid = (bid.price().value() + ask.price().value()) / rust_decimal::Decimal::TWO;
            let distance: rust_decimal::Decimal =
                below.parse::<rust_decimal::Decimal>().context("--below")?
                    / rust_decimal::Decimal::ONE_HUNDRED;
            let target = match side {
                Side::Ask => mid * (rust_decimal::Decimal::ONE + distance),
                _ => mid * (rust_decimal::Decimal::ONE - distance),
            };
            let client_id = ClientOrderId(std::process::id());
            let spec = OrderSpec::limit(
                symbol.clone(),
                side,
                Price::new(target),
                quantity.parse().context("quantity")?,
            )
            .client_id(client_id)
            .build()?;
            let spec = prepare(&client, spec).await?;
            let placed = client.orders().place(&spec).await?;
            print!("placed ");
            show(&placed);
            let started = std::time::Instant::now();
            loop {
                match client.orders().reconcile(symbol.clone(), client_id).await? {
                    Reconciled::Open(order) => {
                        print!("{:>4}s ", started.elapsed().as_secs());
                        show(&order);
                    }
                    Reconciled::Finished(order) => {
                        println!(
                            "finished: {:?}, filled {} at {}",
                            order.status,
                            order.executed_quantity.unwrap_or_default(),
                            order
                                .average_fill_price()
                                .map(|p| p.to_string())
                                .unwrap_or_default()
                        );
                        break;
                    }
                    Reconciled::NotFound => bail!("the order disappeared"),
                }
                if started.elapsed() > Duration::from_secs(timeout) {
                    client.orders().cancel(symbol, placed.id).await?;
                    println!("timed out; cancelled");
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    Ok(())
}
