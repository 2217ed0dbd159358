//! IBKR tools that write: preview (IBKR's what-if, value, warnings, token), place (only with
//! the token of exactly that order; single orders of every type, or a bracket), cancel.

use ibkr_sdk::{
    BracketSpec, Entry, OrderId, OrderReport, OrderRequest, OrderSpec, OrderType, Preview,
};
use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::tool::{InputResponses, RequestState};
use rmcp::model::CallToolResponse;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ibkr_read::{OrderItem, ibkr_error};
use super::{Listed, Parameters, bounded, failure, structured};
use crate::config::{Mode, Venue};
use crate::confirm::{Answer, Confirmation, Pending, confirm};
use crate::safety::caps::CapUsage;
use crate::safety::journal::WriteOutcome;
use crate::server::TradingServer;
use crate::write::{WriteFailure, WriteRequest, write};

/// How far from the market a limit or stop price may be before the preview warns.
const FAR_FROM_MARKET_PCT: i64 = 5;

/// An IBKR order: one order of any type, or a bracket. Give exactly one.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IbkrOrderParams {
    /// A single order: contract, action (`BUY`/`SELL`), quantity, order_type (`MKT`, `LMT`,
    /// `STP`, `STP LMT`, `TRAIL`, `TRAIL LIMIT`, `MOC`, `MOO`) and exactly the prices that
    /// type needs.
    #[serde(default)]
    pub order: Option<OrderRequest>,
    /// An entry with a take-profit and a stop-loss, linked so one exit cancels the other.
    #[serde(default)]
    pub bracket: Option<BracketSpec>,
}

/// An IBKR order to place.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IbkrPlaceParams {
    /// Exactly the `order` given to the preview (fields described by `ibkr_preview_order`).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub order: Option<OrderRequest>,
    /// Exactly the `bracket` given to the preview.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub bracket: Option<BracketSpec>,
    /// The preview's `confirmation_token` (single use, short-lived).
    pub confirmation_token: String,
}

/// What an order would do.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IbkrPreview {
    /// IBKR's what-if (margin, commission) or a simulation, for the order or the bracket's entry.
    pub preview: Preview,
    /// Simulated, paper or live.
    pub mode: Mode,
    /// A bracket's exits, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bracket: Option<BracketSpec>,
    /// What to tell the person before they confirm.
    pub warnings: Vec<String>,
    /// The server's caps and what is left of them.
    pub caps: CapUsage,
    /// Single-use token for `ibkr_place_order`, with the same order or bracket.
    pub confirmation_token: String,
    /// Seconds the token stays valid.
    pub expires_in_secs: u64,
}

/// Placed orders.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IbkrPlaced {
    /// The order, or the bracket's entry, take-profit and stop-loss.
    pub orders: Vec<OrderReport>,
    /// Journal id of this write.
    pub correlation_id: String,
}

/// Orders to cancel.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelParams {
    /// One or more order ids (cancel a bracket by its three ids).
    pub order_ids: Vec<OrderId>,
}

/// Cancels.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IbkrCancelled {
    /// One result per order id.
    pub orders: Listed<OrderItem>,
    /// Journal id of this write.
    pub correlation_id: String,
}

/// The order to work with: a single order or a bracket, validated.
enum Asked {
    Single(OrderSpec),
    Bracket(BracketSpec),
}

impl Asked {
    fn from_params(
        order: Option<OrderRequest>,
        bracket: Option<BracketSpec>,
    ) -> Result<Asked, String> {
        match (order, bracket) {
            (Some(order), None) => OrderSpec::try_from(order)
                .map(Asked::Single)
                .map_err(|e| e.to_string()),
            (None, Some(bracket)) => bracket
                .validate()
                .map(|()| Asked::Bracket(bracket))
                .map_err(|e| e.to_string()),
            _ => Err("give exactly one of `order` or `bracket`".into()),
        }
    }

    /// The order that carries the value: the order itself, or the bracket's entry.
    fn valued(&self) -> OrderSpec {
        match self {
            Asked::Single(spec) => spec.clone(),
            Asked::Bracket(bracket) => {
                let entry = match bracket.entry {
                    Entry::Market => OrderType::Market,
                    Entry::Limit { price } => OrderType::Limit { price },
                };
                OrderSpec::of_type(
                    bracket.contract.clone(),
                    bracket.action,
                    bracket.quantity,
                    entry,
                )
                .time_in_force(bracket.time_in_force)
            }
        }
    }

    fn canonical(&self) -> Result<serde_json::Value, String> {
        match self {
            Asked::Single(spec) => serde_json::to_value(spec),
            Asked::Bracket(bracket) => serde_json::to_value(bracket),
        }
        .map_err(|e| format!("the order could not be encoded: {e}"))
    }

