//! Order workflows through the client, as a trader runs them.

use backpack_sdk::api::history::{GetFillHistory, GetFundingPayments, GetOrderHistory};
use backpack_sdk::client::{ManualClock, Reconciled};
use backpack_sdk::model::*;
use backpack_sdk::spec::OrderSpec;
use std::sync::Arc;
use testkit::backpack::FakeBackpack;

use super::common::{client_for, d, setup};

#[tokio::test]
async fn place_list_get_cancel_and_not_found() {
    let (_fake, client) = setup().await;
    let spec = OrderSpec::limit("SOL_USDC", Side::Bid, d("150.50").into(), d("1.5").into())
        .client_id(77)
        .post_only(true)
        .build()
        .unwrap();
    let placed = client.orders().place(&spec).await.unwrap();
    assert_eq!(placed.status, OrderStatus::New);
    assert_eq!(placed.price, Some(d("150.50").into()));
    assert_eq!(placed.client_id, Some(ClientOrderId(77)));
    let open = client
        .orders()
        .list_open(Some("SOL_USDC".into()), None)
        .await
        .unwrap();
    assert_eq!(open, vec![placed.clone()]);
    assert!(
        client
            .orders()
            .list_open(None, Some(MarketType::Perp))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        client
            .orders()
            .get("SOL_USDC", placed.id.clone())
            .await
            .unwrap(),
        placed
    );
    assert_eq!(
        client
            .orders()
            .get("SOL_USDC", ClientOrderId(77))
            .await
            .unwrap()
            .id,
        placed.id
    );

    let cancelled = client
        .orders()
        .cancel("SOL_USDC", ClientOrderId(77))
        .await
        .unwrap();
    let cancelled = cancelled.cancelled().unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);

    let gone = client
        .orders()
        .get("SOL_USDC", placed.id.clone())
        .await
        .unwrap_err();
    assert!(gone.is_not_found());
    assert_eq!(gone.api_error().unwrap().status, 404);
    let again = client
        .orders()
        .cancel("SOL_USDC", placed.id)
        .await
        .unwrap_err();
    assert!(again.is_not_found());
}

