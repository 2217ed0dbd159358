//! Real-time 5-second bars, tick-by-tick trades and bid/ask, and market depth.

use chrono::{DateTime, Utc};
use ibapi::market_data::IgnoreSize;
use ibapi::market_data::realtime::{
    Bar as IbBar, BidAsk as IbBidAsk, MarketDepths, Trade as IbTrade, WhatToShow as IbRealtime,
};
use serde::Serialize;

use super::{Converter, EventStream, Items, Kind, Opener, per_contract, resubscribing};
use crate::boundary;
use crate::contracts::{ContractSpec, ResolvedContract};
use crate::error::Error;
use crate::market_data::{Bar, MarketData};
use crate::money::{Price, Quantity};

/// A trade, tick by tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TradeTick {
    /// When.
    pub time: DateTime<Utc>,
    /// Price.
    pub price: Price,
    /// Size.
    pub size: Quantity,
    /// Where.
    pub exchange: String,
}

/// The best bid and ask, tick by tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BidAskTick {
    /// When.
    pub time: DateTime<Utc>,
    /// Best bid.
    pub bid: Price,
    /// Best ask.
    pub ask: Price,
    /// Size at the bid.
    pub bid_size: Quantity,
    /// Size at the ask.
    pub ask_size: Quantity,
}

/// Bid or ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum BookSide {
    /// Buyers.
    Bid,
    /// Sellers.
    Ask,
}

/// A change to a depth book: apply in order. After [`DepthUpdate::Reset`] (and after a
/// reconnect, [`StreamEvent::Resumed`](super::StreamEvent::Resumed)) empty the book: it is
/// sent again from scratch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DepthUpdate {
    /// A level inserted at `position` (0 is the best), moving the others down.
    Insert {
        /// Side.
        side: BookSide,
        /// Row.
        position: i32,
        /// Price.
        price: Price,
        /// Size.
        size: Quantity,
    },
    /// The level at `position` changed.
    Update {
        /// Side.
        side: BookSide,
        /// Row.
        position: i32,
        /// Price.
        price: Price,
        /// Size.
        size: Quantity,
    },
    /// The level at `position` was removed, moving the others up.
    Delete {
        /// Side.
        side: BookSide,
        /// Row.
        position: i32,
    },
    /// The gateway reset the book: empty it.
    Reset,
}

fn time_of(time: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(time.unix_timestamp(), time.nanosecond()).unwrap_or_default()
}

