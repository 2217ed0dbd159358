//! What happened in the engine, for venues that stream it (the Backpack fake's WebSocket).
//!
//! Off by default (a property test or a bench pays nothing). When on, every state change of
//! a customer's order, every trade and every touched book level is recorded in order; the
//! venue drains them with [`Exchange::take_events`] and [`Exchange::take_touched_levels`]
//! and gives them its own wire form. The simulated market maker's own order changes are
//! not recorded (its trades and book levels are).

use std::collections::VecDeque;

use rust_decimal::Decimal;

use super::Exchange;
use super::order::OrderRecord;
use super::types::{AccountId, AssetId, MarketId, Side};

/// At most this many events wait to be drained; beyond, the oldest are dropped and counted.
const MAX_EVENTS: usize = 100_000;

/// What changed an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrderChange {
    /// Taken by the engine (before matching).
    Accepted,
    /// A conditional order waits for its trigger.
    TriggerPlaced,
    /// Cancelled.
    Cancelled,
    /// Ended by the engine.
    Expired,
    /// The trigger fired but the order could not be placed.
    TriggerFailed,
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub(crate) enum EngineEvent {
    /// An order changed; `record` is its state right after.
    Order {
        change: OrderChange,
        record: Box<OrderRecord>,
    },
    /// One order's part of a trade; `record` is its state right after.
    Fill {
        record: Box<OrderRecord>,
        trade_id: u64,
        price: i64,
        steps: i64,
        fee: Decimal,
        fee_asset: AssetId,
        is_maker: bool,
        complete: bool,
    },
    /// A public trade.
    Trade {
        market: MarketId,
        id: u64,
        price: i64,
        steps: i64,
        buyer_is_maker: bool,
        buyer_order: u64,
        seller_order: u64,
        at_ms: u64,
    },
    /// A perp position of `account` changed.
    Position {
        account: AccountId,
        market: MarketId,
    },
}

/// The recorded events.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    events: VecDeque<EngineEvent>,
    dropped: u64,
}

impl Exchange {
    /// Starts (or stops) recording events and touched book levels; starting again keeps
    /// what was recorded.
    pub(crate) fn record_events(&mut self, on: bool) {
        if on == self.events.is_some() {
            return;
        }
        self.events = on.then(EventLog::default);
        for market in &mut self.markets {
            market.book.track_levels(on);
        }
    }

    pub(crate) fn emit(&mut self, event: EngineEvent) {
        let Some(log) = self.events.as_mut() else {
            return;
        };
        let account = match &event {
            EngineEvent::Order { record, .. } | EngineEvent::Fill { record, .. } => {
                Some(record.account)
            }
            EngineEvent::Position { account, .. } => Some(*account),
            EngineEvent::Trade { .. } => None,
        };
        if account.is_some() && (account == self.maker || account == self.feed_id) {
            return;
        }
        log.events.push_back(event);
        if log.events.len() > MAX_EVENTS {
            log.events.pop_front();
            log.dropped += 1;
        }
    }

    /// Whether events are being recorded (callers skip building them otherwise).
    pub(crate) fn recording(&self) -> bool {
        self.events.is_some()
    }

    /// The events since the last call, oldest first, and how many were dropped for want
    /// of draining.
    pub(crate) fn take_events(&mut self) -> (Vec<EngineEvent>, u64) {
        match self.events.as_mut() {
            Some(log) => (
                log.events.drain(..).collect(),
                std::mem::take(&mut log.dropped),
            ),
            None => (Vec::new(), 0),
        }
    }

    /// The book levels of `market` touched since the last call (side, price in ticks), each
    /// once, and the book's update id now.
    pub(crate) fn take_touched_levels(&mut self, market: MarketId) -> (Vec<(Side, i64)>, u64) {
        match self.markets.get_mut(usize::from(market.0)) {
            Some(state) => (state.book.take_touched(), state.book.sequence()),
            None => (Vec::new(), 0),
        }
    }
}
