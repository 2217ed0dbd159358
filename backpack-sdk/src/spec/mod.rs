//! Validated order specifications.
//!
//! An [`OrderSpec`] can only be obtained through [`OrderSpecBuilder::build`] or by converting
//! a wire [`OrderExecutePayload`](crate::model::OrderExecutePayload), and both validate: a limit order has a price, a market
//! order has exactly one of a base or a quote quantity, a trigger has a price *and* a
//! quantity, `reduceOnly` is only on perpetuals, take-profit and stop-loss sit on the right
//! side of the entry, and no field the exchange would not understand is sent. Market-specific
//! checks (tick size, step size, min/max, price bands) are in [`OrderSpec::check`] and
//! [`OrderSpec::fit_to`].
//!
//! ```
//! use backpack_sdk::spec::OrderSpec;
//! use backpack_sdk::model::{Side, TimeInForce};
//!
//! let order = OrderSpec::limit("SOL_USDC", Side::Bid, "150.25".parse()?, "0.10".parse()?)
//!     .time_in_force(TimeInForce::Gtc)
//!     .post_only(true)
//!     .client_id(42)
//!     .build()?;
//! assert_eq!(order.symbol().as_str(), "SOL_USDC");
//!
//! // A market order sized in quote currency; a price would make it invalid.
//! let err = OrderSpec::market_quote("SOL_USDC", Side::Bid, "100".parse()?)
//!     .post_only(true)
//!     .build()
//!     .unwrap_err();
//! assert!(err.to_string().contains("postOnly"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod exposure;
mod fit;
mod wire;

use std::fmt;

use rust_decimal::Decimal;

use crate::model::{
    ClientOrderId, Notional, Price, Quantity, Rate, SelfTradePrevention, Side,
    SlippageToleranceType, Symbol, TimeInForce, TriggerBy, TriggerQuantity,
};

pub use exposure::{Exposure, MarketView};
pub use fit::{Adjustment, Fitted};

/// What kind of order, with exactly the fields that kind needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderKind {
    /// Rests at `price` (unless it crosses).
    Limit {
        /// Limit price.
        price: Price,
        /// Base quantity.
        quantity: Quantity,
        /// How long it lives.
        time_in_force: TimeInForce,
        /// Reject instead of taking liquidity.
        post_only: bool,
    },
    /// Takes liquidity now.
    Market {
        /// How much.
        size: MarketSize,
    },
}

/// Size of a market order: in base or in quote currency, never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketSize {
    /// Base quantity (`quantity`).
    Base(Quantity),
    /// Quote amount to spend or receive (`quoteQuantity`).
    Quote(Notional),
}

/// Makes the order conditional: it enters the book when `by` reaches `price`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// Trigger price.
    pub price: Price,
    /// Size once triggered.
    pub quantity: TriggerQuantity,
    /// Which price is watched (exchange default when `None`).
    pub by: Option<TriggerBy>,
}

/// An attached take-profit or stop-loss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitLeg {
    /// Price that fires the exit.
    pub trigger_price: Price,
    /// Limit price of the exit order; `None` exits at market.
    pub limit_price: Option<Price>,
    /// Which price is watched.
    pub trigger_by: Option<TriggerBy>,
}

/// Slippage tolerance of a market order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slippage {
    /// Tolerance value.
    pub tolerance: Rate,
    /// Unit of the tolerance.
    pub kind: SlippageToleranceType,
}

/// Spot-margin flags (spot markets only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MarginFlags {
    /// Borrow to fund the order.
    pub auto_borrow: Option<bool>,
    /// Repay borrows with the proceeds.
    pub auto_borrow_repay: Option<bool>,
    /// Lend the proceeds.
    pub auto_lend: Option<bool>,
    /// Redeem lent funds to fund the order.
    pub auto_lend_redeem: Option<bool>,
}

impl MarginFlags {
    fn any_set(&self) -> bool {
        self.auto_borrow.is_some()
            || self.auto_borrow_repay.is_some()
            || self.auto_lend.is_some()
            || self.auto_lend_redeem.is_some()
    }
}

