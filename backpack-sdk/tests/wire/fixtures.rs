//! Each fixture in `tests/fixtures/backpack/` is decoded through the same `Request::decode`
//! the client uses. The fixtures follow the exchange's documented shapes: explicit `null`s,
//! absent optional fields, both `createdAt` formats, plain-text `/time` and `/ping`, and
//! ascending bids in `/depth`. The last element of several lists is synthetic: values the
//! exchange might add later (new market types, order types, statuses), which must decode as
//! `Unknown` instead of failing the whole response.

use backpack_sdk::api::Request;
use backpack_sdk::api::account::{
    GetAccount, GetBalances, GetBorrowLendPositions, GetCollateral, GetMaxOrderQuantity,
    GetPositions, UpdateAccount,
};
use backpack_sdk::api::history::{GetFillHistory, GetFundingPayments, GetOrderHistory};
use backpack_sdk::api::orders::{ExecuteOrders, GetOpenOrder, GetOpenOrders};
use backpack_sdk::api::public::{
    GetAssets, GetDepth, GetFundingRates, GetKlines, GetMarkPrices, GetMarkets, GetOpenInterest,
    GetRecentTrades, GetStatus, GetTicker, GetTickers, GetTime, Ping,
};
use backpack_sdk::model::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/backpack/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn decode<R: Request>(name: &str) -> R::Response {
    R::decode(200, &fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn p(text: &str) -> Price {
    text.parse().unwrap()
}

fn q(text: &str) -> Quantity {
    text.parse().unwrap()
}

#[test]
fn markets_with_nulls_absent_fields_and_new_values() {
    let markets = decode::<GetMarkets>("get_markets.json");
    assert_eq!(markets.len(), 4);
    let perp = &markets[0];
    assert_eq!(perp.market_type, MarketType::Perp);
    assert_eq!(perp.filters.price.tick_size.to_string(), "0.01");
    assert_eq!(perp.filters.quantity.max_quantity, None);
    assert_eq!(
        perp.filters
            .price
            .mean_mark_price_band
            .as_ref()
            .unwrap()
            .max_multiplier
            .to_string(),
        "1.1"
    );
    assert_eq!(perp.funding_interval, Some(3_600_000));
    assert_eq!(
        perp.created_at.unwrap().to_naive_string(),
        "2025-01-21T06:34:54.691858"
    );
    assert!(perp.is_derivative());
    let spot = &markets[1];
    assert_eq!(spot.order_book_state, OrderBookState::Closed);
    assert_eq!(spot.price_decimals(), 4);
    assert_eq!(spot.imf_function, None);
    assert_eq!(markets[2].rwa_market_type.as_deref(), Some("STOCK"));
    assert_eq!(markets[2].symbol, "AAPL.US_USDC_PERP");
    let future = &markets[3];
    assert_eq!(
        future.market_type,
        MarketType::Unknown("DATED_FUTURE".into())
    );
    assert_eq!(
        future.order_book_state,
        OrderBookState::Unknown("Auction".into())
    );
    assert_eq!(future.created_at, None);
}

#[test]
fn tickers_depth_klines_trades() {
    let ticker = decode::<GetTicker>("get_ticker.json");
    assert_eq!(ticker.trades, 58_211);
    assert_eq!(ticker.quote_volume.unwrap().to_string(), "21702365.1234");
    assert_eq!(decode::<GetTickers>("get_tickers.json").len(), 2);

    let depth = decode::<GetDepth>("get_depth.json");
    // Both sides ascending: the best bid is the last element, not the first.
    assert_eq!(depth.bids[0].price(), p("1.0"));
    assert_eq!(depth.best_bid().unwrap().price(), p("118300.1"));
    assert_eq!(depth.best_ask().unwrap().price(), p("118318.3"));
    assert_eq!(depth.bids_best_first()[0].quantity(), q("0.25"));
    assert_eq!(depth.last_update_id, 1_504_999_670);
    assert_eq!(depth.timestamp.as_micros(), 1_753_102_447_307_501);

    let klines = decode::<GetKlines>("get_klines.json");
    assert_eq!(klines[0].start.as_secs(), 1_752_930_540);
    assert_eq!(klines[0].close, Some(p("180.52")));
    assert_eq!(klines[1].open, None);
    assert_eq!(klines[1].trades, 0);

    let trades = decode::<GetRecentTrades>("get_trades.json");
    assert_eq!(trades[0].id, TradeId(1_239_421));
    assert_eq!(trades[0].timestamp.as_millis(), 1_753_123_916_818);
    assert!(trades[0].is_buyer_maker);
}

#[test]
fn perp_market_data() {
    let marks = decode::<GetMarkPrices>("get_mark_prices.json");
    assert_eq!(marks[0].funding_rate.unwrap().to_string(), "0.0000125");
    assert_eq!(marks[1].funding_rate, None);
    assert_eq!(marks[1].next_funding_timestamp, None);
    let rates = decode::<GetFundingRates>("get_funding_rates.json");
    assert_eq!(rates[1].funding_rate.to_string(), "-0.0000031");
    assert_eq!(
        rates[0].interval_end_timestamp.to_naive_string(),
        "2026-08-05T17:00:00"
    );
    let interest = decode::<GetOpenInterest>("get_open_interest.json");
    assert_eq!(interest[1].open_interest, None);
}

#[test]
fn status_assets_and_the_plain_text_endpoints() {
    let status = decode::<GetStatus>("get_status.json");
    assert_eq!(status.status, ExchangeStatus::Ok);
    assert_eq!(status.message, None);
    decode::<Ping>("get_ping.txt");
    assert_eq!(
        decode::<GetTime>("get_time.txt").as_millis(),
        1_753_131_712_992
    );
    assert!(GetTime::decode(200, b"<html>").is_err());
    assert!(Ping::decode(200, b"ping").is_err());
    let assets = decode::<GetAssets>("get_assets.json");
    assert_eq!(assets[1].tokens[1].blockchain, "Sonic");
    assert_eq!(assets[1].tokens[1].display_name, None);
}

#[test]
fn account_balances_collateral_positions() {
    let account = decode::<GetAccount>("get_account.json");
    assert_eq!(account.spot_maker_fee.unwrap().to_string(), "-1");
    assert_eq!(account.limit_orders, Some(500));
    let balances = decode::<GetBalances>("get_capital.json");
    assert_eq!(balances.get("USDC").locked, q("150.25"));
    assert_eq!(balances.get("SOL").staked, q("3.25"));
    assert_eq!(balances.get("BONK"), Balance::default());
    let collateral = decode::<GetCollateral>("get_collateral.json");
    assert_eq!(collateral.margin_fraction, None);
    assert_eq!(collateral.collateral[0].lend_quantity, q("500"));
    let positions = decode::<GetPositions>("get_position.json");
    assert_eq!(positions[1].net_quantity, q("-0.01"));
    assert_eq!(positions[1].subaccount_id, Some(7));
    assert_eq!(positions[1].cumulative_interest, None);
    assert_eq!(positions[0].position_id.as_ref().unwrap(), "2873491");
    let lend = decode::<GetBorrowLendPositions>("get_borrow_lend_positions.json");
    assert_eq!(lend[0].imf.unwrap().to_string(), "0");
    let max = decode::<GetMaxOrderQuantity>("get_account_limits_order.json");
    assert_eq!(max.max_order_quantity, q("1234.56"));
    // PATCH /account answers with an empty body.
    UpdateAccount::decode(200, b"").unwrap();
}

#[test]
fn open_orders_limit_market_conditional_and_unknown() {
    let order = decode::<GetOpenOrder>("get_order.json");
    assert_eq!(order.client_id, Some(ClientOrderId(123_456_789)));
    assert_eq!(order.post_only, Some(true));
    assert_eq!(order.created_at.as_millis(), 1_753_626_206_762);
    let orders = decode::<GetOpenOrders>("get_orders.json");
    assert_eq!(orders.len(), 4);
    assert_eq!(orders[0].order_type, OrderType::Market);
    assert_eq!(orders[0].quote_quantity.unwrap().to_string(), "3.82");
    assert_eq!(
        orders[0].average_fill_price().unwrap().to_string(),
        "3814.28"
    );
    assert_eq!(orders[1].status, OrderStatus::PartiallyFilled);
    assert_eq!(orders[1].remaining_quantity(), Some(q("0.0006")));
    let conditional = &orders[2];
    assert_eq!(conditional.status, OrderStatus::TriggerPending);
    assert!(conditional.status.is_open());
    assert_eq!(
        conditional.trigger_quantity,
        Some(TriggerQuantity::Percent("50".parse().unwrap()))
    );
    assert_eq!(conditional.trigger_by, Some(TriggerBy::MarkPrice));
    assert_eq!(
        conditional.slippage_tolerance_type,
        Some(SlippageToleranceType::Percent)
    );
    let future = &orders[3];
    assert_eq!(future.order_type, OrderType::Unknown("StopLimit".into()));
    assert_eq!(future.status, OrderStatus::Unknown("Parked".into()));
    assert_eq!(
        future.time_in_force,
        Some(TimeInForce::Unknown("GTD".into()))
    );
    assert_eq!(
        future.self_trade_prevention,
        Some(SelfTradePrevention::Unknown("Allow".into()))
    );
}

#[test]
fn batch_results_mix_orders_and_errors() {
    let results = decode::<ExecuteOrders>("post_orders.json");
    match &results[0] {
        BatchOrderResult::Ok(order) => assert_eq!(order.id, "5001"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        results[1],
        BatchOrderResult::Err(ApiErrorBody::new(
            ApiErrorCode::InsufficientMargin,
            "Insufficient margin"
        ))
    );
    // A batch result is an order plus `operation`, serialized back the same way.
    let json = serde_json::to_value(&results[0]).unwrap();
    assert_eq!(json["operation"], "Ok");
    assert_eq!(json["id"], "5001");
}

#[test]
fn history_uses_datetime_strings() {
    let orders = decode::<GetOrderHistory>("get_history_orders.json");
    assert_eq!(orders[0].created_at.as_millis(), 1_753_626_206_762);
    assert_eq!(
        orders[1].created_at.to_naive_string(),
        "2025-07-27T14:25:00"
    );
    assert_eq!(orders[1].expiry_reason, Some(ExpiryReason::PostOnlyTaker));
    assert_eq!(
        orders[2].system_order_type,
        Some(SystemOrderType::LiquidatePositionOnBook)
    );
    assert_eq!(
        orders[2].expiry_reason,
        Some(ExpiryReason::Unknown("SomethingNew".into()))
    );
    assert_eq!(orders[0].average_fill_price().unwrap().to_string(), "3000");
    let fills = decode::<GetFillHistory>("get_history_fills.json");
    // Fills send the client id as a string.
    assert_eq!(fills[0].client_id, Some(ClientOrderId(123_456_789)));
    assert_eq!(fills[0].trade_id, Some(TradeId(884_422)));
    assert_eq!(fills[1].trade_id, None);
    assert_eq!(fills[1].notional().to_string(), "360.80");
    let funding = decode::<GetFundingPayments>("get_history_funding.json");
    assert_eq!(funding[0].quantity.to_string(), "-0.0123");
    assert_eq!(
        funding[0].interval_end_timestamp,
        funding[1].interval_end_timestamp
    );
}

#[test]
fn decode_errors_name_the_field_path() {
    let body = br#"[{"clientId":null,"createdAt":1,"executedQuantity":"0","executedQuoteQuantity":"0","id":"1","orderType":"Limit","side":"Bid","status":"New","symbol":"X"},
                    {"clientId":null,"createdAt":1,"executedQuantity":"zero","executedQuoteQuantity":"0","id":"2","orderType":"Limit","side":"Bid","status":"New","symbol":"X"}]"#;
    let error = GetOpenOrders::decode(200, body).unwrap_err();
    assert_eq!(error.path, "[1].executedQuantity");
    assert!(error.message.contains("zero"), "{error}");
    let missing = GetStatus::decode(200, b"{}").unwrap_err();
    assert!(missing.message.contains("status"), "{missing}");
}

#[test]
fn responses_round_trip_through_serde() {
    // What the testkit's fake sends back must decode to the same values.
    let orders = decode::<GetOpenOrders>("get_orders.json");
    let json = serde_json::to_vec(&orders).unwrap();
    assert_eq!(GetOpenOrders::decode(200, &json).unwrap(), orders);
    let history = decode::<GetOrderHistory>("get_history_orders.json");
    let json = serde_json::to_string(&history).unwrap();
    assert!(
        json.contains(r#""createdAt":"2025-07-27T14:23:26.762000""#),
        "{json}"
    );
    assert_eq!(
        GetOrderHistory::decode(200, json.as_bytes()).unwrap(),
        history
    );
    let depth = decode::<GetDepth>("get_depth.json");
    let json = serde_json::to_string(&depth).unwrap();
    assert!(json.contains(r#""lastUpdateId":"1504999670""#));
    assert!(json.contains(r#""timestamp":1753102447307501"#));
}
