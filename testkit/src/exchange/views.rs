//! Engine records as the exchange's wire types (`backpack-sdk::model`).

use rust_decimal::Decimal;

use backpack_sdk::model::{
    self as wire, AccountSettings, Balance, Balances, BorrowLendPosition, ClientOrderId,
    Collateral, CollateralAsset, Fill, FundingPayment, FuturePosition, HistoricalOrder, Notional,
    Order, OrderType, PositionId, Price, Quantity, Rate, SelfTradePrevention, Timestamp, TriggerBy,
    TriggerQuantity,
};

use super::Exchange;
use super::account::{FillRecord, FundingRecord};
use super::market::MarketState;
use super::order::{Kind, OrderRecord, Size};
use super::types::{
    AccountId, AssetId, Side, Status, Stp, TimeInForce, TriggerSize, TriggerSource,
};

pub(crate) fn wire_side(side: Side) -> wire::Side {
    match side {
        Side::Bid => wire::Side::Bid,
        Side::Ask => wire::Side::Ask,
    }
}

fn wire_tif(tif: TimeInForce) -> wire::TimeInForce {
    match tif {
        TimeInForce::Gtc => wire::TimeInForce::Gtc,
        TimeInForce::Ioc => wire::TimeInForce::Ioc,
        TimeInForce::Fok => wire::TimeInForce::Fok,
    }
}

fn wire_stp(stp: Stp) -> SelfTradePrevention {
    match stp {
        Stp::RejectTaker => SelfTradePrevention::RejectTaker,
        Stp::RejectMaker => SelfTradePrevention::RejectMaker,
        Stp::RejectBoth => SelfTradePrevention::RejectBoth,
    }
}

fn wire_trigger_by(source: TriggerSource) -> TriggerBy {
    match source {
        TriggerSource::Last => TriggerBy::LastPrice,
        TriggerSource::Mark => TriggerBy::MarkPrice,
        TriggerSource::Index => TriggerBy::IndexPrice,
    }
}

/// Trailing zeros off, as the exchange prints amounts.
pub(crate) fn amount(value: Decimal) -> Decimal {
    value.normalize()
}

/// The fields an open order and a historical order share.
struct OrderFields {
    price: Option<Price>,
    quantity: Option<Quantity>,
    quote_quantity: Option<Notional>,
    post_only: Option<bool>,
    time_in_force: wire::TimeInForce,
    trigger_price: Option<Price>,
    trigger_by: Option<TriggerBy>,
    trigger_quantity: Option<TriggerQuantity>,
    take_profit: (Option<Price>, Option<Price>, Option<TriggerBy>),
    stop_loss: (Option<Price>, Option<Price>, Option<TriggerBy>),
}

impl Exchange {
    pub(crate) fn market(&self, record: &OrderRecord) -> &MarketState {
        &self.markets[usize::from(record.order.market.0)]
    }

    fn order_fields(&self, record: &OrderRecord) -> OrderFields {
        let market = self.market(record);
        let price = |ticks: i64| Price::new(market.price(ticks));
        let (limit_price, tif, post_only) = match record.order.kind {
            Kind::Limit {
                price: ticks,
                tif,
                post_only,
            } => (Some(price(ticks)), wire_tif(tif), Some(post_only)),
            Kind::Market => (None, wire::TimeInForce::Gtc, None),
        };
        let (quantity, quote_quantity) = match record.order.size {
            Size::Base(steps) => (Some(Quantity::new(market.quantity(steps))), None),
            Size::Quote(quote) => (None, Some(Notional::new(quote))),
        };
        let trigger = record.order.trigger;
        let leg = |exit: Option<super::order::Exit>| match exit {
            Some(exit) => (
                Some(price(exit.trigger)),
                exit.limit.map(price),
                Some(wire_trigger_by(exit.source)),
            ),
            None => (None, None, None),
        };
        OrderFields {
            price: limit_price,
            quantity,
            quote_quantity,
            post_only,
            time_in_force: tif,
            trigger_price: trigger.map(|t| price(t.price)),
            trigger_by: trigger.map(|t| wire_trigger_by(t.source)),
            trigger_quantity: trigger.map(|t| match t.size {
                TriggerSize::Steps(steps) => {
                    TriggerQuantity::Amount(Quantity::new(market.quantity(steps)))
                }
                TriggerSize::Percent(percent) => TriggerQuantity::Percent(Rate::new(percent)),
            }),
            take_profit: leg(record.order.exits.take_profit),
            stop_loss: leg(record.order.exits.stop_loss),
        }
    }

