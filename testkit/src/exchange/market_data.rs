//! Public market data in the exchange's wire shapes.

use rust_decimal::Decimal;

use backpack_sdk::model::{
    Depth, FundingRate, Kline, Level, MarginFunction, MarkPrice, Market, MarketFilters, MarketType,
    Notional, OpenInterest, OrderBookState, Price, PriceFilter, Quantity, QuantityFilter, Rate,
    Ticker, Timestamp, Trade, TradeId,
};

use super::Exchange;
use super::market::{MarketKind, MarketState, TradeRecord};
use super::types::{Reject, Side};
use super::views::{amount, millis};

const DAY_MS: u64 = 86_400_000;

impl Exchange {
    fn market_by_symbol(&self, symbol: &str) -> Result<&MarketState, Reject> {
        self.market_index
            .get(symbol)
            .map(|id| &self.markets[usize::from(id.0)])
            .ok_or_else(|| Reject::invalid("Invalid market symbol"))
    }

    fn market_view(&self, market: &MarketState) -> Market {
        let config = &market.config;
        let (market_type, imf, mmf) = match config.kind {
            MarketKind::Spot => (MarketType::Spot, None, None),
            MarketKind::Perp { imf, mmf } => (MarketType::Perp, Some(imf), Some(mmf)),
        };
        let function = |base: Option<Decimal>| {
            base.map(|base| MarginFunction {
                kind: "sqrt".into(),
                base: Some(Rate::new(base)),
                factor: Some(Rate::ZERO),
            })
        };
        Market {
            symbol: config.symbol.as_str().into(),
            base_symbol: config.base.as_str().into(),
            quote_symbol: config.quote.as_str().into(),
            market_type,
            rwa_market_type: None,
            filters: MarketFilters {
                price: PriceFilter::new(Price::new(config.tick_size), Price::new(config.tick_size)),
                quantity: QuantityFilter {
                    min_quantity: Quantity::new(config.min_quantity),
                    max_quantity: config.max_quantity.map(Quantity::new),
                    step_size: Quantity::new(config.step_size),
                },
            },
            imf_function: function(imf),
            mmf_function: function(mmf),
            funding_interval: config.is_perp().then_some(self.config.funding_interval_ms),
            funding_rate_upper_bound: config.is_perp().then(|| Rate::from(100)),
            funding_rate_lower_bound: config.is_perp().then(|| Rate::new(Decimal::from(-100))),
            open_interest_limit: None,
            order_book_state: OrderBookState::Open,
            created_at: Some(Timestamp::from_millis(millis(self.config.start_ms))),
            visible: Some(true),
            position_limit_weight: None,
        }
    }

    /// `GET /api/v1/markets`.
    pub fn markets_view(&self, market_type: Option<&MarketType>) -> Vec<Market> {
        self.markets
            .iter()
            .map(|market| self.market_view(market))
            .filter(|market| market_type.is_none_or(|kind| &market.market_type == kind))
            .collect()
    }

    /// `GET /api/v1/market`.
    ///
    /// # Errors
    /// `400 "Invalid market symbol"` for an unknown symbol.
    pub fn market_info(&self, symbol: &str) -> Result<Market, Reject> {
        self.market_by_symbol(symbol)
            .map(|market| self.market_view(market))
    }

    fn ticker_view(&self, market: &MarketState, window_ms: u64) -> Ticker {
        let since = self.now_ms.saturating_sub(window_ms);
        let recent: Vec<&TradeRecord> = market
            .trades
            .iter()
            .filter(|trade| trade.timestamp_ms >= since)
            .collect();
        let last = market.last.unwrap_or(market.reference);
        let first = recent.first().map_or(last, |trade| trade.price);
        let high = recent.iter().map(|t| t.price).max().unwrap_or(last);
        let low = recent.iter().map(|t| t.price).min().unwrap_or(last);
        let volume: i64 = recent.iter().map(|t| t.steps).sum();
        let quote_volume: Decimal = recent
            .iter()
            .map(|t| market.notional(t.price, t.steps))
            .sum();
        let first_price = market.price(first);
        let change = market.price(last) - first_price;
        Ticker {
            symbol: market.config.symbol.as_str().into(),
            first_price: Price::new(first_price),
            last_price: Price::new(market.price(last)),
            price_change: Price::new(change),
            price_change_percent: Rate::new(if first_price.is_zero() {
                Decimal::ZERO
            } else {
                (change / first_price).round_dp(6)
            }),
            high: Price::new(market.price(high)),
            low: Price::new(market.price(low)),
            volume: Quantity::new(amount(market.quantity(volume))),
            quote_volume: Some(Notional::new(amount(quote_volume))),
            trades: u64::try_from(recent.len()).unwrap_or(u64::MAX),
        }
    }

