//! Recovery: the gateway restarts, drops, lingers or comes back as another account; the
//! client heals by itself and reads back what happened to its orders meanwhile.

use std::time::{Duration, Instant};

use futures::StreamExt;
use ibkr_sdk::error::Outcome;
use ibkr_sdk::{
    Action, BracketSpec, ContractSpec, Entry, Error, IbkrClient, LinkState, OrderChange, OrderSpec,
    OrderStatus, OrderUpdate, OrderUpdates, StreamEvent,
};
use testkit::tws::{FakeTws, RequestKind, TwsFault};

use super::{AAPL, config, connect, dec, eventually};

fn aapl() -> ContractSpec {
    ContractSpec::stock("AAPL")
}

/// The next update of the stream within 10 s.
async fn next(updates: &mut OrderUpdates) -> StreamEvent<OrderUpdate> {
    tokio::time::timeout(Duration::from_secs(10), updates.next())
        .await
        .expect("an order update within 10 s")
        .expect("the stream goes on")
}

/// Reads until an update with `change` for `order_id`, noting the gap markers seen.
async fn until_change(
    updates: &mut OrderUpdates,
    order_id: ibkr_sdk::OrderId,
    change: &OrderChange,
) -> (OrderUpdate, Vec<&'static str>) {
    let mut markers = Vec::new();
    loop {
        match next(updates).await {
            StreamEvent::Data(update)
                if update.report.order_id == order_id && &update.change == change =>
            {
                return (update, markers);
            }
            StreamEvent::Interrupted { .. } => markers.push("interrupted"),
            StreamEvent::Resumed => markers.push("resumed"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_restarted_gateway_is_used_again_and_calls_meanwhile_fail_at_once() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    assert!(matches!(
        client.connection(),
        LinkState::Connected { session: 1, .. }
    ));

    fake.stop();
    assert!(
        eventually(Duration::from_secs(3), || !client.is_connected()).await,
        "the loss went unnoticed"
    );
    assert!(matches!(
        client.connection(),
        LinkState::Reconnecting { .. }
    ));
    // Away: every call fails at once with a typed error, an order is not sent and not
    // kept to be sent later.
    let started = Instant::now();
    let error = client.healthcheck().await.unwrap_err();
    assert!(matches!(error, Error::NotConnected), "{error:?}");
    let order = OrderSpec::limit(aapl(), Action::Buy, 1.into(), dec("150").into());
    let error = client.orders().place(&order).await.unwrap_err();
    assert!(matches!(error, Error::NotConnected), "{error:?}");
    assert_eq!(error.outcome(), Outcome::NotSent);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let placed_before = fake.count(RequestKind::PlaceOrder);
    let waited = client.wait_connected(Duration::from_millis(300)).await;
    assert!(matches!(waited, Err(Error::Timeout { .. })), "{waited:?}");

    // Several attempts fail while it is down, each one counted.
    assert!(
        eventually(Duration::from_secs(5), || matches!(
            client.connection(),
            LinkState::Reconnecting { attempts, .. } if attempts >= 2
        ))
        .await,
        "{:?}",
        client.connection()
    );
    fake.restart().await.unwrap();
    let back = Instant::now();
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    let health = client.healthcheck().await.unwrap();
    assert!(health.connected);
    assert!(
        back.elapsed() < Duration::from_secs(3),
        "back after {:?}",
        back.elapsed()
    );
    assert!(matches!(
        client.connection(),
        LinkState::Connected { session: 2, .. }
    ));
    assert_eq!(
        fake.count(RequestKind::PlaceOrder),
        placed_before,
        "the refused order was not sent after the reconnect"
    );
    // And trading works on the new session.
    let placed = client.orders().place(&order).await.unwrap();
    assert_eq!(placed.status, OrderStatus::Submitted);
}

#[tokio::test]
async fn an_order_that_fills_while_the_client_is_away_shows_filled_with_its_fills() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    let mut updates = client.order_updates();
    let order = OrderSpec::limit(aapl(), Action::Buy, 10.into(), dec("150").into());
    let placed = client.orders().place(&order).await.unwrap();
    assert_eq!(placed.status, OrderStatus::Submitted);

    fake.stop();
    assert!(eventually(Duration::from_secs(3), || !client.is_connected()).await);
    fake.set_last(AAPL, dec("149"));
    fake.restart().await.unwrap();

    let (update, markers) =
        until_change(&mut updates, placed.order_id, &OrderChange::Reconciled).await;
    assert_eq!(markers, ["interrupted", "resumed"], "the gap is announced");
    assert_eq!(update.report.status, OrderStatus::Filled);
    assert_eq!(update.report.filled, 10.into());
    assert_eq!(update.report.fills.len(), 1, "{:?}", update.report.fills);
    assert!(update.report.fills[0].commission.is_some());
    assert_eq!(
        client.orders().tracked(placed.order_id).unwrap().status,
        OrderStatus::Filled
    );
}

#[tokio::test]
async fn an_order_whose_answer_was_lost_is_read_back_after_the_reconnect() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    let mut updates = client.order_updates();
    fake.inject(TwsFault::DropAfterProcessing.on(RequestKind::PlaceOrder))
        .await;
    let order = OrderSpec::limit(aapl(), Action::Buy, 5.into(), dec("150").into());
    let error = client.orders().place(&order).await.unwrap_err();
    let Error::OutcomeUnknown { order_id, .. } = error else {
        panic!("{error:?}")
    };
    assert_eq!(client.orders().in_doubt(), [order_id]);

    let (update, _) = until_change(&mut updates, order_id, &OrderChange::Reconciled).await;
    assert_eq!(
        update.report.status,
        OrderStatus::Submitted,
        "it is working: it must not be sent again"
    );
    assert!(client.orders().in_doubt().is_empty());
    assert_eq!(fake.count(RequestKind::PlaceOrder), 1);
}

#[tokio::test]
async fn an_order_that_never_arrived_is_reported_not_at_the_gateway() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    let mut updates = client.order_updates();
    fake.inject(TwsFault::DropBeforeProcessing.on(RequestKind::PlaceOrder))
        .await;
    let order = OrderSpec::limit(aapl(), Action::Buy, 5.into(), dec("150").into());
    let error = client.orders().place(&order).await.unwrap_err();
    let Error::OutcomeUnknown { order_id, .. } = error else {
        panic!("{error:?}")
    };
    let (update, _) = until_change(&mut updates, order_id, &OrderChange::NotAtGateway).await;
    assert_eq!(update.report.order_id, order_id);
    assert!(client.orders().in_doubt().is_empty());
    assert!(fake.with_broker(|broker| broker.orders.is_empty()));
}