    /// An order as open-order, execute and cancel endpoints show it.
    pub(crate) fn order_view(&self, record: &OrderRecord) -> Order {
        let market = self.market(record);
        let fields = self.order_fields(record);
        Order {
            id: record.id.to_string().into(),
            client_id: record.order.client_id.map(ClientOrderId),
            symbol: market.config.symbol.as_str().into(),
            side: wire_side(record.order.side),
            order_type: match record.order.kind {
                Kind::Limit { .. } => OrderType::Limit,
                Kind::Market => OrderType::Market,
            },
            status: record.status.to_wire(),
            time_in_force: Some(fields.time_in_force),
            self_trade_prevention: Some(wire_stp(record.order.stp)),
            price: fields.price,
            quantity: fields.quantity,
            quote_quantity: fields.quote_quantity,
            post_only: fields.post_only,
            reduce_only: record.order.reduce_only.then_some(true),
            executed_quantity: Quantity::new(amount(market.quantity(record.executed))),
            executed_quote_quantity: Notional::new(amount(record.executed_quote)),
            created_at: Timestamp::from_millis(millis(record.created_ms)),
            trigger_price: fields.trigger_price,
            trigger_by: fields.trigger_by,
            trigger_quantity: fields.trigger_quantity,
            triggered_at: record
                .triggered_ms
                .map(|ms| Timestamp::from_millis(millis(ms))),
            take_profit_trigger_price: fields.take_profit.0,
            take_profit_limit_price: fields.take_profit.1,
            take_profit_trigger_by: fields.take_profit.2,
            stop_loss_trigger_price: fields.stop_loss.0,
            stop_loss_limit_price: fields.stop_loss.1,
            stop_loss_trigger_by: fields.stop_loss.2,
            related_order_id: record.related.map(|id| id.to_string().into()),
            strategy_id: None,
            slippage_tolerance: None,
            slippage_tolerance_type: None,
        }
    }

    /// An order as the order history shows it.
    pub(crate) fn history_view(&self, record: &OrderRecord) -> HistoricalOrder {
        let order = self.order_view(record);
        HistoricalOrder {
            id: order.id,
            client_id: order.client_id,
            symbol: order.symbol,
            side: order.side,
            order_type: order.order_type,
            status: order.status,
            expiry_reason: match record.status {
                Status::Expired(expiry) => Some(expiry.to_wire()),
                _ => None,
            },
            system_order_type: None,
            time_in_force: order.time_in_force,
            self_trade_prevention: order.self_trade_prevention,
            price: order.price,
            quantity: order.quantity,
            quote_quantity: order.quote_quantity,
            post_only: order.post_only,
            executed_quantity: Some(order.executed_quantity),
            executed_quote_quantity: Some(order.executed_quote_quantity),
            created_at: order.created_at,
            trigger_price: order.trigger_price,
            trigger_by: order.trigger_by,
            trigger_quantity: order.trigger_quantity,
            stop_loss_trigger_price: order.stop_loss_trigger_price,
            stop_loss_limit_price: order.stop_loss_limit_price,
            stop_loss_trigger_by: order.stop_loss_trigger_by,
            take_profit_trigger_price: order.take_profit_trigger_price,
            take_profit_limit_price: order.take_profit_limit_price,
            take_profit_trigger_by: order.take_profit_trigger_by,
            strategy_id: None,
            slippage_tolerance: None,
            slippage_tolerance_type: None,
        }
    }

    pub(crate) fn fill_view(&self, fill: &FillRecord) -> Fill {
        let market = &self.markets[usize::from(fill.market.0)];
        Fill {
            trade_id: Some(wire::TradeId(fill.trade_id)),
            order_id: fill.order_id.to_string().into(),
            client_id: fill.client_id.map(ClientOrderId),
            symbol: market.config.symbol.as_str().into(),
            side: wire_side(fill.side),
            price: Price::new(market.price(fill.price)),
            quantity: Quantity::new(market.quantity(fill.steps)),
            fee: Quantity::new(amount(fill.fee)),
            fee_symbol: self.asset_name(fill.fee_asset).into(),
            is_maker: fill.is_maker,
            system_order_type: None,
            timestamp: Timestamp::from_millis(millis(fill.timestamp_ms)),
        }
    }

    pub(crate) fn funding_view(
        &self,
        account: AccountId,
        record: &FundingRecord,
    ) -> FundingPayment {
        FundingPayment {
            user_id: Some(u64::from(account.0)),
            subaccount_id: None,
            symbol: self.markets[usize::from(record.market.0)]
                .config
                .symbol
                .as_str()
                .into(),
            quantity: Notional::new(amount(record.amount)),
            interval_end_timestamp: Timestamp::from_millis(millis(record.timestamp_ms)),
            funding_rate: Rate::new(record.rate),
        }
    }

