//! Asking the person before an order goes out.
//!
//! Every order needs the single-use token of its preview, redeemed in the session that
//! previewed it. On top of that, whenever the client can ask the person (elicitation), the
//! server asks, and anything but an explicit "yes" — a decline, a cancel, an error, no answer
//! within the server's timeout — refuses the order (fail closed):
//!
//! - protocol up to 2025-11-25: a server-to-client `elicitation/create` request;
//! - protocol 2026-07-28 and later: the call answers `input_required` with the question,
//!   and the client calls again with the answer (multi round-trip requests). The request
//!   state is a nonce this server issued and recorded for the token, single use, with a
//!   deadline: a client cannot compose one.
//!
//! A venue whose policy is [`ConfirmPolicy::Ask`] (the default on paper and live venues)
//! refuses orders from a client that cannot be asked, naming the setting that decides.

use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, InputRequest, InputRequests, InputRequiredResult,
    InputResponses, ProtocolVersion,
};
use rmcp::service::{ElicitationError, RequestContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::{ConfirmPolicy, Venue};
use crate::error::{ErrorCode, ToolError};
use crate::safety::tokens::{TokenError, TokenStore};

/// The session a call belongs to: the MCP session id over HTTP, one pseudo-session for
/// stateless HTTP, and the process for stdio (one client per process).
pub fn session_of(ctx: &RequestContext<RoleServer>) -> String {
    match ctx.extensions.get::<axum::http::request::Parts>() {
        Some(parts) => parts
            .headers
            .get("mcp-session-id")
            .and_then(|value| value.to_str().ok())
            .map_or_else(|| "http-stateless".to_owned(), |id| format!("http:{id}")),
        None => "local".to_owned(),
    }
}

/// The question put to the person.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConfirmOrder {
    /// Tick to send the order exactly as shown.
    pub confirm: bool,
}

rmcp::elicit_safe!(ConfirmOrder);

/// The key of the question in an `input_required` result.
const QUESTION: &str = "confirm_order";

/// What the confirmation step decided.
#[derive(Debug)]
pub enum Confirmation {
    /// Send the order (the token is used up).
    Confirmed,
    /// Ask the person first: return this to the client (protocol 2026-07-28).
    Ask(Box<InputRequiredResult>),
    /// Do not send; the error says why.
    Refused(ToolError),
}

fn asks_in_band(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.protocol_version()
        .is_some_and(|version| version >= ProtocolVersion::V_2026_07_28)
}

fn can_ask(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.client_capabilities()
        .and_then(|capabilities| capabilities.elicitation)
        .is_some_and(|elicitation| elicitation.form.is_some() || elicitation.url.is_none())
}

fn question(message: &str) -> Result<InputRequiredResult, String> {
    let schema = serde_json::from_value(serde_json::json!({
        "type": "object",
        "properties": {
            "confirm": { "type": "boolean", "title": "Send this order", "description": "Tick to send the order exactly as shown." }
        },
        "required": ["confirm"]
    }))
    .map_err(|e| format!("cannot build the confirmation question: {e}"))?;
    let mut requests = InputRequests::new();
    requests.insert(
        QUESTION.to_owned(),
        InputRequest::Elicitation(ElicitRequest::new(
            ElicitRequestParams::FormElicitationParams {
                meta: None,
                message: message.to_owned(),
                requested_schema: schema,
            },
        )),
    );
    Ok(InputRequiredResult::new(Some(requests), None))
}

fn answered_yes(responses: Option<&InputResponses>) -> bool {
    responses
        .and_then(|responses| responses.get(QUESTION))
        .is_some_and(|answer| {
            answer.get("action").and_then(|a| a.as_str()) == Some("accept")
                && answer
                    .get("content")
                    .and_then(|c| c.get("confirm"))
                    .and_then(|c| c.as_bool())
                    == Some(true)
        })
}

