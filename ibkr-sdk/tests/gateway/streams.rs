//! Live streams through the real client: quotes, positions, PnL and order updates, each
//! resubscribed after a gateway restart and cancelled at the gateway when dropped.

use std::time::Duration;

use futures::{Stream, StreamExt};
use ibkr_sdk::streams::{PositionUpdate, QuoteUpdate};
use ibkr_sdk::{Action, ContractSpec, Error, OrderChange, OrderSpec, OrderStatus, StreamEvent};
use testkit::tws::{DataPermission, FakeTws, RequestKind};

use super::{AAPL, connect, dec, eventually};

async fn next<T, S>(stream: &mut S) -> StreamEvent<T>
where
    S: Stream<Item = Result<StreamEvent<T>, Error>> + Unpin,
{
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an item within 10 s")
        .expect("the stream goes on")
        .expect("no error")
}

/// Data items until one passes `check`, with the markers seen before it.
async fn until<T: std::fmt::Debug, S>(
    stream: &mut S,
    mut check: impl FnMut(&T) -> bool,
) -> (T, Vec<&'static str>)
where
    S: Stream<Item = Result<StreamEvent<T>, Error>> + Unpin,
{
    let mut markers = Vec::new();
    loop {
        match next(stream).await {
            StreamEvent::Data(data) if check(&data) => return (data, markers),
            StreamEvent::Interrupted { .. } => markers.push("interrupted"),
            StreamEvent::Resumed => markers.push("resumed"),
            _ => {}
        }
    }
}

fn last_is(price: &str) -> impl FnMut(&QuoteUpdate) -> bool + '_ {
    move |update| update.quote.last == Some(dec(price).into())
}

#[tokio::test]
async fn a_quote_stream_follows_prices_across_a_restart_and_cancels_when_dropped() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let mut quotes = client
        .market_data()
        .quote_stream(&ContractSpec::stock("AAPL"))
        .await
        .unwrap();
    let (first, _) = until(&mut quotes, |u: &QuoteUpdate| u.quote.bid.is_some()).await;
    assert_eq!(first.quote.source, ibkr_sdk::DataSource::Live);
    fake.set_last(AAPL, dec("191.5"));
    until(&mut quotes, last_is("191.5")).await;

    fake.stop();
    assert!(eventually(Duration::from_secs(3), || !client.is_connected()).await);
    fake.set_last(AAPL, dec("192.5"));
    fake.restart().await.unwrap();
    let (_, markers) = until(&mut quotes, last_is("192.5")).await;
    assert_eq!(markers, ["interrupted", "resumed"]);

    let cancels = fake.count(RequestKind::CancelMarketData);
    drop(quotes);
    assert!(
        eventually(Duration::from_secs(3), || fake
            .count(RequestKind::CancelMarketData)
            > cancels)
        .await,
        "the gateway saw no cancel"
    );
}

#[tokio::test]
async fn a_quote_stream_without_permission_is_a_typed_error() {
    let fake = FakeTws::start().await;
    fake.set_permission(AAPL, DataPermission::None);
    let mut config = super::config(&fake, false);
    config.delayed_data_fallback = false;
    let client = ibkr_sdk::IbkrClient::connect(config).await.unwrap();
    let opened = client
        .market_data()
        .quote_stream(&ContractSpec::stock("AAPL"))
        .await;
    let error = match opened {
        Err(error) => error,
        Ok(mut stream) => loop {
            match tokio::time::timeout(Duration::from_secs(10), stream.next())
                .await
                .unwrap()
            {
                Some(Err(error)) => break error,
                Some(Ok(_)) => {}
                None => panic!("ended without an error"),
            }
        },
    };
    assert!(
        matches!(error, Error::NoMarketDataPermission { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn position_and_pnl_streams_list_then_update_and_come_back_after_a_restart() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    let mut positions = client.account().position_stream().await.unwrap();
    let mut pnl = client.account().pnl_stream().await.unwrap();
    until(&mut positions, |p: &PositionUpdate| {
        *p == PositionUpdate::End
    })
    .await;
    next(&mut pnl).await;

    let order = OrderSpec::market(ContractSpec::stock("AAPL"), Action::Buy, 7.into());
    client.orders().place(&order).await.unwrap();
    let (held, _) = until(&mut positions, |p: &PositionUpdate| {
        matches!(p, PositionUpdate::Position { quantity, .. } if *quantity == 7.into())
    })
    .await;
    assert!(matches!(held, PositionUpdate::Position { ref symbol, .. } if symbol == "AAPL"));

    fake.stop();
    assert!(eventually(Duration::from_secs(3), || !client.is_connected()).await);
    fake.restart().await.unwrap();
    let (_, markers) = until(&mut positions, |p: &PositionUpdate| {
        matches!(p, PositionUpdate::Position { quantity, .. } if *quantity == 7.into())
    })
    .await;
    assert_eq!(
        markers,
        ["interrupted", "resumed"],
        "listed again after the gap"
    );
    // PnL pushed before the restart may still be buffered: read through the gap.
    let mut markers = Vec::new();
    while markers.last() != Some(&"resumed") {
        match next(&mut pnl).await {
            StreamEvent::Interrupted { .. } => markers.push("interrupted"),
            StreamEvent::Resumed => markers.push("resumed"),
            _ => {}
        }
    }
    assert_eq!(markers, ["interrupted", "resumed"]);
    assert!(
        next(&mut pnl).await.data().is_some(),
        "PnL again after the gap"
    );
}

#[tokio::test]
async fn order_updates_carry_statuses_fills_and_commissions() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    let mut updates = client.order_updates();
    let order = OrderSpec::market(ContractSpec::stock("AAPL"), Action::Buy, 3.into());
    let placed = client.orders().place(&order).await.unwrap();
    let mut seen = Vec::new();
    let last = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), updates.next())
            .await
            .unwrap()
            .unwrap();
        let StreamEvent::Data(update) = event else {
            continue;
        };
        assert_eq!(update.report.order_id, placed.order_id);
        seen.push(update.change.clone());
        if matches!(update.change, OrderChange::Commission { .. }) {
            break update;
        }
    };
    assert!(seen.contains(&OrderChange::Status), "{seen:?}");
    assert!(
        seen.iter().any(|c| matches!(c, OrderChange::Fill { .. })),
        "{seen:?}"
    );
    assert_eq!(last.report.status, OrderStatus::Filled);
    assert_eq!(last.report.filled, 3.into());
    assert!(last.report.fills[0].commission.is_some());
    drop(fake);
}
