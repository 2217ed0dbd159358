//! The exchange's JSON shapes as the simulator reads and writes them, written from the API
//! reference (`backpack-api.md` §3–§5), not from any client's types: the simulator shares only
//! the protocol with the clients it serves, so a mistake in a client cannot round-trip through
//! a copy of itself.
//!
//! Money is written as decimal strings and read from strings or numbers; each timestamp field
//! is written in the format the exchange uses for it (milliseconds, microseconds, or a naive
//! UTC datetime string).

use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// A decimal on the wire: written as a string, read from a string or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dec(pub Decimal);

impl Dec {
    /// Trailing zeros off, as the exchange prints amounts.
    pub fn amount(value: Decimal) -> Self {
        Dec(value.normalize())
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Dec {
    /// A string, or a JSON number read through the toolkit's one JSON-number guard (its
    /// shortest text; refused when a double cannot carry the digits).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Dec, D::Error> {
        trading_core::decimal::deserialize_decimal(deserializer).map(Dec)
    }
}

/// Naive UTC datetime text of `ms` (history, fills, markets, funding):
/// `2025-01-21T06:34:54.691`.
pub fn naive(ms: u64) -> String {
    datetime(ms).map_or_else(String::new, |t| {
        t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    })
}

/// Naive UTC datetime text with a space and whole seconds (klines): `2025-01-21 06:34:00`.
pub fn naive_space(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(String::new, |t| {
        t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()
    })
}

fn datetime(ms: u64) -> Option<chrono::NaiveDateTime> {
    let ms = i64::try_from(ms).ok()?;
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc())
}

/// The exchange's error codes that the simulator answers with (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum ErrorCode {
    InvalidClientRequest,
    InvalidPrice,
    InvalidQuantity,
    InvalidOrder,
    InsufficientFunds,
    InsufficientMargin,
    ResourceNotFound,
    Unauthorized,
    TooManyRequests,
    ServerError,
    Maintenance,
}

/// `{"code": ..., "message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// The code.
    pub code: ErrorCode,
    /// The message.
    pub message: String,
}

/// The body of `POST /api/v1/order` (§4.2). Enum fields stay text so that the simulator can
/// answer unknown values with the exchange's messages.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct OrderPayload {
    pub symbol: String,
    pub side: String,
    pub order_type: String,
    pub quantity: Option<Dec>,
    pub quote_quantity: Option<Dec>,
    pub price: Option<Dec>,
    pub time_in_force: Option<String>,
    pub post_only: Option<bool>,
    pub reduce_only: Option<bool>,
    pub client_id: Option<u32>,
    pub self_trade_prevention: Option<String>,
    pub trigger_price: Option<Dec>,
    pub trigger_by: Option<String>,
    pub trigger_quantity: Option<TriggerAmount>,
    pub take_profit_trigger_price: Option<Dec>,
    pub take_profit_limit_price: Option<Dec>,
    pub take_profit_trigger_by: Option<String>,
    pub stop_loss_trigger_price: Option<Dec>,
    pub stop_loss_limit_price: Option<Dec>,
    pub stop_loss_trigger_by: Option<String>,
    pub auto_lend: Option<bool>,
    pub auto_lend_redeem: Option<bool>,
    pub auto_borrow: Option<bool>,
    pub auto_borrow_repay: Option<bool>,
    pub broker_id: Option<u16>,
}

/// `triggerQuantity`: a base quantity, or a percentage written `"NN%"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerAmount {
    /// A base quantity.
    Quantity(Decimal),
    /// A percentage of the position.
    Percent(Decimal),
}

impl Serialize for TriggerAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            TriggerAmount::Quantity(q) => serializer.collect_str(q),
            TriggerAmount::Percent(p) => serializer.collect_str(&format_args!("{p}%")),
        }
    }
}

impl<'de> Deserialize<'de> for TriggerAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(Dec),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(Dec(q)) => Ok(TriggerAmount::Quantity(q)),
            Raw::Text(text) => match text.trim().strip_suffix('%') {
                Some(percent) => percent
                    .trim()
                    .parse()
                    .map(TriggerAmount::Percent)
                    .map_err(|_| de::Error::custom(format!("invalid triggerQuantity `{text}`"))),
                None => text
                    .trim()
                    .parse()
                    .map(TriggerAmount::Quantity)
                    .map_err(|_| de::Error::custom(format!("invalid triggerQuantity `{text}`"))),
            },
        }
    }
}