    /// `GET /api/v1/ticker` over the last day, or week when `week`.
    ///
    /// # Errors
    /// `400 "Invalid market symbol"`.
    pub fn ticker(&self, symbol: &str, week: bool) -> Result<Ticker, Reject> {
        let window = if week { 7 * DAY_MS } else { DAY_MS };
        self.market_by_symbol(symbol)
            .map(|market| self.ticker_view(market, window))
    }

    /// `GET /api/v1/tickers`.
    pub fn tickers(&self, week: bool) -> Vec<Ticker> {
        let window = if week { 7 * DAY_MS } else { DAY_MS };
        self.markets
            .iter()
            .map(|market| self.ticker_view(market, window))
            .collect()
    }

    /// `GET /api/v1/depth`: both sides **ascending** by price, as the exchange sends them.
    ///
    /// # Errors
    /// `400 "Invalid market symbol"`.
    pub fn depth(&self, symbol: &str, levels: Option<usize>) -> Result<Depth, Reject> {
        let market = self.market_by_symbol(symbol)?;
        let levels = levels.unwrap_or(5_000);
        let level = |(price, steps): (i64, i64)| {
            Level(
                Price::new(market.price(price)),
                Quantity::new(market.quantity(steps)),
            )
        };
        let asks = market.book.levels(Side::Ask, levels);
        let mut bids = market.book.levels(Side::Bid, levels);
        bids.reverse();
        Ok(Depth {
            asks: asks.into_iter().map(level).collect(),
            bids: bids.into_iter().map(level).collect(),
            last_update_id: market.book.sequence(),
            timestamp: Timestamp::from_micros(millis(self.now_ms).saturating_mul(1_000)),
        })
    }

    /// `GET /api/v1/trades` (`offset` 0) and `/trades/history`: the newest trades after
    /// skipping `offset`, oldest first.
    ///
    /// # Errors
    /// `400 "Invalid market symbol"`.
    pub fn trades(&self, symbol: &str, limit: usize, offset: usize) -> Result<Vec<Trade>, Reject> {
        let market = self.market_by_symbol(symbol)?;
        let mut trades: Vec<Trade> = market
            .trades
            .iter()
            .rev()
            .skip(offset)
            .take(limit)
            .map(|trade| Trade {
                id: TradeId(trade.id),
                price: Price::new(market.price(trade.price)),
                quantity: Quantity::new(market.quantity(trade.steps)),
                quote_quantity: Notional::new(amount(market.notional(trade.price, trade.steps))),
                timestamp: Timestamp::from_millis(millis(trade.timestamp_ms)),
                is_buyer_maker: trade.buyer_is_maker,
            })
            .collect();
        trades.reverse();
        Ok(trades)
    }