/// The order a confirmation is about.
#[derive(Debug, Clone, Copy)]
pub struct Pending<'a> {
    /// The token the preview issued.
    pub token: &'a str,
    /// The venue.
    pub venue: Venue,
    /// The order, canonical JSON.
    pub order: &'a serde_json::Value,
    /// The session asking.
    pub session: &'a str,
    /// The question for the person: every field of the order that is not at its default,
    /// and what it can execute for.
    pub message: &'a str,
}

/// What the client sent back on the second round of an in-band question.
#[derive(Debug, Clone, Copy, Default)]
pub struct Answer<'a> {
    /// The echoed request state.
    pub request_state: Option<&'a str>,
    /// The person's answers.
    pub responses: Option<&'a InputResponses>,
}

/// How the server confirms orders on a venue.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Ask, or let the token confirm.
    pub confirm: ConfirmPolicy,
    /// How long the person has to answer.
    pub timeout: Duration,
}

fn cannot_ask(venue: Venue) -> ToolError {
    let name = venue.as_str().to_ascii_uppercase();
    let message = format!(
        "refused: this server asks the person before every {} order (TRADING_MCP_{name}_CONFIRM=ask, the default on paper and live venues) and this client cannot be asked (it does not declare elicitation). Nothing was sent. Use a client that supports elicitation, or have the person set TRADING_MCP_{name}_CONFIRM=token to let the preview's token confirm",
        venue.as_str()
    );
    ToolError::new(ErrorCode::ConfirmationRequired, message)
}

fn not_confirmed(message: impl Into<String>) -> ToolError {
    ToolError::new(ErrorCode::NotConfirmed, message)
}

/// Decides whether `pending` may be sent (see the module docs).
pub async fn confirm(
    ctx: &RequestContext<RoleServer>,
    tokens: &TokenStore,
    policy: Policy,
    pending: Pending<'_>,
    answer: Answer<'_>,
) -> Confirmation {
    let Pending {
        token,
        venue,
        order,
        session,
        message,
    } = pending;
    let refuse = |refused: ToolError| {
        // Whatever happened, this token is spent.
        tokens.void(token);
        Confirmation::Refused(refused)
    };
    let redeem = || match tokens.redeem(token, venue, order, session) {
        Ok(()) => Confirmation::Confirmed,
        Err(error) => Confirmation::Refused(error.refusal()),
    };
    if let Some(nonce) = answer.request_state {
        // The second round of an in-band question.
        if let Err(error) = tokens.answered(token, nonce, venue, order, session) {
            return Confirmation::Refused(error.refusal());
        }
        if !answered_yes(answer.responses) {
            return refuse(not_confirmed(
                "the person did not confirm the order; nothing was sent",
            ));
        }
        return redeem();
    }
    if let Err(error) = tokens.check(token, venue, order, session) {
        return Confirmation::Refused(error.refusal());
    }
    if !can_ask(ctx) {
        return match policy.confirm {
            // The token, from a preview the assistant was told to show and have approved.
            ConfirmPolicy::Token => redeem(),
            ConfirmPolicy::Ask => refuse(cannot_ask(venue)),
        };
    }
    if asks_in_band(ctx) {
        let Some(nonce) = tokens.ask(token, policy.timeout) else {
            return Confirmation::Refused(TokenError::Unknown.refusal());
        };
        return match question(message) {
            Ok(mut ask) => {
                ask.request_state = Some(nonce);
                Confirmation::Ask(Box::new(ask))
            }
            Err(error) => refuse(ToolError::new(
                ErrorCode::Internal,
                format!("{error}; nothing was sent"),
            )),
        };
    }
    match ctx
        .peer
        .elicit_with_timeout::<ConfirmOrder>(message, Some(policy.timeout))
        .await
    {
        Ok(Some(ConfirmOrder { confirm: true })) => redeem(),
        Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => refuse(
            not_confirmed("the person did not confirm the order; nothing was sent"),
        ),
        Err(error) => refuse(not_confirmed(format!(
            "the person could not be asked to confirm ({error}); the order was NOT sent"
        ))),
    }
}
