//! The one place floats meet money.
//!
//! `ibapi` carries prices, quantities and PnL as `f64`. Everything above this module is
//! `rust_decimal`; every conversion goes through these functions, which refuse what cannot
//! be converted faithfully (NaN, infinities, IBKR's "unset" sentinels, more digits than a
//! double holds) instead of guessing.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::error::Error;

/// Values IBKR uses for "no value" (`Double.MAX_VALUE`, and the integer sentinels that
/// sometimes arrive as doubles).
fn is_unset(value: f64) -> bool {
    value == f64::MAX || value == f64::MIN || value == i32::MAX as f64 || value == i64::MAX as f64
}

/// A double from the gateway as a decimal, through its shortest text (`189.51`, never
/// `189.509999…`). `None` for NaN, infinities and "unset" sentinels.
pub(crate) fn from_ib(value: f64) -> Option<Decimal> {
    if !value.is_finite() || is_unset(value) {
        return None;
    }
    value.to_string().parse().ok()
}

/// [`from_ib`] for optional values.
pub(crate) fn from_ib_opt(value: Option<f64>) -> Option<Decimal> {
    value.and_then(from_ib)
}

/// Most significant digits a JSON number may carry: any decimal with up to 15 significant
/// digits survives the trip through a double, so its shortest text is what the sender wrote.
const EXACT_JSON_DIGITS: usize = 15;

/// A JSON number (read by serde as a double) as a decimal, through its shortest text.
///
/// # Errors
/// For NaN and infinities, and for numbers whose shortest text has more than 15 significant
/// digits (they may not be the number the sender wrote; a string carries them exactly).
/// Digits below a double's precision cannot be seen at all (`0.10000000000000000001` arrives
/// as `0.1`).
pub(crate) fn decimal_from_json_number(value: f64) -> Result<Decimal, String> {
    if !value.is_finite() {
        return Err("a decimal must be a finite number".into());
    }
    let text = value.to_string();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if digits.trim_matches('0').len() > EXACT_JSON_DIGITS {
        return Err(format!(
            "the JSON number {text} has more than {EXACT_JSON_DIGITS} significant digits, more \
             than a JSON number carries exactly; send it as a string with the digits you mean"
        ));
    }
    text.parse()
        .map_err(|_| format!("{value} is not a decimal number"))
}

/// A decimal as the double the gateway wants.
///
/// # Errors
/// [`Error::InvalidRequest`] when the double would not read back as the same decimal (more
/// significant digits than a double holds), so an order is never sent at a price that
/// differs from the one asked for.
pub(crate) fn to_ib(value: Decimal, what: &str) -> Result<f64, Error> {
    let double = value
        .to_f64()
        .filter(|d| d.is_finite())
        .ok_or_else(|| Error::InvalidRequest(format!("{what} {value} is out of range")))?;
    let back: Option<Decimal> = double.to_string().parse().ok();
    if back.map(|b| b.normalize()) != Some(value.normalize()) {
        return Err(Error::InvalidRequest(format!(
            "{what} {value} has more digits than the gateway can take exactly"
        )));
    }
    Ok(double)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn json_numbers_a_double_cannot_carry_are_refused() {
        assert_eq!(
            decimal_from_json_number(189.51),
            Ok("189.51".parse().unwrap())
        );
        assert_eq!(
            decimal_from_json_number(1e20),
            Ok("100000000000000000000".parse().unwrap())
        );
        #[allow(clippy::excessive_precision)] // the point: more digits than a double holds
        let too_long = 150.123_456_789_012_345_67;
        let error = decimal_from_json_number(too_long).unwrap_err();
        assert!(error.contains("send it as a string"), "{error}");
        assert!(decimal_from_json_number(f64::NAN).is_err());
    }

    #[test]
    fn sentinels_and_non_finite_are_no_value() {
        assert_eq!(from_ib(f64::MAX), None);
        assert_eq!(from_ib(f64::NAN), None);
        assert_eq!(from_ib(f64::INFINITY), None);
        assert_eq!(from_ib(189.51), Some("189.51".parse().unwrap()));
        assert_eq!(
            from_ib(0.300_000_000_000_000_04),
            Some("0.30000000000000004".parse().unwrap())
        );
    }

    #[test]
    fn decimals_the_gateway_cannot_take_exactly_are_refused() {
        assert_eq!(to_ib("150.25".parse().unwrap(), "price").unwrap(), 150.25);
        let error = to_ib("0.12345678901234567891".parse().unwrap(), "price").unwrap_err();
        assert!(error.to_string().contains("more digits"), "{error}");
    }

    proptest! {
        /// Every price with up to 8 decimals survives the trip to the gateway and back.
        #[test]
        fn prices_round_trip(units in 0i64..10_000_000_000, scale in 0u32..=8) {
            let value = Decimal::new(units, scale);
            let double = to_ib(value, "price").unwrap();
            prop_assert_eq!(from_ib(double).map(|d| d.normalize()), Some(value.normalize()));
        }
    }
}
