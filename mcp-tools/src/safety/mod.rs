//! The rules the server enforces on every write, whatever the conversation says: the
//! kill switch, confirmation tokens, notional caps and the symbol allow-list, the journal,
//! and redaction of secrets.

pub mod caps;
pub mod journal;
pub mod redact;
pub mod tokens;

use std::path::{Path, PathBuf};

use crate::error::{ErrorCode, ToolError};

/// The kill switch: while its file exists, no new order is sent. It stops new risk and
/// never stops reducing it: cancels work while it is engaged. Any doubt counts as engaged:
/// a path that cannot be checked (permissions, I/O error) or no path at all.
#[derive(Debug, Clone)]
pub struct KillSwitch {
    path: Option<PathBuf>,
}

impl KillSwitch {
    /// A switch engaged by the file at `path` (`None`: always engaged).
    pub fn new(path: Option<&Path>) -> Self {
        Self {
            path: path.map(Path::to_owned),
        }
    }

    /// The file, for messages.
    pub fn describe(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "(none)".into(), |p| p.display().to_string())
    }

    /// Whether new orders may be sent now.
    ///
    /// # Errors
    /// The refusal, when the switch is engaged or cannot be read.
    pub fn check(&self) -> Result<(), ToolError> {
        self.reason()
            .map_err(|reason| ToolError::new(ErrorCode::KillSwitch, reason))
    }

    fn reason(&self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Err("refused: no kill-switch file is configured (neither HOME nor XDG_STATE_HOME is set); set TRADING_MCP_KILL_SWITCH and TRADING_MCP_JOURNAL. Nothing was sent".into());
        };
        match std::fs::symlink_metadata(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Ok(_) => Err(format!(
                "refused: the kill switch is engaged ({} exists); no order was sent. Cancels still work. A person must remove that file to allow orders again",
                path.display()
            )),
            Err(error) => Err(format!(
                "refused: the kill switch {} cannot be checked ({error}), so it counts as engaged; no order was sent",
                path.display()
            )),
        }
    }

    /// Whether the switch stops new orders now.
    pub fn engaged(&self) -> bool {
        self.check().is_err()
    }
}
