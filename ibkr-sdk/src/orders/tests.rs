use proptest::prelude::*;
use serde_json::json;

use super::*;

fn p(text: &str) -> Price {
    text.parse().unwrap()
}

fn request(value: serde_json::Value) -> Result<OrderSpec, InvalidOrder> {
    let request: OrderRequest = serde_json::from_value(value).unwrap();
    OrderSpec::try_from(request)
}

fn aapl() -> serde_json::Value {
    json!({ "symbol": "AAPL", "sec_type": "STK" })
}

#[test]
fn the_three_classic_mistakes_are_refused() {
    let negative = request(
        json!({ "contract": aapl(), "action": "BUY", "quantity": "-5", "order_type": "MKT" }),
    );
    let problems = negative.unwrap_err().problems;
    assert!(
        problems[0].contains("quantity must be greater than zero"),
        "{problems:?}"
    );
    assert!(problems[0].contains("use action SELL"), "{problems:?}");

    let no_price =
        request(json!({ "contract": aapl(), "action": "BUY", "quantity": 5, "order_type": "LMT" }));
    assert_eq!(
        no_price.unwrap_err().problems,
        ["limit_price is required for a Limit order"]
    );

    let priced_market = request(json!({
        "contract": aapl(), "action": "BUY", "quantity": 5, "order_type": "MKT", "limit_price": "150"
    }));
    assert_eq!(
        priced_market.unwrap_err().problems,
        ["a Market order takes no limit_price; remove it"]
    );
}

#[test]
fn every_problem_is_listed_at_once() {
    let error = request(json!({
        "contract": aapl(), "action": "SELL", "quantity": 0, "order_type": "STP LMT", "trail_amount": "1"
    }))
    .unwrap_err();
    assert_eq!(error.problems.len(), 3, "{:?}", error.problems);
    assert!(
        error
            .to_string()
            .starts_with("invalid order: limit_price is required")
    );
}

