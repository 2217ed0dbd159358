//! Bad input gets a tool error that says what to fix, never a crash: the server keeps
//! serving after each.

use serde_json::json;

use super::{preview, resting_buy, start};

#[tokio::test]
async fn bad_input_is_a_message_the_model_can_act_on() {
    let h = start().await;
    let cases = [
        // A typo must not turn a limit order into a market order.
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "limitPrice": "100" } }),
            "unknown field `limitPrice`",
        ),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1" } }),
            "price",
        ),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "-1", "price": "100" } }),
            "quantity",
        ),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": true, "price": "100" } }),
            "quantity",
        ),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Buy", "orderType": "Limit", "quantity": "1", "price": "100" } }),
            "side",
        ),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "NOPE_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" } }),
            "backpack_get_markets",
        ),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1e40", "price": "100" } }),
            "quantity",
        ),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "100000000", "price": "100" } }),
            "quantity",
        ),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "S".repeat(100_000), "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" } }),
            "symbol",
        ),
        (
            "backpack_get_ticker",
            json!({ "symbol": "NOPE" }),
            "backpack_get_markets",
        ),
        ("backpack_get_ticker", json!({}), "missing field `symbol`"),
        (
            "backpack_get_depth",
            json!({ "symbol": "SOL_USDC", "levels": -3 }),
            "levels",
        ),
        (
            "ibkr_preview_order",
            json!({ "order": { "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "10", "order_type": "MKT", "limit_price": "150" } }),
            "takes no limit_price",
        ),
        (
            "ibkr_preview_order",
            json!({ "order": { "contract": { "symbol": "AAPL", "sec_type": "BOND" }, "action": "BUY", "quantity": "1", "order_type": "MKT" } }),
            "sec_type",
        ),
        (
            "ibkr_preview_order",
            json!({ "order": { "contract": { "symbol": "NOPE", "sec_type": "STK" }, "action": "BUY", "quantity": "1", "order_type": "MKT" } }),
            "no contract found",
        ),
        ("ibkr_get_quote", json!({ "contracts": [] }), "1 to 20"),
        (
            "ibkr_get_historical_data",
            json!({ "contract": { "symbol": "AAPL", "sec_type": "STK" }, "bars": { "bar_size": "5 min", "duration": "forever" } }),
            "duration",
        ),
    ];
    for (tool, arguments, hint) in cases {
        let message = h.refused(tool, arguments).await;
        assert!(
            message.contains(hint),
            "{tool}: `{message}` should mention `{hint}`"
        );
        assert!(
            message.len() < 2_000,
            "{tool}: a short message, got {} bytes",
            message.len()
        );
    }
    assert_eq!(h.backpack_orders().await, 0);
    // Still serving.
    let p = preview(&h, resting_buy("1")).await;
    h.ok(
        "backpack_create_order",
        json!({ "order": p["order"], "confirmationToken": p["confirmationToken"] }),
    )
    .await;
}

#[tokio::test]
async fn numbers_are_accepted_for_decimals_and_answered_as_strings() {
    let h = start().await;
    let p = preview(&h, json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": 1.5, "price": 100.1 })).await;
    assert_eq!(
        (
            p["order"]["quantity"].as_str(),
            p["order"]["price"].as_str()
        ),
        (Some("1.5"), Some("100.1"))
    );
    let placed = h
        .ok(
            "backpack_create_order",
            json!({ "order": p["order"], "confirmationToken": p["confirmationToken"] }),
        )
        .await;
    // The exchange writes prices with the market's decimals.
    assert_eq!(placed["order"]["price"], "100.10");
}