#[tokio::test]
async fn orders_get_a_client_id_so_they_can_be_reconciled() {
    let (_fake, client) = setup().await;
    let spec = OrderSpec::limit("SOL_USDC", Side::Bid, d("100").into(), d("1").into())
        .build()
        .unwrap();
    let placed = client.orders().place(&spec).await.unwrap();
    let id = placed.client_id.expect("an automatic client id");
    match client.orders().reconcile("SOL_USDC", id).await.unwrap() {
        Reconciled::Open(order) => assert_eq!(order.id, placed.id),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_market_buy_moves_balances_and_is_in_the_fills() {
    let (_fake, client) = setup().await;
    let spec = OrderSpec::market("SOL_USDC", Side::Bid, d("2").into())
        .build()
        .unwrap();
    let order = client.orders().place(&spec).await.unwrap();
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(order.executed_quantity, d("2").into());
    let cost = order.executed_quote_quantity;
    let balances = client.account().balances().await.unwrap();
    assert_eq!(
        balances.get("USDC").available.value(),
        d("100000") - cost.value()
    );
    // 2 SOL minus the 5 bp taker fee.
    assert_eq!(balances.get("SOL").available, d("501.999").into());
    let fills = client
        .history()
        .fills(&GetFillHistory::new().order_id(order.id.clone()))
        .await
        .unwrap();
    assert!(!fills.is_empty());
    assert!(fills.iter().all(|f| !f.is_maker && f.fee_symbol == "SOL"));
    let filled: rust_decimal::Decimal = fills.iter().map(|f| f.quantity.value()).sum();
    assert_eq!(filled, d("2"));
}

#[tokio::test]
async fn a_crossing_limit_fills_partly_then_rests_then_cancels() {
    let (fake, client) = setup().await;
    let ask = fake
        .with_exchange(|ex| ex.top_of_book(ex.market_id("SOL_USDC").unwrap()).1)
        .unwrap();
    // The best ask level holds 25 SOL; ask for 30 at that price.
    let spec = OrderSpec::limit("SOL_USDC", Side::Bid, ask.into(), d("30").into())
        .build()
        .unwrap();
    let order = client.orders().place(&spec).await.unwrap();
    assert_eq!(order.status, OrderStatus::PartiallyFilled);
    assert_eq!(order.executed_quantity, d("25").into());
    assert_eq!(order.remaining_quantity(), Some(d("5").into()));
    let cancelled = client
        .orders()
        .cancel("SOL_USDC", order.id.clone())
        .await
        .unwrap()
        .cancelled()
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.executed_quantity, d("25").into());
    let history = client
        .history()
        .orders(&GetOrderHistory::new().order_id(order.id))
        .await
        .unwrap();
    assert_eq!(history[0].status, OrderStatus::Cancelled);
    assert_eq!(history[0].executed_quantity, Some(d("25").into()));
    fake.with_exchange(|ex| ex.check_invariants()).unwrap();
}

#[tokio::test]
async fn a_perp_position_opens_and_closes() {
    let (fake, client) = setup().await;
    let open = OrderSpec::market("SOL_USDC_PERP", Side::Bid, d("4").into())
        .build()
        .unwrap();
    client.orders().place(&open).await.unwrap();
    assert_eq!(
        client.account().positions(None).await.unwrap()[0].net_quantity,
        d("4").into()
    );
    let close = OrderSpec::market("SOL_USDC_PERP", Side::Ask, d("10").into())
        .reduce_only(true)
        .build()
        .unwrap();
    let closed = client.orders().place(&close).await.unwrap();
    assert_eq!(
        closed.executed_quantity,
        d("4").into(),
        "reduce-only is capped to the position"
    );
    assert!(client.account().positions(None).await.unwrap().is_empty());
    fake.with_exchange(|ex| ex.check_invariants()).unwrap();
}

#[tokio::test]
async fn batches_accept_and_reject_each_order_on_its_own() {
    let (_fake, client) = setup().await;
    let ok = OrderSpec::limit("SOL_USDC", Side::Bid, d("100").into(), d("1").into())
        .build()
        .unwrap();
    let too_big = OrderSpec::limit("SOL_USDC", Side::Bid, d("100").into(), d("5000").into())
        .build()
        .unwrap();
    let results = client.orders().place_batch(&[ok, too_big]).await.unwrap();
    assert!(matches!(&results[0], BatchOrderResult::Ok(order) if order.status == OrderStatus::New));
    match &results[1] {
        BatchOrderResult::Err(error) => assert_eq!(error.code, ApiErrorCode::InsufficientFunds),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn cancel_all_by_order_type() {
    let (_fake, client) = setup().await;
    let resting = OrderSpec::limit("SOL_USDC_PERP", Side::Bid, d("100").into(), d("1").into())
        .build()
        .unwrap();
    let stop = OrderSpec::market("SOL_USDC_PERP", Side::Bid, d("1").into())
        .trigger(d("250").into(), TriggerQuantity::Amount(d("1").into()))
        .build()
        .unwrap();
    client.orders().place(&resting).await.unwrap();
    let pending = client.orders().place(&stop).await.unwrap();
    assert_eq!(pending.status, OrderStatus::TriggerPending);
    let cancelled = client
        .orders()
        .cancel_all("SOL_USDC_PERP", Some(CancelOrderType::RestingLimitOrder))
        .await
        .unwrap()
        .cancelled()
        .unwrap();
    assert_eq!(cancelled.len(), 1);
    let left = client.orders().list_open(None, None).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].status, OrderStatus::TriggerPending);
    client
        .orders()
        .cancel_all("SOL_USDC_PERP", None)
        .await
        .unwrap();
    assert!(
        client
            .orders()
            .list_open(None, None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn history_pages_newest_first() {
    let (_fake, client) = setup().await;
    for price in ["101", "102", "103"] {
        let spec = OrderSpec::limit("SOL_USDC", Side::Bid, d(price).into(), d("1").into())
            .build()
            .unwrap();
        client.orders().place(&spec).await.unwrap();
    }
    let newest = client
        .history()
        .orders(&GetOrderHistory::new().limit(1))
        .await
        .unwrap();
    assert_eq!(newest[0].price, Some(d("103").into()));
    let oldest_first = client
        .history()
        .orders(&GetOrderHistory::new().sort(SortDirection::Asc).limit(1))
        .await
        .unwrap();
    assert_eq!(oldest_first[0].price, Some(d("101").into()));
    let all = client
        .history()
        .collect(&GetOrderHistory::new().limit(1), 10)
        .await
        .unwrap();
    assert_eq!(all.len(), 3, "followed three pages of one");
}

#[tokio::test]
async fn watch_a_resting_order_fill_as_the_market_moves() {
    // Both clocks start together and move together: the fake's market moves with time.
    let start = 1_800_000_000_000;
    let clock = Arc::new(ManualClock::new(start));
    let fake = FakeBackpack::builder()
        .clock(Arc::clone(&clock))
        .start()
        .await;
    let client = client_for(&fake).clock(clock.clone()).build().unwrap();
    let bid = OrderSpec::limit("SOL_USDC", Side::Bid, d("178.20").into(), d("1").into())
        .client_id(9)
        .build()
        .unwrap();
    assert_eq!(
        client.orders().place(&bid).await.unwrap().status,
        OrderStatus::New
    );
    let mut filled = None;
    for _ in 0..2_000 {
        clock.advance(10_000);
        if let Reconciled::Finished(order) = client
            .orders()
            .reconcile("SOL_USDC", ClientOrderId(9))
            .await
            .unwrap()
        {
            filled = Some(order);
            break;
        }
    }
    let filled = filled.expect("the walk reached the bid");
    assert_eq!(filled.status, OrderStatus::Filled);
    assert_eq!(filled.price, Some(d("178.20").into()));
    let fills = client
        .history()
        .fills(&GetFillHistory::new().symbol("SOL_USDC"))
        .await
        .unwrap();
    assert!(
        fills
            .iter()
            .any(|f| f.is_maker && f.price == d("178.20").into())
    );
}

#[tokio::test]
async fn funding_payments_are_in_the_history() {
    let (fake, client) = setup().await;
    let open = OrderSpec::market("BTC_USDC_PERP", Side::Ask, d("0.1").into())
        .build()
        .unwrap();
    client.orders().place(&open).await.unwrap();
    fake.with_exchange(|ex| ex.advance_to(ex.now_ms() + 3_600_000));
    let payments = client
        .history()
        .funding(&GetFundingPayments::new())
        .await
        .unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].symbol, "BTC_USDC_PERP");
    assert!(!payments[0].quantity.is_zero());
    let rates = client
        .markets()
        .funding_rates("BTC_USDC_PERP", None, None)
        .await
        .unwrap();
    assert_eq!(rates.len(), 1);
}
