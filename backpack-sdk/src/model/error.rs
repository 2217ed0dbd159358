//! The exchange's error body: `{"code":"INVALID_ORDER","message":"..."}`.

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;

open_enum! {
    /// Error codes the exchange documents; new ones decode as `Unknown`.
    pub enum ApiErrorCode {
        /// The account is deactivated.
        AccountDeactivated = "ACCOUNT_DEACTIVATED",
        /// The account is being liquidated.
        AccountLiquidating = "ACCOUNT_LIQUIDATING",
        /// Borrow limit reached.
        BorrowLimit = "BORROW_LIMIT",
        /// Borrowing needs lent funds redeemed first.
        BorrowRequiresLendRedeem = "BORROW_REQUIRES_LEND_REDEEM",
        /// Not allowed.
        Forbidden = "FORBIDDEN",
        /// Not enough funds.
        InsufficientFunds = "INSUFFICIENT_FUNDS",
        /// Not enough margin.
        InsufficientMargin = "INSUFFICIENT_MARGIN",
        /// Not enough supply to borrow.
        InsufficientSupply = "INSUFFICIENT_SUPPLY",
        /// Unknown asset.
        InvalidAsset = "INVALID_ASSET",
        /// The request is malformed, badly signed, expired, or refers to nothing.
        InvalidClientRequest = "INVALID_CLIENT_REQUEST",
        /// Unknown market.
        InvalidMarket = "INVALID_MARKET",
        /// The order is invalid.
        InvalidOrder = "INVALID_ORDER",
        /// The price is invalid.
        InvalidPrice = "INVALID_PRICE",
        /// Unknown position.
        InvalidPositionId = "INVALID_POSITION_ID",
        /// The quantity is invalid.
        InvalidQuantity = "INVALID_QUANTITY",
        /// A range parameter is invalid.
        InvalidRange = "INVALID_RANGE",
        /// The signature does not verify.
        InvalidSignature = "INVALID_SIGNATURE",
        /// Invalid source.
        InvalidSource = "INVALID_SOURCE",
        /// Unknown symbol.
        InvalidSymbol = "INVALID_SYMBOL",
        /// Wrong two-factor code.
        InvalidTwoFactorCode = "INVALID_TWO_FACTOR_CODE",
        /// Lend limit reached.
        LendLimit = "LEND_LIMIT",
        /// Lending needs borrows repaid first.
        LendRequiresBorrowRepay = "LEND_REQUIRES_BORROW_REPAY",
        /// Exchange maintenance.
        Maintenance = "MAINTENANCE",
        /// Maximum leverage reached.
        MaxLeverageReached = "MAX_LEVERAGE_REACHED",
        /// Not implemented.
        NotImplemented = "NOT_IMPLEMENTED",
        /// Too many open orders.
        OrderLimit = "ORDER_LIMIT",
        /// Position limit reached.
        PositionLimit = "POSITION_LIMIT",
        /// A precondition failed.
        PreconditionFailed = "PRECONDITION_FAILED",
        /// Not found (e.g. an order that is no longer open).
        ResourceNotFound = "RESOURCE_NOT_FOUND",
        /// Internal exchange error.
        ServerError = "SERVER_ERROR",
        /// The exchange timed out internally.
        Timeout = "TIMEOUT",
        /// Too early.
        TooEarly = "TOO_EARLY",
        /// Rate limited.
        TooManyRequests = "TOO_MANY_REQUESTS",
        /// Trading is paused.
        TradingPaused = "TRADING_PAUSED",
        /// Missing or wrong credentials.
        Unauthorized = "UNAUTHORIZED",
    }
}

/// An error as the exchange writes it in a JSON body (and in rejected batch items).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ApiErrorBody {
    /// Machine-readable code.
    pub code: ApiErrorCode,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
}

impl ApiErrorBody {
    /// A body with the given code and message.
    pub fn new(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}
