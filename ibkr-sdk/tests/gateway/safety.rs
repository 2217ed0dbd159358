//! The safety rails: orders off by default and never sent while off, live trading only
//! with an acknowledgement, the account checked against the mode, limits before sending.

use ibkr_sdk::error::Outcome;
use ibkr_sdk::{
    Action, BracketSpec, Config, ContractSpec, Entry, Error, IbkrClient, LIVE_ACK_PHRASE, OrderId,
    OrderSpec, PreviewSource, TimeInForce, TradingMode,
};
use testkit::tws::{FakeTws, RequestKind};

use super::{config, connect, dec};

fn limit_buy(symbol: &str, quantity: u32, price: &str) -> OrderSpec {
    OrderSpec::limit(
        ContractSpec::stock(symbol),
        Action::Buy,
        quantity.into(),
        dec(price).into(),
    )
}

fn assert_disabled<T: std::fmt::Debug>(result: Result<T, Error>) {
    let error = result.unwrap_err();
    assert!(matches!(error, Error::TradingDisabled), "{error:?}");
    assert_eq!(error.outcome(), Outcome::NotSent);
    assert!(
        error.to_string().contains("ORDERS_ENABLED is false"),
        "{error}"
    );
}

#[tokio::test]
async fn orders_are_off_by_default_and_nothing_reaches_the_gateway() {
    let fake = FakeTws::start().await;
    let client = IbkrClient::connect(Config::paper("127.0.0.1", fake.address().port()))
        .await
        .unwrap();
    assert!(!client.config().orders_enabled);
    let before = fake.requests().len();
    let orders = client.orders();
    let order = limit_buy("AAPL", 10, "150");
    assert_disabled(orders.place(&order).await);
    assert_disabled(
        orders
            .place(&OrderSpec::market(
                ContractSpec::stock("AAPL"),
                Action::Sell,
                5.into(),
            ))
            .await,
    );
    let bracket = BracketSpec {
        contract: ContractSpec::stock("AAPL"),
        action: Action::Buy,
        quantity: 10.into(),
        entry: Entry::Market,
        take_profit: dec("200").into(),
        stop_loss: dec("180").into(),
        time_in_force: TimeInForce::Day,
    };
    assert_disabled(orders.place_bracket(&bracket).await);
    assert_disabled(
        orders
            .place_oca(&[order.clone(), limit_buy("AAPL", 10, "149")])
            .await,
    );
    assert_disabled(orders.cancel(OrderId(1)).await);
    assert_disabled(orders.cancel_everything().await);
    assert!(
        orders
            .cancel_all(&[OrderId(1), OrderId(2)])
            .await
            .into_iter()
            .all(|r| matches!(r, Err(Error::TradingDisabled)))
    );
    // Refused before any contact: not even a contract lookup went out.
    assert_eq!(fake.requests().len(), before);

    // Asked for, a simulation: checks and value, still no order message.
    let preview = orders.preview(&order).await.unwrap();
    assert_eq!(preview.source, PreviewSource::Simulated);
    assert!(!preview.orders_enabled);
    assert_eq!(preview.notional, Some(dec("1500").into()));
    assert_eq!(preview.initial_margin_change, None);
    let dry = orders
        .dry_run(&OrderSpec::market(
            ContractSpec::stock("AAPL"),
            Action::Buy,
            10.into(),
        ))
        .await
        .unwrap();
    assert_eq!(
        dry.reference_price,
        Some(dec("189.51").into()),
        "valued at the ask"
    );
    assert_eq!(dry.notional, Some(dec("1895.1").into()));

    for kind in [
        RequestKind::PlaceOrder,
        RequestKind::CancelOrder,
        RequestKind::GlobalCancel,
    ] {
        assert_eq!(fake.count(kind), 0, "{kind:?} reached the gateway");
    }
    assert!(fake.with_broker(|broker| broker.orders.is_empty()));
}

