use super::*;
use crate::model::{
    Market, MarketFilters, MarketType, Notional, OrderBookState, OrderExecutePayload, OrderType,
    PriceFilter, QuantityFilter,
};

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

fn qty(text: &str) -> Quantity {
    text.parse().unwrap()
}

fn market(symbol: &str, market_type: MarketType) -> Market {
    Market {
        symbol: symbol.into(),
        base_symbol: "SOL".into(),
        quote_symbol: "USDC".into(),
        market_type,
        rwa_market_type: None,
        filters: MarketFilters {
            price: PriceFilter {
                max_price: Some(price("10000")),
                max_multiplier: Some("1.25".parse().unwrap()),
                min_multiplier: Some("0.75".parse().unwrap()),
                ..PriceFilter::new(price("0.01"), price("0.01"))
            },
            quantity: QuantityFilter {
                min_quantity: qty("0.01"),
                max_quantity: Some(qty("1000")),
                step_size: qty("0.01"),
            },
        },
        imf_function: None,
        mmf_function: None,
        funding_interval: None,
        funding_rate_upper_bound: None,
        funding_rate_lower_bound: None,
        open_interest_limit: None,
        order_book_state: OrderBookState::Open,
        created_at: None,
        visible: Some(true),
        position_limit_weight: None,
    }
}

fn fields(error: &InvalidOrder) -> Vec<&'static str> {
    error.problems().iter().map(|p| p.field).collect()
}

#[test]
fn a_valid_limit_order_becomes_the_expected_payload() {
    let spec = OrderSpec::limit("SOL_USDC", Side::Bid, price("180.50"), qty("1.5"))
        .post_only(true)
        .client_id(1001)
        .self_trade_prevention(SelfTradePrevention::RejectTaker)
        .build()
        .unwrap();
    let payload = OrderExecutePayload::from(&spec);
    assert_eq!(
        serde_json::to_string(&payload).unwrap(),
        r#"{"clientId":1001,"orderType":"Limit","postOnly":true,"price":"180.50","quantity":"1.5","selfTradePrevention":"RejectTaker","side":"Bid","symbol":"SOL_USDC","timeInForce":"GTC"}"#
    );
    assert_eq!(OrderSpec::try_from(payload).unwrap(), spec);
}

#[test]
fn every_problem_is_reported_with_its_field() {
    let error = OrderSpec::limit(
        "SOL_USDC",
        Side::Unknown("Buy".into()),
        price("0"),
        qty("-1"),
    )
    .time_in_force(TimeInForce::Ioc)
    .post_only(true)
    .reduce_only(true)
    .build()
    .unwrap_err();
    assert_eq!(
        fields(&error),
        ["side", "price", "quantity", "postOnly", "reduceOnly"]
    );
    assert!(error.to_string().starts_with("invalid order: side: `Buy`"));
}

#[test]
fn market_orders_take_base_or_quote_never_both_and_no_price() {
    let mut payload = OrderExecutePayload::new("SOL_USDC", Side::Bid, OrderType::Market);
    assert_eq!(
        fields(&OrderSpec::try_from(payload.clone()).unwrap_err()),
        ["quantity"]
    );
    payload.quantity = Some(qty("1"));
    payload.quote_quantity = Some(Notional::from(100));
    assert_eq!(
        fields(&OrderSpec::try_from(payload.clone()).unwrap_err()),
        ["quoteQuantity"]
    );
    payload.quantity = None;
    payload.price = Some(price("150"));
    payload.time_in_force = Some(TimeInForce::Gtc);
    assert_eq!(
        fields(&OrderSpec::try_from(payload.clone()).unwrap_err()),
        ["price", "timeInForce"]
    );
    payload.price = None;
    payload.time_in_force = None;
    let spec = OrderSpec::try_from(payload).unwrap();
    assert_eq!(spec.notional(None), Some(Notional::from(100)));
    let builder_error = OrderSpec::market("SOL_USDC", Side::Ask, qty("1"))
        .time_in_force(TimeInForce::Fok)
        .build()
        .unwrap_err();
    assert_eq!(fields(&builder_error), ["timeInForce"]);
}

#[test]
fn limit_orders_need_a_price_and_a_quantity() {
    let payload = OrderExecutePayload::new("SOL_USDC", Side::Bid, OrderType::Limit);
    assert_eq!(
        fields(&OrderSpec::try_from(payload).unwrap_err()),
        ["price", "quantity"]
    );
    let unknown =
        OrderExecutePayload::new("SOL_USDC", Side::Bid, OrderType::Unknown("Stop".into()));
    assert_eq!(
        fields(&OrderSpec::try_from(unknown).unwrap_err()),
        ["orderType"]
    );
}

