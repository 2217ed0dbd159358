//! The stream client end to end against the testkit's fake, which serves the exchange's
//! WebSocket API from the same engine as its REST API: public and private streams carrying
//! the effects of REST orders in order, the local book against REST snapshots, every
//! injected fault followed by a reconnect and a resubscribe, signatures refused, pings
//! answered, slow readers told what they missed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use std::time::Duration;

use backpack_sdk::Client;
use backpack_sdk::model::{OrderStatus, Side};
use backpack_sdk::spec::OrderSpec;
use backpack_sdk::ws::{
    DepthInterval, Event, OrderBook, OrderEventKind, StreamItem, StreamName, Streams, Subscription,
};
use testkit::backpack::{FakeBackpack, KeyPair, StreamSettings, WireForm};

const WAIT: Duration = Duration::from_secs(10);

async fn fake() -> FakeBackpack {
    fake_with(WireForm::Documented).await
}

async fn fake_with(form: WireForm) -> FakeBackpack {
    FakeBackpack::builder()
        .streams(StreamSettings {
            form,
            tick: Duration::from_millis(5),
            periodic: Duration::from_millis(50),
            ping_interval: Duration::from_millis(50),
            ..StreamSettings::default()
        })
        .start()
        .await
}

fn client(fake: &FakeBackpack) -> Client {
    fake.client_builder().build().unwrap()
}

fn streams(fake: &FakeBackpack, client: &Client) -> Streams {
    client
        .streams()
        .url(fake.ws_url())
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .idle_timeout(Duration::from_millis(400))
        .ping_interval(Duration::from_millis(100))
        .build()
        .unwrap()
}

/// The next item matching `want`, skipping others; panics after [`WAIT`].
async fn until(
    subscription: &mut Subscription,
    what: &str,
    mut want: impl FnMut(&StreamItem) -> bool,
) -> StreamItem {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let item = tokio::time::timeout_at(deadline, subscription.next())
            .await
            .unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
            .expect("the subscription ended");
        if want(&item) {
            return item;
        }
    }
}

async fn subscribed(subscription: &mut Subscription) {
    until(subscription, "subscription", |item| {
        matches!(item, StreamItem::Subscribed { .. })
    })
    .await;
}

/// Waits for the next depth event.
async fn depth(subscription: &mut Subscription, what: &str) {
    until(subscription, what, |item| {
        matches!(
            item,
            StreamItem::Event {
                event: Event::Depth(_),
                ..
            }
        )
    })
    .await;
}

