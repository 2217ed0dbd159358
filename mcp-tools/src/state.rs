//! What every tool call shares: the configuration, the venues, and the safety state
//! (tokens, caps, journal, kill switch, redaction). One per server process, behind an `Arc`,
//! so HTTP sessions and stateless requests all see the same caps and tokens.

use std::sync::Arc;

use crate::config::ServerConfig;
use crate::error::{ErrorCode, ToolError};
use crate::safety::KillSwitch;
use crate::safety::journal::{Journal, SimulatorStart};
use crate::safety::redact::Redactor;
use crate::safety::tokens::TokenStore;
use crate::venues::Slot;
use crate::venues::backpack::BackpackVenue;
use crate::venues::ibkr::IbkrVenue;

/// The server's shared state.
#[derive(Debug)]
pub struct AppState {
    /// The configuration.
    pub config: ServerConfig,
    /// Confirmation tokens.
    pub tokens: TokenStore,
    /// The journal every process shares (the caps are counted from it).
    pub journal: Arc<Journal>,
    /// The kill switch.
    pub kill_switch: KillSwitch,
    /// Secret redaction.
    pub redactor: Redactor,
    /// Open watches (the `watch` tool).
    pub watches: crate::watch::Watches,
    /// Calls, errors, orders, latencies (`/metrics`, `status`).
    pub metrics: Arc<crate::observe::Metrics>,
    backpack: Slot<BackpackVenue>,
    ibkr: Slot<IbkrVenue>,
}

impl AppState {
    /// The state for `config`. A journal that cannot be opened does not stop the start:
    /// trading tools refuse with the reason (reads and cancels keep working).
    pub fn new(config: ServerConfig, redactor: Redactor) -> Arc<Self> {
        let journal = Arc::new(Journal::with_clock(
            config.journal_path.clone(),
            config.clock.clone(),
        ));
        Arc::new(Self {
            tokens: TokenStore::new(config.confirm_ttl, config.clock.clone()),
            kill_switch: KillSwitch::new(config.kill_switch_path.as_deref()),
            journal,
            redactor,
            watches: crate::watch::Watches::default(),
            metrics: Arc::new(crate::observe::Metrics::new()),
            backpack: Slot::default(),
            ibkr: Slot::default(),
            config,
        })
    }

    /// Backpack, connected on first use.
    ///
    /// # Errors
    /// Why it cannot be used now (the next call tries again).
    pub async fn backpack(&self) -> Result<Arc<BackpackVenue>, ToolError> {
        let (speed, seed) = (self.config.simulator_speed, self.config.simulator_seed);
        self.backpack
            .get(|| async move {
                let connection = self.config.backpack_connection.clone();
                let clock = self.config.clock.clone();
                let venue = BackpackVenue::start(connection, speed, seed, clock).await?;
                if let Some(simulator) = venue.simulator() {
                    self.note_simulator(SimulatorStart {
                        ts: crate::safety::journal::utc(&self.config.clock),
                        venue: crate::config::Venue::Backpack,
                        seed,
                        speed,
                        start_ms: simulator.start_ms(),
                    })
                    .await;
                }
                Ok(venue)
            })
            .await
            .map_err(|e| ToolError::new(ErrorCode::VenueUnavailable, self.redactor.text(&e)))
    }

    /// IBKR, connected on first use.
    ///
    /// # Errors
    /// Why it cannot be used now (the next call tries again).
    pub async fn ibkr(&self) -> Result<Arc<IbkrVenue>, ToolError> {
        let trading = self.config.ibkr.tiers.trading;
        let seed = self.config.simulator_seed;
        self.ibkr
            .get(|| async move {
                let connection = self.config.ibkr_connection.clone();
                let clock = self.config.clock.clone();
                let venue = IbkrVenue::start(connection, trading, seed, clock).await?;
                count_reconnects(&venue, Arc::clone(&self.metrics));
                if let Some(walk) = venue.walk() {
                    self.note_simulator(SimulatorStart {
                        ts: crate::safety::journal::utc(&self.config.clock),
                        venue: crate::config::Venue::Ibkr,
                        seed: walk.seed,
                        speed: 1,
                        start_ms: walk.start_ms,
                    })
                    .await;
                }
                Ok(venue)
            })
            .await
            .map_err(|e| ToolError::new(ErrorCode::VenueUnavailable, self.redactor.text(&e)))
    }

    /// Records a simulator's start in the journal (what a replay rebuilds); a journal that
    /// cannot take it is logged: the simulator still serves.
    async fn note_simulator(&self, start: SimulatorStart) {
        let noted = crate::flow::journaled(&self.journal, move |j| j.note_simulator(&start)).await;
        if let Err(error) = noted {
            tracing::warn!(%error, "the simulator's start was not journaled: a replay will not find its seed");
        }
    }

    /// Backpack if it is already connected.
    pub async fn backpack_if_connected(&self) -> Option<Arc<BackpackVenue>> {
        self.backpack.current().await
    }

    /// IBKR if it is already connected.
    pub async fn ibkr_if_connected(&self) -> Option<Arc<IbkrVenue>> {
        self.ibkr.current().await
    }

    /// Starts connecting every enabled venue in the background, so the first tool call does
    /// not wait and `initialize` is answered at once.
    pub fn warm_up(self: &Arc<Self>) {
        if self.config.backpack.tiers.any() {
            let state = Arc::clone(self);
            tokio::spawn(async move {
                if let Err(error) = state.backpack().await {
                    tracing::warn!(%error, "Backpack is not available yet");
                }
            });
        }
        if self.config.ibkr.tiers.any() {
            let state = Arc::clone(self);
            tokio::spawn(async move {
                if let Err(error) = state.ibkr().await {
                    tracing::warn!(%error, "IBKR is not available yet");
                }
            });
        }
    }
}

/// Counts each new gateway session after the first in the metrics, for as long as the
/// client lives.
fn count_reconnects(venue: &IbkrVenue, metrics: Arc<crate::observe::Metrics>) {
    let mut link = venue.client.watch_connection();
    tokio::spawn(async move {
        let mut last = 1;
        while link.changed().await.is_ok() {
            let session = match &*link.borrow_and_update() {
                ibkr_sdk::LinkState::Connected { session, .. } => *session,
                _ => continue,
            };
            if session > last {
                last = session;
                metrics.record_reconnect("ibkr");
            }
        }
    });
}
