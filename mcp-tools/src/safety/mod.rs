//! The rules the server enforces on every write, whatever the conversation says: the
//! kill switch, confirmation tokens, notional caps and the symbol allow-list, the journal,
//! and redaction of secrets.

pub mod caps;
pub mod journal;
pub mod redact;
pub mod tokens;

use std::path::{Path, PathBuf};

/// The kill switch: while its file exists, every write tool refuses.
#[derive(Debug, Clone)]
pub struct KillSwitch {
    path: PathBuf,
}

impl KillSwitch {
    /// A switch engaged by the file at `path`.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether writes are refused now.
    pub fn engaged(&self) -> bool {
        self.path.exists()
    }

    /// The refusal every write tool gives while engaged.
    pub fn refusal(&self) -> String {
        format!(
            "refused: the kill switch is engaged ({} exists); no order was sent. A person must remove that file to allow writes again",
            self.path.display()
        )
    }
}
