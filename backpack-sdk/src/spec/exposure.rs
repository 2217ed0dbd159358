//! The most an order can execute for, in its market's quote asset: what a limit must count,
//! whatever price the order states.
//!
//! The rules, worst execution first:
//! - a buy limit never pays more than its price; a sell limit sells at its price or at the
//!   best bid when that is higher (a sell at 1.00 in a market at 180 fills at 180);
//! - a market buy walks the visible asks for its size; a market sell is valued at the best
//!   bid; a book that cannot cover the size (or no book) leaves the order unbounded;
//! - a quote-sized market order is worth its quote amount;
//! - a conditional order counts the larger of `quantity` and `triggerQuantity`, at the
//!   worse of its trigger price and the market (a trigger on the wrong side of the market
//!   fires at once); once triggered a market order walks the visible book for that size
//!   like any market order; a percentage `triggerQuantity` is unbounded (it scales with the
//!   account, not the order);
//! - take-profit and stop-loss legs only reduce what the order opened and add nothing.
//!
//! Every product and sum is checked: an absurd quantity is unbounded, never a panic.

use rust_decimal::Decimal;

use super::{MarketSize, OrderKind, OrderSpec};
use crate::model::{Depth, Price, Side, TriggerQuantity};

/// What an order can execute for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// At most `value` of the quote asset.
    Bounded {
        /// The most the order can execute for.
        value: Decimal,
        /// How it was computed, for the person (`50 × 180.5 (best bid above the limit)`).
        basis: String,
    },
    /// No bound can be given; the text says why.
    Unbounded(String),
}

impl Exposure {
    /// The value, when bounded.
    pub fn value(&self) -> Option<Decimal> {
        match self {
            Exposure::Bounded { value, .. } => Some(*value),
            Exposure::Unbounded(_) => None,
        }
    }

    /// How the value was found, or why there is none.
    pub fn basis(&self) -> &str {
        match self {
            Exposure::Bounded { basis, .. } | Exposure::Unbounded(basis) => basis,
        }
    }
}

/// The market an order is valued against.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarketView<'a> {
    /// The order book, when it could be read.
    pub depth: Option<&'a Depth>,
    /// The last trade price, when known.
    pub last: Option<Price>,
}

impl MarketView<'_> {
    /// The price the order's side trades at now: the best ask for a buy, the best bid for a
    /// sell, else the last price.
    fn touch(&self, side: &Side) -> Option<Decimal> {
        let level = self.depth.and_then(|depth| match side {
            Side::Bid => depth.best_ask(),
            _ => depth.best_bid(),
        });
        level
            .map(|level| level.price().value())
            .or(self.last.map(|p| p.value()))
    }
}

fn text(value: Decimal) -> String {
    value.normalize().to_string()
}

fn too_large() -> Exposure {
    Exposure::Unbounded("the order is too large to value".into())
}

fn product(quantity: Decimal, price: Decimal, basis: String) -> Exposure {
    match quantity.checked_mul(price) {
        Some(value) => Exposure::Bounded { value, basis },
        None => too_large(),
    }
}

/// The cost of buying `quantity` by walking the asks best first.
fn walk_asks(depth: &Depth, quantity: Decimal) -> Exposure {
    let mut left = quantity;
    let mut cost = Decimal::ZERO;
    let mut worst = Decimal::ZERO;
    for level in depth.asks_best_first() {
        if left <= Decimal::ZERO {
            break;
        }
        let take = left.min(level.quantity().value());
        let Some(total) = take
            .checked_mul(level.price().value())
            .and_then(|part| cost.checked_add(part))
        else {
            return too_large();
        };
        cost = total;
        left -= take;
        worst = level.price().value();
    }
    if left > Decimal::ZERO {
        return Exposure::Unbounded(format!(
            "the visible asks hold only {} of the {} to buy, so the price of the rest is unknown; use a limit order",
            text(quantity - left),
            text(quantity)
        ));
    }
    Exposure::Bounded {
        value: cost,
        basis: format!(
            "{} bought walking the asks up to {}",
            text(quantity),
            text(worst)
        ),
    }
}

/// The value of selling `quantity` at the best bid, when the visible bids can take it.
fn sell_at_bid(depth: &Depth, quantity: Decimal) -> Exposure {
    let Some(best) = depth.best_bid() else {
        return Exposure::Unbounded("the book has no bids to sell into".into());
    };
    let visible = depth
        .bids
        .iter()
        .try_fold(Decimal::ZERO, |sum, level| {
            sum.checked_add(level.quantity().value())
        })
        .unwrap_or(Decimal::MAX);
    if visible < quantity {
        return Exposure::Unbounded(format!(
            "the visible bids hold only {} of the {} to sell; use a limit order",
            text(visible),
            text(quantity)
        ));
    }
    product(
        quantity,
        best.price().value(),
        format!(
            "{} × {} (best bid)",
            text(quantity),
            text(best.price().value())
        ),
    )
}

