//! The crate's error type, grouped by what the caller can do about it.
//!
//! | variant | reached the exchange? | [`Outcome`] |
//! |---|---|---|
//! | [`Error::InvalidOrder`], [`Error::InvalidRequest`], [`Error::Credentials`], [`Error::Connect`] | no | `NotSent` |
//! | [`Error::Api`], [`Error::RateLimited`] | yes, and refused | `Rejected` |
//! | [`Error::Decode`] | yes, and accepted (2xx), but the answer did not parse | `Accepted` |
//! | [`Error::Timeout`], [`Error::Transport`], [`Error::OutcomeUnknown`] | maybe | `Unknown` |
//!
//! An order that fails with `Unknown` must be reconciled (look it up by its client id)
//! before it is sent again: see `Orders::reconcile`.

use std::fmt;
use std::time::Duration;

use crate::api::DecodeError;
use crate::credentials::CredentialsError;
use crate::model::{ApiErrorCode, ClientOrderId};
use crate::spec::InvalidOrder;

/// A boxed error source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What is known about the effect of a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The request never left this process (or never reached the exchange).
    NotSent,
    /// The exchange answered and refused it: nothing changed.
    Rejected,
    /// The exchange answered 2xx: it was processed, only the answer could not be read.
    Accepted,
    /// It may or may not have been processed. For orders: reconcile before re-sending.
    Unknown,
}

/// An error answer from the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Parsed error code; `None` when the body was not the JSON error shape (plain text).
    pub code: Option<ApiErrorCode>,
    /// The message (the JSON `message`, or the plain-text body).
    pub message: String,
}

impl ApiError {
    /// Parses an error body: `{"code","message"}` JSON, else plain text.
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<crate::model::ApiErrorBody>(body) {
            Ok(parsed) => Self {
                status,
                code: Some(parsed.code),
                message: parsed.message,
            },
            Err(_) => Self {
                status,
                code: None,
                message: snippet(body, 512),
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Backpack rejected the request (HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, "): {}", self.message)?;
        if self.message.contains("expired") {
            f.write_str(" (the local clock may be off: call sync_clock() or widen the window)")?;
        }
        Ok(())
    }
}

/// The first `max` bytes of a body as text, for error messages.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max)]);
    let mut text = text.trim().to_owned();
    if body.len() > max {
        text.push('…');
    }
    text
}

/// Every way a call can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The order is invalid; it was not sent.
    #[error(transparent)]
    InvalidOrder(#[from] InvalidOrder),

    /// The request could not be prepared (bad parameter, no credentials for a signed
    /// endpoint, bad configuration); it was not sent.
    #[error("invalid request (not sent): {0}")]
    InvalidRequest(String),

    /// The credentials are unusable; nothing was sent.
    #[error("credentials: {0}")]
    Credentials(#[from] CredentialsError),

    /// The connection could not be opened; the request was not sent.
    #[error("could not connect to the exchange (request not sent): {source}")]
    Connect {
        /// The underlying failure.
        #[source]
        source: BoxError,
    },

    /// The exchange answered with an error.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// HTTP 429: too many requests.
    #[error("rate limited by the exchange (HTTP 429){}: {message}", retry_after.map(|d| format!(", retry after {d:?}")).unwrap_or_default())]
    RateLimited {
        /// How long the exchange asked to wait, if it said.
        retry_after: Option<Duration>,
        /// The exchange's message.
        message: String,
    },

    /// A 2xx answer that does not decode. The request **was** processed.
    #[error(
        "the exchange answered HTTP {status} but the body does not decode {source}; body starts: {body}"
    )]
    Decode {
        /// HTTP status.
        status: u16,
        /// Which field failed and why.
        #[source]
        source: DecodeError,
        /// The start of the body.
        body: String,
    },

    /// No answer in time; the request may have reached the exchange.
    #[error("no answer within {after:?}; the request may have reached the exchange")]
    Timeout {
        /// The timeout that expired.
        after: Duration,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },

    /// The connection broke after the request was sent; it may have reached the exchange.
    #[error(
        "the connection failed after the request was sent; it may have reached the exchange: {source}"
    )]
    Transport {
        /// The underlying failure.
        #[source]
        source: BoxError,
    },

    /// An order or cancel may or may not have taken effect. Do not re-send blindly: look
    /// the order up (by `client_id` for placements) first.
    #[error("outcome unknown for {instruction}{}: {cause}; reconcile before retrying", client_id.map(|id| format!(" (clientId {id})")).unwrap_or_default())]
    OutcomeUnknown {
        /// The instruction sent (`orderExecute`, `orderCancel`, ...).
        instruction: &'static str,
        /// The client id of the order, to reconcile with.
        client_id: Option<ClientOrderId>,
        /// What went wrong.
        #[source]
        cause: Box<Error>,
    },
}

