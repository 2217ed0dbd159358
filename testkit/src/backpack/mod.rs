//! A fake Backpack REST server: wiremock in front, the [mock exchange](crate::exchange)
//! behind.
//!
//! It checks every signed request as the exchange does (rebuilds the signing string from the
//! parameters received, verifies the ED25519 signature against `X-API-Key`, enforces the
//! window), serves orders, balances, positions, fills, depth, tickers and trades from the
//! engine in the exchange's JSON shapes, answers errors with the exchange's codes, and can
//! inject faults ([`Fault`]).
//!
//! ```no_run
//! # async fn run() {
//! use testkit::backpack::FakeBackpack;
//! let fake = FakeBackpack::start().await;
//! // Point any client at it:
//! println!("{} {}", fake.uri(), fake.credentials().api_key());
//! # }
//! ```

mod auth;
mod faults;
mod local;
mod router;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use backpack_sdk::Credentials;
use rust_decimal::Decimal;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub use faults::{Fault, FaultRule};
pub use local::{LOCAL_BASE_URL, LocalBackpack};

use crate::exchange::{AccountId, ConfigError, Exchange, ExchangeConfig};
use router::Shared;

/// The fake's notion of wall-clock time (for signature windows and `/api/v1/time`).
#[derive(Debug, Clone, Default)]
pub enum FakeClock {
    /// The system clock.
    #[default]
    System,
    /// A clock that moves only when told to.
    Manual(Arc<AtomicU64>),
}

impl FakeClock {
    /// A manual clock reading `now_ms`.
    pub fn manual(now_ms: u64) -> Self {
        FakeClock::Manual(Arc::new(AtomicU64::new(now_ms)))
    }

    /// Milliseconds since the epoch.
    pub fn now_ms(&self) -> u64 {
        match self {
            FakeClock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0),
            FakeClock::Manual(now) => now.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, millis: u64) {
        if let FakeClock::Manual(now) = self {
            now.fetch_add(millis, Ordering::SeqCst);
        }
    }
}

/// Seed of the default test key: fixed, so tests and snapshots are reproducible.
const DEFAULT_SEED: [u8; 32] = [0x42; 32];

/// Configures a [`FakeBackpack`].
#[derive(Debug, Clone)]
#[must_use = "call .start() to run the server"]
pub struct FakeBackpackBuilder {
    exchange: ExchangeConfig,
    credentials: Credentials,
    balances: Vec<(String, Decimal)>,
    lent: Vec<(String, Decimal)>,
    clock: FakeClock,
    speed: u64,
    record_requests: bool,
    port: Option<u16>,
}

impl Default for FakeBackpackBuilder {
    fn default() -> Self {
        Self {
            exchange: ExchangeConfig::default(),
            credentials: Credentials::from_seed(&DEFAULT_SEED),
            balances: vec![
                ("USDC".into(), Decimal::from(100_000)),
                ("SOL".into(), Decimal::from(500)),
                ("BTC".into(), Decimal::from(2)),
                ("ETH".into(), Decimal::from(25)),
            ],
            lent: Vec::new(),
            clock: FakeClock::System,
            speed: 1,
            record_requests: true,
            port: None,
        }
    }
}

impl FakeBackpackBuilder {
    /// Markets, seed and simulation settings of the engine.
    pub fn exchange(mut self, config: ExchangeConfig) -> Self {
        self.exchange = config;
        self
    }

