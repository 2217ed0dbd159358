//! Orders: validated specifications, and the calls that preview, place, cancel and follow
//! them (see [`Orders`]).
//!
//! An [`OrderSpec`] carries exactly the prices its type needs ([`OrderType`]), so a limit
//! order without a price or a market order with one cannot be written; the flat
//! [`OrderRequest`] (what a tool or a form sends) converts into it and says what is wrong.

mod api;
pub mod exposure;
mod ib;
mod lookup;
mod report;
pub(crate) mod tracker;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use api::{BracketPlaced, OcaPlaced, Orders};
pub use report::{Fill, OrderReport, OrderStatus, Preview, PreviewSource};
pub use tracker::{OrderChange, OrderUpdate, OrderUpdates};

use crate::contracts::ContractSpec;
use crate::error::InvalidOrder;
use crate::money::{Price, Quantity};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Action {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl Action {
    /// The other side.
    pub fn opposite(self) -> Action {
        match self {
            Action::Buy => Action::Sell,
            Action::Sell => Action::Buy,
        }
    }
}

/// How long an order works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum TimeInForce {
    /// Until the end of the day.
    #[default]
    Day,
    /// Until cancelled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

/// Trailing distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Trail {
    /// A price distance.
    Amount(Price),
    /// A percentage of the price.
    Percent(Price),
}

/// What kind of order, with exactly the prices it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum OrderType {
    /// At the market.
    Market,
    /// At `price` or better.
    Limit {
        /// Limit price.
        price: Price,
    },
    /// Market order once the price reaches `stop_price`.
    Stop {
        /// Stop price.
        stop_price: Price,
    },
    /// Limit order once the price reaches `stop_price`.
    StopLimit {
        /// Stop price.
        stop_price: Price,
        /// Limit price.
        limit_price: Price,
    },
    /// A stop that follows the price by `trail`.
    TrailingStop {
        /// Distance.
        trail: Trail,
        /// Initial stop price (IBKR computes one when absent).
        stop_price: Option<Price>,
    },
    /// A trailing stop that places a limit order `limit_offset` beyond the stop.
    TrailingStopLimit {
        /// Distance.
        trail: Trail,
        /// Initial stop price.
        stop_price: Option<Price>,
        /// Limit price offset from the stop.
        limit_offset: Price,
    },
    /// Market on close.
    MarketOnClose,
    /// Market on open.
    MarketOnOpen,
}

impl OrderType {
    /// IBKR's code for the type (`MOO` for market on open, sent as `MKT` with `OPG`).
    pub fn code(&self) -> OrderTypeCode {
        match self {
            OrderType::Market => OrderTypeCode::Market,
            OrderType::Limit { .. } => OrderTypeCode::Limit,
            OrderType::Stop { .. } => OrderTypeCode::Stop,
            OrderType::StopLimit { .. } => OrderTypeCode::StopLimit,
            OrderType::TrailingStop { .. } => OrderTypeCode::TrailingStop,
            OrderType::TrailingStopLimit { .. } => OrderTypeCode::TrailingStopLimit,
            OrderType::MarketOnClose => OrderTypeCode::MarketOnClose,
            OrderType::MarketOnOpen => OrderTypeCode::MarketOnOpen,
        }
    }
}

/// A validated order for one contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderSpec {
    /// The contract.
    pub contract: ContractSpec,
    /// Buy or sell.
    pub action: Action,
    /// How many (shares, contracts).
    pub quantity: Quantity,
    /// Kind and prices.
    pub order_type: OrderType,
    /// Time in force (on-close orders are day orders; on-open orders use OPG).
    pub time_in_force: TimeInForce,
    /// Whether it may work outside regular trading hours.
    pub outside_rth: bool,
}

fn positive(problems: &mut Vec<String>, field: &str, value: Price) {
    if !value.is_positive() {
        problems.push(format!("{field} must be greater than zero, got {value}"));
    }
}

