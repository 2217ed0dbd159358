//! The journal: an append-only SQLite table (WAL mode) shared by every server process that
//! points at the same file. An order's intent is recorded before it is sent, its result
//! after, and every refusal with its reason.
//!
//! The caps are checked against this table, not against memory: the kill-switch check, the
//! cap check and the intent's insert run in one `BEGIN IMMEDIATE` transaction, so two
//! processes sharing a journal cannot both spend the last of a daily cap.
//!
//! It fails closed: when the file cannot be opened, read or written, [`Journal::reserve`]
//! refuses and nothing is sent. The folder is private (0700) and the file 0600; a folder
//! that others can write to is refused.

mod legacy;
mod store;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use trading_core::clock::{Clock, SharedClock};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rusqlite::{Connection, TransactionBehavior};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::{Caps, Mode, Venue};
use crate::error::{ErrorCode, ToolError};
use crate::safety::caps::{self, Valued};

/// A preview's confirmation token handed from one process to another through the journal
/// database (private to the user, like the journal).
#[derive(Debug, Clone, PartialEq)]
pub struct HandedToken {
    /// The token.
    pub token: String,
    /// Its venue.
    pub venue: Venue,
    /// The order it confirms (canonical JSON).
    pub order: serde_json::Value,
    /// When it expires.
    pub expires: DateTime<Utc>,
}

/// Which part of a write a row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// About to send.
    Intent,
    /// What happened.
    Result,
    /// Refused by the server: nothing was sent.
    Refusal,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Intent => "intent",
            Phase::Result => "result",
            Phase::Refusal => "refusal",
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteOutcome {
    /// The venue accepted it.
    Accepted,
    /// The venue refused it: nothing changed.
    Rejected,
    /// It may have reached the venue: check before retrying.
    Unknown,
    /// It was never sent (refused by the server or the SDK first).
    NotSent,
}

impl WriteOutcome {
    fn as_str(self) -> &'static str {
        match self {
            WriteOutcome::Accepted => "accepted",
            WriteOutcome::Rejected => "rejected",
            WriteOutcome::Unknown => "unknown",
            WriteOutcome::NotSent => "not_sent",
        }
    }
}

/// One journal row, as `trading-mcp journal` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the journal.
    pub seq: i64,
    /// When.
    pub ts: DateTime<Utc>,
    /// Correlation id shared by an intent and its result.
    pub id: String,
    /// Intent, result or refusal.
    pub phase: Phase,
    /// Venue.
    pub venue: Venue,
    /// Simulated, paper or live.
    pub mode: Mode,
    /// The tool.
    pub tool: String,
    /// The MCP session that asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The symbol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// What was asked (an order, a cancel), secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    /// The most the order can execute for, in the cap currency (a string: money is never a
    /// float).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<String>,
    /// The cap currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Results: what happened; refusals: `not_sent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<WriteOutcome>,
    /// Results: venue ids or the error; refusals: the reason; intents: how the exposure
    /// was computed. Secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Results of accepted orders: what had executed when the venue answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<Fill>,
}

/// What an accepted order had executed when the venue answered (decimals as strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// The venue's status: `Filled`, `New`, `PartiallyFilled`, `Submitted`...
    pub status: String,
    /// The quantity executed.
    pub filled: String,
    /// The average execution price, when anything executed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_price: Option<String>,
}

/// A simulator a server started: what a replay needs to build the same market again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorStart {
    /// When it started (journal clock).
    pub ts: DateTime<Utc>,
    /// The venue it simulates.
    pub venue: Venue,
    /// The seed of its price walk.
    pub seed: u64,
    /// Simulated milliseconds per real one.
    pub speed: u64,
    /// Its clock's time at the start, milliseconds since the epoch.
    pub start_ms: u64,
}

/// Who asked for what: what every row of one write (intent, result, refusal) shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The correlation id its rows share with the call's log lines.
    pub id: String,
    /// The venue.
    pub venue: Venue,
    /// Its mode.
    pub mode: Mode,
    /// The tool.
    pub tool: &'static str,
    /// The MCP session.
    pub session: String,
    /// The symbol (allow-list); empty when unknown.
    pub symbol: String,
    /// What is asked, secrets redacted.
    pub request: serde_json::Value,
}

/// A write about to be sent.
#[derive(Debug, Clone)]
pub struct Intent {
    /// Who asked for what.
    pub attempt: Attempt,
    /// Orders: what the order can execute for (checked against the caps). Cancels: `None`.
    pub exposure: Option<Valued>,
}

/// A refusal, before or inside the reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Who asked for what.
    pub attempt: Attempt,
    /// Why, secrets redacted.
    pub reason: String,
}

/// Which rows `trading-mcp journal` prints.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Rows at or after.
    pub since: Option<DateTime<Utc>>,
    /// One venue.
    pub venue: Option<Venue>,
    /// Rows with this outcome (results and refusals).
    pub outcome: Option<WriteOutcome>,
}

