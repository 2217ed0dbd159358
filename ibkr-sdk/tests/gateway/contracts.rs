//! Contract resolution: stocks, front-month futures, options, indices; errors; the cache.

use ibkr_sdk::{ConId, ContractSpec, Error, Right, SecType};
use testkit::tws::{FakeTws, RequestKind};

use super::{AAPL, connect, dec};

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
    let today = chrono::Utc::now().format("%Y%m%d").to_string();
    let front_expiry = ["20261218", "20270319", "20270618"]
        .into_iter()
        .find(|e| *e >= today.as_str())
        .unwrap();
    let front = client
        .contracts()
        .resolve(&ContractSpec::future("ES"))
        .await
        .unwrap();
    assert_eq!(front.expiry.as_deref(), Some(front_expiry));
    assert_eq!(front.multiplier, 50.into());
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
