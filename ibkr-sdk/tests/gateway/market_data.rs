//! Quotes (live, delayed fallback, refused) and bars (normalised inputs, typed errors).

use std::time::Duration;

use ibkr_sdk::{BarsRequest, ConId, ContractSpec, DataSource, Error, IbkrClient, WhatToShow};
use testkit::tws::proto::HistoricalDataRequest;
use testkit::tws::{DataPermission, FakeTws, RequestKind, TwsFault};

use super::{AAPL, config, connect, dec, eventually};

#[tokio::test]
async fn a_quote_has_bid_ask_last_sizes_and_source() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let quote = client
        .market_data()
        .quote(&ContractSpec::stock("AAPL"))
        .await
        .unwrap();
    assert_eq!(quote.con_id, ConId(AAPL));
    assert_eq!(quote.contract, "STK AAPL");
    assert_eq!(quote.bid, Some(dec("189.49").into()));
    assert_eq!(quote.ask, Some(dec("189.51").into()));
    assert_eq!(quote.last, Some(dec("189.5").into()));
    assert_eq!(quote.bid_size, Some(300.into()));
    assert_eq!(quote.source, DataSource::Live);
    assert!((chrono::Utc::now() - quote.timestamp).num_seconds() < 5);
    let json = serde_json::to_value(&quote).unwrap();
    assert_eq!(json["bid"], "189.49", "prices travel as strings");

    fake.set_last(AAPL, dec("191.25"));
    let moved = client
        .market_data()
        .quote(&ContractSpec::stock("AAPL"))
        .await
        .unwrap();
    assert_eq!(moved.last, Some(dec("191.25").into()));
}

#[tokio::test]
async fn many_quotes_at_once_each_with_its_own_result() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let specs = [
        ContractSpec::stock("AAPL"),
        ContractSpec::future("ES"),
        ContractSpec::stock("NOPE"),
    ];
    let quotes = client.market_data().quotes(&specs).await;
    assert_eq!(quotes.len(), 3);
    assert_eq!(quotes[0].as_ref().unwrap().last, Some(dec("189.5").into()));
    assert!(quotes[1].as_ref().unwrap().contract.starts_with("FUT ES"));
    assert!(matches!(quotes[2], Err(Error::UnknownContract(_))));
}

#[tokio::test]
async fn delayed_data_is_the_fallback_when_live_is_not_permitted() {
    let fake = FakeTws::start().await;
    fake.set_permission(AAPL, DataPermission::DelayedOnly);
    let client = connect(&fake, false).await;
    let quote = client
        .market_data()
        .quote(&ContractSpec::stock("AAPL"))
        .await
        .unwrap();
    assert_eq!(quote.source, DataSource::Delayed);
    assert_eq!(quote.last, Some(dec("189.5").into()));
    assert_eq!(fake.count(RequestKind::MarketDataType), 1);

    let mut strict = config(&fake, false);
    strict.client_id = 2;
    strict.delayed_data_fallback = false;
    let strict = IbkrClient::connect(strict).await.unwrap();
    let error = strict
        .market_data()
        .quote(&ContractSpec::stock("AAPL"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::NoMarketDataPermission { code: 354, symbol, .. } if symbol == "AAPL"),
        "{error:?}"
    );
}

