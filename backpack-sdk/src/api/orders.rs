//! Order endpoints (signed): query, place, cancel.

use serde::{Deserialize, Serialize};

use super::{DecodeError, Effect, Method, Request, decode_json, json_request};
use crate::model::{
    BatchOrderResult, CancelOrderType, CancelOutcome, ClientOrderId, MarketType, Order,
    OrderExecutePayload, OrderId, OrderRef, Symbol,
};
use crate::spec::{InvalidOrder, OrderSpec};

/// Serializes an [`OrderRef`] as exactly one of `orderId` / `clientId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderRefFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<OrderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<ClientOrderId>,
}

impl From<OrderRef> for OrderRefFields {
    fn from(order: OrderRef) -> Self {
        match order {
            OrderRef::Id(id) => Self {
                order_id: Some(id),
                client_id: None,
            },
            OrderRef::Client(id) => Self {
                order_id: None,
                client_id: Some(id),
            },
        }
    }
}

/// `GET /api/v1/order` (`orderQuery`): one **open** order. A filled, cancelled or expired
/// order is not found here (404); look in the order history instead.
#[derive(Debug, Clone, Serialize)]
pub struct GetOpenOrder {
    symbol: Symbol,
    #[serde(flatten)]
    order: OrderRefFields,
}

impl GetOpenOrder {
    /// The open order `order` on `symbol`.
    pub fn new(symbol: impl Into<Symbol>, order: impl Into<OrderRef>) -> Self {
        Self {
            symbol: symbol.into(),
            order: order.into().into(),
        }
    }
}
json_request!(GetOpenOrder => Order, Get "/api/v1/order", instruction: Some("orderQuery"));

/// `GET /api/v1/orders` (`orderQueryAll`): open orders.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct GetOpenOrders {
    /// One market only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Markets of one type only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_type: Option<MarketType>,
}
json_request!(GetOpenOrders => Vec<Order>, Get "/api/v1/orders", instruction: Some("orderQueryAll"));

/// `POST /api/v1/order` (`orderExecute`): place one order. Built only from a validated
/// [`OrderSpec`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ExecuteOrder(OrderExecutePayload);

impl ExecuteOrder {
    /// The request for a validated order.
    pub fn new(spec: &OrderSpec) -> Self {
        Self(OrderExecutePayload::from(spec))
    }

    /// The body that will be sent.
    pub fn payload(&self) -> &OrderExecutePayload {
        &self.0
    }
}

impl TryFrom<OrderExecutePayload> for ExecuteOrder {
    type Error = InvalidOrder;

    /// Validates a raw payload (see [`OrderSpec`]'s `TryFrom`).
    fn try_from(payload: OrderExecutePayload) -> Result<Self, InvalidOrder> {
        OrderSpec::try_from(payload).map(|spec| Self::new(&spec))
    }
}

impl Request for ExecuteOrder {
    type Response = Order;
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/order";
    const INSTRUCTION: Option<&'static str> = Some("orderExecute");
    const EFFECT: Effect = Effect::Write;

    fn decode(_status: u16, body: &[u8]) -> Result<Order, DecodeError> {
        decode_json(body)
    }

    fn client_id(&self) -> Option<ClientOrderId> {
        self.0.client_id
    }
}

/// `POST /api/v1/orders` (`orderExecute`, batch signing): place several orders at once.
/// Each is accepted or rejected on its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ExecuteOrders(Vec<OrderExecutePayload>);

impl ExecuteOrders {
    /// The request for validated orders.
    ///
    /// # Errors
    /// [`InvalidOrder`] for an empty batch.
    pub fn new<'a>(specs: impl IntoIterator<Item = &'a OrderSpec>) -> Result<Self, InvalidOrder> {
        let payloads: Vec<_> = specs.into_iter().map(OrderExecutePayload::from).collect();
        if payloads.is_empty() {
            return Err(InvalidOrder::single(
                "orders",
                "a batch needs at least one order",
            ));
        }
        Ok(Self(payloads))
    }

    /// The bodies that will be sent.
    pub fn payloads(&self) -> &[OrderExecutePayload] {
        &self.0
    }
}

impl Request for ExecuteOrders {
    type Response = Vec<BatchOrderResult>;
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/orders";
    const INSTRUCTION: Option<&'static str> = Some("orderExecute");
    const EFFECT: Effect = Effect::Write;

    fn decode(_status: u16, body: &[u8]) -> Result<Vec<BatchOrderResult>, DecodeError> {
        decode_json(body)
    }
}

/// `DELETE /api/v1/order` (`orderCancel`): cancel one open order.
#[derive(Debug, Clone, Serialize)]
pub struct CancelOrder {
    symbol: Symbol,
    #[serde(flatten)]
    order: OrderRefFields,
}

impl CancelOrder {
    /// Cancel `order` on `symbol`.
    pub fn new(symbol: impl Into<Symbol>, order: impl Into<OrderRef>) -> Self {
        Self {
            symbol: symbol.into(),
            order: order.into().into(),
        }
    }
}

impl Request for CancelOrder {
    type Response = CancelOutcome<Order>;
    const METHOD: Method = Method::Delete;
    const PATH: &'static str = "/api/v1/order";
    const INSTRUCTION: Option<&'static str> = Some("orderCancel");
    const EFFECT: Effect = Effect::Cancel;

    fn decode(status: u16, body: &[u8]) -> Result<Self::Response, DecodeError> {
        if status == 202 {
            return Ok(CancelOutcome::Accepted);
        }
        decode_json(body).map(CancelOutcome::Cancelled)
    }

    fn client_id(&self) -> Option<ClientOrderId> {
        self.order.client_id
    }
}

/// `DELETE /api/v1/orders` (`orderCancelAll`): cancel every open order of a market.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelAllOrders {
    /// Market symbol.
    pub symbol: Symbol,
    /// Only resting limit orders, or only conditional orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_type: Option<CancelOrderType>,
}

impl CancelAllOrders {
    /// Cancel all open orders on `symbol`.
    pub fn new(symbol: impl Into<Symbol>) -> Self {
        Self {
            symbol: symbol.into(),
            order_type: None,
        }
    }

    /// Only orders of one kind.
    #[must_use]
    pub fn order_type(mut self, order_type: CancelOrderType) -> Self {
        self.order_type = Some(order_type);
        self
    }
}

impl Request for CancelAllOrders {
    type Response = CancelOutcome<Vec<Order>>;
    const METHOD: Method = Method::Delete;
    const PATH: &'static str = "/api/v1/orders";
    const INSTRUCTION: Option<&'static str> = Some("orderCancelAll");
    const EFFECT: Effect = Effect::Cancel;

    fn decode(status: u16, body: &[u8]) -> Result<Self::Response, DecodeError> {
        if status == 202 {
            return Ok(CancelOutcome::Accepted);
        }
        decode_json(body).map(CancelOutcome::Cancelled)
    }
}
