//! The notional caps and the symbol allow-list. The caps count an order's exposure (the
//! most it can execute for, from the SDKs' `exposure` functions) in the cap's currency;
//! what was used in the last 24 hours comes from the journal, which every process shares.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::config::Caps;
use crate::error::{ErrorCode, ToolError};

/// What an order can execute for, in the cap currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Valued {
    /// The most the order can execute for (a decimal string); absent when it has no bound
    /// (see `basis`).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "decimal_text"
    )]
    #[schemars(with = "Option<String>")]
    pub value: Option<Decimal>,
    /// The cap currency.
    pub currency: String,
    /// How the value was computed, or why there is none.
    pub basis: String,
}

/// Money travels as a string.
fn decimal_text<S: serde::Serializer>(
    value: &Option<Decimal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.collect_str(&value.normalize()),
        None => serializer.serialize_none(),
    }
}

impl Valued {
    /// `native` (in `currency`) expressed in the cap currency: as is when the currencies
    /// match, through a configured rate otherwise, unbounded without one.
    pub fn convert(native: Option<Decimal>, currency: &str, basis: &str, caps: &Caps) -> Valued {
        let cap_currency = caps.currency.clone();
        let Some(native) = native else {
            return Valued {
                value: None,
                currency: cap_currency,
                basis: basis.to_owned(),
            };
        };
        if currency.eq_ignore_ascii_case(&cap_currency) {
            return Valued {
                value: Some(native),
                currency: cap_currency,
                basis: basis.to_owned(),
            };
        }
        let rate = caps.fx_rates.get(&currency.to_ascii_uppercase());
        match rate.and_then(|rate| native.checked_mul(*rate).map(|v| (v, rate))) {
            Some((value, rate)) => Valued {
                value: Some(value.round_dp(8).normalize()),
                currency: cap_currency.clone(),
                basis: format!(
                    "{basis}; {} {currency} at {rate} {cap_currency} per {currency}",
                    native.normalize()
                ),
            },
            None => Valued {
                value: None,
                currency: cap_currency.clone(),
                basis: format!(
                    "the order is worth {} {currency} and the caps are in {cap_currency}, with no rate configured (set the venue's FX_RATES, for example {currency}=1.08)",
                    native.normalize()
                ),
            },
        }
    }
}

/// How an order stands against the caps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapUsage {
    /// The currency of the caps.
    pub currency: String,
    /// Per-order cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_order_notional: Option<String>,
    /// Rolling 24-hour cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_daily_notional: Option<String>,
    /// Exposure of the orders sent in the last 24 hours (every process sharing the journal).
    pub used_last_24h: String,
    /// What the daily cap still allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_24h: Option<String>,
    /// Symbols allowed, when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_symbols: Option<Vec<String>>,
}

fn remaining(cap: Decimal, used: Decimal) -> Decimal {
    cap.checked_sub(used)
        .unwrap_or(Decimal::ZERO)
        .max(Decimal::ZERO)
        .normalize()
}

/// Where the caps stand after `used`.
pub fn usage(caps: &Caps, used: Decimal) -> CapUsage {
    CapUsage {
        currency: caps.currency.clone(),
        max_order_notional: caps.max_order_notional.map(|c| c.to_string()),
        max_daily_notional: caps.max_daily_notional.map(|c| c.to_string()),
        used_last_24h: used.normalize().to_string(),
        remaining_24h: caps
            .max_daily_notional
            .map(|cap| remaining(cap, used).to_string()),
        allowed_symbols: caps
            .allowed_symbols
            .as_ref()
            .map(|s| s.iter().cloned().collect()),
    }
}

