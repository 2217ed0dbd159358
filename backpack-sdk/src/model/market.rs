//! Public market data: markets and their filters, tickers, depth, klines, trades, mark
//! prices, funding rates, open interest, assets and exchange status.
//!
//! Optional fields are `Option` and accept both an absent key and an explicit `null`;
//! serializing writes `null`, as the exchange does.

use serde::{Deserialize, Serialize};

use super::enums::{ExchangeStatus, MarketType, OrderBookState};
use super::ids::{Asset, Blockchain, Symbol, TradeId};
use super::num::{Notional, Price, Quantity, Rate};
use super::serde_util::u64_string;
use super::time::{self, Timestamp};

/// `GET /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Status {
    /// `Ok` or `Maintenance`.
    pub status: ExchangeStatus,
    /// Human-readable note, if any.
    #[serde(default)]
    pub message: Option<String>,
}

/// One market (`GET /api/v1/markets` element, `GET /api/v1/market`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Market {
    /// Market symbol, e.g. `SOL_USDC_PERP`.
    pub symbol: Symbol,
    /// Base asset, e.g. `SOL`.
    pub base_symbol: Asset,
    /// Quote asset, e.g. `USDC`.
    pub quote_symbol: Asset,
    /// Spot, perpetual, ...
    pub market_type: MarketType,
    /// For tokenised real-world assets: `STOCK`, `INDEX`, `COMMODITY`, `FX`.
    #[serde(default)]
    pub rwa_market_type: Option<String>,
    /// Price and quantity rules every order must satisfy.
    pub filters: MarketFilters,
    /// Initial margin function (perps).
    #[serde(default)]
    pub imf_function: Option<MarginFunction>,
    /// Maintenance margin function (perps).
    #[serde(default)]
    pub mmf_function: Option<MarginFunction>,
    /// Funding interval in milliseconds (perps).
    #[serde(default)]
    pub funding_interval: Option<u64>,
    /// Upper funding-rate bound, in basis points.
    #[serde(default)]
    pub funding_rate_upper_bound: Option<Rate>,
    /// Lower funding-rate bound, in basis points.
    #[serde(default)]
    pub funding_rate_lower_bound: Option<Rate>,
    /// Open-interest limit, in base units.
    #[serde(default)]
    pub open_interest_limit: Option<Quantity>,
    /// Whether the book trades, only cancels, ...
    pub order_book_state: OrderBookState,
    /// Listing time.
    #[cfg_attr(feature = "schemars", schemars(with = "Option<time::schema::Naive>"))]
    #[serde(with = "time::naive::option", default)]
    pub created_at: Option<Timestamp>,
    /// Whether the market is shown in the exchange's UI.
    #[serde(default)]
    pub visible: Option<bool>,
    /// Weight of this market in the account's position limit.
    #[serde(default)]
    pub position_limit_weight: Option<Rate>,
}

impl Market {
    /// Whether orders on this market may carry `reduceOnly` (futures markets).
    pub fn is_derivative(&self) -> bool {
        !matches!(self.market_type, MarketType::Spot)
    }

    /// Number of decimals a price may have (scale of the tick size).
    pub fn price_decimals(&self) -> u32 {
        self.filters.price.tick_size.scale()
    }

    /// Number of decimals a quantity may have (scale of the step size).
    pub fn quantity_decimals(&self) -> u32 {
        self.filters.quantity.step_size.scale()
    }
}

/// A market's order filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MarketFilters {
    /// Price rules.
    pub price: PriceFilter,
    /// Quantity rules.
    pub quantity: QuantityFilter,
}

/// Price rules of a market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PriceFilter {
    /// Lowest accepted price.
    pub min_price: Price,
    /// Highest accepted price, if bounded.
    #[serde(default)]
    pub max_price: Option<Price>,
    /// Prices must be a multiple of this.
    pub tick_size: Price,
    /// Highest accepted price as a multiple of the reference price.
    #[serde(default)]
    pub max_multiplier: Option<Rate>,
    /// Lowest accepted price as a multiple of the reference price.
    #[serde(default)]
    pub min_multiplier: Option<Rate>,
    /// Largest price impact a taker order may have, as a multiple of the reference price.
    #[serde(default)]
    pub max_impact_multiplier: Option<Rate>,
    /// Smallest price impact multiple (sells).
    #[serde(default)]
    pub min_impact_multiplier: Option<Rate>,
    /// Band around the mean mark price.
    #[serde(default)]
    pub mean_mark_price_band: Option<PriceBand>,
    /// Band around the mean premium.
    #[serde(default)]
    pub mean_premium_band: Option<PremiumBand>,
    /// Largest allowed price update per tick, as a multiple.
    #[serde(default)]
    pub max_price_update_multiplier: Option<Rate>,
    /// Smallest allowed price update per tick, as a multiple.
    #[serde(default)]
    pub min_price_update_multiplier: Option<Rate>,
}

