//! IBKR tools that write: preview (IBKR's what-if, value, warnings, token), place (only with
//! the token of exactly that order; single orders of every type, or a bracket), cancel.

use std::sync::Arc;

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

use super::ibkr_read::{OrderItem, ibkr_error, ibkr_failure};
use super::{Listed, Parameters, bounded, structured};
use crate::config::{Mode, Venue};
use crate::confirm::Answer;
use crate::error::{ErrorCode, ToolError, ibkr_code};
use crate::flow::{self, OrderVenue, WriteFailure};
use crate::safety::caps::{CapUsage, Valued};
use crate::safety::journal::{Fill, WriteOutcome};
use crate::server::TradingServer;
use crate::state::AppState;
use crate::venues::ibkr::IbkrVenue;

/// How far from the market a limit or stop price may be before the preview warns.
const FAR_FROM_MARKET_PCT: i64 = 5;

/// An IBKR order: one order of any type, or a bracket. Give exactly one.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IbkrOrderParams {
    /// A single order, with exactly the prices its order_type needs.
    #[serde(default)]
    pub order: Option<OrderRequest>,
    /// An entry with a take-profit and a stop-loss, linked so one exit cancels the other.
    #[serde(default)]
    pub bracket: Option<BracketSpec>,
}

/// An IBKR order to place.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IbkrPlaceParams {
    /// Exactly the `order` given to the preview (fields described by `ibkr_preview_order`).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub order: Option<OrderRequest>,
    /// Exactly the `bracket` given to the preview.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub bracket: Option<BracketSpec>,
    /// The preview's `confirmationToken` (single use, short-lived, this session only).
    pub confirmation_token: String,
}

/// What an order would do.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IbkrPreview {
    /// IBKR's what-if (margin, commission) or a simulation, for the order or the bracket's entry.
    pub preview: Preview,
    /// Simulated, paper or live.
    pub mode: Mode,
    /// The most the order can execute for, in the cap currency, and how it was computed;
    /// no value when it has no bound.
    pub exposure: Valued,
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
#[serde(rename_all = "camelCase")]
pub struct IbkrPlaced {
    /// The order, or the bracket's entry, take-profit and stop-loss.
    pub orders: Vec<OrderReport>,
    /// Journal id of this write.
    pub correlation_id: String,
}

/// Orders to cancel.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CancelParams {
    /// One or more order ids (cancel a bracket by its three ids).
    pub order_ids: Vec<OrderId>,
}

/// Cancels.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
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
}

/// What an order (a bracket's entry) had executed when IBKR answered.
pub(crate) fn fill_of(report: &OrderReport) -> Fill {
    Fill {
        status: report.status.to_string(),
        filled: report.filled.value().normalize().to_string(),
        average_price: report
            .avg_fill_price
            .map(|p| p.value().normalize().to_string()),
    }
}

pub(crate) fn outcome(error: &ibkr_sdk::Error) -> WriteOutcome {
    match error.outcome() {
        ibkr_sdk::Outcome::NotSent => WriteOutcome::NotSent,
        ibkr_sdk::Outcome::Rejected => WriteOutcome::Rejected,
        ibkr_sdk::Outcome::Unknown => WriteOutcome::Unknown,
    }
}

fn headline(asked: &Asked) -> String {
    let spec = asked.valued();
    let kind = match asked {
        Asked::Single(_) => format!("{:?}", spec.order_type.code()),
        Asked::Bracket(bracket) => format!(
            "bracket entry (take profit {}, stop loss {})",
            bracket.take_profit, bracket.stop_loss
        ),
    };
    let action = match spec.action {
        ibkr_sdk::Action::Buy => "BUY",
        ibkr_sdk::Action::Sell => "SELL",
    };
    format!("{action} {} {} {kind}", spec.quantity, spec.contract)
}

/// What `preview` (IBKR's valuation through the SDK's exposure) says the order can execute
/// for, in the cap currency.
fn valued(state: &AppState, preview: &Preview) -> Valued {
    Valued::convert(
        preview.notional.map(|n| n.value()),
        &preview.currency,
        preview
            .value_basis
            .as_deref()
            .unwrap_or("the order could not be valued"),
        &state.config.ibkr.caps,
    )
}

/// An IBKR order going through the write flow.
struct IbkrOrder<'a> {
    state: &'a AppState,
    venue: Arc<IbkrVenue>,
    asked: Asked,
    canonical: serde_json::Value,
}

