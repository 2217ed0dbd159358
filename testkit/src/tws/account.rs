//! The fake gateway's account: cash, positions, margin, summary values and PnL.
//!
//! Positions are kept as a signed quantity and a signed cost (`Σ quantity × price ×
//! multiplier`), so average cost and PnL are exact. Stocks and options move cash when they
//! trade; futures only move cash by realized PnL. Margin is a simplified rule: 25% of stock
//! value, 8% of futures notional, 100% of short option value (long options are paid for).
//! Daily PnL is measured from the account's value when the fake started, and the account's
//! figure always equals the sum of its positions' figures.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::market::Instrument;

/// A position in one contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Holding {
    /// Signed quantity (positive long).
    pub quantity: Decimal,
    /// Signed cost of the open quantity, multiplier included.
    pub cost: Decimal,
    /// PnL realized by closing trades.
    pub realized: Decimal,
    /// Commissions paid on this contract.
    pub commissions: Decimal,
}

/// The account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountState {
    /// Account id (`DU…` for paper accounts).
    pub id: String,
    /// Base currency.
    pub currency: String,
    /// Cash.
    pub cash: Decimal,
    /// Positions by contract id.
    pub holdings: BTreeMap<i32, Holding>,
    /// Net liquidation when the session started (for daily PnL).
    pub start_value: Decimal,
}

/// Figures of one position at the current mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PositionFigures {
    /// Quantity.
    pub quantity: Decimal,
    /// Market value (`quantity × mark × multiplier`).
    pub value: Decimal,
    /// Unrealized PnL.
    pub unrealized: Decimal,
    /// Realized PnL.
    pub realized: Decimal,
    /// Daily PnL: unrealized + realized − commissions.
    pub daily: Decimal,
}

fn is_future(instrument: &Instrument) -> bool {
    instrument.sec_type == "FUT"
}

impl AccountState {
    /// An account holding only cash.
    pub fn new(id: &str, cash: Decimal) -> Self {
        Self {
            id: id.into(),
            currency: "USD".into(),
            cash,
            holdings: BTreeMap::new(),
            start_value: cash,
        }
    }

    /// Books a fill: `signed_quantity` (positive buys) at `price`, paying `commission`.
    /// Returns the PnL realized by the fill.
    pub fn apply_fill(
        &mut self,
        instrument: &Instrument,
        signed_quantity: Decimal,
        price: Decimal,
        commission: Decimal,
    ) -> Decimal {
        let notional = signed_quantity * price * instrument.multiplier;
        let holding = self.holdings.entry(instrument.con_id).or_default();
        let mut realized = Decimal::ZERO;
        let reducing = !holding.quantity.is_zero()
            && holding.quantity.is_sign_positive() != signed_quantity.is_sign_positive();
        let mut opening = signed_quantity;
        if reducing {
            let closed = signed_quantity.abs().min(holding.quantity.abs());
            let closed_cost = if closed == holding.quantity.abs() {
                holding.cost
            } else {
                (holding.cost * closed / holding.quantity.abs()).round_dp(10)
            };
            let closed_notional = closed * price * instrument.multiplier;
            realized = if holding.quantity.is_sign_positive() {
                closed_notional - closed_cost
            } else {
                -closed_notional - closed_cost
            };
            holding.cost -= closed_cost;
            let sign = if signed_quantity.is_sign_positive() {
                Decimal::ONE
            } else {
                -Decimal::ONE
            };
            holding.quantity += closed * sign;
            opening = signed_quantity - closed * sign;
        }
        if !opening.is_zero() {
            holding.quantity += opening;
            holding.cost += opening * price * instrument.multiplier;
        }
        if holding.quantity.is_zero() {
            holding.cost = Decimal::ZERO;
        }
        holding.realized += realized;
        holding.commissions += commission;
        if is_future(instrument) {
            self.cash += realized;
        } else {
            self.cash -= notional;
        }
        self.cash -= commission;
        realized
    }

    /// Figures of one position.
    pub fn figures(&self, instrument: &Instrument) -> PositionFigures {
        let holding = self
            .holdings
            .get(&instrument.con_id)
            .copied()
            .unwrap_or_default();
        let value = holding.quantity * instrument.quote.last * instrument.multiplier;
        let unrealized = value - holding.cost;
        PositionFigures {
            quantity: holding.quantity,
            value,
            unrealized,
            realized: holding.realized,
            daily: unrealized + holding.realized - holding.commissions,
        }
    }

