//! Answers to the fake gateway's read requests: contracts, quotes, bars, account summary,
//! positions and PnL.

use rust_decimal::Decimal;

use super::broker::{Broker, civil_from_days, error_frame, f64_of, text};
use super::market::{DataPermission, Instrument, bars};
use super::proto;
use super::wire::{frame, reply};

/// `ContractData` for every match, then `ContractDataEnd`; code 200 when nothing matches.
pub(crate) fn contract_details(
    broker: &Broker,
    req_id: i32,
    contract: &proto::Contract,
) -> Vec<Vec<u8>> {
    let matches = broker.find(contract);
    if matches.is_empty() {
        return vec![error_frame(
            &broker.clock,
            req_id,
            200,
            "No security definition has been found for the request",
        )];
    }
    let mut out: Vec<Vec<u8>> = matches
        .iter()
        .map(|instrument| {
            frame(
                reply::CONTRACT_DATA,
                &proto::encode(&proto::ContractData {
                    req_id: Some(req_id),
                    contract: Some(instrument.contract()),
                    contract_details: Some(instrument.details()),
                }),
            )
        })
        .collect();
    out.push(frame(
        reply::CONTRACT_DATA_END,
        &proto::encode(&proto::RequestId {
            req_id: Some(req_id),
        }),
    ));
    out
}

/// How a market data request is answered.
pub(crate) enum QuoteAnswer {
    /// Refused with these frames (the request ends).
    Refused(Vec<Vec<u8>>),
    /// Ticks; `delayed` when delayed data was served.
    Ticks {
        frames: Vec<Vec<u8>>,
        con_id: i32,
        delayed: bool,
    },
}

/// Tick ids: live, and their delayed twins.
const BID: (i32, i32) = (1, 66);
const ASK: (i32, i32) = (2, 67);
const LAST: (i32, i32) = (4, 68);
const VOLUME: (i32, i32) = (8, 74);
const CLOSE: (i32, i32) = (9, 75);

/// The ticks describing an instrument's quote.
pub(crate) fn quote_ticks(instrument: &Instrument, req_id: i32, delayed: bool) -> Vec<Vec<u8>> {
    let pick = |ids: (i32, i32)| if delayed { ids.1 } else { ids.0 };
    let quote = instrument.quote;
    let price = |tick: (i32, i32), value: Decimal, size: Option<Decimal>| {
        frame(
            reply::TICK_PRICE,
            &proto::encode(&proto::TickPrice {
                req_id: Some(req_id),
                tick_type: Some(pick(tick)),
                price: f64_of(value),
                size: size.and_then(text),
                attr_mask: Some(1),
            }),
        )
    };
    let mut frames = Vec::new();
    if instrument.tradable {
        frames.push(price(BID, quote.bid, Some(quote.bid_size)));
        frames.push(price(ASK, quote.ask, Some(quote.ask_size)));
    }
    frames.push(price(LAST, quote.last, Some(quote.last_size)));
    frames.push(frame(
        reply::TICK_SIZE,
        &proto::encode(&proto::TickSize {
            req_id: Some(req_id),
            tick_type: Some(pick(VOLUME)),
            size: text(quote.volume),
        }),
    ));
    frames.push(price(CLOSE, quote.close, None));
    frames
}

/// Answers `MarketData` given the session's market data type (1 live, 3 delayed, ...).
pub(crate) fn market_data(
    broker: &Broker,
    request: &proto::MarketDataRequest,
    market_data_type: i32,
) -> QuoteAnswer {
    let req_id = request.req_id.unwrap_or(0);
    let contract = request.contract.clone().unwrap_or_default();
    let matches = broker.find(&contract);
    let [instrument] = matches.as_slice() else {
        return QuoteAnswer::Refused(vec![error_frame(
            &broker.clock,
            req_id,
            200,
            "No security definition has been found for the request",
        )]);
    };
    let wants_delayed = matches!(market_data_type, 3 | 4);
    let delayed = match (instrument.permission, wants_delayed) {
        (DataPermission::Live, _) => false,
        (DataPermission::DelayedOnly, true) => true,
        (DataPermission::DelayedOnly, false) => {
            return QuoteAnswer::Refused(vec![error_frame(
                &broker.clock,
                req_id,
                354,
                "Requested market data is not subscribed. Delayed market data is available.",
            )]);
        }
        (DataPermission::None, _) => {
            return QuoteAnswer::Refused(vec![error_frame(
                &broker.clock,
                req_id,
                354,
                "Requested market data is not subscribed.",
            )]);
        }
    };
    let mut frames = vec![frame(
        reply::MARKET_DATA_TYPE,
        &proto::encode(&proto::MarketDataType {
            req_id: Some(req_id),
            market_data_type: Some(if delayed { 3 } else { 1 }),
        }),
    )];
    if delayed {
        frames.push(error_frame(
            &broker.clock,
            req_id,
            10167,
            "Requested market data is not subscribed. Displaying delayed market data.",
        ));
    }
    frames.push(frame(
        reply::TICK_REQ_PARAMS,
        &proto::encode(&proto::TickReqParams {
            req_id: Some(req_id),
            min_tick: text(instrument.min_tick),
            bbo_exchange: Some("9c0001".into()),
            snapshot_permissions: Some(3),
        }),
    ));
    frames.extend(quote_ticks(instrument, req_id, delayed));
    if request.snapshot == Some(true) {
        frames.push(frame(
            reply::TICK_SNAPSHOT_END,
            &proto::encode(&proto::RequestId {
                req_id: Some(req_id),
            }),
        ));
    }
    QuoteAnswer::Ticks {
        frames,
        con_id: instrument.con_id,
        delayed,
    }
}

