//! Prices, quantities and amounts as exact decimals, and IBKR's ids.
//!
//! `ibapi` carries prices and quantities as `f64`; this crate never does above the
//! one internal boundary module. These types serialize as decimal strings and read a
//! string or a JSON number (a number through its shortest text, never its binary value).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Text that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a decimal number")]
pub struct ParseDecimalError(String);

pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, ParseDecimalError> {
    let trimmed = text.trim();
    Decimal::from_str(trimmed)
        .or_else(|_| Decimal::from_scientific(trimmed))
        .map_err(|_| ParseDecimalError(text.chars().take(64).collect()))
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number, as a string or a number")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
        parse_decimal(text).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        crate::boundary::decimal_from_json_number(value).map_err(E::custom)
    }
}

macro_rules! decimal_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(Decimal);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(Decimal::ZERO);

            /// Wraps a decimal.
            pub const fn new(value: Decimal) -> Self {
                Self(value)
            }

            /// The decimal.
            pub const fn value(self) -> Decimal {
                self.0
            }

            /// Whether it is above zero.
            pub fn is_positive(self) -> bool {
                self.0 > Decimal::ZERO
            }
        }

        impl From<Decimal> for $name {
            fn from(value: Decimal) -> Self {
                Self(value)
            }
        }

        impl From<u32> for $name {
            fn from(value: u32) -> Self {
                Self(Decimal::from(value))
            }
        }

        impl FromStr for $name {
            type Err = ParseDecimalError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_decimal(text).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(DecimalVisitor).map(Self)
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
                schemars::json_schema!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$" })
            }
        }
    };
}

decimal_type!(
    /// A price per unit (per share, per contract point).
    Price
);
decimal_type!(
    /// A number of shares or contracts; positions are signed (negative short).
    Quantity
);
decimal_type!(
    /// An amount of money in the account's or instrument's currency.
    Money
);

/// IBKR's contract id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ConId(pub i32);

impl fmt::Display for ConId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// An order id on the gateway connection (unique per client id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderId(pub i32);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_out_strings_or_numbers_in() {
        let price: Price = serde_json::from_str(r#""150.250""#).unwrap();
        assert_eq!(serde_json::to_string(&price).unwrap(), r#""150.250""#);
        let from_number: Price = serde_json::from_str("0.1").unwrap();
        assert_eq!(from_number.to_string(), "0.1");
        let quantity: Quantity = serde_json::from_str("100").unwrap();
        assert_eq!(quantity, Quantity::from(100));
        assert!(serde_json::from_str::<Money>(r#""ten""#).is_err());
    }
}
