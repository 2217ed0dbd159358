//! Conversions between the validated [`OrderSpec`] and the flat wire payload.

use crate::model::{OrderExecutePayload, OrderType, TimeInForce};

use super::{
    ExitLeg, InvalidOrder, MarginFlags, MarketSize, OrderKind, OrderSpec, OrderSpecBuilder,
    Problems, Slippage, Trigger, validate,
};

impl From<&OrderSpec> for OrderExecutePayload {
    fn from(spec: &OrderSpec) -> Self {
        let order_type = match spec.kind {
            OrderKind::Limit { .. } => OrderType::Limit,
            OrderKind::Market { .. } => OrderType::Market,
        };
        let mut payload =
            OrderExecutePayload::new(spec.symbol.clone(), spec.side.clone(), order_type);
        match &spec.kind {
            OrderKind::Limit {
                price,
                quantity,
                time_in_force,
                post_only,
            } => {
                payload.price = Some(*price);
                payload.quantity = Some(*quantity);
                payload.time_in_force = Some(time_in_force.clone());
                payload.post_only = post_only.then_some(true);
            }
            OrderKind::Market {
                size: MarketSize::Base(quantity),
            } => payload.quantity = Some(*quantity),
            OrderKind::Market {
                size: MarketSize::Quote(quote),
            } => payload.quote_quantity = Some(*quote),
        }
        payload.client_id = spec.client_id;
        payload.reduce_only = spec.reduce_only.then_some(true);
        payload.self_trade_prevention = spec.self_trade_prevention.clone();
        if let Some(trigger) = &spec.trigger {
            payload.trigger_price = Some(trigger.price);
            payload.trigger_quantity = Some(trigger.quantity);
            payload.trigger_by = trigger.by.clone();
        }
        if let Some(leg) = &spec.take_profit {
            payload.take_profit_trigger_price = Some(leg.trigger_price);
            payload.take_profit_limit_price = leg.limit_price;
            payload.take_profit_trigger_by = leg.trigger_by.clone();
        }
        if let Some(leg) = &spec.stop_loss {
            payload.stop_loss_trigger_price = Some(leg.trigger_price);
            payload.stop_loss_limit_price = leg.limit_price;
            payload.stop_loss_trigger_by = leg.trigger_by.clone();
        }
        if let Some(slippage) = &spec.slippage {
            payload.slippage_tolerance = Some(slippage.tolerance);
            payload.slippage_tolerance_type = Some(slippage.kind.clone());
        }
        payload.auto_borrow = spec.margin.auto_borrow;
        payload.auto_borrow_repay = spec.margin.auto_borrow_repay;
        payload.auto_lend = spec.margin.auto_lend;
        payload.auto_lend_redeem = spec.margin.auto_lend_redeem;
        payload.broker_id = spec.broker_id;
        payload
    }
}

impl From<OrderSpec> for OrderExecutePayload {
    fn from(spec: OrderSpec) -> Self {
        OrderExecutePayload::from(&spec)
    }
}

impl TryFrom<OrderExecutePayload> for OrderSpec {
    type Error = InvalidOrder;

