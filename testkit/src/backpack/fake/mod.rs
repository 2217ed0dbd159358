//! The fake Backpack REST server (feature `fakes`): the [simulator](super::Simulator) served
//! over HTTP on 127.0.0.1 by wiremock, with request recording and fault injection.
//!
//! ```no_run
//! # async fn run() {
//! use testkit::backpack::FakeBackpack;
//! let fake = FakeBackpack::start().await;
//! // Point any client at it:
//! println!("{} {}", fake.uri(), fake.keys().api_key());
//! # }
//! ```

mod faults;

use std::net::TcpListener;
use std::sync::Arc;

use rust_decimal::Decimal;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

pub use faults::{Fault, FaultRule};

use super::stream::{StreamFaults, StreamServer, StreamSettings};

use super::router::{Reply, Shared};
use super::{KeyPair, Request, Simulator, SimulatorBuilder, StartError};
use crate::engine::{AccountId, ConfigError, Exchange, ExchangeConfig};
use trading_core::clock::SharedClock;

/// Configures a [`FakeBackpack`].
#[derive(Debug, Clone)]
#[must_use = "call .start() to run the server"]
pub struct FakeBackpackBuilder {
    simulator: SimulatorBuilder,
    record_requests: bool,
    port: Option<u16>,
    ws_port: Option<u16>,
    streams: StreamSettings,
}

impl Default for FakeBackpackBuilder {
    fn default() -> Self {
        Self {
            simulator: SimulatorBuilder::default(),
            record_requests: true,
            port: None,
            ws_port: None,
            streams: StreamSettings::default(),
        }
    }
}

impl FakeBackpackBuilder {
    /// Markets, seed and simulation settings of the engine.
    pub fn exchange(mut self, config: ExchangeConfig) -> Self {
        self.simulator = self.simulator.exchange(config);
        self
    }

    /// The key pair of the default account (default: a fixed test key).
    pub fn keys(mut self, keys: KeyPair) -> Self {
        self.simulator = self.simulator.keys(keys);
        self
    }

    /// Starting balances of the default account (replacing the defaults), e.g.
    /// `[("USDC", "100000")]`; an amount that is not a non-negative decimal fails the start.
    pub fn balances<'a>(mut self, balances: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.simulator = self.simulator.balances(balances);
        self
    }

    /// Lent balances of the default account, like [`balances`](Self::balances).
    pub fn lent<'a>(mut self, lent: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.simulator = self.simulator.lent(lent);
        self
    }

    /// Wall clock (default: the system clock), as [`SimulatorBuilder::clock`].
    pub fn clock(mut self, clock: impl Into<SharedClock>) -> Self {
        self.simulator = self.simulator.clock(clock);
        self
    }

    /// Simulated milliseconds per real millisecond (default 1).
    pub fn speed(mut self, speed: u64) -> Self {
        self.simulator = self.simulator.speed(speed);
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

    /// Serve the WebSocket streams on this port of 127.0.0.1 (default: an ephemeral port).
    pub fn ws_port(mut self, port: u16) -> Self {
        self.ws_port = Some(port);
        self
    }

    /// How the WebSocket streams behave (frame form, ping cadence, tick).
    pub fn streams(mut self, settings: StreamSettings) -> Self {
        self.streams = settings;
        self
    }

    /// Starts the server.
    ///
    /// # Errors
    /// [`StartError`] if the engine configuration is invalid or the port cannot be bound.
    pub async fn try_start(self) -> Result<FakeBackpack, StartError> {
        let simulator = self.simulator.build()?;
        let port = self.port.unwrap_or(0);
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| StartError(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let mut builder = MockServer::builder().listener(listener);
        if !self.record_requests {
            builder = builder.disable_request_recording();
        }
        let server = builder.start().await;
        Mock::given(any())
            .respond_with(ExchangeResponder(Arc::clone(&simulator.shared)))
            .with_priority(10)
            .named("simulated exchange")
            .mount(&server)
            .await;
        let streams = StreamServer::start(
            Arc::clone(&simulator.shared),
            self.ws_port.unwrap_or(0),
            self.streams,
        )
        .await?;
        Ok(FakeBackpack {
            server,
            simulator,
            streams,
        })
    }

    /// Starts the server — a test helper that panics.
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

/// The simulator's own request from wiremock's.
pub(super) fn to_request(request: &wiremock::Request) -> Request {
    let headers = request.headers.iter().filter_map(|(name, value)| {
        Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
    });
    Request::new(
        request.method.as_str(),
        &request.url,
        headers,
        request.body.clone(),
    )
}

/// wiremock's answer from the simulator's.
pub(super) fn respond(reply: Reply) -> ResponseTemplate {
    let (status, content_type, body) = reply.into_parts();
    ResponseTemplate::new(status).set_body_raw(body, content_type)
}

struct ExchangeResponder(Arc<Shared>);

impl Respond for ExchangeResponder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        respond(self.0.handle(&to_request(request)))
    }
}

/// A running fake Backpack server on 127.0.0.1. Stops when dropped.
pub struct FakeBackpack {
    server: MockServer,
    simulator: Simulator,
    streams: StreamServer,
}

impl std::fmt::Debug for FakeBackpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeBackpack")
            .field("uri", &self.server.uri())
            .field("ws_url", &self.streams.url())
            .field("account", &self.simulator.account)
            .finish_non_exhaustive()
    }
}

impl FakeBackpack {
    /// Starts a fake with the default markets and a funded default account — a test helper
    /// that panics.
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

    /// WebSocket URL of the streams, e.g. `ws://127.0.0.1:41235`.
    pub fn ws_url(&self) -> String {
        self.streams.url()
    }

    /// Fault injection and counters of the WebSocket streams.
    pub fn stream_faults(&self) -> StreamFaults {
        self.streams.faults()
    }

    /// The simulator behind the server.
    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }

    /// The default account's key pair.
    pub fn keys(&self) -> &KeyPair {
        self.simulator.keys()
    }

    /// The default account.
    pub fn account(&self) -> AccountId {
        self.simulator.account()
    }

    /// The fake's wall clock.
    pub fn clock(&self) -> &SharedClock {
        self.simulator.clock()
    }

    /// Runs `f` on the engine (advanced to the current simulated time): inspect state, add
    /// accounts or liquidity, check invariants.
    pub fn with_exchange<R>(&self, f: impl FnOnce(&mut Exchange) -> R) -> R {
        self.simulator.with_exchange(f)
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
        self.simulator.add_account(keys, balances)
    }

    /// Injects a fault (see [`Fault`]).
    pub async fn inject(&self, rule: impl Into<FaultRule>) {
        rule.into()
            .into_mock(Arc::clone(&self.simulator.shared))
            .mount(&self.server)
            .await;
    }

    /// Every request received so far, oldest first (empty if recording is off).
    pub async fn received_requests(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(to_request)
            .collect()
    }
}

#[cfg(feature = "backpack-sdk")]
impl FakeBackpack {
    /// The default account's key pair as SDK credentials.
    pub fn credentials(&self) -> backpack_sdk::Credentials {
        self.simulator.credentials()
    }

    /// An SDK client builder pointed at this server with the default account's keys.
    pub fn client_builder(&self) -> backpack_sdk::ClientBuilder {
        backpack_sdk::Client::builder()
            .base_url(self.uri())
            .credentials(self.credentials())
    }

    /// A transport that reaches this fake's simulator directly, without the server (faults
    /// and recording do not apply).
    pub fn transport(&self) -> Arc<dyn backpack_sdk::client::LocalTransport> {
        self.simulator.transport()
    }
}
