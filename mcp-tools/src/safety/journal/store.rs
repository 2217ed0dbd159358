//! The SQLite side of the journal: opening the file safely, the schema, rows in and out.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, params};
use rust_decimal::Decimal;

use super::{
    Attempt, Entry, Fill, Filter, Intent, Phase, Refusal, SimulatorStart, WriteOutcome, legacy,
    window_start,
};
use crate::config::{Mode, Venue};

/// Why a journal operation did not complete.
#[derive(Debug)]
pub(super) enum Failure {
    /// The database failed; the connection is reopened on the next call.
    Database(String),
}

impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Self {
        Failure::Database(error.to_string())
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL,
    phase    TEXT NOT NULL CHECK (phase IN ('intent', 'result', 'refusal')),
    ts_ms    INTEGER NOT NULL,
    venue    TEXT NOT NULL,
    mode     TEXT NOT NULL,
    tool     TEXT NOT NULL,
    session  TEXT,
    symbol   TEXT,
    request  TEXT,
    exposure TEXT,
    currency TEXT,
    outcome  TEXT,
    detail   TEXT,
    UNIQUE (id, phase)
);
CREATE INDEX IF NOT EXISTS entries_window ON entries (venue, mode, phase, ts_ms);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TABLE IF NOT EXISTS simulators (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms    INTEGER NOT NULL,
    venue    TEXT NOT NULL,
    seed     TEXT NOT NULL,
    speed    INTEGER NOT NULL,
    start_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS handed_tokens (
    token      TEXT PRIMARY KEY,
    venue      TEXT NOT NULL,
    request    TEXT NOT NULL,
    expires_ms INTEGER NOT NULL
);
";

/// Creates the folder private (0700) and refuses one that others can write to.
fn private_folder(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
        }
        let mode = std::fs::metadata(dir)
            .map_err(|e| format!("cannot read the folder {}: {e}", dir.display()))?
            .permissions()
            .mode();
        if mode & 0o022 != 0 {
            return Err(format!(
                "the folder {} can be written by other users (mode {:o}); use a private folder (chmod 700)",
                dir.display(),
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
    Ok(())
}

/// Creates the file 0600 before SQLite opens it (SQLite gives its WAL files the same mode).
fn private_file(path: &Path) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// Opens the journal (creating it), sets WAL mode and imports a JSONL journal left by an
/// earlier version.
pub(super) fn open(path: &Path) -> Result<Connection, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_folder(dir)?;
    }
    if legacy::is_jsonl(path) {
        return Err(format!(
            "{} is a JSON-lines journal of an earlier version; point TRADING_MCP_JOURNAL at a new file (for example journal.db next to it) and it is imported there",
            path.display()
        ));
    }
    private_file(path)?;
    let mut connection = Connection::open(path).map_err(|e| e.to_string())?;
    connection
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    connection
        .pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| e.to_string())?;
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(|e| e.to_string())?;
    connection
        .execute_batch(SCHEMA)
        .map_err(|e| e.to_string())?;
    add_fill_column(&connection).map_err(|e| e.to_string())?;
    legacy::import_beside(&mut connection, path)?;
    Ok(connection)
}

/// Journals written before fills were recorded get the column (empty for their rows).
fn add_fill_column(connection: &Connection) -> Result<(), rusqlite::Error> {
    let has_fill = connection
        .prepare("SELECT 1 FROM pragma_table_info('entries') WHERE name = 'fill'")?
        .exists([])?;
    if !has_fill {
        connection.execute_batch("ALTER TABLE entries ADD COLUMN fill TEXT")?;
    }
    Ok(())
}

/// Records that a simulator started.
pub(super) fn insert_simulator(
    connection: &Connection,
    start: &SimulatorStart,
) -> Result<(), rusqlite::Error> {
    connection.execute(
        "INSERT INTO simulators (ts_ms, venue, seed, speed, start_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            start.ts.timestamp_millis(),
            start.venue.as_str(),
            start.seed.to_string(),
            i64::try_from(start.speed).unwrap_or(i64::MAX),
            i64::try_from(start.start_ms).unwrap_or(i64::MAX),
        ],
    )?;
    Ok(())
}

