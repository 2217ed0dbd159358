//! Public market data through the client.

use std::sync::Arc;

use backpack_sdk::Client;
use backpack_sdk::api::public::{GetKlines, GetMarkPrices};
use backpack_sdk::client::ManualClock;
use backpack_sdk::model::*;
use backpack_sdk::spec::OrderSpec;

use testkit::backpack::FakeBackpack;

use super::common::{d, setup, setup_with};

#[tokio::test]
async fn status_ping_time_and_assets() {
    let (fake, _) = setup().await;
    // Public endpoints need no keys.
    let client = Client::builder().base_url(fake.uri()).build().unwrap();
    assert_eq!(
        client.markets().status().await.unwrap().status,
        ExchangeStatus::Ok
    );
    client.markets().ping().await.unwrap();
    let server = client.markets().time().await.unwrap();
    let local = chrono::Utc::now().timestamp_millis();
    assert!((server.as_millis() - local).abs() < 5_000);
    let assets = client.markets().assets().await.unwrap();
    assert!(assets.iter().any(|a| a.symbol == "USDC"));
}

#[tokio::test]
async fn markets_filters_and_unknown_symbols() {
    let (_fake, client) = setup().await;
    let markets = client.markets().list(None).await.unwrap();
    assert_eq!(markets.len(), 5);
    let perps = client.markets().list(Some(MarketType::Perp)).await.unwrap();
    assert_eq!(perps.len(), 2);
    assert!(
        perps
            .iter()
            .all(|m| m.symbol.looks_like_perp() && m.funding_interval.is_some())
    );
    let sol = client.markets().get("SOL_USDC").await.unwrap();
    assert_eq!(sol.filters.price.tick_size, "0.01".parse().unwrap());
    assert_eq!(sol.filters.quantity.step_size, "0.01".parse().unwrap());
    let error = client.markets().get("NOPE_USDC").await.unwrap_err();
    assert_eq!(error.api_error().unwrap().status, 400);
    assert_eq!(error.api_code(), Some(&ApiErrorCode::InvalidClientRequest));
    assert_eq!(error.outcome(), backpack_sdk::Outcome::Rejected);
}

#[tokio::test]
async fn depth_comes_ascending_and_best_levels_are_right() {
    let (_fake, client) = setup().await;
    let depth = client
        .markets()
        .depth("SOL_USDC", Some(DepthLimit::L5))
        .await
        .unwrap();
    assert_eq!(depth.bids.len(), 5);
    assert_eq!(depth.asks.len(), 5);
    assert!(
        depth.bids.windows(2).all(|w| w[0].price() < w[1].price()),
        "bids ascending"
    );
    let (bid, ask) = (depth.best_bid().unwrap(), depth.best_ask().unwrap());
    assert_eq!(bid, *depth.bids.last().unwrap());
    assert!(bid.price() < ask.price());
}

#[tokio::test]
async fn tickers_trades_klines_marks_funding_open_interest() {
    // A stopped clock: the simulated market must not move between the two mark-price reads.
    let now = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
    let (_fake, client) =
        setup_with(FakeBackpack::builder().clock(Arc::new(ManualClock::new(now)))).await;
    let order = OrderSpec::market("SOL_USDC", Side::Bid, d("2").into())
        .build()
        .unwrap();
    client.orders().place(&order).await.unwrap();
    let ticker = client.markets().ticker("SOL_USDC", None).await.unwrap();
    assert!(ticker.trades >= 1);
    assert!(ticker.volume.is_positive());
    assert_eq!(
        client
            .markets()
            .tickers(Some(TickerInterval::OneWeek))
            .await
            .unwrap()
            .len(),
        5
    );
    let trades = client
        .markets()
        .recent_trades("SOL_USDC", Some(10))
        .await
        .unwrap();
    assert!(!trades.is_empty() && trades.iter().all(|t| !t.is_buyer_maker));
    let page = client
        .markets()
        .trade_history("SOL_USDC", Some(1), Some(0))
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    let start = Timestamp::from_secs(chrono::Utc::now().timestamp() - 3_600);
    let klines = client
        .markets()
        .klines(&GetKlines::new("SOL_USDC", KlineInterval::OneMinute, start))
        .await
        .unwrap();
    assert!(klines.iter().any(|k| k.trades >= 1 && k.close.is_some()));
    let marks = client
        .markets()
        .mark_prices(&GetMarkPrices::default())
        .await
        .unwrap();
    assert_eq!(marks.len(), 2);
    let one = client
        .markets()
        .mark_prices(&GetMarkPrices {
            symbol: Some("BTC_USDC_PERP".into()),
            market_type: None,
        })
        .await
        .unwrap();
    assert_eq!(
        one[0].mark_price,
        marks
            .iter()
            .find(|m| m.symbol == "BTC_USDC_PERP")
            .unwrap()
            .mark_price
    );
    assert!(
        client
            .markets()
            .funding_rates("SOL_USDC_PERP", Some(10), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(client.markets().open_interest(None).await.unwrap().len(), 2);
}

#[tokio::test]
async fn bad_parameters_get_the_exchanges_plain_text_error() {
    let (fake, _client) = setup().await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!(
            "{}/api/v1/depth?symbol=SOL_USDC&limit=7",
            fake.uri()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .starts_with("failed to parse parameter `limit`")
    );
}
