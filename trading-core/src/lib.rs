//! The vocabulary the trading toolkit's crates share, kept once so it cannot drift:
//! exact decimal money ([`decimal`], [`decimal_newtype!`]) and an injectable clock
//! ([`clock`]).
//!
//! Each SDK still owns its own money types (`backpack_sdk::model::Price`,
//! `ibkr_sdk::Price`, ...); this crate gives them one implementation of how a decimal is read
//! and written.

pub mod clock;
pub mod decimal;

/// What [`decimal_newtype!`] expands to refers to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use rust_decimal::Decimal;
    pub use serde;
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