/// An order as the open-order, execute and cancel endpoints show it (§4.3): every common
/// field present (`null` when unset), plus the fields of its `orderType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Order {
    pub id: String,
    pub client_id: Option<u32>,
    pub symbol: String,
    pub side: &'static str,
    pub order_type: &'static str,
    pub status: &'static str,
    pub time_in_force: &'static str,
    pub self_trade_prevention: &'static str,
    pub created_at: u64,
    pub executed_quantity: Dec,
    pub executed_quote_quantity: Dec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Dec>,
    pub quantity: Option<Dec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_quantity: Option<Dec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    pub reduce_only: Option<bool>,
    pub trigger_price: Option<Dec>,
    pub trigger_by: Option<&'static str>,
    pub trigger_quantity: Option<TriggerAmount>,
    pub triggered_at: Option<u64>,
    pub take_profit_trigger_price: Option<Dec>,
    pub take_profit_limit_price: Option<Dec>,
    pub take_profit_trigger_by: Option<&'static str>,
    pub stop_loss_trigger_price: Option<Dec>,
    pub stop_loss_limit_price: Option<Dec>,
    pub stop_loss_trigger_by: Option<&'static str>,
    pub related_order_id: Option<String>,
    pub strategy_id: Option<String>,
    pub slippage_tolerance: Option<Dec>,
    pub slippage_tolerance_type: Option<&'static str>,
}

/// An order as the order history shows it (§4.4): `createdAt` is a datetime string there.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct HistoricalOrder {
    pub id: String,
    pub client_id: Option<u32>,
    pub symbol: String,
    pub side: &'static str,
    pub order_type: &'static str,
    pub status: &'static str,
    pub expiry_reason: Option<&'static str>,
    pub system_order_type: Option<&'static str>,
    pub time_in_force: &'static str,
    pub self_trade_prevention: &'static str,
    pub created_at: String,
    pub executed_quantity: Dec,
    pub executed_quote_quantity: Dec,
    pub price: Option<Dec>,
    pub quantity: Option<Dec>,
    pub quote_quantity: Option<Dec>,
    pub post_only: Option<bool>,
    pub trigger_price: Option<Dec>,
    pub trigger_by: Option<&'static str>,
    pub trigger_quantity: Option<TriggerAmount>,
    pub take_profit_trigger_price: Option<Dec>,
    pub take_profit_limit_price: Option<Dec>,
    pub take_profit_trigger_by: Option<&'static str>,
    pub stop_loss_trigger_price: Option<Dec>,
    pub stop_loss_limit_price: Option<Dec>,
    pub stop_loss_trigger_by: Option<&'static str>,
    pub strategy_id: Option<String>,
    pub slippage_tolerance: Option<Dec>,
    pub slippage_tolerance_type: Option<&'static str>,
}

/// One item of the batch answer: the order with `"operation": "Ok"`, or the error.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "operation")]
pub enum BatchItem {
    /// Placed.
    Ok(Box<Order>),
    /// Refused.
    Err(ErrorBody),
}

/// A fill (`/wapi/v1/history/fills`): `clientId` is a string and `timestamp` a datetime
/// string here.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Fill {
    pub trade_id: u64,
    pub order_id: String,
    pub client_id: Option<String>,
    pub symbol: String,
    pub side: &'static str,
    pub price: Dec,
    pub quantity: Dec,
    pub fee: Dec,
    pub fee_symbol: String,
    pub is_maker: bool,
    pub system_order_type: Option<&'static str>,
    pub timestamp: String,
}

/// A funding payment (`/wapi/v1/history/funding`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct FundingPayment {
    pub user_id: u64,
    pub subaccount_id: Option<u16>,
    pub symbol: String,
    pub quantity: Dec,
    pub interval_end_timestamp: String,
    pub funding_rate: Dec,
}

