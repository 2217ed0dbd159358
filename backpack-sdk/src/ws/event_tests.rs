//! Decoding of every event type from realistic frames, in the documented form and in the
//! forms live data drifts to (the reference's table), plus unknown and broken data.

use super::*;
use proptest::prelude::*;

fn event(text: &str) -> Event {
    match decode(text) {
        Message::Data { event, .. } => event,
        other => panic!("not data: {other:?}"),
    }
}

fn p(text: &str) -> Price {
    text.parse().unwrap()
}

fn q(text: &str) -> Quantity {
    text.parse().unwrap()
}

#[test]
fn book_ticker_in_both_forms() {
    let docs = r#"{"stream":"bookTicker.SOL_USDC","data":{"A":"0.4087","B":"0.0020","E":1694687692980000,"T":1694687692980000,"a":"18.70","b":"18.67","e":"bookTicker","s":"SOL_USDC","u":"111063070525358080"}}"#;
    let live = r#"{"stream":"bookTicker.SOL_USDC","data":{"A":"0.4087","B":"0.0020","E":"1694687692980000","T":"1694687692980000","a":"18.70","b":"18.67","e":"bookTicker","s":"SOL_USDC","u":1328288557}}"#;
    for (text, id) in [(docs, 111_063_070_525_358_080), (live, 1_328_288_557)] {
        let Event::BookTicker(ticker) = event(text) else {
            panic!("{text}")
        };
        assert_eq!(ticker.ask_price, p("18.70"));
        assert_eq!(ticker.bid_quantity, q("0.0020"));
        assert_eq!(ticker.update_id, id);
        assert_eq!(
            ticker.event_time,
            Timestamp::from_micros(1_694_687_692_980_000)
        );
    }
}

#[test]
fn depth_with_absolute_levels_and_removals() {
    let text = r#"{"stream":"depth.200ms.SOL_USDC","data":{"a":[["18.70","0.000"]],"b":[["18.67","0.832"],["18.68","0.000"]],"e":"depth","E":"1694687965941000","s":"SOL_USDC","T":"1694687965940999","U":94978271,"u":94978273}}"#;
    let Event::Depth(depth) = event(text) else {
        panic!()
    };
    assert_eq!(depth.asks, vec![Level(p("18.70"), q("0"))]);
    assert_eq!(depth.bids.len(), 2);
    assert_eq!(
        (depth.first_update_id, depth.last_update_id),
        (94_978_271, 94_978_273)
    );
    let empty = r#"{"stream":"depth.SOL_USDC","data":{"a":[],"b":[],"e":"depth","E":1,"s":"SOL_USDC","T":1,"U":"5","u":"5"}}"#;
    assert!(matches!(event(empty), Event::Depth(d) if d.asks.is_empty() && d.first_update_id == 5));
}

#[test]
fn trades_tickers_klines_mark_prices_open_interest_liquidations() {
    let trade = r#"{"stream":"trade.SOL_USDC","data":{"e":"trade","E":"1694688638091000","s":"SOL_USDC","p":"18.68","q":"0.122","b":"111063114377265150","a":"111063114585735170","t":12345,"T":"1694688638089000","m":true}}"#;
    let Event::Trade(trade) = event(trade) else {
        panic!()
    };
    assert!(trade.buyer_is_maker);
    assert_eq!(trade.trade_id, 12_345);
    assert_eq!(trade.buyer_order_id.unwrap().as_str(), "111063114377265150");

    let ticker = r#"{"stream":"ticker.SOL_USDC","data":{"e":"ticker","E":1694687692980000,"s":"SOL_USDC","o":"18.75","c":"18.89","h":"19.80","l":"18.50","v":"32123","V":"928190","n":93828}}"#;
    let Event::Ticker(ticker) = event(ticker) else {
        panic!()
    };
    assert_eq!(ticker.trades, 93_828);
    assert_eq!(ticker.last_price, p("18.89"));

    let start = Timestamp::parse("2025-08-06T22:00:00").unwrap();
    for kline in [
        r#"{"stream":"kline.2h.SOL_USDC","data":{"e":"kline","E":"1754517600000000","s":"SOL_USDC","t":"2025-08-06T22:00:00","T":"2025-08-07T00:00:00","o":"18.75","c":"19.25","h":"19.80","l":"18.50","v":"32123","n":93828,"X":false}}"#,
        r#"{"stream":"kline.2h.SOL_USDC","data":{"e":"kline","E":1754517600000000,"s":"SOL_USDC","t":1754517600,"T":1754524800,"o":"18.75","c":"19.25","h":"19.80","l":"18.50","v":"32123","n":93828,"X":true}}"#,
        r#"{"stream":"kline.2h.SOL_USDC","data":{"e":"kline","E":1754517600000000,"s":"SOL_USDC","t":1754517600000,"T":1754524800000,"o":"18.75","c":"19.25","h":"19.80","l":"18.50","v":"32123","n":"93828","X":false}}"#,
    ] {
        let Event::Kline(kline) = event(kline) else {
            panic!("{kline}")
        };
        assert_eq!(kline.start, start, "{kline:?}");
        assert_eq!(kline.end.unwrap().as_secs() - start.as_secs(), 7_200);
    }

    let mark = r#"{"stream":"markPrice.SOL_USDC_PERP","data":{"e":"markPrice","E":1747291031914525,"T":1747291031910025,"s":"SOL_USDC_PERP","p":"172.84","f":"-0.0000039641039274236048482914","i":"172.86","n":1747296000000}}"#;
    let Event::MarkPrice(mark) = event(mark) else {
        panic!()
    };
    assert_eq!(
        mark.next_funding,
        Some(Timestamp::from_millis(1_747_296_000_000))
    );
    let prediction =
        r#"{"stream":"markPrice.X_USDC","data":{"e":"markPrice","E":1,"s":"X_USDC","p":"0.42"}}"#;
    assert!(matches!(event(prediction), Event::MarkPrice(m) if m.funding_rate.is_none()));

    let oi = r#"{"stream":"openInterest.SOL_USDC_PERP","data":{"e":"openInterest","E":1694687692980000,"s":"SOL_USDC_PERP","o":"100"}}"#;
    assert!(matches!(event(oi), Event::OpenInterest(o) if o.open_interest == q("100")));
    let liquidation = r#"{"stream":"liquidation","data":{"e":"liquidation","E":1694687692980000,"q":"10","p":"18.70","S":"Bid","s":"SOL_USDC_PERP","T":"567"}}"#;
    assert!(matches!(event(liquidation), Event::Liquidation(l) if l.side == Side::Bid));
}

