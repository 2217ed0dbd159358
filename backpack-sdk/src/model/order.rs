//! Orders on the wire: the flat execute payload, open orders, historical orders and batch
//! results.
//!
//! [`OrderExecutePayload`] is the exact JSON body of `POST /api/v1/order`. Build it from a
//! validated [`OrderSpec`](crate::spec::OrderSpec) rather than by hand: the spec makes invalid
//! combinations impossible, the payload only mirrors the wire.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::enums::{
    ExpiryReason, OrderStatus, OrderType, SelfTradePrevention, Side, SlippageToleranceType,
    SystemOrderType, TimeInForce, TriggerBy,
};
use super::error::ApiErrorBody;
use super::ids::{ClientOrderId, OrderId, StrategyId, Symbol};
use super::num::{Notional, Price, Quantity, Rate};
use super::time::{self, Timestamp};

/// Size of a conditional order once triggered: an amount, or a percentage of the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerQuantity {
    /// Base quantity (`"0.5"`).
    Amount(Quantity),
    /// Percent of the position (`"25%"`).
    Percent(Rate),
}

impl fmt::Display for TriggerQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TriggerQuantity::Amount(quantity) => write!(f, "{quantity}"),
            TriggerQuantity::Percent(percent) => write!(f, "{percent}%"),
        }
    }
}

impl FromStr for TriggerQuantity {
    type Err = super::num::ParseDecimalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().strip_suffix('%') {
            Some(percent) => percent.parse().map(TriggerQuantity::Percent),
            None => text.parse().map(TriggerQuantity::Amount),
        }
    }
}

impl Serialize for TriggerQuantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TriggerQuantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TriggerVisitor;
        impl Visitor<'_> for TriggerVisitor {
            type Value = TriggerQuantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity (\"0.5\") or a percentage (\"25%\")")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<TriggerQuantity, E> {
                text.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<TriggerQuantity, E> {
                Ok(TriggerQuantity::Amount(Quantity::new(value.into())))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<TriggerQuantity, E> {
                Ok(TriggerQuantity::Amount(Quantity::new(value.into())))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<TriggerQuantity, E> {
                super::num::decimal_from_json_number(value)
                    .map(|value| TriggerQuantity::Amount(Quantity::new(value)))
                    .map_err(E::custom)
            }
        }
        deserializer.deserialize_any(TriggerVisitor)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for TriggerQuantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TriggerQuantity".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]+(\\.[0-9]+)?%?$",
            "description": "base quantity (\"0.5\") or percent of the position (\"25%\")"
        })
    }
}

/// The JSON body of `POST /api/v1/order` (and each element of `POST /api/v1/orders`).
///
/// Field names and types are exactly the exchange's; absent fields are not sent (and so not
/// signed). Prefer building one from a validated [`OrderSpec`](crate::spec::OrderSpec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderExecutePayload {
    /// Spot margin: borrow to fund the order.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auto_borrow: Option<bool>,
    /// Spot margin: repay borrows with the proceeds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auto_borrow_repay: Option<bool>,
    /// Spot margin: lend the proceeds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auto_lend: Option<bool>,
    /// Spot margin: redeem lent funds to fund the order.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auto_lend_redeem: Option<bool>,
    /// Broker id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub broker_id: Option<u16>,
    /// Client-chosen id (u32).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_id: Option<ClientOrderId>,
    /// `Limit` or `Market`.
    pub order_type: OrderType,
    /// Post-only (limit orders).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub post_only: Option<bool>,
    /// Limit price.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub price: Option<Price>,
    /// Base quantity.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quantity: Option<Quantity>,
    /// Quote quantity (market orders sized in quote currency).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub quote_quantity: Option<Notional>,
    /// Only reduce a position (futures).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reduce_only: Option<bool>,
    /// Self-trade prevention mode.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub self_trade_prevention: Option<SelfTradePrevention>,
    /// `Bid` or `Ask`.
    pub side: Side,
    /// Slippage tolerance (market orders).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub slippage_tolerance: Option<Rate>,
    /// Unit of the slippage tolerance.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub slippage_tolerance_type: Option<SlippageToleranceType>,
    /// Stop-loss limit price (absent: market stop).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_loss_limit_price: Option<Price>,
    /// Price the stop-loss watches.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_loss_trigger_by: Option<TriggerBy>,
    /// Stop-loss trigger price.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_loss_trigger_price: Option<Price>,
    /// Market symbol.
    pub symbol: Symbol,
    /// Take-profit limit price (absent: market exit).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub take_profit_limit_price: Option<Price>,
    /// Price the take-profit watches.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub take_profit_trigger_by: Option<TriggerBy>,
    /// Take-profit trigger price.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub take_profit_trigger_price: Option<Price>,
    /// `GTC`, `IOC` or `FOK`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_in_force: Option<TimeInForce>,
    /// Price the trigger watches.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trigger_by: Option<TriggerBy>,
    /// Trigger price of a conditional order.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trigger_price: Option<Price>,
    /// Size once triggered.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trigger_quantity: Option<TriggerQuantity>,
}