fn check_trail(problems: &mut Vec<String>, trail: Trail) {
    match trail {
        Trail::Amount(amount) => positive(problems, "trail amount", amount),
        Trail::Percent(percent) => {
            if !(percent.is_positive() && percent.value() < Decimal::ONE_HUNDRED) {
                problems.push(format!(
                    "trail percent must be between 0 and 100, got {percent}"
                ));
            }
        }
    }
}

impl OrderSpec {
    fn new(
        contract: ContractSpec,
        action: Action,
        quantity: Quantity,
        order_type: OrderType,
    ) -> Self {
        Self {
            contract,
            action,
            quantity,
            order_type,
            time_in_force: TimeInForce::Day,
            outside_rth: false,
        }
    }

    /// A market order.
    pub fn market(contract: ContractSpec, action: Action, quantity: Quantity) -> Self {
        Self::new(contract, action, quantity, OrderType::Market)
    }

    /// A limit order.
    pub fn limit(contract: ContractSpec, action: Action, quantity: Quantity, price: Price) -> Self {
        Self::new(contract, action, quantity, OrderType::Limit { price })
    }

    /// A stop (market) order.
    pub fn stop(
        contract: ContractSpec,
        action: Action,
        quantity: Quantity,
        stop_price: Price,
    ) -> Self {
        Self::new(contract, action, quantity, OrderType::Stop { stop_price })
    }

    /// Any order type.
    pub fn of_type(
        contract: ContractSpec,
        action: Action,
        quantity: Quantity,
        order_type: OrderType,
    ) -> Self {
        Self::new(contract, action, quantity, order_type)
    }

    /// With another time in force.
    #[must_use]
    pub fn time_in_force(mut self, time_in_force: TimeInForce) -> Self {
        self.time_in_force = time_in_force;
        self
    }

    /// Allowed to work outside regular trading hours.
    #[must_use]
    pub fn outside_rth(mut self, allowed: bool) -> Self {
        self.outside_rth = allowed;
        self
    }

    /// Checks the order, listing every problem.
    ///
    /// # Errors
    /// [`InvalidOrder`].
    pub fn validate(&self) -> Result<(), InvalidOrder> {
        let mut problems = Vec::new();
        if let Err(error) = self.contract.validate() {
            problems.push(error.to_string());
        }
        if self.contract.sec_type == crate::contracts::SecType::Index {
            problems.push("an index cannot be traded; trade its futures or options".into());
        }
        if !self.quantity.is_positive() {
            problems.push(format!(
                "quantity must be greater than zero, got {} (use action SELL to sell)",
                self.quantity
            ));
        }
        match self.order_type {
            OrderType::Market => {}
            OrderType::Limit { price } => positive(&mut problems, "limit price", price),
            OrderType::Stop { stop_price } => positive(&mut problems, "stop price", stop_price),
            OrderType::StopLimit {
                stop_price,
                limit_price,
            } => {
                positive(&mut problems, "stop price", stop_price);
                positive(&mut problems, "limit price", limit_price);
            }
            OrderType::TrailingStop { trail, stop_price } => {
                check_trail(&mut problems, trail);
                if let Some(stop) = stop_price {
                    positive(&mut problems, "stop price", stop);
                }
            }
            OrderType::TrailingStopLimit {
                trail,
                stop_price,
                limit_offset,
            } => {
                check_trail(&mut problems, trail);
                if let Some(stop) = stop_price {
                    positive(&mut problems, "stop price", stop);
                }
                if limit_offset.value().is_sign_negative() {
                    problems.push(format!(
                        "limit offset must not be negative, got {limit_offset}"
                    ));
                }
            }
            OrderType::MarketOnClose | OrderType::MarketOnOpen => {
                if self.time_in_force != TimeInForce::Day {
                    problems.push(
                        "on-close and on-open orders take no time in force (leave it DAY)".into(),
                    );
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidOrder { problems })
        }
    }

    /// The price the order's value is measured at, when it names one (limit, stop or
    /// trailing stop price).
    pub fn stated_price(&self) -> Option<Price> {
        match self.order_type {
            OrderType::Limit { price } => Some(price),
            OrderType::Stop { stop_price } | OrderType::StopLimit { stop_price, .. } => {
                Some(stop_price)
            }
            OrderType::TrailingStop { stop_price, .. }
            | OrderType::TrailingStopLimit { stop_price, .. } => stop_price,
            OrderType::Market | OrderType::MarketOnClose | OrderType::MarketOnOpen => None,
        }
    }
}

/// How a bracket enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum Entry {
    /// At the market.
    Market,
    /// At a limit price.
    Limit {
        /// Entry price.
        price: Price,
    },
}