#[tokio::test]
async fn a_drop_in_the_middle_of_a_bracket_leaves_the_sent_leg_in_doubt_until_read_back() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    let mut updates = client.order_updates();
    fake.inject(TwsFault::DropAfterProcessing.on(RequestKind::PlaceOrder))
        .await;
    let bracket = BracketSpec {
        contract: aapl(),
        action: Action::Buy,
        quantity: 10.into(),
        entry: Entry::Limit {
            price: dec("150").into(),
        },
        take_profit: dec("200").into(),
        stop_loss: dec("140").into(),
        time_in_force: Default::default(),
    };
    let error = client.orders().place_bracket(&bracket).await.unwrap_err();
    assert_ne!(error.outcome(), Outcome::NotSent, "{error:?}");
    let in_doubt = client.orders().in_doubt();
    assert!(!in_doubt.is_empty(), "{error:?}");
    let entry = in_doubt[0];
    assert_eq!(error.orders_in_doubt(), in_doubt);

    let (update, _) = until_change(&mut updates, entry, &OrderChange::Reconciled).await;
    assert!(!update.report.status.is_final(), "{:?}", update.report);
    assert_eq!(
        fake.count(RequestKind::PlaceOrder),
        1,
        "the other legs were not sent, before or after the reconnect"
    );
    assert!(client.orders().in_doubt().is_empty());
}

#[tokio::test]
async fn a_gateway_back_as_a_live_account_stops_everything_until_it_is_paper_again() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    fake.set_account("U7654321");
    fake.disconnect_all();
    assert!(
        eventually(Duration::from_secs(5), || matches!(
            client.connection(),
            LinkState::Refused { .. }
        ))
        .await,
        "{:?}",
        client.connection()
    );
    let LinkState::Refused { reason, .. } = client.connection() else {
        unreachable!()
    };
    assert!(reason.contains("live account"), "{reason}");
    assert!(!client.is_connected());
    let order = OrderSpec::market(aapl(), Action::Buy, 1.into());
    let error = client.orders().place(&order).await.unwrap_err();
    assert!(matches!(error, Error::NotConnected), "{error:?}");
    assert!(client.healthcheck().await.is_err());
    assert_eq!(fake.count(RequestKind::PlaceOrder), 0);

    fake.set_account("DU1234567");
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    assert!(client.healthcheck().await.is_ok());
}

#[tokio::test]
async fn a_client_id_the_gateway_still_holds_is_waited_out() {
    let fake = FakeTws::builder()
        .linger(Duration::from_millis(1_500))
        .start()
        .await;
    let client = IbkrClient::connect(config(&fake, false)).await.unwrap();
    fake.disconnect_all();
    assert!(
        eventually(Duration::from_secs(5), || matches!(
            client.connection(),
            LinkState::Reconnecting { last_error: Some(ref e), .. } if e.contains("client id")
        ))
        .await,
        "{:?}",
        client.connection()
    );
    client.wait_connected(Duration::from_secs(6)).await.unwrap();
    client.healthcheck().await.unwrap();
}