impl Error {
    /// Whether the request reached the exchange, and with what effect.
    pub fn outcome(&self) -> Outcome {
        match self {
            Error::InvalidOrder(_)
            | Error::InvalidRequest(_)
            | Error::Credentials(_)
            | Error::Connect { .. } => Outcome::NotSent,
            Error::Api(_) | Error::RateLimited { .. } => Outcome::Rejected,
            Error::Decode { .. } => Outcome::Accepted,
            Error::Timeout { .. } | Error::Transport { .. } | Error::OutcomeUnknown { .. } => {
                Outcome::Unknown
            }
        }
    }

    /// Whether trying again later may succeed (rate limits, timeouts, connection failures,
    /// 5xx). For writes, only retry after reconciling an [`Outcome::Unknown`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connect { .. }
            | Error::RateLimited { .. }
            | Error::Timeout { .. }
            | Error::Transport { .. } => true,
            Error::Api(api) => api.status >= 500,
            _ => false,
        }
    }

    /// How long the exchange asked to wait, for rate limits.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The exchange's error, if it answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The exchange's error code, if it sent one.
    pub fn api_code(&self) -> Option<&ApiErrorCode> {
        self.api_error().and_then(|api| api.code.as_ref())
    }

    /// Whether the exchange said the thing asked for does not exist (e.g. an order that is
    /// no longer open).
    pub fn is_not_found(&self) -> bool {
        self.api_error().is_some_and(|api| {
            api.status == 404
                || api.code == Some(ApiErrorCode::ResourceNotFound)
                || api.message.to_ascii_lowercase().contains("not found")
        })
    }
}

impl From<crate::model::ParseDecimalError> for Error {
    fn from(error: crate::model::ParseDecimalError) -> Self {
        Error::InvalidRequest(error.to_string())
    }
}

impl From<crate::model::ParseEnumError> for Error {
    fn from(error: crate::model::ParseEnumError) -> Self {
        Error::InvalidRequest(error.to_string())
    }
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Error::Api(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_parse_json_or_keep_plain_text() {
        let json = ApiError::from_body(
            400,
            br#"{"code":"INVALID_ORDER","message":"Invalid order"}"#,
        );
        assert_eq!(json.code, Some(ApiErrorCode::InvalidOrder));
        assert_eq!(
            json.to_string(),
            "Backpack rejected the request (HTTP 400 INVALID_ORDER): Invalid order"
        );
        let unknown = ApiError::from_body(400, br#"{"code":"NEW_THING","message":"x"}"#);
        assert_eq!(
            unknown.code,
            Some(ApiErrorCode::Unknown("NEW_THING".into()))
        );
        let text = ApiError::from_body(
            400,
            b"failed to parse parameter `limit`: failed to parse \"DepthLimit\"",
        );
        assert_eq!(text.code, None);
        assert!(text.message.starts_with("failed to parse parameter"));
    }

    #[test]
    fn outcomes() {
        let api: Error = ApiError::from_body(404, b"not found").into();
        assert_eq!(api.outcome(), Outcome::Rejected);
        assert!(api.is_not_found());
        assert!(!api.is_retryable());
        let server: Error = ApiError::from_body(503, b"").into();
        assert!(server.is_retryable());
        let unknown = Error::OutcomeUnknown {
            instruction: "orderExecute",
            client_id: Some(ClientOrderId(7)),
            cause: Box::new(server),
        };
        assert_eq!(unknown.outcome(), Outcome::Unknown);
        assert!(unknown.to_string().contains("clientId 7"));
    }

    #[test]
    fn expired_signature_hints_at_the_clock() {
        let error = ApiError::from_body(
            401,
            br#"{"code":"INVALID_CLIENT_REQUEST","message":"Request has expired"}"#,
        );
        assert!(error.to_string().contains("sync_clock"));
    }
}
