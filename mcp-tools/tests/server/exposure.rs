//! Caps count what an order can really execute for, on both venues: the bypasses found by
//! the adversarial review (a stop far under the market, a sell limit at 0.01, a trigger
//! sized by `triggerQuantity`, a percentage trigger) and their kin.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Harness, start, start_adjusted};

fn capped(order: i64) -> impl FnOnce(&mut mcp_tools::ServerConfig) {
    move |config| {
        config.backpack.caps.max_order_notional = Some(Decimal::from(order));
        config.ibkr.caps.max_order_notional = Some(Decimal::from(order));
    }
}

fn aapl(action: &str, quantity: &str, kind: Value) -> Value {
    let mut order = json!({ "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": action, "quantity": quantity });
    for (key, value) in kind.as_object().unwrap() {
        order[key] = value.clone();
    }
    json!({ "order": order })
}

async fn refused_by_cap(h: &Harness<()>, tool: &str, args: Value) -> String {
    let refusal = h.refused(tool, args).await;
    assert!(
        refusal.contains("per-order cap") || refusal.contains("cannot be valued"),
        "{refusal}"
    );
    refusal
}

#[tokio::test]
async fn ibkr_stops_and_sell_limits_count_at_the_market() {
    let h = start_adjusted(capped(1_000)).await;
    let before = h.ibkr_orders().await;
    let stop = refused_by_cap(
        &h,
        "ibkr_preview_order",
        aapl(
            "BUY",
            "1000",
            json!({ "order_type": "STP", "stop_price": "0.01" }),
        ),
    )
    .await;
    assert!(
        stop.contains("larger than the 300 shown at the ask"),
        "a crossed stop is the market order it becomes: {stop}"
    );
    refused_by_cap(
        &h,
        "ibkr_preview_order",
        aapl(
            "BUY",
            "100",
            json!({ "order_type": "STP", "stop_price": "0.01" }),
        ),
    )
    .await;
    refused_by_cap(
        &h,
        "ibkr_preview_order",
        aapl(
            "SELL",
            "1000",
            json!({ "order_type": "LMT", "limit_price": "0.01" }),
        ),
    )
    .await;
    refused_by_cap(
        &h,
        "ibkr_preview_order",
        aapl("BUY", "10", json!({ "order_type": "MOC" })),
    )
    .await;
    refused_by_cap(
        &h,
        "ibkr_preview_order",
        json!({ "bracket": { "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "10", "entry": { "type": "market" }, "take_profit": "300", "stop_loss": "1" } }),
    )
    .await;
    assert_eq!(h.ibkr_orders().await, before, "nothing reached the gateway");
    // A buy limit is bounded by its own price.
    let small = h
        .ok(
            "ibkr_preview_order",
            aapl(
                "BUY",
                "5",
                json!({ "order_type": "LMT", "limit_price": "150" }),
            ),
        )
        .await;
    assert_eq!(small["exposure"]["value"], "750");
}

#[tokio::test]
async fn backpack_sell_limits_and_triggers_count_what_they_execute_for() {
    let h = start_adjusted(capped(100)).await;
    // 0.6 SOL stated at 1.00 is 0.6 USDC, but it sells at the bid, about 108.
    let sell = refused_by_cap(
        &h,
        "backpack_preview_order",
        json!({ "order": { "symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit", "quantity": "0.6", "price": "1" } }),
    )
    .await;
    assert!(sell.contains("it sells at the market"), "{sell}");
    let trigger = refused_by_cap(
        &h,
        "backpack_preview_order",
        json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "0.1", "triggerPrice": "100", "triggerQuantity": "50" } }),
    )
    .await;
    assert!(
        trigger.contains("50 bought walking the asks"),
        "the trigger size counts: {trigger}"
    );
    let percent = h
        .refused(
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "0.1", "triggerPrice": "100", "triggerQuantity": "100%" } }),
        )
        .await;
    assert!(percent.contains("100%"), "{percent}");
    let thin = h
        .refused(
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "100000" } }),
        )
        .await;
    assert!(thin.contains("visible asks hold only"), "{thin}");
    assert_eq!(h.backpack_orders().await, 0);
    let journaled = h
        .journal()
        .iter()
        .filter(|row| row["phase"] == "refusal" && row["tool"] == "backpack_preview_order")
        .count();
    assert_eq!(journaled, 4, "what the assistant tried is journaled");
}

#[tokio::test]
async fn without_caps_the_preview_still_shows_what_an_order_can_do() {
    let h = start().await;
    let percent = h
        .ok(
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "0.1", "triggerPrice": "100", "triggerQuantity": "100%" } }),
        )
        .await;
    assert!(percent["exposure"]["value"].is_null(), "{percent}");
    let warnings = percent["warnings"].to_string();
    assert!(warnings.contains("no bound"), "{warnings}");
    let stop = h
        .ok(
            "ibkr_preview_order",
            aapl(
                "BUY",
                "100",
                json!({ "order_type": "STP", "stop_price": "0.01" }),
            ),
        )
        .await;
    let value: Decimal = stop["exposure"]["value"].as_str().unwrap().parse().unwrap();
    assert!(value > Decimal::from(18_000), "{stop}");
    let basis = stop["exposure"]["basis"].as_str().unwrap();
    assert!(basis.contains("already crossed"), "{basis}");
}

#[tokio::test]
async fn absurd_quantities_are_refused_and_the_venues_stay_up() {
    let h = start().await;
    let huge = h
        .call(
            "ibkr_preview_order",
            aapl(
                "BUY",
                "10000000000000000000000000000",
                json!({ "order_type": "MKT" }),
            ),
        )
        .await;
    assert_eq!(huge.is_error, Some(true));
    let limit = h
        .refused(
            "ibkr_preview_order",
            aapl(
                "BUY",
                "100000000000",
                json!({ "order_type": "LMT", "limit_price": "190" }),
            ),
        )
        .await;
    assert!(limit.contains("Total Value Limit"), "{limit}");
    let backpack = h
        .call(
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "10000000000000000000000000000", "price": "79228162514264337593543950335" } }),
        )
        .await;
    // Without caps the preview says it has no bound; the exchange refuses it, no panic.
    let preview = backpack.structured_content.unwrap();
    assert!(preview["warnings"].to_string().contains("no bound"));
    let created = h
        .refused(
            "backpack_create_order",
            json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
        )
        .await;
    assert!(created.contains("nothing changed"), "{created}");
    let status = h.ok("status", json!({})).await;
    for venue in status["venues"].as_array().unwrap() {
        assert_eq!(venue["health"]["healthy"], true, "{venue}");
    }
}