impl PriceFilter {
    /// A filter with only a minimum price and a tick size (no bands).
    pub fn new(min_price: Price, tick_size: Price) -> Self {
        Self {
            min_price,
            max_price: None,
            tick_size,
            max_multiplier: None,
            min_multiplier: None,
            max_impact_multiplier: None,
            min_impact_multiplier: None,
            mean_mark_price_band: None,
            mean_premium_band: None,
            max_price_update_multiplier: None,
            min_price_update_multiplier: None,
        }
    }
}

/// A price band given as multipliers of a reference price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PriceBand {
    /// Upper multiplier.
    pub max_multiplier: Rate,
    /// Lower multiplier.
    pub min_multiplier: Rate,
}

/// Tolerance band around the mean premium.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PremiumBand {
    /// Tolerance as a fraction.
    pub tolerance_pct: Rate,
}

/// Quantity rules of a market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct QuantityFilter {
    /// Smallest accepted quantity.
    pub min_quantity: Quantity,
    /// Largest accepted quantity, if bounded.
    #[serde(default)]
    pub max_quantity: Option<Quantity>,
    /// Quantities must be a multiple of this.
    pub step_size: Quantity,
}

/// A margin-fraction function of position size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MarginFunction {
    /// Function kind, e.g. `sqrt`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Base fraction.
    #[serde(default)]
    pub base: Option<Rate>,
    /// Growth factor.
    #[serde(default)]
    pub factor: Option<Rate>,
}

/// 24h (or 1w) statistics of a market (`GET /api/v1/ticker(s)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Ticker {
    /// Market symbol.
    pub symbol: Symbol,
    /// First price of the window.
    pub first_price: Price,
    /// Last traded price.
    pub last_price: Price,
    /// Last minus first.
    pub price_change: Price,
    /// Change as a fraction of the first price.
    pub price_change_percent: Rate,
    /// Highest price.
    pub high: Price,
    /// Lowest price.
    pub low: Price,
    /// Base volume.
    pub volume: Quantity,
    /// Quote volume.
    #[serde(default)]
    pub quote_volume: Option<Notional>,
    /// Number of trades.
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "crate::model::serde_util::U64String")
    )]
    #[serde(with = "u64_string", default)]
    pub trades: u64,
}

/// One price level of a book: `[price, quantity]` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Level(pub Price, pub Quantity);

impl Level {
    /// Price of the level.
    pub fn price(&self) -> Price {
        self.0
    }

    /// Quantity resting at the level.
    pub fn quantity(&self) -> Quantity {
        self.1
    }
}

/// Order book snapshot (`GET /api/v1/depth`).
///
/// The exchange sorts **both** sides ascending by price: the best bid is the *last* bid.
/// Use [`Depth::best_bid`], [`Depth::bids_best_first`] rather than indexing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Depth {
    /// Asks, ascending by price.
    pub asks: Vec<Level>,
    /// Bids, ascending by price (best last).
    pub bids: Vec<Level>,
    /// Book sequence number (sent as a string of digits).
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "crate::model::serde_util::U64String")
    )]
    #[serde(with = "u64_string")]
    pub last_update_id: u64,
    /// Snapshot time (microseconds on the wire).
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Micros"))]
    #[serde(with = "time::micros")]
    pub timestamp: Timestamp,
}

impl Depth {
    /// Highest bid, whatever order the levels came in.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.iter().copied().max_by_key(|level| level.0)
    }

    /// Lowest ask, whatever order the levels came in.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.iter().copied().min_by_key(|level| level.0)
    }

    /// Bids from best (highest) to worst.
    pub fn bids_best_first(&self) -> Vec<Level> {
        let mut bids = self.bids.clone();
        bids.sort_by_key(|level| std::cmp::Reverse(level.0));
        bids
    }

    /// Asks from best (lowest) to worst.
    pub fn asks_best_first(&self) -> Vec<Level> {
        let mut asks = self.asks.clone();
        asks.sort_by_key(|level| level.0);
        asks
    }
}