/// A validated order, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSpec {
    symbol: Symbol,
    side: Side,
    kind: OrderKind,
    client_id: Option<ClientOrderId>,
    reduce_only: bool,
    self_trade_prevention: Option<SelfTradePrevention>,
    trigger: Option<Trigger>,
    take_profit: Option<ExitLeg>,
    stop_loss: Option<ExitLeg>,
    slippage: Option<Slippage>,
    margin: MarginFlags,
    broker_id: Option<u16>,
}

impl OrderSpec {
    /// Starts a limit order (GTC, not post-only unless set).
    pub fn limit(
        symbol: impl Into<Symbol>,
        side: Side,
        price: Price,
        quantity: Quantity,
    ) -> OrderSpecBuilder {
        OrderSpecBuilder::new(
            symbol.into(),
            side,
            OrderKind::Limit {
                price,
                quantity,
                time_in_force: TimeInForce::Gtc,
                post_only: false,
            },
        )
    }

    /// Starts a market order sized in base quantity.
    pub fn market(symbol: impl Into<Symbol>, side: Side, quantity: Quantity) -> OrderSpecBuilder {
        OrderSpecBuilder::new(
            symbol.into(),
            side,
            OrderKind::Market {
                size: MarketSize::Base(quantity),
            },
        )
    }

    /// Starts a market order sized in quote currency ("buy 100 USDC of SOL").
    pub fn market_quote(
        symbol: impl Into<Symbol>,
        side: Side,
        quote_quantity: Notional,
    ) -> OrderSpecBuilder {
        OrderSpecBuilder::new(
            symbol.into(),
            side,
            OrderKind::Market {
                size: MarketSize::Quote(quote_quantity),
            },
        )
    }

    /// Market symbol.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// Buy or sell.
    pub fn side(&self) -> &Side {
        &self.side
    }

    /// Kind and size.
    pub fn kind(&self) -> &OrderKind {
        &self.kind
    }

    /// Client id, if set.
    pub fn client_id(&self) -> Option<ClientOrderId> {
        self.client_id
    }

    /// Whether the order may only reduce a position.
    pub fn reduce_only(&self) -> bool {
        self.reduce_only
    }

    /// Self-trade prevention mode, if set.
    pub fn self_trade_prevention(&self) -> Option<&SelfTradePrevention> {
        self.self_trade_prevention.as_ref()
    }

    /// Trigger, for conditional orders.
    pub fn trigger(&self) -> Option<&Trigger> {
        self.trigger.as_ref()
    }

    /// Attached take-profit.
    pub fn take_profit(&self) -> Option<&ExitLeg> {
        self.take_profit.as_ref()
    }

    /// Attached stop-loss.
    pub fn stop_loss(&self) -> Option<&ExitLeg> {
        self.stop_loss.as_ref()
    }

    /// Slippage tolerance.
    pub fn slippage(&self) -> Option<&Slippage> {
        self.slippage.as_ref()
    }

    /// Spot-margin flags.
    pub fn margin(&self) -> &MarginFlags {
        &self.margin
    }

    /// Limit price, for limit orders.
    pub fn price(&self) -> Option<Price> {
        match self.kind {
            OrderKind::Limit { price, .. } => Some(price),
            OrderKind::Market { .. } => None,
        }
    }

    /// Base quantity, when the order is sized in base.
    pub fn quantity(&self) -> Option<Quantity> {
        match self.kind {
            OrderKind::Limit { quantity, .. }
            | OrderKind::Market {
                size: MarketSize::Base(quantity),
            } => Some(quantity),
            OrderKind::Market {
                size: MarketSize::Quote(_),
            } => None,
        }
    }

    /// The same order with another client id (used to make every order reconcilable).
    pub fn with_client_id(mut self, client_id: ClientOrderId) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Estimated value in quote currency: `price × quantity` for limit orders, the quote
    /// amount for quote-sized market orders, `reference × quantity` for base-sized market
    /// orders (`None` without a reference price, or on overflow).
    pub fn notional(&self, reference: Option<Price>) -> Option<Notional> {
        let (price, quantity) = match self.kind {
            OrderKind::Limit {
                price, quantity, ..
            } => (price, quantity),
            OrderKind::Market {
                size: MarketSize::Quote(quote),
            } => return Some(quote),
            OrderKind::Market {
                size: MarketSize::Base(quantity),
            } => (reference?, quantity),
        };
        price
            .value()
            .checked_mul(quantity.value())
            .map(Notional::new)
    }
}