impl MarketData<'_> {
    async fn contract(&self, spec: &ContractSpec) -> Result<ResolvedContract, Error> {
        self.client().contracts().resolve(spec).await
    }

    /// Real-time 5-second trade bars (midpoint bars for currencies, aggregated trades for
    /// crypto), resubscribed after a reconnect; the bars of an outage are missing (fetch
    /// them with [`bars`](Self::bars)). Dropping the stream cancels it at the gateway.
    ///
    /// # Errors
    /// Contract errors; [`Error::NoMarketDataPermission`]; [`Error::NotConnected`].
    pub async fn realtime_bars(&self, spec: &ContractSpec) -> Result<EventStream<Bar>, Error> {
        let contract = self.contract(spec).await?;
        let show = match contract.ib.security_type.to_string().as_str() {
            "CASH" => IbRealtime::MidPoint,
            "CRYPTO" => IbRealtime::AggTrades,
            _ => IbRealtime::Trades,
        };
        let open: Opener<IbBar> = per_contract(&contract, move |gateway, ib| async move {
            let bars = gateway
                .realtime_bars(&ib)
                .what_to_show(show)
                .subscribe()
                .await?;
            Ok(Box::pin(bars) as Items<IbBar>)
        });
        let convert: Converter<IbBar, Bar> = Box::new(|bar: IbBar| {
            let (Some(open), Some(high), Some(low), Some(close)) = (
                boundary::price(bar.open),
                boundary::price(bar.high),
                boundary::price(bar.low),
                boundary::price(bar.close),
            ) else {
                return Vec::new();
            };
            vec![Bar {
                time: time_of(bar.date),
                open,
                high,
                low,
                close,
                volume: boundary::from_ib(bar.volume).map(Quantity::new),
                wap: boundary::price(bar.wap).filter(|p| !p.value().is_zero()),
                count: bar.count,
            }]
        });
        resubscribing(
            self.client(),
            Kind::MarketData,
            &contract.symbol,
            open,
            convert,
        )
        .await
    }

    /// Every trade, tick by tick (one market-data line).
    ///
    /// # Errors
    /// As [`realtime_bars`](Self::realtime_bars); [`Error::SubscriptionLimit`] when the
    /// account's tick-by-tick or market-data lines are used up.
    pub async fn trade_ticks(&self, spec: &ContractSpec) -> Result<EventStream<TradeTick>, Error> {
        let contract = self.contract(spec).await?;
        let open: Opener<IbTrade> = per_contract(&contract, move |gateway, ib| async move {
            let ticks = gateway.tick_by_tick(&ib, 0).last().await?;
            Ok(Box::pin(ticks) as Items<IbTrade>)
        });
        let convert: Converter<IbTrade, TradeTick> = Box::new(|trade: IbTrade| {
            boundary::price(trade.price)
                .map(|price| TradeTick {
                    time: time_of(trade.time),
                    price,
                    size: boundary::quantity(trade.size),
                    exchange: trade.exchange,
                })
                .into_iter()
                .collect()
        });
        resubscribing(
            self.client(),
            Kind::MarketData,
            &contract.symbol,
            open,
            convert,
        )
        .await
    }

    /// The best bid and ask, tick by tick (one market-data line).
    ///
    /// # Errors
    /// As [`trade_ticks`](Self::trade_ticks).
    pub async fn bid_ask_ticks(
        &self,
        spec: &ContractSpec,
    ) -> Result<EventStream<BidAskTick>, Error> {
        let contract = self.contract(spec).await?;
        let open: Opener<IbBidAsk> = per_contract(&contract, move |gateway, ib| async move {
            let ticks = gateway.tick_by_tick(&ib, 0).bid_ask(IgnoreSize::No).await?;
            Ok(Box::pin(ticks) as Items<IbBidAsk>)
        });
        let convert: Converter<IbBidAsk, BidAskTick> = Box::new(|tick: IbBidAsk| {
            match (
                boundary::price(tick.bid_price),
                boundary::price(tick.ask_price),
            ) {
                (Some(bid), Some(ask)) => vec![BidAskTick {
                    time: time_of(tick.time),
                    bid,
                    ask,
                    bid_size: boundary::quantity(tick.bid_size),
                    ask_size: boundary::quantity(tick.ask_size),
                }],
                _ => Vec::new(),
            }
        });
        resubscribing(
            self.client(),
            Kind::MarketData,
            &contract.symbol,
            open,
            convert,
        )
        .await
    }

    /// The depth book's changes, `rows` levels a side, where the account has depth
    /// permission (one market-data line; IBKR allows three books at once).
    ///
    /// # Errors
    /// As [`trade_ticks`](Self::trade_ticks).
    pub async fn depth(
        &self,
        spec: &ContractSpec,
        rows: u8,
    ) -> Result<EventStream<DepthUpdate>, Error> {
        let contract = self.contract(spec).await?;
        let rows = i32::from(rows.clamp(1, 50));
        let open: Opener<MarketDepths> = per_contract(&contract, move |gateway, ib| async move {
            let depth = gateway.market_depth(&ib, rows).subscribe().await?;
            Ok(Box::pin(depth) as Items<MarketDepths>)
        });
        let convert: Converter<MarketDepths, DepthUpdate> = Box::new(|item: MarketDepths| {
            let (position, operation, side, level_price, size) = match item {
                MarketDepths::MarketDepth(d) => (d.position, d.operation, d.side, d.price, d.size),
                MarketDepths::MarketDepthL2(d) => {
                    (d.position, d.operation, d.side, d.price, d.size)
                }
                MarketDepths::Reset => return vec![DepthUpdate::Reset],
            };
            let side = if side == 1 {
                BookSide::Bid
            } else {
                BookSide::Ask
            };
            let update = match (operation, boundary::price(level_price)) {
                (2, _) => DepthUpdate::Delete { side, position },
                (0, Some(price)) => DepthUpdate::Insert {
                    side,
                    position,
                    price,
                    size: boundary::quantity(size),
                },
                (1, Some(price)) => DepthUpdate::Update {
                    side,
                    position,
                    price,
                    size: boundary::quantity(size),
                },
                _ => return Vec::new(),
            };
            vec![update]
        });
        resubscribing(
            self.client(),
            Kind::MarketData,
            &contract.symbol,
            open,
            convert,
        )
        .await
    }
}
