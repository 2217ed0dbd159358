//! The fake TWS through the real `ibapi` 5.5 client.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_arithmetic
)] // tests

use std::sync::Arc;
use std::time::Duration;

use ibapi::orders::order_builder;
use ibapi::prelude::*;
use testkit::tws::{FakeTws, RequestKind, WalkPlan};
use trading_core::clock::{ManualClock, SharedClock};

async fn connect(fake: &FakeTws, client_id: i32) -> Client {
    tokio::time::timeout(
        Duration::from_secs(5),
        Client::connect(&fake.address().to_string(), client_id),
    )
    .await
    .expect("connect in time")
    .expect("connect")
}

#[tokio::test]
async fn handshake_time_and_contracts() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, 7).await;
    assert_eq!(
        client.handshake_managed_accounts(),
        ["DU1234567".to_string()]
    );
    assert_eq!(client.next_order_id(), 1);
    let time = client.server_time().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((time.unix_timestamp() - now).abs() < 5);
    let details = client
        .contract_details(&Contract::stock("AAPL").build())
        .await
        .unwrap();
    assert_eq!(details.len(), 1);
    assert_eq!(details[0].contract.contract_id, 265_598);
    let futures = client
        .contract_details(&Contract::futures("ES").any_month().build())
        .await
        .unwrap();
    assert_eq!(futures.len(), 3);
    let unknown = client
        .contract_details(&Contract::stock("NOPE").build())
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("200"), "{unknown}");
    assert_eq!(fake.count(RequestKind::ContractData), 3);
}

#[tokio::test]
async fn quotes_bars_account() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, 8).await;
    let aapl = Contract::stock("AAPL").build();
    let ticks = client
        .market_data(&aapl)
        .snapshot_once(Duration::from_secs(2))
        .await
        .unwrap();
    let quote = Quote::from_ticks(&ticks);
    assert_eq!(quote.bid, Some(189.49));
    assert_eq!(quote.ask, Some(189.51));
    assert_eq!(quote.last, Some(189.5));
    let bars = client
        .historical_data(&aapl, HistoricalBarSize::Min5)
        .duration(ibapi::market_data::historical::Duration::days(1))
        .what_to_show(HistoricalWhatToShow::Trades)
        .fetch()
        .await
        .unwrap();
    assert!(bars.bars.len() > 100, "{}", bars.bars.len());
    let mut summary = client
        .account_summary(
            &AccountGroup("All".into()),
            &["NetLiquidation", "BuyingPower"],
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(item) = tokio::time::timeout(Duration::from_secs(2), summary.next())
        .await
        .unwrap()
    {
        match item.unwrap() {
            SubscriptionItem::Data(AccountSummaryResult::Summary(s)) => seen.push((s.tag, s.value)),
            SubscriptionItem::Data(AccountSummaryResult::End) => break,
            SubscriptionItem::Notice(_) => {}
        }
    }
    assert!(
        seen.contains(&("NetLiquidation".into(), "100000.00".into())),
        "{seen:?}"
    );
}

#[tokio::test]
async fn orders_fill_and_update_positions() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, 9).await;
    let aapl = Contract::stock("AAPL").build();
    let id = client.next_order_id();
    let order = order_builder::market_order(Action::Buy, 10.0);
    let mut updates = client.place_order(id, &aapl, &order).await.unwrap();
    let mut filled = false;
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_secs(2), updates.next()).await {
        if let SubscriptionItem::Data(PlaceOrder::OrderStatus(status)) = item.unwrap()
            && status.status == ibapi::orders::OrderStatusKind::Filled
        {
            assert_eq!(status.filled, 10.0);
            assert_eq!(status.average_fill_price, Some(189.51));
            filled = true;
            break;
        }
    }
    assert!(filled);
    let mut positions = client.positions().await.unwrap();
    match tokio::time::timeout(Duration::from_secs(2), positions.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
    {
        SubscriptionItem::Data(PositionUpdate::Position(p)) => {
            assert_eq!(p.position, 10.0);
            assert_eq!(p.contract.contract_id, 265_598);
        }
        other => panic!("{other:?}"),
    }
}

/// Every tradable instrument's last price.
fn last_prices(fake: &FakeTws) -> Vec<(i32, rust_decimal::Decimal)> {
    fake.with_broker(|broker| {
        broker
            .instruments
            .iter()
            .filter(|i| i.tradable)
            .map(|i| (i.con_id, i.quote.last))
            .collect()
    })
}

/// The walk on a clock: the prices at a clock time do not depend on how the clock got
/// there, and a request meets the steps due when it arrives (what a journal replay needs).
#[tokio::test]
async fn a_walk_on_a_clock_depends_on_the_time_only() {
    let plan = WalkPlan {
        seed: 11,
        start_ms: 1_700_000_000_000,
        interval: Duration::from_secs(1),
    };
    let (stepped_clock, jumped_clock) = (
        Arc::new(ManualClock::new(plan.start_ms)),
        Arc::new(ManualClock::new(plan.start_ms)),
    );
    let stepped = FakeTws::builder()
        .manual_clock(Arc::clone(&stepped_clock))
        .start()
        .await;
    let jumped = FakeTws::builder()
        .manual_clock(Arc::clone(&jumped_clock))
        .start()
        .await;
    stepped.set_walk(SharedClock::from(Arc::clone(&stepped_clock)), plan);
    jumped.set_walk(SharedClock::from(Arc::clone(&jumped_clock)), plan);
    let before = last_prices(&stepped);

    // One clock moves a second at a time, caught up each time; the other jumps at once.
    for _ in 0..120 {
        stepped_clock.advance(1000);
        assert_eq!(stepped.catch_up_walk(), 0);
    }
    jumped_clock.set(plan.start_ms + 120_500);
    assert_eq!(jumped.walk_steps(), 0, "nothing steps before it is asked");
    let client = connect(&jumped, 1).await;
    client.server_time().await.unwrap();
    assert_eq!(jumped.walk_steps(), 120, "the request met the steps due");
    assert_eq!(stepped.walk_steps(), 120);
    assert_eq!(last_prices(&stepped), last_prices(&jumped));
    assert_ne!(last_prices(&stepped), before, "120 steps moved no price");

    // Another seed walks elsewhere.
    let other_clock = Arc::new(ManualClock::new(plan.start_ms + 120_500));
    let other = FakeTws::builder()
        .manual_clock(Arc::clone(&other_clock))
        .start()
        .await;
    other.set_walk(
        SharedClock::from(other_clock),
        WalkPlan { seed: 12, ..plan },
    );
    assert_eq!(other.catch_up_walk(), 0);
    assert_ne!(last_prices(&other), last_prices(&stepped));
}