impl OrderExecutePayload {
    /// A payload with only the three required fields set; everything else absent.
    pub fn new(symbol: impl Into<Symbol>, side: Side, order_type: OrderType) -> Self {
        Self {
            auto_borrow: None,
            auto_borrow_repay: None,
            auto_lend: None,
            auto_lend_redeem: None,
            broker_id: None,
            client_id: None,
            order_type,
            post_only: None,
            price: None,
            quantity: None,
            quote_quantity: None,
            reduce_only: None,
            self_trade_prevention: None,
            side,
            slippage_tolerance: None,
            slippage_tolerance_type: None,
            stop_loss_limit_price: None,
            stop_loss_trigger_by: None,
            stop_loss_trigger_price: None,
            symbol: symbol.into(),
            take_profit_limit_price: None,
            take_profit_trigger_by: None,
            take_profit_trigger_price: None,
            time_in_force: None,
            trigger_by: None,
            trigger_price: None,
            trigger_quantity: None,
        }
    }
}

/// An order as open-order, execute and cancel endpoints return it.
///
/// One flat type for limit and market orders (the wire discriminates by `orderType`): fields
/// that only one kind has are `Option`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Order {
    /// Exchange-assigned id.
    pub id: OrderId,
    /// Client-chosen id, if one was given.
    #[serde(default)]
    pub client_id: Option<ClientOrderId>,
    /// Market symbol.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub order_type: OrderType,
    /// Lifecycle state.
    pub status: OrderStatus,
    /// Time in force.
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    /// Self-trade prevention mode.
    #[serde(default)]
    pub self_trade_prevention: Option<SelfTradePrevention>,
    /// Limit price (limit orders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Base quantity ordered.
    #[serde(default)]
    pub quantity: Option<Quantity>,
    /// Quote quantity ordered (market orders sized in quote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_quantity: Option<Notional>,
    /// Post-only (limit orders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// Reduce-only.
    #[serde(default)]
    pub reduce_only: Option<bool>,
    /// Base quantity filled so far.
    pub executed_quantity: Quantity,
    /// Quote value filled so far.
    pub executed_quote_quantity: Notional,
    /// Creation time (milliseconds on the wire).
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Millis"))]
    #[serde(with = "time::millis")]
    pub created_at: Timestamp,
    /// Trigger price of a conditional order.
    #[serde(default)]
    pub trigger_price: Option<Price>,
    /// Price the trigger watches.
    #[serde(default)]
    pub trigger_by: Option<TriggerBy>,
    /// Size once triggered.
    #[serde(default)]
    pub trigger_quantity: Option<TriggerQuantity>,
    /// When the trigger fired.
    #[cfg_attr(feature = "schemars", schemars(with = "Option<time::schema::Millis>"))]
    #[serde(with = "time::millis::option", default)]
    pub triggered_at: Option<Timestamp>,
    /// Attached stop-loss trigger price.
    #[serde(default)]
    pub stop_loss_trigger_price: Option<Price>,
    /// Attached stop-loss limit price.
    #[serde(default)]
    pub stop_loss_limit_price: Option<Price>,
    /// Price the stop-loss watches.
    #[serde(default)]
    pub stop_loss_trigger_by: Option<TriggerBy>,
    /// Attached take-profit trigger price.
    #[serde(default)]
    pub take_profit_trigger_price: Option<Price>,
    /// Attached take-profit limit price.
    #[serde(default)]
    pub take_profit_limit_price: Option<Price>,
    /// Price the take-profit watches.
    #[serde(default)]
    pub take_profit_trigger_by: Option<TriggerBy>,
    /// Order this one is linked to (TP/SL legs).
    #[serde(default)]
    pub related_order_id: Option<OrderId>,
    /// Strategy that placed the order.
    #[serde(default)]
    pub strategy_id: Option<StrategyId>,
    /// Slippage tolerance.
    #[serde(default)]
    pub slippage_tolerance: Option<Rate>,
    /// Unit of the slippage tolerance.
    #[serde(default)]
    pub slippage_tolerance_type: Option<SlippageToleranceType>,
}

impl Order {
    /// Average fill price (`executedQuoteQuantity / executedQuantity`), if anything filled.
    pub fn average_fill_price(&self) -> Option<Price> {
        average_price(self.executed_quantity, self.executed_quote_quantity)
    }

    /// Base quantity still to fill, when the order was sized in base.
    pub fn remaining_quantity(&self) -> Option<Quantity> {
        self.quantity
            .map(|quantity| Quantity::new(quantity.value() - self.executed_quantity.value()))
    }
}

fn average_price(quantity: Quantity, quote: Notional) -> Option<Price> {
    if quantity.is_zero() {
        return None;
    }
    quote
        .value()
        .checked_div(quantity.value())
        .map(|value| Price::new(value.normalize()))
}

