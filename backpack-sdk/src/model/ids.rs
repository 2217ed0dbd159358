//! Identifier newtypes, so an order id cannot be passed where a symbol is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The text of the identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the identifier and returns its text.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "minLength": 1, "maxLength": 64 })
            }
        }
    };
}

string_id!(
    /// Exchange-assigned order id: a decimal string such as `"4227701917"`.
    OrderId
);
string_id!(
    /// Market symbol: `SOL_USDC` (spot), `BTC_USDC_PERP` (perpetual).
    Symbol
);
string_id!(
    /// Asset symbol: `SOL`, `USDC`.
    Asset
);
string_id!(
    /// Blockchain name as the exchange spells it (`Solana`, `Ethereum`, ...; the list grows).
    Blockchain
);
string_id!(
    /// Perpetual position id.
    PositionId
);
string_id!(
    /// Id of a strategy (scheduled/TWAP order) that placed an order.
    StrategyId
);

impl Symbol {
    /// Whether the symbol names a perpetual market (`..._PERP`).
    ///
    /// The market's `marketType` is authoritative; this is the naming convention, used to
    /// reject perp-only fields before a market list is at hand.
    pub fn looks_like_perp(&self) -> bool {
        self.0.ends_with("_PERP")
    }
}

/// Client-chosen order id (`clientId`), a `u32` on Backpack.
///
/// Set one on every order: after a timeout it is the only way to find out whether the order
/// reached the exchange (see `Orders::reconcile` in the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ClientOrderId(pub u32);

impl ClientOrderId {
    /// The numeric value.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for ClientOrderId {
    fn from(value: u32) -> Self {
        Self(value)
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Public trade id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct TradeId(pub u64);

impl fmt::Display for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Which open order a query or cancel refers to: the exchange id or the client id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderRef {
    /// By exchange-assigned id (`orderId`).
    Id(OrderId),
    /// By client id (`clientId`).
    Client(ClientOrderId),
}

impl From<OrderId> for OrderRef {
    fn from(id: OrderId) -> Self {
        OrderRef::Id(id)
    }
}

impl From<ClientOrderId> for OrderRef {
    fn from(id: ClientOrderId) -> Self {
        OrderRef::Client(id)
    }
}

impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderRef::Id(id) => write!(f, "orderId {id}"),
            OrderRef::Client(id) => write!(f, "clientId {id}"),
        }
    }
}
