//! The fake's live market streams beyond quotes: real-time 5-second bars, tick-by-tick
//! trades and bid/ask, and market depth, all driven by the instruments' quotes, with the
//! gateway's subscription limits (market-data lines, three depth books).

use std::collections::HashMap;

use prost::Message;
use rust_decimal::Decimal;

use super::broker::{error_frame, f64_of, text};
use super::market::{Instrument, Quote};
use super::proto;
use super::wire::{frame, reply, request};
use super::{SessionState, State, Subscriptions};

/// Depth books a client may hold at once (IBKR's default).
pub(crate) const MAX_DEPTH_BOOKS: usize = 3;
/// Levels the fake shows a side, however many are asked for.
const MAX_DEPTH_ROWS: i32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TickKind {
    /// `Last` or `AllLast`: trades.
    Last(i32),
    /// `BidAsk`.
    BidAsk,
}

#[derive(Debug, Clone)]
struct BarWindow {
    con_id: i32,
    open: Option<Decimal>,
    high: Decimal,
    low: Decimal,
    close: Decimal,
    volume: Decimal,
    count: i32,
}

impl BarWindow {
    fn flat(con_id: i32, price: Decimal) -> Self {
        Self {
            con_id,
            open: None,
            high: price,
            low: price,
            close: price,
            volume: Decimal::ZERO,
            count: 0,
        }
    }

    fn trade(&mut self, price: Decimal, size: Decimal) {
        if self.open.is_none() {
            self.open = Some(price);
            self.high = price;
            self.low = price;
        }
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        self.volume += size;
        self.count += 1;
    }
}

/// One connection's live streams.
#[derive(Debug, Default)]
pub(crate) struct LiveStreams {
    bars: HashMap<i32, BarWindow>,
    ticks: HashMap<i32, (i32, TickKind)>,
    depth: HashMap<i32, (i32, i32)>,
}

/// Market-data lines a connection uses: quote, tick-by-tick and depth streams.
fn lines_in_use(subscriptions: &Subscriptions) -> usize {
    subscriptions.quotes.len() + subscriptions.live.ticks.len() + subscriptions.live.depth.len()
}

/// The refusal when a new stream would pass the connection's market-data lines, if it would.
pub(crate) fn over_lines(
    state: &State,
    session_id: u64,
    req_id: i32,
    code: i32,
) -> Option<Vec<u8>> {
    let session = state.sessions.get(&session_id)?;
    (lines_in_use(&session.subscriptions) >= state.market_data_lines).then(|| {
        let message = if code == 10190 {
            "Max number of tick-by-tick requests has been reached."
        } else {
            "Max number of tickers has been reached"
        };
        error_frame(&state.broker.clock, req_id, code, message)
    })
}

/// Serves a live-stream request or its cancel; `None` for any other request.
pub(crate) fn handle(
    state: &mut State,
    session_id: u64,
    id: i32,
    payload: &[u8],
    secs: i64,
) -> Option<Vec<Vec<u8>>> {
    let frames = match id {
        request::REAL_TIME_BARS => {
            let request = proto::RealTimeBarsRequest::decode(payload).unwrap_or_default();
            let req = request.req_id.unwrap_or(0);
            let instrument = match resolve(state, req, request.contract.as_ref()) {
                Ok(instrument) => instrument,
                Err(refusal) => return Some(vec![refusal]),
            };
            if let Some(session) = state.sessions.get_mut(&session_id) {
                let window = BarWindow::flat(instrument.con_id, instrument.quote.last);
                session.subscriptions.live.bars.insert(req, window);
            }
            Vec::new()
        }
        request::TICK_BY_TICK => {
            let request = proto::TickByTickRequest::decode(payload).unwrap_or_default();
            let req = request.req_id.unwrap_or(0);
            let kind = match request.tick_type.as_deref() {
                Some("Last") => TickKind::Last(1),
                Some("AllLast") => TickKind::Last(2),
                Some("BidAsk") => TickKind::BidAsk,
                other => {
                    let message = format!("Unsupported tick-by-tick type {other:?} in the fake");
                    return Some(vec![error_frame(&state.broker.clock, req, 321, &message)]);
                }
            };
            let instrument = match resolve(state, req, request.contract.as_ref()) {
                Ok(instrument) => instrument,
                Err(refusal) => return Some(vec![refusal]),
            };
            if let Some(refusal) = over_lines(state, session_id, req, 10190) {
                return Some(vec![refusal]);
            }
            if let Some(session) = state.sessions.get_mut(&session_id) {
                session
                    .subscriptions
                    .live
                    .ticks
                    .insert(req, (instrument.con_id, kind));
            }
            vec![tick_frame(req, kind, &instrument.quote, secs)]
        }
        request::MARKET_DEPTH => {
            let request = proto::MarketDepthRequest::decode(payload).unwrap_or_default();
            let req = request.req_id.unwrap_or(0);
            let instrument = match resolve(state, req, request.contract.as_ref()) {
                Ok(instrument) => instrument,
                Err(refusal) => return Some(vec![refusal]),
            };
            let books = state
                .sessions
                .get(&session_id)
                .map_or(0, |s| s.subscriptions.live.depth.len());
            if books >= MAX_DEPTH_BOOKS {
                let message = format!(
                    "Max number ({MAX_DEPTH_BOOKS}) of market depth requests has been reached"
                );
                return Some(vec![error_frame(&state.broker.clock, req, 309, &message)]);
            }
            if let Some(refusal) = over_lines(state, session_id, req, 101) {
                return Some(vec![refusal]);
            }
            let rows = request.num_rows.unwrap_or(1).clamp(1, MAX_DEPTH_ROWS);
            if let Some(session) = state.sessions.get_mut(&session_id) {
                session
                    .subscriptions
                    .live
                    .depth
                    .insert(req, (instrument.con_id, rows));
            }
            depth_frames(req, rows, &instrument, 0)
        }
        request::CANCEL_REAL_TIME_BARS
        | request::CANCEL_TICK_BY_TICK
        | request::CANCEL_MARKET_DEPTH => {
            let req = proto::RequestId::decode(payload)
                .ok()
                .and_then(|c| c.req_id)
                .unwrap_or(0);
            if let Some(session) = state.sessions.get_mut(&session_id) {
                let live = &mut session.subscriptions.live;
                match id {
                    request::CANCEL_REAL_TIME_BARS => drop(live.bars.remove(&req)),
                    request::CANCEL_TICK_BY_TICK => drop(live.ticks.remove(&req)),
                    _ => drop(live.depth.remove(&req)),
                }
            }
            Vec::new()
        }
        _ => return None,
    };
    Some(frames)
}