#[test]
fn trigger_price_and_quantity_go_together() {
    let mut payload = OrderExecutePayload::new("SOL_USDC_PERP", Side::Ask, OrderType::Market);
    payload.quantity = Some(qty("1"));
    payload.trigger_price = Some(price("140"));
    assert_eq!(
        fields(&OrderSpec::try_from(payload.clone()).unwrap_err()),
        ["triggerPrice"]
    );
    payload.trigger_quantity = Some(TriggerQuantity::Percent("50".parse().unwrap()));
    let spec = OrderSpec::try_from(payload).unwrap();
    assert_eq!(spec.trigger().unwrap().price, price("140"));
    let error = OrderSpec::market("SOL_USDC_PERP", Side::Ask, qty("1"))
        .trigger(
            price("140"),
            TriggerQuantity::Percent("150".parse().unwrap()),
        )
        .build()
        .unwrap_err();
    assert_eq!(fields(&error), ["triggerQuantity"]);
    let error = OrderSpec::market("SOL_USDC_PERP", Side::Ask, qty("1"))
        .trigger_by(TriggerBy::MarkPrice)
        .build()
        .unwrap_err();
    assert_eq!(fields(&error), ["triggerBy"]);
}

#[test]
fn take_profit_and_stop_loss_sit_on_the_right_sides() {
    let long = OrderSpec::limit("SOL_USDC_PERP", Side::Bid, price("150"), qty("1"))
        .take_profit(price("160"), None)
        .stop_loss(price("140"), Some(price("139.5")))
        .build()
        .unwrap();
    let payload = OrderExecutePayload::from(&long);
    assert_eq!(payload.take_profit_trigger_price, Some(price("160")));
    assert_eq!(payload.stop_loss_limit_price, Some(price("139.5")));
    let inverted = OrderSpec::limit("SOL_USDC_PERP", Side::Ask, price("150"), qty("1"))
        .take_profit(price("160"), None)
        .stop_loss(price("140"), None)
        .build()
        .unwrap_err();
    assert_eq!(
        fields(&inverted),
        ["takeProfitTriggerPrice", "stopLossTriggerPrice"]
    );
    let mut orphan = OrderExecutePayload::new("SOL_USDC_PERP", Side::Bid, OrderType::Market);
    orphan.quantity = Some(qty("1"));
    orphan.stop_loss_limit_price = Some(price("100"));
    assert_eq!(
        fields(&OrderSpec::try_from(orphan).unwrap_err()),
        ["stopLossTriggerPrice"]
    );
}

#[test]
fn reduce_only_and_margin_flags_depend_on_the_market_type() {
    assert!(
        OrderSpec::market("SOL_USDC_PERP", Side::Ask, qty("1"))
            .reduce_only(true)
            .build()
            .is_ok()
    );
    let spot_margin = OrderSpec::market("SOL_USDC_PERP", Side::Ask, qty("1"))
        .margin(MarginFlags {
            auto_borrow: Some(true),
            ..MarginFlags::default()
        })
        .build()
        .unwrap_err();
    assert_eq!(fields(&spot_margin), ["autoBorrow"]);
    let spec = OrderSpec::market("SOL_USDC_PERP", Side::Ask, qty("1"))
        .reduce_only(true)
        .build()
        .unwrap();
    let mut spot = market("SOL_USDC_PERP", MarketType::Spot);
    spot.order_book_state = OrderBookState::Open;
    assert_eq!(
        fields(&spec.check(&spot, None).unwrap_err()),
        ["reduceOnly"]
    );
}

#[test]
fn fit_rounds_prices_conservatively_and_quantities_down() {
    let spot = market("SOL_USDC", MarketType::Spot);
    let buy = OrderSpec::limit("SOL_USDC", Side::Bid, price("150.257"), qty("1.239"))
        .build()
        .unwrap();
    assert!(buy.check(&spot, None).is_err());
    let fitted = buy.fit_to(&spot, None).unwrap();
    assert_eq!(fitted.spec.price(), Some(price("150.25")));
    assert_eq!(fitted.spec.quantity(), Some(qty("1.23")));
    assert_eq!(fitted.adjustments.len(), 2);
    assert_eq!(fitted.adjustments[0].to, "150.25");
    let sell = OrderSpec::limit("SOL_USDC", Side::Ask, price("150.251"), qty("1"))
        .build()
        .unwrap();
    assert_eq!(
        sell.fit_to(&spot, None).unwrap().spec.price(),
        Some(price("150.26"))
    );
    // Extra trailing digits are "decimal too long" even on the grid: rewritten, same value.
    let long = OrderSpec::limit("SOL_USDC", Side::Bid, price("150.000"), qty("1"))
        .build()
        .unwrap();
    assert!(long.check(&spot, None).is_err());
    assert_eq!(
        long.fit_to(&spot, None)
            .unwrap()
            .spec
            .price()
            .unwrap()
            .to_string(),
        "150.00"
    );
    let fine = OrderSpec::limit("SOL_USDC", Side::Bid, price("150"), qty("1"))
        .build()
        .unwrap();
    let fitted = fine.fit_to(&spot, None).unwrap();
    assert!(fitted.adjustments.is_empty());
    assert_eq!(fitted.spec, fine);
}

