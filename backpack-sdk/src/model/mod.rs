//! Wire types: everything the exchange sends and receives, usable without the HTTP client.
//!
//! Money is [`Price`], [`Quantity`], [`Notional`] and [`Rate`] (decimal strings on the wire),
//! ids are newtypes, times are [`Timestamp`], and every enum tolerates values added by the
//! exchange later (`Unknown(text)`).

pub(crate) mod open_enum;

pub mod account;
pub mod enums;
pub mod error;
pub mod history;
pub mod ids;
pub mod market;
pub mod num;
pub mod order;
pub mod serde_util;
pub mod time;

pub use account::{
    AccountSettings, Balance, BalanceWithLent, Balances, BorrowLendPosition, Collateral,
    CollateralAsset, FuturePosition, MaxOrderQuantity,
};
pub use enums::{
    BorrowLendSide, CancelOrderType, DepthLimit, ExchangeStatus, ExpiryReason, FillType,
    KlineInterval, KlinePriceType, MarketType, OrderBookState, OrderStatus, OrderType,
    SelfTradePrevention, Side, SlippageToleranceType, SortDirection, SystemOrderType,
    TickerInterval, TimeInForce, TriggerBy,
};
pub use error::{ApiErrorBody, ApiErrorCode};
pub use history::{Fill, FundingPayment};
pub use ids::{
    Asset, Blockchain, ClientOrderId, OrderId, OrderRef, PositionId, StrategyId, Symbol, TradeId,
};
pub use market::{
    AssetInfo, AssetToken, Depth, FundingRate, Kline, Level, MarginFunction, MarkPrice, Market,
    MarketFilters, OpenInterest, PremiumBand, PriceBand, PriceFilter, QuantityFilter, Status,
    Ticker, Trade,
};
pub use num::{Notional, ParseDecimalError, Price, Quantity, Rate};
pub use open_enum::ParseEnumError;
pub use order::{
    BatchOrderResult, CancelOutcome, HistoricalOrder, Order, OrderExecutePayload, TriggerQuantity,
};
pub use time::Timestamp;
