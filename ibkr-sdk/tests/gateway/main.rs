//! `ibkr-sdk` end to end: the real `ibapi` 5.5 client against the fake TWS gateway of
//! `testkit`, on 127.0.0.1 and an ephemeral port.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

mod account;
mod connection;
mod contracts;
mod market_data;
mod orders;
mod recovery;
mod safety;
mod sets;
mod streams;

use std::time::Duration;

use ibkr_sdk::{Config, IbkrClient};
use rust_decimal::Decimal;
use testkit::tws::FakeTws;

/// A paper configuration for `fake`, with short timeouts.
pub fn config(fake: &FakeTws, orders_enabled: bool) -> Config {
    let mut config = Config::paper("127.0.0.1", fake.address().port());
    config.orders_enabled = orders_enabled;
    config.connect_timeout = Duration::from_secs(3);
    config.request_timeout = Duration::from_secs(3);
    config
}

/// A client connected to `fake`.
pub async fn connect(fake: &FakeTws, orders_enabled: bool) -> IbkrClient {
    IbkrClient::connect(config(fake, orders_enabled))
        .await
        .expect("connect to the fake")
}

/// A fake gateway and a client with orders enabled.
pub async fn trading() -> (FakeTws, IbkrClient) {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    (fake, client)
}

/// A decimal from text.
pub fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// The fake's AAPL contract id.
pub const AAPL: i32 = 265_598;

/// Polls `check` until it holds or `within` passes.
pub async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}
