//! The official client's WebSocket feature (`bpx-api-client` 0.23 `ws`) against the fake's
//! streams: it subscribes with its own code (signing the private subscription itself) and
//! decodes every stream the official types cover with those types. The official client
//! drops frames its types cannot read, so receiving one of each proves the fake's frames
//! decode.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use std::time::Duration;

use backpack_sdk::model::Side;
use backpack_sdk::spec::OrderSpec;
use bpx_api_client::BpxClient;
use bpx_api_client::types::markets::{
    KlineUpdate, MarkPriceUpdate, OrderBookDepthUpdate, TickerUpdate,
};
use bpx_api_client::types::order::{OrderUpdate, OrderUpdateType};
use bpx_api_client::types::trade::TradeUpdate;
use serde::de::DeserializeOwned;
use testkit::backpack::{FakeBackpack, StreamSettings};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

fn official(fake: &FakeBackpack) -> BpxClient {
    BpxClient::builder()
        .base_url(fake.uri())
        .ws_url(fake.ws_url())
        .secret(fake.keys().api_secret())
        .build()
        .unwrap()
}

/// Subscribes the official way (one connection per stream, as that client does).
fn watch<T: DeserializeOwned + Send + 'static>(
    fake: &FakeBackpack,
    stream: &'static str,
) -> mpsc::Receiver<T> {
    let client = official(fake);
    let (tx, rx) = mpsc::channel(1_000);
    tokio::spawn(async move {
        let _ = client.subscribe(stream, tx).await;
    });
    rx
}

async fn first<T>(rx: &mut mpsc::Receiver<T>, what: &str) -> T {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("the official client decoded no {what} within {WAIT:?}"))
        .unwrap_or_else(|| panic!("the official client's {what} stream ended"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_subscribes_and_decodes_every_stream_it_has_types_for() {
    let fake = FakeBackpack::builder()
        .streams(StreamSettings {
            tick: Duration::from_millis(5),
            periodic: Duration::from_millis(50),
            ..StreamSettings::default()
        })
        .start()
        .await;
    let mut book_ticker = watch::<TickerUpdate>(&fake, "bookTicker.SOL_USDC");
    let mut depth = watch::<OrderBookDepthUpdate>(&fake, "depth.SOL_USDC");
    let mut depth_200 = watch::<OrderBookDepthUpdate>(&fake, "depth.200ms.SOL_USDC");
    let mut kline = watch::<KlineUpdate>(&fake, "kline.1m.SOL_USDC");
    let mut mark = watch::<MarkPriceUpdate>(&fake, "markPrice.SOL_USDC_PERP");
    let mut trades = watch::<TradeUpdate>(&fake, "trade.SOL_USDC");
    let mut orders = watch::<OrderUpdate>(&fake, "account.orderUpdate");

    // Give the subscriptions time to reach the server (the exchange acknowledges nothing),
    // then trade: a limit order that rests, is cancelled, and a market order that fills.
    let deadline = tokio::time::Instant::now() + WAIT;
    while fake.stream_faults().connections_open() < 7 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the official client did not connect"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ours = fake.client_builder().build().unwrap();
    let resting = OrderSpec::limit(
        "SOL_USDC",
        Side::Bid,
        "100".parse().unwrap(),
        "1".parse().unwrap(),
    )
    .client_id(7)
    .build()
    .unwrap();
    let placed = ours.orders().place(&resting).await.unwrap();
    ours.orders().cancel("SOL_USDC", placed.id).await.unwrap();
    let taker = OrderSpec::market("SOL_USDC", Side::Bid, "2".parse().unwrap())
        .build()
        .unwrap();
    let filled = ours.orders().place(&taker).await.unwrap();

    let ticker = first(&mut book_ticker, "book ticker").await;
    assert!(ticker.bid_price < ticker.ask_price);
    let delta = first(&mut depth, "depth delta").await;
    assert!(delta.first_update_id <= delta.last_update_id);
    first(&mut depth_200, "200 ms depth delta").await;
    let candle = first(&mut kline, "kline").await;
    assert_eq!(candle.symbol, "SOL_USDC");
    first(&mut mark, "mark price").await;
    let trade = first(&mut trades, "trade").await;
    assert_eq!(trade.symbol, "SOL_USDC");

    let mut kinds = Vec::new();
    while !kinds
        .iter()
        .any(|(id, kind)| *id == filled.id.as_str() && matches!(kind, OrderUpdateType::OrderFill))
    {
        let update = first(&mut orders, "order update").await;
        kinds.push((update.order_id.clone(), update.event_type));
    }
    let accepted = kinds
        .iter()
        .filter(|(_, kind)| matches!(kind, OrderUpdateType::OrderAccepted))
        .count();
    let cancelled = kinds
        .iter()
        .filter(|(_, kind)| matches!(kind, OrderUpdateType::OrderCancelled))
        .count();
    assert!(accepted >= 2 && cancelled == 1, "{kinds:?}");
}
