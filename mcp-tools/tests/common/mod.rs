//! Helpers the integration test binaries share.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::new_without_default
)] // each binary uses a part

pub mod mcp_http;

use std::path::PathBuf;

/// A fresh folder under the system temp dir, removed on drop (unless borrowed).
pub struct TempDir(pub PathBuf, bool);

impl TempDir {
    /// A new folder.
    pub fn new() -> Self {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("trading-mcp-test-{name}"));
        std::fs::create_dir_all(&path).unwrap();
        // Private, as the journal requires, whatever the umask.
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        Self(path, true)
    }

    /// The same folder, not removed when this handle is dropped.
    pub fn borrowed(&self) -> Self {
        Self(self.0.clone(), false)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.1 {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