/// The one instrument a request names, or the "no security definition" refusal.
fn resolve(
    state: &State,
    req: i32,
    contract: Option<&proto::Contract>,
) -> Result<Instrument, Vec<u8>> {
    let wanted = contract.cloned().unwrap_or_default();
    match state.broker.find(&wanted).as_slice() {
        [instrument] => Ok((*instrument).clone()),
        _ => Err(error_frame(
            &state.broker.clock,
            req,
            200,
            "No security definition has been found for the request",
        )),
    }
}

fn tick_frame(req: i32, kind: TickKind, quote: &Quote, secs: i64) -> Vec<u8> {
    let data = match kind {
        TickKind::Last(tick_type) => proto::TickByTickData {
            req_id: Some(req),
            tick_type: Some(tick_type),
            last: Some(proto::TickLast {
                time: Some(secs),
                tick_attrib_last: Some(proto::TickAttribLast::default()),
                price: f64_of(quote.last),
                size: text(quote.last_size),
                exchange: Some("NASDAQ".into()),
                special_conditions: Some(String::new()),
            }),
            bid_ask: None,
        },
        TickKind::BidAsk => proto::TickByTickData {
            req_id: Some(req),
            tick_type: Some(3),
            last: None,
            bid_ask: Some(proto::TickBidAsk {
                time: Some(secs),
                tick_attrib_bid_ask: Some(proto::TickAttribBidAsk::default()),
                price_bid: f64_of(quote.bid),
                price_ask: f64_of(quote.ask),
                size_bid: text(quote.bid_size),
                size_ask: text(quote.ask_size),
            }),
        },
    };
    frame(reply::TICK_BY_TICK, &proto::encode(&data))
}

/// `rows` levels a side around the quote (one tick apart, growing sizes), as inserts
/// (`operation` 0) or updates (1).
fn depth_frames(req: i32, rows: i32, instrument: &Instrument, operation: i32) -> Vec<Vec<u8>> {
    let quote = &instrument.quote;
    let mut frames = Vec::new();
    for position in 0..rows {
        let step = instrument.min_tick * Decimal::from(position);
        let depth = Decimal::from(position + 1);
        for (side, price, size) in [
            (1, quote.bid - step, quote.bid_size * depth),
            (0, quote.ask + step, quote.ask_size * depth),
        ] {
            frames.push(frame(
                reply::MARKET_DEPTH,
                &proto::encode(&proto::MarketDepth {
                    req_id: Some(req),
                    market_depth_data: Some(proto::MarketDepthData {
                        position: Some(position),
                        operation: Some(operation),
                        side: Some(side),
                        price: f64_of(price),
                        size: text(size.max(Decimal::ONE)),
                    }),
                }),
            ));
        }
    }
    frames
}

/// What a quote change sends a connection's live streams (and what it adds to its bars).
pub(crate) fn on_quote(
    session: &mut SessionState,
    instrument: &Instrument,
    before: &Quote,
    secs: i64,
) -> Vec<Vec<u8>> {
    let quote = &instrument.quote;
    let traded = quote.last != before.last || quote.volume != before.volume;
    let touched = quote.bid != before.bid
        || quote.ask != before.ask
        || quote.bid_size != before.bid_size
        || quote.ask_size != before.ask_size;
    let live = &mut session.subscriptions.live;
    let mut frames = Vec::new();
    for (req, (con_id, kind)) in &live.ticks {
        let wanted = match kind {
            TickKind::Last(_) => traded,
            TickKind::BidAsk => touched,
        };
        if *con_id == instrument.con_id && wanted {
            frames.push(tick_frame(*req, *kind, quote, secs));
        }
    }
    if touched {
        for (req, (con_id, rows)) in &live.depth {
            if *con_id == instrument.con_id {
                frames.extend(depth_frames(*req, *rows, instrument, 1));
            }
        }
    }
    if traded {
        for window in live.bars.values_mut() {
            if window.con_id == instrument.con_id {
                window.trade(quote.last, quote.last_size);
            }
        }
    }
    frames
}

/// Ends the current bar of every real-time bar stream of `session` at `secs`.
pub(crate) fn close_bars(session: &mut SessionState, secs: i64) -> Vec<Vec<u8>> {
    let start = secs - secs.rem_euclid(5);
    let mut frames = Vec::new();
    for (req, window) in &mut session.subscriptions.live.bars {
        let open = window.open.unwrap_or(window.close);
        frames.push(frame(
            reply::REAL_TIME_BAR,
            &proto::encode(&proto::RealTimeBarTick {
                req_id: Some(*req),
                time: Some(start),
                open: f64_of(open),
                high: f64_of(window.high),
                low: f64_of(window.low),
                close: f64_of(window.close),
                volume: text(window.volume),
                wap: text(window.close),
                count: Some(window.count),
            }),
        ));
        *window = BarWindow::flat(window.con_id, window.close);
    }
    frames
}
