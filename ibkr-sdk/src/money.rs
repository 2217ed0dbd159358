//! Prices, quantities and amounts as exact decimals, and IBKR's ids.
//!
//! `ibapi` carries prices and quantities as `f64`; this crate never does above the
//! one internal boundary module. These types serialize as decimal strings and read a
//! string or a JSON number (a number through its shortest text, never its binary value).

use std::fmt;

use serde::{Deserialize, Serialize};

pub use trading_core::decimal::ParseDecimalError;
pub(crate) use trading_core::decimal::parse_decimal;

trading_core::decimal_newtype!(
    /// A price per unit (per share, per contract point).
    Price
);
trading_core::decimal_newtype!(
    /// A number of shares or contracts; positions are signed (negative short).
    Quantity
);
trading_core::decimal_newtype!(
    /// An amount of money in the account's or instrument's currency.
    Money
);

#[cfg(feature = "schemars")]
trading_core::decimal_json_schema!(Price, Quantity, Money);

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
