//! `status`: what the server may do and whether its venues answer, measured now (a dead
//! gateway never looks healthy).

use std::time::Duration;

use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Serialize;

use super::Json;
use crate::config::{ConfirmPolicy, Mode, Tiers, Venue};
use crate::safety::caps::CapUsage;
use crate::server::TradingServer;
use crate::venues::Health;

/// How long `status` waits for a venue that is not connected yet.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// One venue's state.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VenueStatus {
    /// The venue.
    pub venue: Venue,
    /// Simulated, paper or live.
    pub mode: Mode,
    /// Tool groups on.
    pub tiers: Tiers,
    /// Who confirms orders: the person (`ask`) or the preview's token (`token`).
    pub confirm: ConfirmPolicy,
    /// Caps and what is left of them in the last 24 hours (every process sharing the
    /// journal counts).
    pub caps: CapUsage,
    /// A round trip to the venue now.
    pub health: Health,
}

/// The server's state.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Server name and version.
    pub server: String,
    /// Venues with at least one tier on.
    pub venues: Vec<VenueStatus>,
    /// The journal (SQLite, shared by every process that names it).
    pub journal: String,
    /// Why the journal cannot be used, when it cannot: trading refuses until it can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_problem: Option<String>,
    /// The kill-switch file.
    pub kill_switch: String,
    /// Whether the kill switch stops new orders now (cancels always work).
    pub kill_switch_engaged: bool,
    /// `ORDERS_ENABLED`: whether the server sends new orders at all.
    pub orders_enabled: bool,
    /// How long a preview's confirmation token lives.
    pub confirmation_ttl_secs: u64,
    /// Calls since start (full figures: `/metrics`).
    pub activity: crate::observe::Activity,
}

fn unavailable(endpoint: &str, error: String) -> Health {
    Health {
        healthy: false,
        round_trip_ms: None,
        endpoint: endpoint.to_owned(),
        account: None,
        error: Some(error),
    }
}

#[tool_router(router = status_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "Server status: per venue simulated/paper/live, tool tiers, caps left today, journal, kill switch, and a live health check.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn status(&self) -> Json<Status> {
        let state = &self.state;
        let mut venues = Vec::new();
        for venue in [Venue::Backpack, Venue::Ibkr] {
            let config = state.config.venue(venue);
            if !config.tiers.any() {
                continue;
            }
            let health = match venue {
                Venue::Backpack => match tokio::time::timeout(CONNECT_WAIT, state.backpack()).await
                {
                    Ok(Ok(backpack)) => backpack.health().await,
                    Ok(Err(error)) => unavailable("backpack", error.message),
                    Err(_) => unavailable("backpack", "still connecting".into()),
                },
                Venue::Ibkr => match tokio::time::timeout(CONNECT_WAIT, state.ibkr()).await {
                    Ok(Ok(ibkr)) => ibkr.health().await,
                    Ok(Err(error)) => unavailable("ibkr", error.message),
                    Err(_) => unavailable("ibkr", "still connecting".into()),
                },
            };
            let mode = state.config.mode(venue);
            let now = crate::safety::journal::utc(&state.config.clock);
            let used =
                crate::flow::journaled(&state.journal, move |j| j.used(venue, mode, now)).await;
            let caps = match used {
                Ok(used) => crate::safety::caps::usage(&config.caps, used),
                Err(error) => {
                    let mut caps = crate::safety::caps::usage(&config.caps, Default::default());
                    caps.used_last_24h = format!("unknown: {error}");
                    caps.remaining_24h = None;
                    caps
                }
            };
            venues.push(VenueStatus {
                venue,
                mode,
                tiers: config.tiers,
                confirm: config.confirm,
                caps,
                health,
            });
        }
        Json(Status {
            server: format!("trading-mcp {}", env!("CARGO_PKG_VERSION")),
            venues,
            journal: state.journal.describe(),
            journal_problem: crate::flow::journaled(&state.journal, |j| j.health())
                .await
                .err(),
            kill_switch: state.kill_switch.describe(),
            kill_switch_engaged: state.kill_switch.engaged(),
            orders_enabled: state.config.orders_enabled,
            confirmation_ttl_secs: state.tokens.ttl().as_secs(),
            activity: state.metrics.activity(),
        })
    }
}
