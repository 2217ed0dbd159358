//! The Backpack Exchange simulator: the exchange's REST semantics over the
//! [matching engine](crate::engine).
//!
//! It checks every signed request as the exchange does (rebuilds the signing string from the
//! parameters received, verifies the ED25519 signature against `X-API-Key`, enforces the
//! window), serves orders, balances, positions, fills, depth, tickers and trades from the
//! engine in the exchange's JSON shapes, and answers errors with the exchange's codes. It is
//! written from the API reference with its own wire types ([`wire`]); it shares nothing with
//! `backpack-sdk` but the protocol.
//!
//! Two ways to reach it:
//! - in this process, without a socket: [`Simulator::handle`] answers a [`Request`]; with the
//!   `backpack-sdk` feature, [`Simulator::client_builder`] gives an SDK client wired to it
//!   (what `trading-mcp` embeds);
//! - over HTTP, with the `fakes` feature: [`FakeBackpack`] serves the same simulator on
//!   127.0.0.1, records requests and injects faults (what tests use).
//!
//! ```
//! use testkit::backpack::{Request, Simulator};
//!
//! let simulator = Simulator::builder().build().unwrap();
//! let url = "http://sim.invalid/api/v1/depth?symbol=SOL_USDC&limit=5".parse().unwrap();
//! let answer = simulator.handle(&Request::new("GET", &url, Vec::new(), Vec::new()));
//! assert_eq!(answer.status(), 200);
//! let depth: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
//! assert_eq!(depth["asks"].as_array().unwrap().len(), 5);
//! ```

mod account;
mod auth;
#[cfg(feature = "fakes")]
mod fake;
#[cfg(feature = "backpack-sdk")]
mod local;
mod market_data;
mod orders;
#[cfg(feature = "backpack-sdk")]
mod paper;
mod request;
mod router;
#[cfg(feature = "streams")]
mod stream;
mod views;
pub mod wire;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use rust_decimal::Decimal;
use trading_core::clock::{Clock, SharedClock};

#[cfg(feature = "fakes")]
pub use fake::{FakeBackpack, FakeBackpackBuilder, Fault, FaultRule};
#[cfg(feature = "backpack-sdk")]
pub use local::LOCAL_BASE_URL;
pub use orders::OrderFilter;
#[cfg(feature = "backpack-sdk")]
pub use paper::{PaperExchange, PaperMarketStatus, PaperSettings};
pub use request::Request;
#[cfg(feature = "streams")]
pub use stream::{StreamFaults, StreamServer, StreamSettings, WireForm};

use crate::engine::{AccountId, ConfigError, Exchange, ExchangeConfig, Reject, RejectKind};
use router::{Reply, Shared};
use wire::{ErrorBody, ErrorCode};

/// An account's ED25519 key pair, as the exchange's users hold it: the secret is the base64
/// of the 32-byte seed, the API key the base64 of the public key.
#[derive(Clone)]
pub struct KeyPair {
    key: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("api_key", &self.api_key())
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// The key pair of a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The key pair of a base64 secret (a 32-byte seed).
    ///
    /// # Errors
    /// [`StartError`] when the text is not base64 of 32 bytes.
    pub fn from_secret(secret: &str) -> Result<Self, StartError> {
        let seed: [u8; 32] = STANDARD
            .decode(secret.trim())
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| StartError("the secret must be base64 of a 32-byte seed".into()))?;
        Ok(Self::from_seed(&seed))
    }

    /// `X-API-Key`: base64 of the public key.
    pub fn api_key(&self) -> String {
        STANDARD.encode(self.key.verifying_key().as_bytes())
    }

    /// The secret: base64 of the seed. Print it only where a person asked for it.
    pub fn api_secret(&self) -> String {
        STANDARD.encode(self.key.to_bytes())
    }
}

/// Seed of the default test key: fixed, so tests and snapshots are reproducible.
const DEFAULT_SEED: [u8; 32] = [0x42; 32];

/// Configures a [`Simulator`].
#[derive(Debug, Clone)]
#[must_use = "call .build() to make the simulator"]
pub struct SimulatorBuilder {
    exchange: ExchangeConfig,
    keys: KeyPair,
    balances: Vec<(String, String)>,
    lent: Vec<(String, String)>,
    clock: SharedClock,
    speed: u64,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            exchange: ExchangeConfig::default(),
            keys: KeyPair::from_seed(&DEFAULT_SEED),
            balances: [
                ("USDC", "100000"),
                ("SOL", "500"),
                ("BTC", "2"),
                ("ETH", "25"),
            ]
            .map(|(asset, amount)| (asset.to_owned(), amount.to_owned()))
            .to_vec(),
            lent: Vec::new(),
            clock: SharedClock::system(),
            speed: 1,
        }
    }
}

impl SimulatorBuilder {
    /// Markets, seed and simulation settings of the engine.
    pub fn exchange(mut self, config: ExchangeConfig) -> Self {
        self.exchange = config;
        self
    }

    /// The key pair of the default account (default: a fixed test key).
    pub fn keys(mut self, keys: KeyPair) -> Self {
        self.keys = keys;
        self
    }

