//! Linked sets (brackets, OCA groups), cancelling and looking up a set, and orders whose
//! outcome is unknown.

use std::sync::Arc;
use std::time::Duration;

use ibkr_sdk::clock::ManualClock;
use ibkr_sdk::error::Outcome;
use ibkr_sdk::{
    Action, BracketSpec, ContractSpec, Entry, Error, IbkrClient, OrderSpec, OrderStatus,
    TimeInForce,
};
use testkit::tws::{FakeTws, RequestKind, TwsFault};

use super::{AAPL, config, dec, eventually, trading};

fn bracket(entry: &str, take_profit: &str, stop_loss: &str) -> BracketSpec {
    BracketSpec {
        contract: ContractSpec::stock("AAPL"),
        action: Action::Buy,
        quantity: 10.into(),
        entry: Entry::Limit {
            price: dec(entry).into(),
        },
        take_profit: dec(take_profit).into(),
        stop_loss: dec(stop_loss).into(),
        time_in_force: TimeInForce::Gtc,
    }
}

#[tokio::test]
async fn a_bracket_enters_then_one_exit_cancels_the_other() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let placed = orders
        .place_bracket(&bracket("189", "195", "185"))
        .await
        .unwrap();
    let [entry, take_profit, stop_loss] = placed.ids();
    assert_eq!(placed.entry.status, OrderStatus::Submitted);
    assert_eq!(placed.take_profit.parent_id, Some(entry));
    assert_eq!(
        (
            placed.take_profit.status.clone(),
            placed.stop_loss.status.clone()
        ),
        (OrderStatus::PreSubmitted, OrderStatus::PreSubmitted)
    );
    assert_eq!(
        (
            placed.take_profit.action,
            placed.stop_loss.order_type.as_deref()
        ),
        (Some(Action::Sell), Some("STP"))
    );
    assert_eq!(fake.count(RequestKind::PlaceOrder), 3);

    fake.set_last(AAPL, dec("188.5"));
    assert_eq!(
        orders
            .wait(entry, Duration::from_secs(3))
            .await
            .unwrap()
            .status,
        OrderStatus::Filled
    );
    let working = orders.statuses(&[take_profit, stop_loss]).await.unwrap();
    assert!(
        working
            .iter()
            .all(|s| s.as_ref().unwrap().status == OrderStatus::Submitted),
        "{working:?}"
    );

    fake.set_last(AAPL, dec("195.5"));
    let exit = orders
        .wait(take_profit, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(
        (exit.status, exit.avg_fill_price),
        (OrderStatus::Filled, Some(dec("195.49").into()))
    );
    let statuses: Vec<OrderStatus> = orders
        .statuses(&placed.ids())
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap().status)
        .collect();
    assert_eq!(
        statuses,
        [
            OrderStatus::Filled,
            OrderStatus::Filled,
            OrderStatus::Cancelled
        ]
    );
    assert!(
        client.account().positions().await.unwrap().is_empty(),
        "flat after the exit"
    );
}