    /// Validates a flat payload (for example one parsed from JSON) into an order.
    fn try_from(payload: OrderExecutePayload) -> Result<Self, InvalidOrder> {
        let mut problems = Problems::default();
        let kind = match &payload.order_type {
            OrderType::Limit => {
                if payload.price.is_none() {
                    problems.add("price", "a limit order needs a price");
                }
                if payload.quantity.is_none() {
                    problems.add("quantity", "a limit order needs a quantity");
                }
                if payload.quote_quantity.is_some() {
                    problems.add(
                        "quoteQuantity",
                        "only market orders can be sized in quote; give a quantity instead",
                    );
                }
                match (payload.price, payload.quantity) {
                    (Some(price), Some(quantity)) => Some(OrderKind::Limit {
                        price,
                        quantity,
                        time_in_force: payload.time_in_force.clone().unwrap_or(TimeInForce::Gtc),
                        post_only: payload.post_only.unwrap_or(false),
                    }),
                    _ => None,
                }
            }
            OrderType::Market => {
                if payload.price.is_some() {
                    problems.add(
                        "price",
                        "a market order takes no price; use a limit order to set one",
                    );
                }
                if payload.post_only == Some(true) {
                    problems.add("postOnly", "only limit orders can be post-only");
                }
                if payload.time_in_force.is_some() {
                    problems.add("timeInForce", "only limit orders take a time in force");
                }
                match (payload.quantity, payload.quote_quantity) {
                    (Some(quantity), None) => Some(OrderKind::Market {
                        size: MarketSize::Base(quantity),
                    }),
                    (None, Some(quote)) => Some(OrderKind::Market {
                        size: MarketSize::Quote(quote),
                    }),
                    (Some(_), Some(_)) => {
                        problems.add(
                            "quoteQuantity",
                            "give either quantity (base) or quoteQuantity, not both",
                        );
                        None
                    }
                    (None, None) => {
                        problems.add(
                            "quantity",
                            "a market order needs a quantity (base) or a quoteQuantity",
                        );
                        None
                    }
                }
            }
            other => {
                problems.add(
                    "orderType",
                    format!("`{other}` is not an order type; use Limit or Market"),
                );
                None
            }
        };
        let trigger = match (payload.trigger_price, payload.trigger_quantity) {
            (Some(price), Some(quantity)) => Some(Trigger {
                price,
                quantity,
                by: payload.trigger_by.clone(),
            }),
            (None, None) => {
                if payload.trigger_by.is_some() {
                    problems.add("triggerBy", "set triggerPrice and triggerQuantity too");
                }
                None
            }
            _ => {
                problems.add(
                    "triggerPrice",
                    "give both triggerPrice and triggerQuantity, or neither",
                );
                None
            }
        };
        let take_profit = exit_leg(
            &mut problems,
            ("takeProfitTriggerPrice", "takeProfitLimitPrice"),
            payload.take_profit_trigger_price,
            payload.take_profit_limit_price,
            payload.take_profit_trigger_by.clone(),
        );
        let stop_loss = exit_leg(
            &mut problems,
            ("stopLossTriggerPrice", "stopLossLimitPrice"),
            payload.stop_loss_trigger_price,
            payload.stop_loss_limit_price,
            payload.stop_loss_trigger_by.clone(),
        );
        let slippage = match (
            payload.slippage_tolerance,
            payload.slippage_tolerance_type.clone(),
        ) {
            (Some(tolerance), Some(kind)) => Some(Slippage { tolerance, kind }),
            (None, None) => None,
            _ => {
                problems.add(
                    "slippageToleranceType",
                    "give both slippageTolerance and slippageToleranceType, or neither",
                );
                None
            }
        };
        let Some(kind) = kind else {
            // Every path that leaves `kind` empty has recorded why.
            return Err(problems.into_error());
        };
        let spec = OrderSpec {
            symbol: payload.symbol,
            side: payload.side,
            kind,
            client_id: payload.client_id,
            reduce_only: payload.reduce_only.unwrap_or(false),
            self_trade_prevention: payload.self_trade_prevention,
            trigger,
            take_profit,
            stop_loss,
            slippage,
            margin: MarginFlags {
                auto_borrow: payload.auto_borrow,
                auto_borrow_repay: payload.auto_borrow_repay,
                auto_lend: payload.auto_lend,
                auto_lend_redeem: payload.auto_lend_redeem,
            },
            broker_id: payload.broker_id,
        };
        validate(&spec, &mut problems);
        problems.finish(spec)
    }
}

fn exit_leg(
    problems: &mut Problems,
    (trigger_field, limit_field): (&'static str, &'static str),
    trigger_price: Option<crate::model::Price>,
    limit_price: Option<crate::model::Price>,
    trigger_by: Option<crate::model::TriggerBy>,
) -> Option<ExitLeg> {
    match trigger_price {
        Some(trigger_price) => Some(ExitLeg {
            trigger_price,
            limit_price,
            trigger_by,
        }),
        None => {
            if limit_price.is_some() || trigger_by.is_some() {
                problems.add(
                    trigger_field,
                    format!("{limit_field} and the trigger source need {trigger_field}"),
                );
            }
            None
        }
    }
}

impl OrderSpec {
    /// Reopens a validated order for changes; [`OrderSpecBuilder::build`] validates again.
    pub fn to_builder(&self) -> OrderSpecBuilder {
        OrderSpecBuilder {
            spec: self.clone(),
            misplaced: Vec::new(),
        }
    }
}
