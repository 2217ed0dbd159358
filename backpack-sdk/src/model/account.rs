//! Account data: settings, balances, collateral, perp and borrow/lend positions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::{Asset, PositionId, Symbol};
use super::num::{Notional, Price, Quantity, Rate};

/// Account settings and fee tier (`GET /api/v1/account`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AccountSettings {
    /// Borrow automatically to settle negative balances.
    #[serde(default)]
    pub auto_borrow_settlements: Option<bool>,
    /// Lend idle balances automatically.
    #[serde(default)]
    pub auto_lend: Option<bool>,
    /// Realize perp PnL automatically.
    #[serde(default)]
    pub auto_realize_pnl: Option<bool>,
    /// Repay borrows automatically.
    #[serde(default)]
    pub auto_repay_borrows: Option<bool>,
    /// Borrow limit.
    #[serde(default)]
    pub borrow_limit: Option<Notional>,
    /// Futures maker fee, basis points (negative is a rebate).
    #[serde(default)]
    pub futures_maker_fee: Option<Rate>,
    /// Futures taker fee, basis points.
    #[serde(default)]
    pub futures_taker_fee: Option<Rate>,
    /// Account leverage limit.
    #[serde(default)]
    pub leverage_limit: Option<Rate>,
    /// Position limit.
    #[serde(default)]
    pub position_limit: Option<Notional>,
    /// Spot maker fee, basis points.
    #[serde(default)]
    pub spot_maker_fee: Option<Rate>,
    /// Spot taker fee, basis points.
    #[serde(default)]
    pub spot_taker_fee: Option<Rate>,
    /// Maximum number of open limit orders.
    #[serde(default)]
    pub limit_orders: Option<u32>,
    /// Maximum number of open trigger orders.
    #[serde(default)]
    pub trigger_orders: Option<u32>,
    /// Whether the account is being liquidated.
    #[serde(default)]
    pub liquidating: Option<bool>,
}

/// Balance of one asset (`GET /api/v1/capital` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Balance {
    /// Free to trade or withdraw.
    pub available: Quantity,
    /// Reserved by open orders.
    pub locked: Quantity,
    /// Staked.
    #[serde(default)]
    pub staked: Quantity,
}

/// Balances keyed by asset (`GET /api/v1/capital`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Balances(pub BTreeMap<Asset, Balance>);

impl Balances {
    /// The balance of one asset, zero if the account has none.
    pub fn get(&self, asset: &str) -> Balance {
        self.0
            .iter()
            .find(|(key, _)| key.as_str() == asset)
            .map(|(_, balance)| *balance)
            .unwrap_or_default()
    }

    /// Iterates over `(asset, balance)` in asset order.
    pub fn iter(&self) -> impl Iterator<Item = (&Asset, &Balance)> {
        self.0.iter()
    }
}

/// One asset's balance with the lent amount added — what a trader means by "my balance"
/// (see `Account::balances_with_lent` in the client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BalanceWithLent {
    /// Asset symbol.
    pub asset: Asset,
    /// Free to trade or withdraw.
    pub available: Quantity,
    /// Reserved by open orders.
    pub locked: Quantity,
    /// Staked.
    pub staked: Quantity,
    /// Lent out through borrow/lend.
    pub lent: Quantity,
    /// `available + locked + staked + lent`.
    pub total: Quantity,
}

impl BalanceWithLent {
    /// Whether every component is zero.
    pub fn is_zero(&self) -> bool {
        self.total.is_zero()
            && self.available.is_zero()
            && self.locked.is_zero()
            && self.staked.is_zero()
            && self.lent.is_zero()
    }
}

