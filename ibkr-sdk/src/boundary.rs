//! The one place floats meet money.
//!
//! `ibapi` carries prices, quantities and PnL as `f64`. Everything above this module is
//! `rust_decimal`; every conversion goes through these functions, which refuse what cannot
//! be converted faithfully (NaN, infinities, IBKR's "unset" sentinels, more digits than a
//! double holds) instead of guessing.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::error::Error;
use crate::money::{Money, Price, Quantity};

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

/// A price from the gateway (`None` when unset).
pub(crate) fn price(value: f64) -> Option<Price> {
    from_ib(value).map(Price::new)
}

/// A size from the gateway (zero when unset).
pub(crate) fn quantity(value: f64) -> Quantity {
    Quantity::new(from_ib(value).unwrap_or_default())
}

/// An amount of money from the gateway (`None` when unset).
pub(crate) fn money(value: f64) -> Option<Money> {
    from_ib(value).map(Money::new)
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
