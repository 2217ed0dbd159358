//! The engine's own vocabulary: compact ids and integer prices and quantities, so the
//! matching loop compares integers, not decimals.
//!
//! A price is a number of ticks (`price = ticks × tickSize`) and a base quantity a number of
//! steps (`quantity = steps × stepSize`) of its market. Balances, fees and PnL are exact
//! decimals.

use std::fmt;

/// Index of a market in the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MarketId(pub u16);

/// Index of an account in the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub u32);

/// Index of an asset in the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssetId(pub u16);

/// Exchange-assigned order id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Order side (the engine's closed copy of the wire enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Buy.
    Bid,
    /// Sell.
    Ask,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
        }
    }

    /// `+1` for bids, `-1` for asks.
    pub fn sign(self) -> i64 {
        match self {
            Side::Bid => 1,
            Side::Ask => -1,
        }
    }
}

/// How long a limit order lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

/// Self-trade prevention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Stp {
    /// Expire the incoming order (the exchange's default).
    #[default]
    RejectTaker,
    /// Cancel the resting order and keep matching.
    RejectMaker,
    /// Cancel both.
    RejectBoth,
}

/// Which price a trigger watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TriggerSource {
    /// Last traded price.
    #[default]
    Last,
    /// Mark price (the simulated reference price).
    Mark,
    /// Index price (the simulated reference price).
    Index,
}

/// Size of a triggered order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerSize {
    /// Base steps.
    Steps(i64),
    /// Percent of the position (perps) or of the available base (spot sells).
    Percent(rust_decimal::Decimal),
}

/// What kind of refusal: each venue simulator maps it to its own error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectKind {
    /// A malformed or contradictory request (unknown market, missing field, ...).
    Invalid,
    /// A price off the market's grid or out of range.
    InvalidPrice,
    /// A quantity off the market's grid or out of range.
    InvalidQuantity,
    /// An order the engine will not accept as a whole (duplicate client id, ...).
    InvalidOrder,
    /// Not enough balance.
    InsufficientFunds,
    /// Not enough margin.
    InsufficientMargin,
    /// No such order (or other resource).
    NotFound,
    /// No such account.
    UnknownAccount,
}

/// Why the engine refused a request: a kind and a human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// What kind of refusal.
    pub kind: RejectKind,
    /// What was wrong, in words.
    pub message: String,
}

impl Reject {
    /// A refusal of `kind` with `message`.
    pub fn new(kind: RejectKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A malformed or contradictory request.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(RejectKind::Invalid, message)
    }

    /// No such order.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(RejectKind::NotFound, message)
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Reject {}

/// Lifecycle of an engine order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Resting, nothing filled.
    New,
    /// Resting, partly filled.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled.
    Cancelled,
    /// Ended by the engine, with a reason.
    Expired(Expiry),
    /// Waiting for its trigger.
    TriggerPending,
    /// Triggered, but could not be placed.
    TriggerFailed,
}

impl Status {
    /// Whether the order is still live.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::PartiallyFilled | Status::TriggerPending
        )
    }
}

/// Why the engine expired an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// Fill-or-kill could not fill completely.
    FillOrKill,
    /// Immediate-or-cancel remainder.
    ImmediateOrCancel,
    /// Post-only order would have taken.
    PostOnlyTaker,
    /// Self-trade prevention.
    SelfTradePrevention,
    /// Ran out of funds while matching.
    InsufficientFunds,
    /// Ran out of book.
    InsufficientLiquidity,
    /// Reduce-only order would not reduce.
    ReduceOnlyNotReduced,
    /// Not enough margin.
    InsufficientMargin,
}
