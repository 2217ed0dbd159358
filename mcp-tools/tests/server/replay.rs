//! A simulated session replays to "all match"; a doctored journal shows exactly what was
//! changed.

use std::sync::Arc;

use mcp_tools::config::{Mode, Venue};
use mcp_tools::replay::{Options, Verdict, replay};
use mcp_tools::safety::caps::Valued;
use mcp_tools::safety::journal::{Attempt, Intent, WriteOutcome, correlation_id};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use trading_core::clock::{ManualClock, SharedClock};

use super::{Harness, place, place_ibkr, preview, start_adjusted};

fn aapl_limit(quantity: &str, price: &str) -> Value {
    json!({ "order": { "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": quantity, "order_type": "LMT", "limit_price": price } })
}

/// An order the venue may have received: its answer was lost (written as the flow writes
/// one whose connection dropped after sending).
fn lost_answer(h: &Harness<()>, order: Value) {
    let attempt = Attempt {
        id: correlation_id(),
        venue: Venue::Backpack,
        mode: Mode::Simulated,
        tool: "backpack_create_order",
        session: "lost".into(),
        symbol: "SOL_USDC".into(),
        request: order,
    };
    let intent = Intent {
        attempt: attempt.clone(),
        exposure: Some(Valued {
            value: Some(Decimal::from(101)),
            currency: "USDC".into(),
            basis: "limit price × quantity".into(),
        }),
    };
    let now = mcp_tools::safety::journal::utc(&h.state.config.clock);
    let id = h
        .state
        .journal
        .reserve(
            &intent,
            &mcp_tools::config::Caps::unlimited("USDC"),
            || Ok(()),
            now,
        )
        .unwrap();
    h.state
        .journal
        .finish(
            &id,
            &attempt,
            WriteOutcome::Unknown,
            "the connection dropped after sending",
            None,
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_simulated_session_replays_to_all_match_and_a_doctored_price_is_the_one_difference() {
    let clock = Arc::new(ManualClock::new(1_780_000_000_000));
    let shared = SharedClock::from(Arc::clone(&clock));
    let h = start_adjusted(|c| {
        c.clock = shared;
        c.backpack.caps.max_order_notional = Some(Decimal::from(1_000_000));
    })
    .await;
    let step = |ms| clock.advance(ms);

    // Backpack: resting, market, crossing limit, post-only expired, more than the account
    // holds (rejected), trigger, cancel.
    let resting = place(&h, super::resting_buy("1")).await;
    step(1_500);
    let market = place(
        &h,
        json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "0.5" }),
    )
    .await;
    assert_eq!(market["order"]["status"], "Filled", "{market}");
    step(2_500);
    place(
        &h,
        json!({ "symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit", "quantity": "0.2", "price": "150" }),
    )
    .await;
    step(700);
    let crossing = preview(
        &h,
        json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "0.1", "price": "400", "postOnly": true }),
    )
    .await;
    let expired = h
        .ok(
            "backpack_create_order",
            json!({ "order": crossing["order"], "confirmationToken": crossing["confirmationToken"] }),
        )
        .await;
    assert_eq!(expired["order"]["status"], "Expired", "{expired}");
    // Previewed while the money was there, sent after another order took it.
    let broke = preview(
        &h,
        json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "600", "price": "150" }),
    )
    .await;
    place(&h, super::resting_buy("100")).await;
    let rejected = h
        .refused(
            "backpack_create_order",
            json!({ "order": broke["order"], "confirmationToken": broke["confirmationToken"] }),
        )
        .await;
    assert!(rejected.contains("refused by the venue"), "{rejected}");
    step(900);
    place(
        &h,
        json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "0.1", "triggerPrice": "100", "triggerQuantity": "0.1" }),
    )
    .await;
    step(1_200);
    h.ok(
        "backpack_cancel_order",
        json!({ "symbol": "SOL_USDC", "orderId": resting["order"]["id"] }),
    )
    .await;

    // Refusals: a forged token, an order over the per-order cap.
    let refused = h
        .refused(
            "backpack_create_order",
            json!({ "order": crossing["order"], "confirmationToken": "forged" }),
        )
        .await;
    assert!(refused.contains("token"), "{refused}");
    let over = h
        .refused(
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "10000" } }),
        )
        .await;
    assert!(over.contains("cap"), "{over}");

    // An unknown outcome.
    step(300);
    lost_answer(
        &h,
        json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "101", "timeInForce": "GTC", "clientId": 4242 }),
    );

    // IBKR: a limit order, a bracket, a cancel.
    let first = place_ibkr(&h, aapl_limit("2", "150")).await;
    place_ibkr(
        &h,
        json!({ "bracket": { "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "1", "entry": { "type": "limit", "price": "150" }, "take_profit": "300", "stop_loss": "100" } }),
    )
    .await;
    let id = first["orders"][0]["order_id"].as_i64().unwrap();
    h.ok("ibkr_cancel_order", json!({ "orderIds": [id] })).await;
    // Half a minute of the gateway's price walk later, a market order fills at the walked
    // price.
    step(30_000);
    let bought = place_ibkr(
        &h,
        json!({ "order": { "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "3", "order_type": "MKT" } }),
    )
    .await;
    let bought_id = bought["orders"][0]["order_id"].as_i64().unwrap();
    step(400);
    h.ok(
        "backpack_cancel_all_orders",
        json!({ "symbol": "SOL_USDC" }),
    )
    .await;

    let report = replay(&h.state.journal, &Options::default()).await.unwrap();
    let table = report.table();
    assert!(report.all_match, "{table}");
    assert_eq!(report.not_replayed, 0, "{table}");
    assert!(report.refused >= 2, "{table}");
    assert!(report.matched >= 10, "{table}");
    assert!(
        report
            .orders
            .iter()
            .any(|o| o.recorded.outcome == Some(WriteOutcome::Unknown)
                && o.verdict == Verdict::Match),
        "{table}"
    );
    assert!(
        report
            .orders
            .iter()
            .any(|o| o.recorded.outcome == Some(WriteOutcome::Rejected)
                && o.verdict == Verdict::Match),
        "{table}"
    );

    // The IBKR market order met the walked price, which the replay met too: a gateway at its
    // starting prices would have filled it elsewhere.
    let rows = h.journal();
    let ibkr_fill = rows
        .iter()
        .find(|r| {
            r["phase"] == "result"
                && r["venue"] == "ibkr"
                && r["detail"] == format!("orders {bought_id}").as_str()
        })
        .unwrap_or_else(|| panic!("no result for IBKR order {bought_id}: {rows:?}"));
    assert_eq!(ibkr_fill["fill"]["status"], "Filled", "{ibkr_fill}");
    let unwalked = testkit::tws::FakeTws::builder()
        .try_start()
        .await
        .unwrap()
        .with_broker(|broker| broker.instrument(265_598).unwrap().quote.ask);
    let walked: Decimal = ibkr_fill["fill"]["average_price"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(walked, unwalked, "the walk did not move AAPL: {table}");

    // Doctor both market orders' recorded prices: exactly those show.
    let backpack_fill = rows
        .iter()
        .find(|r| {
            r["phase"] == "result" && r["venue"] == "backpack" && r["fill"]["status"] == "Filled"
        })
        .unwrap();
    let db = rusqlite::Connection::open(h.dir.0.join("journal.db")).unwrap();
    db.execute_batch("DROP TRIGGER entries_no_update").unwrap();
    let mut expected = Vec::new();
    for filled in [backpack_fill, ibkr_fill] {
        let price = filled["fill"]["average_price"].as_str().unwrap();
        let mut fill = filled["fill"].clone();
        fill["average_price"] = json!("123.45");
        db.execute(
            "UPDATE entries SET fill = ?1 WHERE id = ?2 AND phase = 'result'",
            rusqlite::params![fill.to_string(), filled["id"].as_str().unwrap()],
        )
        .unwrap();
        expected.push((
            filled["id"].as_str().unwrap().to_owned(),
            vec![format!(
                "average price: recorded 123.45, replayed {}",
                price.parse::<Decimal>().unwrap()
            )],
        ));
    }
    let doctored = replay(&h.state.journal, &Options::default()).await.unwrap();
    let table = doctored.table();
    assert!(!doctored.all_match, "{table}");
    let differing: Vec<_> = doctored
        .orders
        .iter()
        .filter(|o| o.verdict == Verdict::Differs)
        .map(|o| (o.id.clone(), o.differences.clone()))
        .collect();
    assert_eq!(differing, expected, "{table}");
}
