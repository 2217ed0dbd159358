//! Live streams through the real client: quotes, positions, PnL and order updates, each
//! resubscribed after a gateway restart and cancelled at the gateway when dropped.

use std::time::Duration;

use futures::{Stream, StreamExt};
use ibkr_sdk::streams::{
    BidAskTick, BookSide, DepthUpdate, PositionUpdate, QuoteUpdate, TradeTick,
};
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

/// The error that ends a stream the gateway refuses (when opening it, or as its first
/// item).
async fn refusal<T, S>(opened: Result<S, Error>) -> Error
where
    S: Stream<Item = Result<StreamEvent<T>, Error>> + Unpin,
{
    let mut stream = match opened {
        Err(error) => return error,
        Ok(stream) => stream,
    };
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an item within 10 s")
        {
            Some(Err(error)) => return error,
            Some(Ok(StreamEvent::Data(_))) => panic!("data from a refused stream"),
            Some(Ok(_)) => {}
            None => panic!("ended without an error"),
        }
    }
}

/// AAPL's quote stream.
async fn aapl_quotes(client: &ibkr_sdk::IbkrClient) -> ibkr_sdk::streams::EventStream<QuoteUpdate> {
    client
        .market_data()
        .quote_stream(&ContractSpec::stock("AAPL"))
        .await
        .unwrap()
}

fn last_is(price: &str) -> impl FnMut(&QuoteUpdate) -> bool + '_ {
    move |update| update.quote.last == Some(dec(price).into())
}

#[tokio::test]
async fn a_quote_stream_follows_prices_across_a_restart_and_cancels_when_dropped() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let mut quotes = aapl_quotes(&client).await;
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
    let error = refusal(
        client
            .market_data()
            .quote_stream(&ContractSpec::stock("AAPL"))
            .await,
    )
    .await;
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

#[tokio::test]
async fn bars_ticks_and_depth_stream_and_cancel_at_the_gateway_when_dropped() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let aapl = ContractSpec::stock("AAPL");
    let data = client.market_data();
    let mut bars = data.realtime_bars(&aapl).await.unwrap();
    let mut trades = data.trade_ticks(&aapl).await.unwrap();
    let mut quotes = data.bid_ask_ticks(&aapl).await.unwrap();
    let mut depth = data.depth(&aapl, 3).await.unwrap();

    // Depth: three inserts a side, best first.
    let mut inserted = Vec::new();
    while inserted.len() < 6 {
        if let StreamEvent::Data(DepthUpdate::Insert { side, position, .. }) =
            next(&mut depth).await
        {
            inserted.push((side, position));
        }
    }
    assert!(inserted.contains(&(BookSide::Bid, 0)) && inserted.contains(&(BookSide::Ask, 2)));

    fake.set_last(AAPL, dec("190.25"));
    let (trade, _) = until(&mut trades, |t: &TradeTick| t.price == dec("190.25").into()).await;
    assert_eq!(trade.exchange, "NASDAQ");
    let (touch, _) = until(&mut quotes, |q: &BidAskTick| q.bid == dec("190.24").into()).await;
    assert_eq!(touch.ask, dec("190.26").into());
    let (update, _) = until(&mut depth, |d: &DepthUpdate| {
        matches!(
            d,
            DepthUpdate::Update {
                side: BookSide::Bid,
                position: 0,
                ..
            }
        )
    })
    .await;
    assert!(matches!(update, DepthUpdate::Update { price, .. } if price == dec("190.24").into()));

    fake.set_last(AAPL, dec("190.75"));
    fake.close_bars();
    let (bar, _) = until(&mut bars, |_| true).await;
    assert_eq!(
        (bar.open, bar.high, bar.close),
        (
            dec("190.25").into(),
            dec("190.75").into(),
            dec("190.75").into()
        )
    );
    assert_eq!(bar.count, 2);

    for (stream, kind) in [
        (RequestKind::CancelRealTimeBars, "bars"),
        (RequestKind::CancelTickByTick, "ticks"),
        (RequestKind::CancelMarketDepth, "depth"),
    ] {
        assert_eq!(fake.count(stream), 0, "{kind} cancelled early");
    }
    drop((bars, trades, quotes, depth));
    assert!(
        eventually(Duration::from_secs(3), || {
            fake.count(RequestKind::CancelRealTimeBars) == 1
                && fake.count(RequestKind::CancelTickByTick) == 2
                && fake.count(RequestKind::CancelMarketDepth) == 1
        })
        .await,
        "the gateway did not see every cancel"
    );
}

#[tokio::test]
async fn stream_limits_are_typed_errors_and_a_freed_line_can_be_used_again() {
    let fake = FakeTws::builder().market_data_lines(2).start().await;
    let client = connect(&fake, false).await;
    let data = client.market_data();
    let aapl = ContractSpec::stock("AAPL");
    let first = data.quote_stream(&aapl).await.unwrap();
    let _second = data.trade_ticks(&aapl).await.unwrap();
    let error = refusal(data.quote_stream(&ContractSpec::stock("MSFT")).await).await;
    assert!(
        matches!(error, Error::SubscriptionLimit { code: 101, .. }),
        "{error:?}"
    );
    let error = refusal(data.bid_ask_ticks(&aapl).await).await;
    assert!(
        matches!(error, Error::SubscriptionLimit { code: 10190, .. }),
        "{error:?}"
    );
    drop(first);
    assert!(
        eventually(Duration::from_secs(3), || fake
            .count(RequestKind::CancelMarketData)
            == 1)
        .await
    );
    let mut msft = data
        .quote_stream(&ContractSpec::stock("MSFT"))
        .await
        .unwrap();
    let (quote, _) = until(&mut msft, |u: &QuoteUpdate| u.quote.bid.is_some()).await;
    assert_eq!(quote.quote.contract, "STK MSFT");

    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let data = client.market_data();
    let mut books = Vec::new();
    for _ in 0..3 {
        books.push(data.depth(&aapl, 1).await.unwrap());
    }
    let error = refusal(data.depth(&aapl, 1).await).await;
    assert!(
        matches!(error, Error::SubscriptionLimit { code: 309, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn market_data_lost_at_ibkr_is_subscribed_again_and_data_kept_is_not() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let mut quotes = aapl_quotes(&client).await;
    let mut positions = client.account().position_stream().await.unwrap();
    until(&mut quotes, |u: &QuoteUpdate| u.quote.bid.is_some()).await;
    until(&mut positions, |p: &PositionUpdate| {
        *p == PositionUpdate::End
    })
    .await;

    // Restored with data kept: nothing to do, the stream goes on.
    fake.servers_lost();
    fake.servers_back(false);
    fake.set_last(AAPL, dec("191.5"));
    let (_, markers) = until(&mut quotes, last_is("191.5")).await;
    assert!(markers.is_empty(), "{markers:?}");

    // Restored with data lost: the gateway voided the stream; the SDK subscribes again
    // (and the new subscription starts from the quote now).
    let requested = fake.count(RequestKind::MarketData);
    fake.servers_back(true);
    fake.set_last(AAPL, dec("192.5"));
    let (_, markers) = until(&mut quotes, last_is("192.5")).await;
    assert_eq!(markers, ["interrupted", "resumed"]);
    assert_eq!(fake.count(RequestKind::MarketData), requested + 1);
    fake.set_last(AAPL, dec("193.5"));
    until(&mut quotes, last_is("193.5")).await;
    assert!(client.is_connected(), "the socket stayed up");
}