/// One thing wrong with an order, naming the wire field to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderProblem {
    /// The wire field (`price`, `quantity`, `reduceOnly`, ...).
    pub field: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for OrderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// An order that was not sent because it is invalid. Lists every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidOrder {
    problems: Vec<OrderProblem>,
}

impl InvalidOrder {
    pub(crate) fn single(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            problems: vec![OrderProblem {
                field,
                message: message.into(),
            }],
        }
    }

    /// Every problem found.
    pub fn problems(&self) -> &[OrderProblem] {
        &self.problems
    }
}

impl fmt::Display for InvalidOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid order: ")?;
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Collects problems while validating.
#[derive(Default)]
pub(crate) struct Problems(Vec<OrderProblem>);

impl Problems {
    pub(crate) fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(OrderProblem {
            field,
            message: message.into(),
        });
    }

    /// Adds `other`'s problems about fields not already reported.
    pub(crate) fn extend_new_fields(&mut self, other: Problems) {
        for problem in other.0 {
            if !self.0.iter().any(|known| known.field == problem.field) {
                self.0.push(problem);
            }
        }
    }

    /// The problems as an error (with a generic problem if, wrongly, none was recorded).
    pub(crate) fn into_error(mut self) -> InvalidOrder {
        if self.0.is_empty() {
            self.add("order", "the order is incomplete");
        }
        InvalidOrder { problems: self.0 }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, InvalidOrder> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(InvalidOrder { problems: self.0 })
        }
    }
}

/// Builds an [`OrderSpec`]; nothing is checked or sent until [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use = "an order builder does nothing until .build() is called"]
pub struct OrderSpecBuilder {
    spec: OrderSpec,
    misplaced: Vec<(&'static str, &'static str)>,
}

impl OrderSpecBuilder {
    fn new(symbol: Symbol, side: Side, kind: OrderKind) -> Self {
        Self {
            spec: OrderSpec {
                symbol,
                side,
                kind,
                client_id: None,
                reduce_only: false,
                self_trade_prevention: None,
                trigger: None,
                take_profit: None,
                stop_loss: None,
                slippage: None,
                margin: MarginFlags::default(),
                broker_id: None,
            },
            misplaced: Vec::new(),
        }
    }

    /// Time in force (limit orders only).
    pub fn time_in_force(mut self, value: TimeInForce) -> Self {
        match &mut self.spec.kind {
            OrderKind::Limit { time_in_force, .. } => *time_in_force = value,
            OrderKind::Market { .. } => self
                .misplaced
                .push(("timeInForce", "only limit orders take a time in force")),
        }
        self
    }

    /// Post-only (limit orders only).
    pub fn post_only(mut self, value: bool) -> Self {
        match &mut self.spec.kind {
            OrderKind::Limit { post_only, .. } => *post_only = value,
            OrderKind::Market { .. } => self.misplaced.push((
                "postOnly",
                "only limit orders can be post-only; use a limit order",
            )),
        }
        self
    }

    /// Client id (recommended on every order: it is how a timed-out order is found again).
    pub fn client_id(mut self, value: impl Into<ClientOrderId>) -> Self {
        self.spec.client_id = Some(value.into());
        self
    }

    /// Only reduce an existing position (perpetual markets only).
    pub fn reduce_only(mut self, value: bool) -> Self {
        self.spec.reduce_only = value;
        self
    }

    /// Self-trade prevention mode.
    pub fn self_trade_prevention(mut self, value: SelfTradePrevention) -> Self {
        self.spec.self_trade_prevention = Some(value);
        self
    }

    /// Makes the order conditional: placed when the watched price reaches `price`.
    pub fn trigger(mut self, price: Price, quantity: TriggerQuantity) -> Self {
        self.spec.trigger = Some(Trigger {
            price,
            quantity,
            by: self.spec.trigger.take().and_then(|t| t.by),
        });
        self
    }