    fn each<'a>(
        &'a self,
        instruments: &'a [Instrument],
    ) -> impl Iterator<Item = (&'a Instrument, PositionFigures)> + 'a {
        self.holdings.keys().filter_map(move |con_id| {
            let instrument = instruments.iter().find(|i| i.con_id == *con_id)?;
            Some((instrument, self.figures(instrument)))
        })
    }

    /// Net liquidation value: cash, stock and option values, futures' unrealized PnL.
    pub fn net_liquidation(&self, instruments: &[Instrument]) -> Decimal {
        self.cash
            + self
                .each(instruments)
                .map(|(instrument, f)| {
                    if is_future(instrument) {
                        f.unrealized
                    } else {
                        f.value
                    }
                })
                .sum::<Decimal>()
    }

    /// Initial and maintenance margin of the positions.
    pub fn margin(&self, instruments: &[Instrument]) -> (Decimal, Decimal) {
        let init: Decimal = self
            .each(instruments)
            .map(|(instrument, f)| margin_of(instrument, f.quantity))
            .sum();
        (init, init * Decimal::new(8, 1))
    }

    /// Account-wide PnL: (daily, unrealized, realized), each the sum over positions.
    pub fn pnl(&self, instruments: &[Instrument]) -> (Decimal, Decimal, Decimal) {
        self.each(instruments).fold(
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
            |(d, u, r), (_, f)| (d + f.daily, u + f.unrealized, r + f.realized),
        )
    }

    /// Account summary values by tag.
    pub fn summary(&self, instruments: &[Instrument]) -> Vec<(&'static str, String, String)> {
        let net = self.net_liquidation(instruments);
        let (init, maint) = self.margin(instruments);
        let available = net - init;
        let gross: Decimal = self
            .each(instruments)
            .map(|(instrument, f)| {
                (f.quantity * instrument.quote.last * instrument.multiplier).abs()
            })
            .sum();
        let money = |value: Decimal| {
            let mut value = value.round_dp(2);
            value.rescale(2);
            value.to_string()
        };
        let usd = self.currency.clone();
        vec![
            ("AccountType", "INDIVIDUAL".into(), String::new()),
            ("NetLiquidation", money(net), usd.clone()),
            ("TotalCashValue", money(self.cash), usd.clone()),
            ("SettledCash", money(self.cash), usd.clone()),
            ("AccruedCash", "0.00".into(), usd.clone()),
            (
                "BuyingPower",
                money((available * Decimal::from(4)).max(Decimal::ZERO)),
                usd.clone(),
            ),
            ("EquityWithLoanValue", money(net), usd.clone()),
            ("GrossPositionValue", money(gross), usd.clone()),
            ("InitMarginReq", money(init), usd.clone()),
            ("MaintMarginReq", money(maint), usd.clone()),
            ("FullInitMarginReq", money(init), usd.clone()),
            ("FullMaintMarginReq", money(maint), usd.clone()),
            ("AvailableFunds", money(available), usd.clone()),
            ("FullAvailableFunds", money(available), usd.clone()),
            ("ExcessLiquidity", money(net - maint), usd.clone()),
            ("FullExcessLiquidity", money(net - maint), usd.clone()),
            (
                "Cushion",
                if net.is_zero() {
                    "0".into()
                } else {
                    ((net - maint) / net).round_dp(4).to_string()
                },
                String::new(),
            ),
            (
                "Leverage",
                if net.is_zero() {
                    "0".into()
                } else {
                    (gross / net).round_dp(4).to_string()
                },
                String::new(),
            ),
            ("DayTradesRemaining", "-1".into(), String::new()),
        ]
    }
}

/// Initial margin of holding `quantity` of an instrument.
pub fn margin_of(instrument: &Instrument, quantity: Decimal) -> Decimal {
    let notional = (quantity * instrument.quote.last * instrument.multiplier).abs();
    match instrument.sec_type.as_str() {
        "FUT" => notional * Decimal::new(8, 2),
        "OPT" if quantity.is_sign_negative() => notional,
        "OPT" => Decimal::ZERO,
        _ => notional * Decimal::new(25, 2),
    }
}

/// Commission of a fill: $0.005 a share (min $1) for stocks, $2.25 a futures contract,
/// $0.65 an option contract.
pub fn commission(instrument: &Instrument, quantity: Decimal) -> Decimal {
    let quantity = quantity.abs();
    match instrument.sec_type.as_str() {
        "FUT" => quantity * Decimal::new(225, 2),
        "OPT" => quantity * Decimal::new(65, 2),
        _ => (quantity * Decimal::new(5, 3)).max(Decimal::ONE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aapl() -> Instrument {
        Instrument::defaults()
            .into_iter()
            .find(|i| i.symbol == "AAPL" && i.sec_type == "STK")
            .unwrap()
    }

    #[test]
    fn stock_round_trip_moves_cash_and_realizes() {
        let mut instrument = aapl();
        let mut account = AccountState::new("DU1234567", Decimal::from(100_000));
        account.apply_fill(
            &instrument,
            Decimal::from(100),
            Decimal::from(190),
            Decimal::ONE,
        );
        assert_eq!(account.cash, Decimal::from(100_000 - 19_000 - 1));
        instrument.quote.last = Decimal::from(200);
        let figures = account.figures(&instrument);
        assert_eq!(figures.unrealized, Decimal::from(1_000));
        assert_eq!(
            account.net_liquidation(std::slice::from_ref(&instrument)),
            Decimal::from(100_999)
        );
        let realized = account.apply_fill(
            &instrument,
            Decimal::from(-100),
            Decimal::from(200),
            Decimal::ONE,
        );
        assert_eq!(realized, Decimal::from(1_000));
        assert_eq!(account.cash, Decimal::from(100_998));
        let (daily, unrealized, realized) = account.pnl(std::slice::from_ref(&instrument));
        assert_eq!(
            (daily, unrealized, realized),
            (Decimal::from(998), Decimal::ZERO, Decimal::from(1_000))
        );
    }

    #[test]
    fn futures_settle_only_pnl() {
        let mut es = Instrument::defaults()
            .into_iter()
            .find(|i| i.sec_type == "FUT")
            .unwrap();
        let mut account = AccountState::new("DU1", Decimal::from(50_000));
        account.apply_fill(&es, Decimal::ONE, Decimal::from(5_400), Decimal::ZERO);
        assert_eq!(account.cash, Decimal::from(50_000));
        es.quote.last = Decimal::from(5_410);
        assert_eq!(
            account.net_liquidation(std::slice::from_ref(&es)),
            Decimal::from(50_500)
        );
        account.apply_fill(&es, -Decimal::ONE, Decimal::from(5_410), Decimal::ZERO);
        assert_eq!(account.cash, Decimal::from(50_500));
    }
}
