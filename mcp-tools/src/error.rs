//! Typed tool errors: a stable code, and the sentence the model reads.
//!
//! Every failed tool call carries its [`ErrorCode`] in the result's `_meta` under
//! [`ERROR_CODE_META`], so every front door (MCP, the REST API, the CLI) reports the same
//! code for the same failure. The codes are part of the public interface: they are never
//! renamed, only added to.

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, MetaObject};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::safety::journal::WriteOutcome;

/// The `_meta` key of a failed tool result that holds its [`ErrorCode`].
pub const ERROR_CODE_META: &str = "trading-toolkit/error_code";

/// Why a call failed, as a stable code (`snake_case` on the wire).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input is wrong (a missing or malformed field, an invalid order); fix it and call
    /// again. Nothing was sent.
    InvalidInput,
    /// The thing asked for does not exist (an order, a contract, a route).
    NotFound,
    /// The tool or endpoint is switched off by the configuration (its tier is off).
    ToolDisabled,
    /// `ORDERS_ENABLED` is not `true`: no order is sent (previews and cancels work).
    OrdersDisabled,
    /// The kill switch is engaged (or cannot be checked): no new order is sent.
    KillSwitch,
    /// The journal cannot be used, so trading is stopped. Nothing was sent.
    JournalUnavailable,
    /// A per-order or 24-hour notional cap refuses the order (or the order cannot be valued
    /// against the caps). Nothing was sent.
    CapExceeded,
    /// The symbol is not in the allowed symbols. Nothing was sent.
    SymbolNotAllowed,
    /// The confirmation token is unknown, already used or voided: preview again.
    TokenUnknown,
    /// The confirmation token expired: preview again.
    TokenExpired,
    /// The order differs from the one the token confirmed, or the token belongs to another
    /// session or venue: send exactly the previewed order, or preview again.
    TokenMismatch,
    /// The venue asks the person before every order and this client cannot be asked.
    ConfirmationRequired,
    /// The person did not confirm (declined, cancelled, or did not answer in time).
    NotConfirmed,
    /// The venue cannot be reached or used now. Nothing was sent.
    VenueUnavailable,
    /// The venue refused the request. Nothing changed.
    VenueRejected,
    /// The venue (or its client) asks to slow down.
    RateLimited,
    /// A write may have reached the venue: look it up before sending anything again.
    OutcomeUnknown,
    /// No or a wrong API key (REST).
    Unauthorized,
    /// The method is not allowed on this route (REST).
    MethodNotAllowed,
    /// The request body is too large (REST).
    PayloadTooLarge,
    /// The body is not JSON, or not declared as JSON (REST).
    UnsupportedMediaType,
    /// The request took longer than the server allows (REST); for a write, look it up.
    Timeout,
    /// The server failed in a way it did not expect.
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order (documentation, OpenAPI).
    pub const ALL: [ErrorCode; 23] = [
        ErrorCode::InvalidInput,
        ErrorCode::NotFound,
        ErrorCode::ToolDisabled,
        ErrorCode::OrdersDisabled,
        ErrorCode::KillSwitch,
        ErrorCode::JournalUnavailable,
        ErrorCode::CapExceeded,
        ErrorCode::SymbolNotAllowed,
        ErrorCode::TokenUnknown,
        ErrorCode::TokenExpired,
        ErrorCode::TokenMismatch,
        ErrorCode::ConfirmationRequired,
        ErrorCode::NotConfirmed,
        ErrorCode::VenueUnavailable,
        ErrorCode::VenueRejected,
        ErrorCode::RateLimited,
        ErrorCode::OutcomeUnknown,
        ErrorCode::Unauthorized,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Timeout,
        ErrorCode::Internal,
    ];

    /// The wire name (`cap_exceeded`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::ToolDisabled => "tool_disabled",
            ErrorCode::OrdersDisabled => "orders_disabled",
            ErrorCode::KillSwitch => "kill_switch",
            ErrorCode::JournalUnavailable => "journal_unavailable",
            ErrorCode::CapExceeded => "cap_exceeded",
            ErrorCode::SymbolNotAllowed => "symbol_not_allowed",
            ErrorCode::TokenUnknown => "token_unknown",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TokenMismatch => "token_mismatch",
            ErrorCode::ConfirmationRequired => "confirmation_required",
            ErrorCode::NotConfirmed => "not_confirmed",
            ErrorCode::VenueUnavailable => "venue_unavailable",
            ErrorCode::VenueRejected => "venue_rejected",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::OutcomeUnknown => "outcome_unknown",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Internal => "internal",
        }
    }

    /// The code named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == name)
    }

    /// What the code means in one line (the variants' docs, shortened), for the
    /// OpenAPI document.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "the input is wrong; nothing was sent",
            ErrorCode::NotFound => "no such order, contract, market or route",
            ErrorCode::ToolDisabled => "switched off by the configuration (tier off)",
            ErrorCode::OrdersDisabled => "ORDERS_ENABLED is false; nothing was sent",
            ErrorCode::KillSwitch => "the kill switch is engaged; nothing was sent",
            ErrorCode::JournalUnavailable => "the journal cannot be used; trading is stopped",
            ErrorCode::CapExceeded => "a notional cap refuses the order; nothing was sent",
            ErrorCode::SymbolNotAllowed => "the symbol is not allowed; nothing was sent",
            ErrorCode::TokenUnknown => "the confirmation token is unknown or used; preview again",
            ErrorCode::TokenExpired => "the confirmation token expired; preview again",
            ErrorCode::TokenMismatch => {
                "the order differs from the previewed one (or another session's token)"
            }
            ErrorCode::ConfirmationRequired => {
                "the person must confirm and this client cannot ask; nothing was sent"
            }
            ErrorCode::NotConfirmed => "the person did not confirm; nothing was sent",
            ErrorCode::VenueUnavailable => "the venue cannot be reached now; nothing was sent",
            ErrorCode::VenueRejected => "the venue refused; nothing changed",
            ErrorCode::RateLimited => "slow down",
            ErrorCode::OutcomeUnknown => "the write may have reached the venue: look it up",
            ErrorCode::Unauthorized => "no or a wrong API key",
            ErrorCode::MethodNotAllowed => "the route does not take this method",
            ErrorCode::PayloadTooLarge => "the body is too large",
            ErrorCode::UnsupportedMediaType => "the body must be application/json",
            ErrorCode::Timeout => "the request took too long; a write may have been sent",
            ErrorCode::Internal => "the server failed unexpectedly",
        }
    }

    /// The HTTP status the REST API answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidInput => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::ToolDisabled
            | ErrorCode::OrdersDisabled
            | ErrorCode::KillSwitch
            | ErrorCode::CapExceeded
            | ErrorCode::SymbolNotAllowed
            | ErrorCode::ConfirmationRequired => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::TokenUnknown
            | ErrorCode::TokenExpired
            | ErrorCode::TokenMismatch
            | ErrorCode::NotConfirmed => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::VenueRejected => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::OutcomeUnknown => 502,
            ErrorCode::VenueUnavailable | ErrorCode::JournalUnavailable => 503,
            ErrorCode::Timeout => 504,
        }
    }

    /// Whether nothing can have reached the venue when a write fails with this code.
    pub fn nothing_sent(self) -> bool {
        !matches!(self, ErrorCode::OutcomeUnknown | ErrorCode::Timeout)
    }

    /// The code of a write that did not complete, by what is known of its effect.
    pub fn of_outcome(outcome: WriteOutcome) -> Self {
        match outcome {
            WriteOutcome::Rejected => ErrorCode::VenueRejected,
            WriteOutcome::Unknown | WriteOutcome::Accepted => ErrorCode::OutcomeUnknown,
            WriteOutcome::NotSent => ErrorCode::VenueUnavailable,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal or failure with its code: what the rules and the venues return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    /// The stable code.
    pub code: ErrorCode,
    /// What to tell the model, saying whether anything was sent.
    pub message: String,
}

impl ToolError {
    /// An error with this code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Wrong input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// The same code, another message (context added).
    #[must_use]
    pub fn map_message(self, change: impl FnOnce(String) -> String) -> Self {
        Self {
            code: self.code,
            message: change(self.message),
        }
    }

    /// A write that did not complete, by what is known of its effect.
    pub fn from_outcome(outcome: WriteOutcome, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::of_outcome(outcome), message)
    }

    /// The tool result: `isError`, the message as text, the code in `_meta`.
    pub fn into_result(self) -> CallToolResult {
        let mut result = CallToolResult::error(vec![ContentBlock::text(self.message)]);
        let mut meta = MetaObject::new();
        meta.insert(ERROR_CODE_META.to_owned(), self.code.as_str().into());
        result.meta = Some(meta);
        result
    }
}