/// One asset of `GET /api/v1/capital`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct Balance {
    pub available: Dec,
    pub locked: Dec,
    pub staked: Dec,
}

/// `{"type": "sqrt", "base": ..., "factor": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct MarginFunction {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub base: Dec,
    pub factor: Dec,
}

/// A perp position (§4.7).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct FuturePosition {
    pub break_even_price: Dec,
    pub entry_price: Dec,
    pub est_liquidation_price: Dec,
    pub imf: Dec,
    pub imf_function: MarginFunction,
    pub mark_price: Dec,
    pub mmf: Dec,
    pub mmf_function: MarginFunction,
    pub net_cost: Dec,
    pub net_quantity: Dec,
    pub net_exposure_quantity: Dec,
    pub net_exposure_notional: Dec,
    pub pnl_realized: Dec,
    pub pnl_unrealized: Dec,
    pub cumulative_funding_payment: Dec,
    pub cumulative_interest: Dec,
    pub subaccount_id: Option<u16>,
    pub symbol: String,
    pub user_id: u64,
    pub position_id: String,
}

/// A borrow or lend position (`/api/v1/borrowLend/positions`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct BorrowLendPosition {
    pub id: String,
    pub symbol: String,
    pub net_quantity: Dec,
    pub net_exposure_quantity: Dec,
    pub net_exposure_notional: Dec,
    pub mark_price: Dec,
    pub imf: Dec,
    pub imf_function: MarginFunction,
    pub mmf: Dec,
    pub mmf_function: MarginFunction,
    pub cumulative_interest: Dec,
}

/// One asset of the collateral answer (§4.6).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct CollateralAsset {
    pub symbol: String,
    pub asset_mark_price: Dec,
    pub total_quantity: Dec,
    pub balance_notional: Dec,
    pub collateral_weight: Dec,
    pub collateral_value: Dec,
    pub open_order_quantity: Dec,
    pub lend_quantity: Dec,
    pub available_quantity: Dec,
}

/// `GET /api/v1/capital/collateral` (§4.6).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Collateral {
    pub assets_value: Dec,
    pub borrow_liability: Dec,
    pub collateral: Vec<CollateralAsset>,
    pub imf: Dec,
    pub unsettled_equity: Dec,
    pub liabilities_value: Dec,
    pub margin_fraction: Option<Dec>,
    pub mmf: Dec,
    pub net_equity: Dec,
    pub net_equity_available: Dec,
    pub net_equity_locked: Dec,
    pub net_exposure_futures: Dec,
    pub pnl_unrealized: Dec,
}

/// `GET /api/v1/account` (fees in basis points).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AccountSettings {
    pub auto_borrow_settlements: bool,
    pub auto_lend: bool,
    pub auto_realize_pnl: bool,
    pub auto_repay_borrows: bool,
    pub borrow_limit: Dec,
    pub futures_maker_fee: Dec,
    pub futures_taker_fee: Dec,
    pub leverage_limit: Dec,
    pub position_limit: Dec,
    pub spot_maker_fee: Dec,
    pub spot_taker_fee: Dec,
    pub limit_orders: u32,
    pub trigger_orders: u32,
    pub liquidating: bool,
}

/// `GET /api/v1/account/limits/order`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct MaxOrderQuantity {
    pub max_order_quantity: Dec,
    pub symbol: String,
    pub side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Dec>,
}

/// `GET /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct ExchangeStatus {
    pub status: &'static str,
    pub message: Option<String>,
}

/// One token of an asset (`/api/v1/assets`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct AssetToken {
    pub display_name: String,
    pub blockchain: &'static str,
    pub contract_address: Option<String>,
    pub deposit_enabled: bool,
    pub minimum_deposit: Dec,
    pub withdraw_enabled: bool,
    pub minimum_withdrawal: Dec,
    pub maximum_withdrawal: Option<Dec>,
    pub withdrawal_fee: Dec,
}

/// An asset (`/api/v1/assets`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Asset {
    pub symbol: String,
    pub display_name: String,
    pub coingecko_id: Option<String>,
    pub tokens: Vec<AssetToken>,
}

