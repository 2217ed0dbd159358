//! The publisher: drains the engine's events and book changes and turns them into frames
//! for every connection, on a short tick and whenever a REST request changed something.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use super::frames::{self, WireForm};
use super::{Hub, Published};
use crate::backpack::router::Shared;
use crate::backpack::wire::Dec;
use crate::backpack::{account, market_data};
use crate::engine::{AccountId, EngineEvent, Exchange, MarketId, Side};

/// Depth streams and how often each sends (`None`: on every change).
const DEPTH_VARIANTS: [(&str, Option<Duration>); 4] = [
    ("", None),
    ("200ms.", Some(Duration::from_millis(200))),
    ("600ms.", Some(Duration::from_millis(600))),
    ("1000ms.", Some(Duration::from_millis(1000))),
];

/// One depth stream's changes not yet sent.
#[derive(Debug)]
struct DepthAccumulator {
    touched: BTreeSet<(bool, i64)>,
    last_sent: u64,
    last_emit: Instant,
    /// A fault asked the next message to skip an update id.
    skip: bool,
}

#[derive(Debug, Default, PartialEq)]
struct Top {
    bid: Option<(i64, i64)>,
    ask: Option<(i64, i64)>,
}

pub(super) struct Pump {
    pub(super) simulator: Arc<Shared>,
    pub(super) hub: Arc<Hub>,
    pub(super) form: WireForm,
    pub(super) tick: Duration,
    pub(super) periodic: Duration,
    depth: Vec<[DepthAccumulator; 4]>,
    tops: Vec<Top>,
    positions: HashMap<(AccountId, MarketId), i64>,
    last_periodic: Instant,
    started: bool,
}

impl Pump {
    pub(super) fn new(
        simulator: Arc<Shared>,
        hub: Arc<Hub>,
        form: WireForm,
        tick: Duration,
        periodic: Duration,
    ) -> Self {
        Self {
            simulator,
            hub,
            form,
            tick,
            periodic,
            depth: Vec::new(),
            tops: Vec::new(),
            positions: HashMap::new(),
            last_periodic: Instant::now(),
            started: false,
        }
    }

