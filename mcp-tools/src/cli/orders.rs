//! Orders from the command line: the words (`buy 0.1 SOL_USDC --limit 150`) as the venue's
//! tool arguments, and the preview → ask → place flow.

use serde_json::{Map, Value, json};

use super::session::{Session, ask_yes, tell};
use super::{ContractArgs, Failure, OrderArgs, Side, VenueArg};
use crate::config::Venue;
use crate::error::{ErrorCode, ToolError};
use crate::safety::journal::{HandedToken, utc};

/// The venue of `symbol`: `--venue` when given, else Backpack for `BASE_QUOTE` symbols and
/// IBKR for the rest.
pub(super) fn venue_of(symbol: &str, asked: Option<VenueArg>) -> Venue {
    match asked {
        Some(venue) => venue.into(),
        None if symbol.contains('_') => Venue::Backpack,
        None => Venue::Ibkr,
    }
}

/// An IBKR contract spec for `symbol`.
pub(super) fn contract(symbol: &str, args: &ContractArgs) -> Value {
    let mut spec = json!({ "symbol": symbol.to_ascii_uppercase(), "sec_type": args.sec_type.to_ascii_uppercase() });
    for (key, value) in [
        ("exchange", &args.exchange),
        ("currency", &args.currency),
        ("expiry", &args.expiry),
    ] {
        if let Some(value) = value {
            spec[key] = Value::String(value.clone());
        }
    }
    spec
}

/// The preview tool's arguments for `order`, and its venue.
pub(super) fn preview_arguments(
    order: &OrderArgs,
    asked: Option<VenueArg>,
) -> Result<(Venue, Value), Failure> {
    if let Some(text) = &order.order_json {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Failure::usage(format!("--order-json is not JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(Failure::usage("--order-json must be a JSON object"));
        };
        let ibkr_shaped = map.contains_key("order") || map.contains_key("bracket");
        let venue = match asked {
            Some(venue) => venue.into(),
            None if ibkr_shaped => Venue::Ibkr,
            None => Venue::Backpack,
        };
        return Ok(match venue {
            Venue::Ibkr => (venue, Value::Object(map)),
            Venue::Backpack => (venue, json!({ "order": Value::Object(map) })),
        });
    }
    let (Some(side), Some(quantity), Some(symbol)) = (order.side, &order.quantity, &order.symbol)
    else {
        return Err(Failure::usage(
            "give the order as SIDE QUANTITY SYMBOL (buy 0.1 SOL_USDC) or --order-json",
        ));
    };
    let venue = venue_of(symbol, asked);
    let mut fields = Map::new();
    match venue {
        Venue::Backpack => {
            fields.insert("symbol".into(), json!(symbol.to_ascii_uppercase()));
            fields.insert(
                "side".into(),
                json!(if side == Side::Buy { "Bid" } else { "Ask" }),
            );
            fields.insert(
                "orderType".into(),
                json!(if order.limit.is_some() {
                    "Limit"
                } else {
                    "Market"
                }),
            );
            fields.insert("quantity".into(), json!(quantity));
            let optional = [
                ("price", order.limit.clone().map(Value::String)),
                ("triggerPrice", order.stop.clone().map(Value::String)),
                (
                    "timeInForce",
                    order
                        .tif
                        .clone()
                        .map(|t| Value::String(t.to_ascii_uppercase())),
                ),
                ("postOnly", order.post_only.then_some(Value::Bool(true))),
                ("reduceOnly", order.reduce_only.then_some(Value::Bool(true))),
            ];
            for (key, value) in optional {
                if let Some(value) = value {
                    fields.insert(key.into(), value);
                }
            }
            Ok((venue, json!({ "order": Value::Object(fields) })))
        }
        Venue::Ibkr => {
            if order.post_only || order.reduce_only {
                return Err(Failure::usage(
                    "--post-only and --reduce-only are Backpack's; IBKR orders take --limit, --stop and --tif",
                ));
            }
            let kind = match (&order.limit, &order.stop) {
                (None, None) => "MKT",
                (Some(_), None) => "LMT",
                (None, Some(_)) => "STP",
                (Some(_), Some(_)) => "STP LMT",
            };
            fields.insert("contract".into(), contract(symbol, &order.contract));
            fields.insert(
                "action".into(),
                json!(if side == Side::Buy { "BUY" } else { "SELL" }),
            );
            fields.insert("quantity".into(), json!(quantity));
            fields.insert("order_type".into(), json!(kind));
            let optional = [("limit_price", &order.limit), ("stop_price", &order.stop)];
            for (key, value) in optional {
                if let Some(value) = value {
                    fields.insert(key.into(), Value::String(value.clone()));
                }
            }
            if let Some(tif) = &order.tif {
                fields.insert("time_in_force".into(), json!(tif.to_ascii_uppercase()));
            }
            Ok((venue, json!({ "order": Value::Object(fields) })))
        }
    }
}

fn tools(venue: Venue) -> (&'static str, &'static str) {
    match venue {
        Venue::Backpack => ("backpack_preview_order", "backpack_create_order"),
        Venue::Ibkr => ("ibkr_preview_order", "ibkr_place_order"),
    }
}

fn token_of(preview: &Value) -> Result<String, ToolError> {
    preview["confirmationToken"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            ToolError::new(
                ErrorCode::Internal,
                "the preview carries no confirmation token",
            )
        })
}

