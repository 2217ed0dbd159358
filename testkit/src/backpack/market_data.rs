//! Public market data over the engine in the exchange's shapes: markets, tickers, depth,
//! trades, klines, mark prices, funding rates and open interest.

use rust_decimal::Decimal;

use super::account::flat_function;

use super::wire::{self, Dec};
use crate::engine::{Exchange, MarketKind, MarketState, Reject, Side, TradeRecord};

const DAY_MS: u64 = 86_400_000;

fn market_by_symbol<'a>(ex: &'a Exchange, symbol: &str) -> Result<&'a MarketState, Reject> {
    ex.market_index
        .get(symbol)
        .map(|id| &ex.markets[usize::from(id.0)])
        .ok_or_else(|| Reject::invalid("Invalid market symbol"))
}

fn market_view(ex: &Exchange, market: &MarketState) -> wire::Market {
    let config = &market.config;
    let (market_type, imf, mmf) = match config.kind {
        MarketKind::Spot => ("SPOT", None, None),
        MarketKind::Perp { imf, mmf } => ("PERP", Some(imf), Some(mmf)),
    };
    let perp = config.is_perp();
    wire::Market {
        symbol: config.symbol.clone(),
        base_symbol: config.base.clone(),
        quote_symbol: config.quote.clone(),
        market_type,
        filters: wire::MarketFilters {
            price: wire::PriceFilter {
                min_price: Dec(config.tick_size),
                max_price: None,
                tick_size: Dec(config.tick_size),
            },
            quantity: wire::QuantityFilter {
                min_quantity: Dec(config.min_quantity),
                max_quantity: config.max_quantity.map(Dec),
                step_size: Dec(config.step_size),
            },
        },
        imf_function: imf.map(flat_function),
        mmf_function: mmf.map(flat_function),
        funding_interval: perp.then_some(ex.config.funding_interval_ms),
        funding_rate_upper_bound: perp.then(|| Dec(Decimal::from(100))),
        funding_rate_lower_bound: perp.then(|| Dec(Decimal::from(-100))),
        open_interest_limit: None,
        order_book_state: "Open",
        created_at: wire::naive(ex.config.start_ms),
        visible: true,
    }
}

/// `GET /api/v1/markets`.
pub(crate) fn markets(ex: &Exchange, market_type: Option<&str>) -> Vec<wire::Market> {
    ex.markets
        .iter()
        .map(|market| market_view(ex, market))
        .filter(|market| market_type.is_none_or(|kind| market.market_type == kind))
        .collect()
}

/// `GET /api/v1/market`.
///
/// # Errors
/// `400 "Invalid market symbol"` for an unknown symbol.
pub(crate) fn market(ex: &Exchange, symbol: &str) -> Result<wire::Market, Reject> {
    market_by_symbol(ex, symbol).map(|market| market_view(ex, market))
}

fn ticker_view(ex: &Exchange, market: &MarketState, window_ms: u64) -> wire::Ticker {
    let since = ex.now_ms.saturating_sub(window_ms);
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
    wire::Ticker {
        symbol: market.config.symbol.clone(),
        first_price: Dec(first_price),
        last_price: Dec(market.price(last)),
        price_change: Dec(change),
        price_change_percent: Dec(if first_price.is_zero() {
            Decimal::ZERO
        } else {
            (change / first_price).round_dp(6)
        }),
        high: Dec(market.price(high)),
        low: Dec(market.price(low)),
        volume: Dec::amount(market.quantity(volume)),
        quote_volume: Dec::amount(quote_volume),
        trades: recent.len().to_string(),
    }
}

/// `GET /api/v1/ticker` over the last day, or week when `week`.
///
/// # Errors
/// `400 "Invalid market symbol"`.
pub(crate) fn ticker(ex: &Exchange, symbol: &str, week: bool) -> Result<wire::Ticker, Reject> {
    let window = if week { 7 * DAY_MS } else { DAY_MS };
    market_by_symbol(ex, symbol).map(|market| ticker_view(ex, market, window))
}

/// `GET /api/v1/tickers`.
pub(crate) fn tickers(ex: &Exchange, week: bool) -> Vec<wire::Ticker> {
    let window = if week { 7 * DAY_MS } else { DAY_MS };
    ex.markets
        .iter()
        .map(|market| ticker_view(ex, market, window))
        .collect()
}

/// `GET /api/v1/depth`: both sides **ascending** by price, as the exchange sends them.
///
/// # Errors
/// `400 "Invalid market symbol"`.
pub(crate) fn depth(
    ex: &Exchange,
    symbol: &str,
    levels: Option<usize>,
) -> Result<wire::Depth, Reject> {
    let market = market_by_symbol(ex, symbol)?;
    let levels = levels.unwrap_or(5_000);
    let level =
        |(price, steps): (i64, i64)| (Dec(market.price(price)), Dec(market.quantity(steps)));
    let asks = market.book.levels(Side::Ask, levels);
    let mut bids = market.book.levels(Side::Bid, levels);
    bids.reverse();
    Ok(wire::Depth {
        asks: asks.into_iter().map(level).collect(),
        bids: bids.into_iter().map(level).collect(),
        last_update_id: market.book.sequence().to_string(),
        timestamp: ex.now_ms.saturating_mul(1_000),
    })
}

