//! Markets driven from outside: paper trading on a real exchange's prices.
//!
//! A market with no simulated maker and no volatility stands still until it is fed. The
//! feed mirrors a real order book as resting orders of one feed account (one order per
//! price level, replaced when the level changes), moves the reference price with the real
//! one and records the real trades. Customers' orders match against the mirrored levels in
//! the engine as they would against the simulated ones: a resting order fills when the fed
//! book reaches its price. The feed account's own changes are not streamed.

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::market::TradeRecord;
use super::order::NewOrder;
use super::types::{MarketId, OrderId, Reject, Side, Stp};
use super::{Account, Exchange};

/// The feed account's key.
pub const FEED_KEY: &str = "testkit-paper-feed";
/// What the feed account holds of every asset (it must never run out).
const FEED_BALANCE: i64 = 1_000_000_000_000;
/// Trades kept per market.
const TRADES_KEPT: usize = 1_000;

/// The feed's resting orders, by market, side and price.
#[derive(Debug, Default)]
pub(crate) struct Feed {
    levels: FxHashMap<(MarketId, bool, i64), OrderId>,
}

impl Exchange {
    fn feed_account(&mut self) -> Result<super::AccountId, Reject> {
        if let Some(id) = self.account_id(FEED_KEY) {
            return Ok(id);
        }
        let balances: Vec<(String, Decimal)> = self
            .assets
            .iter()
            .map(|asset| (asset.clone(), Decimal::from(FEED_BALANCE)))
            .collect();
        let borrowed: Vec<(&str, Decimal)> =
            balances.iter().map(|(a, d)| (a.as_str(), *d)).collect();
        let id = self
            .add_account(FEED_KEY, &borrowed)
            .map_err(|error| Reject::invalid(error.to_string()))?;
        self.feed_id = Some(id);
        Ok(id)
    }

    /// Sets the quantity at one price of the mirrored book (`steps` 0 removes the level).
    /// A level that crosses customers' resting orders trades with them first, at their
    /// prices; one that crosses a stale mirrored level on the other side replaces it.
    ///
    /// # Errors
    /// [`Reject`] for an unknown market.
    pub fn set_external_level(
        &mut self,
        market: MarketId,
        side: Side,
        price: i64,
        steps: i64,
    ) -> Result<(), Reject> {
        if self.markets.get(usize::from(market.0)).is_none() {
            return Err(Reject::not_found("Market not found"));
        }
        let feed = self.feed_account()?;
        let key = (market, side == Side::Ask, price);
        if let Some(id) = self.feed.levels.remove(&key) {
            self.cancel_open(id);
        }
        if steps <= 0 || price <= 0 {
            return Ok(());
        }
        let mut order = NewOrder::limit(market, side, price, steps);
        order.stp = Stp::RejectMaker;
        let id = self.place(feed, order)?;
        if self.orders.contains_key(&id) {
            self.feed.levels.insert(key, id);
        }
        Ok(())
    }

    /// Removes every mirrored level of a market (before a fresh snapshot).
    pub fn clear_external_levels(&mut self, market: MarketId) {
        let keys: Vec<_> = self
            .feed
            .levels
            .keys()
            .filter(|(m, _, _)| *m == market)
            .copied()
            .collect();
        for key in keys {
            if let Some(id) = self.feed.levels.remove(&key) {
                self.cancel_open(id);
            }
        }
    }

    /// Moves the reference (mark and index) price, firing the triggers it crosses.
    pub fn set_reference_price(&mut self, market: MarketId, price: i64) {
        let Some(state) = self.markets.get_mut(usize::from(market.0)) else {
            return;
        };
        if price <= 0 || state.reference == price {
            return;
        }
        let range = (state.reference.min(price), state.reference.max(price));
        state.reference = price;
        self.run_triggers(market, Some(range));
    }

    /// Records a trade that happened on the real exchange (last price, trade history).
    pub fn record_external_trade(
        &mut self,
        market: MarketId,
        id: u64,
        price: i64,
        steps: i64,
        buyer_is_maker: bool,
        timestamp_ms: u64,
    ) {
        let Some(state) = self.markets.get_mut(usize::from(market.0)) else {
            return;
        };
        state.last = Some(price);
        Account::log(
            &mut state.trades,
            TradeRecord {
                id,
                price,
                steps,
                timestamp_ms,
                buyer_is_maker,
            },
            TRADES_KEPT,
        );
        self.run_triggers(market, None);
    }
}
