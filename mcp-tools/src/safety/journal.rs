//! The append-only JSONL journal: every write intent is recorded (and flushed to disk)
//! before it is sent, and its result after, under one correlation id. On start the journal is
//! read back so the rolling daily cap survives a restart.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::{Mode, Venue};

/// Which half of a write a line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// About to send.
    Intent,
    /// What happened.
    Result,
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

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When.
    pub ts: DateTime<Utc>,
    /// Correlation id shared by an intent and its result.
    pub id: String,
    /// Venue.
    pub venue: Venue,
    /// Simulated, paper or live.
    pub mode: Mode,
    /// The tool.
    pub tool: String,
    /// Intent or result.
    pub phase: Phase,
    /// What was asked (an order, a cancel), secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    /// Value of the order, in the quote currency, when it has one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "decimal_text"
    )]
    pub notional: Option<Decimal>,
    /// Results: what happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<WriteOutcome>,
    /// Results: order ids or the error, secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An optional decimal written as a string (money is never a float, not even in the journal).
mod decimal_text {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.collect_str(&value.normalize()),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        text.map(|t| t.parse::<Decimal>().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The journal file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

/// A new correlation id: time and randomness, sortable by time.
pub fn correlation_id() -> String {
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    format!(
        "w{}-{:08x}",
        Utc::now().format("%Y%m%d%H%M%S%3f"),
        u32::from_le_bytes(random)
    )
}

impl Journal {
    /// Opens (creating it and its folder if needed) the journal at `path` for appending.
    ///
    /// # Errors
    /// When the file cannot be created or opened.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and flushes it to disk.
    ///
    /// # Errors
    /// When the line cannot be written; a write tool then refuses to send.
    pub fn append(&self, entry: &Entry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(&line)?;
        file.sync_data()
    }

    /// Orders of `venue` in `mode` that were accepted or may have been, in the 24 hours
    /// before `now`: `(time, notional)`. An intent without a result (the process stopped in
    /// between) counts as sent. Unreadable lines are skipped.
    ///
    /// # Errors
    /// When the file exists but cannot be read.
    pub fn recent_orders(
        &self,
        venue: Venue,
        mode: Mode,
        now: DateTime<Utc>,
    ) -> std::io::Result<Vec<(DateTime<Utc>, Decimal)>> {
        let file = File::open(&self.path)?;
        let since = now - ChronoDuration::hours(24);
        let mut intents: Vec<Entry> = Vec::new();
        let mut finished: std::collections::HashMap<String, WriteOutcome> =
            std::collections::HashMap::new();
        for line in BufReader::new(file).lines() {
            let Ok(entry) = serde_json::from_str::<Entry>(&line?) else {
                continue;
            };
            if entry.venue != venue || entry.mode != mode || entry.ts < since {
                continue;
            }
            match entry.phase {
                Phase::Intent if entry.notional.is_some() => intents.push(entry),
                Phase::Intent => {}
                Phase::Result => {
                    if let Some(outcome) = entry.outcome {
                        finished.insert(entry.id, outcome);
                    }
                }
            }
        }
        Ok(intents
            .into_iter()
            .filter(|intent| {
                !matches!(
                    finished.get(&intent.id),
                    Some(WriteOutcome::Rejected | WriteOutcome::NotSent)
                )
            })
            .filter_map(|intent| intent.notional.map(|n| (intent.ts, n)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn entry(
        id: &str,
        phase: Phase,
        notional: Option<i64>,
        outcome: Option<WriteOutcome>,
        ago_hours: i64,
    ) -> Entry {
        Entry {
            ts: Utc::now() - ChronoDuration::hours(ago_hours),
            id: id.into(),
            venue: Venue::Backpack,
            mode: Mode::Simulated,
            tool: "backpack_create_order".into(),
            phase,
            request: None,
            notional: notional.map(Decimal::from),
            outcome,
            detail: None,
        }
    }

    #[test]
    fn the_daily_window_is_read_back_from_the_file() {
        let dir = std::env::temp_dir().join(format!("journal-test-{}", correlation_id()));
        let path = dir.join("journal.jsonl");
        let journal = Journal::open(&path).unwrap();
        for line in [
            entry("a", Phase::Intent, Some(100), None, 1),
            entry("a", Phase::Result, None, Some(WriteOutcome::Accepted), 1),
            entry("b", Phase::Intent, Some(50), None, 2),
            entry("b", Phase::Result, None, Some(WriteOutcome::Rejected), 2),
            entry("c", Phase::Intent, Some(25), None, 3),
            entry("c", Phase::Result, None, Some(WriteOutcome::Unknown), 3),
            entry("d", Phase::Intent, Some(10), None, 4),
            entry("old", Phase::Intent, Some(1_000), None, 30),
        ] {
            journal.append(&line).unwrap();
        }
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"not json\n")
            .unwrap();
        let reopened = Journal::open(&path).unwrap();
        let recent = reopened
            .recent_orders(Venue::Backpack, Mode::Simulated, Utc::now())
            .unwrap();
        let total: Decimal = recent.iter().map(|(_, n)| *n).sum();
        assert_eq!(
            total,
            Decimal::from(135),
            "accepted 100 + unknown 25 + unfinished 10"
        );
        assert!(
            reopened
                .recent_orders(Venue::Ibkr, Mode::Simulated, Utc::now())
                .unwrap()
                .is_empty()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines().next().unwrap().contains(r#""notional":"100""#),
            "{text}"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn correlation_ids_differ() {
        assert_ne!(correlation_id(), correlation_id());
    }
}