/// The journal.
#[derive(Debug)]
pub struct Journal {
    path: Option<PathBuf>,
    connection: Mutex<Option<Connection>>,
    clock: SharedClock,
}

/// `clock`'s time as a UTC date and time (the epoch for a clock that cannot say).
pub fn utc(clock: &impl Clock) -> DateTime<Utc> {
    i64::try_from(clock.now_ms())
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_default()
}

/// A new correlation id: time and randomness, sortable by time (`w20261206224051478-6b8cf718a675`).
///
/// The tail is 48 bits of a mix of this process's random key and a counter (one `getrandom`
/// per process, not per id: ids are made on every call), unrelated across processes. Within
/// a process two ids coincide only if the mixes of two counters collide in 48 bits within
/// the same millisecond; the journal's `UNIQUE (id, phase)` would refuse the second write.
pub fn correlation_id() -> String {
    use chrono::{Datelike, Timelike};
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static KEY: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let key = *KEY.get_or_init(|| {
        let mut bytes = [0u8; 8];
        let _ = getrandom::fill(&mut bytes);
        // Were the system's randomness unavailable, the time and the process still differ.
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        u64::from_le_bytes(bytes) ^ nanos.cast_unsigned() ^ (u64::from(std::process::id()) << 32)
    });
    let mut z = key.wrapping_add(
        COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let now = Utc::now();
    format!(
        "w{:04}{:02}{:02}{:02}{:02}{:02}{:03}-{:012x}",
        now.year(),
        now.month(),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.timestamp_subsec_millis().min(999),
        z & 0xFFFF_FFFF_FFFF
    )
}

/// Why there is no journal file to use.
const NO_PATH: &str = "no journal file is configured (neither HOME nor XDG_STATE_HOME is set); set TRADING_MCP_JOURNAL and TRADING_MCP_KILL_SWITCH to files in a private folder";

impl Journal {
    /// The journal at `path` (`None`: no state folder could be found). Opening is tried
    /// now and again on every use until it works, so the server starts even when the file
    /// cannot be used; trading then refuses with the reason.
    pub fn new(path: Option<PathBuf>) -> Self {
        Self::with_clock(path, SharedClock::system())
    }

    /// Like [`new`](Self::new), stamping rows with `clock`'s time.
    pub fn with_clock(path: Option<PathBuf>, clock: SharedClock) -> Self {
        let journal = Self {
            path,
            connection: Mutex::new(None),
            clock,
        };
        if let Err(error) = journal.with(|_| Ok(())) {
            tracing::error!(%error, "the journal cannot be used: trading tools will refuse");
        }
        journal
    }

    /// The file, when one is configured.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The file, for messages.
    pub fn describe(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "(none)".into(), |p| p.display().to_string())
    }

    /// Whether the journal can be used now, or why not.
    ///
    /// # Errors
    /// Why it cannot.
    pub fn health(&self) -> Result<(), String> {
        self.with(|_| Ok(()))
    }

    /// Runs `f` on the connection, opening it if needed; a failed statement drops the
    /// connection so the next call opens it again.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, store::Failure>,
    ) -> Result<T, String> {
        let Some(path) = &self.path else {
            return Err(NO_PATH.into());
        };
        let mut slot = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            let connection = store::open(path)
                .map_err(|e| format!("the journal {} cannot be opened: {e}", path.display()))?;
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            return Err("the journal is not open".into());
        };
        match f(connection) {
            Ok(value) => Ok(value),
            Err(store::Failure::Database(error)) => {
                *slot = None;
                Err(format!(
                    "the journal {} cannot be used: {error}",
                    path.display()
                ))
            }
        }
    }

    /// Checks `gate` (the kill switch) and the caps and records the intent, as one
    /// transaction across processes. Returns the correlation id.
    ///
    /// # Errors
    /// The reason the write must not be sent (a cap, the kill switch, the journal itself).
    /// Refusals by a gate or a cap are journaled.
    pub fn reserve(
        &self,
        intent: &Intent,
        caps: &Caps,
        gate: impl FnOnce() -> Result<(), ToolError>,
        now: DateTime<Utc>,
    ) -> Result<String, ToolError> {
        let id = intent.attempt.id.clone();
        let reserved = self.with(|connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let attempt = &intent.attempt;
            let refusal = match gate() {
                Err(refused) => Some(refused),
                Ok(()) => {
                    // Cancels (no exposure) meet only the allow-list.
                    let used = match &intent.exposure {
                        Some(_) => store::used(&tx, attempt.venue, attempt.mode, now)?,
                        None => Decimal::ZERO,
                    };
                    caps::check(caps, &attempt.symbol, intent.exposure.as_ref(), used).err()
                }
            };
            if let Some(refused) = refusal {
                let refusal = Refusal {
                    attempt: attempt.clone(),
                    reason: refused.message.clone(),
                };
                store::insert(&tx, &store::Row::refusal(&id, now, &refusal))?;
                tx.commit()?;
                return Ok(Err(refused));
            }
            store::insert(&tx, &store::Row::intent(&id, now, intent))?;
            tx.commit()?;
            Ok(Ok(id.clone()))
        });
        match reserved {
            Ok(decided) => decided,
            Err(error) => Err(ToolError::new(
                ErrorCode::JournalUnavailable,
                format!("refused: {error}. Nothing was sent"),
            )),
        }
    }

    /// Keeps a preview's confirmation token for another process of the same user (the
    /// `trading` CLI previews in one process and places in the next). Expired tokens are
    /// dropped on the way.
    ///
    /// # Errors
    /// When the journal cannot be written.
    pub fn hand_over_token(&self, token: &HandedToken, now: DateTime<Utc>) -> Result<(), String> {
        self.with(|connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM handed_tokens WHERE expires_ms <= ?1",
                rusqlite::params![now.timestamp_millis()],
            )?;
            tx.execute(
                "INSERT INTO handed_tokens (token, venue, request, expires_ms) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![
                    token.token,
                    token.venue.as_str(),
                    token.order.to_string(),
                    token.expires.timestamp_millis()
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Takes a token kept by [`hand_over_token`](Self::hand_over_token): once, by one process,
    /// before it expires. `None` when there is no such token (never kept, taken, expired).
    ///
    /// # Errors
    /// When the journal cannot be used, or the kept order is unreadable.
    pub fn take_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HandedToken>, String> {
        self.with(|connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let row = tx
                .query_row(
                    "DELETE FROM handed_tokens WHERE token = ?1 RETURNING venue, request, expires_ms",
                    rusqlite::params![token],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?)),
                )
                .map(Some)
                .or_else(|error| match error {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    other => Err(other),
                })?;
            tx.commit()?;
            let Some((venue, request, expires_ms)) = row else {
                return Ok(None);
            };
            let unreadable = |what: &str| store::Failure::Database(format!("a kept token's {what} is unreadable"));
            let venue = store::parse_venue(&venue).ok_or_else(|| unreadable("venue"))?;
            let order = serde_json::from_str(&request).map_err(|_| unreadable("order"))?;
            let expires = DateTime::from_timestamp_millis(expires_ms).ok_or_else(|| unreadable("expiry"))?;
            if expires <= now {
                return Ok(None);
            }
            Ok(Some(HandedToken {
                token: token.to_owned(),
                venue,
                order,
                expires,
            }))
        })
    }

    /// Records what happened to a reserved write.
    ///
    /// # Errors
    /// When the row cannot be written (the intent stays, and counts against the caps).
    pub fn finish(
        &self,
        id: &str,
        attempt: &Attempt,
        outcome: WriteOutcome,
        detail: &str,
        fill: Option<&Fill>,
    ) -> Result<(), String> {
        let row = store::Row::result(id, utc(&self.clock), attempt, outcome, detail, fill);
        self.with(|connection| store::insert(connection, &row).map_err(Into::into))
    }

    /// Records a refusal made before any reservation (token, confirmation, switches).
    ///
    /// # Errors
    /// When the row cannot be written.
    pub fn refuse(&self, refusal: &Refusal) -> Result<(), String> {
        let row = store::Row::refusal(&refusal.attempt.id, utc(&self.clock), refusal);
        self.with(|connection| store::insert(connection, &row).map_err(Into::into))
    }

    /// What the orders of `venue` in `mode` that were (or may have been) sent in the 24
    /// hours before `now` can execute for, in the cap currency.
    ///
    /// # Errors
    /// When the journal cannot be read.
    pub fn used(&self, venue: Venue, mode: Mode, now: DateTime<Utc>) -> Result<Decimal, String> {
        self.with(|connection| store::used(connection, venue, mode, now))
    }

    /// Records that a simulator started, so a replay can build the same market.
    ///
    /// # Errors
    /// When the journal cannot be written.
    pub fn note_simulator(&self, start: &SimulatorStart) -> Result<(), String> {
        self.with(|connection| store::insert_simulator(connection, start).map_err(Into::into))
    }

    /// Every simulator start recorded, oldest first.
    ///
    /// # Errors
    /// When the journal cannot be read.
    pub fn simulators(&self) -> Result<Vec<SimulatorStart>, String> {
        self.with(|connection| store::simulators(connection))
    }

    /// The rows that match `filter`, oldest first.
    ///
    /// # Errors
    /// When the journal cannot be read.
    pub fn entries(&self, filter: &Filter) -> Result<Vec<Entry>, String> {
        self.with(|connection| store::entries(connection, filter))
    }
}

/// The start of the rolling daily window.
fn window_start(now: DateTime<Utc>) -> i64 {
    (now - ChronoDuration::hours(24)).timestamp_millis()
}

#[cfg(test)]
mod tests;
