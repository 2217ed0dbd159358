//! Cross-checks that do not go through our own code: the official Backpack client
//! (`bpx-api-client` / `bpx-api-types` 0.23) shares nothing with `backpack-sdk` or the
//! testkit's simulator.
//!
//! - Every order shape `backpack-sdk` can send serialises to the same JSON body the official
//!   types produce for that order (field names, enum spellings, decimals as strings, absent
//!   fields absent).
//! - The official client signs its own requests and decodes the answers with its own types:
//!   against the fake, every endpoint it has succeeds (so the fake verifies the official
//!   signatures, batch included, and answers in shapes the official types accept), and a
//!   request signed with another key is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use std::str::FromStr;

use backpack_sdk::client::Clock;
use backpack_sdk::model::{
    ClientOrderId, OrderExecutePayload, SelfTradePrevention, Side, SlippageToleranceType,
    TimeInForce, TriggerBy, TriggerQuantity,
};
use backpack_sdk::spec::{MarginFlags, OrderSpec};
use bpx_api_client::BpxClient;
use bpx_api_client::types::order as bpx;
use rust_decimal::Decimal;
use testkit::backpack::{FakeBackpack, KeyPair};

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn p<T: FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    text.parse().unwrap()
}

/// The official payload with only the fields every order has.
fn official(symbol: &str, side: bpx::Side, order_type: bpx::OrderType) -> bpx::ExecuteOrderPayload {
    bpx::ExecuteOrderPayload {
        symbol: symbol.into(),
        side,
        order_type,
        ..Default::default()
    }
}