/// Previews and keeps the token for a later `trading place --yes --token` (another
/// process): the preview.
pub(super) async fn preview(
    session: &Session,
    venue: Venue,
    arguments: &Value,
) -> Result<Value, ToolError> {
    let (tool, _) = tools(venue);
    let preview = session.call(tool, arguments.clone()).await?;
    let token = token_of(&preview)?;
    let state = &session.state;
    if let Some((venue, order, left)) = state.tokens.describe(&token) {
        let now = utc(&state.config.clock);
        let expires =
            now + chrono::Duration::from_std(left).unwrap_or_else(|_| chrono::Duration::zero());
        let handed = HandedToken {
            token,
            venue,
            order,
            expires,
        };
        let journal = std::sync::Arc::clone(&state.journal);
        crate::flow::journaled(&journal, move |j| j.hand_over_token(&handed, now))
            .await
            .map_err(|e| {
                ToolError::new(
                    ErrorCode::JournalUnavailable,
                    format!("the preview's token could not be kept for `trading place`: {e}"),
                )
            })?;
    }
    Ok(preview)
}

/// Whether two canonical orders are the same order, leaving out the client id each Backpack
/// preview picks for itself.
fn same_order(kept: &Value, fresh: &Value) -> bool {
    let strip = |order: &Value| {
        let mut order = order.clone();
        if let Some(map) = order.as_object_mut() {
            map.remove("clientId");
        }
        order
    };
    strip(kept) == strip(fresh)
}

/// Takes the token `trading preview` kept and checks it is for the order `fresh` (its own
/// preview's token) describes: the token, and the order to send with it.
async fn handed_over(
    session: &Session,
    venue: Venue,
    token: &str,
    fresh: &str,
) -> Result<Value, ToolError> {
    let state = &session.state;
    let now = utc(&state.config.clock);
    let journal = std::sync::Arc::clone(&state.journal);
    let wanted = token.to_owned();
    let kept = crate::flow::journaled(&journal, move |j| j.take_token(&wanted, now))
        .await
        .map_err(|e| ToolError::new(ErrorCode::JournalUnavailable, e))?
        .ok_or_else(|| {
            ToolError::new(
                ErrorCode::TokenUnknown,
                "no preview kept this token: it was used, it expired, or it was not printed by `trading preview`. Nothing was sent",
            )
        })?;
    let previewed_now = state.tokens.describe(fresh).map(|(_, order, _)| order);
    state.tokens.void(fresh);
    if kept.venue != venue || !previewed_now.is_some_and(|order| same_order(&kept.order, &order)) {
        return Err(ToolError::new(
            ErrorCode::TokenMismatch,
            "this is not the order that token was previewed for; preview it again. Nothing was sent",
        ));
    }
    let left = (kept.expires - now).to_std().unwrap_or_default();
    state
        .tokens
        .adopt(token, kept.venue, kept.order.clone(), "local", left);
    Ok(kept.order)
}