#[tokio::test]
async fn no_permission_at_all_is_a_typed_error() {
    let fake = FakeTws::start().await;
    fake.set_permission(AAPL, DataPermission::None);
    let client = connect(&fake, false).await;
    let error = client
        .market_data()
        .quote(&ContractSpec::stock("AAPL"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::NoMarketDataPermission { code: 354, .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn bars_from_human_inputs() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let aapl = ContractSpec::stock("AAPL");
    let bars = client
        .market_data()
        .bars(&aapl, &BarsRequest::new("5 min", "1 D"))
        .await
        .unwrap();
    assert_eq!(
        (bars.bar_size.as_str(), bars.duration.as_str()),
        ("5 mins", "1 D")
    );
    assert!(bars.bars.len() >= 280, "{}", bars.bars.len());
    for pair in bars.bars.windows(2) {
        assert_eq!(
            (pair[1].time - pair[0].time).num_seconds(),
            300,
            "oldest first, 5 minutes apart"
        );
    }
    for bar in &bars.bars {
        assert!(
            bar.low <= bar.open
                && bar.open <= bar.high
                && bar.low <= bar.close
                && bar.close <= bar.high,
            "{bar:?}"
        );
    }
    let mut daily = BarsRequest::new("1d", "1 W");
    daily.what_to_show = WhatToShow::Midpoint;
    daily.regular_hours_only = false;
    let daily = client.market_data().bars(&aapl, &daily).await.unwrap();
    assert_eq!(
        (daily.bar_size.as_str(), daily.duration.as_str()),
        ("1 day", "1 W")
    );
    assert!((7..=8).contains(&daily.bars.len()), "{}", daily.bars.len());
    // What reached the gateway is IBKR's own notation.
    let sent: Vec<HistoricalDataRequest> = fake
        .requests()
        .into_iter()
        .filter(|r| r.kind == RequestKind::HistoricalData)
        .map(|r| r.decode().unwrap())
        .collect();
    let wire = |r: &HistoricalDataRequest| {
        (
            r.bar_size_setting.clone().unwrap(),
            r.duration.clone().unwrap(),
            r.use_rth,
            r.what_to_show.clone().unwrap(),
        )
    };
    assert_eq!(
        wire(&sent[0]),
        ("5 mins".into(), "1 D".into(), Some(true), "TRADES".into())
    );
    assert_eq!(
        wire(&sent[1]),
        ("1 day".into(), "1 W".into(), None, "MIDPOINT".into()),
        "rth off is sent as absent"
    );

    let before = fake.count(RequestKind::HistoricalData);
    let error = client
        .market_data()
        .bars(&aapl, &BarsRequest::new("7 min", "1 D"))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("5 mins"),
        "lists what is accepted: {error}"
    );
    let error = client
        .market_data()
        .bars(&aapl, &BarsRequest::new("1 h", "forever"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)));
    assert_eq!(
        fake.count(RequestKind::HistoricalData),
        before,
        "nothing sent for bad input"
    );
}

#[tokio::test]
async fn pacing_and_empty_history_are_typed() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let aapl = ContractSpec::stock("AAPL");
    fake.inject(TwsFault::Error { code: 162,
            message: "Historical Market Data Service error message:Historical data request pacing violation".into() }.on(RequestKind::HistoricalData)).await;
    let error = client
        .market_data()
        .bars(&aapl, &BarsRequest::new("1 min", "1 D"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::PacingViolation(_)), "{error:?}");
    assert!(error.is_retryable());
    let mut bid = BarsRequest::new("1 day", "1 M");
    bid.what_to_show = WhatToShow::Bid;
    let error = client
        .market_data()
        .bars(&ContractSpec::index("SPX"), &bid)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NoData(_)), "{error:?}");
    // After the fault the service answers again.
    let bars = tokio::time::timeout(
        Duration::from_secs(5),
        client
            .market_data()
            .bars(&aapl, &BarsRequest::new("1 hour", "2 D")),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(bars.bars.len() >= 48);
}

#[tokio::test]
async fn live_quotes_serve_a_quote_asked_again_without_a_round_trip_and_follow_the_price() {
    let fake = FakeTws::start().await;
    let mut config = config(&fake, false);
    config.live_quotes = 1;
    let client = IbkrClient::connect(config).await.unwrap();
    let aapl = ContractSpec::stock("AAPL");
    let first = client.market_data().quote(&aapl).await.unwrap();
    // The stream behind it starts after the snapshot; wait for it to hold a quote.
    fake.set_last(AAPL, dec("190.5"));
    let mut live = first.clone();
    for _ in 0..100 {
        live = client.market_data().quote(&aapl).await.unwrap();
        if live.last == Some(dec("190.5").into()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(live.last, Some(dec("190.5").into()), "{live:?}");
    let streams = fake.count(RequestKind::MarketData);
    for _ in 0..10 {
        client.market_data().quote(&aapl).await.unwrap();
    }
    assert_eq!(
        fake.count(RequestKind::MarketData),
        streams,
        "no snapshot request once the quote is live"
    );

    // One line only: a second contract takes it over, and the first goes back to snapshots
    // (its stream is cancelled at the gateway).
    client
        .market_data()
        .quote(&ContractSpec::stock("MSFT"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(3), || fake
            .count(RequestKind::CancelMarketData)
            >= 1)
        .await
    );

    // A gap ends the live quote: after a restart the next quote is a snapshot again.
    fake.stop();
    assert!(eventually(Duration::from_secs(3), || !client.is_connected()).await);
    assert!(
        client.market_data().quote(&aapl).await.is_err(),
        "no stale quote while away"
    );
    fake.restart().await.unwrap();
    client.wait_connected(Duration::from_secs(5)).await.unwrap();
    let after = client.market_data().quote(&aapl).await.unwrap();
    assert_eq!(after.last, Some(dec("190.5").into()));
}
