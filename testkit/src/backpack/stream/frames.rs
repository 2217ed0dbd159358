//! The exchange's WebSocket data in the fake's own words, written from the reference
//! (`backpack-ws.md` §4–§5), not from the SDK's decoder.
//!
//! Two forms: [`WireForm::Documented`] writes what the documentation shows (times and
//! counts as JSON numbers, position amounts as numbers, kline times in seconds), and is what
//! the official client's types decode; [`WireForm::Live`] writes the drift captured from
//! the live exchange (times as quoted strings, kline times as ISO text, position amounts as
//! strings, `t: null` on order events without a fill). Prices and quantities are strings in
//! both. One departure from the documentation in both forms: the book ticker's update id
//! `u` is a number (the documentation shows a string, which the official client cannot
//! read; live frames carry a number).

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::backpack::views;
use crate::backpack::wire::{Dec, FuturePosition};
use crate::engine::{
    EngineEvent, Exchange, Kind, OrderChange, OrderRecord, Size, Status, TriggerSize,
};

/// Which form of the frames the fake sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WireForm {
    /// As documented (the default; what the official client decodes).
    #[default]
    Documented,
    /// As captured from the live exchange (quoted numbers, ISO kline times).
    Live,
}

/// A JSON object written field by field, so amounts can be written exactly as numbers or
/// as strings without passing through a float.
pub(super) struct Obj(String);

impl Obj {
    pub(super) fn new() -> Self {
        Obj(String::from("{"))
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
    }

    /// A string value.
    pub(super) fn str(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        // Writing to a String cannot fail.
        let _ = write!(self.0, "{}", serde_json::Value::from(value));
        self
    }

