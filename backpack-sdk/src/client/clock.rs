//! Time sources. The client never reads the system clock directly: it asks a [`Clock`]
//! (shared with the rest of the toolkit through `trading-core`), so tests can fix time and
//! signatures are reproducible.

pub use trading_core::clock::{Clock, ManualClock, SystemClock};

/// Result of [`Client::sync_clock`](super::Client::sync_clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockOffset {
    /// Server time minus local time, in milliseconds (applied to every signed request).
    pub offset_ms: i64,
    /// Round trip of the measurement, in milliseconds (the offset's uncertainty is half).
    pub round_trip_ms: u64,
}