fn order_events(items: &[StreamItem], id: &str) -> Vec<(OrderEventKind, OrderStatus)> {
    items
        .iter()
        .filter_map(|item| match item {
            StreamItem::Event {
                event: Event::Order(update),
                ..
            } if update.order_id.as_str() == id => {
                Some((update.kind.clone(), update.status.clone()))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_orders_show_on_the_private_and_public_streams_in_order() {
    let fake = fake().await;
    let client = client(&fake);
    let streams = streams(&fake, &client);
    let mut subscription = streams
        .subscribe([
            StreamName::order_updates(None),
            StreamName::ticker("SOL_USDC"),
            StreamName::trades("SOL_USDC"),
        ])
        .unwrap();
    subscribed(&mut subscription).await;
    // The exchange acknowledges nothing: the first data says the server has the requests
    // (they are sent in name order, so the private one went first).
    until(&mut subscription, "a ticker", |item| {
        matches!(
            item,
            StreamItem::Event {
                event: Event::Ticker(_),
                ..
            }
        )
    })
    .await;

    // A bid far below the market rests; then it is cancelled.
    let resting = OrderSpec::limit(
        "SOL_USDC",
        Side::Bid,
        "100".parse().unwrap(),
        "1".parse().unwrap(),
    )
    .build()
    .unwrap();
    let placed = client.orders().place(&resting).await.unwrap();
    client
        .orders()
        .cancel("SOL_USDC", placed.id.clone())
        .await
        .unwrap();
    // A market buy fills against the simulated market maker.
    let taker = OrderSpec::market("SOL_USDC", Side::Bid, "2".parse().unwrap())
        .build()
        .unwrap();
    let filled = client.orders().place(&taker).await.unwrap();

    let mut seen = Vec::new();
    let mut trade_seen = false;
    until(&mut subscription, "the fill and the trade", |item| {
        seen.push(item.clone());
        if let StreamItem::Event {
            event: Event::Trade(trade),
            ..
        } = item
        {
            trade_seen |= trade.buyer_order_id.as_ref() == Some(&filled.id);
        }
        trade_seen
            && order_events(&seen, filled.id.as_str())
                .iter()
                .any(|(_, status)| *status == OrderStatus::Filled)
    })
    .await;
    assert_eq!(
        order_events(&seen, placed.id.as_str()),
        vec![
            (OrderEventKind::Accepted, OrderStatus::New),
            (OrderEventKind::Cancelled, OrderStatus::Cancelled)
        ]
    );
    let fills = order_events(&seen, filled.id.as_str());
    assert_eq!(
        fills.first(),
        Some(&(OrderEventKind::Accepted, OrderStatus::New))
    );
    assert!(
        fills[1..]
            .iter()
            .all(|(kind, _)| *kind == OrderEventKind::Fill),
        "{fills:?}"
    );
    let last_fill = seen
        .iter()
        .rev()
        .find_map(|item| match item {
            StreamItem::Event {
                event: Event::Order(update),
                ..
            } if update.order_id == filled.id => Some(update.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(last_fill.executed_quantity, Some("2".parse().unwrap()));
    assert!(last_fill.average_price().is_some() && last_fill.fee.is_some());
    assert!(seen.iter().all(|item| !matches!(
        item,
        StreamItem::Event {
            event: Event::Unrecognized(_),
            ..
        }
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_book_matches_the_rest_snapshot_and_survives_a_sequence_gap() {
    let fake = fake().await;
    let client = client(&fake);
    let streams = streams(&fake, &client);
    let mut book =
        OrderBook::start(&streams, &client, "SOL_USDC", DepthInterval::Realtime).unwrap();
    assert!(book.wait_synced(WAIT).await, "{:?}", book.status());

    // Compare with a snapshot taken at the same update id (the market moves meanwhile).
    let mut compared = 0;
    for _ in 0..200 {
        let depth = client.markets().depth("SOL_USDC", None).await.unwrap();
        let (id, bids, asks) =
            book.read(|b| (b.last_update_id(), b.bids(usize::MAX), b.asks(usize::MAX)));
        if id == Some(depth.last_update_id) {
            assert_eq!(bids, depth.bids_best_first());
            assert_eq!(asks, depth.asks);
            compared += 1;
            if compared == 3 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        compared > 0,
        "never caught the book and a snapshot at the same update id"
    );

    // A skipped update id: the book notices, resyncs and is consistent again.
    fake.stream_faults().skip_depth_sequence();
    let deadline = tokio::time::Instant::now() + WAIT;
    while book.status().resyncs == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gap went unnoticed: {:?}",
            book.status()
        );
        book.changed().await;
    }
    assert!(book.wait_synced(WAIT).await);
    let (bid, ask) = book.read(|b| (b.best_bid().unwrap(), b.best_ask().unwrap()));
    assert!(bid.price() < ask.price());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_followed_by_a_reconnect_and_a_resubscribe() {
    let fake = fake().await;
    let client = client(&fake);
    let streams = streams(&fake, &client);
    let mut subscription = streams
        .subscribe([StreamName::depth("SOL_USDC", DepthInterval::Realtime)])
        .unwrap();
    subscribed(&mut subscription).await;
    assert_eq!(
        streams.reconnects(),
        0,
        "the first connection is no reconnect"
    );
    // Data means the server's side of the connection is up and hears the fault switches
    // (a fault sent before that reached no connection, and the test waited in vain).
    depth(&mut subscription, "the first depth").await;
    let faults = fake.stream_faults();
    let mut reconnects_seen = 0;
    for (name, inject) in [
        (
            "drop",
            Box::new(|| faults.drop_connections()) as Box<dyn Fn()>,
        ),
        ("close", Box::new(|| faults.close_connections())),
        (
            "silence",
            Box::new(|| faults.go_silent(Duration::from_secs(1))),
        ),
        (
            "malformed frame",
            Box::new(|| faults.send_malformed_frame()),
        ),
    ] {
        let accepted = faults.connections_accepted();
        inject();
        let StreamItem::Disconnected { reason, .. } = until(&mut subscription, name, |item| {
            matches!(item, StreamItem::Disconnected { .. })
        })
        .await
        else {
            unreachable!()
        };
        let resubscribed = until(&mut subscription, name, |item| {
            matches!(item, StreamItem::Subscribed { .. })
        })
        .await;
        assert_eq!(
            resubscribed,
            StreamItem::Subscribed { after_gap: true },
            "{name}: {reason}"
        );
        depth(&mut subscription, name).await;
        assert!(
            faults.connections_accepted() > accepted,
            "{name}: no new connection"
        );
        // Counted before the subscriber hears of it; a fault can cost more than one
        // connection (the silence may outlast the first attempt), never fewer.
        reconnects_seen += 1;
        assert!(
            streams.reconnects() >= reconnects_seen,
            "{name}: {} reconnects counted, at least {reconnects_seen} seen",
            streams.reconnects()
        );
    }
    assert!(
        faults.pongs_received() > 0,
        "the client never answered the server's pings"
    );

    // Dropping the last subscription closes the socket: the next one connects afresh, which
    // is no reconnect.
    let reconnects = streams.reconnects();
    let accepted = faults.connections_accepted();
    drop(subscription);
    let mut subscription = streams
        .subscribe([StreamName::depth("SOL_USDC", DepthInterval::Realtime)])
        .unwrap();
    let first = until(&mut subscription, "new subscription", |item| {
        matches!(item, StreamItem::Subscribed { .. })
    })
    .await;
    assert_eq!(first, StreamItem::Subscribed { after_gap: false });
    // The server counts the connection in its own task, maybe after the client subscribed.
    let deadline = tokio::time::Instant::now() + WAIT;
    while faults.connections_accepted() == accepted {
        assert!(tokio::time::Instant::now() < deadline, "no new connection");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(streams.reconnects(), reconnects);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_checked_unknown_streams_refused_and_the_position_snapshot_sent() {
    let fake = fake().await;
    let stranger = Client::builder()
        .base_url(fake.uri())
        .credentials(
            backpack_sdk::Credentials::from_secret(&KeyPair::from_seed(&[9; 32]).api_secret())
                .unwrap(),
        )
        .build()
        .unwrap();
    let streams = streams(&fake, &stranger);
    let mut refused = streams
        .subscribe([StreamName::order_updates(None)])
        .unwrap();
    let error = until(&mut refused, "an error frame", |item| {
        matches!(item, StreamItem::ServerError(_))
    })
    .await;
    let StreamItem::ServerError(error) = error else {
        unreachable!()
    };
    assert_eq!(error.code, 4002, "{error:?}");

    let unknown = streams
        .subscribe([StreamName::trades("NOPE_USDC")])
        .unwrap();
    drop(unknown);
    let mut bad = streams
        .subscribe([StreamName::parse("bogus.SOL_USDC").unwrap()])
        .unwrap();
    let StreamItem::ServerError(error) = until(&mut bad, "invalid stream", |item| {
        matches!(item, StreamItem::ServerError(_))
    })
    .await
    else {
        unreachable!()
    };
    assert_eq!(
        (error.code, error.message.as_str()),
        (4006, "Invalid stream")
    );

    // Without keys, private streams are refused before anything is sent.
    let public = Client::builder().base_url(fake.uri()).build().unwrap();
    let no_keys = public.streams().url(fake.ws_url()).build().unwrap();
    assert!(
        no_keys
            .subscribe([StreamName::position_updates(None)])
            .is_err()
    );

    // An open perp position is sent on subscribe, without an event kind.
    let client = client(&fake);
    let long = OrderSpec::market("SOL_USDC_PERP", Side::Bid, "3".parse().unwrap())
        .build()
        .unwrap();
    client.orders().place(&long).await.unwrap();
    let streams = self::streams(&fake, &client);
    let mut positions = streams
        .subscribe([StreamName::position_updates(None)])
        .unwrap();
    let StreamItem::Event {
        event: Event::Position(position),
        ..
    } = until(&mut positions, "the position snapshot", |item| {
        matches!(item, StreamItem::Event { .. })
    })
    .await
    else {
        panic!("not a position")
    };
    assert_eq!(position.kind, None);
    assert_eq!(position.net_quantity, "3".parse().unwrap());
    // And a change to it comes as an event.
    let more = OrderSpec::market("SOL_USDC_PERP", Side::Bid, "1".parse().unwrap())
        .build()
        .unwrap();
    client.orders().place(&more).await.unwrap();
    let StreamItem::Event {
        event: Event::Position(position),
        ..
    } = until(&mut positions, "a position update", |item| {
        matches!(item, StreamItem::Event { .. })
    })
    .await
    else {
        panic!("not a position")
    };
    assert_eq!(position.net_quantity, "4".parse().unwrap());
    assert!(position.kind.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_told_what_it_missed_and_dropping_everything_closes_the_socket() {
    let fake = fake().await;
    let client = client(&fake);
    let streams = client
        .streams()
        .url(fake.ws_url())
        .buffer(2)
        .build()
        .unwrap();
    let mut slow = streams
        .subscribe([
            StreamName::depth("SOL_USDC", DepthInterval::Realtime),
            StreamName::ticker("SOL_USDC"),
        ])
        .unwrap();
    let mut fast = streams.subscribe([StreamName::ticker("SOL_USDC")]).unwrap();
    // The fast reader keeps reading while the slow one does not.
    for _ in 0..10 {
        until(&mut fast, "ticker", |item| {
            matches!(item, StreamItem::Event { .. })
        })
        .await;
    }
    let lagged = until(&mut slow, "a lag notice", |item| {
        matches!(item, StreamItem::Lagged { .. })
    })
    .await;
    assert!(matches!(lagged, StreamItem::Lagged { missed } if missed > 0));

    let faults = fake.stream_faults();
    assert_eq!(
        faults.connections_open(),
        1,
        "one connection carries both subscriptions"
    );
    drop((slow, fast));
    let deadline = tokio::time::Instant::now() + WAIT;
    while faults.connections_open() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the socket stayed open"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every stream, in the documented form and in the drift seen live (quoted numbers, ISO
/// kline times, numbers as strings in positions): each yields typed events, none
/// unrecognised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stream_decodes_in_the_documented_form_and_in_the_live_drift() {
    for form in [WireForm::Documented, WireForm::Live] {
        let fake = fake_with(form).await;
        let client = client(&fake);
        let streams = streams(&fake, &client);
        let mut subscription = streams
            .subscribe([
                StreamName::order_updates(None),
                StreamName::position_updates(None),
                StreamName::book_ticker("SOL_USDC"),
                StreamName::depth("SOL_USDC", DepthInterval::Ms200),
                StreamName::kline("SOL_USDC", &backpack_sdk::model::KlineInterval::OneMinute),
                StreamName::mark_price("SOL_USDC_PERP"),
                StreamName::open_interest("SOL_USDC_PERP"),
                StreamName::ticker("SOL_USDC"),
                StreamName::trades("SOL_USDC_PERP"),
            ])
            .unwrap();
        subscribed(&mut subscription).await;
        until(&mut subscription, "a ticker", |item| {
            matches!(
                item,
                StreamItem::Event {
                    event: Event::Ticker(_),
                    ..
                }
            )
        })
        .await;
        let order = OrderSpec::market("SOL_USDC_PERP", Side::Bid, "1".parse().unwrap())
            .build()
            .unwrap();
        client.orders().place(&order).await.unwrap();
        let mut kinds = std::collections::HashSet::new();
        until(&mut subscription, "one event of every stream", |item| {
            if let StreamItem::Event { event, .. } = item {
                assert!(
                    !matches!(event, Event::Unrecognized(_)),
                    "{form:?}: {event:?}"
                );
                kinds.insert(std::mem::discriminant(event));
            }
            kinds.len() == 9
        })
        .await;
    }
}