/// One candle (`GET /api/v1/klines`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Kline {
    /// Candle open time.
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Naive"))]
    #[serde(with = "time::naive_space")]
    pub start: Timestamp,
    /// Candle close time.
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Naive"))]
    #[serde(with = "time::naive_space")]
    pub end: Timestamp,
    /// First price (absent when no trade).
    #[serde(default)]
    pub open: Option<Price>,
    /// Highest price.
    #[serde(default)]
    pub high: Option<Price>,
    /// Lowest price.
    #[serde(default)]
    pub low: Option<Price>,
    /// Last price.
    #[serde(default)]
    pub close: Option<Price>,
    /// Base volume.
    pub volume: Quantity,
    /// Quote volume.
    #[serde(default)]
    pub quote_volume: Option<Notional>,
    /// Number of trades.
    #[cfg_attr(
        feature = "schemars",
        schemars(with = "crate::model::serde_util::U64String")
    )]
    #[serde(with = "u64_string", default)]
    pub trades: u64,
}

/// One public trade (`GET /api/v1/trades`, `/trades/history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Trade {
    /// Trade id.
    pub id: TradeId,
    /// Price.
    pub price: Price,
    /// Base quantity.
    pub quantity: Quantity,
    /// Quote quantity.
    pub quote_quantity: Notional,
    /// Trade time (milliseconds on the wire).
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Millis"))]
    #[serde(with = "time::millis")]
    pub timestamp: Timestamp,
    /// Whether the buyer was the resting order (the taker sold).
    pub is_buyer_maker: bool,
}

/// Mark and index price of a market (`GET /api/v1/markPrices` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MarkPrice {
    /// Market symbol.
    pub symbol: Symbol,
    /// Current funding rate, a fraction per funding interval.
    #[serde(default)]
    pub funding_rate: Option<Rate>,
    /// Index price.
    pub index_price: Price,
    /// Mark price.
    pub mark_price: Price,
    /// Next funding time.
    #[cfg_attr(feature = "schemars", schemars(with = "Option<time::schema::Millis>"))]
    #[serde(with = "time::millis::option", default)]
    pub next_funding_timestamp: Option<Timestamp>,
}

/// A past funding rate (`GET /api/v1/fundingRates` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FundingRate {
    /// Market symbol.
    pub symbol: Symbol,
    /// End of the funding interval.
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Naive"))]
    #[serde(with = "time::naive")]
    pub interval_end_timestamp: Timestamp,
    /// Rate applied, a fraction.
    pub funding_rate: Rate,
}

/// Open interest of a market (`GET /api/v1/openInterest` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OpenInterest {
    /// Market symbol.
    pub symbol: Symbol,
    /// Open interest in base units.
    #[serde(default)]
    pub open_interest: Option<Quantity>,
    /// Time of the figure.
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Millis"))]
    #[serde(with = "time::millis")]
    pub timestamp: Timestamp,
}

/// An asset and the chains it moves on (`GET /api/v1/assets` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AssetInfo {
    /// Asset symbol.
    pub symbol: Asset,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// CoinGecko id.
    #[serde(default)]
    pub coingecko_id: Option<String>,
    /// Per-chain deposit and withdrawal rules.
    #[serde(default)]
    pub tokens: Vec<AssetToken>,
}

/// Deposit and withdrawal rules of an asset on one chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AssetToken {
    /// Display name on this chain.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Chain.
    pub blockchain: Blockchain,
    /// Token contract, if any.
    #[serde(default)]
    pub contract_address: Option<String>,
    /// Whether deposits are open.
    pub deposit_enabled: bool,
    /// Smallest deposit.
    pub minimum_deposit: Quantity,
    /// Whether withdrawals are open.
    pub withdraw_enabled: bool,
    /// Smallest withdrawal.
    pub minimum_withdrawal: Quantity,
    /// Largest withdrawal, if bounded.
    #[serde(default)]
    pub maximum_withdrawal: Option<Quantity>,
    /// Withdrawal fee.
    pub withdrawal_fee: Quantity,
}
