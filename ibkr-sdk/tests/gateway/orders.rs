//! Single orders through the real client: preview, every order type, cancel, status,
//! rejection.

use std::time::Duration;

use ibkr_sdk::error::Outcome;
use ibkr_sdk::{
    Action, ContractSpec, Error, OrderId, OrderSpec, OrderStatus, OrderType, PreviewSource,
    TimeInForce, Trail,
};
use testkit::tws::{Auction, RequestKind, TwsFault};

use super::{AAPL, dec, trading};

fn aapl() -> ContractSpec {
    ContractSpec::stock("AAPL")
}

/// The order the fake received for `id`.
fn received(fake: &testkit::tws::FakeTws, id: OrderId) -> testkit::tws::proto::Order {
    fake.with_broker(|broker| broker.order(1, id.0).unwrap().order.clone())
}

#[tokio::test]
async fn preview_is_ibkrs_what_if_and_places_nothing() {
    let (fake, client) = trading().await;
    let spec = OrderSpec::limit(aapl(), Action::Buy, 100.into(), dec("180").into());
    let preview = client.orders().preview(&spec).await.unwrap();
    assert_eq!(preview.source, PreviewSource::Ibkr);
    assert_eq!(preview.notional, Some(dec("18000").into()));
    assert_eq!(preview.commission, Some(dec("1").into()));
    assert_eq!(
        preview.initial_margin_change,
        Some(dec("4500").into()),
        "25% of 100 × 180"
    );
    assert_eq!(preview.equity_with_loan_after, Some(dec("99999").into()));
    assert_eq!(preview.warning, None);
    assert_eq!(fake.count(RequestKind::PlaceOrder), 1);
    let what_if = fake
        .requests()
        .into_iter()
        .find(|r| r.kind == RequestKind::PlaceOrder)
        .unwrap();
    let sent: testkit::tws::proto::PlaceOrderRequest = what_if.decode().unwrap();
    assert_eq!(sent.order.unwrap().what_if, Some(true));
    assert!(
        fake.with_broker(|broker| broker.orders.is_empty()),
        "a what-if creates no order"
    );

    let huge = OrderSpec::limit(aapl(), Action::Buy, 5_000.into(), dec("189").into());
    let warned = client.orders().preview(&huge).await.unwrap();
    assert!(warned.warning.unwrap().contains("Insufficient equity"));
}

#[tokio::test]
async fn a_resting_limit_order_is_placed_looked_up_and_cancelled() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let spec = OrderSpec::limit(aapl(), Action::Buy, 10.into(), dec("180.5").into())
        .time_in_force(TimeInForce::Gtc);
    let placed = orders.place(&spec).await.unwrap();
    assert_eq!(placed.status, OrderStatus::Submitted);
    assert_eq!(placed.limit_price, Some(dec("180.5").into()));
    assert_eq!(placed.remaining, Some(10.into()));
    assert_eq!(placed.notional, Some(dec("1805").into()));
    assert!(placed.perm_id.is_some());
    let wire = received(&fake, placed.order_id);
    assert_eq!(
        (
            wire.order_type.as_deref(),
            wire.lmt_price,
            wire.tif.as_deref()
        ),
        (Some("LMT"), Some(180.5), Some("GTC"))
    );
    assert_eq!(wire.account.as_deref(), Some("DU1234567"));

    let open = orders.open_orders().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].order_id, placed.order_id);
    let status = orders.status(placed.order_id).await.unwrap();
    assert_eq!(
        (status.status.clone(), status.action, status.quantity),
        (OrderStatus::Submitted, Some(Action::Buy), Some(10.into()))
    );

    let cancelled = orders.cancel(placed.order_id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    let after = orders.status(placed.order_id).await.unwrap();
    assert_eq!(after.status, OrderStatus::Cancelled);
    assert_eq!(after.filled, 0.into());
    assert!(orders.open_orders().await.unwrap().is_empty());

    let again = orders.cancel(placed.order_id).await.unwrap_err();
    assert!(matches!(again, Error::NotCancellable { .. }), "{again:?}");
    let missing = orders.cancel(OrderId(9_999)).await.unwrap_err();
    assert!(
        matches!(missing, Error::OrderNotFound(OrderId(9_999))),
        "{missing:?}"
    );
    assert!(matches!(
        orders.status(OrderId(9_999)).await,
        Err(Error::OrderNotFound(_))
    ));
}

