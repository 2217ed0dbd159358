//! The JSON-lines journal of earlier versions, imported once into the SQLite journal.
//!
//! `journal.jsonl` next to the database is read in one transaction (rows already imported
//! are kept as they are, so two processes starting together import it once), then renamed
//! `journal.jsonl.migrated`. A torn last line — a write cut off by a crash — is dropped
//! with a warning; any other unreadable line stops the import with its line number, and
//! trading refuses until a person looks at it (an order the caps must count may be in it).

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior};
use serde::Deserialize;

use super::store::{self, Row};
use super::{Phase, WriteOutcome};
use crate::config::{Mode, Venue};

/// One line of the old journal.
#[derive(Debug, Deserialize)]
struct Line {
    ts: DateTime<Utc>,
    id: String,
    venue: Venue,
    mode: Mode,
    tool: String,
    phase: Phase,
    #[serde(default)]
    request: Option<serde_json::Value>,
    #[serde(default)]
    notional: Option<String>,
    #[serde(default)]
    outcome: Option<WriteOutcome>,
    #[serde(default)]
    detail: Option<String>,
}

/// Whether the file at `path` holds JSON lines (an old journal) rather than a database.
pub(super) fn is_jsonl(path: &Path) -> bool {
    let mut start = [0u8; 1];
    std::fs::File::open(path)
        .and_then(|mut file| file.read(&mut start))
        .is_ok_and(|read| read == 1 && start[0] == b'{')
}

/// The old journal that belongs with the database at `path`.
pub(super) fn beside(path: &Path) -> PathBuf {
    path.with_extension("jsonl")
}

fn parse(text: &str, source: &Path) -> Result<Vec<Row>, String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len().saturating_sub(1);
    let mut rows = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line: Line = match serde_json::from_str(line) {
            Ok(line) => line,
            // The last line without its newline: a write that was cut off.
            Err(error) if index == last => {
                tracing::warn!(file = %source.display(), %error, "dropping the torn last line of the old journal");
                continue;
            }
            Err(error) => {
                return Err(format!(
                    "line {} of the old journal {} is unreadable ({error}); repair or remove that line, then start again",
                    index + 1,
                    source.display()
                ));
            }
        };
        if line.phase == Phase::Intent
            && let Some(notional) = &line.notional
            && notional.parse::<rust_decimal::Decimal>().is_err()
        {
            return Err(format!(
                "line {} of the old journal {} has an unreadable notional {notional:?}",
                index + 1,
                source.display()
            ));
        }
        rows.push(Row {
            id: line.id,
            phase: line.phase,
            ts: line.ts,
            venue: line.venue,
            mode: line.mode,
            tool: line.tool,
            session: None,
            symbol: None,
            request: line.request.map(|r| r.to_string()),
            exposure: line.notional,
            currency: None,
            outcome: line.outcome,
            detail: line.detail,
            fill: None,
        });
    }
    Ok(rows)
}

/// Imports the old journal next to `path`, if there is one.
pub(super) fn import_beside(connection: &mut Connection, path: &Path) -> Result<(), String> {
    let source = beside(path);
    let text = match std::fs::read(&source) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(format!(
                "the old journal {} cannot be read: {error}",
                source.display()
            ));
        }
    };
    let rows = parse(&text, &source)?;
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    for row in &rows {
        store::insert(&tx, row).map_err(|e| e.to_string())?;
    }
    tx.commit().map_err(|e| e.to_string())?;
    let done = source.with_extension("jsonl.migrated");
    match std::fs::rename(&source, &done) {
        Ok(()) => {
            tracing::info!(from = %source.display(), rows = rows.len(), "imported the old journal");
            Ok(())
        }
        // Another process imported it at the same time.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(format!(
            "imported {} but cannot rename it: {error}",
            source.display()
        )),
    }
}
