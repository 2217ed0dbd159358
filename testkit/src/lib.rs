//! Venue simulators and test fakes for the trading workspace: run everything without
//! accounts or network.
//!
//! - [`engine`]: the venue-neutral matching engine (order books, matching, accounts, perp
//!   positions, funding, a simulated market, invariants), synchronous and seedable.
//! - [`backpack`]: the Backpack Exchange simulator over the engine (the exchange's REST
//!   semantics, signature checks and JSON shapes, written from the API reference), usable in
//!   this process; with the `fakes` feature, served over HTTP by wiremock with request
//!   recording and fault injection.
//! - [`tws`]: a fake TWS / IB Gateway that the real `ibapi` client talks to, with an order
//!   engine, an account, fault injection and request recording.
//!
//! Features: `fakes` (default) adds the HTTP fake and the `fake-backpack` / `fake-tws`
//! binaries; `backpack-sdk` (default) wires `backpack-sdk` clients to the simulator. A product
//! that embeds the simulators uses `default-features = false, features = ["backpack-sdk"]`
//! and carries no wiremock.

pub mod backpack;
pub mod engine;
pub mod tws;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