/// The price filter of a market (§4.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct PriceFilter {
    pub min_price: Dec,
    pub max_price: Option<Dec>,
    pub tick_size: Dec,
}

/// The quantity filter of a market (§4.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct QuantityFilter {
    pub min_quantity: Dec,
    pub max_quantity: Option<Dec>,
    pub step_size: Dec,
}

/// A market's filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(missing_docs)]
pub struct MarketFilters {
    pub price: PriceFilter,
    pub quantity: QuantityFilter,
}

/// A market (§4.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Market {
    pub symbol: String,
    pub base_symbol: String,
    pub quote_symbol: String,
    pub market_type: &'static str,
    pub filters: MarketFilters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imf_function: Option<MarginFunction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mmf_function: Option<MarginFunction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_interval: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_rate_upper_bound: Option<Dec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_rate_lower_bound: Option<Dec>,
    pub open_interest_limit: Option<Dec>,
    pub order_book_state: &'static str,
    pub created_at: String,
    pub visible: bool,
}

/// `GET /api/v1/ticker`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Ticker {
    pub symbol: String,
    pub first_price: Dec,
    pub last_price: Dec,
    pub price_change: Dec,
    pub price_change_percent: Dec,
    pub high: Dec,
    pub low: Dec,
    pub volume: Dec,
    pub quote_volume: Dec,
    /// A string on the wire.
    pub trades: String,
}

/// `GET /api/v1/depth`: `[price, quantity]` levels, both sides ascending by price.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Depth {
    pub asks: Vec<(Dec, Dec)>,
    pub bids: Vec<(Dec, Dec)>,
    /// Digits in a string.
    pub last_update_id: String,
    /// Microseconds.
    pub timestamp: u64,
}

/// A candle (`/api/v1/klines`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Kline {
    pub start: String,
    pub end: String,
    pub open: Option<Dec>,
    pub high: Option<Dec>,
    pub low: Option<Dec>,
    pub close: Option<Dec>,
    pub volume: Dec,
    pub quote_volume: Dec,
    /// A string on the wire.
    pub trades: String,
}

/// A public trade.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Trade {
    pub id: u64,
    pub price: Dec,
    pub quantity: Dec,
    pub quote_quantity: Dec,
    /// Milliseconds.
    pub timestamp: u64,
    pub is_buyer_maker: bool,
}

/// `GET /api/v1/markPrices` element.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct MarkPrice {
    pub symbol: String,
    pub funding_rate: Dec,
    pub index_price: Dec,
    pub mark_price: Dec,
    /// Milliseconds.
    pub next_funding_timestamp: u64,
}

/// `GET /api/v1/fundingRates` element.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct FundingRate {
    pub symbol: String,
    pub interval_end_timestamp: String,
    pub funding_rate: Dec,
}

/// `GET /api/v1/openInterest` element.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct OpenInterest {
    pub symbol: String,
    pub open_interest: Option<Dec>,
    /// Milliseconds.
    pub timestamp: u64,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn decimals_read_from_strings_and_numbers_and_write_as_strings() {
        let text: Dec = serde_json::from_str("\"150.50\"").unwrap();
        let number: Dec = serde_json::from_str("150.50").unwrap();
        assert_eq!(text.0, number.0);
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"150.50\"");
        assert!(serde_json::from_str::<Dec>("\"abc\"").is_err());
        // A number a double cannot carry exactly is refused, as everywhere in the toolkit.
        assert!(serde_json::from_str::<Dec>("150.12345678901234567").is_err());
    }

    #[test]
    fn trigger_quantities_read_amounts_and_percentages() {
        let q: TriggerAmount = serde_json::from_str("\"0.5\"").unwrap();
        let p: TriggerAmount = serde_json::from_str("\"25%\"").unwrap();
        assert_eq!(q, TriggerAmount::Quantity("0.5".parse().unwrap()));
        assert_eq!(p, TriggerAmount::Percent(25.into()));
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"25%\"");
    }

    #[test]
    fn timestamps_write_the_exchange_formats() {
        assert_eq!(naive(1_737_441_294_691), "2025-01-21T06:34:54.691");
        assert_eq!(naive_space(1_737_441_240), "2025-01-21 06:34:00");
    }
}
