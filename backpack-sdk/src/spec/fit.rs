//! Checking and rounding an order against a market's filters, so the exchange never answers
//! "Price decimal too long" or "Quantity below the minimum".

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{Market, OrderBookState, Price, Quantity, Side, TriggerQuantity};

use super::{InvalidOrder, MarketSize, OrderKind, OrderSpec, Problems};

/// A change [`OrderSpec::fit_to`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// The wire field changed.
    pub field: &'static str,
    /// The value before.
    pub from: String,
    /// The value after.
    pub to: String,
    /// Why (which filter).
    pub reason: String,
}

/// An order fitted to a market, with what was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    /// The order as it will be sent.
    pub spec: OrderSpec,
    /// Every change, in field order; empty when the order already fit.
    pub adjustments: Vec<Adjustment>,
}

#[derive(Clone, Copy)]
enum Round {
    Down,
    Up,
    Nearest,
}

/// Rounds `value` to a multiple of `increment` and writes it with the increment's decimals.
/// `None` on overflow or a non-positive increment.
fn round_to(value: Decimal, increment: Decimal, round: Round) -> Option<Decimal> {
    if increment <= Decimal::ZERO {
        return None;
    }
    let steps = value.checked_div(increment)?;
    let steps = match round {
        Round::Down => steps.floor(),
        Round::Up => steps.ceil(),
        Round::Nearest => steps.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero),
    };
    let mut result = steps.checked_mul(increment)?;
    result.rescale(increment.normalize().scale());
    Some(result)
}

/// Whether `value` is on the increment's grid and written with no more decimals than it.
fn fits(value: Decimal, increment: Decimal) -> bool {
    if increment <= Decimal::ZERO {
        return true;
    }
    let on_grid = value
        .checked_rem(increment)
        .is_some_and(|rest| rest.is_zero());
    on_grid && value.scale() <= increment.normalize().scale().max(increment.scale())
}

fn decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

struct Fitter<'a> {
    market: &'a Market,
    adjustments: Vec<Adjustment>,
    problems: Problems,
}

impl Fitter<'_> {
    fn price(&mut self, field: &'static str, price: Price, round: Round) -> Price {
        let tick = self.market.filters.price.tick_size.value();
        if fits(price.value(), tick) {
            return price;
        }
        match round_to(price.value(), tick, round) {
            Some(rounded) if rounded > Decimal::ZERO => {
                self.adjustments.push(Adjustment {
                    field,
                    from: price.to_string(),
                    to: rounded.to_string(),
                    reason: format!("tick size is {tick}"),
                });
                Price::new(rounded)
            }
            _ => {
                self.problems.add(
                    field,
                    format!("{price} cannot be rounded to the tick size {tick}"),
                );
                price
            }
        }
    }

    fn quantity(&mut self, field: &'static str, quantity: Quantity) -> Quantity {
        let step = self.market.filters.quantity.step_size.value();
        if fits(quantity.value(), step) {
            return quantity;
        }
        match round_to(quantity.value(), step, Round::Down) {
            Some(rounded) if rounded > Decimal::ZERO => {
                self.adjustments.push(Adjustment {
                    field,
                    from: quantity.to_string(),
                    to: rounded.to_string(),
                    reason: format!("step size is {step} (rounded down)"),
                });
                Quantity::new(rounded)
            }
            _ => {
                self.problems.add(
                    field,
                    format!("{quantity} is less than one step ({step}); increase it"),
                );
                quantity
            }
        }
    }
}

impl OrderSpec {
    /// Checks the order against a market without changing it: tick and step grids, decimals,
    /// min/max price and quantity, the price band around `reference` (mark or last price),
    /// the book's state, and that `reduceOnly` / margin flags suit the market type.
    ///
    /// # Errors
    /// [`InvalidOrder`] listing every violation.
    pub fn check(&self, market: &Market, reference: Option<Price>) -> Result<(), InvalidOrder> {
        let mut problems = Problems::default();
        check_into(self, market, reference, &mut problems);
        problems.finish(())
    }

    /// Rounds prices to the tick (limit buys down, limit sells up, triggers to nearest) and
    /// quantities down to the step, then [`check`](Self::check)s the result. Never rounds a
    /// quantity up past what was asked; a quantity that rounds to nothing is an error.
    ///
    /// # Errors
    /// [`InvalidOrder`] when rounding cannot make the order acceptable.
    pub fn fit_to(
        &self,
        market: &Market,
        reference: Option<Price>,
    ) -> Result<Fitted, InvalidOrder> {
        let mut fitter = Fitter {
            market,
            adjustments: Vec::new(),
            problems: Problems::default(),
        };
        let mut spec = self.clone();
        let limit_round = match spec.side {
            Side::Ask => Round::Up,
            _ => Round::Down,
        };
        match &mut spec.kind {
            OrderKind::Limit {
                price, quantity, ..
            } => {
                *price = fitter.price("price", *price, limit_round);
                *quantity = fitter.quantity("quantity", *quantity);
            }
            OrderKind::Market {
                size: MarketSize::Base(quantity),
            } => *quantity = fitter.quantity("quantity", *quantity),
            OrderKind::Market {
                size: MarketSize::Quote(_),
            } => {}
        }
        if let Some(trigger) = &mut spec.trigger {
            trigger.price = fitter.price("triggerPrice", trigger.price, Round::Nearest);
            if let TriggerQuantity::Amount(quantity) = &mut trigger.quantity {
                *quantity = fitter.quantity("triggerQuantity", *quantity);
            }
        }
        for (leg, trigger_field, limit_field) in [
            (
                &mut spec.take_profit,
                "takeProfitTriggerPrice",
                "takeProfitLimitPrice",
            ),
            (
                &mut spec.stop_loss,
                "stopLossTriggerPrice",
                "stopLossLimitPrice",
            ),
        ] {
            if let Some(leg) = leg {
                leg.trigger_price = fitter.price(trigger_field, leg.trigger_price, Round::Nearest);
                if let Some(limit) = &mut leg.limit_price {
                    *limit = fitter.price(limit_field, *limit, Round::Nearest);
                }
            }
        }
        let Fitter {
            adjustments,
            mut problems,
            ..
        } = fitter;
        // A field rounding could not fix is reported once, by the fitter.
        let mut checked = Problems::default();
        check_into(&spec, market, reference, &mut checked);
        problems.extend_new_fields(checked);
        problems.finish(Fitted { spec, adjustments })
    }
}

