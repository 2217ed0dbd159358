//! Account history rows: fills and funding payments. (Historical orders live in
//! [`order`](super::order).)

use serde::{Deserialize, Serialize};

use super::enums::{Side, SystemOrderType};
use super::ids::{Asset, ClientOrderId, OrderId, Symbol, TradeId};
use super::num::{Notional, Price, Quantity, Rate};
use super::serde_util::client_id_lenient;
use super::time::{self, Timestamp};

/// One fill of one of the account's orders (`GET /wapi/v1/history/fills` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Fill {
    /// Trade id (absent for some system fills).
    #[serde(default)]
    pub trade_id: Option<TradeId>,
    /// Order that filled.
    pub order_id: OrderId,
    /// Client id of that order (sent as a string here).
    #[cfg_attr(feature = "schemars", schemars(with = "Option<ClientOrderId>"))]
    #[serde(with = "client_id_lenient", default)]
    pub client_id: Option<ClientOrderId>,
    /// Market symbol.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Fill price.
    pub price: Price,
    /// Base quantity filled.
    pub quantity: Quantity,
    /// Fee charged.
    pub fee: Quantity,
    /// Asset the fee was charged in.
    pub fee_symbol: Asset,
    /// Whether the order was the resting side.
    pub is_maker: bool,
    /// Set for fills of orders the exchange placed (liquidations, ...).
    #[serde(default)]
    pub system_order_type: Option<SystemOrderType>,
    /// Fill time (a naive UTC datetime string on the wire).
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Naive"))]
    #[serde(with = "time::naive")]
    pub timestamp: Timestamp,
}

impl Fill {
    /// `price × quantity`.
    pub fn notional(&self) -> Notional {
        Notional::new(self.price.value() * self.quantity.value())
    }
}

/// One funding payment on a perp position (`GET /wapi/v1/history/funding` element).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct FundingPayment {
    /// Owning user.
    #[serde(default)]
    pub user_id: Option<u64>,
    /// Sub-account, if any.
    #[serde(default)]
    pub subaccount_id: Option<u32>,
    /// Market symbol.
    pub symbol: Symbol,
    /// Amount: positive received, negative paid.
    pub quantity: Notional,
    /// End of the funding interval.
    #[cfg_attr(feature = "schemars", schemars(with = "time::schema::Naive"))]
    #[serde(with = "time::naive")]
    pub interval_end_timestamp: Timestamp,
    /// Rate applied.
    pub funding_rate: Rate,
}
