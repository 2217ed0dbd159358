//! Snapshots of what each request sends (query or JSON body) and the exact text it signs,
//! under a fixed timestamp and window, so nothing in them varies or needs redacting.

use backpack_sdk::api::account::{GetCollateral, GetMaxOrderQuantity, GetPositions, UpdateAccount};
use backpack_sdk::api::history::{GetFillHistory, GetFundingPayments, GetOrderHistory};
use backpack_sdk::api::orders::{
    CancelAllOrders, CancelOrder, ExecuteOrder, ExecuteOrders, GetOpenOrder, GetOpenOrders,
};
use backpack_sdk::api::public::{GetDepth, GetKlines, GetMarkPrices, GetMarkets, GetTicker};
use backpack_sdk::api::{Payload, Request};
use backpack_sdk::model::*;
use backpack_sdk::signing::Window;
use backpack_sdk::spec::OrderSpec;

const TIMESTAMP: u64 = 1_735_689_600_000;

/// `METHOD path?query`, the body, and the signing string (for signed requests).
fn render<R: Request>(request: &R) -> String {
    let payload = Payload::of(request).unwrap();
    let query: Vec<String> = payload
        .query()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut out = format!("{} {}", R::METHOD.as_str(), R::PATH);
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out.push('\n');
    match payload.body() {
        Some(body) => {
            out.push_str("body: ");
            out.push_str(std::str::from_utf8(body).unwrap());
        }
        None => out.push_str("body: (none)"),
    }
    out.push('\n');
    match R::INSTRUCTION {
        Some(instruction) => {
            out.push_str("signs: ");
            out.push_str(&payload.signing_string(
                instruction,
                TIMESTAMP,
                Window::from_millis(10_000).unwrap(),
            ));
        }
        None => out.push_str("signs: (public)"),
    }
    out
}

fn p(text: &str) -> Price {
    text.parse().unwrap()
}

fn q(text: &str) -> Quantity {
    text.parse().unwrap()
}

macro_rules! snapshot {
    ($name:ident, $request:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), render(&$request));
        }
    };
}

snapshot!(
    public_markets_filtered,
    GetMarkets {
        market_type: Some(MarketType::Perp)
    }
);
snapshot!(
    public_ticker_weekly,
    GetTicker {
        symbol: "SOL_USDC".into(),
        interval: Some(TickerInterval::OneWeek)
    }
);
snapshot!(
    public_depth_limited,
    GetDepth {
        symbol: "BTC_USDC".into(),
        limit: Some(DepthLimit::L100)
    }
);
snapshot!(
    public_klines_mark,
    GetKlines::new(
        "SOL_USDC_PERP",
        KlineInterval::OneHour,
        Timestamp::from_secs(1_735_000_000)
    )
    .end(Timestamp::from_secs(1_735_600_000))
    .price_type(KlinePriceType::Mark)
);
snapshot!(
    public_mark_prices_one,
    GetMarkPrices {
        symbol: Some("SOL_USDC_PERP".into()),
        market_type: None
    }
);

snapshot!(
    account_update,
    UpdateAccount {
        auto_lend: Some(true),
        leverage_limit: Some("5".parse().unwrap()),
        ..UpdateAccount::default()
    }
);
snapshot!(
    account_collateral_subaccount,
    GetCollateral {
        subaccount_id: Some(3)
    }
);
snapshot!(
    account_positions_one,
    GetPositions {
        symbol: Some("SOL_USDC_PERP".into())
    }
);
snapshot!(
    account_max_order_quantity,
    GetMaxOrderQuantity {
        symbol: "SOL_USDC_PERP".into(),
        side: Side::Ask,
        price: Some(p("180.5")),
        reduce_only: Some(true)
    }
);

snapshot!(
    orders_get_by_client_id,
    GetOpenOrder::new("SOL_USDC", ClientOrderId(1001))
);
snapshot!(
    orders_get_by_id,
    GetOpenOrder::new("SOL_USDC", OrderId::new("4228978330"))
);
snapshot!(
    orders_list_spot,
    GetOpenOrders {
        symbol: Some("SOL_USDC".into()),
        market_type: Some(MarketType::Spot)
    }
);
snapshot!(
    orders_execute_limit,
    ExecuteOrder::new(
        &OrderSpec::limit("SOL_USDC", Side::Bid, p("180.50"), q("1.5"))
            .post_only(true)
            .client_id(1001)
            .self_trade_prevention(SelfTradePrevention::RejectTaker)
            .build()
            .unwrap()
    )
);
snapshot!(
    orders_execute_market_quote,
    ExecuteOrder::new(
        &OrderSpec::market_quote("SOL_USDC", Side::Bid, "100".parse().unwrap())
            .client_id(7)
            .build()
            .unwrap()
    )
);
snapshot!(
    orders_execute_perp_with_tp_sl,
    ExecuteOrder::new(
        &OrderSpec::limit("SOL_USDC_PERP", Side::Bid, p("150"), q("2"))
            .time_in_force(TimeInForce::Ioc)
            .take_profit(p("165"), Some(p("164.5")))
            .take_profit_trigger_by(TriggerBy::MarkPrice)
            .stop_loss(p("140"), None)
            .client_id(8)
            .build()
            .unwrap()
    )
);
snapshot!(
    orders_execute_stop_market_reduce_only,
    ExecuteOrder::new(
        &OrderSpec::market("SOL_USDC_PERP", Side::Ask, q("2"))
            .reduce_only(true)
            .trigger(p("140"), TriggerQuantity::Percent("100".parse().unwrap()))
            .trigger_by(TriggerBy::LastPrice)
            .build()
            .unwrap()
    )
);
snapshot!(
    orders_execute_batch,
    ExecuteOrders::new(&[
        OrderSpec::limit("SOL_USDC_PERP", Side::Bid, p("141"), q("12"))
            .client_id(1)
            .build()
            .unwrap(),
        OrderSpec::limit("SOL_USDC_PERP", Side::Bid, p("140"), q("11"))
            .client_id(2)
            .build()
            .unwrap(),
    ])
    .unwrap()
);
snapshot!(
    orders_cancel_by_id,
    CancelOrder::new("BTC_USDT", OrderId::new("28"))
);
snapshot!(
    orders_cancel_by_client_id,
    CancelOrder::new("BTC_USDT", ClientOrderId(1001))
);
snapshot!(
    orders_cancel_all_conditional,
    CancelAllOrders::new("SOL_USDC_PERP").order_type(CancelOrderType::ConditionalOrder)
);

snapshot!(
    history_orders_paged,
    GetOrderHistory::new()
        .symbol("SOL_USDC")
        .limit(500)
        .offset(1000)
        .sort(SortDirection::Desc)
        .market_type(MarketType::Spot)
);
snapshot!(
    history_fills_between,
    GetFillHistory::new()
        .between(
            Some(Timestamp::from_millis(1_735_000_000_000)),
            Some(Timestamp::from_millis(1_735_600_000_000))
        )
        .fill_type(FillType::User)
        .limit(1000)
);
snapshot!(
    history_funding,
    GetFundingPayments::new().symbol("SOL_USDC_PERP").limit(10)
);
