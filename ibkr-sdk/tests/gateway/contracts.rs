//! Contract resolution: stocks, front-month futures, options, indices; errors; the cache.

use std::sync::Arc;

use ibkr_sdk::clock::{ManualClock, SharedClock};
use ibkr_sdk::{ConId, ContractSpec, Error, IbkrClient, Right, SecType};
use testkit::tws::{FakeTws, RequestKind};

use super::{AAPL, config, connect, dec};

#[tokio::test]
async fn stocks_options_and_indices_resolve() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let contracts = client.contracts();

    let aapl = contracts
        .resolve(&ContractSpec::stock("aapl"))
        .await
        .unwrap();
    assert_eq!(aapl.con_id, ConId(AAPL));
    assert_eq!(
        (
            aapl.sec_type,
            aapl.exchange.as_str(),
            aapl.currency.as_str()
        ),
        (SecType::Stock, "SMART", "USD")
    );
    assert_eq!(aapl.primary_exchange, "NASDAQ");
    assert_eq!(aapl.multiplier, 1.into());
    assert_eq!(aapl.min_tick, Some(dec("0.01").into()));
    assert_eq!(aapl.long_name, "APPLE INC");

    let call = ContractSpec::option("AAPL", "20261218", dec("190").into(), Right::Call);
    let call = contracts.resolve(&call).await.unwrap();
    assert_eq!(call.con_id, ConId(700_000_003));
    assert_eq!(
        (call.strike, call.right),
        (Some(dec("190").into()), Some(Right::Call))
    );
    assert_eq!(call.multiplier, 100.into());
    assert_eq!(call.expiry.as_deref(), Some("20261218"));

    let spx = contracts
        .resolve(&ContractSpec::index("SPX"))
        .await
        .unwrap();
    assert_eq!(
        (spx.sec_type, spx.exchange.as_str()),
        (SecType::Index, "CBOE")
    );
}

#[tokio::test]
async fn futures_default_to_the_front_month() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let all = client
        .contracts()
        .search(&ContractSpec::future("ES"))
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    // The front month is the nearest expiry from the clock's today, whatever day the tests
    // run: the fake lists ES for 2026-12-18, 2027-03-19 and 2027-06-18.
    for (client_id, (today_ms, expected)) in (10..).zip([
        (1_764_547_200_000, Some("20261218")), // 2025-12-01
        (1_766_102_400_000, Some("20261218")), // 2025-12-19
        (1_797_638_400_000, Some("20270319")), // 2026-12-19
        (1_811_808_000_000, Some("20270618")), // 2027-06-01
        (1_813_363_200_000, None),             // 2027-06-19
    ]) {
        let clock = Arc::new(ManualClock::new(today_ms));
        let mut dated = config(&fake, false);
        dated.clock = SharedClock::from(clock);
        dated.client_id = client_id;
        let client = IbkrClient::connect(dated).await.unwrap();
        let front = client
            .contracts()
            .resolve(&ContractSpec::future("ES"))
            .await;
        match expected {
            Some(expiry) => {
                let front = front.unwrap();
                assert_eq!(front.expiry.as_deref(), Some(expiry), "at {today_ms}");
                assert_eq!(front.multiplier, 50.into());
            }
            None => assert!(front.is_err(), "every month has expired at {today_ms}"),
        }
    }
    let june = client
        .contracts()
        .resolve(&ContractSpec::future("ES").expiry("202706"))
        .await
        .unwrap();
    assert_eq!(june.local_symbol, "ESM7");
}

#[tokio::test]
async fn unknown_symbols_and_bad_types_are_typed_errors() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let error = client
        .contracts()
        .resolve(&ContractSpec::stock("NOPE"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::UnknownContract(spec) if spec.contains("NOPE")),
        "{error:?}"
    );
    let bad = "BOND".parse::<SecType>().unwrap_err();
    assert!(matches!(bad, Error::InvalidSecurityType(_)));
    let from_json = serde_json::from_value::<ContractSpec>(
        serde_json::json!({ "symbol": "X", "sec_type": "BOND" }),
    );
    assert!(from_json.is_err());
    let malformed = client
        .contracts()
        .resolve(&ContractSpec::future("ES").expiry("Dec26"))
        .await
        .unwrap_err();
    assert!(
        matches!(malformed, Error::InvalidRequest(_)),
        "{malformed:?}"
    );
    assert_eq!(
        fake.count(RequestKind::ContractData),
        1,
        "the malformed spec was not sent"
    );
}

#[tokio::test]
async fn answers_are_cached() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    for _ in 0..3 {
        client
            .contracts()
            .resolve(&ContractSpec::stock("MSFT"))
            .await
            .unwrap();
    }
    client
        .market_data()
        .quote(&ContractSpec::stock("MSFT"))
        .await
        .unwrap();
    assert_eq!(fake.count(RequestKind::ContractData), 1);
}
