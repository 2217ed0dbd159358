//! The notional caps and the symbol allow-list, checked inside the write path under one lock
//! per venue, so two orders cannot both fit a cap that only one of them fits.

use std::collections::VecDeque;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::{Mutex, MutexGuard};

use crate::config::Caps;

/// How an order stands against the caps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CapUsage {
    /// Per-order cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_order_notional: Option<String>,
    /// Rolling 24-hour cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_daily_notional: Option<String>,
    /// Value ordered in the last 24 hours.
    pub used_last_24h: String,
    /// What the daily cap still allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_24h: Option<String>,
    /// Symbols allowed, when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_symbols: Option<Vec<String>>,
}

/// Orders counted against the daily cap.
#[derive(Debug, Default)]
pub struct Window {
    orders: VecDeque<(DateTime<Utc>, Decimal)>,
}

impl Window {
    fn used(&mut self, now: DateTime<Utc>) -> Decimal {
        let since = now - ChronoDuration::hours(24);
        while self.orders.front().is_some_and(|(ts, _)| *ts < since) {
            self.orders.pop_front();
        }
        self.orders
            .iter()
            .try_fold(Decimal::ZERO, |total, (_, n)| total.checked_add(*n))
            .unwrap_or(Decimal::MAX)
    }
}

/// One venue's caps and the orders counted against them.
#[derive(Debug)]
pub struct CapGuard {
    caps: Caps,
    window: Mutex<Window>,
}

/// The lock held from the cap check until the order's outcome is recorded.
#[derive(Debug)]
pub struct CapLock<'a> {
    caps: &'a Caps,
    window: MutexGuard<'a, Window>,
}

impl CapGuard {
    /// Caps with the orders of the last 24 hours (from the journal).
    pub fn new(caps: Caps, mut history: Vec<(DateTime<Utc>, Decimal)>) -> Self {
        history.sort_by_key(|(ts, _)| *ts);
        Self {
            caps,
            window: Mutex::new(Window {
                orders: history.into(),
            }),
        }
    }

    /// The caps.
    pub fn caps(&self) -> &Caps {
        &self.caps
    }

    /// Takes the venue's write lock.
    pub async fn lock(&self) -> CapLock<'_> {
        CapLock {
            caps: &self.caps,
            window: self.window.lock().await,
        }
    }
}

impl CapLock<'_> {
    /// Where the caps stand now.
    pub fn usage(&mut self, now: DateTime<Utc>) -> CapUsage {
        let used = self.window.used(now);
        CapUsage {
            max_order_notional: self.caps.max_order_notional.map(|c| c.to_string()),
            max_daily_notional: self.caps.max_daily_notional.map(|c| c.to_string()),
            used_last_24h: used.normalize().to_string(),
            remaining_24h: self.caps.max_daily_notional.map(|cap| {
                cap.checked_sub(used)
                    .unwrap_or(Decimal::ZERO)
                    .max(Decimal::ZERO)
                    .normalize()
                    .to_string()
            }),
            allowed_symbols: self
                .caps
                .allowed_symbols
                .as_ref()
                .map(|s| s.iter().cloned().collect()),
        }
    }

    /// Whether an order on `symbol` worth `notional` fits.
    ///
    /// # Errors
    /// A message saying which cap refuses it and what would fit.
    pub fn check(
        &mut self,
        symbol: &str,
        notional: Option<Decimal>,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let symbol = symbol.trim().to_ascii_uppercase();
        if let Some(allowed) = &self.caps.allowed_symbols
            && !allowed.contains(&symbol)
        {
            let list: Vec<&str> = allowed.iter().map(String::as_str).collect();
            return Err(format!(
                "{symbol} is not in the allowed symbols ({})",
                list.join(", ")
            ));
        }
        let capped =
            self.caps.max_order_notional.is_some() || self.caps.max_daily_notional.is_some();
        let Some(notional) = notional else {
            return if capped {
                Err("the order cannot be valued (no price is known), so the notional caps cannot be checked; give it a price".into())
            } else {
                Ok(())
            };
        };
        if let Some(cap) = self.caps.max_order_notional
            && notional > cap
        {
            return Err(format!(
                "the order is worth {}, above the per-order cap of {cap}; reduce the quantity",
                notional.normalize()
            ));
        }
        if let Some(cap) = self.caps.max_daily_notional {
            let used = self.window.used(now);
            if used.checked_add(notional).is_none_or(|total| total > cap) {
                return Err(format!(
                    "the order is worth {} but only {} of the 24-hour cap of {cap} is left",
                    notional.normalize(),
                    cap.checked_sub(used)
                        .unwrap_or(Decimal::ZERO)
                        .max(Decimal::ZERO)
                        .normalize()
                ));
            }
        }
        Ok(())
    }

    /// Counts an order that was sent (accepted, or outcome unknown).
    pub fn record(&mut self, now: DateTime<Utc>, notional: Decimal) {
        self.window.orders.push_back((now, notional));
    }
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
        }
    }

    #[tokio::test]
    async fn each_cap_refuses_with_what_would_fit() {
        let now = Utc::now();
        let guard = CapGuard::new(
            caps(),
            vec![
                (now - ChronoDuration::hours(30), Decimal::from(900)),
                (now - ChronoDuration::hours(1), Decimal::from(600)),
            ],
        );
        let mut lock = guard.lock().await;
        assert!(
            lock.check("BTC_USDC", Some(Decimal::ONE), now)
                .unwrap_err()
                .contains("not in the allowed")
        );
        assert!(
            lock.check("sol_usdc", Some(Decimal::from(1_001)), now)
                .unwrap_err()
                .contains("per-order cap of 1000")
        );
        let daily = lock
            .check("SOL_USDC", Some(Decimal::from(901)), now)
            .unwrap_err();
        assert!(daily.contains("only 900 of the 24-hour cap"), "{daily}");
        lock.check("SOL_USDC", Some(Decimal::from(900)), now)
            .unwrap();
        assert!(
            lock.check("SOL_USDC", None, now)
                .unwrap_err()
                .contains("cannot be valued")
        );
        lock.record(now, Decimal::from(900));
        let usage = lock.usage(now);
        assert_eq!(
            (usage.used_last_24h.as_str(), usage.remaining_24h.as_deref()),
            ("1500", Some("0"))
        );
    }

    #[tokio::test]
    async fn no_caps_no_refusals() {
        let guard = CapGuard::new(Caps::default(), Vec::new());
        let mut lock = guard.lock().await;
        lock.check("ANY", None, Utc::now()).unwrap();
        lock.check("ANY", Some(Decimal::MAX), Utc::now()).unwrap();
    }
}