/// Each order shape: ours, and the same order written with the official types.
fn shapes() -> Vec<(&'static str, OrderSpec, bpx::ExecuteOrderPayload)> {
    let mut shapes = Vec::new();

    let ours = OrderSpec::limit("SOL_USDC", Side::Bid, p("150.25"), p("0.50"))
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC", bpx::Side::Bid, bpx::OrderType::Limit);
    theirs.price = Some(d("150.25"));
    theirs.quantity = Some(d("0.50"));
    theirs.time_in_force = Some(bpx::TimeInForce::GTC);
    shapes.push(("limit", ours, theirs));

    let ours = OrderSpec::limit("SOL_USDC", Side::Ask, p("160"), p("2"))
        .post_only(true)
        .client_id(ClientOrderId(4_000_000_000))
        .self_trade_prevention(SelfTradePrevention::RejectBoth)
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC", bpx::Side::Ask, bpx::OrderType::Limit);
    theirs.price = Some(d("160"));
    theirs.quantity = Some(d("2"));
    theirs.time_in_force = Some(bpx::TimeInForce::GTC);
    theirs.post_only = Some(true);
    theirs.client_id = Some(4_000_000_000);
    theirs.self_trade_prevention = Some(bpx::SelfTradePrevention::RejectBoth);
    shapes.push(("post-only limit with client id and STP", ours, theirs));

    for (name, tif, their_tif) in [
        ("IOC limit", TimeInForce::Ioc, bpx::TimeInForce::IOC),
        ("FOK limit", TimeInForce::Fok, bpx::TimeInForce::FOK),
    ] {
        let ours = OrderSpec::limit("BTC_USDC", Side::Bid, p("60000.5"), p("0.001"))
            .time_in_force(tif)
            .build()
            .unwrap();
        let mut theirs = official("BTC_USDC", bpx::Side::Bid, bpx::OrderType::Limit);
        theirs.price = Some(d("60000.5"));
        theirs.quantity = Some(d("0.001"));
        theirs.time_in_force = Some(their_tif);
        shapes.push((name, ours, theirs));
    }

    let ours = OrderSpec::market("SOL_USDC", Side::Ask, p("1.5"))
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC", bpx::Side::Ask, bpx::OrderType::Market);
    theirs.quantity = Some(d("1.5"));
    shapes.push(("market, base quantity", ours, theirs));

    let ours = OrderSpec::market_quote("SOL_USDC", Side::Bid, p("250.75"))
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC", bpx::Side::Bid, bpx::OrderType::Market);
    theirs.quote_quantity = Some(d("250.75"));
    shapes.push(("market, quote quantity", ours, theirs));

    let ours = OrderSpec::market("SOL_USDC_PERP", Side::Ask, p("3"))
        .reduce_only(true)
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC_PERP", bpx::Side::Ask, bpx::OrderType::Market);
    theirs.quantity = Some(d("3"));
    theirs.reduce_only = Some(true);
    shapes.push(("reduce-only perp market", ours, theirs));

    let ours = OrderSpec::market("SOL_USDC_PERP", Side::Bid, p("1"))
        .trigger(p("170"), TriggerQuantity::Amount(p("1")))
        .trigger_by(TriggerBy::MarkPrice)
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC_PERP", bpx::Side::Bid, bpx::OrderType::Market);
    theirs.quantity = Some(d("1"));
    theirs.trigger_price = Some(d("170"));
    theirs.trigger_quantity = Some(bpx::TriggerQuantity::Amount(d("1")));
    theirs.trigger_by = Some(bpx::TriggerBy::MarkPrice);
    shapes.push(("stop market on the mark price", ours, theirs));

    let ours = OrderSpec::limit("SOL_USDC_PERP", Side::Ask, p("140"), p("2"))
        .trigger(p("141"), TriggerQuantity::Percent(p("50")))
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC_PERP", bpx::Side::Ask, bpx::OrderType::Limit);
    theirs.price = Some(d("140"));
    theirs.quantity = Some(d("2"));
    theirs.time_in_force = Some(bpx::TimeInForce::GTC);
    theirs.trigger_price = Some(d("141"));
    theirs.trigger_quantity = Some(bpx::TriggerQuantity::Percent(d("50")));
    shapes.push(("stop limit for a percentage", ours, theirs));

    let ours = OrderSpec::limit("SOL_USDC_PERP", Side::Bid, p("150"), p("1"))
        .take_profit(p("170"), Some(p("169.5")))
        .take_profit_trigger_by(TriggerBy::LastPrice)
        .stop_loss(p("140"), None)
        .stop_loss_trigger_by(TriggerBy::IndexPrice)
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC_PERP", bpx::Side::Bid, bpx::OrderType::Limit);
    theirs.price = Some(d("150"));
    theirs.quantity = Some(d("1"));
    theirs.time_in_force = Some(bpx::TimeInForce::GTC);
    theirs.take_profit_trigger_price = Some(d("170"));
    theirs.take_profit_limit_price = Some(d("169.5"));
    theirs.take_profit_trigger_by = Some(bpx::TriggerBy::LastPrice);
    theirs.stop_loss_trigger_price = Some(d("140"));
    theirs.stop_loss_trigger_by = Some(bpx::TriggerBy::IndexPrice);
    shapes.push(("limit with take-profit and stop-loss", ours, theirs));

    let ours = OrderSpec::market("SOL_USDC", Side::Bid, p("2"))
        .slippage(p("0.5"), SlippageToleranceType::Percent)
        .margin(MarginFlags {
            auto_borrow: Some(true),
            auto_borrow_repay: Some(false),
            auto_lend: Some(true),
            auto_lend_redeem: Some(true),
        })
        .build()
        .unwrap();
    let mut theirs = official("SOL_USDC", bpx::Side::Bid, bpx::OrderType::Market);
    theirs.quantity = Some(d("2"));
    theirs.slippage_tolerance = Some(d("0.5"));
    theirs.slippage_tolerance_type = Some(bpx::SlippageToleranceType::Percent);
    theirs.auto_borrow = Some(true);
    theirs.auto_borrow_repay = Some(false);
    theirs.auto_lend = Some(true);
    theirs.auto_lend_redeem = Some(true);
    shapes.push(("market with slippage and margin flags", ours, theirs));

    shapes
}

#[test]
fn every_order_shape_serialises_like_the_official_types() {
    for (name, ours, theirs) in shapes() {
        let ours = serde_json::to_value(OrderExecutePayload::from(&ours)).unwrap();
        let theirs = serde_json::to_value(&theirs).unwrap();
        assert_eq!(
            ours, theirs,
            "{name}: our body differs from the official one"
        );
        // Decimals travel as strings on both sides.
        for (key, value) in ours.as_object().unwrap() {
            assert!(!value.is_f64(), "{name}: {key} is a float");
        }
    }
}

