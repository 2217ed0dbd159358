//! Interactive Brokers: a configured TWS / IB Gateway, or the testkit's fake gateway
//! started in-process (prices take a seeded random walk on the server's clock, so resting
//! orders fill and a journal replay meets the same prices).

use std::time::Duration;

use ibkr_sdk::{Config, IbkrClient, LinkState};
use testkit::tws::{FakeTws, WalkPlan};
use trading_core::clock::{Clock, SharedClock};

use super::Health;
use crate::config::{IbkrConnection, Mode};

/// A connected IBKR venue.
pub struct IbkrVenue {
    /// The SDK client.
    pub client: IbkrClient,
    /// Simulated, paper or live.
    pub mode: Mode,
    /// Keeps the simulator running while the venue lives.
    simulator: Option<(FakeTws, tokio::task::JoinHandle<()>)>,
    /// The simulator's walk (what the journal records for a replay).
    walk: Option<WalkPlan>,
}

/// A step of the simulator's price walk every second of the server's clock.
pub const SIMULATOR_WALK_INTERVAL: Duration = Duration::from_secs(1);

impl std::fmt::Debug for IbkrVenue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IbkrVenue")
            .field("client", &self.client)
            .field("mode", &self.mode)
            .field("simulated", &self.simulator.is_some())
            .finish()
    }
}

impl Drop for IbkrVenue {
    fn drop(&mut self) {
        if let Some((_, walk)) = &self.simulator {
            walk.abort();
        }
    }
}

impl IbkrVenue {
    /// Starts the fake gateway (its prices walking from `seed` on `clock`) and connects to it
    /// (orders enabled when `trading`), or connects to the configured gateway.
    ///
    /// # Errors
    /// A message saying why the gateway cannot be used.
    pub async fn start(
        connection: IbkrConnection,
        trading: bool,
        seed: u64,
        clock: SharedClock,
    ) -> Result<Self, String> {
        let mode = connection.mode();
        match connection {
            IbkrConnection::Simulated => {
                let fake = FakeTws::builder()
                    .record_requests(false)
                    .try_start()
                    .await
                    .map_err(|e| format!("the IBKR simulator did not start: {e}"))?;
                let mut config = Config::paper("127.0.0.1", fake.address().port());
                config.orders_enabled = trading;
                config.max_messages_per_second = None;
                // The simulator has lines to spare: quotes asked again are served live.
                config.live_quotes = 20;
                let client = IbkrClient::connect(config)
                    .await
                    .map_err(|e| e.to_string())?;
                let plan = WalkPlan {
                    seed,
                    start_ms: clock.now_ms(),
                    interval: SIMULATOR_WALK_INTERVAL,
                };
                let walk = fake.walk_on(clock, plan);
                Ok(Self {
                    client,
                    mode,
                    simulator: Some((fake, walk)),
                    walk: Some(plan),
                })
            }
            IbkrConnection::Gateway(config) => {
                let client = IbkrClient::connect(config)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Self {
                    client,
                    mode,
                    simulator: None,
                    walk: None,
                })
            }
        }
    }

    /// The fake gateway, when this venue is one (tests move its prices).
    pub fn simulator(&self) -> Option<&FakeTws> {
        self.simulator.as_ref().map(|(fake, _)| fake)
    }

    /// The simulator's price walk, when this venue is one.
    pub fn walk(&self) -> Option<WalkPlan> {
        self.walk
    }

    /// A round trip to the gateway's clock now: a dead gateway is never reported healthy.
    pub async fn health(&self) -> Health {
        let endpoint = self.client.config().address();
        match self.client.healthcheck().await {
            Ok(health) if health.connected => Health {
                healthy: true,
                round_trip_ms: Some(health.round_trip_ms),
                endpoint,
                account: Some(health.account),
                error: None,
            },
            Ok(health) => Health {
                healthy: false,
                round_trip_ms: Some(health.round_trip_ms),
                endpoint,
                account: Some(health.account),
                error: Some("the connection to the gateway is down (reconnecting)".into()),
            },
            Err(error) => Health {
                healthy: false,
                round_trip_ms: None,
                endpoint,
                account: Some(self.client.account_id().to_owned()),
                error: Some(match self.client.connection() {
                    LinkState::Reconnecting {
                        since,
                        attempts,
                        last_error,
                    } => format!(
                        "the gateway is away since {}; reconnecting by itself ({attempts} attempts{})",
                        since.format("%H:%M:%S UTC"),
                        last_error.map_or(String::new(), |e| format!(", last: {e}"))
                    ),
                    LinkState::Refused { reason, .. } => format!(
                        "trading stopped: the gateway came back with an account this server must not use ({reason})"
                    ),
                    _ => error.to_string(),
                }),
            },
        }
    }
}
