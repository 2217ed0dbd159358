//! Test fakes for the trading workspace: run everything without accounts or network.
//!
//! - [`exchange`]: a deterministic mock exchange (order books, accounts, perps, a simulated
//!   market), synchronous and seedable, for in-process use.
//! - [`backpack`]: a fake Backpack REST server on wiremock, backed by the exchange, that
//!   verifies signatures the way the exchange does and can inject faults.
//! - [`tws`]: a fake TWS / IB Gateway that the real `ibapi` client talks to, with an order
//!   engine, an account, fault injection and request recording.

pub mod backpack;
pub mod exchange;
pub mod tws;
