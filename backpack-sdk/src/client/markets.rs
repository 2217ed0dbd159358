//! Public market data (no credentials needed).

use super::Client;
use crate::api::public::{
    GetAssets, GetDepth, GetFundingRates, GetKlines, GetMarkPrices, GetMarket, GetMarkets,
    GetOpenInterest, GetRecentTrades, GetStatus, GetTicker, GetTickers, GetTime, GetTradeHistory,
    Ping,
};
use crate::error::Error;
use crate::model::{
    AssetInfo, Depth, DepthLimit, FundingRate, Kline, MarkPrice, Market, MarketType, OpenInterest,
    Status, Symbol, Ticker, TickerInterval, Timestamp, Trade,
};

/// Public market data. Get one with [`Client::markets`].
///
/// # References
/// <https://docs.backpack.exchange/#tag/Markets>
#[derive(Debug, Clone, Copy)]
pub struct Markets<'a> {
    client: &'a Client,
}

impl<'a> Markets<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Exchange status (`Ok` or `Maintenance`).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn status(&self) -> Result<Status, Error> {
        self.client.execute(&GetStatus {}).await
    }

    /// Round trip to the exchange (`pong`).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn ping(&self) -> Result<(), Error> {
        self.client.execute(&Ping {}).await
    }

    /// The server's clock.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn time(&self) -> Result<Timestamp, Error> {
        self.client.execute(&GetTime {}).await
    }

    /// Assets and their chains.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn assets(&self) -> Result<Vec<AssetInfo>, Error> {
        self.client.execute(&GetAssets {}).await
    }

    /// Every market, or only those of `market_type`.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn list(&self, market_type: Option<MarketType>) -> Result<Vec<Market>, Error> {
        self.client.execute(&GetMarkets { market_type }).await
    }

    /// One market with its filters.
    ///
    /// # Errors
    /// See [`Client::execute`]; an unknown symbol is an [`Error::Api`].
    pub async fn get(&self, symbol: impl Into<Symbol>) -> Result<Market, Error> {
        self.client
            .execute(&GetMarket {
                symbol: symbol.into(),
            })
            .await
    }

    /// Statistics of one market over `interval` (default one day).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn ticker(
        &self,
        symbol: impl Into<Symbol>,
        interval: Option<TickerInterval>,
    ) -> Result<Ticker, Error> {
        self.client
            .execute(&GetTicker {
                symbol: symbol.into(),
                interval,
            })
            .await
    }

    /// Statistics of every market.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn tickers(&self, interval: Option<TickerInterval>) -> Result<Vec<Ticker>, Error> {
        self.client.execute(&GetTickers { interval }).await
    }

    /// Order book snapshot (both sides ascending; use [`Depth::best_bid`]).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn depth(
        &self,
        symbol: impl Into<Symbol>,
        limit: Option<DepthLimit>,
    ) -> Result<Depth, Error> {
        self.client
            .execute(&GetDepth {
                symbol: symbol.into(),
                limit,
            })
            .await
    }

    /// Candles (build the query with [`GetKlines::new`]).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn klines(&self, query: &GetKlines) -> Result<Vec<Kline>, Error> {
        self.client.execute(query).await
    }

    /// Most recent public trades (`limit` up to 1000).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn recent_trades(
        &self,
        symbol: impl Into<Symbol>,
        limit: Option<u16>,
    ) -> Result<Vec<Trade>, Error> {
        self.client
            .execute(&GetRecentTrades {
                symbol: symbol.into(),
                limit,
            })
            .await
    }

    /// Older public trades, paged.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn trade_history(
        &self,
        symbol: impl Into<Symbol>,
        limit: Option<u16>,
        offset: Option<u64>,
    ) -> Result<Vec<Trade>, Error> {
        self.client
            .execute(&GetTradeHistory {
                symbol: symbol.into(),
                limit,
                offset,
            })
            .await
    }

    /// Mark prices, index prices and funding rates.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn mark_prices(&self, query: &GetMarkPrices) -> Result<Vec<MarkPrice>, Error> {
        self.client.execute(query).await
    }

    /// Past funding rates of a perpetual, newest first.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn funding_rates(
        &self,
        symbol: impl Into<Symbol>,
        limit: Option<u32>,
        offset: Option<u64>,
    ) -> Result<Vec<FundingRate>, Error> {
        self.client
            .execute(&GetFundingRates {
                symbol: symbol.into(),
                limit,
                offset,
            })
            .await
    }

    /// Open interest of perpetuals (one or all).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn open_interest(&self, symbol: Option<Symbol>) -> Result<Vec<OpenInterest>, Error> {
        self.client.execute(&GetOpenInterest { symbol }).await
    }
}