impl OrderSpec {
    /// The most this order can execute for against `market` (see the module docs).
    pub fn exposure(&self, market: MarketView<'_>) -> Exposure {
        let trigger = self.trigger();
        let trigger_quantity = match trigger.map(|t| &t.quantity) {
            Some(TriggerQuantity::Percent(percent)) => {
                return Exposure::Unbounded(format!(
                    "triggerQuantity {percent}% is a share of the account, not a size, so the order has no bound; give triggerQuantity as a quantity"
                ));
            }
            Some(TriggerQuantity::Amount(quantity)) => Some(quantity.value()),
            None => None,
        };
        let side = self.side();
        let buying = matches!(side, Side::Bid);
        let touch = market.touch(side);
        if let Some(trigger) = trigger {
            // Fires later (or at once, on the wrong side of the market): the worse of the
            // trigger and the market, for the larger of the two sizes.
            let quantity = self
                .quantity()
                .map(|q| q.value())
                .into_iter()
                .chain(trigger_quantity)
                .max()
                .unwrap_or(Decimal::ZERO);
            let limit = self.price().map(|p| p.value());
            let market_price = match touch {
                Some(price) => price,
                None if limit.is_some() && buying => Decimal::ZERO,
                None => {
                    return Exposure::Unbounded(
                        "the market price is unknown, so a conditional order cannot be valued"
                            .into(),
                    );
                }
            };
            let price = match limit {
                // A triggered buy limit still never pays more than its limit.
                Some(limit) if buying => limit,
                Some(limit) => limit.max(trigger.price.value()).max(market_price),
                None => trigger.price.value().max(market_price),
            };
            let sized = product(
                quantity,
                price,
                format!(
                    "{} × {} (the worse of the trigger {}, the limit and the market)",
                    text(quantity),
                    text(price),
                    text(trigger.price.value())
                ),
            );
            // Once triggered a market order takes the book for its whole size (at once, when
            // the trigger is already on the wrong side of the market).
            let sized = if limit.is_none() {
                let walked = match market.depth {
                    None => Exposure::Unbounded(
                        "the order book cannot be read, so a market order cannot be valued".into(),
                    ),
                    Some(depth) if buying => walk_asks(depth, quantity),
                    Some(depth) => sell_at_bid(depth, quantity),
                };
                match (sized, walked) {
                    (Exposure::Bounded { value, basis }, Exposure::Bounded { value: walk, .. })
                        if value >= walk =>
                    {
                        Exposure::Bounded { value, basis }
                    }
                    (Exposure::Bounded { .. }, Exposure::Bounded { value, basis }) => {
                        Exposure::Bounded {
                            value,
                            basis: format!("{basis} once triggered"),
                        }
                    }
                    (Exposure::Unbounded(reason), _) | (_, Exposure::Unbounded(reason)) => {
                        Exposure::Unbounded(format!(
                            "once triggered it is a market order for {}: {reason}",
                            text(quantity)
                        ))
                    }
                }
            } else {
                sized
            };
            return match (self.kind(), sized) {
                (
                    OrderKind::Market {
                        size: MarketSize::Quote(amount),
                    },
                    Exposure::Bounded { value, basis },
                ) if amount.value() > value => Exposure::Bounded {
                    value: amount.value(),
                    basis: format!("quoteQuantity {} (more than {basis})", amount),
                },
                (_, sized) => sized,
            };
        }
        match self.kind() {
            OrderKind::Limit {
                price, quantity, ..
            } => {
                let (price, quantity) = (price.value(), quantity.value());
                if buying {
                    return product(
                        quantity,
                        price,
                        format!("{} × {} (limit)", text(quantity), text(price)),
                    );
                }
                match touch {
                    Some(bid) if bid > price => product(
                        quantity,
                        bid,
                        format!(
                            "{} × {} (the market is above the limit {}: it sells at the market)",
                            text(quantity),
                            text(bid),
                            text(price)
                        ),
                    ),
                    Some(_) => product(
                        quantity,
                        price,
                        format!("{} × {} (limit)", text(quantity), text(price)),
                    ),
                    None => Exposure::Unbounded(
                        "the market price is unknown, so a sell limit may fill above its price"
                            .into(),
                    ),
                }
            }
            OrderKind::Market {
                size: MarketSize::Quote(amount),
            } => Exposure::Bounded {
                value: amount.value(),
                basis: format!("quoteQuantity {amount}"),
            },
            OrderKind::Market {
                size: MarketSize::Base(quantity),
            } => match market.depth {
                None => Exposure::Unbounded(
                    "the order book cannot be read, so a market order cannot be valued".into(),
                ),
                Some(depth) if buying => walk_asks(depth, quantity.value()),
                Some(depth) => sell_at_bid(depth, quantity.value()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr;

    use super::*;
    use crate::model::{Level, Quantity, Rate, Timestamp};

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn depth() -> Depth {
        let level = |p: &str, q: &str| Level(Price::new(d(p)), Quantity::new(d(q)));
        Depth {
            asks: vec![level("181", "10"), level("180", "5")],
            bids: vec![level("178", "10"), level("179", "5")],
            last_update_id: 1,
            timestamp: Timestamp::from_millis(0),
        }
    }

    fn view(depth: &Depth) -> MarketView<'_> {
        MarketView {
            depth: Some(depth),
            last: Some(Price::new(d("179.5"))),
        }
    }

    fn limit(side: Side, price: &str, quantity: &str) -> crate::spec::OrderSpecBuilder {
        OrderSpec::limit(
            "SOL_USDC",
            side,
            Price::new(d(price)),
            Quantity::new(d(quantity)),
        )
    }

    #[test]
    fn a_sell_limit_below_the_market_counts_at_the_bid() {
        let book = depth();
        let spec = limit(Side::Ask, "1", "50").build().unwrap();
        assert_eq!(spec.exposure(view(&book)).value(), Some(d("8950")));
        let resting = limit(Side::Ask, "200", "2").build().unwrap();
        assert_eq!(resting.exposure(view(&book)).value(), Some(d("400")));
        let buy = limit(Side::Bid, "150", "2").build().unwrap();
        assert_eq!(buy.exposure(MarketView::default()).value(), Some(d("300")));
        assert!(
            spec.exposure(MarketView::default()).value().is_none(),
            "a sell limit without a market cannot be bounded"
        );
    }

    #[test]
    fn a_market_buy_walks_the_asks_and_refuses_what_the_book_cannot_cover() {
        let book = depth();
        let spec = |q: &str| {
            OrderSpec::market("SOL_USDC", Side::Bid, Quantity::new(d(q)))
                .build()
                .unwrap()
        };
        assert_eq!(
            spec("8").exposure(view(&book)).value(),
            Some(d("1443")),
            "5 × 180 + 3 × 181"
        );
        let short = spec("16").exposure(view(&book));
        assert!(short.basis().contains("only 15"), "{short:?}");
        assert!(spec("1").exposure(MarketView::default()).value().is_none());
        let sell = OrderSpec::market("SOL_USDC", Side::Ask, Quantity::new(d("15")))
            .build()
            .unwrap();
        assert_eq!(sell.exposure(view(&book)).value(), Some(d("2685")));
    }

    #[test]
    fn a_trigger_counts_its_larger_size_at_the_worse_price() {
        let book = depth();
        let small = OrderSpec::market("SOL_USDC", Side::Bid, Quantity::new(d("0.1")))
            .trigger(
                Price::new(d("100")),
                TriggerQuantity::Amount(Quantity::new(d("50"))),
            )
            .build()
            .unwrap();
        let thin = small.exposure(view(&book));
        assert!(
            thin.value().is_none() && thin.basis().contains("only 15"),
            "50 once triggered walks a book of 15: {thin:?}"
        );
        let fits = OrderSpec::market("SOL_USDC", Side::Bid, Quantity::new(d("0.1")))
            .trigger(
                Price::new(d("100")),
                TriggerQuantity::Amount(Quantity::new(d("8"))),
            )
            .build()
            .unwrap();
        assert_eq!(
            fits.exposure(view(&book)).value(),
            Some(d("1443")),
            "8 walking the asks (5 × 180 + 3 × 181), above 8 at the trigger 100"
        );
        let sell = OrderSpec::limit(
            "SOL_USDC",
            Side::Ask,
            Price::new(d("1")),
            Quantity::new(d("0.1")),
        )
        .trigger(
            Price::new(d("100")),
            TriggerQuantity::Amount(Quantity::new(d("50"))),
        )
        .build()
        .unwrap();
        assert_eq!(
            sell.exposure(view(&book)).value(),
            Some(d("8950")),
            "a triggered sell limit at 1 sells 50 at the bid 179"
        );
        let percent = OrderSpec::market("SOL_USDC", Side::Bid, Quantity::new(d("0.1")))
            .trigger(
                Price::new(d("100")),
                TriggerQuantity::Percent(Rate::new(d("100"))),
            )
            .build()
            .unwrap();
        let unbounded = percent.exposure(view(&book));
        assert!(
            unbounded.value().is_none() && unbounded.basis().contains("100%"),
            "{unbounded:?}"
        );
    }

    #[test]
    fn absurd_sizes_are_unbounded_not_a_panic() {
        let book = depth();
        let huge = limit(Side::Bid, "79228162514264337593543950335", "1000")
            .build()
            .unwrap();
        assert!(huge.exposure(view(&book)).value().is_none());
    }
}