fn official_client(fake: &FakeBackpack, secret: &str) -> BpxClient {
    BpxClient::builder()
        .base_url(fake.uri())
        .secret(secret)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_official_client_is_served_by_the_fake() {
    let fake = FakeBackpack::start().await;
    let client = official_client(&fake, &fake.keys().api_secret());

    // Public data, decoded by the official types.
    let markets = client.get_markets().await.unwrap();
    assert!(markets.iter().any(|m| m.symbol == "SOL_USDC_PERP"));
    client.get_assets().await.unwrap();
    client.get_ticker("SOL_USDC").await.unwrap();
    client.get_tickers().await.unwrap();
    let depth = client.get_order_book_depth("SOL_USDC", None).await.unwrap();
    assert!(!depth.asks.is_empty() && !depth.bids.is_empty());
    client
        .get_recent_trades("SOL_USDC", Some(10))
        .await
        .unwrap();
    client.get_all_mark_prices().await.unwrap();
    let now_secs = i64::try_from(fake.clock().now_ms() / 1_000).unwrap();
    client
        .get_k_lines("SOL_USDC", "1m", now_secs - 3_600, None)
        .await
        .unwrap();
    client
        .get_funding_interval_rates("SOL_USDC_PERP")
        .await
        .unwrap();

    // Signed reads: the fake verifies the official signatures.
    let balances = client.get_balances().await.unwrap();
    assert_eq!(balances["USDC"].available, d("100000"));
    client.get_account().await.unwrap();
    client.get_collateral().await.unwrap();
    client
        .get_account_max_order(bpx_api_client::types::account::MaxOrderQuery::new(
            "SOL_USDC",
            bpx::Side::Bid,
        ))
        .await
        .unwrap();

    // Orders: one resting, one batch, a perp position, then cancels and history.
    let mut resting = official("SOL_USDC", bpx::Side::Bid, bpx::OrderType::Limit);
    resting.price = Some(d("100"));
    resting.quantity = Some(d("1"));
    resting.client_id = Some(77);
    let order = client.execute_order(resting).await.unwrap();
    let open = client
        .get_open_order("SOL_USDC", None, Some(77))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&open).unwrap()["id"],
        serde_json::to_value(&order).unwrap()["id"]
    );
    let mut batch = Vec::new();
    for price in ["101", "102"] {
        let mut item = official("SOL_USDC", bpx::Side::Bid, bpx::OrderType::Limit);
        item.price = Some(d(price));
        item.quantity = Some(d("0.5"));
        batch.push(item);
    }
    assert_eq!(client.execute_orders(batch).await.unwrap().len(), 2);
    assert_eq!(
        client
            .get_open_orders(Some("SOL_USDC"))
            .await
            .unwrap()
            .len(),
        3
    );
    let mut perp = official("SOL_USDC_PERP", bpx::Side::Bid, bpx::OrderType::Market);
    perp.quantity = Some(d("1"));
    client.execute_order(perp).await.unwrap();
    let positions = client.get_open_future_positions().await.unwrap();
    assert_eq!(positions.len(), 1);
    client.get_borrow_lend_positions().await.unwrap();
    client
        .cancel_order("SOL_USDC", None, Some(77))
        .await
        .unwrap();
    let cancelled = client
        .cancel_open_orders(bpx::CancelOpenOrdersPayload {
            symbol: "SOL_USDC".into(),
        })
        .await
        .unwrap();
    assert_eq!(cancelled.len(), 2);
    let fills = client
        .get_historical_fills(Default::default())
        .await
        .unwrap();
    assert!(!fills.is_empty(), "the perp market order filled");

    // Every request the fake received carried the official client's signature headers.
    let requests = fake.received_requests().await;
    assert!(
        requests
            .iter()
            .filter(|r| r.instruction().is_some())
            .all(|r| r.header("x-signature").is_some())
    );
}

#[tokio::test]
async fn a_request_signed_by_a_key_the_fake_does_not_know_is_refused() {
    let fake = FakeBackpack::start().await;
    let stranger = KeyPair::from_seed(&[3; 32]);
    let client = official_client(&fake, &stranger.api_secret());
    let error = client.get_balances().await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("401")
            || text.to_lowercase().contains("unauthorized")
            || text.contains("API key"),
        "{text}"
    );
    // The refusal is about the key: the same call with the account's own key is served.
    let owner = official_client(&fake, &fake.keys().api_secret());
    owner.get_balances().await.unwrap();
}
