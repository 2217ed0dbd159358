//! Backpack Exchange: the real exchange (keys from the environment) or the testkit's
//! simulated exchange, served in this process (requests are built, signed, verified and
//! answered exactly as over HTTP, without a socket).

use std::time::{Duration, Instant};

use backpack_sdk::Client;
use testkit::backpack::Simulator;
use testkit::engine::ExchangeConfig;

use super::Health;
use crate::config::{BackpackConnection, Mode};

/// A connected Backpack venue.
pub struct BackpackVenue {
    /// The SDK client.
    pub client: Client,
    /// Simulated or live.
    pub mode: Mode,
    /// The simulated exchange, when this venue is one.
    simulator: Option<Simulator>,
}

impl std::fmt::Debug for BackpackVenue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackpackVenue")
            .field("base_url", &self.client.base_url())
            .field("mode", &self.mode)
            .field("simulated", &self.simulator.is_some())
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
                    .build()
                    .map_err(|e| format!("the Backpack simulator did not start: {e}"))?;
                let client = fake.client_builder().build().map_err(|e| e.to_string())?;
                Ok(Self {
                    client,
                    mode,
                    simulator: Some(fake),
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
                })
            }
        }
    }

    /// The simulator, when this venue is one (tests inspect its exchange).
    pub fn simulator(&self) -> Option<&Simulator> {
        self.simulator.as_ref()
    }

    /// A round trip to the exchange's clock now.
    pub async fn health(&self) -> Health {
        let started = Instant::now();
        let answer =
            tokio::time::timeout(Duration::from_secs(5), self.client.markets().time()).await;
        let endpoint = self.client.base_url().to_owned();
        match answer {
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