impl OrderVenue for IbkrOrder<'_> {
    type Placed = Vec<OrderReport>;
    const VENUE: Venue = Venue::Ibkr;
    const TOOL: &'static str = "ibkr_place_order";
    const DEFAULTS: &'static [(&'static str, &'static str)] =
        &[("time_in_force", "DAY"), ("contract.exchange", "SMART")];

    fn symbol(&self) -> String {
        self.asked.valued().contract.symbol.clone()
    }

    fn canonical(&self) -> &serde_json::Value {
        &self.canonical
    }

    fn headline(&self) -> String {
        headline(&self.asked)
    }

    async fn value(&self) -> Result<Valued, ToolError> {
        // Valued now (no order message reaches the gateway).
        match self
            .venue
            .client
            .orders()
            .dry_run(&self.asked.valued())
            .await
        {
            Ok(preview) => Ok(valued(self.state, &preview)),
            Err(error) => Err(ToolError::from_outcome(
                WriteOutcome::NotSent,
                format!("{}; nothing was sent", ibkr_error(&error)),
            )),
        }
    }

    fn fill(placed: &Vec<OrderReport>) -> Option<Fill> {
        placed.first().map(fill_of)
    }

    async fn send(&self) -> Result<(Vec<OrderReport>, String), WriteFailure> {
        let orders = self.venue.client.orders();
        let placed = match &self.asked {
            Asked::Single(spec) => orders.place(spec).await.map(|report| vec![report]),
            Asked::Bracket(bracket) => orders
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
                        "; call ibkr_get_order_status with order id {order_id} (venue order {order_id})"
                    ));
                }
                Err(WriteFailure::new(outcome(&error), message).refined(ibkr_code(&error)))
            }
        }
    }
}