#[test]
fn order_updates_in_the_live_form_and_the_docs_form() {
    let live_fill = r#"{"stream":"account.orderUpdate.ETH_USDC","data":{"E":"1754939110175879","L":"4299.16","N":"ETH","O":"USER","Q":"4.30","S":"Bid","T":"1754939110174705","V":"RejectTaker","X":"Filled","Z":"4.299160","e":"orderFill","f":"GTC","i":"5406825793","l":"0.0010","m":false,"n":"0.000001","o":"MARKET","q":"0.0010","r":false,"s":"ETH_USDC","t":2888471,"z":"0.0010"}}"#;
    let Event::Order(fill) = event(live_fill) else {
        panic!()
    };
    assert_eq!(fill.kind, OrderEventKind::Fill);
    assert_eq!(fill.order_type, OrderType::Market);
    assert_eq!(fill.status, OrderStatus::Filled);
    assert_eq!(fill.time_in_force, Some(TimeInForce::Gtc));
    assert_eq!(fill.origin, Some(OrderOrigin::User));
    assert_eq!(fill.trade_id, Some(2_888_471));
    assert_eq!(fill.average_price(), Some(p("4299.16")));
    assert_eq!(
        fill.self_trade_prevention,
        Some(SelfTradePrevention::RejectTaker)
    );

    let docs_trigger = r#"{"stream":"account.orderUpdate","data":{"e":"triggerPlaced","E":1694687692980000,"s":"SOL_USDC_PERP","c":123,"S":"Ask","o":"LIMIT","f":"GTC","q":"0","p":"18.50","P":"19.00","B":"MarkPrice","Y":"80%","X":"TriggerPending","i":"1111343026172067","I":"1111343026156135","t":null,"z":"0","Z":"0","O":"USER","r":true,"y":false,"H":42}}"#;
    let Event::Order(trigger) = event(docs_trigger) else {
        panic!()
    };
    assert_eq!(trigger.kind, OrderEventKind::TriggerPlaced);
    assert_eq!(trigger.client_id, Some(ClientOrderId(123)));
    assert_eq!(trigger.trigger_by, Some(TriggerBy::MarkPrice));
    assert_eq!(trigger.trigger_quantity, Some("80%".parse().unwrap()));
    assert_eq!(
        trigger.related_order_id.as_ref().unwrap().as_str(),
        "1111343026156135"
    );
    assert_eq!(trigger.strategy_id.as_ref().unwrap().as_str(), "42");
    assert_eq!(trigger.trade_id, None);
    assert_eq!(trigger.average_price(), None);

    let expired = r#"{"stream":"account.orderUpdate","data":{"e":"orderExpired","E":1,"s":"SOL_USDC","S":"Bid","o":"LIMIT","X":"Expired","R":"POST_ONLY_TAKER","i":"1","z":"0","Z":"0"}}"#;
    let Event::Order(expired) = event(expired) else {
        panic!()
    };
    assert_eq!(expired.expiry_reason, Some(ExpiryReason::PostOnlyTaker));
    assert_eq!(expired.quantity, None);
}