/// An entry with a take-profit and a stop-loss, placed as one linked set: the exits work
/// once the entry fills, and one cancels the other.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BracketSpec {
    /// The contract.
    pub contract: ContractSpec,
    /// Direction of the entry.
    pub action: Action,
    /// Size.
    pub quantity: Quantity,
    /// Entry order.
    pub entry: Entry,
    /// Limit price of the take-profit exit.
    pub take_profit: Price,
    /// Stop price of the stop-loss exit.
    pub stop_loss: Price,
    /// Time in force of all three orders.
    #[serde(default)]
    pub time_in_force: TimeInForce,
}

impl BracketSpec {
    /// Checks the bracket: a buy's take-profit above its entry and stop-loss below (a
    /// sell's the other way round).
    ///
    /// # Errors
    /// [`InvalidOrder`] listing every problem.
    pub fn validate(&self) -> Result<(), InvalidOrder> {
        let entry_type = match self.entry {
            Entry::Market => OrderType::Market,
            Entry::Limit { price } => OrderType::Limit { price },
        };
        let entry = OrderSpec::of_type(
            self.contract.clone(),
            self.action,
            self.quantity,
            entry_type,
        )
        .time_in_force(self.time_in_force);
        let mut problems = match entry.validate() {
            Ok(()) => Vec::new(),
            Err(invalid) => invalid.problems,
        };
        positive(&mut problems, "take profit", self.take_profit);
        positive(&mut problems, "stop loss", self.stop_loss);
        let buying = self.action == Action::Buy;
        let (above, below) = if buying {
            (self.take_profit, self.stop_loss)
        } else {
            (self.stop_loss, self.take_profit)
        };
        if above <= below {
            problems.push(format!(
                "for a {} bracket the take profit ({}) must be {} the stop loss ({})",
                if buying { "buy" } else { "sell" },
                self.take_profit,
                if buying { "above" } else { "below" },
                self.stop_loss
            ));
        }
        if let Entry::Limit { price } = self.entry {
            let inside = if buying {
                self.stop_loss < price && price < self.take_profit
            } else {
                self.take_profit < price && price < self.stop_loss
            };
            if !inside {
                problems.push(format!(
                    "the entry price {price} must lie between the stop loss {} and the take profit {}",
                    self.stop_loss, self.take_profit
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidOrder { problems })
        }
    }
}

/// IBKR's order type codes, for [`OrderRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum OrderTypeCode {
    /// Market.
    #[serde(rename = "MKT")]
    Market,
    /// Limit.
    #[serde(rename = "LMT")]
    Limit,
    /// Stop.
    #[serde(rename = "STP")]
    Stop,
    /// Stop limit.
    #[serde(rename = "STP LMT")]
    StopLimit,
    /// Trailing stop.
    #[serde(rename = "TRAIL")]
    TrailingStop,
    /// Trailing stop limit.
    #[serde(rename = "TRAIL LIMIT")]
    TrailingStopLimit,
    /// Market on close.
    #[serde(rename = "MOC")]
    MarketOnClose,
    /// Market on open.
    #[serde(rename = "MOO")]
    MarketOnOpen,
}

/// An order as a flat record of optional fields (what a form or a tool call sends).
/// Converting it into an [`OrderSpec`] checks that exactly the right prices are present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderRequest {
    /// The contract.
    pub contract: ContractSpec,
    /// `BUY` or `SELL`.
    pub action: Action,
    /// How many (positive).
    pub quantity: Quantity,
    /// Order type.
    pub order_type: OrderTypeCode,
    /// Limit price (`LMT`, `STP LMT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Price>,
    /// Stop price (`STP`, `STP LMT`; initial stop for trailing orders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Price>,
    /// Trailing distance in price (`TRAIL`, `TRAIL LIMIT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail_amount: Option<Price>,
    /// Trailing distance in percent (`TRAIL`, `TRAIL LIMIT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail_percent: Option<Price>,
    /// Limit offset from the stop (`TRAIL LIMIT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_offset: Option<Price>,
    /// `DAY` (default), `GTC`, `IOC`, `FOK`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<TimeInForce>,
    /// Allow outside regular trading hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_rth: Option<bool>,
}