#[tokio::test]
async fn live_orders_need_a_deliberate_acknowledgement() {
    let fake = FakeTws::start().await;
    let port = fake.address().port().to_string();
    let env = |extra: &[(&'static str, String)]| {
        let mut vars: Vec<(&'static str, String)> = vec![
            ("TRADING_MODE", "live".to_owned()),
            ("ORDERS_ENABLED", "true".to_owned()),
            ("IBKR_GATEWAY_PORT", port.clone()),
        ];
        vars.extend(extra.iter().cloned());
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let refused = Config::from_lookup(env(&[])).unwrap_err();
    assert!(
        refused.to_string().contains("IBKR_LIVE_ACK_FILE"),
        "{refused}"
    );

    let dir = std::env::temp_dir().join(format!("ibkr-ack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wrong = dir.join("wrong.txt");
    std::fs::write(&wrong, "yes").unwrap();
    let error = Config::from_lookup(env(&[("IBKR_LIVE_ACK_FILE", wrong.display().to_string())]))
        .unwrap_err();
    assert!(error.to_string().contains("must read exactly"), "{error}");
    let right = dir.join("ack.txt");
    std::fs::write(&right, format!("{LIVE_ACK_PHRASE}\n")).unwrap();
    let live =
        Config::from_lookup(env(&[("IBKR_LIVE_ACK_FILE", right.display().to_string())])).unwrap();
    assert!(live.live_acknowledged());
    assert_eq!(live.trading_mode, TradingMode::Live);

    // Built in code without the acknowledgement: refused before connecting.
    let mut unsafe_config = config(&fake, true);
    unsafe_config.trading_mode = TradingMode::Live;
    let error = IbkrClient::connect(unsafe_config).await.unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert_eq!(fake.count(RequestKind::StartApi), 0);

    // Acknowledged, but the fake's account is a paper one: the mismatch is refused.
    let error = IbkrClient::connect(live).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::AccountModeMismatch {
                actual: "paper",
                ..
            }
        ),
        "{error:?}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn paper_mode_refuses_a_live_account() {
    let fake = FakeTws::builder().account("U7654321").start().await;
    let error = IbkrClient::connect(config(&fake, false)).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::AccountModeMismatch {
                mode: "paper",
                actual: "live",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("U7654321"), "{error}");
    assert_eq!(fake.count(RequestKind::PlaceOrder), 0);
}

#[tokio::test]
async fn limits_refuse_before_sending() {
    let fake = FakeTws::start().await;
    let mut limited = config(&fake, true);
    limited.limits.allowed_symbols = Some(["AAPL".to_owned(), "ES".to_owned()].into());
    limited
        .limits
        .max_quantity_by_symbol
        .insert("AAPL".into(), 100.into());
    limited.limits.max_order_quantity = Some(2.into());
    limited.limits.max_order_notional = Some(dec("10000").into());
    let client = IbkrClient::connect(limited).await.unwrap();
    let orders = client.orders();

    let not_allowed = orders
        .place(&limit_buy("MSFT", 1, "400"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            not_allowed,
            Error::LimitExceeded {
                limit: "symbol allow-list",
                ..
            }
        ),
        "{not_allowed:?}"
    );
    let too_many = orders
        .place(&limit_buy("AAPL", 101, "1"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            too_many,
            Error::LimitExceeded {
                limit: "max quantity",
                ..
            }
        ),
        "{too_many:?}"
    );
    let es = OrderSpec::limit(
        ContractSpec::future("ES"),
        Action::Buy,
        3.into(),
        dec("1").into(),
    );
    let too_many_es = orders.place(&es).await.unwrap_err();
    assert!(
        too_many_es
            .to_string()
            .contains("3 ES is more than the limit of 2"),
        "{too_many_es}"
    );
    let too_big = orders
        .place(&limit_buy("AAPL", 60, "180"))
        .await
        .unwrap_err();
    assert!(
        too_big.to_string().contains("execute for 10800 USD"),
        "{too_big}"
    );
    // A market order is valued at the touch: 60 × 189.51.
    let market = OrderSpec::market(ContractSpec::stock("AAPL"), Action::Buy, 60.into());
    let too_big_market = orders.place(&market).await.unwrap_err();
    assert!(
        too_big_market.to_string().contains("11370.6"),
        "{too_big_market}"
    );
    // Futures are valued with their multiplier: 1 × 1 × 50 is fine, 2 × 150 × 50 is not.
    let es_big = OrderSpec::limit(
        ContractSpec::future("ES"),
        Action::Buy,
        2.into(),
        dec("150").into(),
    );
    assert!(
        orders
            .place(&es_big)
            .await
            .unwrap_err()
            .to_string()
            .contains("15000")
    );
    for error in [&not_allowed, &too_many, &too_big, &too_big_market] {
        assert_eq!(error.outcome(), Outcome::NotSent);
    }
    assert_eq!(fake.count(RequestKind::PlaceOrder), 0);

    let placed = orders.place(&limit_buy("AAPL", 50, "180")).await.unwrap();
    assert_eq!(placed.notional, Some(dec("9000").into()));
    assert_eq!(fake.count(RequestKind::PlaceOrder), 1);
}

#[tokio::test]
async fn a_price_a_double_cannot_carry_is_refused_not_rounded() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, true).await;
    let error = client
        .orders()
        .place(&limit_buy("AAPL", 1, "150.12345678901234567"))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("more digits than the gateway can take exactly"),
        "{error}"
    );
    assert_eq!(error.outcome(), Outcome::NotSent);
    assert_eq!(fake.count(RequestKind::PlaceOrder), 0);
}
