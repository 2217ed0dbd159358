//! The server's rules, each shown to block: tokens (missing, forged, altered, reused,
//! expired), the kill switch, caps (per order, rolling 24 h, allow-list; surviving a restart;
//! serialised), and the journal.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use mcp_tools::config::Caps;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use trading_core::clock::{ManualClock, SharedClock};

use super::{
    Harness, TempDir, config, place, preview, resting_buy, start, start_adjusted, start_with,
};

fn create(preview: &Value) -> Value {
    json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] })
}

#[tokio::test]
async fn orders_need_the_token_of_exactly_that_order() {
    let h = start().await;
    let p = preview(&h, resting_buy("1")).await;

    let missing = h
        .refused("backpack_create_order", json!({ "order": p["order"] }))
        .await;
    assert!(missing.contains("confirmationToken"), "{missing}");
    let forged = h.refused("backpack_create_order", json!({ "order": p["order"], "confirmationToken": "ct_00000000000000000000000000000000" })).await;
    assert!(
        forged.contains("unknown or was already used") && forged.contains("nothing was sent"),
        "{forged}"
    );
    let mut altered_token = p["confirmationToken"].as_str().unwrap().to_owned();
    altered_token.replace_range(
        3..4,
        if altered_token.as_bytes()[3] == b'a' {
            "b"
        } else {
            "a"
        },
    );
    let altered = h
        .refused(
            "backpack_create_order",
            json!({ "order": p["order"], "confirmationToken": altered_token }),
        )
        .await;
    assert!(altered.contains("unknown"), "{altered}");

    // A changed order voids the token, for good.
    let mut bigger = p["order"].clone();
    bigger["quantity"] = json!("10");
    let changed = h
        .refused(
            "backpack_create_order",
            json!({ "order": bigger, "confirmationToken": p["confirmationToken"] }),
        )
        .await;
    assert!(
        changed.contains("differs from the one this token confirmed (field `quantity`)"),
        "{changed}"
    );
    let after = h.refused("backpack_create_order", create(&p)).await;
    assert!(after.contains("unknown or was already used"), "{after}");
    assert_eq!(h.backpack_orders().await, 0, "nothing reached the exchange");

    // The right token once, then never again.
    let p = preview(&h, resting_buy("1")).await;
    h.ok("backpack_create_order", create(&p)).await;
    let reused = h.refused("backpack_create_order", create(&p)).await;
    assert!(reused.contains("already used"), "{reused}");
    assert_eq!(h.backpack_orders().await, 1);

    // IBKR, same rules.
    let order = json!({ "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "1", "order_type": "LMT", "limit_price": "150" });
    let ibkr = h.ok("ibkr_preview_order", json!({ "order": order })).await;
    let mut other = order.clone();
    other["limit_price"] = json!("151");
    let changed = h
        .refused(
            "ibkr_place_order",
            json!({ "order": other, "confirmationToken": ibkr["confirmationToken"] }),
        )
        .await;
    assert!(changed.contains("differs"), "{changed}");
    let sent = h.ibkr_orders().await;
    let missing = h
        .refused("ibkr_place_order", json!({ "order": order }))
        .await;
    assert!(missing.contains("confirmationToken"), "{missing}");
    assert_eq!(h.ibkr_orders().await, sent, "no order message");
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let clock = Arc::new(ManualClock::starting_now());
    let shared = SharedClock::from(Arc::clone(&clock));
    let h = start_adjusted(|config| {
        config.confirm_ttl = Duration::from_secs(60);
        config.clock = shared;
    })
    .await;
    let p = preview(&h, resting_buy("1")).await;
    clock.advance(60_001);
    let expired = h.refused("backpack_create_order", create(&p)).await;
    assert!(expired.contains("expired"), "{expired}");
    assert_eq!(h.backpack_orders().await, 0);
}

#[tokio::test]
async fn the_kill_switch_stops_new_risk_and_never_stops_cancels() {
    let h = start().await;
    let resting = place(&h, resting_buy("1")).await;
    let p = preview(&h, resting_buy("2")).await;
    let switch = h.dir.0.join("KILL");
    std::fs::write(&switch, "stop").unwrap();
    let id = resting["order"]["id"].clone();
    let refusals = [
        h.refused("backpack_create_order", create(&p)).await,
        h.refused("ibkr_place_order", json!({ "order": { "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "1", "order_type": "MKT" }, "confirmationToken": "x" })).await,
    ];
    for refusal in &refusals {
        assert!(
            refusal.contains("kill switch is engaged") && refusal.contains("no order was sent"),
            "{refusal}"
        );
    }
    let status = h.ok("status", json!({})).await;
    assert_eq!(status["killSwitchEngaged"], true);
    assert_eq!(
        h.ok("backpack_list_orders", json!({})).await["count"],
        1,
        "reads still work"
    );
    h.ok(
        "backpack_cancel_order",
        json!({ "symbol": "SOL_USDC", "orderId": id }),
    )
    .await;
    assert_eq!(h.backpack_orders().await, 1, "nothing new was sent");
    let refused = h
        .journal()
        .into_iter()
        .filter(|row| row["phase"] == "refusal")
        .count();
    assert_eq!(refused, 2, "each refusal is journaled");
}

#[tokio::test]
async fn a_kill_switch_that_cannot_be_read_counts_as_engaged() {
    let h = start_adjusted(|config| {
        // A path under a file: checking it fails with an error other than "not found".
        let dir = config.journal_path.clone().unwrap();
        let blocker = dir.parent().unwrap().join("blocker");
        std::fs::write(&blocker, "").unwrap();
        config.kill_switch_path = Some(blocker.join("KILL"));
    })
    .await;
    let p = preview(&h, resting_buy("1")).await;
    let refused = h.refused("backpack_create_order", create(&p)).await;
    assert!(
        refused.contains("cannot be checked") && refused.contains("counts as engaged"),
        "{refused}"
    );
    assert_eq!(h.backpack_orders().await, 0);
}

#[tokio::test]
async fn caps_refuse_at_preview_and_inside_the_write_path() {
    let h = start_adjusted(|config| {
        config.backpack.caps = Caps {
            max_order_notional: Some(Decimal::from(250)),
            max_daily_notional: Some(Decimal::from(300)),
            allowed_symbols: Some(["SOL_USDC".to_owned()].into()),
            ..Caps::unlimited("USDC")
        };
    })
    .await;
    let over = h
        .refused(
            "backpack_preview_order",
            json!({ "order": resting_buy("3") }),
        )
        .await;
    assert!(over.contains("above the per-order cap of 250"), "{over}");
    let other = h.refused("backpack_preview_order", json!({ "order": { "symbol": "BTC_USDC", "side": "Bid", "orderType": "Limit", "quantity": "0.001", "price": "1000" } })).await;
    assert!(
        other.contains("not in the allowed symbols; SOL_USDC may be traded"),
        "{other}"
    );

    // Two previews fit the daily cap on their own; only the first order fits once sent.
    let first = preview(&h, resting_buy("2")).await;
    let second = preview(&h, resting_buy("2")).await;
    assert_eq!(first["caps"]["remaining24h"], "300");
    h.ok("backpack_create_order", create(&first)).await;
    let refused = h.refused("backpack_create_order", create(&second)).await;
    assert!(
        refused.contains("only 100 of the 24-hour cap of 300 USDC is left")
            && refused.contains("Nothing was sent"),
        "{refused}"
    );
    assert_eq!(h.backpack_orders().await, 1);
    let status = h.ok("status", json!({})).await;
    let backpack = &status["venues"][0];
    assert_eq!(
        (
            backpack["caps"]["usedLast24h"].as_str(),
            backpack["caps"]["remaining24h"].as_str()
        ),
        (Some("200"), Some("100"))
    );
}

#[tokio::test]
async fn concurrent_orders_cannot_both_fit_one_cap() {
    let h = start_adjusted(|config| {
        config.backpack.caps.max_daily_notional = Some(Decimal::from(300));
    })
    .await;
    let a = preview(&h, resting_buy("2")).await;
    let b = preview(&h, resting_buy("2")).await;
    let (ra, rb) = tokio::join!(
        h.call("backpack_create_order", create(&a)),
        h.call("backpack_create_order", create(&b))
    );
    let errors = [ra.is_error, rb.is_error]
        .iter()
        .filter(|e| **e == Some(true))
        .count();
    assert_eq!(errors, 1, "exactly one of two 200-orders fits a 300 cap");
    assert_eq!(h.backpack_orders().await, 1);
}

#[tokio::test]
async fn the_daily_cap_survives_a_restart() {
    let dir = TempDir::new();
    let capped = |config: &mut mcp_tools::ServerConfig| {
        config.backpack.caps.max_daily_notional = Some(Decimal::from(300))
    };
    {
        let before: Harness<()> = start_with((), dir.borrowed(), config(&dir, capped)).await;
        place(&before, resting_buy("2")).await;
    }
    // A new process: a fresh simulator, the same journal.
    let after: Harness<()> = start_with((), dir.borrowed(), config(&dir, capped)).await;
    let status = after.ok("status", json!({})).await;
    assert_eq!(status["venues"][0]["caps"]["usedLast24h"], "200");
    let refused = after
        .refused(
            "backpack_preview_order",
            json!({ "order": resting_buy("2") }),
        )
        .await;
    assert!(
        refused.contains("only 100 of the 24-hour cap of 300 USDC is left"),
        "{refused}"
    );
    drop(after);
    drop(dir);
}

#[tokio::test]
async fn the_journal_records_intent_then_result() {
    let h = start().await;
    let placed = place(&h, resting_buy("1")).await;
    let refused = h
        .refused(
            "backpack_create_order",
            json!({ "order": resting_buy("1"), "confirmationToken": "ct_x" }),
        )
        .await;
    assert!(refused.contains("unknown"));
    let lines = h.journal();
    assert_eq!(lines.len(), 3, "intent, result, and the refusal");
    let (intent, result, refusal) = (&lines[0], &lines[1], &lines[2]);
    assert_eq!(refusal["phase"], "refusal");
    assert_eq!(refusal["outcome"], "not_sent");
    assert!(refusal["detail"].as_str().unwrap().contains("unknown"));
    assert_eq!(intent["phase"], "intent");
    assert_eq!(result["phase"], "result");
    assert_eq!(intent["id"], result["id"]);
    assert_eq!(intent["id"], placed["correlationId"]);
    assert_eq!(intent["exposure"], "100", "money as a string");
    assert_eq!(intent["request"]["symbol"], "SOL_USDC");
    assert_eq!(result["outcome"], "accepted");
    assert!(
        result["detail"]
            .as_str()
            .unwrap()
            .contains(placed["order"]["id"].as_str().unwrap())
    );
    assert!(
        Utc::now()
            .signed_duration_since(
                chrono::DateTime::parse_from_rfc3339(intent["ts"].as_str().unwrap()).unwrap()
            )
            .num_seconds()
            < 60
    );
}
