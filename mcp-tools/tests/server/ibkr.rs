//! Every IBKR tool on the fake gateway.

use std::time::Duration;

use mcp_tools::{IbkrConnection, Tiers};
use serde_json::{Value, json};
use testkit::tws::FakeTws;

use super::{Harness, place_ibkr, start, start_adjusted};

fn aapl() -> Value {
    json!({ "symbol": "AAPL", "sec_type": "STK" })
}

#[tokio::test]
async fn quotes_and_bars() {
    let h = start().await;
    let quotes = h
        .ok("ibkr_get_quote", json!({ "contracts": [aapl(), { "symbol": "ES", "sec_type": "FUT" }, { "symbol": "NOPE", "sec_type": "STK" }] }))
        .await;
    let items = quotes["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["quote"]["contract"], "STK AAPL");
    assert!(items[0]["quote"]["bid"].is_string() && items[0]["quote"]["source"] == "live");
    assert!(
        items[1]["quote"]["contract"]
            .as_str()
            .unwrap()
            .starts_with("FUT ES")
    );
    assert!(
        items[2]["error"]
            .as_str()
            .unwrap()
            .contains("no contract found"),
        "{}",
        items[2]
    );
    let too_many = h
        .refused("ibkr_get_quote", json!({ "contracts": vec![aapl(); 21] }))
        .await;
    assert!(too_many.contains("1 to 20"), "{too_many}");

    let bars = h
        .ok(
            "ibkr_get_historical_data",
            json!({ "contract": aapl(), "bars": { "bar_size": "1 hour", "duration": "2 D" } }),
        )
        .await;
    assert_eq!(
        (bars["barSize"].as_str(), bars["duration"].as_str()),
        (Some("1 hour"), Some("2 D"))
    );
    assert!(bars["bars"]["count"].as_u64().unwrap() >= 48);
    let many = h
        .ok(
            "ibkr_get_historical_data",
            json!({ "contract": aapl(), "bars": { "bar_size": "1 min", "duration": "1 D" } }),
        )
        .await;
    assert_eq!(many["bars"]["count"], 300);
    assert!(many["bars"]["total"].as_u64().unwrap() > 1_000);
    assert!(
        many["bars"]["truncated"]
            .as_str()
            .unwrap()
            .contains("last 300")
    );
    let bad = h
        .refused(
            "ibkr_get_historical_data",
            json!({ "contract": aapl(), "bars": { "bar_size": "7 min", "duration": "1 D" } }),
        )
        .await;
    assert!(bad.contains("bar size `7 min`"), "{bad}");
}

#[tokio::test]
async fn account_status_and_pnl() {
    let h = start().await;
    let status = h.ok("ibkr_get_account_status", json!({})).await;
    assert_eq!(status["summary"]["account"], "DU1234567");
    assert_eq!(status["summary"]["net_liquidation"], "100000.00");
    assert_eq!(status["positions"]["count"], 0);
    let market = json!({ "order": { "contract": aapl(), "action": "BUY", "quantity": "10", "order_type": "MKT" } });
    let placed = place_ibkr(&h, market).await;
    let id = placed["orders"][0]["order_id"].clone();
    let mut filled = Value::Null;
    for _ in 0..50 {
        filled = h
            .ok("ibkr_get_order_status", json!({ "orderIds": [id] }))
            .await;
        if filled["items"][0]["report"]["status"] == "Filled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(filled["items"][0]["report"]["status"], "Filled", "{filled}");
    assert_eq!(
        filled["items"][0]["report"]["fills"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let status = h.ok("ibkr_get_account_status", json!({})).await;
    assert_eq!(status["positions"]["items"][0]["symbol"], "AAPL");
    assert_eq!(status["positions"]["items"][0]["quantity"], "10");
    let pnl = h.ok("ibkr_get_pnl", json!({})).await;
    assert_eq!(pnl["pnl"]["by_symbol"][0]["symbol"], "AAPL");
}

#[tokio::test]
async fn single_orders_preview_place_status_cancel() {
    let h = start().await;
    let order = json!({ "order": { "contract": aapl(), "action": "BUY", "quantity": "5", "order_type": "LMT", "limit_price": "150" } });
    let preview = h.ok("ibkr_preview_order", order.clone()).await;
    assert_eq!(preview["preview"]["source"], "ibkr", "IBKR's what-if");
    assert_eq!(preview["preview"]["notional"], "750");
    assert!(preview["preview"]["commission"].is_string());
    let warnings = serde_json::to_string(&preview["warnings"]).unwrap();
    assert!(warnings.contains("far from the market"), "{warnings}");
    assert_eq!(
        h.ibkr_orders().await,
        1,
        "the what-if is the only order message"
    );

    let mut args = order.as_object().unwrap().clone();
    args.insert(
        "confirmationToken".into(),
        preview["confirmationToken"].clone(),
    );
    let placed = h.ok("ibkr_place_order", Value::Object(args)).await;
    let report = &placed["orders"][0];
    assert_eq!(
        (report["status"].as_str(), report["limit_price"].as_str()),
        (Some("Submitted"), Some("150"))
    );
    let id = report["order_id"].clone();

    let working = h.ok("ibkr_get_order_status", json!({})).await;
    assert_eq!(working["items"][0]["orderId"], id);
    let cancelled = h.ok("ibkr_cancel_order", json!({ "orderIds": [id] })).await;
    assert_eq!(
        cancelled["orders"]["items"][0]["report"]["status"],
        "Cancelled"
    );
    // Idempotent: cancelling a cancelled order reports it cancelled.
    let again = h.ok("ibkr_cancel_order", json!({ "orderIds": [id] })).await;
    assert_eq!(again["orders"]["items"][0]["report"]["status"], "Cancelled");
    let unknown = h
        .refused("ibkr_cancel_order", json!({ "orderIds": [9999] }))
        .await;
    assert!(unknown.contains("order 9999 not found"), "{unknown}");
}

#[tokio::test]
async fn brackets_and_trailing_stops() {
    let h = start().await;
    let bracket = json!({ "bracket": {
        "contract": aapl(), "action": "BUY", "quantity": "10",
        "entry": { "type": "limit", "price": "180" }, "take_profit": "200", "stop_loss": "170", "time_in_force": "GTC"
    } });
    let placed = place_ibkr(&h, bracket).await;
    let orders = placed["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 3);
    let types: Vec<&str> = orders
        .iter()
        .map(|o| o["order_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["LMT", "LMT", "STP"]);
    assert_eq!(orders[1]["parent_id"], orders[0]["order_id"]);
    let ids: Vec<Value> = orders.iter().map(|o| o["order_id"].clone()).collect();
    let status = h
        .ok("ibkr_get_order_status", json!({ "orderIds": ids }))
        .await;
    assert_eq!(status["count"], 3);
    let cancelled = h.ok("ibkr_cancel_order", json!({ "orderIds": ids })).await;
    assert!(
        cancelled["orders"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["report"]["status"] == "Cancelled")
    );

    let trailing = json!({ "order": { "contract": aapl(), "action": "SELL", "quantity": "1", "order_type": "TRAIL", "trail_percent": "2" } });
    let placed = place_ibkr(&h, trailing).await;
    assert_eq!(placed["orders"][0]["order_type"], "TRAIL");

    let both = h.refused("ibkr_preview_order", json!({ "order": { "contract": aapl(), "action": "BUY", "quantity": "1", "order_type": "MKT" }, "bracket": { "contract": aapl(), "action": "BUY", "quantity": "1", "entry": { "type": "market" }, "take_profit": "200", "stop_loss": "100" } })).await;
    assert!(
        both.contains("exactly one of `order` or `bracket`"),
        "{both}"
    );
    let inverted = h.refused("ibkr_preview_order", json!({ "bracket": { "contract": aapl(), "action": "BUY", "quantity": "1", "entry": { "type": "limit", "price": "180" }, "take_profit": "170", "stop_loss": "190" } })).await;
    assert!(
        inverted.contains("take profit (170) must be above the stop loss (190)"),
        "{inverted}"
    );
}

/// The IBKR entry of `status`.
async fn ibkr_status(h: &Harness<()>) -> Value {
    let status = h.ok("status", json!({})).await;
    status["venues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["venue"] == "ibkr")
        .cloned()
        .unwrap()
}

/// A paper gateway at `port`, read tiers, short timeouts.
fn paper_gateway(config: &mut mcp_tools::ServerConfig, port: u16) {
    let mut gateway = ibkr_sdk::Config::paper("127.0.0.1", port);
    gateway.connect_timeout = Duration::from_secs(2);
    gateway.request_timeout = Duration::from_secs(2);
    config.ibkr.tiers = Tiers::READ;
    config.ibkr_connection = IbkrConnection::Gateway(gateway);
}

#[tokio::test]
async fn a_dead_gateway_never_looks_healthy() {
    // A gateway that is there, then goes away.
    let gateway = FakeTws::start().await;
    let port = gateway.address().port();
    let h = start_adjusted(|config| paper_gateway(config, port)).await;
    let up = ibkr_status(&h).await;
    assert_eq!(
        (up["mode"].as_str(), up["health"]["healthy"].as_bool()),
        (Some("paper"), Some(true)),
        "{up}"
    );
    assert_eq!(up["health"]["account"], "DU1234567");
    drop(gateway);
    let down = ibkr_status(&h).await;
    assert_eq!(down["health"]["healthy"], false, "{down}");
    assert!(down["health"]["error"].is_string(), "{down}");
    // Reads say why instead of hanging, and the other venue keeps serving.
    let quotes = h
        .ok("ibkr_get_quote", json!({ "contracts": [aapl()] }))
        .await;
    let error = quotes["items"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("connected"), "{quotes}");
    h.ok("backpack_get_ticker", json!({ "symbol": "SOL_USDC" }))
        .await;

    // A gateway that was never there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let h = start_adjusted(|config| paper_gateway(config, closed)).await;
    let never = ibkr_status(&h).await;
    assert_eq!(never["health"]["healthy"], false, "{never}");
    let error = never["health"]["error"].as_str().unwrap();
    assert!(error.contains("127.0.0.1"), "{error}");
}

#[tokio::test]
async fn a_restarted_gateway_heals_without_restarting_the_server() {
    let gateway = FakeTws::start().await;
    let port = gateway.address().port();
    let h = start_adjusted(|config| paper_gateway(config, port)).await;
    assert_eq!(ibkr_status(&h).await["health"]["healthy"], true);

    gateway.stop();
    let mut down = ibkr_status(&h).await;
    for _ in 0..100 {
        let error = down["health"]["error"].as_str().unwrap_or_default();
        if error.contains("reconnecting by itself") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        down = ibkr_status(&h).await;
    }
    assert!(
        down["health"]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("reconnecting by itself"),
        "{down}"
    );
    assert_eq!(down["health"]["healthy"], false, "{down}");
    let quotes = h
        .ok("ibkr_get_quote", json!({ "contracts": [aapl()] }))
        .await;
    let error = quotes["items"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("not connected"), "{quotes}");

    gateway.restart().await.unwrap();
    let back = std::time::Instant::now();
    let mut healthy = ibkr_status(&h).await;
    while healthy["health"]["healthy"] != true && back.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        healthy = ibkr_status(&h).await;
    }
    assert_eq!(healthy["health"]["healthy"], true, "{healthy}");
    assert!(
        back.elapsed() < Duration::from_secs(3),
        "{:?}",
        back.elapsed()
    );
    let quotes = h
        .ok("ibkr_get_quote", json!({ "contracts": [aapl()] }))
        .await;
    assert!(quotes["items"][0]["quote"]["bid"].is_string(), "{quotes}");
    // The reconnect is counted in the metrics.
    let metrics = h.state.metrics.encode().unwrap();
    assert!(
        metrics.contains(r#"trading_reconnects_total{venue="ibkr"} 1"#),
        "{metrics}"
    );
}