fn check_into(
    spec: &OrderSpec,
    market: &Market,
    reference: Option<Price>,
    problems: &mut Problems,
) {
    if spec.symbol != market.symbol {
        problems.add(
            "symbol",
            format!(
                "order is for {} but the market is {}",
                spec.symbol, market.symbol
            ),
        );
    }
    match &market.order_book_state {
        OrderBookState::Open => {}
        OrderBookState::LimitOnly if matches!(spec.kind, OrderKind::Market { .. }) => {
            problems.add(
                "orderType",
                "the market accepts only limit orders right now",
            );
        }
        OrderBookState::PostOnly
            if !matches!(
                spec.kind,
                OrderKind::Limit {
                    post_only: true,
                    ..
                }
            ) =>
        {
            problems.add(
                "postOnly",
                "the market accepts only post-only limit orders right now",
            );
        }
        OrderBookState::LimitOnly | OrderBookState::PostOnly => {}
        state => problems.add(
            "symbol",
            format!("the market is not trading (state {state})"),
        ),
    }
    if spec.reduce_only && !market.is_derivative() {
        problems.add("reduceOnly", format!("{} is a spot market", market.symbol));
    }
    if spec.margin.any_set() && market.is_derivative() {
        problems.add(
            "autoBorrow",
            "auto-borrow/lend flags apply to spot markets only",
        );
    }
    let filters = &market.filters;
    let tick = filters.price.tick_size.value();
    let mut check_price = |field: &'static str, price: Price| {
        if !fits(price.value(), tick) {
            problems.add(
                field,
                format!(
                    "{price} is not a multiple of the tick size {tick} ({} decimals allowed)",
                    decimals(tick)
                ),
            );
        }
        if price < filters.price.min_price {
            problems.add(
                field,
                format!(
                    "{price} is below the minimum price {}",
                    filters.price.min_price
                ),
            );
        }
        if let Some(max) = filters.price.max_price.filter(|max| price > *max) {
            problems.add(field, format!("{price} is above the maximum price {max}"));
        }
    };
    if let Some(price) = spec.price() {
        check_price("price", price);
    }
    if let Some(trigger) = &spec.trigger {
        check_price("triggerPrice", trigger.price);
    }
    for (leg, trigger_field, limit_field) in [
        (
            &spec.take_profit,
            "takeProfitTriggerPrice",
            "takeProfitLimitPrice",
        ),
        (
            &spec.stop_loss,
            "stopLossTriggerPrice",
            "stopLossLimitPrice",
        ),
    ] {
        if let Some(leg) = leg {
            check_price(trigger_field, leg.trigger_price);
            if let Some(limit) = leg.limit_price {
                check_price(limit_field, limit);
            }
        }
    }
    if let (Some(price), Some(reference)) = (spec.price(), reference) {
        check_band(problems, market, price, reference);
    }
    let step = filters.quantity.step_size.value();
    let mut check_quantity = |field: &'static str, quantity: Quantity| {
        if !fits(quantity.value(), step) {
            problems.add(
                field,
                format!(
                    "{quantity} is not a multiple of the step size {step} ({} decimals allowed)",
                    decimals(step)
                ),
            );
        }
        if quantity < filters.quantity.min_quantity {
            problems.add(
                field,
                format!(
                    "{quantity} is below the minimum quantity {}",
                    filters.quantity.min_quantity
                ),
            );
        }
        if let Some(max) = filters.quantity.max_quantity.filter(|max| quantity > *max) {
            problems.add(
                field,
                format!("{quantity} is above the maximum quantity {max}"),
            );
        }
    };
    if let Some(quantity) = spec.quantity() {
        check_quantity("quantity", quantity);
    }
    if let Some(Some(quantity)) = spec.trigger.as_ref().map(|t| match t.quantity {
        TriggerQuantity::Amount(quantity) => Some(quantity),
        TriggerQuantity::Percent(_) => None,
    }) {
        check_quantity("triggerQuantity", quantity);
    }
}

/// The limit price must stay within `[reference × minMultiplier, reference × maxMultiplier]`.
fn check_band(problems: &mut Problems, market: &Market, price: Price, reference: Price) {
    let filter = &market.filters.price;
    if let Some(high) = filter
        .max_multiplier
        .and_then(|m| reference.value().checked_mul(m.value()))
        .filter(|high| price.value() > *high)
    {
        problems.add(
            "price",
            format!(
                "{price} is too far above the reference price {reference} (limit {})",
                high.normalize()
            ),
        );
    }
    if let Some(low) = filter
        .min_multiplier
        .and_then(|m| reference.value().checked_mul(m.value()))
        .filter(|low| price.value() < *low)
    {
        problems.add(
            "price",
            format!(
                "{price} is too far below the reference price {reference} (limit {})",
                low.normalize()
            ),
        );
    }
}
