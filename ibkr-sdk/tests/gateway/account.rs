//! Account summary, positions (by contract id, with value and PnL), PnL consistent with
//! the positions.

use std::time::Duration;

use ibkr_sdk::{Action, ConId, ContractSpec, OrderSpec, OrderStatus};
use rust_decimal::Decimal;

use super::{AAPL, dec, trading};

#[tokio::test]
async fn a_fresh_account_is_all_cash() {
    let (_fake, client) = trading().await;
    let summary = client.account().summary().await.unwrap();
    assert_eq!(summary.account, "DU1234567");
    assert_eq!(summary.currency, "USD");
    assert_eq!(summary.net_liquidation, dec("100000").into());
    assert_eq!(summary.total_cash, dec("100000").into());
    assert_eq!(summary.initial_margin, Decimal::ZERO.into());
    assert!(summary.buying_power.value() >= dec("100000"));
    assert!(client.account().positions().await.unwrap().is_empty());
    let pnl = client.account().pnl().await.unwrap();
    assert!(pnl.by_symbol.is_empty());
    assert_eq!(pnl.daily, Decimal::ZERO.into());
}

#[tokio::test]
async fn positions_carry_value_and_pnl_that_add_up() {
    let (fake, client) = trading().await;
    let orders = client.orders();
    let buy_aapl = OrderSpec::market(ContractSpec::stock("AAPL"), Action::Buy, 10.into());
    let buy_es = OrderSpec::market(ContractSpec::future("ES"), Action::Buy, 1.into());
    for spec in [buy_aapl, buy_es] {
        let placed = orders.place(&spec).await.unwrap();
        let done = orders
            .wait(placed.order_id, Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(done.status, OrderStatus::Filled);
    }
    fake.set_last(AAPL, dec("200"));

    let positions = client.account().positions().await.unwrap();
    assert_eq!(positions.len(), 2);
    let aapl = &positions[&ConId(AAPL)];
    assert_eq!(aapl.quantity, 10.into());
    assert_eq!(aapl.average_cost, dec("189.51").into());
    assert_eq!(aapl.market_price, Some(dec("200").into()));
    assert_eq!(aapl.market_value, Some(dec("2000").into()));
    assert_eq!(aapl.unrealized_pnl, Some(dec("104.9").into()));
    let es = positions.values().find(|p| p.symbol == "ES").unwrap();
    assert_eq!(es.quantity, 1.into());
    // IBKR's average cost of a future includes the multiplier; the market price does not.
    let es_price = es.market_price.unwrap().value();
    assert_eq!(
        es.average_cost.value(),
        (es_price + dec("0.25")) * dec("50")
    );
    assert_eq!(es.unrealized_pnl, Some(dec("-12.5").into()));

    let pnl = client.account().pnl().await.unwrap();
    let sum: Decimal = pnl
        .by_symbol
        .iter()
        .filter_map(|s| s.unrealized)
        .map(|m| m.value())
        .sum();
    assert_eq!(pnl.unrealized.map(|m| m.value()), Some(sum));
    for by_symbol in &pnl.by_symbol {
        let position = &positions[&by_symbol.con_id];
        assert_eq!(
            (by_symbol.quantity, by_symbol.unrealized),
            (position.quantity, position.unrealized_pnl)
        );
    }

    let summary = client.account().summary().await.unwrap();
    // Cash paid for the stock and both commissions ($1 minimum, $2.25 a future).
    assert_eq!(summary.total_cash, dec("98101.65").into());
    let net = summary.total_cash.value()
        + aapl.market_value.unwrap().value()
        + es.unrealized_pnl.unwrap().value();
    assert_eq!(summary.net_liquidation.value(), net);
    assert!(summary.initial_margin.value() > Decimal::ZERO);

    // Selling 4 at the 199.99 bid realizes 4 × (199.99 − 189.51).
    let sell = OrderSpec::market(ContractSpec::stock("AAPL"), Action::Sell, 4.into());
    let sold = orders.place(&sell).await.unwrap();
    let sold = orders
        .wait(sold.order_id, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(sold.fills[0].realized_pnl, Some(dec("41.92").into()));
    let positions = client.account().positions().await.unwrap();
    assert_eq!(positions[&ConId(AAPL)].quantity, 6.into());
    assert_eq!(
        positions[&ConId(AAPL)].realized_pnl,
        Some(dec("41.92").into())
    );
    let pnl = client.account().pnl().await.unwrap();
    assert_eq!(pnl.realized, Some(dec("41.92").into()));
}
