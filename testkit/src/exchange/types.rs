//! The engine's own vocabulary: compact ids and integer prices and quantities, so the
//! matching loop compares integers, not decimals.
//!
//! A price is a number of ticks (`price = ticks × tickSize`) and a base quantity a number of
//! steps (`quantity = steps × stepSize`) of its market. Balances, fees and PnL are exact
//! decimals.

use std::fmt;

use backpack_sdk::model::{ApiErrorBody, ApiErrorCode, ExpiryReason, OrderStatus};

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

/// Why the engine refused a request. Maps to the exchange's error answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// HTTP status the exchange answers with.
    pub status: u16,
    /// Error code and message.
    pub body: ApiErrorBody,
}

impl Reject {
    /// A 400 with `code` and `message`.
    pub fn bad_request(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            body: ApiErrorBody::new(code, message),
        }
    }

    /// `400 INVALID_CLIENT_REQUEST`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::bad_request(ApiErrorCode::InvalidClientRequest, message)
    }

    /// `404 RESOURCE_NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            body: ApiErrorBody::new(ApiErrorCode::ResourceNotFound, message),
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status, self.body.code, self.body.message
        )
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

    /// The wire status.
    pub fn to_wire(self) -> OrderStatus {
        match self {
            Status::New => OrderStatus::New,
            Status::PartiallyFilled => OrderStatus::PartiallyFilled,
            Status::Filled => OrderStatus::Filled,
            Status::Cancelled => OrderStatus::Cancelled,
            Status::Expired(_) => OrderStatus::Expired,
            Status::TriggerPending => OrderStatus::TriggerPending,
            Status::TriggerFailed => OrderStatus::TriggerFailed,
        }
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

impl Expiry {
    /// The wire reason.
    pub fn to_wire(self) -> ExpiryReason {
        match self {
            Expiry::FillOrKill => ExpiryReason::FillOrKill,
            Expiry::ImmediateOrCancel => ExpiryReason::ImmediateOrCancel,
            Expiry::PostOnlyTaker => ExpiryReason::PostOnlyTaker,
            Expiry::SelfTradePrevention => ExpiryReason::SelfTradePrevention,
            Expiry::InsufficientFunds => ExpiryReason::InsufficientFunds,
            Expiry::InsufficientLiquidity => ExpiryReason::InsufficientLiquidity,
            Expiry::ReduceOnlyNotReduced => ExpiryReason::ReduceOnlyNotReduced,
            Expiry::InsufficientMargin => ExpiryReason::InsufficientMargin,
        }
    }
}
