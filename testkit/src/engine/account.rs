//! Accounts: balances per asset, perp positions, and capped logs of fills, finished orders
//! and funding payments.
//!
//! A perp position is kept as signed steps and a signed **cost** (`Σ signed quantity ×
//! price`), never as an average price: averaging divides, and division would round money
//! away. Realized PnL moves into the quote balance exactly when a position shrinks, so
//! `Σ balances − Σ position costs + fees` is conserved to the last digit.

use std::collections::VecDeque;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::order::OrderRecord;
use super::types::{AssetId, MarketId, OrderId, Side};

/// Balance of one asset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssetBalance {
    /// Free.
    pub available: Decimal,
    /// Reserved by open orders.
    pub locked: Decimal,
    /// Owed: losses settled beyond the available balance (auto-borrow).
    pub borrowed: Decimal,
    /// Lent out (reported; not tradable).
    pub lent: Decimal,
}

/// A perp position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    /// Signed size in steps: positive long.
    pub net_steps: i64,
    /// Signed cost: `Σ quantity × price` of the open part (positive for longs).
    pub cost: Decimal,
    /// Realized PnL, fees excluded.
    pub realized: Decimal,
    /// Funding received (positive) or paid.
    pub funding: Decimal,
}

/// One fill of one of the account's orders.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FillRecord {
    pub(crate) trade_id: u64,
    pub(crate) order_id: OrderId,
    pub(crate) client_id: Option<u32>,
    pub(crate) market: MarketId,
    pub(crate) side: Side,
    pub(crate) price: i64,
    pub(crate) steps: i64,
    pub(crate) fee: Decimal,
    pub(crate) fee_asset: AssetId,
    pub(crate) is_maker: bool,
    pub(crate) timestamp_ms: u64,
}

/// One funding payment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FundingRecord {
    pub(crate) market: MarketId,
    pub(crate) amount: Decimal,
    pub(crate) rate: Decimal,
    pub(crate) timestamp_ms: u64,
}

/// An account at run time.
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) balances: Vec<AssetBalance>,
    pub(crate) positions: FxHashMap<MarketId, Position>,
    pub(crate) open_by_client_id: FxHashMap<u32, OrderId>,
    pub(crate) fills: VecDeque<FillRecord>,
    pub(crate) finished: VecDeque<OrderRecord>,
    pub(crate) funding: VecDeque<FundingRecord>,
}

impl Account {
    pub(crate) fn new(assets: usize) -> Self {
        Self {
            balances: vec![AssetBalance::default(); assets],
            positions: FxHashMap::default(),
            open_by_client_id: FxHashMap::default(),
            fills: VecDeque::new(),
            finished: VecDeque::new(),
            funding: VecDeque::new(),
        }
    }

    pub(crate) fn balance(&self, asset: AssetId) -> AssetBalance {
        self.balances
            .get(usize::from(asset.0))
            .copied()
            .unwrap_or_default()
    }

    fn balance_mut(&mut self, asset: AssetId) -> &mut AssetBalance {
        let index = usize::from(asset.0);
        if index >= self.balances.len() {
            self.balances.resize(index + 1, AssetBalance::default());
        }
        &mut self.balances[index]
    }

    /// Moves `amount` from available to locked. Fails (changing nothing) if not enough.
    pub(crate) fn lock(&mut self, asset: AssetId, amount: Decimal) -> bool {
        let balance = self.balance_mut(asset);
        if balance.available < amount {
            return false;
        }
        balance.available -= amount;
        balance.locked += amount;
        true
    }

    /// Moves `amount` from locked back to available.
    pub(crate) fn unlock(&mut self, asset: AssetId, amount: Decimal) {
        let balance = self.balance_mut(asset);
        balance.locked -= amount;
        balance.available += amount;
    }

    /// Spends `amount` out of locked (a reserved order paying).
    pub(crate) fn spend_locked(&mut self, asset: AssetId, amount: Decimal) {
        self.balance_mut(asset).locked -= amount;
    }

    /// Spends `amount` out of available; what is missing is borrowed (perp losses and fees).
    pub(crate) fn debit(&mut self, asset: AssetId, amount: Decimal) {
        let balance = self.balance_mut(asset);
        if balance.available >= amount {
            balance.available -= amount;
        } else {
            balance.borrowed += amount - balance.available;
            balance.available = Decimal::ZERO;
        }
    }

    /// Adds `amount`, repaying borrowed first.
    pub(crate) fn credit(&mut self, asset: AssetId, amount: Decimal) {
        let balance = self.balance_mut(asset);
        let repay = amount.min(balance.borrowed);
        balance.borrowed -= repay;
        balance.available += amount - repay;
    }

