//! Decimal newtypes for money: prices, quantities, notionals and rates.
//!
//! Every number the exchange sends or receives is a decimal string (`"180.50"`). These types
//! are made by [`trading_core::decimal_newtype!`]: they keep the scale they were given
//! (`"180.50"` stays `180.50` on the wire and in the signing string) and implement serde
//! themselves, so no feature flag anywhere in a dependency graph can turn them into floats:
//!
//! - serialize: always a JSON string, exactly `Display` of the decimal;
//! - deserialize: a JSON string, or a JSON number (integers exactly; a non-integer number is
//!   read through its shortest round-trip text, so `0.1` becomes `0.1`, never
//!   `0.1000000000000000055…`; one whose text needs more than 15 significant digits is
//!   refused, send it as a string). NaN, infinities and garbage are errors.

pub use trading_core::decimal::ParseDecimalError;
pub(crate) use trading_core::decimal::decimal_from_json_number;

trading_core::decimal_newtype!(
    /// A price in quote currency per unit of base currency (`"180.50"` USDC per SOL).
    Price
);
trading_core::decimal_newtype!(
    /// A quantity of the base asset (`"1.5"` SOL), or of an asset in balances.
    Quantity
);
trading_core::decimal_newtype!(
    /// An amount of quote currency: order value, executed quote quantity, PnL, equity, fees.
    Notional
);
trading_core::decimal_newtype!(
    /// A dimensionless number: funding and interest rates, fee rates, multipliers, weights.
    Rate
);

#[cfg(feature = "schemars")]
trading_core::decimal_json_schema!(Price, Quantity, Notional, Rate);

#[cfg(test)]
mod tests {
    //! How a decimal is read and written is tested once, in `trading-core`; this checks that
    //! the SDK's money types are those newtypes.

    use super::*;

    #[test]
    fn the_money_types_keep_their_scale_and_read_numbers_as_written() {
        let price: Price = "180.50".parse().unwrap();
        assert_eq!(serde_json::to_string(&price).unwrap(), r#""180.50""#);
        let quantity: Quantity = serde_json::from_str("0.1").unwrap();
        assert_eq!(quantity.to_string(), "0.1");
        assert!(serde_json::from_str::<Notional>("150.12345678901234567").is_err());
        assert!(serde_json::from_str::<Rate>(r#""abc""#).is_err());
    }
}
