//! What every tool call shares: the configuration, the venues, and the safety state
//! (tokens, caps, journal, kill switch, redaction). One per server process, behind an `Arc`,
//! so HTTP sessions and stateless requests all see the same caps and tokens.

use std::sync::Arc;

use chrono::Utc;

use crate::config::{ServerConfig, Venue};
use crate::safety::KillSwitch;
use crate::safety::caps::CapGuard;
use crate::safety::journal::Journal;
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
    /// The write journal.
    pub journal: Journal,
    /// The kill switch.
    pub kill_switch: KillSwitch,
    /// Secret redaction.
    pub redactor: Redactor,
    backpack_caps: CapGuard,
    ibkr_caps: CapGuard,
    backpack: Slot<BackpackVenue>,
    ibkr: Slot<IbkrVenue>,
}

impl AppState {
    /// Opens the journal (reading back the last 24 hours of orders for the daily caps).
    ///
    /// # Errors
    /// When the journal cannot be opened or read.
    pub fn new(config: ServerConfig, redactor: Redactor) -> Result<Arc<Self>, String> {
        let journal = Journal::open(&config.journal_path).map_err(|e| {
            format!(
                "cannot open the journal {}: {e}",
                config.journal_path.display()
            )
        })?;
        let now = Utc::now();
        let history = |venue: Venue| {
            journal
                .recent_orders(venue, config.venue(venue).mode, now)
                .map_err(|e| {
                    format!(
                        "cannot read the journal {}: {e}",
                        config.journal_path.display()
                    )
                })
        };
        let backpack_caps = CapGuard::new(config.backpack.caps.clone(), history(Venue::Backpack)?);
        let ibkr_caps = CapGuard::new(config.ibkr.caps.clone(), history(Venue::Ibkr)?);
        Ok(Arc::new(Self {
            tokens: TokenStore::new(config.confirm_ttl),
            kill_switch: KillSwitch::new(&config.kill_switch_path),
            journal,
            redactor,
            backpack_caps,
            ibkr_caps,
            backpack: Slot::default(),
            ibkr: Slot::default(),
            config,
        }))
    }

    /// The caps of a venue.
    pub fn caps(&self, venue: Venue) -> &CapGuard {
        match venue {
            Venue::Backpack => &self.backpack_caps,
            Venue::Ibkr => &self.ibkr_caps,
        }
    }

    /// Backpack, connected on first use.
    ///
    /// # Errors
    /// Why it cannot be used now (the next call tries again).
    pub async fn backpack(&self) -> Result<Arc<BackpackVenue>, String> {
        let mode = self.config.backpack.mode;
        let (speed, seed) = (self.config.simulator_speed, self.config.simulator_seed);
        self.backpack
            .get(|| {
                let connection = self.config.backpack_client.clone();
                BackpackVenue::start(mode, connection, speed, seed)
            })
            .await
            .map_err(|e| self.redactor.text(&e))
    }

    /// IBKR, connected on first use.
    ///
    /// # Errors
    /// Why it cannot be used now (the next call tries again).
    pub async fn ibkr(&self) -> Result<Arc<IbkrVenue>, String> {
        let mode = self.config.ibkr.mode;
        let trading = self.config.ibkr.tiers.trading;
        self.ibkr
            .get(|| IbkrVenue::start(mode, self.config.ibkr_gateway.clone(), trading))
            .await
            .map_err(|e| self.redactor.text(&e))
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