#[tokio::test]
async fn a_whole_set_is_cancelled_at_once() {
    let (_fake, client) = trading().await;
    let orders = client.orders();
    let placed = orders
        .place_bracket(&bracket("180", "195", "175"))
        .await
        .unwrap();
    // Cancelling the entry takes its exits with it; each still reports cancelled.
    let results = orders.cancel_all(&placed.ids()).await;
    for result in &results {
        assert_eq!(
            result.as_ref().unwrap().status,
            OrderStatus::Cancelled,
            "{results:?}"
        );
    }
    assert!(orders.open_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_invalid_or_refused_bracket_leaves_nothing_working() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let inverted = orders
        .place_bracket(&bracket("189", "185", "195"))
        .await
        .unwrap_err();
    assert!(matches!(inverted, Error::InvalidOrder(_)), "{inverted:?}");
    assert_eq!(fake.count(RequestKind::PlaceOrder), 0);

    let mut huge = bracket("189", "195", "185");
    huge.quantity = 5_000.into();
    let refused = orders.place_bracket(&huge).await.unwrap_err();
    assert!(
        matches!(refused, Error::OrderRejected { code: 201, .. }),
        "{refused:?}"
    );
    assert_eq!(refused.outcome(), Outcome::Rejected);
    assert!(orders.open_orders().await.unwrap().is_empty());
}

#[tokio::test]
async fn one_fill_cancels_the_rest_of_an_oca_group() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let specs = [
        OrderSpec::limit(
            ContractSpec::stock("AAPL"),
            Action::Buy,
            10.into(),
            dec("185").into(),
        ),
        OrderSpec::limit(
            ContractSpec::stock("MSFT"),
            Action::Buy,
            5.into(),
            dec("400").into(),
        ),
    ];
    let group = orders.place_oca(&specs).await.unwrap();
    assert!(group.group.starts_with("oca-1-"));
    assert!(
        group
            .orders
            .iter()
            .all(|o| o.oca_group.as_deref() == Some(group.group.as_str()))
    );
    let ids: Vec<_> = group.orders.iter().map(|o| o.order_id).collect();
    fake.set_last(AAPL, dec("184"));
    assert_eq!(
        orders
            .wait(ids[0], Duration::from_secs(3))
            .await
            .unwrap()
            .status,
        OrderStatus::Filled
    );
    assert_eq!(
        orders.status(ids[1]).await.unwrap().status,
        OrderStatus::Cancelled
    );
    let one = orders.place_oca(&specs[..1]).await.unwrap_err();
    assert!(matches!(one, Error::InvalidRequest(_)));
}

#[tokio::test]
async fn a_lost_acknowledgement_is_outcome_unknown_and_the_order_is_found_later() {
    // The fake's time is the test's: a delayed answer waits until the test moves it.
    let fake = FakeTws::builder()
        .manual_clock(Arc::new(ManualClock::starting_now()))
        .start()
        .await;
    let mut quick = config(&fake, true);
    quick.request_timeout = Duration::from_millis(700);
    let client = IbkrClient::connect(quick).await.unwrap();
    let orders = client.orders();
    let spec = OrderSpec::limit(
        ContractSpec::stock("AAPL"),
        Action::Buy,
        10.into(),
        dec("180").into(),
    );

    // The gateway takes the order, then the connection drops before any reply.
    fake.inject(TwsFault::DropAfterProcessing.on(RequestKind::PlaceOrder))
        .await;
    let error = orders.place(&spec).await.unwrap_err();
    let Error::OutcomeUnknown { order_id, .. } = error else {
        panic!("{error:?}")
    };
    assert_eq!(
        Error::OutcomeUnknown {
            order_id,
            reason: String::new()
        }
        .outcome(),
        Outcome::Unknown
    );
    assert!(
        eventually(Duration::from_secs(10), || client.is_connected()).await,
        "no reconnection"
    );
    let found = orders.status(order_id).await.unwrap();
    assert_eq!(
        found.status,
        OrderStatus::Submitted,
        "the order is working: it must not be sent again"
    );

    // A slow gateway: no answer within the timeout, the order works anyway.
    fake.inject(
        TwsFault::Slow {
            delay: Duration::from_millis(1_500),
        }
        .on(RequestKind::PlaceOrder),
    )
    .await;
    let error = orders.place(&spec).await.unwrap_err();
    let Error::OutcomeUnknown { order_id, reason } = error else {
        panic!("{error:?}")
    };
    assert!(reason.contains("no acknowledgement"), "{reason}");
    fake.advance(Duration::from_millis(1_500));
    assert_eq!(
        orders.status(order_id).await.unwrap().status,
        OrderStatus::Submitted
    );

    // A gateway that never answers the cancel: unknown too.
    fake.inject(TwsFault::NoReply.on(RequestKind::CancelOrder))
        .await;
    let error = orders.cancel(order_id).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
}