#[tool_router(router = ibkr_trading_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "Check an IBKR order or bracket without placing it: IBKR's what-if (margin, commission), the most it can execute for (exposure), warnings, a single-use confirmationToken. Show it to the person first.",
        annotations(read_only_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<IbkrPreview>()
    )]
    async fn ibkr_preview_order(
        &self,
        Parameters(p): Parameters<IbkrOrderParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let asked = match Asked::from_params(p.order, p.bracket) {
            Ok(asked) => asked,
            Err(message) => {
                return Ok(ToolError::invalid(format!(
                    "{message}; fix the order and preview it again"
                ))
                .into());
            }
        };
        let venue = match self.state.ibkr().await {
            Ok(venue) => venue,
            Err(error) => return Ok(error.into()),
        };
        let entry = asked.valued();
        // Valued and checked against the caps before IBKR's what-if: an order the caps
        // refuse sends no message at all.
        let exposure = match venue.client.orders().dry_run(&entry).await {
            Ok(dry) => valued(&self.state, &dry),
            Err(error) => return Ok(ibkr_failure(&error).into()),
        };
        let canonical = match asked.canonical() {
            Ok(value) => value,
            Err(message) => return Ok(ToolError::new(ErrorCode::Internal, message).into()),
        };
        let caps = match flow::preview_caps(
            &self.state,
            &ctx,
            "ibkr_preview_order",
            Venue::Ibkr,
            &entry.contract.symbol,
            &exposure,
            &canonical,
        )
        .await
        {
            Ok(caps) => caps,
            Err(error) => return Ok(error.into()),
        };
        let preview = match venue.client.orders().preview(&entry).await {
            Ok(preview) => preview,
            Err(error) => return Ok(ibkr_failure(&error).into()),
        };
        let mut warnings = Vec::new();
        if let Some(warning) = &preview.warning {
            warnings.push(format!("IBKR: {warning}"));
        }
        if let Some(price) = entry.stated_price()
            && let Some(market) = preview.reference_price
            && !market.value().is_zero()
            && let Some(away) = price
                .value()
                .checked_sub(market.value())
                .and_then(|d| d.checked_div(market.value()))
                .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
                .map(|r| r.abs())
            && away > Decimal::from(FAR_FROM_MARKET_PCT)
        {
            warnings.push(format!(
                "far from the market: the price is {}% from {}",
                away.round_dp(1),
                market.value().round_dp(4)
            ));
        }
        warnings.extend(flow::exposure_warnings(&exposure, &self.state, Venue::Ibkr));
        let token = flow::issue_token(&self.state, &ctx, Venue::Ibkr, canonical);
        Ok(structured(&IbkrPreview {
            preview,
            mode: self.state.config.mode(Venue::Ibkr),
            exposure,
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
        description = "Place an IBKR order or bracket previewed with ibkr_preview_order, after the person confirmed it. Needs the same order or bracket and the confirmationToken, in the same session.",
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
        let prepared = Asked::from_params(p.order, p.bracket)
            .and_then(|asked| asked.canonical().map(|canonical| (asked, canonical)));
        let (asked, canonical) = match prepared {
            Ok(prepared) => prepared,
            Err(message) => {
                self.state.tokens.void(&p.confirmation_token);
                return Ok(ToolError::invalid(format!("{message}; nothing was sent")).into());
            }
        };
        let venue = match self.state.ibkr().await {
            Ok(venue) => venue,
            Err(error) => {
                return Ok(error
                    .map_message(|message| format!("{message}; nothing was sent"))
                    .into());
            }
        };
        let order = IbkrOrder {
            state: &self.state,
            venue,
            asked,
            canonical,
        };
        let answer = Answer {
            request_state: request_state.as_deref(),
            responses: responses.as_ref(),
        };
        let placement = flow::place(&self.state, &ctx, &order, &p.confirmation_token, answer).await;
        Ok(flow::respond(placement, |done| IbkrPlaced {
            orders: done.value,
            correlation_id: done.correlation_id,
        }))
    }

    #[tool(
        description = "Cancel IBKR orders by id (a bracket: give its three ids). Works while the kill switch is engaged.",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<IbkrCancelled>()
    )]
    async fn ibkr_cancel_order(
        &self,
        Parameters(p): Parameters<CancelParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let max = self.state.config.max_items;
        if p.order_ids.is_empty() || p.order_ids.len() > max {
            return Ok(ToolError::invalid(format!("give 1 to {max} order ids")).into());
        }
        let venue = match self.state.ibkr().await {
            Ok(venue) => venue,
            Err(error) => {
                return Ok(error
                    .map_message(|message| format!("{message}; nothing was sent"))
                    .into());
            }
        };
        let ids = p.order_ids.clone();
        // The allow-list names symbols: find each order's. The journal transaction checks
        // the first that is not allowed (an order that cannot be found has no symbol and is
        // refused while a list is set), else any of them.
        let caps = &self.state.config.ibkr.caps;
        let symbol = if caps.allowed_symbols.is_some() {
            let mut symbols = Vec::new();
            for id in &ids {
                let found = venue.client.orders().status(*id).await.ok();
                symbols.push(found.and_then(|r| r.symbol).unwrap_or_default());
            }
            symbols
                .iter()
                .find(|s| crate::safety::caps::check(caps, s, None, Decimal::ZERO).is_err())
                .or(symbols.first())
                .cloned()
                .unwrap_or_default()
        } else {
            String::new()
        };
        let written = flow::cancel(
            &self.state,
            &ctx,
            Venue::Ibkr,
            "ibkr_cancel_order",
            symbol,
            serde_json::json!({ "orderIds": p.order_ids }),
            || async {
                let results = venue.client.orders().cancel_all(&ids).await;
                let unknown = results
                    .iter()
                    .any(|r| matches!(r, Err(e) if outcome(e) == WriteOutcome::Unknown));
                let codes: Vec<ErrorCode> = results
                    .iter()
                    .filter_map(|r| r.as_ref().err().map(ibkr_code))
                    .collect();
                let items: Vec<OrderItem> = ids
                    .iter()
                    .zip(results)
                    .map(|(id, result)| OrderItem::new(*id, result))
                    .collect();
                let failed = items.iter().filter(|i| i.error.is_some()).count();
                if failed == items.len() {
                    let reasons: Vec<String> =
                        items.iter().filter_map(|i| i.error.clone()).collect();
                    let outcome = if unknown {
                        WriteOutcome::Unknown
                    } else {
                        WriteOutcome::Rejected
                    };
                    // One code for the set when every order failed for the same reason.
                    let shared = codes
                        .first()
                        .copied()
                        .filter(|c| codes.iter().all(|o| o == c));
                    let failure = WriteFailure::new(outcome, reasons.join("; "));
                    return Err(match shared {
                        Some(code) => failure.refined(code),
                        None => failure,
                    });
                }
                let detail = format!("{} cancelled, {failed} not", items.len() - failed);
                Ok((items, detail))
            },
        )
        .await;
        Ok(match written {
            Ok(done) => structured(&IbkrCancelled {
                orders: bounded(done.value, max, ""),
                correlation_id: done.correlation_id,
            }),
            Err(error) => error.into(),
        })
    }
}
