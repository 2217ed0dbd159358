//! Exact decimal money that travels as strings.
//!
//! Every number a venue sends or receives is a decimal. [`decimal_newtype!`](crate::decimal_newtype) wraps
//! [`rust_decimal::Decimal`] in a newtype that keeps the scale it was given (`"180.50"` stays
//! `180.50`) and implements serde itself, so no feature flag anywhere in a dependency graph
//! can turn it into a float:
//!
//! - serialize: always a JSON string, exactly `Display` of the decimal;
//! - deserialize: a JSON string, or a JSON number (integers exactly; a non-integer number is
//!   read through its shortest round-trip text, so `0.1` becomes `0.1`, never
//!   `0.1000000000000000055…`; one whose text needs more than 15 significant digits is
//!   refused, send it as a string). NaN, infinities and garbage are errors.
//!
//! ```
//! trading_core::decimal_newtype!(
//!     /// A price.
//!     Price
//! );
//!
//! let price: Price = serde_json::from_str("\"180.50\"").unwrap();
//! assert_eq!(serde_json::to_string(&price).unwrap(), "\"180.50\"");
//! let from_number: Price = serde_json::from_str("0.1").unwrap();
//! assert_eq!(from_number.to_string(), "0.1");
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserializer;
use serde::de::{self, Visitor};

/// Why a decimal could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a decimal number")]
pub struct ParseDecimalError {
    input: String,
}

impl ParseDecimalError {
    /// The text that failed to parse (truncated to 64 characters).
    pub fn input(&self) -> &str {
        &self.input
    }
}

/// Parses a decimal from text, accepting plain (`"180.50"`) and scientific (`"1e-3"`) forms.
pub fn parse_decimal(text: &str) -> Result<Decimal, ParseDecimalError> {
    let trimmed = text.trim();
    Decimal::from_str(trimmed)
        .or_else(|_| Decimal::from_scientific(trimmed))
        .map_err(|_| ParseDecimalError {
            input: text.chars().take(64).collect(),
        })
}

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a decimal number as a string (\"180.50\") or a JSON number")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
        parse_decimal(value).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        decimal_from_json_number(value).map_err(E::custom)
    }
}

/// Most significant digits a JSON number may carry: any decimal with up to 15 significant
/// digits survives the trip through a double, so its shortest text is what the sender wrote.
/// With more, digits the sender wrote may already be gone.
const EXACT_JSON_DIGITS: usize = 15;

/// The one place a float becomes money: a JSON number with a fraction, as serde_json hands
/// it over. Rust prints the shortest text that round-trips to the same `f64`, which is the
/// text the sender wrote for any number with up to 15 significant digits; that text is
/// parsed, never the binary value, and no arithmetic is done on the float. A number whose
/// shortest text has more significant digits is refused (it may not be the one the sender
/// wrote). Digits below a double's precision cannot be seen at all (`0.10000000000000000001`
/// arrives as `0.1`): numbers that need them must be sent as strings.
pub fn decimal_from_json_number(value: f64) -> Result<Decimal, String> {
    if !value.is_finite() {
        return Err(format!("`{value}` is not a decimal number"));
    }
    let text = value.to_string();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.trim_matches('0').len() > EXACT_JSON_DIGITS {
        return Err(format!(
            "the JSON number {text} has more than {EXACT_JSON_DIGITS} significant digits, more \
             than a JSON number carries exactly; send it as a string with the digits you mean"
        ));
    }
    parse_decimal(&text).map_err(|error| error.to_string())
}

/// Deserializes a [`Decimal`] from a string or a number (see the module docs).
pub fn deserialize_decimal<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(DecimalVisitor)
}

/// Declares a decimal newtype `$name(Decimal)` with the money semantics of this module:
/// `new`/`value`, `ZERO`, `is_positive`/`is_zero`/`scale`, conversions from and to
/// `Decimal`, `FromStr` (plain and scientific text), `Display`, a `Debug` that names the type,
/// and serde as described in the [module docs](crate::decimal).
#[macro_export]
macro_rules! decimal_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name($crate::__private::Decimal);

        impl $name {
            /// Zero, with scale 0.
            pub const ZERO: Self = Self($crate::__private::Decimal::ZERO);

            /// Wraps a decimal as is (scale kept).
            pub const fn new(value: $crate::__private::Decimal) -> Self {
                Self(value)
            }

            /// The decimal value.
            pub const fn value(self) -> $crate::__private::Decimal {
                self.0
            }

            /// Whether the value is strictly greater than zero.
            pub fn is_positive(self) -> bool {
                self.0 > $crate::__private::Decimal::ZERO
            }

            /// Whether the value is zero.
            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }

            /// Number of digits after the decimal point, as it will be sent.
            pub fn scale(self) -> u32 {
                self.0.scale()
            }
        }

        impl From<$crate::__private::Decimal> for $name {
            fn from(value: $crate::__private::Decimal) -> Self {
                Self(value)
            }
        }

        impl From<$name> for $crate::__private::Decimal {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl From<u32> for $name {
            fn from(value: u32) -> Self {
                Self($crate::__private::Decimal::from(value))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::decimal::ParseDecimalError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $crate::decimal::parse_decimal(text).map(Self)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::decimal::ParseDecimalError;

            fn try_from(text: &str) -> Result<Self, Self::Error> {
                ::std::str::FromStr::from_str(text)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::decimal::deserialize_decimal(deserializer).map(Self)
            }
        }

    };
}

/// `schemars::JsonSchema` for decimal newtypes: a string of digits with an optional
/// fraction. The calling crate must depend on `schemars` 1.x; call it under that crate's own
/// feature gate: `#[cfg(feature = "schemars")] trading_core::decimal_json_schema!(Price);`.
#[macro_export]
macro_rules! decimal_json_schema {
    ($($name:ident),+ $(,)?) => {
        $(
            impl schemars::JsonSchema for $name {
                fn schema_name() -> ::std::borrow::Cow<'static, str> {
                    stringify!($name).into()
                }

                fn inline_schema() -> bool {
                    true
                }

                fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                    schemars::json_schema!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$" })
                }
            }
        )+
    };
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    crate::decimal_newtype!(
        /// A price.
        Price
    );
    crate::decimal_newtype!(
        /// A quantity.
        Quantity
    );
    crate::decimal_newtype!(
        /// A rate.
        Rate
    );

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
