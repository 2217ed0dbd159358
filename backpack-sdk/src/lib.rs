//! A typed, signed, validated async client for the [Backpack Exchange] REST API: spot and
//! perpetual markets, account, orders and history.
//!
//! [Backpack Exchange]: https://backpack.exchange
//!
//! # Quick start
//!
//! ```no_run
//! use backpack_sdk::Client;
//! use backpack_sdk::model::{Side, Symbol};
//! use backpack_sdk::spec::OrderSpec;
//!
//! # async fn run() -> Result<(), backpack_sdk::Error> {
//! // BACKPACK_API_SECRET (base64 ED25519 seed), optional BACKPACK_API_KEY, BACKPACK_BASE_URL.
//! let client = Client::from_env()?;
//! client.sync_clock().await?;
//!
//! let market = client.markets().get("SOL_USDC").await?;
//! for balance in client.account().balances_with_lent().await? {
//!     println!("{}: {} available, {} lent", balance.asset, balance.available, balance.lent);
//! }
//!
//! // Validated before anything is sent, then rounded to the market's tick and step sizes.
//! let order = OrderSpec::limit("SOL_USDC", Side::Bid, "150.257".parse()?, "0.1".parse()?)
//!     .post_only(true)
//!     .build()?
//!     .fit_to(&market, None)?
//!     .spec;
//! let placed = client.orders().place(&order).await?;
//! client.orders().cancel(Symbol::from("SOL_USDC"), placed.id).await?;
//! # Ok(()) }
//! ```
//!
//! # What is in the crate
//!
//! - [`model`]: every wire type. Money is [`Price`](model::Price),
//!   [`Quantity`](model::Quantity), [`Notional`](model::Notional), [`Rate`](model::Rate) —
//!   `rust_decimal` newtypes that travel as strings and keep their scale. Ids are newtypes.
//!   Enums decode values added by the exchange later as `Unknown(text)`.
//! - [`spec`]: [`OrderSpec`](spec::OrderSpec), a validated order; invalid combinations are
//!   rejected before sending, and [`fit_to`](spec::OrderSpec::fit_to) rounds an order to a
//!   market's filters.
//! - [`signing`]: request signing as pure functions (no clock inside), checked against
//!   golden vectors.
//! - [`api`]: one struct per endpoint implementing [`api::Request`].
//! - [`Client`] (feature `client`): sends requests with retries, clock-offset correction and
//!   typed errors; grouped as [`Client::markets`], [`Client::account`], [`Client::orders`],
//!   [`Client::history`]. A [`client::LocalTransport`] answers requests in this process
//!   instead of the network (simulators), with the same signing and error handling.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `client` | yes | the async [`Client`] (reqwest, tokio) |
//! | `rustls` | yes | TLS through rustls |
//! | `native-tls` | no | TLS through the platform library |
//! | `schemars` | no | `JsonSchema` for request and order types (tool schemas) |
//!
//! Without `client`, the crate is the wire types, signing and order specs: what a fake
//! server or another HTTP stack needs.
//!
//! # Errors
//!
//! Every call returns [`Error`], grouped by what the caller can do, and
//! [`Error::outcome`] says whether the request took effect:
//!
//! - **never sent**: [`Error::InvalidOrder`], [`Error::InvalidRequest`],
//!   [`Error::Credentials`], [`Error::Connect`];
//! - **rejected** by the exchange: [`Error::Api`] (HTTP status, parsed error code with an
//!   `Unknown` fallback, or the plain-text body), [`Error::RateLimited`];
//! - **accepted** but unreadable: [`Error::Decode`] (names the failing field path);
//! - **outcome unknown**: [`Error::Timeout`], [`Error::Transport`], and for orders and
//!   cancels [`Error::OutcomeUnknown`], carrying the client id to reconcile with
//!   ([`Orders::reconcile`](client::Orders::reconcile)).
//!
//! Reads are retried on 429, 5xx and connection failures with bounded exponential
//! backoff. An order is never re-sent once it may have reached the exchange.
//!
//! # Secrets
//!
//! [`Credentials`] never show the secret in `Debug`, logs or errors; the signature and key
//! headers are marked sensitive.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod api;
pub mod credentials;
pub mod error;
pub mod model;
pub mod signing;
pub mod spec;

#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;

#[cfg(feature = "ws")]
#[cfg_attr(docsrs, doc(cfg(feature = "ws")))]
pub mod ws;

#[cfg(feature = "client")]
pub use client::{Client, ClientBuilder};
pub use credentials::{Credentials, CredentialsError};
pub use error::{ApiError, Error, Outcome};

/// The crate README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
