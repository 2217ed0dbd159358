//! Paper trading on live prices, with the fake as the exchange: the paper books follow the
//! fake's, orders fill only when the fed market reaches them, balances and positions move
//! as in the simulator, and the exchange never receives an order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use std::time::Duration;

use backpack_sdk::Client;
use backpack_sdk::model::{OrderStatus, Side};
use backpack_sdk::spec::OrderSpec;
use testkit::backpack::{FakeBackpack, PaperExchange, PaperSettings, StreamSettings};
use testkit::engine::ExchangeConfig;

const WAIT: Duration = Duration::from_secs(10);

/// The fake as the exchange, its prices still (no random walk) so the test decides when
/// the market reaches an order.
async fn exchange() -> FakeBackpack {
    let mut config = ExchangeConfig::default();
    for market in &mut config.markets {
        market.volatility_bps = 0;
    }
    FakeBackpack::builder()
        .exchange(config)
        .streams(StreamSettings {
            tick: Duration::from_millis(5),
            ..StreamSettings::default()
        })
        .start()
        .await
}

async fn paper(fake: &FakeBackpack) -> PaperExchange {
    let source = Client::builder().base_url(fake.uri()).build().unwrap();
    let mut paper = PaperExchange::start(
        source,
        &fake.ws_url(),
        PaperSettings {
            symbols: vec!["SOL_USDC".into(), "SOL_USDC_PERP".into()],
            balances: vec![("USDC".into(), "50000".into())],
        },
    )
    .await
    .unwrap();
    assert!(paper.wait_synced(WAIT).await, "{:?}", paper.status());
    paper
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_fill_against_the_fed_book_and_never_reach_the_exchange() {
    let fake = exchange().await;
    let paper = paper(&fake).await;
    let client = paper.client_builder().build().unwrap();

    // Market data is the exchange's.
    let real = fake.client_builder().build().unwrap();
    let depth = real.markets().depth("SOL_USDC", None).await.unwrap();
    let (best_bid, best_ask) = (
        depth.best_bid().unwrap().price(),
        depth.best_ask().unwrap().price(),
    );

    // A market buy fills at the fed asks.
    let buy = OrderSpec::market("SOL_USDC", Side::Bid, "2".parse().unwrap())
        .build()
        .unwrap();
    let bought = client.orders().place(&buy).await.unwrap();
    assert_eq!(bought.status, OrderStatus::Filled, "{bought:?}");
    let average = bought.executed_quote_quantity.value() / bought.executed_quantity.value();
    let spread = best_ask.value() - best_bid.value();
    assert!(
        (average - best_ask.value()).abs() <= spread * rust_decimal::Decimal::from(20),
        "filled at {average}, the exchange's ask was {best_ask}"
    );
    let balances = client.account().balances().await.unwrap();
    assert!(balances.get("SOL").available.value() > 1.into());
    assert!(balances.get("USDC").available.value() < 50_000.into());

    // A bid inside the exchange's spread rests until an ask on the exchange comes to it.
    let price = best_bid.value() + rust_decimal::Decimal::new(3, 2);
    let bid = OrderSpec::limit("SOL_USDC", Side::Bid, price.into(), "1".parse().unwrap())
        .build()
        .unwrap();
    let resting = client.orders().place(&bid).await.unwrap();
    assert_eq!(resting.status, OrderStatus::New);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let open = client
        .orders()
        .get("SOL_USDC", resting.id.clone())
        .await
        .unwrap();
    assert_eq!(
        open.status,
        OrderStatus::New,
        "filled before the market reached it"
    );
    let offer = OrderSpec::limit("SOL_USDC", Side::Ask, price.into(), "3".parse().unwrap())
        .post_only(true)
        .build()
        .unwrap();
    let offered = real.orders().place(&offer).await.unwrap();
    assert_eq!(offered.status, OrderStatus::New);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let history = client.history().orders(&Default::default()).await.unwrap();
        if history
            .iter()
            .any(|o| o.id == resting.id && o.status == OrderStatus::Filled)
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the paper bid never filled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The paper fill did not touch the exchange's order.
    let theirs = real
        .orders()
        .get("SOL_USDC", offered.id.clone())
        .await
        .unwrap();
    assert_eq!(theirs.executed_quantity.value(), 0.into());

    // A perp position opens in the paper account.
    let long = OrderSpec::market("SOL_USDC_PERP", Side::Bid, "1".parse().unwrap())
        .build()
        .unwrap();
    client.orders().place(&long).await.unwrap();
    let positions = client.account().positions(None).await.unwrap();
    assert!(
        positions
            .iter()
            .any(|p| p.symbol.as_str() == "SOL_USDC_PERP")
    );

    // The exchange saw the paper session's market-data reads and nothing signed by it.
    let paper_key = paper.simulator().keys().api_key();
    for request in fake.received_requests().await {
        assert_ne!(
            request.header("x-api-key"),
            Some(paper_key.as_str()),
            "{request:?}"
        );
        if request.method() != "GET" {
            assert_eq!(
                request.header("x-api-key"),
                Some(fake.keys().api_key().as_str())
            );
        }
    }
}
