//! Backpack Exchange: the real exchange (keys from the environment) or the testkit's
//! simulated exchange, served in this process (requests are built, signed, verified and
//! answered exactly as over HTTP, without a socket).

use std::time::{Duration, Instant};

use backpack_sdk::Client;
use backpack_sdk::ws::Streams;
use testkit::backpack::{PaperExchange, Simulator, StreamFaults, StreamServer, StreamSettings};
use testkit::engine::ExchangeConfig;

use super::Health;
use crate::config::{BackpackConnection, Mode, PaperSource};

/// How long starting paper trading waits for its books to be in sync.
const PAPER_SYNC_WAIT: Duration = Duration::from_secs(5);

/// A connected Backpack venue.
pub struct BackpackVenue {
    /// The SDK client.
    pub client: Client,
    /// Simulated or live.
    pub mode: Mode,
    /// The simulated exchange, when this venue is one.
    simulator: Option<Simulator>,
    /// The paper exchange fed by live prices, when this venue is one.
    paper: Option<PaperExchange>,
    /// WebSocket streams, opened on first use.
    streams: tokio::sync::OnceCell<Result<Streams, String>>,
    /// The local stream server of a simulated or paper venue (kept alive with it).
    stream_server: std::sync::Mutex<Option<StreamServer>>,
}

impl std::fmt::Debug for BackpackVenue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackpackVenue")
            .field("base_url", &self.client.base_url())
            .field("mode", &self.mode)
            .field("simulated", &self.simulator.is_some())
            .field("paper", &self.paper.is_some())
            .finish()
    }
}

impl BackpackVenue {
    /// Starts the simulator (`speed`: simulated milliseconds per real one; `seed`: its
    /// market's random path), or connects to the exchange.
    ///
    /// # Errors
    /// A message saying what is wrong with the configuration or the simulator.
    pub async fn start(
        connection: BackpackConnection,
        speed: u64,
        seed: u64,
        clock: trading_core::clock::SharedClock,
    ) -> Result<Self, String> {
        let mode = connection.mode();
        match connection {
            BackpackConnection::Simulated => {
                let fake = Simulator::builder()
                    .exchange(ExchangeConfig {
                        seed,
                        ..ExchangeConfig::default()
                    })
                    .speed(speed)
                    .clock(clock.clone())
                    .build()
                    .map_err(|e| format!("the Backpack simulator did not start: {e}"))?;
                let client = fake
                    .client_builder()
                    .clock(std::sync::Arc::new(clock))
                    .build()
                    .map_err(|e| e.to_string())?;
                Ok(Self {
                    client,
                    mode,
                    simulator: Some(fake),
                    paper: None,
                    streams: tokio::sync::OnceCell::new(),
                    stream_server: std::sync::Mutex::new(None),
                })
            }
            BackpackConnection::Paper(source) => {
                let PaperSource {
                    rest,
                    ws_url,
                    settings,
                } = *source;
                let rest = rest
                    .build()
                    .map_err(|e| format!("Backpack configuration: {e}"))?;
                let mut paper = PaperExchange::start(rest, &ws_url, settings)
                    .await
                    .map_err(|e| format!("Backpack paper trading did not start: {e}"))?;
                // A first order right after the start should find the books; a market still
                // out of sync after this refuses orders and shows in `status`.
                if !paper.wait_synced(PAPER_SYNC_WAIT).await {
                    tracing::warn!(status = ?paper.status(), "paper books not in sync yet");
                }
                let client = paper
                    .client_builder()
                    .build()
                    .map_err(|e| format!("Backpack paper client: {e}"))?;
                Ok(Self {
                    client,
                    mode,
                    simulator: None,
                    paper: Some(paper),
                    streams: tokio::sync::OnceCell::new(),
                    stream_server: std::sync::Mutex::new(None),
                })
            }
            BackpackConnection::Exchange(connection) => {
                let client = (*connection)
                    .build()
                    .map_err(|e| format!("Backpack configuration: {e}"))?;
                if let Err(error) = client.sync_clock().await {
                    tracing::warn!(%error, "could not read Backpack's clock; signing with the local one");
                }
                Ok(Self {
                    client,
                    mode,
                    simulator: None,
                    paper: None,
                    streams: tokio::sync::OnceCell::new(),
                    stream_server: std::sync::Mutex::new(None),
                })
            }
        }
    }

    /// The venue's WebSocket streams, opened on first use: the exchange's
    /// (`BACKPACK_WS_URL`) when live; when simulated or paper, the local engine's served on
    /// 127.0.0.1 (paper orders live there, and its books mirror the exchange's).
    ///
    /// # Errors
    /// Why the streams could not be opened.
    pub async fn streams(&self) -> Result<Streams, String> {
        self.streams
            .get_or_init(|| self.open_streams())
            .await
            .clone()
    }

    /// How many times the stream connection was re-established after a loss (0 while no
    /// stream was opened).
    pub fn stream_reconnects(&self) -> u64 {
        match self.streams.get() {
            Some(Ok(streams)) => streams.reconnects(),
            _ => 0,
        }
    }

    async fn open_streams(&self) -> Result<Streams, String> {
        let local = self
            .simulator
            .clone()
            .or_else(|| self.paper.as_ref().map(|paper| paper.simulator().clone()));
        let builder = match local {
            Some(simulator) => {
                let server = simulator
                    .serve_streams(0, StreamSettings::default())
                    .await
                    .map_err(|e| format!("the local stream server did not start: {e}"))?;
                let url = server.url();
                *self
                    .stream_server
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(server);
                self.client.streams().url(url)
            }
            None => self.client.streams().from_env(),
        };
        builder
            .build()
            .map_err(|e| format!("Backpack streams: {e}"))
    }

    /// The simulator, when this venue is one (tests inspect its exchange).
    pub fn simulator(&self) -> Option<&Simulator> {
        self.simulator.as_ref()
    }

    /// The local stream server's fault switches, once a stream opened on the simulator or
    /// paper engine (tests break its connections).
    pub fn stream_faults(&self) -> Option<StreamFaults> {
        self.stream_server
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(StreamServer::faults)
    }

    /// A round trip to the exchange's clock now.
    pub async fn health(&self) -> Health {
        let started = Instant::now();
        let answer =
            tokio::time::timeout(Duration::from_secs(5), self.client.markets().time()).await;
        let endpoint = self.client.base_url().to_owned();
        let unsynced: Vec<String> = self
            .paper
            .as_ref()
            .map(|paper| {
                paper
                    .status()
                    .into_iter()
                    .filter(|market| !market.synced)
                    .map(|market| market.symbol)
                    .collect()
            })
            .unwrap_or_default();
        match answer {
            Ok(Ok(_)) if !unsynced.is_empty() => Health {
                healthy: false,
                round_trip_ms: Some(
                    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                ),
                endpoint,
                account: None,
                error: Some(format!(
                    "paper books not in sync with the exchange yet: {} (no liquidity there until they are)",
                    unsynced.join(", ")
                )),
            },
            Ok(Ok(_)) => Health {
                healthy: true,
                round_trip_ms: Some(
                    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                ),
                endpoint,
                account: None,
                error: None,
            },
            Ok(Err(error)) => Health {
                healthy: false,
                round_trip_ms: None,
                endpoint,
                account: None,
                error: Some(error.to_string()),
            },
            Err(_) => Health {
                healthy: false,
                round_trip_ms: None,
                endpoint,
                account: None,
                error: Some("no answer within 5 s".into()),
            },
        }
    }
}
