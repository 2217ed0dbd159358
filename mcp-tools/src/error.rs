//! Typed tool errors: what kind of failure, and the sentence the model reads.

use rmcp::model::CallToolResponse;

use crate::safety::journal::WriteOutcome;
use crate::tools::failure;

/// What kind of failure a tool met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is wrong; fix it and call again.
    Invalid,
    /// The server's rules refuse it (caps, kill switch, allow-list, token, confirmation,
    /// switches, the journal): nothing was sent.
    Refused,
    /// The venue cannot be reached or used now: nothing was sent.
    Unavailable,
    /// The venue refused the write: nothing changed.
    Rejected,
    /// The write may have reached the venue: look it up before anything else.
    OutcomeUnknown,
}

/// A tool error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    /// The kind.
    pub kind: ErrorKind,
    /// What to tell the model, saying whether anything was sent.
    pub message: String,
}

impl ToolError {
    /// Wrong input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            message: message.into(),
        }
    }

    /// Refused by the server's rules.
    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Refused,
            message: message.into(),
        }
    }

    /// The venue cannot be used now.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Unavailable,
            message: message.into(),
        }
    }

    /// A write that did not complete, by what is known of its effect.
    pub fn from_outcome(outcome: WriteOutcome, message: impl Into<String>) -> Self {
        let kind = match outcome {
            WriteOutcome::Rejected => ErrorKind::Rejected,
            WriteOutcome::Unknown | WriteOutcome::Accepted => ErrorKind::OutcomeUnknown,
            WriteOutcome::NotSent => ErrorKind::Unavailable,
        };
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl From<ToolError> for CallToolResponse {
    fn from(error: ToolError) -> Self {
        failure(error.message)
    }
}