    /// `GET /api/v1/klines`: candles of `interval_secs` from the recorded trades, from
    /// `start_secs` to `end_secs` (or now), at most 1000; empty candles have no prices.
    ///
    /// # Errors
    /// `400 "Invalid market symbol"`; `400` for an empty range.
    pub fn klines(
        &self,
        symbol: &str,
        interval_secs: i64,
        start_secs: i64,
        end_secs: Option<i64>,
    ) -> Result<Vec<Kline>, Reject> {
        let market = self.market_by_symbol(symbol)?;
        let now_secs = millis(self.now_ms) / 1_000;
        let end = end_secs.unwrap_or(now_secs).min(now_secs);
        if interval_secs <= 0 || start_secs >= end {
            return Err(Reject::invalid("Invalid time range"));
        }
        let first = start_secs - start_secs.rem_euclid(interval_secs);
        let mut candles = Vec::new();
        let mut open_time = first;
        while open_time < end && candles.len() < 1_000 {
            let close_time = open_time + interval_secs;
            let in_candle: Vec<&TradeRecord> = market
                .trades
                .iter()
                .filter(|t| {
                    let secs = millis(t.timestamp_ms) / 1_000;
                    secs >= open_time && secs < close_time
                })
                .collect();
            let price = |ticks: Option<i64>| ticks.map(|t| Price::new(market.price(t)));
            let steps: i64 = in_candle.iter().map(|t| t.steps).sum();
            candles.push(Kline {
                start: Timestamp::from_secs(open_time),
                end: Timestamp::from_secs(close_time),
                open: price(in_candle.first().map(|t| t.price)),
                high: price(in_candle.iter().map(|t| t.price).max()),
                low: price(in_candle.iter().map(|t| t.price).min()),
                close: price(in_candle.last().map(|t| t.price)),
                volume: Quantity::new(amount(market.quantity(steps))),
                quote_volume: Some(Notional::new(amount(
                    in_candle
                        .iter()
                        .map(|t| market.notional(t.price, t.steps))
                        .sum(),
                ))),
                trades: u64::try_from(in_candle.len()).unwrap_or(u64::MAX),
            });
            open_time = close_time;
        }
        Ok(candles)
    }

    /// `GET /api/v1/markPrices`: perpetuals (mark = index = the simulated reference price).
    ///
    /// # Errors
    /// `400 "Symbol not found"` for an unknown symbol.
    pub fn mark_prices(&self, symbol: Option<&str>) -> Result<Vec<MarkPrice>, Reject> {
        if let Some(symbol) = symbol
            && !self.market_index.contains_key(symbol)
        {
            return Err(Reject::invalid("Symbol not found"));
        }
        Ok(self
            .markets
            .iter()
            .filter(|market| market.is_perp())
            .filter(|market| symbol.is_none_or(|s| s == market.config.symbol))
            .map(|market| MarkPrice {
                symbol: market.config.symbol.as_str().into(),
                funding_rate: Some(Rate::new(market.funding_rate)),
                index_price: Price::new(market.price(market.reference)),
                mark_price: Price::new(market.price(market.reference)),
                next_funding_timestamp: Some(Timestamp::from_millis(millis(
                    market.next_funding_ms,
                ))),
            })
            .collect())
    }

    /// `GET /api/v1/fundingRates`: past rates, newest first (unknown symbol: empty).
    pub fn funding_rates(&self, symbol: &str, limit: usize, offset: usize) -> Vec<FundingRate> {
        let Ok(market) = self.market_by_symbol(symbol) else {
            return Vec::new();
        };
        market
            .funding_history
            .iter()
            .rev()
            .skip(offset)
            .take(limit)
            .map(|(time, rate)| FundingRate {
                symbol: market.config.symbol.as_str().into(),
                interval_end_timestamp: Timestamp::from_millis(millis(*time)),
                funding_rate: Rate::new(*rate),
            })
            .collect()
    }

    /// `GET /api/v1/openInterest`: the sum of long positions per perpetual.
    pub fn open_interest(&self, symbol: Option<&str>) -> Vec<OpenInterest> {
        self.markets
            .iter()
            .filter(|market| market.is_perp())
            .filter(|market| symbol.is_none_or(|s| s == market.config.symbol))
            .map(|market| {
                let long: i64 = self
                    .accounts
                    .iter()
                    .filter_map(|a| a.positions.get(&market.id))
                    .map(|p| p.net_steps.max(0))
                    .sum();
                OpenInterest {
                    symbol: market.config.symbol.as_str().into(),
                    open_interest: Some(Quantity::new(amount(market.quantity(long)))),
                    timestamp: Timestamp::from_millis(millis(self.now_ms)),
                }
            })
            .collect()
    }
}