    fn describe(&self, mode: Mode, notional: Option<Decimal>) -> String {
        let spec = self.valued();
        let kind = match self {
            Asked::Single(_) => format!("{:?}", spec.order_type.code()),
            Asked::Bracket(bracket) => format!(
                "bracket (take profit {}, stop loss {})",
                bracket.take_profit, bracket.stop_loss
            ),
        };
        let value = notional.map_or_else(String::new, |n| format!(", about {}", n.normalize()));
        let action = match spec.action {
            ibkr_sdk::Action::Buy => "BUY",
            ibkr_sdk::Action::Sell => "SELL",
        };
        format!(
            "IBKR ({}): {action} {} {} {kind}{value}. Send this order?",
            mode.as_str(),
            spec.quantity,
            spec.contract
        )
    }
}

fn outcome(error: &ibkr_sdk::Error) -> WriteOutcome {
    match error.outcome() {
        ibkr_sdk::Outcome::NotSent => WriteOutcome::NotSent,
        ibkr_sdk::Outcome::Rejected => WriteOutcome::Rejected,
        ibkr_sdk::Outcome::Unknown => WriteOutcome::Unknown,
    }
}

#[tool_router(router = ibkr_trading_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "Check an IBKR order or bracket without placing it: IBKR's what-if (margin, commission), value, warnings, and a single-use confirmation_token. Show the preview to the person before placing.",
        annotations(read_only_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<IbkrPreview>()
    )]
    async fn ibkr_preview_order(
        &self,
        Parameters(p): Parameters<IbkrOrderParams>,
    ) -> Result<CallToolResponse, ErrorData> {
        let asked = match Asked::from_params(p.order, p.bracket) {
            Ok(asked) => asked,
            Err(message) => {
                return Ok(failure(format!(
                    "{message}; fix the order and preview it again"
                )));
            }
        };
        let venue = match self.state.ibkr().await {
            Ok(venue) => venue,
            Err(message) => return Ok(failure(message)),
        };
        let valued = asked.valued();
        let preview = match venue.client.orders().preview(&valued).await {
            Ok(preview) => preview,
            Err(error) => return Ok(failure(ibkr_error(&error))),
        };
        let mut warnings = Vec::new();
        if let Some(warning) = &preview.warning {
            warnings.push(format!("IBKR: {warning}"));
        }
        if let Some(price) = valued.stated_price()
            && let Ok(quote) = venue.client.market_data().quote(&valued.contract).await
            && let Some(mid) = quote
                .bid
                .zip(quote.ask)
                .map(|(b, a)| (b.value() + a.value()) / Decimal::TWO)
                .or(quote.last.map(|l| l.value()))
            && !mid.is_zero()
        {
            let away = ((price.value() - mid) / mid * Decimal::ONE_HUNDRED).abs();
            if away > Decimal::from(FAR_FROM_MARKET_PCT) {
                warnings.push(format!(
                    "far from the market: the price is {}% from {}",
                    away.round_dp(1),
                    mid.round_dp(4)
                ));
            }
        }
        let notional = preview.notional.map(|n| n.value());
        let caps = {
            let now = chrono::Utc::now();
            let mut lock = self.state.caps(Venue::Ibkr).lock().await;
            if let Err(reason) = lock.check(&valued.contract.symbol, notional, now) {
                return Ok(failure(format!(
                    "this order would be refused by the server's limits: {reason}"
                )));
            }
            lock.usage(now)
        };
        let mode = self.state.config.ibkr.mode;
        if mode == Mode::Live {
            warnings.push("LIVE: this order trades real money".into());
        }
        let canonical = match asked.canonical() {
            Ok(value) => value,
            Err(message) => return Ok(failure(message)),
        };
        let token = self.state.tokens.issue(Venue::Ibkr, canonical);
        Ok(structured(&IbkrPreview {
            preview,
            mode,
            bracket: match asked {
                Asked::Bracket(bracket) => Some(bracket),
                Asked::Single(_) => None,
            },
            warnings,
            caps,
            confirmation_token: token,
            expires_in_secs: self.state.tokens.ttl().as_secs(),
        }))
    }

    #[tool(
        description = "Place an IBKR order or bracket previewed with ibkr_preview_order, after the person confirmed it. Needs the same order or bracket and the confirmation_token.",
        annotations(read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_for_output::<IbkrPlaced>()
    )]
    async fn ibkr_place_order(
        &self,
        Parameters(p): Parameters<IbkrPlaceParams>,
        ctx: RequestContext<RoleServer>,
        RequestState(request_state): RequestState,
        InputResponses(responses): InputResponses,
    ) -> Result<CallToolResponse, ErrorData> {
        if self.state.kill_switch.engaged() {
            return Ok(failure(self.state.kill_switch.refusal()));
        }
        let asked = match Asked::from_params(p.order, p.bracket) {
            Ok(asked) => asked,
            Err(message) => return Ok(failure(format!("{message}; nothing was sent"))),
        };
        let canonical = match asked.canonical() {
            Ok(value) => value,
            Err(message) => return Ok(failure(format!("{message}; nothing was sent"))),
        };
        let venue = match self.state.ibkr().await {
            Ok(venue) => venue,
            Err(message) => return Ok(failure(format!("{message}; nothing was sent"))),
        };
        // Valued now (no order message), for the caps and the question to the person.
        let notional = match venue.client.orders().dry_run(&asked.valued()).await {
            Ok(dry) => dry.notional.map(|n| n.value()),
            Err(error) => return Ok(failure(format!("{}; nothing was sent", ibkr_error(&error)))),
        };
        let mode = self.state.config.ibkr.mode;
        let message = asked.describe(mode, notional);
        match confirm(
            &ctx,
            &self.state.tokens,
            Pending {
                token: &p.confirmation_token,
                venue: Venue::Ibkr,
                order: &canonical,
                message: &message,
            },
            Answer {
                request_state: request_state.as_deref(),
                responses: responses.as_ref(),
            },
        )
        .await
        {
            Confirmation::Confirmed => {}
            Confirmation::Ask(question) => return Ok(CallToolResponse::InputRequired(*question)),
            Confirmation::Refused(reason) => return Ok(failure(reason)),
        }
        let request = WriteRequest {
            venue: Venue::Ibkr,
            tool: "ibkr_place_order",
            symbol: asked.valued().contract.symbol.clone(),
            notional,
            capped: true,
            request: canonical,
        };
        let written = write(&self.state, request, || async {
            let placed = match &asked {
                Asked::Single(spec) => venue
                    .client
                    .orders()
                    .place(spec)
                    .await
                    .map(|report| vec![report]),
                Asked::Bracket(bracket) => venue
                    .client
                    .orders()
                    .place_bracket(bracket)
                    .await
                    .map(|set| vec![set.entry, set.take_profit, set.stop_loss]),
            };
            match placed {
                Ok(reports) => {
                    let ids: Vec<String> = reports.iter().map(|r| r.order_id.to_string()).collect();
                    Ok((reports, format!("orders {}", ids.join(","))))
                }
                Err(error) => {
                    let mut message = ibkr_error(&error);
                    if let ibkr_sdk::Error::OutcomeUnknown { order_id, .. } = &error {
                        message.push_str(&format!(
                            "; call ibkr_get_order_status with order id {order_id}"
                        ));
                    }
                    Err(WriteFailure {
                        outcome: outcome(&error),
                        message,
                    })
                }
            }
        })
        .await;
        Ok(match written {
            Ok(done) => structured(&IbkrPlaced {
                orders: done.value,
                correlation_id: done.correlation_id,
            }),
            Err(message) => failure(message),
        })
    }

    #[tool(
        description = "Cancel IBKR orders by id (a bracket: give its three ids).",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<IbkrCancelled>()
    )]
    async fn ibkr_cancel_order(
        &self,
        Parameters(p): Parameters<CancelParams>,
    ) -> Result<CallToolResponse, ErrorData> {
        let max = self.state.config.max_items;
        if p.order_ids.is_empty() || p.order_ids.len() > max {
            return Ok(failure(format!("give 1 to {max} order ids")));
        }
        let venue = match self.state.ibkr().await {
            Ok(venue) => venue,
            Err(message) => return Ok(failure(format!("{message}; nothing was sent"))),
        };
        let request = WriteRequest {
            venue: Venue::Ibkr,
            tool: "ibkr_cancel_order",
            symbol: String::new(),
            notional: None,
            capped: false,
            request: serde_json::json!({ "order_ids": p.order_ids }),
        };
        let ids = p.order_ids.clone();
        let written = write(&self.state, request, || async {
            let results = venue.client.orders().cancel_all(&ids).await;
            let unknown = results
                .iter()
                .any(|r| matches!(r, Err(e) if outcome(e) == WriteOutcome::Unknown));
            let items: Vec<OrderItem> = ids
                .iter()
                .zip(results)
                .map(|(id, result)| OrderItem::new(*id, result))
                .collect();
            let failed = items.iter().filter(|i| i.error.is_some()).count();
            if failed == items.len() {
                let reasons: Vec<String> = items.iter().filter_map(|i| i.error.clone()).collect();
                return Err(WriteFailure {
                    outcome: if unknown {
                        WriteOutcome::Unknown
                    } else {
                        WriteOutcome::Rejected
                    },
                    message: reasons.join("; "),
                });
            }
            let detail = format!("{} cancelled, {failed} not", items.len() - failed);
            Ok((items, detail))
        })
        .await;
        Ok(match written {
            Ok(done) => structured(&IbkrCancelled {
                orders: bounded(done.value, max, ""),
                correlation_id: done.correlation_id,
            }),
            Err(message) => failure(message),
        })
    }
}