    /// Sets a starting balance.
    pub(crate) fn deposit(&mut self, asset: AssetId, available: Decimal, lent: Decimal) {
        let balance = self.balance_mut(asset);
        balance.available += available;
        balance.lent += lent;
    }

    /// Applies a perp fill of `signed_steps` (positive buys) at `price`; `notional` is the
    /// unsigned `price × quantity`. Returns the realized PnL, to be settled by the caller.
    pub(crate) fn apply_perp_fill(
        &mut self,
        market: MarketId,
        signed_steps: i64,
        notional: Decimal,
        step_notional: impl Fn(i64) -> Decimal,
    ) -> Decimal {
        let position = self.positions.entry(market).or_default();
        let mut realized = Decimal::ZERO;
        let mut opening_steps = signed_steps;
        let mut opening_notional = notional;
        let reducing =
            position.net_steps != 0 && position.net_steps.signum() != signed_steps.signum();
        if reducing {
            let closed = signed_steps.abs().min(position.net_steps.abs());
            // Cost of the closed part, rounded once; the remaining cost is what is left, so
            // nothing is lost to rounding.
            let closed_cost = if closed == position.net_steps.abs() {
                position.cost
            } else {
                (position.cost * Decimal::from(closed) / Decimal::from(position.net_steps.abs()))
                    .round_dp(12)
            };
            let closed_notional = step_notional(closed);
            // Long closed by a sale: proceeds − cost; short closed by a purchase: cost − outlay
            // (cost is negative for shorts).
            realized = if position.net_steps > 0 {
                closed_notional - closed_cost
            } else {
                -closed_notional - closed_cost
            };
            position.cost -= closed_cost;
            position.net_steps += closed * signed_steps.signum();
            position.realized += realized;
            opening_steps = signed_steps - closed * signed_steps.signum();
            opening_notional = notional - closed_notional;
        }
        if opening_steps != 0 {
            position.net_steps += opening_steps;
            position.cost += opening_notional * Decimal::from(opening_steps.signum());
        }
        if position.net_steps == 0 {
            position.cost = Decimal::ZERO;
        }
        realized
    }

    /// Pushes onto a capped log.
    pub(crate) fn log<T>(log: &mut VecDeque<T>, item: T, cap: usize) {
        if log.len() >= cap {
            log.pop_front();
        }
        log.push_back(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps_at(price: Decimal) -> impl Fn(i64) -> Decimal {
        move |steps| Decimal::from(steps) * price
    }

    #[test]
    fn perp_costs_and_realized_pnl() {
        let mut account = Account::new(1);
        let m = MarketId(0);
        // Long 2 at 100.
        assert_eq!(
            account.apply_perp_fill(m, 2, Decimal::from(200), steps_at(Decimal::from(100))),
            Decimal::ZERO
        );
        // Sell 1 at 110: +10 realized, 1 left at cost 100.
        let realized =
            account.apply_perp_fill(m, -1, Decimal::from(110), steps_at(Decimal::from(110)));
        assert_eq!(realized, Decimal::from(10));
        assert_eq!(account.positions[&m].cost, Decimal::from(100));
        // Sell 3 at 90: closes 1 (−10), opens short 2 at 90 (cost −180).
        let realized =
            account.apply_perp_fill(m, -3, Decimal::from(270), steps_at(Decimal::from(90)));
        assert_eq!(realized, Decimal::from(-10));
        let position = account.positions[&m];
        assert_eq!(position.net_steps, -2);
        assert_eq!(position.cost, Decimal::from(-180));
        // Buy 2 at 80: short closes with +20.
        let realized =
            account.apply_perp_fill(m, 2, Decimal::from(160), steps_at(Decimal::from(80)));
        assert_eq!(realized, Decimal::from(20));
        assert_eq!(
            account.positions[&m],
            Position {
                net_steps: 0,
                cost: Decimal::ZERO,
                realized: Decimal::from(20),
                funding: Decimal::ZERO
            }
        );
    }

    #[test]
    fn debits_borrow_and_credits_repay() {
        let mut account = Account::new(1);
        let usdc = AssetId(0);
        account.deposit(usdc, Decimal::from(5), Decimal::ZERO);
        account.debit(usdc, Decimal::from(8));
        assert_eq!(account.balance(usdc).available, Decimal::ZERO);
        assert_eq!(account.balance(usdc).borrowed, Decimal::from(3));
        account.credit(usdc, Decimal::from(4));
        assert_eq!(account.balance(usdc).borrowed, Decimal::ZERO);
        assert_eq!(account.balance(usdc).available, Decimal::from(1));
        assert!(!account.lock(usdc, Decimal::from(2)));
        assert!(account.lock(usdc, Decimal::from(1)));
        assert_eq!(account.balance(usdc).locked, Decimal::from(1));
    }
}