    /// Which price the trigger watches (call after [`trigger`](Self::trigger)).
    pub fn trigger_by(mut self, by: TriggerBy) -> Self {
        match &mut self.spec.trigger {
            Some(trigger) => trigger.by = Some(by),
            None => self
                .misplaced
                .push(("triggerBy", "set a trigger price and quantity first")),
        }
        self
    }

    /// Attaches a take-profit that fires at `trigger_price`, exiting at `limit_price` or at
    /// market when `None`.
    pub fn take_profit(mut self, trigger_price: Price, limit_price: Option<Price>) -> Self {
        self.spec.take_profit = Some(ExitLeg {
            trigger_price,
            limit_price,
            trigger_by: None,
        });
        self
    }

    /// Which price the take-profit watches (call after [`take_profit`](Self::take_profit)).
    pub fn take_profit_trigger_by(mut self, by: TriggerBy) -> Self {
        match &mut self.spec.take_profit {
            Some(leg) => leg.trigger_by = Some(by),
            None => self.misplaced.push((
                "takeProfitTriggerBy",
                "set a take-profit trigger price first",
            )),
        }
        self
    }

    /// Attaches a stop-loss that fires at `trigger_price`, exiting at `limit_price` or at
    /// market when `None`.
    pub fn stop_loss(mut self, trigger_price: Price, limit_price: Option<Price>) -> Self {
        self.spec.stop_loss = Some(ExitLeg {
            trigger_price,
            limit_price,
            trigger_by: None,
        });
        self
    }

    /// Which price the stop-loss watches (call after [`stop_loss`](Self::stop_loss)).
    pub fn stop_loss_trigger_by(mut self, by: TriggerBy) -> Self {
        match &mut self.spec.stop_loss {
            Some(leg) => leg.trigger_by = Some(by),
            None => self
                .misplaced
                .push(("stopLossTriggerBy", "set a stop-loss trigger price first")),
        }
        self
    }

    /// Slippage tolerance (market orders only).
    pub fn slippage(mut self, tolerance: Rate, kind: SlippageToleranceType) -> Self {
        self.spec.slippage = Some(Slippage { tolerance, kind });
        self
    }

    /// Spot-margin flags (spot markets only).
    pub fn margin(mut self, flags: MarginFlags) -> Self {
        self.spec.margin = flags;
        self
    }

    /// Broker id.
    pub fn broker_id(mut self, id: u16) -> Self {
        self.spec.broker_id = Some(id);
        self
    }

    /// Validates and returns the order.
    ///
    /// # Errors
    /// [`InvalidOrder`] listing every problem, each naming the wire field.
    pub fn build(self) -> Result<OrderSpec, InvalidOrder> {
        let mut problems = Problems::default();
        for (field, message) in &self.misplaced {
            problems.add(field, *message);
        }
        validate(&self.spec, &mut problems);
        problems.finish(self.spec)
    }
}

fn positive_price(problems: &mut Problems, field: &'static str, price: Price) {
    if !price.is_positive() {
        problems.add(field, format!("must be greater than zero, got {price}"));
    }
}

fn known<T: fmt::Display>(problems: &mut Problems, field: &'static str, value: &T, unknown: bool) {
    if unknown {
        problems.add(
            field,
            format!("`{value}` is not a value the exchange accepts"),
        );
    }
}

