//! The engine's order record and what a new order asks for.

use rust_decimal::Decimal;

use super::types::{
    AccountId, MarketId, OrderId, Side, Status, Stp, TimeInForce, TriggerSize, TriggerSource,
};

/// Limit or market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Limit at `price` ticks.
    Limit {
        /// Limit price, ticks.
        price: i64,
        /// Time in force.
        tif: TimeInForce,
        /// Reject instead of taking.
        post_only: bool,
    },
    /// Market.
    Market,
}

/// Size of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Base steps.
    Base(i64),
    /// Quote amount (market orders).
    Quote(Decimal),
}

/// A trigger: the order enters the book when `source` reaches `price`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// Trigger price, ticks.
    pub price: i64,
    /// Size once triggered.
    pub size: TriggerSize,
    /// Watched price.
    pub source: TriggerSource,
}

/// An attached take-profit or stop-loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// Trigger price, ticks.
    pub trigger: i64,
    /// Limit price of the exit, ticks (`None`: market).
    pub limit: Option<i64>,
    /// Watched price.
    pub source: TriggerSource,
}

/// Take-profit and stop-loss of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exits {
    /// Take-profit.
    pub take_profit: Option<Exit>,
    /// Stop-loss.
    pub stop_loss: Option<Exit>,
}

/// A new order, in engine units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Market.
    pub market: MarketId,
    /// Side.
    pub side: Side,
    /// Limit or market.
    pub kind: Kind,
    /// Size.
    pub size: Size,
    /// Client id.
    pub client_id: Option<u32>,
    /// Only reduce a perp position.
    pub reduce_only: bool,
    /// Self-trade prevention.
    pub stp: Stp,
    /// Makes the order conditional.
    pub trigger: Option<Trigger>,
    /// Attached exits.
    pub exits: Exits,
}

impl NewOrder {
    /// A GTC limit order.
    pub fn limit(market: MarketId, side: Side, price: i64, steps: i64) -> Self {
        Self {
            market,
            side,
            kind: Kind::Limit {
                price,
                tif: TimeInForce::Gtc,
                post_only: false,
            },
            size: Size::Base(steps),
            client_id: None,
            reduce_only: false,
            stp: Stp::RejectTaker,
            trigger: None,
            exits: Exits::default(),
        }
    }

    /// A market order by base steps.
    pub fn market(market: MarketId, side: Side, steps: i64) -> Self {
        Self {
            kind: Kind::Market,
            ..Self::limit(market, side, 0, steps)
        }
    }
}

/// Direction a trigger fires in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Crossing {
    /// Fires when the price rises to the trigger.
    Rising,
    /// Fires when the price falls to the trigger.
    Falling,
}

/// An order the engine knows: open (resting or waiting for its trigger) or finished.
#[derive(Debug, Clone)]
pub(crate) struct OrderRecord {
    pub(crate) id: OrderId,
    pub(crate) account: AccountId,
    pub(crate) order: NewOrder,
    pub(crate) created_ms: u64,
    pub(crate) status: Status,
    /// Base steps filled.
    pub(crate) executed: i64,
    /// Quote value filled.
    pub(crate) executed_quote: Decimal,
    /// Amount reserved (locked) for this order, in `reserve_asset`.
    pub(crate) reserved: Decimal,
    pub(crate) crossing: Option<Crossing>,
    pub(crate) triggered_ms: Option<u64>,
    /// Parent order of a take-profit / stop-loss leg.
    pub(crate) related: Option<OrderId>,
    /// The other leg of a take-profit / stop-loss pair, cancelled when this one fires.
    pub(crate) sibling: Option<OrderId>,
    /// Node in the book while resting.
    pub(crate) node: Option<u32>,
}

impl OrderRecord {
    /// Base steps still to fill, when sized in base.
    pub(crate) fn remaining(&self) -> i64 {
        match self.order.size {
            Size::Base(steps) => steps - self.executed,
            Size::Quote(_) => 0,
        }
    }
}