impl From<ToolError> for CallToolResponse {
    fn from(error: ToolError) -> Self {
        error.into_result().into()
    }
}

impl rmcp::handler::server::tool::IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        Ok(self.into())
    }
}

/// The code of a failed tool result: its `_meta` code, or for a result without one (rmcp's
/// own argument errors) `invalid_input` when the text says the arguments could not be read.
pub fn code_of(result: &CallToolResult) -> Option<ErrorCode> {
    if result.is_error != Some(true) {
        return None;
    }
    let meta = result
        .meta
        .as_ref()
        .and_then(|meta| meta.get(ERROR_CODE_META))
        .and_then(|code| code.as_str())
        .and_then(ErrorCode::parse);
    Some(meta.unwrap_or_else(|| {
        let text = text_of(result);
        if text.starts_with("failed to deserialize parameters") {
            ErrorCode::InvalidInput
        } else {
            ErrorCode::Internal
        }
    }))
}

/// The text blocks of a result, joined.
pub fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The code of a Backpack SDK error on a read (writes use the outcome).
pub fn backpack_code(error: &backpack_sdk::Error) -> ErrorCode {
    use backpack_sdk::Error;
    match error {
        _ if error.is_not_found() => ErrorCode::NotFound,
        // The exchange answers an unknown market with 400 "Invalid market symbol": the
        // market named does not exist.
        Error::Api(api)
            if api
                .message
                .to_ascii_lowercase()
                .contains("invalid market symbol") =>
        {
            ErrorCode::NotFound
        }
        Error::InvalidOrder(_) | Error::InvalidRequest(_) => ErrorCode::InvalidInput,
        Error::RateLimited { .. } => ErrorCode::RateLimited,
        Error::Api(api) if api.status >= 500 => ErrorCode::VenueUnavailable,
        Error::Api(_) | Error::Decode { .. } => ErrorCode::VenueRejected,
        Error::Credentials(_)
        | Error::Connect { .. }
        | Error::Timeout { .. }
        | Error::Transport { .. } => ErrorCode::VenueUnavailable,
        Error::OutcomeUnknown { .. } => ErrorCode::OutcomeUnknown,
        // A kind this version does not know yet.
        _ => ErrorCode::Internal,
    }
}

