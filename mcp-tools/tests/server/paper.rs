//! Backpack paper trading on live prices, with the fake as the exchange: `status` names the
//! mode, orders go through the same tools and gates and fill in this process, and the
//! exchange receives no order and no signed request.

use std::time::Duration;

use mcp_tools::{BackpackConnection, PaperSource};
use serde_json::json;
use testkit::backpack::{FakeBackpack, PaperSettings};
use testkit::engine::ExchangeConfig;

use super::{place, start_adjusted};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_orders_fill_on_live_prices_and_never_reach_the_exchange() {
    let mut still = ExchangeConfig::default();
    for market in &mut still.markets {
        market.volatility_bps = 0;
    }
    let exchange = FakeBackpack::builder().exchange(still).start().await;
    let source = PaperSource {
        rest: backpack_sdk::Client::builder().base_url(exchange.uri()),
        ws_url: exchange.ws_url(),
        settings: PaperSettings {
            symbols: vec!["SOL_USDC".into()],
            balances: vec![("USDC".into(), "20000".into())],
        },
    };
    let h = start_adjusted(|config| {
        config.backpack_connection = BackpackConnection::Paper(Box::new(source));
    })
    .await;

    // Healthy once the paper book is in sync with the exchange's.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = h.ok("status", json!({})).await;
        let backpack = status["venues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["venue"] == "backpack")
            .unwrap()
            .clone();
        assert_eq!(backpack["mode"], "paper, live prices");
        if backpack["health"]["healthy"] == true {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{backpack}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Market data is the exchange's own.
    let ticker = h
        .ok("backpack_get_ticker", json!({ "symbol": "SOL_USDC" }))
        .await;
    assert!(ticker["lastPrice"].is_string(), "{ticker}");

    // An order goes through preview, token and journal, and fills in this process.
    let order =
        json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "1.5" });
    let placed = place(&h, order).await;
    assert_eq!(placed["order"]["status"], "Filled", "{placed}");
    let journal = h.journal();
    assert!(
        journal
            .iter()
            .any(|line| line["mode"] == "paper, live prices"),
        "{journal:?}"
    );
    let balances = h.ok("backpack_get_balances", json!({})).await;
    assert!(balances.to_string().contains("SOL"), "{balances}");

    for request in exchange.received_requests().await {
        assert_eq!(request.method(), "GET", "{request:?}");
        assert_eq!(request.header("x-signature"), None, "{request:?}");
    }
}
