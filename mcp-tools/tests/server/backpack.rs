//! Every Backpack tool on the simulator.

use serde_json::json;

use super::{place, preview, resting_buy, start, start_adjusted};

#[tokio::test]
async fn market_tools_read_the_simulated_exchange() {
    let h = start().await;
    let markets = h.ok("backpack_get_markets", json!({})).await;
    let symbols: Vec<&str> = markets["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["symbol"].as_str().unwrap())
        .collect();
    assert!(
        symbols.contains(&"SOL_USDC") && symbols.contains(&"SOL_USDC_PERP"),
        "{symbols:?}"
    );
    let perps = h
        .ok("backpack_get_markets", json!({ "marketType": "PERP" }))
        .await;
    assert!(
        perps["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["marketType"] == "PERP")
    );

    let ticker = h
        .ok("backpack_get_ticker", json!({ "symbol": "SOL_USDC" }))
        .await;
    assert_eq!(ticker["symbol"], "SOL_USDC");
    assert!(
        ticker["lastPrice"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            > 0.0
    );

    let depth = h
        .ok(
            "backpack_get_depth",
            json!({ "symbol": "SOL_USDC", "levels": 2 }),
        )
        .await;
    let bids = depth["bids"].as_array().unwrap();
    let asks = depth["asks"].as_array().unwrap();
    assert_eq!((bids.len(), asks.len()), (2, 2));
    let price = |level: &serde_json::Value| level[0].as_str().unwrap().parse::<f64>().unwrap();
    assert!(price(&bids[0]) > price(&bids[1]), "bids best first");
    assert!(price(&asks[0]) < price(&asks[1]), "asks best first");
    assert!(price(&bids[0]) < price(&asks[0]));
}

#[tokio::test]
async fn balances_hide_zero_assets_unless_asked() {
    let h = start().await;
    let balances = h.ok("backpack_get_balances", json!({})).await;
    let usdc = balances["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "USDC")
        .unwrap();
    assert_eq!(usdc["available"], "100000");
    for field in ["locked", "staked", "lent", "total"] {
        assert!(usdc.get(field).is_some(), "{field}");
    }
    let all = h
        .ok("backpack_get_balances", json!({ "showZeroBalances": true }))
        .await;
    assert!(all["count"].as_u64() >= balances["count"].as_u64());
}

#[tokio::test]
async fn orders_are_listed_found_and_cancelled() {
    let h = start().await;
    assert_eq!(h.ok("backpack_list_orders", json!({})).await["count"], 0);
    let placed = place(&h, resting_buy("1")).await;
    let order = &placed["order"];
    assert_eq!(order["status"], "New");
    assert!(placed["correlationId"].as_str().unwrap().starts_with('w'));
    let id = order["id"].as_str().unwrap();
    let client_id = order["clientId"].as_u64().unwrap();

    let open = h
        .ok("backpack_list_orders", json!({ "symbol": "SOL_USDC" }))
        .await;
    assert_eq!(open["count"], 1);
    let by_client = h
        .ok(
            "backpack_get_order",
            json!({ "symbol": "SOL_USDC", "clientId": client_id }),
        )
        .await;
    assert_eq!(by_client["open"]["id"], id);

    let cancelled = h
        .ok(
            "backpack_cancel_order",
            json!({ "symbol": "SOL_USDC", "orderId": id }),
        )
        .await;
    assert_eq!(cancelled["orders"]["items"][0]["status"], "Cancelled");
    assert_eq!(cancelled["pending"], false);
    let finished = h
        .ok(
            "backpack_get_order",
            json!({ "symbol": "SOL_USDC", "orderId": id }),
        )
        .await;
    assert_eq!(finished["finished"]["status"], "Cancelled");
    assert!(finished.get("open").is_none());
    let missing = h
        .refused(
            "backpack_get_order",
            json!({ "symbol": "SOL_USDC", "orderId": "123" }),
        )
        .await;
    assert!(missing.contains("no order 123"), "{missing}");
    let neither = h
        .refused("backpack_get_order", json!({ "symbol": "SOL_USDC" }))
        .await;
    assert!(
        neither.contains("exactly one of orderId or clientId"),
        "{neither}"
    );
}

#[tokio::test]
async fn cancel_all_empties_a_market() {
    let h = start().await;
    for quantity in ["1", "2", "3"] {
        place(&h, resting_buy(quantity)).await;
    }
    let cancelled = h
        .ok(
            "backpack_cancel_all_orders",
            json!({ "symbol": "SOL_USDC" }),
        )
        .await;
    assert_eq!(cancelled["orders"]["count"], 3);
    assert_eq!(h.ok("backpack_list_orders", json!({})).await["count"], 0);
}

#[tokio::test]
async fn fills_history_and_positions_after_trading() {
    let h = start().await;
    place(
        &h,
        json!({ "symbol": "SOL_USDC_PERP", "side": "Bid", "orderType": "Market", "quantity": "2" }),
    )
    .await;
    place(&h, json!({ "symbol": "SOL_USDC", "side": "Ask", "orderType": "Market", "quoteQuantity": "100" })).await;

    let positions = h.ok("backpack_list_positions", json!({})).await;
    let position = &positions["items"][0];
    assert_eq!(
        (
            position["symbol"].as_str(),
            position["netQuantity"].as_str()
        ),
        (Some("SOL_USDC_PERP"), Some("2"))
    );
    assert!(position.get("entryPrice").is_some() && position.get("pnlUnrealized").is_some());

    let fills = h.ok("backpack_fill_history", json!({})).await;
    assert!(fills["count"].as_u64().unwrap() >= 2, "{fills}");
    let spot = h
        .ok("backpack_fill_history", json!({ "symbol": "SOL_USDC" }))
        .await;
    assert!(
        spot["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["symbol"] == "SOL_USDC")
    );
    let history = h.ok("backpack_order_history", json!({ "limit": 1 })).await;
    assert_eq!(history["count"], 1);
    assert_eq!(history["items"][0]["status"], "Filled");
}

#[tokio::test]
async fn lists_are_bounded_with_a_notice() {
    let h = start_adjusted(|config| config.max_items = 2).await;
    for quantity in ["1", "2", "3"] {
        place(&h, resting_buy(quantity)).await;
    }
    let open = h.ok("backpack_list_orders", json!({})).await;
    assert_eq!(
        (open["count"].as_u64(), open["total"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(
        open["truncated"]
            .as_str()
            .unwrap()
            .contains("showing 2 of 3"),
        "{open}"
    );
    let history = h
        .ok("backpack_order_history", json!({ "limit": 500 }))
        .await;
    assert!(
        history["truncated"]
            .as_str()
            .unwrap()
            .contains("lowered from 500 to 2"),
        "{history}"
    );
}

#[tokio::test]
async fn a_preview_normalises_values_and_warns() {
    let h = start().await;
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1.2345", "price": "100.123", "postOnly": true });
    let preview = preview(&h, order).await;
    assert_eq!(preview["order"]["price"], "100.12");
    assert_eq!(preview["order"]["quantity"], "1.23");
    assert!(
        preview["order"]["clientId"].as_u64().is_some(),
        "a client id so the order can be reconciled"
    );
    assert_eq!(preview["exposure"]["value"], "123.1476");
    assert_eq!(preview["mode"], "simulated");
    let adjustments = preview["adjustments"].as_array().unwrap();
    assert_eq!(adjustments.len(), 2, "{adjustments:?}");
    let warnings = serde_json::to_string(&preview["warnings"]).unwrap();
    assert!(warnings.contains("far from the market"), "{warnings}");
    assert!(
        preview["confirmationToken"]
            .as_str()
            .unwrap()
            .starts_with("ct_")
    );
    assert_eq!(preview["expiresInSecs"], 120);
    assert_eq!(h.backpack_orders().await, 0, "a preview sends nothing");

    let crossing = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100000", "postOnly": true });
    let crossing = super::preview(&h, crossing).await;
    let warnings = serde_json::to_string(&crossing["warnings"]).unwrap();
    assert!(
        warnings.contains("post-only order crosses the book"),
        "{warnings}"
    );
}