/// The code of an IBKR SDK error.
pub fn ibkr_code(error: &ibkr_sdk::Error) -> ErrorCode {
    use ibkr_sdk::Error;
    match error {
        Error::InvalidOrder(_)
        | Error::InvalidRequest(_)
        | Error::InvalidSecurityType(_)
        | Error::AmbiguousContract { .. } => ErrorCode::InvalidInput,
        Error::UnknownContract(_) | Error::NoData(_) | Error::OrderNotFound(_) => {
            ErrorCode::NotFound
        }
        Error::TradingDisabled => ErrorCode::OrdersDisabled,
        Error::LimitExceeded { .. } => ErrorCode::CapExceeded,
        Error::PacingViolation(_) | Error::SubscriptionLimit { .. } => ErrorCode::RateLimited,
        Error::NoMarketDataPermission { .. }
        | Error::OrderRejected { .. }
        | Error::NotCancellable { .. }
        | Error::Ibkr { .. } => ErrorCode::VenueRejected,
        Error::OutcomeUnknown { .. } | Error::IncompleteSet { .. } => ErrorCode::OutcomeUnknown,
        Error::Config(_)
        | Error::GatewayUnreachable { .. }
        | Error::ConnectTimeout { .. }
        | Error::ClientIdInUse { .. }
        | Error::IncompatibleGateway(_)
        | Error::AccountModeMismatch { .. }
        | Error::NotConnected
        | Error::Disconnected(_)
        | Error::Timeout { .. }
        | Error::Gateway(_) => ErrorCode::VenueUnavailable,
        // A kind this version does not know yet.
        _ => ErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_name_and_serde() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::String(code.as_str().into()))
            );
        }
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn a_failed_result_carries_its_code() {
        let result = ToolError::new(ErrorCode::CapExceeded, "too big").into_result();
        assert_eq!(code_of(&result), Some(ErrorCode::CapExceeded));
        assert_eq!(text_of(&result), "too big");
        let bare = CallToolResult::error(vec![ContentBlock::text(
            "failed to deserialize parameters: missing field `symbol`",
        )]);
        assert_eq!(code_of(&bare), Some(ErrorCode::InvalidInput));
        assert_eq!(code_of(&CallToolResult::success(vec![])), None);
    }
}
