//! `trading journal replay` and `trading journal report`.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use super::session;
use super::{Failure, Global, JournalCommand};
use crate::config::Venue;
use crate::error::{ErrorCode, ToolError};
use crate::replay::{self, Options};
use crate::safety::journal::{Filter, Journal};
use crate::serve;

/// The journal at `path`, or the configuration's; a file that does not exist is an error
/// (opening would create an empty one).
fn open(global: &Global, path: Option<&Path>) -> Result<Journal, Failure> {
    let path: Option<PathBuf> = match path {
        Some(path) => Some(path.to_owned()),
        None => session::config(global)?.journal_path,
    };
    match path {
        Some(path) if path.is_file() => Ok(Journal::new(Some(path))),
        Some(path) => Err(Failure::usage(format!(
            "there is no journal at {}",
            path.display()
        ))),
        None => Err(Failure::usage(
            "no journal is configured: name one (trading journal replay PATH)",
        )),
    }
}

fn unreadable(error: String) -> Failure {
    Failure::from(ToolError::new(ErrorCode::JournalUnavailable, error))
}

/// Runs `action`: the exit code (a replay that differs is 1, like `diff`).
pub(super) async fn run(global: &Global, action: &JournalCommand) -> Result<u8, Failure> {
    match action {
        JournalCommand::Replay {
            journal,
            tolerance_bps,
        } => {
            let journal = open(global, journal.as_deref())?;
            let options = Options {
                price_tolerance: Decimal::new(i64::from(*tolerance_bps), 4),
            };
            let report = replay::replay(&journal, &options)
                .await
                .map_err(unreadable)?;
            if global.json {
                let json = serde_json::to_string(&report).map_err(|e| {
                    Failure::from(ToolError::new(ErrorCode::Internal, e.to_string()))
                })?;
                serve::print_line(&json);
            } else {
                serve::print_line(report.table().trim_end());
            }
            Ok(if report.all_match { 0 } else { 1 })
        }
        JournalCommand::Report {
            journal,
            out,
            metrics,
        } => {
            let journal = open(global, journal.as_deref())?;
            let entries = journal.entries(&Filter::default()).map_err(unreadable)?;
            let scrape = metrics
                .as_ref()
                .map(|path| {
                    std::fs::read_to_string(path)
                        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
                })
                .transpose()?;
            let config = session::config(global)?;
            let caps = [Venue::Backpack, Venue::Ibkr].map(|v| (v, &config.venue(v).caps));
            let page = replay::report_page(&journal.describe(), &entries, &caps, scrape.as_deref())
                .map_err(Failure::usage)?;
            std::fs::write(out, page)
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?;
            serve::print_line(&format!(
                "wrote {} ({} journal rows)",
                out.display(),
                entries.len()
            ));
            Ok(0)
        }
    }
}