/// Every simulator start, oldest first.
pub(super) fn simulators(connection: &Connection) -> Result<Vec<SimulatorStart>, Failure> {
    let mut statement = connection
        .prepare("SELECT seq, ts_ms, venue, seed, speed, start_ms FROM simulators ORDER BY seq")?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, i64>(4)?,
            row.get::<_, i64>(5)?,
        ))
    })?;
    let mut starts = Vec::new();
    for row in rows {
        let (seq, ts, venue, seed, speed, start_ms) = row?;
        let bad =
            |what: &str| Failure::Database(format!("simulator row {seq} has an unreadable {what}"));
        starts.push(SimulatorStart {
            ts: Utc
                .timestamp_millis_opt(ts)
                .single()
                .ok_or_else(|| bad("time"))?,
            venue: parse_venue(&venue).ok_or_else(|| bad("venue"))?,
            seed: seed.parse().map_err(|_| bad("seed"))?,
            speed: u64::try_from(speed).map_err(|_| bad("speed"))?,
            start_ms: u64::try_from(start_ms).map_err(|_| bad("start"))?,
        });
    }
    Ok(starts)
}

/// One row to insert.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub id: String,
    pub phase: Phase,
    pub ts: DateTime<Utc>,
    pub venue: Venue,
    pub mode: Mode,
    pub tool: String,
    pub session: Option<String>,
    pub symbol: Option<String>,
    pub request: Option<String>,
    pub exposure: Option<String>,
    pub currency: Option<String>,
    pub outcome: Option<WriteOutcome>,
    pub detail: Option<String>,
    pub fill: Option<String>,
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

impl Row {
    /// A row of `attempt` with nothing but who asked.
    fn of(id: &str, phase: Phase, ts: DateTime<Utc>, attempt: &Attempt) -> Self {
        Self {
            id: id.to_owned(),
            phase,
            ts,
            venue: attempt.venue,
            mode: attempt.mode,
            tool: attempt.tool.to_owned(),
            session: non_empty(&attempt.session),
            symbol: non_empty(&attempt.symbol),
            request: None,
            exposure: None,
            currency: None,
            outcome: None,
            detail: None,
            fill: None,
        }
    }

    pub(super) fn intent(id: &str, ts: DateTime<Utc>, intent: &Intent) -> Self {
        let exposure = intent.exposure.as_ref();
        Self {
            request: Some(intent.attempt.request.to_string()),
            exposure: exposure
                .and_then(|v| v.value)
                .map(|v| v.normalize().to_string()),
            currency: exposure.map(|v| v.currency.clone()),
            detail: exposure.map(|v| v.basis.clone()),
            ..Self::of(id, Phase::Intent, ts, &intent.attempt)
        }
    }

    pub(super) fn result(
        id: &str,
        ts: DateTime<Utc>,
        attempt: &Attempt,
        outcome: WriteOutcome,
        detail: &str,
        fill: Option<&Fill>,
    ) -> Self {
        Self {
            outcome: Some(outcome),
            detail: non_empty(detail),
            fill: fill.and_then(|f| serde_json::to_string(f).ok()),
            ..Self::of(id, Phase::Result, ts, attempt)
        }
    }

    pub(super) fn refusal(id: &str, ts: DateTime<Utc>, refusal: &Refusal) -> Self {
        Self {
            request: Some(refusal.attempt.request.to_string()),
            outcome: Some(WriteOutcome::NotSent),
            detail: Some(refusal.reason.clone()),
            ..Self::of(id, Phase::Refusal, ts, &refusal.attempt)
        }
    }
}

/// Inserts `row`; a row that is already there (same id and phase) is kept as it was.
pub(super) fn insert(connection: &Connection, row: &Row) -> Result<(), rusqlite::Error> {
    connection.execute(
        "INSERT OR IGNORE INTO entries
            (id, phase, ts_ms, venue, mode, tool, session, symbol, request, exposure, currency, outcome, detail, fill)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            row.id,
            row.phase.as_str(),
            row.ts.timestamp_millis(),
            row.venue.as_str(),
            row.mode.as_str(),
            row.tool,
            row.session,
            row.symbol,
            row.request,
            row.exposure,
            row.currency,
            row.outcome.map(WriteOutcome::as_str),
            row.detail,
            row.fill,
        ],
    )?;
    Ok(())
}

pub(super) fn outcome(text: &str) -> Option<WriteOutcome> {
    match text {
        "accepted" => Some(WriteOutcome::Accepted),
        "rejected" => Some(WriteOutcome::Rejected),
        "unknown" => Some(WriteOutcome::Unknown),
        "not_sent" => Some(WriteOutcome::NotSent),
        _ => None,
    }
}