    pub(crate) fn asset_name(&self, asset: AssetId) -> &str {
        self.assets
            .get(usize::from(asset.0))
            .map_or("", String::as_str)
    }

    /// Value of one unit of `asset` in USDC: 1 for USDC, else the reference price of
    /// `ASSET_USDC` (spot) or `ASSET_USDC_PERP`, else zero.
    pub(crate) fn usd_price(&self, asset: AssetId) -> Decimal {
        let name = self.asset_name(asset);
        if name == "USDC" {
            return Decimal::ONE;
        }
        [format!("{name}_USDC"), format!("{name}_USDC_PERP")]
            .iter()
            .find_map(|symbol| self.market_index.get(symbol))
            .map_or(Decimal::ZERO, |id| {
                let market = &self.markets[usize::from(id.0)];
                market.price(market.reference)
            })
    }

    /// `GET /api/v1/capital` for an account.
    pub fn balances(&self, account: AccountId) -> Balances {
        let mut balances = Balances::default();
        if let Some(owner) = self.accounts.get(account.0 as usize) {
            for (index, balance) in owner.balances.iter().enumerate() {
                if balance.available.is_zero() && balance.locked.is_zero() {
                    continue;
                }
                let name = self.assets.get(index).cloned().unwrap_or_default();
                balances.0.insert(
                    name.into(),
                    Balance {
                        available: Quantity::new(amount(balance.available)),
                        locked: Quantity::new(amount(balance.locked)),
                        staked: Quantity::ZERO,
                    },
                );
            }
        }
        balances
    }

    /// `GET /api/v1/position` for an account: non-zero perp positions.
    pub fn positions(&self, account: AccountId, symbol: Option<&str>) -> Vec<FuturePosition> {
        let Some(owner) = self.accounts.get(account.0 as usize) else {
            return Vec::new();
        };
        let mut rows: Vec<_> = owner
            .positions
            .iter()
            .filter(|(_, position)| position.net_steps != 0)
            .filter_map(|(market_id, position)| {
                let market = self.markets.get(usize::from(market_id.0))?;
                if symbol.is_some_and(|s| s != market.config.symbol) {
                    return None;
                }
                let quantity = market.quantity(position.net_steps);
                let mark = market.price(market.reference);
                let entry =
                    (position.cost / quantity).round_dp(market.config.tick_size.scale() + 4);
                let (imf, mmf) = match market.config.kind {
                    super::MarketKind::Perp { imf, mmf } => (imf, mmf),
                    super::MarketKind::Spot => (Decimal::ZERO, Decimal::ZERO),
                };
                let liquidation = if position.net_steps > 0 {
                    entry * (Decimal::ONE - imf + mmf)
                } else {
                    entry * (Decimal::ONE + imf - mmf)
                };
                Some((
                    market.id,
                    FuturePosition {
                        symbol: market.config.symbol.as_str().into(),
                        position_id: Some(PositionId::new(format!(
                            "{}{:04}",
                            account.0 + 1,
                            market.id.0
                        ))),
                        net_quantity: Quantity::new(amount(quantity)),
                        net_exposure_quantity: Some(Quantity::new(amount(quantity))),
                        net_exposure_notional: Some(Notional::new(amount(quantity * mark))),
                        entry_price: Price::new(amount(entry)),
                        break_even_price: Some(Price::new(amount(entry))),
                        est_liquidation_price: Some(Price::new(amount(
                            liquidation.round_dp(market.config.tick_size.scale()),
                        ))),
                        mark_price: Price::new(mark),
                        net_cost: Some(Notional::new(amount(position.cost))),
                        pnl_realized: Notional::new(amount(position.realized)),
                        pnl_unrealized: Notional::new(amount(quantity * mark - position.cost)),
                        cumulative_funding_payment: Some(Notional::new(amount(position.funding))),
                        cumulative_interest: Some(Notional::new(Decimal::ZERO)),
                        imf: Some(Rate::new(imf)),
                        mmf: Some(Rate::new(mmf)),
                        subaccount_id: None,
                        user_id: Some(u64::from(account.0)),
                    },
                ))
            })
            .collect();
        rows.sort_by_key(|(market, _)| *market);
        rows.into_iter().map(|(_, row)| row).collect()
    }