#[test]
fn fit_never_rounds_a_quantity_up_to_the_minimum() {
    let spot = market("SOL_USDC", MarketType::Spot);
    let dust = OrderSpec::limit("SOL_USDC", Side::Bid, price("150"), qty("0.009"))
        .build()
        .unwrap();
    let error = dust.fit_to(&spot, None).unwrap_err();
    assert_eq!(fields(&error), ["quantity"]);
    assert!(error.to_string().contains("less than one step"));
}

#[test]
fn check_enforces_limits_bands_and_book_state() {
    let mut spot = market("SOL_USDC", MarketType::Spot);
    let big = OrderSpec::limit("SOL_USDC", Side::Bid, price("20000"), qty("5000"))
        .build()
        .unwrap();
    assert_eq!(
        fields(&big.check(&spot, None).unwrap_err()),
        ["price", "quantity"]
    );
    let far = OrderSpec::limit("SOL_USDC", Side::Bid, price("100"), qty("1"))
        .build()
        .unwrap();
    assert!(far.check(&spot, None).is_ok());
    let error = far.check(&spot, Some(price("150"))).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("too far below the reference price 150")
    );
    spot.order_book_state = OrderBookState::PostOnly;
    assert_eq!(fields(&far.check(&spot, None).unwrap_err()), ["postOnly"]);
    spot.order_book_state = OrderBookState::Closed;
    assert_eq!(fields(&far.check(&spot, None).unwrap_err()), ["symbol"]);
    let other = market("BTC_USDC", MarketType::Spot);
    assert_eq!(fields(&far.check(&other, None).unwrap_err()), ["symbol"]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    proptest! {
        /// Whatever the input, a fitted order passes `check` and never asks for more than
        /// the caller did, nor pays more (buys) or receives less (sells).
        #[test]
        fn fitted_orders_pass_check_and_are_never_worse(
            price_units in 1i64..100_000_000,
            price_scale in 0u32..6,
            qty_units in 1i64..100_000_000,
            qty_scale in 0u32..6,
            buy in any::<bool>(),
        ) {
            let spot = market("SOL_USDC", MarketType::Spot);
            let side = if buy { Side::Bid } else { Side::Ask };
            let asked_price = Price::new(Decimal::new(price_units, price_scale));
            let asked_qty = Quantity::new(Decimal::new(qty_units, qty_scale));
            let spec = OrderSpec::limit("SOL_USDC", side, asked_price, asked_qty).build().unwrap();
            match spec.fit_to(&spot, None) {
                Ok(fitted) => {
                    prop_assert!(fitted.spec.check(&spot, None).is_ok());
                    let got_price = fitted.spec.price().unwrap();
                    let got_qty = fitted.spec.quantity().unwrap();
                    prop_assert!(got_qty <= asked_qty);
                    if buy { prop_assert!(got_price <= asked_price) } else { prop_assert!(got_price >= asked_price) }
                }
                Err(error) => {
                    // Only limits that rounding cannot fix.
                    for problem in error.problems() {
                        prop_assert!(
                            problem.message.contains("minimum") || problem.message.contains("maximum")
                                || problem.message.contains("less than one step"),
                            "{}", problem
                        );
                    }
                }
            }
        }

        /// The wire payload of any valid spec converts back to the same spec.
        #[test]
        fn payload_round_trip(
            price_units in 1i64..1_000_000, qty_units in 1i64..1_000_000,
            client_id in proptest::option::of(any::<u32>()), post_only in any::<bool>(),
            limit in any::<bool>(),
        ) {
            let builder = if limit {
                OrderSpec::limit("BTC_USDC_PERP", Side::Ask, Price::new(Decimal::new(price_units, 2)), Quantity::new(Decimal::new(qty_units, 3)))
                    .post_only(post_only)
            } else {
                OrderSpec::market("BTC_USDC_PERP", Side::Ask, Quantity::new(Decimal::new(qty_units, 3))).reduce_only(post_only)
            };
            let builder = match client_id { Some(id) => builder.client_id(id), None => builder };
            let spec = builder.build().unwrap();
            let json = serde_json::to_string(&OrderExecutePayload::from(&spec)).unwrap();
            let payload: OrderExecutePayload = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(OrderSpec::try_from(payload).unwrap(), spec);
        }
    }
}