/// The sum of the exposures of the orders in the daily window that were accepted, may have
/// been, or have no result yet (a process that stopped in between). An unreadable value
/// fails the check rather than counting as zero.
pub(super) fn used(
    connection: &Connection,
    venue: Venue,
    mode: Mode,
    now: DateTime<Utc>,
) -> Result<Decimal, Failure> {
    let mut statement = connection.prepare_cached(
        "SELECT i.exposure FROM entries i
         LEFT JOIN entries r ON r.id = i.id AND r.phase = 'result'
         WHERE i.phase = 'intent' AND i.venue = ?1 AND i.mode = ?2 AND i.ts_ms >= ?3
           AND i.exposure IS NOT NULL
           AND (r.outcome IS NULL OR r.outcome NOT IN ('rejected', 'not_sent'))",
    )?;
    let values = statement.query_map(
        params![venue.as_str(), mode.as_str(), window_start(now)],
        |row| row.get::<_, String>(0),
    )?;
    let mut total = Decimal::ZERO;
    for value in values {
        let text = value?;
        let amount = Decimal::from_str(&text).map_err(|_| {
            Failure::Database(format!(
                "an exposure in the journal is unreadable: {text:?}"
            ))
        })?;
        total = total
            .checked_add(amount)
            .ok_or_else(|| Failure::Database("the daily total overflows".into()))?;
    }
    Ok(total)
}

pub(super) fn parse_venue(text: &str) -> Option<Venue> {
    match text {
        "backpack" => Some(Venue::Backpack),
        "ibkr" => Some(Venue::Ibkr),
        _ => None,
    }
}

fn parse_mode(text: &str) -> Option<Mode> {
    match text {
        "simulated" => Some(Mode::Simulated),
        "paper" => Some(Mode::Paper),
        "paper, live prices" => Some(Mode::PaperLivePrices),
        "live" => Some(Mode::Live),
        _ => None,
    }
}

fn parse_phase(text: &str) -> Option<Phase> {
    match text {
        "intent" => Some(Phase::Intent),
        "result" => Some(Phase::Result),
        "refusal" => Some(Phase::Refusal),
        _ => None,
    }
}

fn unreadable(what: &str, seq: i64) -> Failure {
    Failure::Database(format!("row {seq} of the journal has an unreadable {what}"))
}

pub(super) fn entries(connection: &Connection, filter: &Filter) -> Result<Vec<Entry>, Failure> {
    let mut statement = connection.prepare(
        "SELECT seq, id, phase, ts_ms, venue, mode, tool, session, symbol, request, exposure, currency, outcome, detail, fill
         FROM entries
         WHERE ts_ms >= ?1 AND (?2 IS NULL OR venue = ?2) AND (?3 IS NULL OR outcome = ?3)
         ORDER BY seq",
    )?;
    let rows = statement.query_map(
        params![
            filter.since.map_or(i64::MIN, |s| s.timestamp_millis()),
            filter.venue.map(Venue::as_str),
            filter.outcome.map(WriteOutcome::as_str),
        ],
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, Option<String>>(7)?,
                row.get::<_, Option<String>>(8)?,
                row.get::<_, Option<String>>(9)?,
                row.get::<_, Option<String>>(10)?,
                row.get::<_, Option<String>>(11)?,
                row.get::<_, Option<String>>(12)?,
                row.get::<_, Option<String>>(13)?,
                row.get::<_, Option<String>>(14)?,
            ))
        },
    )?;
    let mut entries = Vec::new();
    for row in rows {
        let (
            seq,
            id,
            phase,
            ts,
            venue,
            mode,
            tool,
            session,
            symbol,
            request,
            exposure,
            currency,
            outcome_text,
            detail,
            fill,
        ) = row?;
        entries.push(Entry {
            seq,
            ts: Utc
                .timestamp_millis_opt(ts)
                .single()
                .ok_or_else(|| unreadable("time", seq))?,
            id,
            phase: parse_phase(&phase).ok_or_else(|| unreadable("phase", seq))?,
            venue: parse_venue(&venue).ok_or_else(|| unreadable("venue", seq))?,
            mode: parse_mode(&mode).ok_or_else(|| unreadable("mode", seq))?,
            tool,
            session,
            symbol,
            request: request
                .map(|r| serde_json::from_str(&r))
                .transpose()
                .map_err(|_| unreadable("request", seq))?,
            exposure,
            currency,
            outcome: outcome_text
                .map(|o| outcome(&o).ok_or_else(|| unreadable("outcome", seq)))
                .transpose()?,
            detail,
            fill: fill
                .map(|f| serde_json::from_str(&f))
                .transpose()
                .map_err(|_| unreadable("fill", seq))?,
        });
    }
    Ok(entries)
}
