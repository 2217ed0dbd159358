//! A typed async layer over [`ibapi`] 5.5 for Interactive Brokers (TWS / IB Gateway):
//! contracts, quotes, bars, account, orders, with safety rails that make a live order
//! impossible by accident.
//!
//! # Quick start
//!
//! ```no_run
//! use ibkr_sdk::{Action, Config, ContractSpec, IbkrClient, OrderSpec};
//!
//! # async fn run() -> Result<(), ibkr_sdk::Error> {
//! // IBKR_GATEWAY_HOST/PORT, IBKR_CLIENT_ID, TRADING_MODE (paper), ORDERS_ENABLED (false).
//! let client = IbkrClient::connect(Config::from_env()?).await?;
//! println!("{:?}", client.healthcheck().await?);
//!
//! let aapl = ContractSpec::stock("AAPL");
//! let quote = client.market_data().quote(&aapl).await?;
//! println!("AAPL bid {:?} ask {:?} ({:?})", quote.bid, quote.ask, quote.source);
//!
//! for (con_id, position) in client.account().positions().await? {
//!     println!("{con_id}: {} {} worth {:?}", position.quantity, position.symbol, position.market_value);
//! }
//!
//! let order = OrderSpec::limit(aapl, Action::Buy, 10.into(), "150.25".parse()?);
//! let preview = client.orders().preview(&order).await?; // IBKR what-if, or simulated
//! println!("notional {:?}, margin change {:?}", preview.notional, preview.initial_margin_change);
//! match client.orders().place(&order).await {
//!     Ok(placed) => println!("order {} is {}", placed.order_id, placed.status),
//!     Err(ibkr_sdk::Error::TradingDisabled) => println!("set ORDERS_ENABLED=true to trade"),
//!     Err(error) => println!("{error} (outcome: {:?})", error.outcome()),
//! }
//! # Ok(()) }
//! ```
//!
//! # What is in the crate
//!
//! - [`Config`]: from code or the environment, with the safety rails (see [`config`]).
//! - [`IbkrClient`]: connects within a timeout, checks the account against the trading
//!   mode, bounds every request by a timeout, reports its health. Its handlers:
//!   [`contracts`](IbkrClient::contracts) (symbol specs to contracts, front-month futures,
//!   cached), [`market_data`](IbkrClient::market_data) (quotes with delayed fallback, bars
//!   from human inputs such as `"5 min"` and `"1 W"`), [`account`](IbkrClient::account)
//!   (summary, positions by contract id, PnL), [`orders`](IbkrClient::orders) (preview,
//!   dry run, place, brackets, OCA groups, cancel, status).
//! - Recovery ([`connection`]): after a gateway restart, a dropped socket or "client id in
//!   use" the client opens a new session by itself (every 250 ms to 2 s, forever), checks
//!   the account and mode again, and reads back the orders it was following; meanwhile
//!   calls fail at once with [`Error::NotConnected`]. [`IbkrClient::connection`],
//!   [`IbkrClient::wait_connected`].
//! - Live streams ([`streams`]): quotes, 5-second bars, tick-by-tick, depth, positions,
//!   PnL and [`IbkrClient::order_updates`], resubscribed after every reconnect with the gap
//!   announced ([`StreamEvent`]). [`Config::live_quotes`] keeps asked-for quotes live.
//! - Money is [`Price`], [`Quantity`], [`Money`]: `rust_decimal` newtypes that travel as
//!   strings. `ibapi` speaks `f64`; every value crosses in one checked place, and an order
//!   price a double cannot carry exactly is refused rather than rounded.
//!
//! # Safety rails
//!
//! - Paper by default; orders **disabled** by default (`ORDERS_ENABLED=false`). While
//!   disabled, every call that would send an order returns [`Error::TradingDisabled`]
//!   before any contact with the gateway, and [`Orders::preview`] answers with a local
//!   simulation instead of IBKR's what-if (which is an order message).
//! - Live trading with orders enabled needs an acknowledgement a person creates on
//!   purpose ([`LIVE_ACK_PHRASE`] in the file `IBKR_LIVE_ACK_FILE`); without it the
//!   configuration is refused.
//! - The account must match the mode: paper accounts start with `DU`.
//! - Optional limits, checked before sending: max notional per order, max quantity per
//!   symbol, a symbol allow-list.
//!
//! # Errors
//!
//! One [`Error`] type. For order calls, [`Error::outcome`] says whether the order was
//! never sent, was refused, or may be working ([`Error::OutcomeUnknown`]: look it up with
//! [`Orders::status`] before sending it again).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod boundary;

pub mod account;
pub mod clock {
    //! The injectable clock (shared with the rest of the toolkit through `trading-core`):
    //! set [`Config::clock`](crate::Config::clock) to fix "now" in tests.
    pub use trading_core::clock::{Clock, ManualClock, SharedClock, SystemClock};
}
pub mod client;
pub mod config;
pub mod connection;
pub mod contracts;
pub mod error;
pub mod market_data;
pub mod money;
pub mod orders;
mod quote_cache;
pub mod streams;
mod timing;

pub use account::{AccountApi, AccountSummary, PnlReport, Position, SymbolPnl};
pub use client::{Health, IbkrClient, is_paper_account};
pub use config::{Config, LIVE_ACK_PHRASE, Limits, TradingMode};
pub use connection::LinkState;
pub use contracts::{ContractSpec, Contracts, ResolvedContract, Right, SecType};
pub use error::{Error, InvalidOrder, Outcome};
pub use market_data::{Bar, Bars, BarsRequest, DataSource, MarketData, Quote, WhatToShow};
pub use money::{ConId, Money, OrderId, ParseDecimalError, Price, Quantity};
pub use orders::{
    Action, BracketPlaced, BracketSpec, Entry, Fill, OcaPlaced, OrderChange, OrderReport,
    OrderRequest, OrderSpec, OrderStatus, OrderType, OrderTypeCode, OrderUpdate, OrderUpdates,
    Orders, Preview, PreviewSource, TimeInForce, Trail,
};
pub use streams::StreamEvent;

/// The crate README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