/// Margin and collateral summary (`GET /api/v1/capital/collateral`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Collateral {
    /// Value of all assets.
    pub assets_value: Notional,
    /// Borrowed value.
    pub borrow_liability: Notional,
    /// Per-asset breakdown.
    pub collateral: Vec<CollateralAsset>,
    /// Initial margin fraction.
    pub imf: Rate,
    /// Unsettled equity.
    pub unsettled_equity: Notional,
    /// Value of liabilities.
    pub liabilities_value: Notional,
    /// Margin fraction (absent without positions).
    #[serde(default)]
    pub margin_fraction: Option<Rate>,
    /// Maintenance margin fraction.
    pub mmf: Rate,
    /// Net equity.
    pub net_equity: Notional,
    /// Net equity available for new positions.
    pub net_equity_available: Notional,
    /// Net equity locked by orders and positions.
    pub net_equity_locked: Notional,
    /// Net futures exposure.
    pub net_exposure_futures: Notional,
    /// Unrealized PnL.
    pub pnl_unrealized: Notional,
}

/// One asset inside [`Collateral`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CollateralAsset {
    /// Asset symbol.
    pub symbol: Asset,
    /// Mark price of the asset.
    pub asset_mark_price: Price,
    /// Total quantity held.
    pub total_quantity: Quantity,
    /// Value of the balance.
    pub balance_notional: Notional,
    /// Collateral weight.
    pub collateral_weight: Rate,
    /// Collateral value.
    pub collateral_value: Notional,
    /// Quantity in open orders.
    pub open_order_quantity: Quantity,
    /// Quantity lent out.
    pub lend_quantity: Quantity,
    /// Quantity available.
    pub available_quantity: Quantity,
}

/// An open perpetual position (`GET /api/v1/position` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FuturePosition {
    /// Market symbol.
    pub symbol: Symbol,
    /// Position id.
    #[serde(default)]
    pub position_id: Option<PositionId>,
    /// Signed size: positive long, negative short.
    pub net_quantity: Quantity,
    /// Size including open orders.
    #[serde(default)]
    pub net_exposure_quantity: Option<Quantity>,
    /// Value including open orders.
    #[serde(default)]
    pub net_exposure_notional: Option<Notional>,
    /// Average entry price.
    pub entry_price: Price,
    /// Break-even price after fees and funding.
    #[serde(default)]
    pub break_even_price: Option<Price>,
    /// Estimated liquidation price.
    #[serde(default)]
    pub est_liquidation_price: Option<Price>,
    /// Mark price.
    pub mark_price: Price,
    /// Net cost of the position.
    #[serde(default)]
    pub net_cost: Option<Notional>,
    /// Realized PnL.
    pub pnl_realized: Notional,
    /// Unrealized PnL at the mark price.
    pub pnl_unrealized: Notional,
    /// Funding paid (negative) or received.
    #[serde(default)]
    pub cumulative_funding_payment: Option<Notional>,
    /// Interest (being removed by the exchange).
    #[serde(default)]
    pub cumulative_interest: Option<Notional>,
    /// Initial margin fraction.
    #[serde(default)]
    pub imf: Option<Rate>,
    /// Maintenance margin fraction.
    #[serde(default)]
    pub mmf: Option<Rate>,
    /// Sub-account, if any.
    #[serde(default)]
    pub subaccount_id: Option<u32>,
    /// Owning user.
    #[serde(default)]
    pub user_id: Option<u64>,
}

/// A borrow or lend position (`GET /api/v1/borrowLend/positions` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BorrowLendPosition {
    /// Position id.
    pub id: PositionId,
    /// Asset symbol.
    pub symbol: Asset,
    /// Signed quantity.
    pub net_quantity: Quantity,
    /// Exposure quantity.
    #[serde(default)]
    pub net_exposure_quantity: Option<Quantity>,
    /// Exposure value.
    #[serde(default)]
    pub net_exposure_notional: Option<Notional>,
    /// Mark price of the asset.
    #[serde(default)]
    pub mark_price: Option<Price>,
    /// Initial margin fraction.
    #[serde(default)]
    pub imf: Option<Rate>,
    /// Maintenance margin fraction.
    #[serde(default)]
    pub mmf: Option<Rate>,
    /// Interest accrued.
    #[serde(default)]
    pub cumulative_interest: Option<Quantity>,
}

/// Largest order the account can place (`GET /api/v1/account/limits/order`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct MaxOrderQuantity {
    /// Market symbol.
    pub symbol: Symbol,
    /// Largest quantity.
    pub max_order_quantity: Quantity,
}