#[test]
fn each_order_type_converts_from_the_flat_request() {
    let cases = [
        (json!({ "order_type": "MKT" }), OrderType::Market),
        (
            json!({ "order_type": "LMT", "limit_price": "150.25" }),
            OrderType::Limit { price: p("150.25") },
        ),
        (
            json!({ "order_type": "STP", "stop_price": 140 }),
            OrderType::Stop {
                stop_price: p("140"),
            },
        ),
        (
            json!({ "order_type": "STP LMT", "stop_price": "140", "limit_price": "139.5" }),
            OrderType::StopLimit {
                stop_price: p("140"),
                limit_price: p("139.5"),
            },
        ),
        (
            json!({ "order_type": "TRAIL", "trail_percent": "2.5" }),
            OrderType::TrailingStop {
                trail: Trail::Percent(p("2.5")),
                stop_price: None,
            },
        ),
        (
            json!({ "order_type": "TRAIL LIMIT", "trail_amount": "1", "stop_price": "180", "limit_offset": "0.1" }),
            OrderType::TrailingStopLimit {
                trail: Trail::Amount(p("1")),
                stop_price: Some(p("180")),
                limit_offset: p("0.1"),
            },
        ),
        (json!({ "order_type": "MOC" }), OrderType::MarketOnClose),
        (json!({ "order_type": "MOO" }), OrderType::MarketOnOpen),
    ];
    for (fields, expected) in cases {
        let mut value = json!({ "contract": aapl(), "action": "SELL", "quantity": "10" });
        value
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let spec = request(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"));
        assert_eq!(spec.order_type, expected);
        assert_eq!(
            spec.order_type.code(),
            serde_json::from_value(value["order_type"].clone()).unwrap()
        );
    }
}

#[test]
fn trailing_orders_need_exactly_one_distance() {
    let both = request(json!({
        "contract": aapl(), "action": "SELL", "quantity": 1, "order_type": "TRAIL",
        "trail_amount": "1", "trail_percent": "1"
    }));
    assert_eq!(
        both.unwrap_err().problems,
        ["give trail_amount or trail_percent, not both"]
    );
    let neither = request(
        json!({ "contract": aapl(), "action": "SELL", "quantity": 1, "order_type": "TRAIL" }),
    );
    assert!(neither.is_err());
    let spec = OrderSpec::of_type(
        ContractSpec::stock("AAPL"),
        Action::Sell,
        Quantity::from(1),
        OrderType::TrailingStop {
            trail: Trail::Percent(p("100")),
            stop_price: None,
        },
    );
    assert!(spec.validate().unwrap_err().problems[0].contains("between 0 and 100"));
}

#[test]
fn unknown_fields_and_on_open_time_in_force_are_refused() {
    let typo: Result<OrderRequest, _> = serde_json::from_value(
        json!({ "contract": aapl(), "action": "BUY", "quantity": 1, "order_type": "MKT", "limitprice": 1 }),
    );
    assert!(
        typo.unwrap_err()
            .to_string()
            .contains("unknown field `limitprice`")
    );
    let moc_gtc = request(json!({
        "contract": aapl(), "action": "BUY", "quantity": 1, "order_type": "MOC", "time_in_force": "GTC"
    }));
    assert!(moc_gtc.unwrap_err().problems[0].contains("no time in force"));
}

#[test]
fn indices_cannot_be_traded() {
    let spec = OrderSpec::market(ContractSpec::index("SPX"), Action::Buy, Quantity::from(1));
    assert!(spec.validate().unwrap_err().problems[0].contains("index cannot be traded"));
}

fn bracket(action: Action, entry: Entry, take_profit: &str, stop_loss: &str) -> BracketSpec {
    BracketSpec {
        contract: ContractSpec::stock("AAPL"),
        action,
        quantity: Quantity::from(10),
        entry,
        take_profit: p(take_profit),
        stop_loss: p(stop_loss),
        time_in_force: TimeInForce::Gtc,
    }
}

#[test]
fn bracket_exits_must_sit_on_the_right_sides() {
    let limit = Entry::Limit { price: p("150") };
    assert!(bracket(Action::Buy, limit, "160", "145").validate().is_ok());
    assert!(
        bracket(Action::Sell, limit, "140", "155")
            .validate()
            .is_ok()
    );
    let inverted = bracket(Action::Buy, limit, "145", "160")
        .validate()
        .unwrap_err();
    assert!(
        inverted.problems[0].contains("take profit (145) must be above the stop loss (160)"),
        "{inverted}"
    );
    let outside = bracket(Action::Buy, Entry::Limit { price: p("170") }, "160", "145")
        .validate()
        .unwrap_err();
    assert!(
        outside.problems[0].contains("must lie between"),
        "{outside}"
    );
    assert!(
        bracket(Action::Buy, Entry::Market, "160", "145")
            .validate()
            .is_ok()
    );
}

#[test]
fn specs_travel_as_json_with_string_prices() {
    let spec = OrderSpec::limit(
        ContractSpec::stock("AAPL"),
        Action::Buy,
        Quantity::from(10),
        p("150.10"),
    );
    let text = serde_json::to_value(&spec).unwrap();
    assert_eq!(
        text["order_type"],
        json!({ "type": "limit", "price": "150.10" })
    );
    assert_eq!(serde_json::from_value::<OrderSpec>(text).unwrap(), spec);
}

fn positive_price() -> impl Strategy<Value = Price> {
    (1i64..10_000_000, 0u32..5)
        .prop_map(|(mantissa, scale)| Price::new(Decimal::new(mantissa, scale)))
}

proptest! {
    /// A request that converts yields a spec that validates, with the same prices.
    #[test]
    fn converted_requests_always_validate(
        code in prop::sample::select(vec!["MKT", "LMT", "STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MOC", "MOO"]),
        limit in prop::option::of(positive_price()),
        stop in prop::option::of(positive_price()),
        trail in prop::option::of(positive_price()),
        offset in prop::option::of(positive_price()),
        quantity in -5i64..50,
    ) {
        let mut value = json!({ "contract": aapl(), "action": "BUY", "quantity": quantity, "order_type": code });
        let object = value.as_object_mut().unwrap();
        if let Some(limit) = limit { object.insert("limit_price".into(), json!(limit)); }
        if let Some(stop) = stop { object.insert("stop_price".into(), json!(stop)); }
        if let Some(trail) = trail { object.insert("trail_amount".into(), json!(trail)); }
        if let Some(offset) = offset { object.insert("limit_offset".into(), json!(offset)); }
        let (l, st, t, o) = (limit.is_some(), stop.is_some(), trail.is_some(), offset.is_some());
        let fields_fit = match code {
            "MKT" | "MOC" | "MOO" => !l && !st && !t && !o,
            "LMT" => l && !st && !t && !o,
            "STP" => !l && st && !t && !o,
            "STP LMT" => l && st && !t && !o,
            "TRAIL" => !l && t && !o,
            _ => !l && t && o,
        };
        let converted = request(value);
        prop_assert_eq!(converted.is_ok(), quantity > 0 && fields_fit, "{:?}", converted);
        if let Ok(spec) = converted {
            prop_assert!(spec.validate().is_ok());
            prop_assert_eq!(spec.order_type.code(), serde_json::from_value::<OrderTypeCode>(json!(code)).unwrap());
            if let Some(price) = spec.stated_price() {
                prop_assert!(Some(price) == limit || Some(price) == stop);
            }
        }
    }
}