/// `GET /api/v1/trades` (`offset` 0) and `/trades/history`: the newest trades after
/// skipping `offset`, oldest first.
///
/// # Errors
/// `400 "Invalid market symbol"`.
pub(crate) fn trades(
    ex: &Exchange,
    symbol: &str,
    limit: usize,
    offset: usize,
) -> Result<Vec<wire::Trade>, Reject> {
    let market = market_by_symbol(ex, symbol)?;
    let mut trades: Vec<wire::Trade> = market
        .trades
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        .map(|trade| wire::Trade {
            id: trade.id,
            price: Dec(market.price(trade.price)),
            quantity: Dec(market.quantity(trade.steps)),
            quote_quantity: Dec::amount(market.notional(trade.price, trade.steps)),
            timestamp: trade.timestamp_ms,
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
pub(crate) fn klines(
    ex: &Exchange,
    symbol: &str,
    interval_secs: i64,
    start_secs: i64,
    end_secs: Option<i64>,
) -> Result<Vec<wire::Kline>, Reject> {
    let market = market_by_symbol(ex, symbol)?;
    let now_secs = as_i64(ex.now_ms) / 1_000;
    // Without an end, up to now inclusive: the candle open at this second is listed too.
    let end = end_secs.unwrap_or(now_secs + 1).min(now_secs + 1);
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
                let secs = as_i64(t.timestamp_ms) / 1_000;
                secs >= open_time && secs < close_time
            })
            .collect();
        let price = |ticks: Option<i64>| ticks.map(|t| Dec(market.price(t)));
        let steps: i64 = in_candle.iter().map(|t| t.steps).sum();
        candles.push(wire::Kline {
            start: wire::naive_space(open_time),
            end: wire::naive_space(close_time),
            open: price(in_candle.first().map(|t| t.price)),
            high: price(in_candle.iter().map(|t| t.price).max()),
            low: price(in_candle.iter().map(|t| t.price).min()),
            close: price(in_candle.last().map(|t| t.price)),
            volume: Dec::amount(market.quantity(steps)),
            quote_volume: Dec::amount(
                in_candle
                    .iter()
                    .map(|t| market.notional(t.price, t.steps))
                    .sum(),
            ),
            trades: in_candle.len().to_string(),
        });
        open_time = close_time;
    }
    Ok(candles)
}

/// `GET /api/v1/markPrices`: perpetuals (mark = index = the simulated reference price).
///
/// # Errors
/// `400 "Symbol not found"` for an unknown symbol.
pub(crate) fn mark_prices(
    ex: &Exchange,
    symbol: Option<&str>,
) -> Result<Vec<wire::MarkPrice>, Reject> {
    if let Some(symbol) = symbol
        && !ex.market_index.contains_key(symbol)
    {
        return Err(Reject::invalid("Symbol not found"));
    }
    Ok(ex
        .markets
        .iter()
        .filter(|market| market.is_perp())
        .filter(|market| symbol.is_none_or(|s| s == market.config.symbol))
        .map(|market| wire::MarkPrice {
            symbol: market.config.symbol.clone(),
            funding_rate: Dec(market.funding_rate),
            index_price: Dec(market.price(market.reference)),
            mark_price: Dec(market.price(market.reference)),
            next_funding_timestamp: market.next_funding_ms,
        })
        .collect())
}

/// `GET /api/v1/fundingRates`: past rates, newest first (unknown symbol: empty).
pub(crate) fn funding_rates(
    ex: &Exchange,
    symbol: &str,
    limit: usize,
    offset: usize,
) -> Vec<wire::FundingRate> {
    let Ok(market) = market_by_symbol(ex, symbol) else {
        return Vec::new();
    };
    market
        .funding_history
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        .map(|(time, rate)| wire::FundingRate {
            symbol: market.config.symbol.clone(),
            interval_end_timestamp: wire::naive(*time),
            funding_rate: Dec(*rate),
        })
        .collect()
}

/// `GET /api/v1/openInterest`: the sum of long positions per perpetual.
pub(crate) fn open_interest(ex: &Exchange, symbol: Option<&str>) -> Vec<wire::OpenInterest> {
    ex.markets
        .iter()
        .filter(|market| market.is_perp())
        .filter(|market| symbol.is_none_or(|s| s == market.config.symbol))
        .map(|market| {
            let long: i64 = ex
                .accounts
                .iter()
                .filter_map(|a| a.positions.get(&market.id))
                .map(|p| p.net_steps.max(0))
                .sum();
            wire::OpenInterest {
                symbol: market.config.symbol.clone(),
                open_interest: Some(Dec::amount(market.quantity(long))),
                timestamp: ex.now_ms,
            }
        })
        .collect()
}

fn as_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}