fn validate(spec: &OrderSpec, problems: &mut Problems) {
    let symbol = spec.symbol.as_str();
    if symbol.is_empty()
        || symbol.len() > 64
        || !symbol
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        problems.add(
            "symbol",
            "must be a market symbol such as SOL_USDC or BTC_USDC_PERP",
        );
    }
    known(problems, "side", &spec.side, spec.side.is_unknown());
    match &spec.kind {
        OrderKind::Limit {
            price,
            quantity,
            time_in_force,
            post_only,
        } => {
            positive_price(problems, "price", *price);
            if !quantity.is_positive() {
                problems.add(
                    "quantity",
                    format!("must be greater than zero, got {quantity}"),
                );
            }
            known(
                problems,
                "timeInForce",
                time_in_force,
                time_in_force.is_unknown(),
            );
            if *post_only && !matches!(time_in_force, TimeInForce::Gtc) {
                problems.add(
                    "postOnly",
                    format!(
                        "a post-only order must be GTC, not {time_in_force}: it could never rest"
                    ),
                );
            }
        }
        OrderKind::Market { size } => {
            let (field, value) = match size {
                MarketSize::Base(quantity) => ("quantity", quantity.value()),
                MarketSize::Quote(quote) => ("quoteQuantity", quote.value()),
            };
            if value <= Decimal::ZERO {
                problems.add(field, format!("must be greater than zero, got {value}"));
            }
        }
    }
    if spec.reduce_only && !spec.symbol.looks_like_perp() {
        problems.add(
            "reduceOnly",
            format!("only perpetual markets (…_PERP) take reduce-only orders, not {symbol}"),
        );
    }
    if let Some(stp) = &spec.self_trade_prevention {
        known(problems, "selfTradePrevention", stp, stp.is_unknown());
    }
    if let Some(trigger) = &spec.trigger {
        positive_price(problems, "triggerPrice", trigger.price);
        let quantity_ok = match trigger.quantity {
            TriggerQuantity::Amount(quantity) => quantity.is_positive(),
            TriggerQuantity::Percent(percent) => {
                percent.is_positive() && percent.value() <= Decimal::ONE_HUNDRED
            }
        };
        if !quantity_ok {
            problems.add(
                "triggerQuantity",
                "must be a positive quantity or a percentage in (0, 100]",
            );
        }
        if let Some(by) = &trigger.by {
            known(problems, "triggerBy", by, by.is_unknown());
        }
    }
    validate_exit_legs(spec, problems);
    if let Some(slippage) = &spec.slippage {
        if !matches!(spec.kind, OrderKind::Market { .. }) {
            problems.add(
                "slippageTolerance",
                "only market orders take a slippage tolerance",
            );
        }
        if !slippage.tolerance.is_positive() {
            problems.add("slippageTolerance", "must be greater than zero");
        }
        known(
            problems,
            "slippageToleranceType",
            &slippage.kind,
            slippage.kind.is_unknown(),
        );
    }
    if spec.margin.any_set() && spec.symbol.looks_like_perp() {
        problems.add(
            "autoBorrow",
            "auto-borrow/lend flags apply to spot margin only, not to perpetuals",
        );
    }
}

fn validate_exit_legs(spec: &OrderSpec, problems: &mut Problems) {
    let legs = [
        (
            "takeProfitTriggerPrice",
            "takeProfitLimitPrice",
            "takeProfitTriggerBy",
            &spec.take_profit,
        ),
        (
            "stopLossTriggerPrice",
            "stopLossLimitPrice",
            "stopLossTriggerBy",
            &spec.stop_loss,
        ),
    ];
    for (trigger_field, limit_field, by_field, leg) in legs {
        let Some(leg) = leg else { continue };
        positive_price(problems, trigger_field, leg.trigger_price);
        if let Some(limit) = leg.limit_price {
            positive_price(problems, limit_field, limit);
        }
        if let Some(by) = &leg.trigger_by {
            known(problems, by_field, by, by.is_unknown());
        }
    }
    // With a known entry price, a take-profit must be on the profitable side and a stop-loss
    // on the losing side; anything else would fire at once.
    let Some(entry) = spec.price().or(spec.trigger.as_ref().map(|t| t.price)) else {
        return;
    };
    let long = match spec.side {
        Side::Bid => true,
        Side::Ask => false,
        Side::Unknown(_) => return,
    };
    if let Some(tp) = &spec.take_profit {
        let ok = if long {
            tp.trigger_price > entry
        } else {
            tp.trigger_price < entry
        };
        if !ok {
            let side = if long { "above" } else { "below" };
            problems.add(
                "takeProfitTriggerPrice",
                format!(
                    "must be {side} the entry price {entry} for a {} order",
                    spec.side
                ),
            );
        }
    }
    if let Some(sl) = &spec.stop_loss {
        let ok = if long {
            sl.trigger_price < entry
        } else {
            sl.trigger_price > entry
        };
        if !ok {
            let side = if long { "below" } else { "above" };
            problems.add(
                "stopLossTriggerPrice",
                format!(
                    "must be {side} the entry price {entry} for a {} order",
                    spec.side
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