    pub(super) async fn run(mut self) {
        let mut tick = tokio::time::interval(self.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.simulator.changed.notified() => {}
            }
            if self.hub.connections.load(Ordering::Relaxed) == 0 {
                continue;
            }
            let frames = self.step();
            for frame in frames {
                // No receiver is not an error: the connections come and go.
                let _ = self.hub.publish.send(Arc::new(frame));
            }
        }
    }

    fn start(&mut self, ex: &mut Exchange) {
        ex.record_events(true);
        let now = Instant::now();
        self.depth = (0..ex.markets.len())
            .map(|index| {
                let sequence = ex.markets[index].book.sequence();
                std::array::from_fn(|_| DepthAccumulator {
                    touched: BTreeSet::new(),
                    last_sent: sequence,
                    last_emit: now,
                    skip: false,
                })
            })
            .collect();
        self.tops = (0..ex.markets.len()).map(|_| Top::default()).collect();
        self.started = true;
    }

    fn step(&mut self) -> Vec<Published> {
        let simulator = Arc::clone(&self.simulator);
        let mut ex = simulator.exchange();
        if !self.started {
            self.start(&mut ex);
        }
        let now_us = i64::try_from(ex.now_ms)
            .unwrap_or(i64::MAX)
            .saturating_mul(1_000);
        let mut out = Vec::new();
        let (events, _dropped) = ex.take_events();
        for event in &events {
            self.event(&ex, event, now_us, &mut out);
        }
        let skip = self.hub.skip_depth_sequence.swap(false, Ordering::Relaxed);
        for market in 0..ex.markets.len() {
            let id = MarketId(u16::try_from(market).unwrap_or(u16::MAX));
            self.depth(&mut ex, id, skip, now_us, &mut out);
            self.book_ticker(&ex, id, now_us, &mut out);
        }
        if self.last_periodic.elapsed() >= self.periodic {
            self.last_periodic = Instant::now();
            self.periodic(&ex, now_us, &mut out);
        }
        out
    }

    fn event(&mut self, ex: &Exchange, event: &EngineEvent, now_us: i64, out: &mut Vec<Published>) {
        match event {
            EngineEvent::Trade { .. } => {
                if let Some((stream, data)) = frames::trade(ex, event, now_us, self.form)
                    && self.hub.wanted(&stream)
                {
                    out.push(Published::public(stream, data));
                }
            }
            EngineEvent::Order { record, .. } | EngineEvent::Fill { record, .. } => {
                if let Some((symbol, data)) = frames::order_update(ex, event, now_us, self.form) {
                    out.push(Published::private(
                        "account.orderUpdate",
                        symbol,
                        record.account,
                        data,
                    ));
                }
            }
            EngineEvent::Position { account, market } => {
                let Some(state) = ex.markets.get(usize::from(market.0)) else {
                    return;
                };
                let symbol = state.config.symbol.clone();
                let net = ex.position(*account, *market).net_steps;
                let before = self.positions.insert((*account, *market), net).unwrap_or(0);
                let kind = match (before, net) {
                    (_, 0) => "positionClosed",
                    (0, _) => "positionOpened",
                    _ => "positionAdjusted",
                };
                let rows = account::positions(ex, *account, Some(&symbol));
                let data = frames::position(&symbol, Some(kind), rows.first(), now_us, self.form);
                out.push(Published::private(
                    "account.positionUpdate",
                    symbol,
                    *account,
                    data,
                ));
            }
        }
    }

    fn depth(
        &mut self,
        ex: &mut Exchange,
        market: MarketId,
        skip: bool,
        now_us: i64,
        out: &mut Vec<Published>,
    ) {
        let (touched, sequence) = ex.take_touched_levels(market);
        let Some(state) = ex.markets.get(usize::from(market.0)) else {
            return;
        };
        let symbol = state.config.symbol.clone();
        let Some(accumulators) = self.depth.get_mut(usize::from(market.0)) else {
            return;
        };
        for ((infix, every), accumulator) in DEPTH_VARIANTS.iter().zip(accumulators.iter_mut()) {
            let stream = format!("depth.{infix}{symbol}");
            accumulator.skip |= skip;
            if !self.hub.wanted(&stream) {
                // Nobody listens: start afresh from here when somebody does.
                accumulator.touched.clear();
                accumulator.last_sent = sequence;
                continue;
            }
            accumulator.touched.extend(
                touched
                    .iter()
                    .map(|(side, price)| (*side == Side::Ask, *price)),
            );
            let due = every.is_none_or(|every| accumulator.last_emit.elapsed() >= every);
            if !due || sequence <= accumulator.last_sent {
                continue;
            }
            let level = |(is_ask, price): &(bool, i64)| {
                let side = if *is_ask { Side::Ask } else { Side::Bid };
                let total = state.book.level_total(side, *price);
                (
                    state.price(*price).to_string(),
                    Dec::amount(state.quantity(total)).0.to_string(),
                )
            };
            let asks: Vec<_> = accumulator
                .touched
                .iter()
                .filter(|(a, _)| *a)
                .map(level)
                .collect();
            let mut bids: Vec<_> = accumulator
                .touched
                .iter()
                .filter(|(a, _)| !*a)
                .map(level)
                .collect();
            bids.reverse();
            let first = accumulator
                .last_sent
                .saturating_add(1)
                .saturating_add(u64::from(std::mem::take(&mut accumulator.skip)));
            let data = frames::depth(&symbol, &asks, &bids, (first, sequence), now_us, self.form);
            out.push(Published::public(stream, data));
            accumulator.touched.clear();
            accumulator.last_sent = sequence;
            accumulator.last_emit = Instant::now();
        }
    }

    fn book_ticker(
        &mut self,
        ex: &Exchange,
        market: MarketId,
        now_us: i64,
        out: &mut Vec<Published>,
    ) {
        let Some(state) = ex.markets.get(usize::from(market.0)) else {
            return;
        };
        let top = |side: Side| state.book.levels(side, 1).first().copied();
        let current = Top {
            bid: top(Side::Bid),
            ask: top(Side::Ask),
        };
        let Some(last) = self.tops.get_mut(usize::from(market.0)) else {
            return;
        };
        if *last == current {
            return;
        }
        *last = current;
        let stream = format!("bookTicker.{}", state.config.symbol);
        let (Some(bid), Some(ask)) = (last.bid, last.ask) else {
            return;
        };
        if !self.hub.wanted(&stream) {
            return;
        }
        let text = |(price, steps): (i64, i64)| {
            (
                state.price(price).to_string(),
                Dec::amount(state.quantity(steps)).0.to_string(),
            )
        };
        let (ask, bid) = (text(ask), text(bid));
        let data = frames::book_ticker(
            &state.config.symbol,
            (&ask.0, &ask.1),
            (&bid.0, &bid.1),
            state.book.sequence(),
            now_us,
            self.form,
        );
        out.push(Published::public(stream, data));
    }

    fn periodic(&mut self, ex: &Exchange, now_us: i64, out: &mut Vec<Published>) {
        let form = self.form;
        for state in &ex.markets {
            let symbol = &state.config.symbol;
            let stream = format!("ticker.{symbol}");
            if self.hub.wanted(&stream)
                && let Ok(ticker) = market_data::ticker(ex, symbol, false)
            {
                out.push(Published::public(
                    stream,
                    frames::ticker(&ticker, now_us, form),
                ));
            }
            if state.is_perp() {
                let stream = format!("markPrice.{symbol}");
                if self.hub.wanted(&stream)
                    && let Ok(marks) = market_data::mark_prices(ex, Some(symbol))
                    && let Some(mark) = marks.first()
                {
                    out.push(Published::public(
                        stream,
                        frames::mark_price(mark, now_us, form),
                    ));
                }
                let stream = format!("openInterest.{symbol}");
                if self.hub.wanted(&stream)
                    && let Some(interest) = market_data::open_interest(ex, Some(symbol)).first()
                {
                    out.push(Published::public(
                        stream,
                        frames::open_interest(interest, now_us, form),
                    ));
                }
            }
        }
        for (stream, (symbol, seconds)) in self.hub.kline_streams() {
            let now_secs = i64::try_from(ex.now_ms / 1_000).unwrap_or(i64::MAX);
            let start = now_secs - now_secs.rem_euclid(seconds);
            if let Ok(candles) = market_data::klines(ex, &symbol, seconds, start, None)
                && let Some(candle) = candles.last()
            {
                out.push(Published::public(
                    stream,
                    frames::kline(&symbol, candle, start, seconds, now_us, form),
                ));
            }
        }
    }
}