/// An order from `GET /wapi/v1/history/orders`: every order, open or finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct HistoricalOrder {
    /// Exchange-assigned id.
    pub id: OrderId,
    /// Client-chosen id, if one was given.
    #[serde(default)]
    pub client_id: Option<ClientOrderId>,
    /// Market symbol.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub order_type: OrderType,
    /// Final or current state.
    pub status: OrderStatus,
    /// Why the exchange ended the order.
    #[serde(default)]
    pub expiry_reason: Option<ExpiryReason>,
    /// Set when the exchange placed the order itself (liquidation, ...).
    #[serde(default)]
    pub system_order_type: Option<SystemOrderType>,
    /// Time in force.
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    /// Self-trade prevention mode.
    #[serde(default)]
    pub self_trade_prevention: Option<SelfTradePrevention>,
    /// Limit price.
    #[serde(default)]
    pub price: Option<Price>,
    /// Base quantity ordered.
    #[serde(default)]
    pub quantity: Option<Quantity>,
    /// Quote quantity ordered.
    #[serde(default)]
    pub quote_quantity: Option<Notional>,
    /// Post-only.
    #[serde(default)]
    pub post_only: Option<bool>,
    /// Base quantity filled.
    #[serde(default)]
    pub executed_quantity: Option<Quantity>,
    /// Quote value filled.
    #[serde(default)]
    pub executed_quote_quantity: Option<Notional>,
    /// Creation time (a naive UTC datetime string on the wire).
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Naive"))]
    #[serde(with = "time::naive")]
    pub created_at: Timestamp,
    /// Trigger price.
    #[serde(default)]
    pub trigger_price: Option<Price>,
    /// Price the trigger watches.
    #[serde(default)]
    pub trigger_by: Option<TriggerBy>,
    /// Size once triggered.
    #[serde(default)]
    pub trigger_quantity: Option<TriggerQuantity>,
    /// Stop-loss trigger price.
    #[serde(default)]
    pub stop_loss_trigger_price: Option<Price>,
    /// Stop-loss limit price.
    #[serde(default)]
    pub stop_loss_limit_price: Option<Price>,
    /// Price the stop-loss watches.
    #[serde(default)]
    pub stop_loss_trigger_by: Option<TriggerBy>,
    /// Take-profit trigger price.
    #[serde(default)]
    pub take_profit_trigger_price: Option<Price>,
    /// Take-profit limit price.
    #[serde(default)]
    pub take_profit_limit_price: Option<Price>,
    /// Price the take-profit watches.
    #[serde(default)]
    pub take_profit_trigger_by: Option<TriggerBy>,
    /// Strategy that placed the order.
    #[serde(default)]
    pub strategy_id: Option<StrategyId>,
    /// Slippage tolerance.
    #[serde(default)]
    pub slippage_tolerance: Option<Rate>,
    /// Unit of the slippage tolerance.
    #[serde(default)]
    pub slippage_tolerance_type: Option<SlippageToleranceType>,
}

impl HistoricalOrder {
    /// Average fill price, if anything filled.
    pub fn average_fill_price(&self) -> Option<Price> {
        average_price(
            self.executed_quantity.unwrap_or_default(),
            self.executed_quote_quantity.unwrap_or_default(),
        )
    }
}

/// One element of the `POST /api/v1/orders` (batch) answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum BatchOrderResult {
    /// The order was accepted; here it is.
    Ok(Box<Order>),
    /// The order was rejected; the others in the batch are unaffected.
    Err(ApiErrorBody),
}

/// Answer to a cancel: the cancelled order, or HTTP 202 (accepted, not yet executed).
#[derive(Debug, Clone, PartialEq)]
pub enum CancelOutcome<T> {
    /// Cancelled; the order(s) in their final state.
    Cancelled(T),
    /// HTTP 202: the exchange queued the cancel. Check the order again before relying on it.
    Accepted,
}

impl<T> CancelOutcome<T> {
    /// The cancelled value, if the exchange confirmed it.
    pub fn cancelled(self) -> Option<T> {
        match self {
            CancelOutcome::Cancelled(value) => Some(value),
            CancelOutcome::Accepted => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_quantity_forms() {
        let percent: TriggerQuantity = serde_json::from_str(r#""12.5%""#).unwrap();
        assert_eq!(percent, TriggerQuantity::Percent("12.5".parse().unwrap()));
        assert_eq!(serde_json::to_string(&percent).unwrap(), r#""12.5%""#);
        let amount: TriggerQuantity = serde_json::from_str(r#""0.010""#).unwrap();
        assert_eq!(amount.to_string(), "0.010");
        assert!(serde_json::from_str::<TriggerQuantity>(r#""%""#).is_err());
    }

    #[test]
    fn average_price_of_an_order() {
        let json = r#"{"clientId":null,"createdAt":1753624283415,"executedQuantity":"0.001",
            "executedQuoteQuantity":"3.81428","id":"4227701917","orderType":"Market",
            "quantity":"0.001","quoteQuantity":"3.82","reduceOnly":null,"side":"Bid",
            "status":"Filled","symbol":"ETH_USDC","timeInForce":"GTC"}"#;
        let order: Order = serde_json::from_str(json).unwrap();
        assert_eq!(order.average_fill_price().unwrap().to_string(), "3814.28");
        assert_eq!(order.remaining_quantity().unwrap().to_string(), "0.000");
    }
}
