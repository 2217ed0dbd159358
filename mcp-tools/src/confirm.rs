//! Asking the person before an order goes out.
//!
//! Every order needs the single-use token of its preview. On top of that, when the client
//! can ask the person (elicitation), the server asks, and anything but an explicit "yes" —
//! a decline, a cancel, an error, a timeout — refuses the order (fail closed):
//!
//! - protocol up to 2025-11-25: a server-to-client `elicitation/create` request;
//! - protocol 2026-07-28 and later: the call answers `input_required` with the question,
//!   and the client calls again with the answer (multi round-trip requests). The request
//!   state the client echoes is checked against the token, so it cannot be forged.

use std::time::Duration;

use rmcp::RoleServer;
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, InputRequest, InputRequests, InputRequiredResult,
    InputResponses, ProtocolVersion,
};
use rmcp::service::{ElicitationError, RequestContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::Venue;
use crate::safety::tokens::TokenStore;

/// The question put to the person.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ConfirmOrder {
    /// Tick to send the order exactly as shown.
    pub confirm: bool,
}

rmcp::elicit_safe!(ConfirmOrder);

/// How long the person has to answer.
const ASK_TIMEOUT: Duration = Duration::from_secs(300);

/// The key of the question in an `input_required` result.
const QUESTION: &str = "confirm_order";

/// What the confirmation step decided.
#[derive(Debug)]
pub enum Confirmation {
    /// Send the order (the token is used up).
    Confirmed,
    /// Ask the person first: return this to the client (protocol 2026-07-28).
    Ask(Box<InputRequiredResult>),
    /// Do not send; the message says why.
    Refused(String),
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

fn state_for(token: &str) -> String {
    format!("confirm:{token}")
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
    /// The order in a sentence, for the person.
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

/// Decides whether `pending` may be sent (see the module docs).
pub async fn confirm(
    ctx: &RequestContext<RoleServer>,
    tokens: &TokenStore,
    pending: Pending<'_>,
    answer: Answer<'_>,
) -> Confirmation {
    let Pending {
        token,
        venue,
        order,
        message,
    } = pending;
    let Answer {
        request_state,
        responses,
    } = answer;
    let refuse = |reason: String| {
        // Whatever happened, this token is spent.
        let _ = tokens.redeem(token, venue, order);
        Confirmation::Refused(reason)
    };
    if let Some(state) = request_state {
        // The second round of an in-band question.
        if state != state_for(token) {
            return refuse(
                "the confirmation state does not belong to this token; nothing was sent".into(),
            );
        }
        if !answered_yes(responses) {
            return refuse("the person did not confirm the order; nothing was sent".into());
        }
        return match tokens.redeem(token, venue, order) {
            Ok(()) => Confirmation::Confirmed,
            Err(error) => Confirmation::Refused(format!("{error}; nothing was sent")),
        };
    }
    if let Err(error) = tokens.check(token, venue, order) {
        return Confirmation::Refused(format!("{error}; nothing was sent"));
    }
    if !can_ask(ctx) {
        // No way to reach the person: the token, obtained from a preview the assistant was
        // told to show and have approved, is the confirmation.
        return match tokens.redeem(token, venue, order) {
            Ok(()) => Confirmation::Confirmed,
            Err(error) => Confirmation::Refused(format!("{error}; nothing was sent")),
        };
    }
    if asks_in_band(ctx) {
        return match question(message) {
            Ok(mut ask) => {
                ask.request_state = Some(state_for(token));
                Confirmation::Ask(Box::new(ask))
            }
            Err(error) => refuse(format!("{error}; nothing was sent")),
        };
    }
    match ctx
        .peer
        .elicit_with_timeout::<ConfirmOrder>(message, Some(ASK_TIMEOUT))
        .await
    {
        Ok(Some(ConfirmOrder { confirm: true })) => match tokens.redeem(token, venue, order) {
            Ok(()) => Confirmation::Confirmed,
            Err(error) => Confirmation::Refused(format!("{error}; nothing was sent")),
        },
        Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
            refuse("the person did not confirm the order; nothing was sent".into())
        }
        Err(error) => refuse(format!(
            "the person could not be asked to confirm ({error}); the order was NOT sent"
        )),
    }
}