    /// The key pair of the default account.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// Starting balances of the default account (replacing the defaults).
    pub fn balances<'a>(mut self, balances: impl IntoIterator<Item = (&'a str, Decimal)>) -> Self {
        self.balances = balances
            .into_iter()
            .map(|(a, d)| (a.to_owned(), d))
            .collect();
        self
    }

    /// Lent balances of the default account.
    pub fn lent<'a>(mut self, lent: impl IntoIterator<Item = (&'a str, Decimal)>) -> Self {
        self.lent = lent.into_iter().map(|(a, d)| (a.to_owned(), d)).collect();
        self
    }

    /// Wall clock (default: the system clock).
    pub fn clock(mut self, clock: FakeClock) -> Self {
        self.clock = clock;
        self
    }

    /// Simulated milliseconds per real millisecond (default 1).
    pub fn speed(mut self, speed: u64) -> Self {
        self.speed = speed.max(1);
        self
    }

    /// Whether requests are recorded for [`FakeBackpack::received_requests`] (default on;
    /// turn off for long-running servers).
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// Listen on this port of 127.0.0.1 (default: an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The engine with the default account, shared by every way of serving it.
    fn engine(&self) -> Result<(Arc<Shared>, AccountId), StartError> {
        let mut config = self.exchange.clone();
        config.start_ms = self.clock.now_ms();
        let mut exchange = Exchange::new(config)?;
        let balances: Vec<(&str, Decimal)> = self
            .balances
            .iter()
            .map(|(a, d)| (a.as_str(), *d))
            .collect();
        let account = exchange.add_account(self.credentials.api_key(), &balances)?;
        for (asset, amount) in &self.lent {
            exchange.deposit(account, asset, Decimal::ZERO, *amount)?;
        }
        Ok((
            Arc::new(Shared::new(exchange, self.clock.clone(), self.speed)),
            account,
        ))
    }

    /// The simulated exchange in this process, without a server: the SDK client reaches it
    /// through a [`LocalTransport`](backpack_sdk::client::LocalTransport) (requests are
    /// signed and verified, never sent over a socket; faults do not apply).
    ///
    /// # Errors
    /// [`StartError`] if the engine configuration is invalid.
    pub fn build_local(self) -> Result<LocalBackpack, StartError> {
        let (shared, account) = self.engine()?;
        Ok(LocalBackpack {
            shared,
            credentials: self.credentials,
            account,
        })
    }

    /// Starts the server.
    ///
    /// # Errors
    /// [`StartError`] if the engine configuration is invalid or the port cannot be bound.
    pub async fn try_start(self) -> Result<FakeBackpack, StartError> {
        let (shared, account) = self.engine()?;
        let listener = TcpListener::bind(("127.0.0.1", self.port.unwrap_or(0))).map_err(|e| {
            StartError(format!(
                "cannot listen on 127.0.0.1:{}: {e}",
                self.port.unwrap_or(0)
            ))
        })?;
        let mut builder = MockServer::builder().listener(listener);
        if !self.record_requests {
            builder = builder.disable_request_recording();
        }
        let server = builder.start().await;
        Mock::given(any())
            .respond_with(ExchangeResponder(Arc::clone(&shared)))
            .with_priority(10)
            .named("mock exchange")
            .mount(&server)
            .await;
        Ok(FakeBackpack {
            server,
            shared,
            credentials: self.credentials,
            account,
        })
    }

    /// Starts the server.
    ///
    /// # Panics
    /// If the configuration is invalid or the port is taken (test setup errors); use
    /// [`try_start`](Self::try_start) to handle them.
    #[allow(clippy::panic)]
    pub async fn start(self) -> FakeBackpack {
        match self.try_start().await {
            Ok(fake) => fake,
            Err(error) => panic!("fake Backpack server did not start: {error}"),
        }
    }
}

/// Why the fake could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StartError(String);

impl From<ConfigError> for StartError {
    fn from(error: ConfigError) -> Self {
        StartError(error.to_string())
    }
}

struct ExchangeResponder(Arc<Shared>);

impl Respond for ExchangeResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.handle(request).into_template()
    }
}

/// A running fake Backpack server on 127.0.0.1. Stops when dropped.
pub struct FakeBackpack {
    server: MockServer,
    shared: Arc<Shared>,
    credentials: Credentials,
    account: AccountId,
}

impl std::fmt::Debug for FakeBackpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeBackpack")
            .field("uri", &self.server.uri())
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl FakeBackpack {
    /// Starts a fake with the default markets and a funded default account.
    ///
    /// # Panics
    /// If no local port can be bound.
    pub async fn start() -> FakeBackpack {
        FakeBackpackBuilder::default().start().await
    }

    /// Configures a fake.
    pub fn builder() -> FakeBackpackBuilder {
        FakeBackpackBuilder::default()
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The default account's key pair.
    pub fn credentials(&self) -> Credentials {
        self.credentials.clone()
    }

    /// The default account.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The fake's wall clock.
    pub fn clock(&self) -> &FakeClock {
        &self.shared.clock
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
        credentials: &Credentials,
        balances: &[(&str, Decimal)],
    ) -> Result<AccountId, ConfigError> {
        self.with_exchange(|exchange| exchange.add_account(credentials.api_key(), balances))
    }

    /// Injects a fault (see [`Fault`]).
    pub async fn inject(&self, rule: impl Into<FaultRule>) {
        rule.into()
            .into_mock(Arc::clone(&self.shared))
            .mount(&self.server)
            .await;
    }

    /// A transport that reaches this fake's engine directly, without the server.
    pub fn transport(&self) -> Arc<dyn backpack_sdk::client::LocalTransport> {
        local::transport(&self.shared)
    }

    /// Every request received so far (empty if recording is off).
    pub async fn received_requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }
}
