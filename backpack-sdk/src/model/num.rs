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
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    #[test]
    fn serializes_as_string_keeping_scale() {
        let price: Price = "180.50".parse().unwrap();
        assert_eq!(serde_json::to_string(&price).unwrap(), r#""180.50""#);
        assert_eq!(price.scale(), 2);
    }

    #[test]
    fn deserializes_strings_and_numbers() {
        let from_str: Quantity = serde_json::from_str(r#""0.001""#).unwrap();
        let from_int: Quantity = serde_json::from_str("12").unwrap();
        let from_float: Quantity = serde_json::from_str("0.1").unwrap();
        assert_eq!(from_str.to_string(), "0.001");
        assert_eq!(from_int.to_string(), "12");
        assert_eq!(from_float.to_string(), "0.1");
        let sci: Rate = serde_json::from_str(r#""1e-4""#).unwrap();
        assert_eq!(sci.value(), Decimal::new(1, 4));
    }

    #[test]
    fn json_numbers_a_double_cannot_carry_are_refused() {
        // 15 significant digits arrive as written; more may already be changed.
        let fifteen: Price = serde_json::from_str("1234567890.12345").unwrap();
        assert_eq!(fifteen.to_string(), "1234567890.12345");
        let tiny: Quantity = serde_json::from_str("0.000000123456789012345").unwrap();
        assert_eq!(tiny.to_string(), "0.000000123456789012345");
        for too_long in ["150.12345678901234567", "12345678.123456789"] {
            let error = serde_json::from_str::<Price>(too_long).unwrap_err();
            assert!(error.to_string().contains("send it as a string"), "{error}");
            // As a string it is exact.
            let text = format!("\"{too_long}\"");
            assert_eq!(
                serde_json::from_str::<Price>(&text).unwrap().to_string(),
                too_long
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in [r#""abc""#, r#""""#, "true", "null", r#""1.2.3""#] {
            assert!(serde_json::from_str::<Price>(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn string_round_trip_is_exact(mantissa in any::<i64>(), scale in 0u32..=18) {
            let value = Price::new(Decimal::new(mantissa, scale));
            let json = serde_json::to_string(&value).unwrap();
            let back: Price = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, value);
            prop_assert_eq!(back.scale(), value.scale());
            prop_assert_eq!(json, format!("\"{}\"", value));
        }

        #[test]
        fn short_json_numbers_read_as_written(int_part in 0u32..1_000_000, frac in 1u32..10_000) {
            let text = format!("{int_part}.{frac:04}");
            let parsed: Quantity = serde_json::from_str(&text).unwrap();
            let expected: Quantity = text.parse().unwrap();
            // Trailing zeros may be lost through a JSON number; the value never is.
            prop_assert_eq!(parsed.value().normalize(), expected.value().normalize());
        }
    }
}