/// Whether an order on `symbol` that can execute for `valued` fits, with `used` already
/// counted in the window. `valued` is `None` for a cancel (only the allow-list applies).
///
/// # Errors
/// Which rule refuses it and what would fit.
pub fn check(
    caps: &Caps,
    symbol: &str,
    valued: Option<&Valued>,
    used: Decimal,
) -> Result<(), ToolError> {
    let symbol = symbol.trim().to_ascii_uppercase();
    if let Some(allowed) = &caps.allowed_symbols
        && !allowed.contains(&symbol)
    {
        let list: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let named = if symbol.is_empty() {
            "the order's symbol is unknown, and only".to_owned()
        } else {
            format!("{symbol} is not in the allowed symbols;")
        };
        return Err(ToolError::new(
            ErrorCode::SymbolNotAllowed,
            format!("{named} {} may be traded", list.join(", ")),
        ));
    }
    let Some(valued) = valued else {
        return Ok(());
    };
    if caps.max_order_notional.is_none() && caps.max_daily_notional.is_none() {
        return Ok(());
    }
    let Some(value) = valued.value else {
        return Err(over_cap(format!(
            "the order cannot be valued, so the caps cannot be checked: {}",
            valued.basis
        )));
    };
    let currency = &valued.currency;
    if let Some(cap) = caps.max_order_notional
        && value > cap
    {
        return Err(over_cap(format!(
            "the order can execute for {} {currency} ({}), above the per-order cap of {cap} {currency}; reduce the quantity",
            value.normalize(),
            valued.basis
        )));
    }
    if let Some(cap) = caps.max_daily_notional
        && used.checked_add(value).is_none_or(|total| total > cap)
    {
        return Err(over_cap(format!(
            "the order can execute for {} {currency} but only {} of the 24-hour cap of {cap} {currency} is left",
            value.normalize(),
            remaining(cap, used)
        )));
    }
    Ok(())
}

fn over_cap(message: String) -> ToolError {
    ToolError::new(ErrorCode::CapExceeded, message)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn caps() -> Caps {
        Caps {
            max_order_notional: Some(Decimal::from(1_000)),
            max_daily_notional: Some(Decimal::from(1_500)),
            allowed_symbols: Some(["SOL_USDC".to_owned()].into()),
            currency: "USDC".into(),
            fx_rates: [("EUR".to_owned(), Decimal::new(108, 2))].into(),
        }
    }

    fn valued(value: i64) -> Valued {
        Valued {
            value: Some(Decimal::from(value)),
            currency: "USDC".into(),
            basis: "test".into(),
        }
    }

    #[test]
    fn each_cap_refuses_with_what_would_fit() {
        let caps = caps();
        let used = Decimal::from(600);
        let refused = |symbol: &str, v: Option<&Valued>| check(&caps, symbol, v, used).unwrap_err();
        let refusal = |symbol: &str, v: Option<&Valued>| refused(symbol, v).message;
        assert!(refusal("BTC_USDC", None).contains("not in the allowed"));
        assert_eq!(refused("BTC_USDC", None).code, ErrorCode::SymbolNotAllowed);
        assert!(refusal("", None).contains("symbol is unknown"));
        assert_eq!(
            refused("SOL_USDC", Some(&valued(1_001))).code,
            ErrorCode::CapExceeded
        );
        assert!(refusal("sol_usdc", Some(&valued(1_001))).contains("per-order cap of 1000"));
        let daily = refusal("SOL_USDC", Some(&valued(901)));
        assert!(daily.contains("only 900 of the 24-hour cap"), "{daily}");
        check(&caps, "SOL_USDC", Some(&valued(900)), used).unwrap();
        let unbounded = Valued {
            value: None,
            currency: "USDC".into(),
            basis: "a percentage".into(),
        };
        assert!(refusal("SOL_USDC", Some(&unbounded)).contains("a percentage"));
        let usage = usage(&caps, Decimal::from(1_500));
        assert_eq!(usage.remaining_24h.as_deref(), Some("0"));
    }

    #[test]
    fn other_currencies_need_a_rate() {
        let caps = caps();
        let eur = Valued::convert(Some(Decimal::from(100)), "EUR", "b", &caps);
        assert_eq!(eur.value, Some(Decimal::from(108)));
        let gbp = Valued::convert(Some(Decimal::from(100)), "GBP", "b", &caps);
        assert!(
            gbp.value.is_none() && gbp.basis.contains("no rate"),
            "{gbp:?}"
        );
    }

    #[test]
    fn no_caps_no_refusals() {
        let open = Caps::unlimited("USDC");
        check(&open, "ANY", None, Decimal::ZERO).unwrap();
        check(&open, "ANY", Some(&valued(i64::MAX)), Decimal::MAX).unwrap();
    }
}
