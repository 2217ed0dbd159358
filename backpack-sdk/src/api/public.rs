//! Public market-data endpoints (no signature).

use serde::Serialize;

use super::{DecodeError, Method, Request, json_request};
use crate::model::{
    AssetInfo, DepthLimit, FundingRate, Kline, KlineInterval, KlinePriceType, MarkPrice, Market,
    MarketType, OpenInterest, Status, Symbol, Ticker, TickerInterval, Timestamp, Trade,
};

/// `GET /api/v1/status`: whether the exchange is up or in maintenance.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetStatus {}
json_request!(GetStatus => Status, Get "/api/v1/status", instruction: None);

/// `GET /api/v1/ping`: answers the text `pong`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ping {}

impl Request for Ping {
    type Response = ();
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/ping";
    const INSTRUCTION: Option<&'static str> = None;

    fn decode(_status: u16, body: &[u8]) -> Result<(), DecodeError> {
        let text = std::str::from_utf8(body).map_err(DecodeError::root)?;
        match text.trim().trim_matches('"') {
            "pong" => Ok(()),
            other => Err(DecodeError::root(format!(
                "expected `pong`, got `{}`",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }
}

/// `GET /api/v1/time`: the server clock, as plain-text milliseconds (not JSON).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetTime {}

impl Request for GetTime {
    type Response = Timestamp;
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/time";
    const INSTRUCTION: Option<&'static str> = None;

    fn decode(_status: u16, body: &[u8]) -> Result<Timestamp, DecodeError> {
        let text = std::str::from_utf8(body).map_err(DecodeError::root)?;
        text.trim()
            .parse::<i64>()
            .map(Timestamp::from_millis)
            .map_err(|_| {
                DecodeError::root(format!(
                    "expected milliseconds, got `{}`",
                    text.chars().take(40).collect::<String>()
                ))
            })
    }
}

/// `GET /api/v1/assets`: assets and the chains they move on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetAssets {}
json_request!(GetAssets => Vec<AssetInfo>, Get "/api/v1/assets", instruction: None);

/// `GET /api/v1/markets`: every market, optionally of one type.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMarkets {
    /// Only markets of this type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_type: Option<MarketType>,
}
json_request!(GetMarkets => Vec<Market>, Get "/api/v1/markets", instruction: None);

/// `GET /api/v1/market`: one market.
#[derive(Debug, Clone, Serialize)]
pub struct GetMarket {
    /// Market symbol.
    pub symbol: Symbol,
}
json_request!(GetMarket => Market, Get "/api/v1/market", instruction: None);

/// `GET /api/v1/ticker`: statistics of one market.
#[derive(Debug, Clone, Serialize)]
pub struct GetTicker {
    /// Market symbol.
    pub symbol: Symbol,
    /// Statistics window (exchange default: one day).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<TickerInterval>,
}
json_request!(GetTicker => Ticker, Get "/api/v1/ticker", instruction: None);

/// `GET /api/v1/tickers`: statistics of every market.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetTickers {
    /// Statistics window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<TickerInterval>,
}
json_request!(GetTickers => Vec<Ticker>, Get "/api/v1/tickers", instruction: None);

/// `GET /api/v1/depth`: order book snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct GetDepth {
    /// Market symbol.
    pub symbol: Symbol,
    /// Levels per side (exchange default: all, up to ~5000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<DepthLimit>,
}
json_request!(GetDepth => crate::model::Depth, Get "/api/v1/depth", instruction: None);

/// `GET /api/v1/klines`: candles. Times are whole seconds on the wire.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetKlines {
    /// Market symbol.
    pub symbol: Symbol,
    /// Candle width.
    pub interval: KlineInterval,
    /// First candle's start, seconds since the epoch.
    pub start_time: i64,
    /// Last candle's end, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Price series (exchange default: last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_type: Option<KlinePriceType>,
}

impl GetKlines {
    /// Candles of `symbol` from `start` on.
    pub fn new(symbol: impl Into<Symbol>, interval: KlineInterval, start: Timestamp) -> Self {
        Self {
            symbol: symbol.into(),
            interval,
            start_time: start.as_secs(),
            end_time: None,
            price_type: None,
        }
    }

    /// Up to `end`.
    #[must_use]
    pub fn end(mut self, end: Timestamp) -> Self {
        self.end_time = Some(end.as_secs());
        self
    }

    /// Of another price series.
    #[must_use]
    pub fn price_type(mut self, price_type: KlinePriceType) -> Self {
        self.price_type = Some(price_type);
        self
    }
}
json_request!(GetKlines => Vec<Kline>, Get "/api/v1/klines", instruction: None);

/// `GET /api/v1/trades`: most recent public trades.
#[derive(Debug, Clone, Serialize)]
pub struct GetRecentTrades {
    /// Market symbol.
    pub symbol: Symbol,
    /// How many (default 100, max 1000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u16>,
}
json_request!(GetRecentTrades => Vec<Trade>, Get "/api/v1/trades", instruction: None);

/// `GET /api/v1/trades/history`: older public trades, paged.
#[derive(Debug, Clone, Serialize)]
pub struct GetTradeHistory {
    /// Market symbol.
    pub symbol: Symbol,
    /// Page size (default 100, max 1000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u16>,
    /// Rows to skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}
json_request!(GetTradeHistory => Vec<Trade>, Get "/api/v1/trades/history", instruction: None);

/// `GET /api/v1/markPrices`: mark, index and funding of perpetuals.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetMarkPrices {
    /// One market only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Markets of one type only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_type: Option<MarketType>,
}
json_request!(GetMarkPrices => Vec<MarkPrice>, Get "/api/v1/markPrices", instruction: None);

/// `GET /api/v1/fundingRates`: past funding rates of a perpetual, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct GetFundingRates {
    /// Market symbol.
    pub symbol: Symbol,
    /// Page size (default 100, max 10000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Rows to skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}
json_request!(GetFundingRates => Vec<FundingRate>, Get "/api/v1/fundingRates", instruction: None);

/// `GET /api/v1/openInterest`: open interest of perpetuals.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GetOpenInterest {
    /// One market only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
}
json_request!(GetOpenInterest => Vec<OpenInterest>, Get "/api/v1/openInterest", instruction: None);
