//! The `watch` tool on IBKR: an order watched until it ends, a quote as the watch's state,
//! and the gap a gateway restart leaves, all through a real MCP client.

use std::sync::Arc;
use std::time::Duration;

use mcp_tools::{IbkrConnection, Tiers};
use serde_json::{Value, json};
use testkit::tws::FakeTws;

use super::{Harness, start, start_adjusted};

async fn read(h: &Harness<()>, id: &str, cursor: u64, extra: Value) -> Value {
    let mut arguments = json!({ "action": "read", "id": id, "cursor": cursor, "waitMs": 5000 });
    if let (Value::Object(map), Value::Object(more)) = (&mut arguments, extra) {
        map.extend(more);
    }
    h.ok("watch", arguments).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ibkr_order_is_watched_until_it_ends() {
    let h = Arc::new(start().await);
    let order = json!({ "order": { "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "2", "order_type": "LMT", "limit_price": "100" } });
    let preview = h.ok("ibkr_preview_order", order.clone()).await;
    let mut args = order.as_object().unwrap().clone();
    args.insert(
        "confirmationToken".into(),
        preview["confirmationToken"].clone(),
    );
    let placed = h.ok("ibkr_place_order", Value::Object(args)).await;
    let order_id = placed["orders"][0]["order_id"].as_i64().unwrap();

    let started = h
        .ok("watch", json!({ "action": "start", "venue": "ibkr", "stream": "orders", "orderId": order_id.to_string() }))
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    let first = read(&h, &id, 0, json!({})).await;
    assert_eq!(first["events"][0]["type"], "snapshot", "{first}");
    assert_eq!(first["events"][0]["status"], "Submitted");
    let cursor = first["nextCursor"].as_u64().unwrap();

    let waiting = {
        let (h, id) = (Arc::clone(&h), id.clone());
        tokio::spawn(async move {
            read(
                &h,
                &id,
                cursor,
                json!({ "untilFinal": true, "waitMs": 20000 }),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "returned before the order ended");
    h.ok("ibkr_cancel_order", json!({ "orderIds": [order_id] }))
        .await;
    let ended = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    let last = ended["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "Cancelled", "{ended}");
    assert_eq!(last["orderId"], order_id);

    let refused = h
        .refused(
            "watch",
            json!({ "action": "start", "venue": "ibkr", "stream": "book", "symbol": "AAPL" }),
        )
        .await;
    assert!(refused.contains("not book"), "{refused}");
}

#[tokio::test]
async fn an_ibkr_quote_is_the_watch_state_and_a_restart_is_a_gap() {
    let gateway = FakeTws::start().await;
    let port = gateway.address().port();
    let h = start_adjusted(|config| {
        let mut ibkr = ibkr_sdk::Config::paper("127.0.0.1", port);
        ibkr.connect_timeout = Duration::from_secs(2);
        ibkr.request_timeout = Duration::from_secs(2);
        config.ibkr.tiers = Tiers::READ;
        config.ibkr_connection = IbkrConnection::Gateway(ibkr);
    })
    .await;
    let started = h
        .ok(
            "watch",
            json!({ "action": "start", "venue": "ibkr", "stream": "ticker", "symbol": "aapl" }),
        )
        .await;
    let id = started["id"].as_str().unwrap().to_owned();
    let mut state = read(&h, &id, 0, json!({ "waitMs": 1000 })).await;
    for _ in 0..50 {
        if state["state"]["bid"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        state = read(&h, &id, 0, json!({ "waitMs": 100 })).await;
    }
    assert_eq!(state["state"]["contract"], "STK AAPL", "{state}");
    assert_eq!(state["state"]["source"], "live");

    gateway.stop();
    tokio::time::sleep(Duration::from_millis(400)).await;
    gateway.set_last(
        gateway.con_id("AAPL", "STK").unwrap(),
        "201.5".parse().unwrap(),
    );
    gateway.restart().await.unwrap();
    let mut cursor = state["nextCursor"].as_u64().unwrap();
    let mut gaps = Vec::new();
    let mut seen = Value::Null;
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while std::time::Instant::now() < deadline {
        seen = read(&h, &id, cursor, json!({ "waitMs": 200 })).await;
        cursor = seen["nextCursor"].as_u64().unwrap();
        for event in seen["events"].as_array().into_iter().flatten() {
            gaps.push(event["reason"].as_str().unwrap_or_default().to_owned());
        }
        if seen["state"]["last"] == "201.5" && gaps.len() >= 2 {
            break;
        }
    }
    assert_eq!(seen["state"]["last"], "201.5", "{seen}");
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert!(gaps[0].contains("connection was lost"), "{gaps:?}");
    assert!(gaps[1].contains("back after the outage"), "{gaps:?}");
}
