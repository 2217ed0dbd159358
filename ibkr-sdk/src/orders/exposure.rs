//! The most an order can execute for, in the contract's currency: what a notional limit
//! must count, whatever price the order states.
//!
//! - A buy limit (and a buy stop-limit) never pays more than its limit.
//! - A sell limit sells at its price or at the market when that is higher: a SELL LMT 0.01
//!   in a market at 189 fills at 189.
//! - A stop, a trailing stop and a market-on-open/close order become market orders: the
//!   worse of the stop and the market. A stop the market has already crossed fires at once
//!   and is valued as the market order it becomes (see below). A trailing stop-limit adds
//!   its limit offset.
//! - A market order is valued at the executing side's touch (ask for a buy, bid for a sell)
//!   and only when the touch shows enough size for the whole order: a larger order walks a
//!   book this client cannot see, so it is unbounded.
//! - Options are valued at their risk: a long option at its premium, a short put at strike
//!   × multiplier × quantity, a short call at the higher of strike and underlying price.
//! - Values are price × quantity × multiplier, every step checked.

use rust_decimal::Decimal;

use super::{Action, OrderSpec, OrderType};
use crate::contracts::{ResolvedContract, Right, SecType};
use crate::market_data::Quote;
use crate::money::Price;

/// What an order can execute for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// At most `value`, in the contract's currency.
    Bounded {
        /// The most the order can execute for.
        value: Decimal,
        /// How it was computed (`1000 × 189.51 × 1 (ask above the stop 0.01)`).
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

fn text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// The price an order of this type can execute at, at worst, and why.
fn worst_price(spec: &OrderSpec, quote: Option<&Quote>) -> Result<(Decimal, String), String> {
    let buying = spec.action == Action::Buy;
    let market = quote
        .and_then(|q| q.reference_price(buying))
        .map(Price::value);
    let need_market = |what: &str| {
        market.ok_or_else(|| {
            format!("the market price is unknown, so a {what} cannot be valued; give it a limit price or try when quotes are available")
        })
    };
    let worse = |stated: Decimal, what: &str| -> Result<(Decimal, String), String> {
        let market = need_market(what)?;
        Ok(if market > stated {
            (
                market,
                format!(
                    "the market {} beyond the {what} {}",
                    text(market),
                    text(stated)
                ),
            )
        } else {
            (stated, format!("the {what} {}", text(stated)))
        })
    };
    let side = if buying { "ask" } else { "bid" };
    let at_market = || -> Result<(Decimal, String), String> {
        let market = need_market("market order")?;
        let shown = quote.and_then(|q| if buying { q.ask_size } else { q.bid_size });
        match shown {
            Some(size) if size >= spec.quantity => {
                Ok((market, format!("the {side} {}", text(market))))
            }
            Some(size) => Err(format!(
                "the market order for {} is larger than the {size} shown at the {side}, so its price is unknown; give it a limit price",
                spec.quantity
            )),
            None => Err(format!(
                "the size at the {side} is unknown, so a market order cannot be valued; give it a limit price"
            )),
        }
    };
    // A stop already crossed by the market fires at once: it is a market order now.
    let crossed = |stop: Price| {
        let touch = quote.and_then(|q| if buying { q.ask } else { q.bid });
        touch.is_some_and(|t| if buying { t >= stop } else { t <= stop })
    };
    match spec.order_type {
        OrderType::Limit { price }
        | OrderType::StopLimit {
            limit_price: price, ..
        } if buying => Ok((price.value(), format!("the limit {}", text(price.value())))),
        OrderType::Limit { price } => worse(price.value(), "limit"),
        OrderType::StopLimit {
            stop_price,
            limit_price,
        } => worse(
            stop_price.value().max(limit_price.value()),
            "stop and limit",
        ),
        OrderType::Stop { stop_price }
        | OrderType::TrailingStop {
            stop_price: Some(stop_price),
            ..
        } if crossed(stop_price) => at_market().map(|(price, why)| {
            (
                price,
                format!("{why}; the stop {stop_price} is already crossed"),
            )
        }),
        OrderType::Stop { stop_price } => worse(stop_price.value(), "stop"),
        OrderType::TrailingStop { stop_price, .. } => worse(
            stop_price.map_or(Decimal::ZERO, Price::value),
            "trailing stop",
        ),
        OrderType::TrailingStopLimit {
            stop_price,
            limit_offset,
            ..
        } => {
            let (price, why) = worse(
                stop_price.map_or(Decimal::ZERO, Price::value),
                "trailing stop",
            )?;
            let price = price
                .checked_add(limit_offset.value())
                .ok_or_else(|| "the order is too large to value".to_owned())?;
            Ok((
                price,
                format!("{why}, plus the limit offset {limit_offset}"),
            ))
        }
        OrderType::MarketOnClose | OrderType::MarketOnOpen => {
            let market = need_market("market-on-open/close order")?;
            Ok((market, format!("the market {}", text(market))))
        }
        OrderType::Market => at_market(),
    }
}

/// The most `spec` can execute for on `contract`, against `quote` (the contract's) and, for
/// a short call, `underlying` (the underlying's last price). See the module docs.
pub fn exposure(
    spec: &OrderSpec,
    contract: &ResolvedContract,
    quote: Option<&Quote>,
    underlying: Option<Price>,
) -> Exposure {
    let (price, why) = match worst_price(spec, quote) {
        Ok(found) => found,
        Err(reason) => return Exposure::Unbounded(reason),
    };
    let (quantity, multiplier) = (spec.quantity.value(), contract.multiplier.value());
    let (price, why) = match (contract.sec_type, contract.right, contract.strike) {
        (SecType::Option, Some(Right::Put), Some(strike)) if spec.action == Action::Sell => (
            price.max(strike.value()),
            format!("a short put's strike {strike}"),
        ),
        (SecType::Option, Some(Right::Call), Some(strike)) if spec.action == Action::Sell => {
            let Some(underlying) = underlying else {
                return Exposure::Unbounded(
                    "a short call's risk follows the underlying, whose price is unknown".into(),
                );
            };
            let risk = strike.value().max(underlying.value());
            (
                price.max(risk),
                format!(
                    "a short call's risk at the higher of the strike {strike} and the underlying {underlying}"
                ),
            )
        }
        _ => (price, why),
    };
    match price
        .checked_mul(quantity)
        .and_then(|v| v.checked_mul(multiplier))
    {
        Some(value) => Exposure::Bounded {
            value: value.normalize(),
            basis: format!(
                "{} × {} × {} ({why})",
                text(quantity),
                text(price),
                text(multiplier)
            ),
        },
        None => Exposure::Unbounded("the order is too large to value".into()),
    }
}

/// Whether valuing `spec` on `contract` needs the underlying's price.
pub(crate) fn needs_underlying(spec: &OrderSpec, contract: &ResolvedContract) -> bool {
    contract.sec_type == SecType::Option
        && contract.right == Some(Right::Call)
        && spec.action == Action::Sell
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr;

    use chrono::Utc;

    use super::*;
    use crate::contracts::ContractSpec;
    use crate::market_data::DataSource;
    use crate::money::Quantity;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn p(text: &str) -> Price {
        Price::new(d(text))
    }

    fn quote() -> Quote {
        Quote {
            con_id: crate::money::ConId(265598),
            contract: "STK AAPL".into(),
            bid: Some(p("189.49")),
            ask: Some(p("189.51")),
            last: Some(p("189.5")),
            bid_size: Some(Quantity::new(d("300"))),
            ask_size: Some(Quantity::new(d("300"))),
            last_size: None,
            volume: None,
            close: None,
            timestamp: Utc::now(),
            source: DataSource::Live,
        }
    }

    fn aapl() -> ResolvedContract {
        ResolvedContract {
            con_id: crate::money::ConId(265598),
            symbol: "AAPL".into(),
            sec_type: SecType::Stock,
            exchange: "SMART".into(),
            primary_exchange: "NASDAQ".into(),
            currency: "USD".into(),
            local_symbol: "AAPL".into(),
            expiry: None,
            strike: None,
            right: None,
            multiplier: Quantity::new(Decimal::ONE),
            min_tick: None,
            long_name: String::new(),
            ib: Default::default(),
        }
    }

    fn order(action: Action, quantity: &str, order_type: OrderType) -> OrderSpec {
        OrderSpec::of_type(
            ContractSpec::stock("AAPL"),
            action,
            Quantity::new(d(quantity)),
            order_type,
        )
    }

    fn value(spec: &OrderSpec, contract: &ResolvedContract) -> Option<Decimal> {
        exposure(spec, contract, Some(&quote()), None).value()
    }

    #[test]
    fn stops_and_sell_limits_count_at_the_market() {
        let stop = order(
            Action::Buy,
            "300",
            OrderType::Stop {
                stop_price: p("0.01"),
            },
        );
        assert_eq!(
            value(&stop, &aapl()),
            Some(d("56853")),
            "crossed: a market order"
        );
        let crossed = order(
            Action::Buy,
            "1000",
            OrderType::Stop {
                stop_price: p("0.01"),
            },
        );
        assert!(
            value(&crossed, &aapl()).is_none(),
            "larger than the ask size"
        );
        let later = order(
            Action::Buy,
            "1000",
            OrderType::Stop {
                stop_price: p("200"),
            },
        );
        assert_eq!(value(&later, &aapl()), Some(d("200000")));
        let sell = order(Action::Sell, "1000", OrderType::Limit { price: p("0.01") });
        assert_eq!(value(&sell, &aapl()), Some(d("189490")));
        let buy = order(Action::Buy, "1000", OrderType::Limit { price: p("0.01") });
        assert_eq!(value(&buy, &aapl()), Some(d("10")));
        let moc = order(Action::Buy, "10", OrderType::MarketOnClose);
        assert_eq!(value(&moc, &aapl()), Some(d("1895.1")));
        assert!(exposure(&sell, &aapl(), None, None).value().is_none());
    }

    #[test]
    fn a_market_order_beyond_the_shown_size_is_unbounded() {
        let small = order(Action::Buy, "300", OrderType::Market);
        assert_eq!(value(&small, &aapl()), Some(d("56853")));
        let large = order(Action::Buy, "301", OrderType::Market);
        let unbounded = exposure(&large, &aapl(), Some(&quote()), None);
        assert!(
            unbounded.basis().contains("larger than the 300"),
            "{unbounded:?}"
        );
    }

    #[test]
    fn short_options_count_their_risk() {
        let option = |right| ResolvedContract {
            sec_type: SecType::Option,
            right: Some(right),
            strike: Some(p("150")),
            multiplier: Quantity::new(d("100")),
            ..aapl()
        };
        let option_quote = Quote {
            bid: Some(p("2.9")),
            ask: Some(p("3.1")),
            ..quote()
        };
        let value = |spec: &OrderSpec, contract: &ResolvedContract| {
            exposure(spec, contract, Some(&option_quote), None).value()
        };
        let premium = |action| order(action, "2", OrderType::Limit { price: p("3") });
        assert_eq!(
            value(&premium(Action::Buy), &option(Right::Put)),
            Some(d("600"))
        );
        assert_eq!(
            value(&premium(Action::Sell), &option(Right::Put)),
            Some(d("30000"))
        );
        let call = option(Right::Call);
        assert!(
            exposure(&premium(Action::Sell), &call, Some(&option_quote), None)
                .value()
                .is_none()
        );
        assert_eq!(
            exposure(
                &premium(Action::Sell),
                &call,
                Some(&option_quote),
                Some(p("189.5"))
            )
            .value(),
            Some(d("37900"))
        );
    }

    #[test]
    fn absurd_quantities_are_unbounded_not_a_panic() {
        let huge = order(
            Action::Buy,
            "10000000000000000000000000000",
            OrderType::Limit { price: p("1000") },
        );
        assert!(value(&huge, &aapl()).is_none());
    }
}