    /// Starting balances of the default account (replacing the defaults), e.g.
    /// `[("USDC", "100000")]`; an amount that is not a non-negative decimal fails the build.
    pub fn balances<'a>(mut self, balances: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.balances = owned(balances);
        self
    }

    /// Lent balances of the default account, like [`balances`](Self::balances).
    pub fn lent<'a>(mut self, lent: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.lent = owned(lent);
        self
    }

    /// Wall clock: signature windows, `/api/v1/time`, and the pace of the simulated market
    /// (default: the system clock; a `ManualClock` makes time the test's to move).
    pub fn clock(mut self, clock: impl Into<SharedClock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// Simulated milliseconds per real millisecond (default 1).
    pub fn speed(mut self, speed: u64) -> Self {
        self.speed = speed.max(1);
        self
    }

    /// The simulator.
    ///
    /// # Errors
    /// [`StartError`] if the engine configuration or a balance is invalid.
    pub fn build(self) -> Result<Simulator, StartError> {
        let balances = amounts(&self.balances)?;
        let lent = amounts(&self.lent)?;
        let mut config = self.exchange.clone();
        config.start_ms = self.clock.now_ms();
        let mut exchange = Exchange::new(config)?;
        let balances: Vec<(&str, Decimal)> =
            balances.iter().map(|(a, d)| (a.as_str(), *d)).collect();
        let account = exchange.add_account(&self.keys.api_key(), &balances)?;
        for (asset, amount) in &lent {
            exchange.deposit(account, asset, Decimal::ZERO, *amount)?;
        }
        Ok(Simulator {
            shared: Arc::new(Shared::new(exchange, self.clock, self.speed)),
            keys: self.keys,
            account,
        })
    }
}

fn owned<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    items
        .into_iter()
        .map(|(asset, amount)| (asset.to_owned(), amount.to_owned()))
        .collect()
}

fn amounts(items: &[(String, String)]) -> Result<Vec<(String, Decimal)>, StartError> {
    items
        .iter()
        .map(|(asset, amount)| {
            let value: Decimal = amount
                .trim()
                .parse()
                .map_err(|_| StartError(format!("amount of {asset} is not a decimal: {amount}")))?;
            if value < Decimal::ZERO {
                return Err(StartError(format!("amount of {asset} is negative")));
            }
            Ok((asset.trim().to_uppercase(), value))
        })
        .collect()
}

/// Why a simulator or fake could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub(crate) String);

impl From<ConfigError> for StartError {
    fn from(error: ConfigError) -> Self {
        StartError(error.to_string())
    }
}

/// An answer of the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn from_reply(reply: Reply) -> Self {
        let (status, content_type, body) = reply.into_parts();
        Self {
            status,
            content_type,
            body,
        }
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `application/json; charset=utf-8` or `text/plain; charset=utf-8`.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// The simulated exchange, in this process. Cheap to clone (clones share the exchange).
#[derive(Debug, Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
    keys: KeyPair,
    account: AccountId,
}

impl Simulator {
    /// Configures a simulator.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Answers one request as the exchange would.
    pub fn handle(&self, request: &Request) -> Response {
        Response::from_reply(self.shared.handle(request))
    }

    /// Serves this simulator's WebSocket streams on 127.0.0.1 (`port` 0: any free one)
    /// until the returned server is dropped.
    ///
    /// # Errors
    /// [`StartError`] if the port cannot be bound.
    #[cfg(feature = "streams")]
    pub async fn serve_streams(
        &self,
        port: u16,
        settings: StreamSettings,
    ) -> Result<StreamServer, StartError> {
        StreamServer::start(Arc::clone(&self.shared), port, settings).await
    }

    /// The default account's key pair.
    pub fn keys(&self) -> &KeyPair {
        &self.keys
    }

    /// The default account.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The simulator's wall clock.
    pub fn clock(&self) -> &SharedClock {
        &self.shared.clock
    }

    /// The clock's time when the simulator started, ms: with the same seed, speed and start,
    /// the same clock times give the same market (what a replay needs).
    pub fn start_ms(&self) -> u64 {
        self.shared.wall_start_ms
    }

    /// Runs `f` on the engine (advanced to the current simulated time): inspect state, add
    /// accounts or liquidity, check invariants.
    pub fn with_exchange<R>(&self, f: impl FnOnce(&mut Exchange) -> R) -> R {
        f(&mut self.shared.exchange())
    }

    /// Adds an account for another key pair.
    ///
    /// # Errors
    /// [`ConfigError`] if the key is already registered.
    pub fn add_account(
        &self,
        keys: &KeyPair,
        balances: &[(&str, Decimal)],
    ) -> Result<AccountId, ConfigError> {
        self.with_exchange(|exchange| exchange.add_account(&keys.api_key(), balances))
    }

    /// The open orders of `account`, as `GET /api/v1/orders` shows them.
    pub fn open_orders(&self, account: AccountId) -> Vec<wire::Order> {
        self.with_exchange(|exchange| orders::open_orders(exchange, account, None, None))
    }

    /// Every order of `account` the simulator remembers (open and finished, up to the
    /// engine's history limit), oldest first, as the order history shows them; unlike the
    /// endpoint, not paged.
    pub fn order_history(&self, account: AccountId) -> Vec<wire::HistoricalOrder> {
        self.with_exchange(|exchange| orders::all_orders(exchange, account))
    }
}

/// HTTP status of an engine refusal.
pub(crate) fn status_of(reject: &Reject) -> u16 {
    match reject.kind {
        RejectKind::NotFound => 404,
        _ => 400,
    }
}

/// The exchange's error body for an engine refusal.
pub(crate) fn error_body(reject: &Reject) -> ErrorBody {
    let code = match reject.kind {
        RejectKind::InvalidPrice => ErrorCode::InvalidPrice,
        RejectKind::InvalidQuantity => ErrorCode::InvalidQuantity,
        RejectKind::InvalidOrder => ErrorCode::InvalidOrder,
        RejectKind::InsufficientFunds => ErrorCode::InsufficientFunds,
        RejectKind::InsufficientMargin => ErrorCode::InsufficientMargin,
        RejectKind::NotFound => ErrorCode::ResourceNotFound,
        RejectKind::UnknownAccount => ErrorCode::Unauthorized,
        _ => ErrorCode::InvalidClientRequest,
    };
    ErrorBody {
        code,
        message: reject.message.clone(),
    }
}