impl TryFrom<OrderRequest> for OrderSpec {
    type Error = InvalidOrder;

    fn try_from(request: OrderRequest) -> Result<Self, InvalidOrder> {
        let mut problems = Vec::new();
        let mut take = |field: &str, value: Option<Price>, wanted: bool| -> Option<Price> {
            match (value, wanted) {
                (Some(value), true) => Some(value),
                (None, true) => {
                    problems.push(format!(
                        "{field} is required for a {:?} order",
                        request.order_type
                    ));
                    None
                }
                (Some(_), false) => {
                    problems.push(format!(
                        "a {:?} order takes no {field}; remove it",
                        request.order_type
                    ));
                    None
                }
                (None, false) => None,
            }
        };
        use OrderTypeCode as C;
        let code = request.order_type;
        let trailing = matches!(code, C::TrailingStop | C::TrailingStopLimit);
        let limit = take(
            "limit_price",
            request.limit_price,
            matches!(code, C::Limit | C::StopLimit),
        );
        let stop = match code {
            C::Stop | C::StopLimit => take("stop_price", request.stop_price, true),
            _ if trailing => request.stop_price,
            _ => take("stop_price", request.stop_price, false),
        };
        let offset = take(
            "limit_offset",
            request.limit_offset,
            code == C::TrailingStopLimit,
        );
        let trail = match (request.trail_amount, request.trail_percent, trailing) {
            (Some(amount), None, true) => Some(Trail::Amount(amount)),
            (None, Some(percent), true) => Some(Trail::Percent(percent)),
            (Some(_), Some(_), true) => {
                problems.push("give trail_amount or trail_percent, not both".into());
                None
            }
            (None, None, true) => {
                problems.push("a trailing order needs trail_amount or trail_percent".into());
                None
            }
            (None, None, false) => None,
            (_, _, false) => {
                problems.push(format!(
                    "a {code:?} order takes no trail_amount or trail_percent; remove them"
                ));
                None
            }
        };
        let order_type = match (code, limit, stop, trail, offset) {
            (C::Market, ..) => Some(OrderType::Market),
            (C::Limit, Some(price), ..) => Some(OrderType::Limit { price }),
            (C::Stop, _, Some(stop_price), ..) => Some(OrderType::Stop { stop_price }),
            (C::StopLimit, Some(limit_price), Some(stop_price), ..) => Some(OrderType::StopLimit {
                stop_price,
                limit_price,
            }),
            (C::TrailingStop, _, stop_price, Some(trail), _) => {
                Some(OrderType::TrailingStop { trail, stop_price })
            }
            (C::TrailingStopLimit, _, stop_price, Some(trail), Some(limit_offset)) => {
                Some(OrderType::TrailingStopLimit {
                    trail,
                    stop_price,
                    limit_offset,
                })
            }
            (C::MarketOnClose, ..) => Some(OrderType::MarketOnClose),
            (C::MarketOnOpen, ..) => Some(OrderType::MarketOnOpen),
            _ => None,
        };
        let spec = order_type.map(|order_type| OrderSpec {
            contract: request.contract,
            action: request.action,
            quantity: request.quantity,
            order_type,
            time_in_force: request.time_in_force.unwrap_or_default(),
            outside_rth: request.outside_rth.unwrap_or(false),
        });
        match spec {
            Some(spec) if problems.is_empty() => spec.validate().map(|()| spec),
            _ => Err(InvalidOrder { problems }),
        }
    }
}

#[cfg(test)]
mod tests;