/// Previews, shows the preview (through `show`), asks on the terminal, and places: the
/// placed answer. With `handed` (`--yes --token`), the order must be the one that token of
/// a `trading preview` was for, and it is sent as previewed; the session then cannot ask,
/// so the venue's confirmation policy decides whether the token is enough.
pub(super) async fn place(
    session: &Session,
    venue: Venue,
    arguments: &Value,
    handed: Option<&str>,
    show: impl FnOnce(&Value),
) -> Result<Value, ToolError> {
    let (preview_tool, place_tool) = tools(venue);
    let preview = session.call(preview_tool, arguments.clone()).await?;
    let fresh = token_of(&preview)?;
    let mut send = match venue {
        Venue::Backpack => json!({ "order": preview["order"] }),
        Venue::Ibkr => arguments.clone(),
    };
    let token = match handed {
        Some(token) => {
            let order = handed_over(session, venue, token, &fresh).await?;
            if venue == Venue::Backpack {
                send = json!({ "order": order });
            }
            token.to_owned()
        }
        None => {
            show(&preview);
            if !ask_yes("Send this order?") {
                session.state.tokens.void(&fresh);
                return Err(ToolError::new(
                    ErrorCode::NotConfirmed,
                    "not sent: the order was not confirmed",
                ));
            }
            // The server's own question about this order is answered with this yes.
            session.approval.grant();
            fresh
        }
    };
    send["confirmationToken"] = Value::String(token);
    tell("Sending...");
    session.call(place_tool, send).await
}

/// An order named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum OrderRef {
    /// A Backpack order: its market and id.
    Backpack {
        /// The market.
        symbol: String,
        /// The order id.
        id: String,
    },
    /// An IBKR order id.
    Ibkr(i64),
}

impl OrderRef {
    /// Order `id`: Backpack's when `--symbol` or `--venue backpack` says so, else IBKR's.
    pub(super) fn parse(
        id: &str,
        symbol: Option<&str>,
        asked: Option<VenueArg>,
    ) -> Result<Self, Failure> {
        let venue = match (asked, symbol) {
            (Some(venue), _) => venue.into(),
            (None, Some(symbol)) => venue_of(symbol, None),
            (None, None) => Venue::Ibkr,
        };
        match venue {
            Venue::Backpack => {
                let symbol =
                    symbol.ok_or_else(|| Failure::usage("a Backpack order needs --symbol"))?;
                Ok(OrderRef::Backpack {
                    symbol: symbol.to_ascii_uppercase(),
                    id: id.to_owned(),
                })
            }
            Venue::Ibkr => id.parse().map(OrderRef::Ibkr).map_err(|_| {
                Failure::usage(format!(
                    "an IBKR order id is a whole number, not {id:?} (Backpack orders need --symbol)"
                ))
            }),
        }
    }

    /// The venue.
    pub(super) fn venue(&self) -> Venue {
        match self {
            OrderRef::Backpack { .. } => Venue::Backpack,
            OrderRef::Ibkr(_) => Venue::Ibkr,
        }
    }

    /// The tool that cancels it and its arguments.
    pub(super) fn cancel(&self) -> (&'static str, Value) {
        match self {
            OrderRef::Backpack { symbol, id } => (
                "backpack_cancel_order",
                json!({ "symbol": symbol, "orderId": id }),
            ),
            OrderRef::Ibkr(id) => ("ibkr_cancel_order", json!({ "orderIds": [id] })),
        }
    }

    /// The tool that reports it and its arguments.
    pub(super) fn status(&self) -> (&'static str, Value) {
        match self {
            OrderRef::Backpack { symbol, id } => (
                "backpack_get_order",
                json!({ "symbol": symbol, "orderId": id }),
            ),
            OrderRef::Ibkr(id) => ("ibkr_get_order_status", json!({ "orderIds": [id] })),
        }
    }
}
