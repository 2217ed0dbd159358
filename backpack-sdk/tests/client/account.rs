//! Account endpoints through the client.

use backpack_sdk::api::account::{GetMaxOrderQuantity, UpdateAccount};
use backpack_sdk::model::*;
use backpack_sdk::spec::OrderSpec;
use testkit::backpack::FakeBackpack;

use super::common::{d, setup, setup_with};

#[tokio::test]
async fn settings_can_be_read_and_updated() {
    let (_fake, client) = setup().await;
    let before = client.account().settings().await.unwrap();
    assert_eq!(before.auto_lend, Some(false));
    client
        .account()
        .update(&UpdateAccount {
            auto_lend: Some(true),
            leverage_limit: Some("5".parse().unwrap()),
            ..UpdateAccount::default()
        })
        .await
        .unwrap();
    let after = client.account().settings().await.unwrap();
    assert_eq!(after.auto_lend, Some(true));
    assert_eq!(after.leverage_limit, Some("5".parse().unwrap()));
    assert_eq!(
        after.auto_repay_borrows, before.auto_repay_borrows,
        "untouched fields stay"
    );
}

#[tokio::test]
async fn balances_lock_while_an_order_rests_and_unlock_on_cancel() {
    let (_fake, client) = setup().await;
    let balances = client.account().balances().await.unwrap();
    assert_eq!(balances.get("USDC").available, d("100000").into());
    assert_eq!(balances.get("USDC").locked, Quantity::ZERO);
    let order = OrderSpec::limit("SOL_USDC", Side::Bid, d("100").into(), d("2").into())
        .build()
        .unwrap();
    let placed = client.orders().place(&order).await.unwrap();
    let locked = client.account().balances().await.unwrap().get("USDC");
    assert_eq!(locked.locked, d("200").into());
    assert_eq!(locked.available, d("99800").into());
    client.orders().cancel("SOL_USDC", placed.id).await.unwrap();
    let unlocked = client.account().balances().await.unwrap().get("USDC");
    assert_eq!(
        (unlocked.available, unlocked.locked),
        (d("100000").into(), Quantity::ZERO)
    );
}

#[tokio::test]
async fn balances_with_lent_add_what_is_lent() {
    let (_fake, client) = setup_with(
        FakeBackpack::builder()
            .balances([("USDC", "1000"), ("SOL", "3")])
            .lent([("USDC", "500"), ("JTO", "40")]),
    )
    .await;
    let rows = client.account().balances_with_lent().await.unwrap();
    let usdc = rows.iter().find(|r| r.asset == "USDC").unwrap();
    assert_eq!(
        (usdc.available, usdc.lent, usdc.total),
        (d("1000").into(), d("500").into(), d("1500").into())
    );
    let jto = rows.iter().find(|r| r.asset == "JTO").unwrap();
    assert_eq!((jto.available, jto.lent), (Quantity::ZERO, d("40").into()));
    let lend = client.account().borrow_lend_positions().await.unwrap();
    assert_eq!(lend.len(), 2);
    let collateral = client.account().collateral().await.unwrap();
    assert_eq!(
        collateral
            .collateral
            .iter()
            .find(|c| c.symbol == "USDC")
            .unwrap()
            .lend_quantity,
        d("500").into()
    );
}

#[tokio::test]
async fn perp_positions_appear_with_pnl_and_filter_by_symbol() {
    let (_fake, client) = setup().await;
    assert!(client.account().positions(None).await.unwrap().is_empty());
    let buy = OrderSpec::market("SOL_USDC_PERP", Side::Bid, d("3").into())
        .build()
        .unwrap();
    client.orders().place(&buy).await.unwrap();
    let positions = client.account().positions(None).await.unwrap();
    assert_eq!(positions.len(), 1);
    let position = &positions[0];
    assert_eq!(position.net_quantity, d("3").into());
    assert!(position.entry_price.is_positive());
    // The exchange sends a string here; a null broke the official client's decoder.
    assert!(position.cumulative_interest.is_some());
    assert_eq!(
        position.pnl_unrealized.value(),
        position.net_quantity.value() * position.mark_price.value()
            - position.net_cost.unwrap().value()
    );
    assert!(
        client
            .account()
            .positions(Some("BTC_USDC_PERP".into()))
            .await
            .unwrap()
            .is_empty()
    );
    let collateral = client.account().collateral().await.unwrap();
    assert!(collateral.net_exposure_futures.is_positive());
    assert!(collateral.margin_fraction.is_some());
}

#[tokio::test]
async fn max_order_quantity_follows_the_balance() {
    let (_fake, client) = setup_with(FakeBackpack::builder().balances([("USDC", "1000")])).await;
    let max = client
        .account()
        .max_order_quantity(&GetMaxOrderQuantity {
            symbol: "SOL_USDC".into(),
            side: Side::Bid,
            price: Some(d("100").into()),
            reduce_only: None,
        })
        .await
        .unwrap();
    assert_eq!(max.max_order_quantity, d("10").into());
}
