//! Account endpoints over the engine: balances, perp positions, collateral, borrow and lend
//! positions and the account's settings, in the exchange's shapes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::wire::{self, Dec};
use crate::engine::{AccountId, AssetId, Exchange, MarketKind};

/// The margin function the simulator publishes: flat at `base` (factor 0).
pub(crate) fn flat_function(base: Decimal) -> wire::MarginFunction {
    wire::MarginFunction {
        kind: "sqrt",
        base: Dec(base),
        factor: Dec(Decimal::ZERO),
    }
}

/// `GET /api/v1/capital` for an account.
pub(crate) fn balances(ex: &Exchange, account: AccountId) -> BTreeMap<String, wire::Balance> {
    let mut balances = BTreeMap::new();
    if let Some(owner) = ex.accounts.get(account.0 as usize) {
        for (index, balance) in owner.balances.iter().enumerate() {
            if balance.available.is_zero() && balance.locked.is_zero() {
                continue;
            }
            let name = ex.assets.get(index).cloned().unwrap_or_default();
            balances.insert(
                name,
                wire::Balance {
                    available: Dec::amount(balance.available),
                    locked: Dec::amount(balance.locked),
                    staked: Dec(Decimal::ZERO),
                },
            );
        }
    }
    balances
}

/// `GET /api/v1/position` for an account: non-zero perp positions.
pub(crate) fn positions(
    ex: &Exchange,
    account: AccountId,
    symbol: Option<&str>,
) -> Vec<wire::FuturePosition> {
    let Some(owner) = ex.accounts.get(account.0 as usize) else {
        return Vec::new();
    };
    let mut rows: Vec<_> = owner
        .positions
        .iter()
        .filter(|(_, position)| position.net_steps != 0)
        .filter_map(|(market_id, position)| {
            let market = ex.markets.get(usize::from(market_id.0))?;
            if symbol.is_some_and(|s| s != market.config.symbol) {
                return None;
            }
            let quantity = market.quantity(position.net_steps);
            let mark = market.price(market.reference);
            let entry = (position.cost / quantity).round_dp(market.config.tick_size.scale() + 4);
            let (imf, mmf) = match market.config.kind {
                MarketKind::Perp { imf, mmf } => (imf, mmf),
                MarketKind::Spot => (Decimal::ZERO, Decimal::ZERO),
            };
            let liquidation = if position.net_steps > 0 {
                entry * (Decimal::ONE - imf + mmf)
            } else {
                entry * (Decimal::ONE + imf - mmf)
            };
            Some((
                market.id,
                wire::FuturePosition {
                    symbol: market.config.symbol.clone(),
                    position_id: format!("{}{:04}", account.0 + 1, market.id.0),
                    net_quantity: Dec::amount(quantity),
                    net_exposure_quantity: Dec::amount(quantity),
                    net_exposure_notional: Dec::amount(quantity * mark),
                    entry_price: Dec::amount(entry),
                    break_even_price: Dec::amount(entry),
                    est_liquidation_price: Dec::amount(
                        liquidation.round_dp(market.config.tick_size.scale()),
                    ),
                    mark_price: Dec(mark),
                    net_cost: Dec::amount(position.cost),
                    pnl_realized: Dec::amount(position.realized),
                    pnl_unrealized: Dec::amount(quantity * mark - position.cost),
                    cumulative_funding_payment: Dec::amount(position.funding),
                    cumulative_interest: Dec(Decimal::ZERO),
                    imf: Dec(imf),
                    imf_function: flat_function(imf),
                    mmf: Dec(mmf),
                    mmf_function: flat_function(mmf),
                    subaccount_id: None,
                    user_id: u64::from(account.0),
                },
            ))
        })
        .collect();
    rows.sort_by_key(|(market, _)| *market);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Unrealized PnL and exposure of an account's perp positions, at the mark price.
fn perp_totals(ex: &Exchange, account: AccountId) -> (Decimal, Decimal, Decimal) {
    let Some(owner) = ex.accounts.get(account.0 as usize) else {
        return (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    };
    owner.positions.iter().fold(
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
        |(pnl, exposure, margin), (market_id, position)| {
            let Some(market) = ex.markets.get(usize::from(market_id.0)) else {
                return (pnl, exposure, margin);
            };
            let mark = market.price(market.reference);
            let quantity = market.quantity(position.net_steps);
            let notional = (quantity * mark).abs();
            (
                pnl + quantity * mark - position.cost,
                exposure + notional,
                margin + notional * market.imf(),
            )
        },
    )
}

/// `GET /api/v1/capital/collateral` for an account.
pub(crate) fn collateral(ex: &Exchange, account: AccountId) -> wire::Collateral {
    let owner = ex.accounts.get(account.0 as usize);
    let mut rows = Vec::new();
    let (mut assets_value, mut liabilities, mut locked_value) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (index, name) in ex.assets.iter().enumerate() {
        let balance = owner
            .map(|o| o.balances.get(index).copied().unwrap_or_default())
            .unwrap_or_default();
        let total = balance.available + balance.locked + balance.lent;
        if total.is_zero() && balance.borrowed.is_zero() {
            continue;
        }
        let asset = AssetId(u16::try_from(index).unwrap_or(u16::MAX));
        let price = ex.usd_price(asset);
        let weight = if name == "USDC" {
            Decimal::ONE
        } else {
            Decimal::new(9, 1)
        };
        let notional = total * price;
        assets_value += notional;
        liabilities += balance.borrowed * price;
        locked_value += balance.locked * price;
        rows.push(wire::CollateralAsset {
            symbol: name.clone(),
            asset_mark_price: Dec(price),
            total_quantity: Dec::amount(total),
            balance_notional: Dec::amount(notional),
            collateral_weight: Dec(weight),
            collateral_value: Dec::amount(notional * weight),
            open_order_quantity: Dec::amount(balance.locked),
            lend_quantity: Dec::amount(balance.lent),
            available_quantity: Dec::amount(balance.available),
        });
    }
    let (pnl, exposure, margin) = perp_totals(ex, account);
    let net_equity = assets_value - liabilities + pnl;
    let fraction = |value: Decimal| {
        if exposure.is_zero() {
            Decimal::ZERO
        } else {
            (value / exposure).round_dp(8)
        }
    };
    wire::Collateral {
        assets_value: Dec::amount(assets_value),
        borrow_liability: Dec::amount(liabilities),
        collateral: rows,
        imf: Dec(fraction(margin)),
        unsettled_equity: Dec::amount(pnl),
        liabilities_value: Dec::amount(liabilities),
        margin_fraction: (!exposure.is_zero()).then(|| Dec(fraction(net_equity))),
        mmf: Dec(fraction(margin / Decimal::TWO)),
        net_equity: Dec::amount(net_equity),
        net_equity_available: Dec::amount(net_equity - margin - locked_value),
        net_equity_locked: Dec::amount(margin + locked_value),
        net_exposure_futures: Dec::amount(exposure),
        pnl_unrealized: Dec::amount(pnl),
    }
}

/// `GET /api/v1/borrowLend/positions`: lent balances (positive) and borrows (negative).
pub(crate) fn borrow_lend_positions(
    ex: &Exchange,
    account: AccountId,
) -> Vec<wire::BorrowLendPosition> {
    let Some(owner) = ex.accounts.get(account.0 as usize) else {
        return Vec::new();
    };
    owner
        .balances
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.lent.is_zero() || !b.borrowed.is_zero())
        .map(|(index, balance)| {
            let asset = AssetId(u16::try_from(index).unwrap_or(u16::MAX));
            let net = balance.lent - balance.borrowed;
            let price = ex.usd_price(asset);
            wire::BorrowLendPosition {
                id: format!("{}{:03}", account.0 + 1, index),
                symbol: ex.asset_name(asset).to_owned(),
                net_quantity: Dec::amount(net),
                net_exposure_quantity: Dec::amount(net),
                net_exposure_notional: Dec::amount(net * price),
                mark_price: Dec(price),
                imf: Dec(Decimal::ZERO),
                imf_function: flat_function(Decimal::ZERO),
                mmf: Dec(Decimal::ZERO),
                mmf_function: flat_function(Decimal::ZERO),
                cumulative_interest: Dec(Decimal::ZERO),
            }
        })
        .collect()
}

/// `GET /api/v1/account`: settings and fee tier (fees of the first market, in bp).
pub(crate) fn settings(ex: &Exchange) -> wire::AccountSettings {
    let bp = Decimal::from(10_000);
    let (maker, taker) = ex
        .markets
        .first()
        .map_or((Decimal::ZERO, Decimal::ZERO), |m| {
            (m.config.maker_fee * bp, m.config.taker_fee * bp)
        });
    wire::AccountSettings {
        auto_borrow_settlements: true,
        auto_lend: false,
        auto_realize_pnl: true,
        auto_repay_borrows: true,
        borrow_limit: Dec(Decimal::from(1_000_000)),
        futures_maker_fee: Dec::amount(maker),
        futures_taker_fee: Dec::amount(taker),
        leverage_limit: Dec(Decimal::from(10)),
        position_limit: Dec(Decimal::from(1_000_000)),
        spot_maker_fee: Dec::amount(maker),
        spot_taker_fee: Dec::amount(taker),
        limit_orders: 500,
        trigger_orders: 100,
        liquidating: false,
    }
}
