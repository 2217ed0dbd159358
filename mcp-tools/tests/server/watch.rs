//! The `watch` tool on the simulator: an order watched until it ends without polling, the
//! book's state, trades as events, a lost connection, the handles and their refusals.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Harness, place, resting_buy, start};

async fn read(h: &Harness<()>, id: &str, cursor: u64, extra: Value) -> Value {
    let mut arguments = json!({ "action": "read", "id": id, "cursor": cursor, "waitMs": 5000 });
    if let (Value::Object(map), Value::Object(more)) = (&mut arguments, extra) {
        map.extend(more);
    }
    h.ok("watch", arguments).await
}

/// Starts a watch of `stream` on SOL_USDC; its id.
async fn watch_market(h: &Harness<()>, stream: &str) -> String {
    let started = h
        .ok(
            "watch",
            json!({ "action": "start", "stream": stream, "symbol": "SOL_USDC" }),
        )
        .await;
    started["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_watched_until_it_ends_without_polling() {
    let h = Arc::new(start().await);
    let placed = place(&h, resting_buy("1")).await;
    let order_id = placed["order"]["id"].as_str().unwrap().to_owned();
    let started = h
        .ok("watch", json!({ "action": "start", "stream": "orders", "symbol": "SOL_USDC", "orderId": order_id }))
        .await;
    let id = started["id"].as_str().unwrap().to_owned();

    // The first read shows the order's state now.
    let first = read(&h, &id, 0, json!({})).await;
    assert_eq!(first["events"][0]["type"], "snapshot", "{first}");
    assert_eq!(first["events"][0]["status"], "New");
    let cursor = first["nextCursor"].as_u64().unwrap();

    // One read waits until the order ends; nothing else is called meanwhile but the cancel.
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
    h.ok(
        "backpack_cancel_order",
        json!({ "symbol": "SOL_USDC", "orderId": order_id }),
    )
    .await;
    let ended = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    let events = ended["events"].as_array().unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last["type"].as_str(), last["status"].as_str()),
        (Some("orderCancelled"), Some("Cancelled")),
        "{ended}"
    );
    assert_eq!(last["orderId"], order_id.as_str());

    h.ok("watch", json!({ "action": "stop", "id": id })).await;
    let gone = h
        .refused("watch", json!({ "action": "read", "id": id }))
        .await;
    assert!(gone.contains("no watch"), "{gone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_book_is_a_state_and_trades_are_events() {
    let h = start().await;
    let book = watch_market(&h, "book").await;
    let trades = watch_market(&h, "trades").await;

    let mut cursor = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = read(&h, &book, cursor, json!({})).await;
        cursor = page["nextCursor"].as_u64().unwrap();
        if page["state"]["synced"] == true {
            let bids = page["state"]["bids"].as_array().unwrap();
            let asks = page["state"]["asks"].as_array().unwrap();
            assert!(
                !bids.is_empty() && bids.len() <= 10 && !asks.is_empty(),
                "{page}"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{page}");
    }

    // Wait for the trades subscription to reach the server, then trade.
    tokio::time::sleep(Duration::from_millis(300)).await;
    place(
        &h,
        json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "1" }),
    )
    .await;
    let page = read(&h, &trades, 0, json!({})).await;
    let trade = &page["events"][0];
    assert_eq!(trade["type"], "trade", "{page}");
    assert_eq!(trade["takerSide"], "Bid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_stream_connection_is_a_gap_and_a_counted_reconnect() {
    let h = start().await;
    let id = watch_market(&h, "trades").await;
    let venue = h.state.backpack().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let faults = loop {
        if let Some(faults) = venue.stream_faults()
            && faults.connections_accepted() > 0
        {
            break faults;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no stream connection"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let scraped = mcp_tools::observe::scrape(&h.state).await.unwrap();
    assert!(
        !scraped.contains(r#"trading_reconnects_total{venue="backpack"} 1"#),
        "{scraped}"
    );

    faults.drop_connections();
    let mut cursor = 0;
    let mut reasons = Vec::new();
    while !reasons
        .iter()
        .any(|r: &String| r.starts_with("resubscribed"))
    {
        assert!(tokio::time::Instant::now() < deadline, "{reasons:?}");
        let page = read(&h, &id, cursor, json!({ "waitMs": 1000 })).await;
        cursor = page["nextCursor"].as_u64().unwrap();
        // A read whose wait ran out has no events.
        for event in page["events"].as_array().into_iter().flatten() {
            if event["type"] == "gap" {
                reasons.push(event["reason"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(reasons[0].starts_with("disconnected: "), "{reasons:?}");

    let scraped = mcp_tools::observe::scrape(&h.state).await.unwrap();
    assert!(
        scraped.contains(r#"trading_reconnects_total{venue="backpack"} 1"#),
        "{scraped}"
    );
    // A second scrape does not count it again.
    let scraped = mcp_tools::observe::scrape(&h.state).await.unwrap();
    assert!(
        scraped.contains(r#"trading_reconnects_total{venue="backpack"} 1"#),
        "{scraped}"
    );
}

#[tokio::test]
async fn handles_are_checked_and_starts_need_what_they_watch() {
    let h = start().await;
    for (arguments, expected) in [
        (json!({ "action": "start" }), "needs stream"),
        (
            json!({ "action": "start", "stream": "book" }),
            "needs a symbol",
        ),
        (
            json!({ "action": "start", "stream": "trades", "symbol": "SOL_USDC", "orderId": "1" }),
            "orderId goes with",
        ),
        (json!({ "action": "read" }), "needs the id"),
        (
            json!({ "action": "read", "id": "w-0000000000000000" }),
            "no watch",
        ),
        (json!({ "action": "stop", "id": "w-nope" }), "no watch"),
    ] {
        let message = h.refused("watch", arguments.clone()).await;
        assert!(message.contains(expected), "{arguments}: {message}");
    }
    let ticker = h
        .ok(
            "watch",
            json!({ "action": "start", "stream": "ticker", "symbol": "SOL_USDC" }),
        )
        .await;
    let refused = h
        .refused(
            "watch",
            json!({ "action": "read", "id": ticker["id"], "untilFinal": true }),
        )
        .await;
    assert!(
        refused.contains("untilFinal goes with an orders watch"),
        "{refused}"
    );
}