    /// Unrealized PnL and exposure of an account's perp positions, at the mark price.
    fn perp_totals(&self, account: AccountId) -> (Decimal, Decimal, Decimal) {
        let Some(owner) = self.accounts.get(account.0 as usize) else {
            return (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        };
        owner.positions.iter().fold(
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
            |(pnl, exposure, margin), (market_id, position)| {
                let Some(market) = self.markets.get(usize::from(market_id.0)) else {
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
    pub fn collateral(&self, account: AccountId) -> Collateral {
        let owner = self.accounts.get(account.0 as usize);
        let mut rows = Vec::new();
        let (mut assets_value, mut liabilities, mut locked_value) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for (index, name) in self.assets.iter().enumerate() {
            let balance = owner
                .map(|o| o.balances.get(index).copied().unwrap_or_default())
                .unwrap_or_default();
            let total = balance.available + balance.locked + balance.lent;
            if total.is_zero() && balance.borrowed.is_zero() {
                continue;
            }
            let asset = AssetId(u16::try_from(index).unwrap_or(u16::MAX));
            let price = self.usd_price(asset);
            let weight = if name == "USDC" {
                Decimal::ONE
            } else {
                Decimal::new(9, 1)
            };
            let notional = total * price;
            assets_value += notional;
            liabilities += balance.borrowed * price;
            locked_value += balance.locked * price;
            rows.push(CollateralAsset {
                symbol: name.as_str().into(),
                asset_mark_price: Price::new(price),
                total_quantity: Quantity::new(amount(total)),
                balance_notional: Notional::new(amount(notional)),
                collateral_weight: Rate::new(weight),
                collateral_value: Notional::new(amount(notional * weight)),
                open_order_quantity: Quantity::new(amount(balance.locked)),
                lend_quantity: Quantity::new(amount(balance.lent)),
                available_quantity: Quantity::new(amount(balance.available)),
            });
        }
        let (pnl, exposure, margin) = self.perp_totals(account);
        let net_equity = assets_value - liabilities + pnl;
        let fraction = |value: Decimal| {
            if exposure.is_zero() {
                Decimal::ZERO
            } else {
                (value / exposure).round_dp(8)
            }
        };
        Collateral {
            assets_value: Notional::new(amount(assets_value)),
            borrow_liability: Notional::new(amount(liabilities)),
            collateral: rows,
            imf: Rate::new(fraction(margin)),
            unsettled_equity: Notional::new(amount(pnl)),
            liabilities_value: Notional::new(amount(liabilities)),
            margin_fraction: (!exposure.is_zero()).then(|| Rate::new(fraction(net_equity))),
            mmf: Rate::new(fraction(margin / Decimal::TWO)),
            net_equity: Notional::new(amount(net_equity)),
            net_equity_available: Notional::new(amount(net_equity - margin - locked_value)),
            net_equity_locked: Notional::new(amount(margin + locked_value)),
            net_exposure_futures: Notional::new(amount(exposure)),
            pnl_unrealized: Notional::new(amount(pnl)),
        }
    }

    /// `GET /api/v1/borrowLend/positions`: lent balances (positive) and borrows (negative).
    pub fn borrow_lend_positions(&self, account: AccountId) -> Vec<BorrowLendPosition> {
        let Some(owner) = self.accounts.get(account.0 as usize) else {
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
                let price = self.usd_price(asset);
                BorrowLendPosition {
                    id: PositionId::new(format!("{}{:03}", account.0 + 1, index)),
                    symbol: self.asset_name(asset).into(),
                    net_quantity: Quantity::new(amount(net)),
                    net_exposure_quantity: Some(Quantity::new(amount(net))),
                    net_exposure_notional: Some(Notional::new(amount(net * price))),
                    mark_price: Some(Price::new(price)),
                    imf: Some(Rate::ZERO),
                    mmf: Some(Rate::ZERO),
                    cumulative_interest: Some(Quantity::ZERO),
                }
            })
            .collect()
    }

    /// `GET /api/v1/account`: settings and fee tier (fees of the first market, in bp).
    pub fn account_settings(&self) -> AccountSettings {
        let bp = Decimal::from(10_000);
        let (maker, taker) = self
            .markets
            .first()
            .map_or((Decimal::ZERO, Decimal::ZERO), |m| {
                (m.config.maker_fee * bp, m.config.taker_fee * bp)
            });
        AccountSettings {
            auto_borrow_settlements: Some(true),
            auto_lend: Some(false),
            auto_realize_pnl: Some(true),
            auto_repay_borrows: Some(true),
            borrow_limit: Some(Notional::from(1_000_000)),
            futures_maker_fee: Some(Rate::new(amount(maker))),
            futures_taker_fee: Some(Rate::new(amount(taker))),
            leverage_limit: Some(Rate::from(10)),
            position_limit: Some(Notional::from(1_000_000)),
            spot_maker_fee: Some(Rate::new(amount(maker))),
            spot_taker_fee: Some(Rate::new(amount(taker))),
            limit_orders: Some(500),
            trigger_orders: Some(100),
            liquidating: Some(false),
        }
    }
}

pub(crate) fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}
