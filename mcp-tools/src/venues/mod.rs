//! The venues behind the tools: a real exchange or gateway, or the built-in simulator
//! (started in-process on 127.0.0.1).
//!
//! A venue connects on first use (a warm-up starts it right after the server does, so
//! `initialize` never waits for it) and reconnects on a later call if connecting failed.

pub mod backpack;
pub mod ibkr;

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Mutex;

/// A venue connected on first use.
#[derive(Debug)]
pub struct Slot<T> {
    venue: Mutex<Option<Arc<T>>>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self {
            venue: Mutex::new(None),
        }
    }
}

impl<T> Slot<T> {
    /// The connected venue, connecting with `start` if it is not yet.
    ///
    /// # Errors
    /// What `start` says (not remembered: the next call tries again).
    pub async fn get<F>(&self, start: impl FnOnce() -> F) -> Result<Arc<T>, String>
    where
        F: Future<Output = Result<T, String>>,
    {
        let mut venue = self.venue.lock().await;
        if let Some(venue) = venue.as_ref() {
            return Ok(Arc::clone(venue));
        }
        let started = Arc::new(start().await?);
        *venue = Some(Arc::clone(&started));
        Ok(started)
    }

    /// The venue if it is connected, without connecting.
    pub async fn current(&self) -> Option<Arc<T>> {
        self.venue.lock().await.clone()
    }
}

/// Whether a venue answers, measured by a round trip now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// Whether the last round trip succeeded.
    pub healthy: bool,
    /// Round trip, milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_trip_ms: Option<u64>,
    /// Where it is (a URL or `host:port`).
    pub endpoint: String,
    /// The account, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Why it is not healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
