//! The engine's invariants, checkable at any time (property tests call this after every
//! operation).

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::Exchange;
use super::order::Kind;
use super::types::{Side, Status, TimeInForce};

impl Exchange {
    /// Checks every invariant and describes the first one broken:
    ///
    /// - no asset is created or destroyed: per asset, balances (available + locked −
    ///   borrowed) plus collected fees minus the cost of open perp positions quoted in it
    ///   equal what was deposited;
    /// - no available or locked balance is negative;
    /// - each account's locked balance equals what its open orders reserve;
    /// - no book is crossed after matching;
    /// - perp positions net to zero across accounts;
    /// - no fill (within the kept history) is worse than its order's limit;
    /// - a fill-or-kill order is either completely filled or not at all.
    ///
    /// # Errors
    /// A description of the broken invariant.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut totals: Vec<Decimal> = self.fees.clone();
        let mut reserved: FxHashMap<(u32, u16), Decimal> = FxHashMap::default();
        for record in self.orders.values() {
            if record.reserved < Decimal::ZERO {
                return Err(format!("order {} reserves a negative amount", record.id));
            }
            let asset = self.reserve_asset(record);
            *reserved.entry((record.account.0, asset.0)).or_default() += record.reserved;
            if record.status.is_open()
                && record.status != Status::TriggerPending
                && record.node.is_none()
            {
                return Err(format!("open order {} is not in the book", record.id));
            }
        }
        for (account_index, account) in self.accounts.iter().enumerate() {
            for (asset_index, balance) in account.balances.iter().enumerate() {
                if balance.available < Decimal::ZERO || balance.locked < Decimal::ZERO {
                    return Err(format!(
                        "account {account_index} has a negative {} balance: {balance:?}",
                        self.assets[asset_index]
                    ));
                }
                let key = (
                    u32::try_from(account_index).unwrap_or(u32::MAX),
                    u16::try_from(asset_index).unwrap_or(u16::MAX),
                );
                let expected = reserved.get(&key).copied().unwrap_or_default();
                if balance.locked != expected {
                    return Err(format!(
                        "account {account_index} has {} {} locked but its orders reserve {expected}",
                        balance.locked, self.assets[asset_index]
                    ));
                }
                totals[asset_index] += balance.available + balance.locked - balance.borrowed;
            }
            for (market, position) in &account.positions {
                let quote = self.markets[usize::from(market.0)].quote;
                totals[usize::from(quote.0)] -= position.cost;
            }
        }
        for (index, (total, deposited)) in totals.iter().zip(&self.deposited).enumerate() {
            if total != deposited {
                return Err(format!(
                    "{} is not conserved: {total} on the books, {deposited} deposited",
                    self.assets[index]
                ));
            }
        }
        for market in &self.markets {
            if let (Some(bid), Some(ask)) = market.book.top()
                && bid >= ask
            {
                return Err(format!(
                    "{} is crossed: bid {bid} >= ask {ask}",
                    market.config.symbol
                ));
            }
            if market.is_perp() {
                let net: i64 = self
                    .accounts
                    .iter()
                    .filter_map(|a| a.positions.get(&market.id))
                    .map(|p| p.net_steps)
                    .sum();
                if net != 0 {
                    return Err(format!(
                        "{} positions net to {net} steps",
                        market.config.symbol
                    ));
                }
            }
        }
        self.check_fills()
    }

    fn check_fills(&self) -> Result<(), String> {
        for account in &self.accounts {
            let records = account
                .finished
                .iter()
                .chain(self.orders.values())
                .map(|record| (record.id, record))
                .collect::<FxHashMap<_, _>>();
            for fill in &account.fills {
                let Some(record) = records.get(&fill.order_id) else {
                    continue;
                };
                if let Kind::Limit { price, .. } = record.order.kind {
                    let worse = match record.order.side {
                        Side::Bid => fill.price > price,
                        Side::Ask => fill.price < price,
                    };
                    if worse {
                        return Err(format!(
                            "order {} (limit {price}) filled at {}",
                            record.id, fill.price
                        ));
                    }
                }
            }
            for record in &account.finished {
                if let Kind::Limit {
                    tif: TimeInForce::Fok,
                    ..
                } = record.order.kind
                {
                    let complete = record.remaining() == 0 && record.status == Status::Filled;
                    if !complete && record.executed != 0 {
                        return Err(format!("fill-or-kill order {} filled partially", record.id));
                    }
                }
            }
        }
        Ok(())
    }
}