#[tokio::test]
async fn a_market_order_fills_with_executions_and_commission() {
    let (_fake, client) = trading().await;
    let orders = client.orders();
    let placed = orders
        .place(&OrderSpec::market(aapl(), Action::Buy, 25.into()))
        .await
        .unwrap();
    let filled = orders
        .wait(placed.order_id, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(filled.status, OrderStatus::Filled);
    assert_eq!(filled.filled, 25.into());
    assert_eq!(filled.avg_fill_price, Some(dec("189.51").into()));
    assert_eq!(filled.fills.len(), 1);
    assert_eq!(filled.fills[0].quantity, 25.into());
    assert_eq!(filled.fills[0].commission, Some(dec("1").into()));
    assert_eq!(
        filled.quantity,
        Some(25.into()),
        "ordered = filled + left, from the completed order"
    );
}

#[tokio::test]
async fn a_large_limit_order_fills_in_parts_at_the_displayed_size() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    // 300 are shown at the ask: 500 fill 300 now, the rest when the book refills.
    let placed = orders
        .place(&OrderSpec::limit(
            aapl(),
            Action::Buy,
            500.into(),
            dec("190").into(),
        ))
        .await
        .unwrap();
    let partial = orders.status(placed.order_id).await.unwrap();
    assert_eq!(
        (partial.status.clone(), partial.filled, partial.remaining),
        (OrderStatus::Submitted, 300.into(), Some(200.into()))
    );
    fake.set_last(AAPL, dec("189.60"));
    let done = orders
        .wait(placed.order_id, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(done.status, OrderStatus::Filled);
    assert_eq!(done.fills.len(), 2);
    assert_eq!(
        done.avg_fill_price,
        Some(dec("189.55").into()),
        "(300 × 189.51 + 200 × 189.61) / 500"
    );
}

#[tokio::test]
async fn stops_trigger_on_the_last_price() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let stop = orders
        .place(&OrderSpec::stop(
            aapl(),
            Action::Sell,
            5.into(),
            dec("185").into(),
        ))
        .await
        .unwrap();
    let stop_limit = OrderType::StopLimit {
        stop_price: dec("185").into(),
        limit_price: dec("184").into(),
    };
    let stop_limit = orders
        .place(&OrderSpec::of_type(
            aapl(),
            Action::Sell,
            5.into(),
            stop_limit,
        ))
        .await
        .unwrap();
    let wire = received(&fake, stop_limit.order_id);
    assert_eq!(
        (wire.order_type.as_deref(), wire.aux_price, wire.lmt_price),
        (Some("STP LMT"), Some(185.0), Some(184.0))
    );
    assert_eq!(
        orders.status(stop.order_id).await.unwrap().status,
        OrderStatus::Submitted
    );
    fake.set_last(AAPL, dec("184.90"));
    let stopped = orders
        .wait(stop.order_id, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(
        (stopped.status, stopped.avg_fill_price),
        (OrderStatus::Filled, Some(dec("184.89").into()))
    );
    let limited = orders
        .wait(stop_limit.order_id, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(limited.status, OrderStatus::Filled);
}

#[tokio::test]
async fn trailing_stops_follow_the_price() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let by_amount = OrderType::TrailingStop {
        trail: Trail::Amount(dec("2").into()),
        stop_price: None,
    };
    let by_amount = orders
        .place(&OrderSpec::of_type(
            aapl(),
            Action::Sell,
            1.into(),
            by_amount,
        ))
        .await
        .unwrap();
    let by_percent = OrderType::TrailingStop {
        trail: Trail::Percent(dec("5").into()),
        stop_price: None,
    };
    let by_percent = orders
        .place(&OrderSpec::of_type(
            aapl(),
            Action::Sell,
            1.into(),
            by_percent,
        ))
        .await
        .unwrap();
    let with_limit = OrderType::TrailingStopLimit {
        trail: Trail::Amount(dec("2").into()),
        stop_price: Some(dec("187").into()),
        limit_offset: dec("0.5").into(),
    };
    let with_limit = orders
        .place(&OrderSpec::of_type(
            aapl(),
            Action::Sell,
            1.into(),
            with_limit,
        ))
        .await
        .unwrap();
    let wire = received(&fake, by_percent.order_id);
    assert_eq!(
        (wire.order_type.as_deref(), wire.trailing_percent),
        (Some("TRAIL"), Some(5.0))
    );
    let wire = received(&fake, with_limit.order_id);
    assert_eq!(
        (
            wire.order_type.as_deref(),
            wire.aux_price,
            wire.trail_stop_price,
            wire.lmt_price_offset
        ),
        (Some("TRAIL LIMIT"), Some(2.0), Some(187.0), Some(0.5))
    );
    // Up to 195: the stops trail to 193, 185.25 and 193. At 192.5 the amount trail fills;
    // the stop-limit triggers but its limit (192.5) is above the bid.
    fake.set_last(AAPL, dec("195"));
    fake.set_last(AAPL, dec("192.5"));
    let done = orders
        .wait(by_amount.order_id, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(done.status, OrderStatus::Filled);
    let statuses = orders
        .statuses(&[by_percent.order_id, with_limit.order_id])
        .await
        .unwrap();
    assert!(
        statuses
            .iter()
            .all(|s| s.as_ref().unwrap().status == OrderStatus::Submitted),
        "{statuses:?}"
    );
    // 5% under 195 is 185.25.
    fake.set_last(AAPL, dec("185"));
    let done = orders
        .wait(by_percent.order_id, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(done.status, OrderStatus::Filled);
}

#[tokio::test]
async fn on_close_and_on_open_orders_wait_for_their_auction() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let moc = orders
        .place(&OrderSpec::of_type(
            aapl(),
            Action::Buy,
            3.into(),
            OrderType::MarketOnClose,
        ))
        .await
        .unwrap();
    let moo = orders
        .place(&OrderSpec::of_type(
            aapl(),
            Action::Buy,
            4.into(),
            OrderType::MarketOnOpen,
        ))
        .await
        .unwrap();
    assert_eq!(
        (moc.status.clone(), moo.status.clone()),
        (OrderStatus::PreSubmitted, OrderStatus::PreSubmitted)
    );
    let wire = received(&fake, moo.order_id);
    assert_eq!(
        (wire.order_type.as_deref(), wire.tif.as_deref()),
        (Some("MKT"), Some("OPG"))
    );
    assert_eq!(
        received(&fake, moc.order_id).order_type.as_deref(),
        Some("MOC")
    );
    fake.run_auction(Auction::Close);
    let closed = orders
        .wait(moc.order_id, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(
        (closed.status, closed.avg_fill_price),
        (OrderStatus::Filled, Some(dec("189.5").into()))
    );
    assert_eq!(
        orders.status(moo.order_id).await.unwrap().status,
        OrderStatus::PreSubmitted
    );
    fake.run_auction(Auction::Open);
    assert_eq!(
        orders
            .wait(moo.order_id, Duration::from_secs(3))
            .await
            .unwrap()
            .status,
        OrderStatus::Filled
    );
}

#[tokio::test]
async fn rejections_say_why_and_that_nothing_is_working() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let too_big = OrderSpec::limit(aapl(), Action::Buy, 5_000.into(), dec("189").into());
    let error = orders.place(&too_big).await.unwrap_err();
    match &error {
        Error::OrderRejected {
            code: 201, reason, ..
        } => assert!(reason.contains("EQUITY WITH LOAN"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(error.outcome(), Outcome::Rejected);
    assert!(fake.with_broker(|broker| broker.orders.is_empty()));

    let index = OrderSpec::market(ContractSpec::index("SPX"), Action::Buy, 1.into());
    assert!(
        matches!(orders.place(&index).await, Err(Error::InvalidOrder(_))),
        "refused before sending"
    );

    fake.inject(
        TwsFault::Error {
            code: 110,
            message: "The price does not conform to the minimum price variation for this contract."
                .into(),
        }
        .on(RequestKind::PlaceOrder),
    )
    .await;
    let error = orders
        .place(&OrderSpec::limit(
            aapl(),
            Action::Buy,
            1.into(),
            dec("180").into(),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::OrderRejected { code: 110, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_error_after_the_acknowledgement_is_never_a_rejection() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    fake.inject(
        TwsFault::ErrorAfterProcessing {
            code: 201,
            message: "Order rejected - reason: late margin check".into(),
        }
        .on(RequestKind::PlaceOrder),
    )
    .await;
    let spec = OrderSpec::limit(aapl(), Action::Buy, 1.into(), dec("150").into());
    let error = orders.place(&spec).await.unwrap_err();
    let Error::OutcomeUnknown { order_id, reason } = &error else {
        panic!("{error:?}");
    };
    assert!(
        reason.contains("acknowledged") && reason.contains("201"),
        "{reason}"
    );
    assert_eq!(error.outcome(), Outcome::Unknown);
    let found = orders.status(*order_id).await.unwrap();
    assert_eq!(
        found.status,
        OrderStatus::Submitted,
        "it is working: {found:?}"
    );
}

#[test]
fn every_error_names_its_outcome() {
    // Errors that end before the gateway is written to are "not sent"; errors of the
    // gateway's own or of the connection after a write are never guessed to be harmless.
    let unclassified = Error::Gateway(ibapi::Error::Simple("something new".into()));
    assert_eq!(unclassified.outcome(), Outcome::Unknown);
    assert_eq!(Error::NotConnected.outcome(), Outcome::NotSent);
    assert_eq!(
        Error::Ibkr {
            code: 10_000,
            message: String::new()
        }
        .outcome(),
        Outcome::Rejected
    );
}