/// Seconds of a bar size setting (`"5 mins"`, `"1 day"`, ...).
fn bar_seconds(setting: &str) -> Option<i64> {
    let mut parts = setting.split_whitespace();
    let count: i64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?.trim_end_matches('s');
    let unit_seconds = match unit {
        "sec" => 1,
        "min" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        "week" => 604_800,
        "month" => 2_592_000,
        _ => return None,
    };
    Some(count * unit_seconds)
}

/// Seconds of a duration (`"2 D"`, `"1 W"`, `"3600 S"`, `"1 M"`, `"1 Y"`).
fn duration_seconds(duration: &str) -> Option<i64> {
    let mut parts = duration.split_whitespace();
    let count: i64 = parts.next()?.parse().ok()?;
    let unit = match parts.next()? {
        "S" => 1,
        "D" => 86_400,
        "W" => 604_800,
        "M" => 2_592_000,
        "Y" => 31_536_000,
        _ => return None,
    };
    Some(count * unit)
}

fn date_time_text(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses `"YYYYMMDD HH:MM:SS [zone]"` or `"YYYYMMDD-HH:MM:SS"` (taken as UTC).
fn parse_end(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (y, m, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hh, mm, ss) = (digits(9..11)?, digits(12..14)?, digits(15..17)?);
    // Days from civil (inverse of civil_from_days).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3_600 + mm * 60 + ss)
}

/// `HistoricalData` then `HistoricalDataEnd`, or the HMDS error (code 162).
pub(crate) fn historical(
    broker: &Broker,
    request: &proto::HistoricalDataRequest,
    now_secs: i64,
) -> Vec<Vec<u8>> {
    let req_id = request.req_id.unwrap_or(0);
    let contract = request.contract.clone().unwrap_or_default();
    let matches = broker.find(&contract);
    let [instrument] = matches.as_slice() else {
        return vec![error_frame(
            &broker.clock,
            req_id,
            200,
            "No security definition has been found for the request",
        )];
    };
    let hmds = |message: &str| {
        vec![error_frame(
            &broker.clock,
            req_id,
            162,
            &format!("Historical Market Data Service error message:{message}"),
        )]
    };
    let Some(step) = request.bar_size_setting.as_deref().and_then(bar_seconds) else {
        return hmds("invalid bar size");
    };
    let Some(span) = request.duration.as_deref().and_then(duration_seconds) else {
        return hmds("invalid duration");
    };
    let end = match request
        .end_date_time
        .as_deref()
        .filter(|e| !e.trim().is_empty())
    {
        None => now_secs,
        Some(text) => match parse_end(text) {
            Some(end) => end,
            None => return hmds("invalid end date"),
        },
    };
    if matches!(instrument.permission, DataPermission::None) {
        return vec![error_frame(
            &broker.clock,
            req_id,
            354,
            "Requested market data is not subscribed.",
        )];
    }
    let start = end - span;
    let generated = bars(instrument, start, end, step, 10_000);
    if generated.is_empty()
        || (instrument.sec_type == "IND" && request.what_to_show.as_deref() == Some("BID"))
    {
        return hmds("HMDS query returned no data");
    }
    let daily = step >= 86_400;
    let historical_bars = generated
        .iter()
        .map(|bar| proto::HistoricalDataBar {
            date: Some(if daily {
                let (y, m, d) = civil_from_days(bar.time.div_euclid(86_400));
                format!("{y:04}{m:02}{d:02}")
            } else {
                bar.time.to_string()
            }),
            open: f64_of(bar.open),
            high: f64_of(bar.high),
            low: f64_of(bar.low),
            close: f64_of(bar.close),
            volume: text(bar.volume),
            wap: text(((bar.high + bar.low + bar.close) / Decimal::from(3)).round_dp(4)),
            bar_count: Some(bar.count),
        })
        .collect();
    vec![
        frame(
            reply::HISTORICAL_DATA,
            &proto::encode(&proto::HistoricalData {
                req_id: Some(req_id),
                historical_data_bars: historical_bars,
            }),
        ),
        frame(
            reply::HISTORICAL_DATA_END,
            &proto::encode(&proto::HistoricalDataEnd {
                req_id: Some(req_id),
                start_date_str: Some(date_time_text(start)),
                end_date_str: Some(date_time_text(end)),
            }),
        ),
    ]
}

/// `AccountSummary` per requested tag, then `AccountSummaryEnd`.
pub(crate) fn account_summary(broker: &Broker, req_id: i32, tags: &str) -> Vec<Vec<u8>> {
    let wanted: Vec<&str> = tags.split(',').map(str::trim).collect();
    let mut out: Vec<Vec<u8>> = broker
        .account
        .summary(&broker.instruments)
        .into_iter()
        .filter(|(tag, _, _)| wanted.contains(tag))
        .map(|(tag, value, currency)| {
            frame(
                reply::ACCOUNT_SUMMARY,
                &proto::encode(&proto::AccountSummary {
                    req_id: Some(req_id),
                    account: Some(broker.account.id.clone()),
                    tag: Some(tag.into()),
                    value: Some(value),
                    currency: Some(currency),
                }),
            )
        })
        .collect();
    out.push(frame(
        reply::ACCOUNT_SUMMARY_END,
        &proto::encode(&proto::RequestId {
            req_id: Some(req_id),
        }),
    ));
    out
}

/// `Position` per open position, then `PositionEnd`.
pub(crate) fn positions(broker: &Broker) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = holdings(broker)
        .into_keys()
        .filter_map(|con_id| position(broker, con_id))
        .collect();
    out.push(frame(reply::POSITION_END, &[]));
    out
}