#[test]
fn position_snapshots_and_updates() {
    let live = r#"{"stream":"account.positionUpdate","data":{"B":"4236.36","E":"1754943862040486","M":"4235.88650933","P":"-0.000473","Q":"0.0010","T":"1754943862040487","b":"4238.479","e":"positionOpened","f":"0.02","i":5411399049,"l":"0","m":"0.0125","n":"4.23588650933","p":"0","q":"0.0010","s":"ETH_USDC_PERP"}}"#;
    let Event::Position(opened) = event(live) else {
        panic!()
    };
    assert_eq!(opened.kind, Some(PositionEventKind::Opened));
    assert_eq!(opened.position_id.unwrap().as_str(), "5411399049");
    assert_eq!(opened.entry_price, Some(p("4236.36")));

    let snapshot = r#"{"stream":"account.positionUpdate","data":{"B":18.7,"E":1694687692980000,"M":18.71,"P":"0.01","Q":-10.5,"T":1694687692980000,"b":18.69,"f":0.02,"i":"1111343026172067","m":0.01,"n":-196.4,"p":"0","q":-10.5,"s":"SOL_USDC_PERP"}}"#;
    let Event::Position(snapshot) = event(snapshot) else {
        panic!()
    };
    assert_eq!(snapshot.kind, None);
    assert_eq!(snapshot.net_quantity, q("-10.5"));
    assert_eq!(snapshot.mark_price, Some(p("18.71")));
}

#[test]
fn unknown_events_broken_events_errors_and_garbage_are_all_delivered() {
    let new_event = r#"{"stream":"account.orderUpdate","data":{"e":"orderTeleported","E":1,"s":"SOL_USDC","S":"Bid","o":"LIMIT","X":"New","i":"1"}}"#;
    assert!(
        matches!(event(new_event), Event::Order(o) if o.kind == OrderEventKind::Unknown("orderTeleported".into()))
    );

    let new_stream =
        r#"{"stream":"fundingRate.SOL_USDC_PERP","data":{"e":"fundingRate","r":"0.01"}}"#;
    let Event::Unrecognized(raw) = event(new_stream) else {
        panic!()
    };
    assert_eq!(
        (raw.event_type.as_deref(), raw.reason.as_deref()),
        (Some("fundingRate"), None)
    );
    assert_eq!(raw.data["r"], "0.01");

    let broken = r#"{"stream":"trade.SOL_USDC","data":{"e":"trade","E":1,"s":"SOL_USDC","p":"abc","q":"1","t":1}}"#;
    let Event::Unrecognized(raw) = event(broken) else {
        panic!()
    };
    assert!(raw.reason.unwrap().contains("abc"));

    assert_eq!(
        decode(r#"{"id":null,"error":{"code":4006,"message":"Invalid stream"}}"#),
        Message::Error(ServerError {
            code: 4006,
            message: "Invalid stream".into()
        })
    );
    assert!(matches!(decode("not json"), Message::Malformed(_)));
    assert!(matches!(
        decode(r#"{"stream":"depth.X","data":{"U":"#),
        Message::Malformed(_)
    ));
    assert!(matches!(
        decode(r#"{"result":null,"id":1}"#),
        Message::Other(_)
    ));
}

proptest! {
    /// No input makes the decoder panic, and data on a stream is always delivered.
    #[test]
    fn any_text_decodes_without_panicking(text in ".{0,200}") {
        let _ = decode(&text);
    }

    #[test]
    fn any_data_on_a_known_stream_is_delivered(
        stream in prop::sample::select(vec!["trade.X", "depth.X", "account.orderUpdate", "bookTicker.X", "kline.1m.X"]),
        key in "[a-zA-Z]{1,2}",
        value in prop_oneof![Just("1".to_owned()), Just("\"x\"".to_owned()), Just("null".to_owned()), Just("[]".to_owned()), Just("-1e400".to_owned())],
    ) {
        let text = format!(r#"{{"stream":"{stream}","data":{{"{key}":{value}}}}}"#);
        let delivered = matches!(decode(&text), Message::Data { .. } | Message::Other(_) | Message::Malformed(_));
        prop_assert!(delivered);
    }
}

#[test]
fn data_before_the_stream_name_decodes_the_same() {
    let stream_first =
        r#"{"stream":"openInterest.X","data":{"e":"openInterest","E":1,"s":"X","o":"5"}}"#;
    let data_first =
        r#"{"data":{"e":"openInterest","E":1,"s":"X","o":"5"},"stream":"openInterest.X"}"#;
    assert_eq!(decode(stream_first), decode(data_first));
    assert!(matches!(
        decode(data_first),
        Message::Data {
            event: Event::OpenInterest(_),
            ..
        }
    ));
}