    /// JSON text written as is (a number, `null`, an array).
    pub(super) fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key);
        self.0.push_str(json);
        self
    }

    pub(super) fn int(self, key: &str, value: i64) -> Self {
        self.raw(key, &value.to_string())
    }

    pub(super) fn bool(self, key: &str, value: bool) -> Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    pub(super) fn opt_str(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.str(key, value),
            None => self,
        }
    }

    /// A time or count: a number in the documented form, a quoted string in the live one.
    pub(super) fn count(self, key: &str, value: i64, form: WireForm) -> Self {
        match form {
            WireForm::Documented => self.int(key, value),
            WireForm::Live => self.str(key, &value.to_string()),
        }
    }

    /// An amount the documentation shows as a JSON number (positions): exact decimal text.
    fn amount(self, key: &str, value: &Dec, form: WireForm) -> Self {
        match form {
            WireForm::Documented => self.raw(key, &value.0.to_string()),
            WireForm::Live => self.str(key, &value.0.to_string()),
        }
    }

    pub(super) fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn levels(levels: &[(String, String)]) -> String {
    let items: Vec<String> = levels
        .iter()
        .map(|(price, quantity)| {
            format!(
                "[{},{}]",
                serde_json::Value::from(price.as_str()),
                serde_json::Value::from(quantity.as_str())
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// `depth.<symbol>`: changed levels with their absolute quantities.
pub(super) fn depth(
    symbol: &str,
    asks: &[(String, String)],
    bids: &[(String, String)],
    (first, last): (u64, u64),
    now_us: i64,
    form: WireForm,
) -> String {
    Obj::new()
        .str("e", "depth")
        .count("E", now_us, form)
        .str("s", symbol)
        .raw("a", &levels(asks))
        .raw("b", &levels(bids))
        .int("U", i64::try_from(first).unwrap_or(i64::MAX))
        .int("u", i64::try_from(last).unwrap_or(i64::MAX))
        .count("T", now_us, form)
        .finish()
}

/// `bookTicker.<symbol>`.
pub(super) fn book_ticker(
    symbol: &str,
    ask: (&str, &str),
    bid: (&str, &str),
    update_id: u64,
    now_us: i64,
    form: WireForm,
) -> String {
    Obj::new()
        .str("e", "bookTicker")
        .count("E", now_us, form)
        .str("s", symbol)
        .str("a", ask.0)
        .str("A", ask.1)
        .str("b", bid.0)
        .str("B", bid.1)
        .int("u", i64::try_from(update_id).unwrap_or(i64::MAX))
        .count("T", now_us, form)
        .finish()
}

/// `trade.<symbol>` from an engine trade.
pub(super) fn trade(
    ex: &Exchange,
    event: &EngineEvent,
    now_us: i64,
    form: WireForm,
) -> Option<(String, String)> {
    let EngineEvent::Trade {
        market,
        id,
        price,
        steps,
        buyer_is_maker,
        buyer_order,
        seller_order,
        at_ms,
    } = event
    else {
        return None;
    };
    let state = ex.markets.get(usize::from(market.0))?;
    let symbol = state.config.symbol.clone();
    let engine_us = i64::try_from(*at_ms)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000);
    let frame = Obj::new()
        .str("e", "trade")
        .count("E", now_us, form)
        .str("s", &symbol)
        .str("p", &state.price(*price).to_string())
        .str("q", &Dec::amount(state.quantity(*steps)).0.to_string())
        .str("b", &buyer_order.to_string())
        .str("a", &seller_order.to_string())
        .int("t", i64::try_from(*id).unwrap_or(i64::MAX))
        .count("T", engine_us, form)
        .bool("m", *buyer_is_maker)
        .finish();
    Some((format!("trade.{symbol}"), frame))
}

/// What an order event adds to the order's state.
pub(super) struct FillInfo<'a> {
    pub(super) trade_id: u64,
    pub(super) price: i64,
    pub(super) steps: i64,
    pub(super) fee: Decimal,
    pub(super) fee_asset: &'a str,
    pub(super) is_maker: bool,
}

/// `account.orderUpdate`: the event name, the symbol and the frame's data.
pub(super) fn order_update(
    ex: &Exchange,
    event: &EngineEvent,
    now_us: i64,
    form: WireForm,
) -> Option<(String, String)> {
    let (name, record, status, fill) = match event {
        EngineEvent::Order { change, record } => {
            let (name, status) = match change {
                OrderChange::Accepted => ("orderAccepted", "New"),
                OrderChange::TriggerPlaced => ("triggerPlaced", "TriggerPending"),
                OrderChange::Cancelled => ("orderCancelled", "Cancelled"),
                OrderChange::Expired => ("orderExpired", "Expired"),
                OrderChange::TriggerFailed => ("triggerFailed", "TriggerFailed"),
            };
            (name, record, status, None)
        }
        EngineEvent::Fill {
            record,
            trade_id,
            price,
            steps,
            fee,
            fee_asset,
            is_maker,
            complete,
        } => (
            "orderFill",
            record,
            if *complete {
                "Filled"
            } else {
                "PartiallyFilled"
            },
            Some(FillInfo {
                trade_id: *trade_id,
                price: *price,
                steps: *steps,
                fee: *fee,
                fee_asset: ex.asset_name(*fee_asset),
                is_maker: *is_maker,
            }),
        ),
        _ => return None,
    };
    let frame = order_frame(ex, record, name, status, fill.as_ref(), now_us, form);
    Some((ex.market_of(record).config.symbol.clone(), frame))
}

fn order_frame(
    ex: &Exchange,
    record: &OrderRecord,
    name: &str,
    status: &str,
    fill: Option<&FillInfo<'_>>,
    now_us: i64,
    form: WireForm,
) -> String {
    let market = ex.market_of(record);
    let view = views::order(ex, record);
    let engine_us = i64::try_from(ex.now_ms)
        .unwrap_or(i64::MAX)
        .saturating_mul(1_000);
    let text = |dec: &Option<Dec>| dec.as_ref().map(|d| d.0.to_string());
    let mut obj = Obj::new()
        .str("e", name)
        .count("E", now_us, form)
        .str("s", &market.config.symbol);
    if let Some(client_id) = record.order.client_id {
        obj = obj.int("c", i64::from(client_id));
    }
    obj = obj
        .str("S", views::side(record.order.side))
        .str(
            "o",
            match record.order.kind {
                Kind::Limit { .. } => "LIMIT",
                Kind::Market => "MARKET",
            },
        )
        .str("f", view.time_in_force);
    // The official types need `q`; a quote-sized order has none, so it says 0.
    let quantity = match record.order.size {
        Size::Base(steps) => market.quantity(steps).to_string(),
        Size::Quote(_) => "0".to_owned(),
    };
    obj = obj
        .str("q", &quantity)
        .opt_str("Q", text(&view.quote_quantity).as_deref())
        .opt_str("p", text(&view.price).as_deref())
        .opt_str("P", text(&view.trigger_price).as_deref())
        .opt_str("B", view.trigger_by)
        .opt_str("a", text(&view.take_profit_trigger_price).as_deref())
        .opt_str("b", text(&view.stop_loss_trigger_price).as_deref())
        .opt_str("d", view.take_profit_trigger_by)
        .opt_str("g", view.stop_loss_trigger_by);
    if let Some(trigger) = record.order.trigger {
        let size = match trigger.size {
            TriggerSize::Steps(steps) => market.quantity(steps).to_string(),
            TriggerSize::Percent(percent) => format!("{percent}%"),
        };
        obj = obj.str("Y", &size);
    }
    obj = obj.str("X", status);
    if let Status::Expired(expiry) = record.status {
        obj = obj.str("R", views::expiry_reason(expiry));
    }
    obj = obj.str("i", &record.id.to_string());
    match fill {
        Some(fill) => {
            obj = obj
                .int("t", i64::try_from(fill.trade_id).unwrap_or(i64::MAX))
                .str("l", &Dec::amount(market.quantity(fill.steps)).0.to_string())
                .str("L", &market.price(fill.price).to_string())
                .bool("m", fill.is_maker)
                .str("n", &Dec::amount(fill.fee).0.to_string())
                .str("N", fill.fee_asset);
        }
        None if form == WireForm::Live => obj = obj.raw("t", "null"),
        None => {}
    }
    obj = obj
        .str("z", &view.executed_quantity.0.to_string())
        .str("Z", &view.executed_quote_quantity.0.to_string())
        .str("V", view.self_trade_prevention)
        .count("T", engine_us, form)
        .str("O", "USER");
    if let Some(related) = record.related {
        // A number: the official types read it as one (the documentation shows a string).
        obj = obj.int("I", i64::try_from(related.0).unwrap_or(i64::MAX));
    }
    obj.bool("r", record.order.reduce_only)
        .bool("y", view.post_only.unwrap_or(false))
        .finish()
}

/// `account.positionUpdate`: `kind` is `None` for the snapshot sent on subscribe.
pub(super) fn position(
    symbol: &str,
    kind: Option<&str>,
    row: Option<&FuturePosition>,
    now_us: i64,
    form: WireForm,
) -> String {
    let mut obj = Obj::new();
    if let Some(kind) = kind {
        obj = obj.str("e", kind);
    }
    obj = obj.count("E", now_us, form).str("s", symbol);
    match row {
        Some(row) => obj
            .amount("b", &row.break_even_price, form)
            .amount("B", &row.entry_price, form)
            .amount("f", &row.imf, form)
            .amount("m", &row.mmf, form)
            .amount("M", &row.mark_price, form)
            .amount("q", &row.net_quantity, form)
            .amount("Q", &row.net_exposure_quantity, form)
            .amount("n", &row.net_exposure_notional, form)
            .raw(
                "i",
                &match form {
                    // A string as documented; a number as seen live.
                    WireForm::Documented => {
                        serde_json::Value::from(row.position_id.as_str()).to_string()
                    }
                    WireForm::Live => row.position_id.clone(),
                },
            )
            .str("p", &row.pnl_realized.0.to_string())
            .str("P", &row.pnl_unrealized.0.to_string())
            .str("l", "0"),
        None => obj
            .amount("q", &Dec(Decimal::ZERO), form)
            .amount("Q", &Dec(Decimal::ZERO), form)
            .amount("n", &Dec(Decimal::ZERO), form),
    }
    .count("T", now_us, form)
    .finish()
}

/// `ticker.<symbol>` from the REST view of the same statistics.
pub(super) fn ticker(
    ticker: &crate::backpack::wire::Ticker,
    now_us: i64,
    form: WireForm,
) -> String {
    Obj::new()
        .str("e", "ticker")
        .count("E", now_us, form)
        .str("s", &ticker.symbol)
        .str("o", &ticker.first_price.0.to_string())
        .str("c", &ticker.last_price.0.to_string())
        .str("h", &ticker.high.0.to_string())
        .str("l", &ticker.low.0.to_string())
        .str("v", &ticker.volume.0.to_string())
        .str("V", &ticker.quote_volume.0.to_string())
        .count("n", ticker.trades.parse().unwrap_or(0), form)
        .finish()
}

/// `markPrice.<symbol>`: the next funding time in milliseconds, as seen live.
pub(super) fn mark_price(
    mark: &crate::backpack::wire::MarkPrice,
    now_us: i64,
    form: WireForm,
) -> String {
    Obj::new()
        .str("e", "markPrice")
        .count("E", now_us, form)
        .str("s", &mark.symbol)
        .str("p", &mark.mark_price.0.to_string())
        .str("f", &mark.funding_rate.0.to_string())
        .str("i", &mark.index_price.0.to_string())
        .int(
            "n",
            i64::try_from(mark.next_funding_timestamp).unwrap_or(i64::MAX),
        )
        .count("T", now_us, form)
        .finish()
}

/// `openInterest.<symbol>`.
pub(super) fn open_interest(
    interest: &crate::backpack::wire::OpenInterest,
    now_us: i64,
    form: WireForm,
) -> String {
    let value = interest
        .open_interest
        .as_ref()
        .map_or_else(|| "0".to_owned(), |d| d.0.to_string());
    Obj::new()
        .str("e", "openInterest")
        .count("E", now_us, form)
        .str("s", &interest.symbol)
        .str("o", &value)
        .finish()
}

/// `kline.<interval>.<symbol>`: the open candle (an empty one repeats the last price as
/// open, high, low and close, or 0 before any trade).
pub(super) fn kline(
    symbol: &str,
    candle: &crate::backpack::wire::Kline,
    start_secs: i64,
    seconds: i64,
    now_us: i64,
    form: WireForm,
) -> String {
    let price = |value: &Option<Dec>| {
        value
            .as_ref()
            .map_or_else(|| "0".to_owned(), |d| d.0.to_string())
    };
    let close = price(&candle.close);
    let end_secs = start_secs.saturating_add(seconds);
    let obj = Obj::new()
        .str("e", "kline")
        .count("E", now_us, form)
        .str("s", symbol);
    let obj = match form {
        WireForm::Documented => obj.int("t", start_secs).int("T", end_secs),
        WireForm::Live => obj.str("t", &iso(start_secs)).str("T", &iso(end_secs)),
    };
    obj.str(
        "o",
        &candle
            .open
            .as_ref()
            .map_or_else(|| close.clone(), |d| d.0.to_string()),
    )
    .str("c", &close)
    .str(
        "h",
        &candle
            .high
            .as_ref()
            .map_or_else(|| close.clone(), |d| d.0.to_string()),
    )
    .str(
        "l",
        &candle
            .low
            .as_ref()
            .map_or_else(|| close.clone(), |d| d.0.to_string()),
    )
    .str("v", &candle.volume.0.to_string())
    .int("n", candle.trades.parse().unwrap_or(0))
    .bool("X", false)
    .finish()
}

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(String::new, |t| {
        t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string()
    })
}