/// The quantity held per contract (positions that are not zero).
pub(crate) fn holdings(broker: &Broker) -> std::collections::BTreeMap<i32, Decimal> {
    broker
        .account
        .holdings
        .iter()
        .filter(|(_, holding)| !holding.quantity.is_zero())
        .map(|(con_id, holding)| (*con_id, holding.quantity))
        .collect()
}

/// One `Position` frame (quantity zero for a position that was closed).
pub(crate) fn position(broker: &Broker, con_id: i32) -> Option<Vec<u8>> {
    let instrument = broker.instrument(con_id)?;
    let (quantity, avg_cost) = match broker.account.holdings.get(&con_id) {
        Some(holding) if !holding.quantity.is_zero() => (
            holding.quantity,
            (holding.cost / holding.quantity).round_dp(8),
        ),
        _ => (Decimal::ZERO, Decimal::ZERO),
    };
    Some(frame(
        reply::POSITION,
        &proto::encode(&proto::Position {
            account: Some(broker.account.id.clone()),
            contract: Some(instrument.contract()),
            position: text(quantity),
            avg_cost: f64_of(avg_cost),
        }),
    ))
}

/// `PnL` for the account.
pub(crate) fn pnl(broker: &Broker, req_id: i32) -> Vec<u8> {
    let (daily, unrealized, realized) = broker.account.pnl(&broker.instruments);
    frame(
        reply::PNL,
        &proto::encode(&proto::PnL {
            req_id: Some(req_id),
            daily_pnl: f64_of(daily),
            unrealized_pnl: f64_of(unrealized),
            realized_pnl: f64_of(realized),
        }),
    )
}

/// `PnLSingle` for one contract.
pub(crate) fn pnl_single(broker: &Broker, req_id: i32, con_id: i32) -> Vec<u8> {
    let figures = broker
        .instrument(con_id)
        .map(|instrument| broker.account.figures(instrument))
        .unwrap_or_default();
    frame(
        reply::PNL_SINGLE,
        &proto::encode(&proto::PnLSingle {
            req_id: Some(req_id),
            position: text(figures.quantity),
            daily_pnl: f64_of(figures.daily),
            unrealized_pnl: f64_of(figures.unrealized),
            realized_pnl: f64_of(figures.realized),
            value: f64_of(figures.value),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_sizes_durations_and_dates() {
        assert_eq!(bar_seconds("5 mins"), Some(300));
        assert_eq!(bar_seconds("1 day"), Some(86_400));
        assert_eq!(bar_seconds("1 hour"), Some(3_600));
        assert_eq!(bar_seconds("banana"), None);
        assert_eq!(duration_seconds("2 D"), Some(172_800));
        assert_eq!(duration_seconds("1 W"), Some(604_800));
        assert_eq!(duration_seconds("2 X"), None);
        let secs = parse_end("20240120 12:00:00 UTC").unwrap();
        assert_eq!(date_time_text(secs), "20240120 12:00:00 UTC");
        assert_eq!(parse_end("20240120-12:00:00"), Some(secs));
    }
}
