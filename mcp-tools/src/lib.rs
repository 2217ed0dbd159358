//! One MCP server for Backpack Exchange and Interactive Brokers (`trading-mcp`).
//!
//! - Tools are derived from the SDKs' own types: inputs are their request and order types
//!   (unknown fields refused, decimals as strings or numbers), outputs their answer types in
//!   bounded envelopes. Schemas are rewritten so every client can read them ([`schema`]).
//! - Safety is the server's, not the model's ([`safety`]): tiers chosen by configuration
//!   (a tier that is off is not registered), a preview and a single-use confirmation token
//!   bound to exactly that order and session, asking the person ([`confirm`]), caps that
//!   count what an order can really execute for, checked with every process's orders in one
//!   journal transaction, a kill switch, an append-only SQLite journal ([`flow`]).
//! - With no keys configured both venues run on the built-in simulators ([`venues`]).
//! - Three front doors onto the same tools: MCP (stdio and streamable HTTP, [`http`]), the
//!   `trading` command line ([`cli`]) and the REST API ([`rest`]); the last two are MCP
//!   clients of the server in-process ([`front`]). Failures carry a stable [`error::ErrorCode`].

pub mod cli;
pub mod config;
pub mod confirm;
pub mod demo;
pub mod error;
pub mod flow;
pub mod front;
pub mod http;
pub mod logging;
pub mod observe;
pub mod replay;
pub mod rest;
pub mod safety;
pub mod schema;
pub mod serve;
pub mod server;
pub mod state;
pub mod tools;
pub mod venues;
pub mod watch;

pub use config::{
    BackpackConnection, IbkrConnection, Mode, PaperSource, ServerConfig, Tiers, Venue,
};
pub use server::TradingServer;
pub use state::AppState;
