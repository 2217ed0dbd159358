//! Orders whose answer is lost: the tool says the outcome is unknown (never "failed"), the
//! journal says `unknown`, the caps count the order, and the order is found by the id the
//! message gives.

use std::time::Duration;

use mcp_tools::BackpackConnection;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use testkit::backpack::{FakeBackpack, Fault};
use testkit::tws::{RequestKind, TwsFault};

use super::{Harness, preview, resting_buy, start, start_adjusted};

fn create(preview: &Value) -> Value {
    json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] })
}

fn caps_used(status: &Value, venue: &str) -> String {
    let venue = status["venues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["venue"] == venue)
        .unwrap();
    venue["caps"]["usedLast24h"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_backpack_order_whose_answer_is_lost_is_unknown_journaled_counted_and_found() {
    let exchange = FakeBackpack::builder().start().await;
    let h = start_adjusted(|config| {
        config.backpack.caps.max_daily_notional = Some(Decimal::from(10_000));
        config.backpack_connection =
            BackpackConnection::Exchange(Box::new(exchange.client_builder()));
    })
    .await;
    let p = preview(&h, resting_buy("1")).await;
    let client_id = p["order"]["clientId"].as_u64().unwrap();

    // The exchange takes the order, then the connection drops before the answer.
    exchange
        .inject(Fault::DropAfterProcessing.on("POST", "/api/v1/order"))
        .await;
    let message = h.refused("backpack_create_order", create(&p)).await;
    assert!(
        message.contains("OUTCOME UNKNOWN")
            && message.contains("backpack_get_order")
            && message.contains(&client_id.to_string()),
        "{message}"
    );

    let journal = h.journal();
    let result = journal.last().unwrap();
    assert_eq!(
        (result["phase"].as_str(), result["outcome"].as_str()),
        (Some("result"), Some("unknown"))
    );
    let status = h.ok("status", json!({})).await;
    assert_eq!(
        caps_used(&status, "backpack"),
        "100",
        "an order that may exist counts against the cap"
    );

    // It is there: found by its client id, and it must not be sent again.
    let found = h
        .ok(
            "backpack_get_order",
            json!({ "symbol": "SOL_USDC", "clientId": client_id }),
        )
        .await;
    assert_eq!(found["open"]["status"], "New", "{found}");
    assert_eq!(h.ok("backpack_list_orders", json!({})).await["count"], 1);
}

#[tokio::test]
async fn an_ibkr_order_whose_answer_is_lost_is_unknown_and_found_by_its_id() {
    let h: Harness<()> = start().await;
    let venue = h.state.ibkr().await.unwrap();
    let order = json!({ "order": { "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "5", "order_type": "LMT", "limit_price": "150" } });
    let p = h.ok("ibkr_preview_order", order.clone()).await;
    // The gateway takes the order, then the connection drops before any reply.
    venue
        .simulator()
        .unwrap()
        .inject(TwsFault::DropAfterProcessing.on(RequestKind::PlaceOrder))
        .await;
    let mut place = order.as_object().unwrap().clone();
    place.insert("confirmationToken".into(), p["confirmationToken"].clone());
    let message = h.refused("ibkr_place_order", Value::Object(place)).await;
    assert!(message.contains("OUTCOME UNKNOWN"), "{message}");
    let order_id: i64 = message
        .split("with order id ")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no order id in {message}"));
    assert_eq!(h.journal().last().unwrap()["outcome"], "unknown");

    // Once the connection is back, the order is found working.
    let mut found = Value::Null;
    for _ in 0..100 {
        found = h
            .call("ibkr_get_order_status", json!({ "orderIds": [order_id] }))
            .await
            .structured_content
            .unwrap_or_default();
        if found["items"][0]["report"]["status"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = found["items"][0]["report"]["status"].as_str();
    assert!(
        matches!(status, Some("Submitted" | "PreSubmitted")),
        "{found}"
    );
}
