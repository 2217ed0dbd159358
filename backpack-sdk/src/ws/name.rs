//! Stream names: typed constructors for every documented stream, and parsing of any name.
//!
//! The exchange names streams `<kind>[.<param>].<symbol>` (`depth.200ms.SOL_USDC`,
//! `kline.1m.SOL_USDC`, `account.orderUpdate`). A [`StreamName`] is built from those parts
//! and writes exactly that text; parsing accepts any text made of the characters a stream
//! name may hold, so a stream this crate does not know can still be subscribed to.

use std::fmt;

use crate::model::{KlineInterval, Symbol};

/// How often an aggregated depth stream sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepthInterval {
    /// As fast as the book changes (`depth.<symbol>`).
    Realtime,
    /// Every 200 ms (`depth.200ms.<symbol>`).
    Ms200,
    /// Every 600 ms.
    Ms600,
    /// Every 1000 ms.
    Ms1000,
}

impl DepthInterval {
    fn infix(self) -> &'static str {
        match self {
            DepthInterval::Realtime => "",
            DepthInterval::Ms200 => "200ms.",
            DepthInterval::Ms600 => "600ms.",
            DepthInterval::Ms1000 => "1000ms.",
        }
    }
}

/// A stream's name, as sent in `SUBSCRIBE`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamName(String);

/// Why a text is not a stream name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a stream name (letters, digits and `._-` only, at most 128 characters)")]
pub struct InvalidStreamName(String);

impl StreamName {
    /// Best bid and ask, on every change.
    pub fn book_ticker(symbol: impl AsRef<str>) -> Self {
        Self(format!("bookTicker.{}", symbol.as_ref()))
    }

    /// Incremental depth (absolute quantities per level, `U`/`u` sequence ids).
    pub fn depth(symbol: impl AsRef<str>, interval: DepthInterval) -> Self {
        Self(format!("depth.{}{}", interval.infix(), symbol.as_ref()))
    }

    /// Public trades.
    pub fn trades(symbol: impl AsRef<str>) -> Self {
        Self(format!("trade.{}", symbol.as_ref()))
    }

    /// 24-hour statistics, every second.
    pub fn ticker(symbol: impl AsRef<str>) -> Self {
        Self(format!("ticker.{}", symbol.as_ref()))
    }

    /// Candles of one width.
    pub fn kline(symbol: impl AsRef<str>, interval: &KlineInterval) -> Self {
        Self(format!("kline.{}.{}", interval.as_str(), symbol.as_ref()))
    }

    /// Mark price, index price and funding estimate (futures).
    pub fn mark_price(symbol: impl AsRef<str>) -> Self {
        Self(format!("markPrice.{}", symbol.as_ref()))
    }

    /// Open interest, every minute (futures).
    pub fn open_interest(symbol: impl AsRef<str>) -> Self {
        Self(format!("openInterest.{}", symbol.as_ref()))
    }

    /// Liquidations on every market.
    pub fn liquidations() -> Self {
        Self("liquidation".to_owned())
    }

    /// This account's order updates, on every market or one (private, signed).
    pub fn order_updates(symbol: Option<&Symbol>) -> Self {
        Self::private("account.orderUpdate", symbol)
    }

    /// This account's position updates, on every market or one (private, signed). The first
    /// frames after subscribing are the open positions.
    pub fn position_updates(symbol: Option<&Symbol>) -> Self {
        Self::private("account.positionUpdate", symbol)
    }

    fn private(base: &str, symbol: Option<&Symbol>) -> Self {
        match symbol {
            Some(symbol) => Self(format!("{base}.{}", symbol.as_str())),
            None => Self(base.to_owned()),
        }
    }

    /// Any name (checked for the characters a stream name may hold).
    ///
    /// # Errors
    /// [`InvalidStreamName`] for an empty or over-long name, or one with other characters.
    pub fn parse(text: &str) -> Result<Self, InvalidStreamName> {
        let valid = !text.is_empty()
            && text.len() <= 128
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidStreamName(text.chars().take(64).collect()))
        }
    }

    /// The name as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the stream is private (`account.*`): its subscription must be signed.
    pub fn is_private(&self) -> bool {
        self.0.starts_with("account.")
    }

    /// Whether this is a depth stream (any interval).
    pub fn is_depth(&self) -> bool {
        self.0.starts_with("depth.")
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamName({})", self.0)
    }
}

impl std::str::FromStr for StreamName {
    type Err = InvalidStreamName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_written_as_the_exchange_spells_them() {
        assert_eq!(
            StreamName::depth("SOL_USDC", DepthInterval::Ms200).as_str(),
            "depth.200ms.SOL_USDC"
        );
        assert_eq!(
            StreamName::depth("SOL_USDC", DepthInterval::Realtime).as_str(),
            "depth.SOL_USDC"
        );
        assert_eq!(
            StreamName::kline("SOL_USDC", &KlineInterval::OneMinute).as_str(),
            "kline.1m.SOL_USDC"
        );
        let symbol = Symbol::new("SOL_USDC_PERP");
        assert_eq!(
            StreamName::order_updates(Some(&symbol)).as_str(),
            "account.orderUpdate.SOL_USDC_PERP"
        );
        assert!(StreamName::position_updates(None).is_private());
        assert!(!StreamName::trades("SOL_USDC").is_private());
        assert!(StreamName::parse("AAPL.US_USDC_PERP").is_ok());
        assert!(StreamName::parse("depth.SOL_USDC\",\"x").is_err());
        assert!(StreamName::parse("").is_err());
    }
}
