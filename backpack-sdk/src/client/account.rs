//! Account settings, balances and positions (signed).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::Client;
use crate::api::account::{
    GetAccount, GetBalances, GetBorrowLendPositions, GetCollateral, GetMaxOrderQuantity,
    GetPositions, UpdateAccount,
};
use crate::error::Error;
use crate::model::{
    AccountSettings, Asset, BalanceWithLent, Balances, BorrowLendPosition, Collateral,
    FuturePosition, MaxOrderQuantity, Quantity, Symbol,
};

/// Account settings, balances and positions. Get one with [`Client::account`].
///
/// # References
/// <https://docs.backpack.exchange/#tag/Account>, <https://docs.backpack.exchange/#tag/Capital>
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    client: &'a Client,
}

impl<'a> Account<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Settings and fee tier.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn settings(&self) -> Result<AccountSettings, Error> {
        self.client.execute(&GetAccount {}).await
    }

    /// Changes settings (fields left `None` are kept).
    ///
    /// # Errors
    /// See [`Client::execute`]; a timeout is an unknown outcome.
    pub async fn update(&self, update: &UpdateAccount) -> Result<(), Error> {
        self.client.execute(update).await
    }

    /// Available, locked and staked per asset.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn balances(&self) -> Result<Balances, Error> {
        self.client.execute(&GetBalances {}).await
    }

    /// Margin summary, with lent quantities per asset.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn collateral(&self) -> Result<Collateral, Error> {
        self.client.execute(&GetCollateral::default()).await
    }

    /// Open perpetual positions, of one market or all.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn positions(&self, symbol: Option<Symbol>) -> Result<Vec<FuturePosition>, Error> {
        self.client.execute(&GetPositions { symbol }).await
    }

    /// Borrow and lend positions.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn borrow_lend_positions(&self) -> Result<Vec<BorrowLendPosition>, Error> {
        self.client.execute(&GetBorrowLendPositions {}).await
    }

    /// The largest order the account can place now.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn max_order_quantity(
        &self,
        query: &GetMaxOrderQuantity,
    ) -> Result<MaxOrderQuantity, Error> {
        self.client.execute(query).await
    }

    /// Every asset's available, locked, staked **and lent** quantity, sorted by asset.
    ///
    /// `/capital` does not include lent amounts; they come from the collateral endpoint's
    /// `lendQuantity`. Both are fetched concurrently and merged; an asset that is only lent
    /// appears too.
    ///
    /// # Errors
    /// See [`Client::execute`] (either request failing fails the call).
    pub async fn balances_with_lent(&self) -> Result<Vec<BalanceWithLent>, Error> {
        let (balances, collateral) = tokio::join!(self.balances(), self.collateral());
        Ok(merge_lent(&balances?, &collateral?))
    }
}

/// Adds each asset's lent quantity to its balance.
pub(crate) fn merge_lent(balances: &Balances, collateral: &Collateral) -> Vec<BalanceWithLent> {
    let mut merged: BTreeMap<Asset, BalanceWithLent> = BTreeMap::new();
    let zero = Quantity::ZERO;
    for (asset, balance) in balances.iter() {
        merged.insert(
            asset.clone(),
            BalanceWithLent {
                asset: asset.clone(),
                available: balance.available,
                locked: balance.locked,
                staked: balance.staked,
                lent: zero,
                total: zero,
            },
        );
    }
    for entry in &collateral.collateral {
        if entry.lend_quantity.is_zero() {
            continue;
        }
        let row = merged
            .entry(entry.symbol.clone())
            .or_insert_with(|| BalanceWithLent {
                asset: entry.symbol.clone(),
                available: zero,
                locked: zero,
                staked: zero,
                lent: zero,
                total: zero,
            });
        row.lent = entry.lend_quantity;
    }
    merged
        .into_values()
        .map(|mut row| {
            let total: Decimal = [row.available, row.locked, row.staked, row.lent]
                .iter()
                .map(|q| q.value())
                .fold(Decimal::ZERO, |sum, q| sum.saturating_add(q));
            row.total = Quantity::new(total);
            row
        })
        .collect()
}
