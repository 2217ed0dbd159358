//! Backpack tools that write: preview (normalise, value, warn, issue a token), create (only
//! with the token of exactly that order), cancel one, cancel all.

use std::future::Future;
use std::sync::Arc;

use backpack_sdk::model::{
    Balances, Depth, Market, Notional, Order, OrderExecutePayload, Price, Side, Symbol,
};
use backpack_sdk::spec::{MarketSize, MarketView, OrderKind, OrderSpec};
use backpack_sdk::{Error as SdkError, Outcome as SdkOutcome};
use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::tool::{InputResponses, RequestState};
use rmcp::model::CallToolResponse;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::backpack_read::{OrderParams, backpack_error, backpack_failure};
use super::{Listed, Parameters, bounded, structured};
use crate::config::{Mode, Venue};
use crate::confirm::{Answer, Confirmation, Pending, Policy, confirm, session_of};
use crate::error::{ErrorCode, ToolError, backpack_code};
use crate::flow::{self, OrderVenue, WriteFailure, Written};
use crate::safety::caps::{CapUsage, Valued};
use crate::safety::journal::{Fill, WriteOutcome};
use crate::server::TradingServer;
use crate::state::AppState;
use crate::venues::backpack::BackpackVenue;

/// How far from the last price a limit price may be before the preview warns.
const FAR_FROM_MARKET_PCT: i64 = 5;

/// An order to preview.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    /// The order in Backpack's own fields (`Bid` buys, `Ask` sells; a market order has
    /// `quantity` or `quoteQuantity`).
    pub order: OrderExecutePayload,
}

/// An order to place.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateParams {
    /// Exactly the `order` object the preview returned.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub order: OrderExecutePayload,
    /// The preview's `confirmationToken` (single use, short-lived, this session only).
    pub confirmation_token: String,
}

/// A market whose open orders to cancel.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CancelAllParams {
    /// Market symbol, e.g. `SOL_USDC` or `SOL_USDC_PERP`.
    pub symbol: Symbol,
    /// On a real venue: the token the first call returned, after the person agreed.
    #[serde(default)]
    pub confirmation_token: Option<String>,
}

/// What an order would do.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackpackPreview {
    /// The order as it will be sent (rounded to the market, with a client id): send exactly
    /// this to `backpack_create_order`.
    pub order: OrderExecutePayload,
    /// Simulated or live.
    pub mode: Mode,
    /// The price the order's side trades at now (best ask for a buy, best bid for a sell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_price: Option<Price>,
    /// The most the order can execute for, in the cap currency, and how it was computed;
    /// no value when it has no bound (a percentage trigger size, a book too thin).
    pub exposure: Valued,
    /// Estimated fee on the exposure, in the quote asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_fee: Option<Notional>,
    /// What rounding changed.
    pub adjustments: Vec<String>,
    /// What to tell the person before they confirm.
    pub warnings: Vec<String>,
    /// The server's caps and what is left of them.
    pub caps: CapUsage,
    /// Single-use token for `backpack_create_order`.
    pub confirmation_token: String,
    /// Seconds the token stays valid.
    pub expires_in_secs: u64,
}

/// A placed order.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackpackPlaced {
    /// The order as the exchange reports it.
    pub order: Order,
    /// Journal id of this write.
    pub correlation_id: String,
}

/// A cancel.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackpackCancelled {
    /// The cancelled orders, as the exchange reports them.
    pub orders: Listed<Order>,
    /// The exchange queued the cancel without confirming it yet: check the orders again.
    pub pending: bool,
    /// Journal id of this write.
    pub correlation_id: String,
}

pub(crate) fn outcome(error: &SdkError) -> WriteOutcome {
    match error.outcome() {
        SdkOutcome::NotSent => WriteOutcome::NotSent,
        SdkOutcome::Rejected => WriteOutcome::Rejected,
        SdkOutcome::Accepted => WriteOutcome::Accepted,
        SdkOutcome::Unknown => WriteOutcome::Unknown,
    }
}

/// The touch an order would trade at: the best ask for a buy, the best bid for a sell.
fn touch(depth: &Depth, side: &Side) -> Option<Price> {
    match side {
        Side::Bid => depth.best_ask().map(|level| level.price()),
        _ => depth.best_bid().map(|level| level.price()),
    }
}

/// What `spec` can execute for (the SDK's exposure), in the cap currency.
fn valued(
    state: &AppState,
    spec: &OrderSpec,
    market: &Market,
    depth: Option<&Depth>,
    last: Option<Price>,
) -> Valued {
    let exposure = spec.exposure(MarketView { depth, last });
    Valued::convert(
        exposure.value(),
        market.quote_symbol.as_str(),
        exposure.basis(),
        &state.config.backpack.caps,
    )
}

/// Why a spot order cannot be paid for with the available balance, if it cannot (orders that
/// borrow or redeem lent funds are left to the exchange).
fn unaffordable(
    spec: &OrderSpec,
    market: &Market,
    notional: Option<Decimal>,
    balances: &Balances,
) -> Option<String> {
    let margin = spec.margin();
    if market.is_derivative()
        || margin.auto_borrow == Some(true)
        || margin.auto_lend_redeem == Some(true)
        || spec.trigger().is_some()
    {
        return None;
    }
    let (asset, needed) = match spec.side() {
        Side::Bid => (market.quote_symbol.as_str(), notional?),
        _ => (market.base_symbol.as_str(), spec.quantity()?.value()),
    };
    let available = balances.get(asset).available.value();
    (needed > available).then(|| {
        format!(
            "insufficient funds: the order needs {} {asset} but {} is available; reduce the quantity",
            needed.normalize(),
            available.normalize()
        )
    })
}

fn headline(spec: &OrderSpec) -> String {
    let side = match spec.side() {
        Side::Bid => "BUY",
        _ => "SELL",
    };
    let what = match spec.kind() {
        OrderKind::Limit {
            price,
            quantity,
            time_in_force,
            ..
        } => format!("{quantity} at {price} ({time_in_force})"),
        OrderKind::Market {
            size: MarketSize::Base(quantity),
        } => format!("{quantity} at market"),
        OrderKind::Market {
            size: MarketSize::Quote(amount),
        } => format!("for {amount} quote at market"),
    };
    let trigger = spec.trigger().map_or_else(String::new, |t| {
        format!(
            ", when the price reaches {} (then {} of it)",
            t.price, t.quantity
        )
    });
    format!("{side} {} {what}{trigger}", spec.symbol().as_str())
}

/// A Backpack order going through the write flow.
struct BackpackOrder<'a> {
    state: &'a AppState,
    venue: Arc<BackpackVenue>,
    spec: OrderSpec,
    canonical: serde_json::Value,
}

impl OrderVenue for BackpackOrder<'_> {
    type Placed = Order;
    const VENUE: Venue = Venue::Backpack;
    const TOOL: &'static str = "backpack_create_order";
    const DEFAULTS: &'static [(&'static str, &'static str)] =
        &[("timeInForce", "GTC"), ("orderType", "Limit")];

    fn symbol(&self) -> String {
        self.spec.symbol().as_str().to_owned()
    }

    fn canonical(&self) -> &serde_json::Value {
        &self.canonical
    }

    fn headline(&self) -> String {
        headline(&self.spec)
    }

    async fn value(&self) -> Result<Valued, ToolError> {
        let markets = self.venue.client.markets();
        let symbol = self.spec.symbol().clone();
        let market = markets.get(symbol.clone()).await.map_err(|e| {
            ToolError::new(
                ErrorCode::VenueUnavailable,
                format!("{}; nothing was sent", backpack_error(&e)),
            )
        })?;
        let depth = markets.depth(symbol.clone(), None).await.ok();
        let last = markets
            .ticker(symbol, None)
            .await
            .ok()
            .map(|t| t.last_price);
        Ok(valued(
            self.state,
            &self.spec,
            &market,
            depth.as_ref(),
            last,
        ))
    }

    fn fill(placed: &Order) -> Option<Fill> {
        Some(fill_of(placed))
    }

    async fn send(&self) -> Result<(Order, String), WriteFailure> {
        match self.venue.client.orders().place(&self.spec).await {
            Ok(placed) => {
                let detail = format!(
                    "order {} clientId {}",
                    placed.id.as_str(),
                    placed.client_id.map_or(0, |c| c.get())
                );
                Ok((placed, detail))
            }
            Err(error) => {
                let mut message = backpack_error(&error);
                if matches!(error.outcome(), SdkOutcome::Unknown | SdkOutcome::Accepted)
                    && let Some(id) = self.spec.client_id()
                {
                    message.push_str(&format!(
                        "; call backpack_get_order with symbol {} and clientId {id} to find out whether it exists",
                        self.spec.symbol().as_str()
                    ));
                }
                Err(WriteFailure::new(outcome(&error), message).refined(backpack_code(&error)))
            }
        }
    }
}

/// What an order had executed when the exchange answered.
pub(crate) fn fill_of(order: &Order) -> Fill {
    let filled = order.executed_quantity.value();
    let quote = order.executed_quote_quantity.value();
    Fill {
        status: serde_json::to_value(&order.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        filled: filled.normalize().to_string(),
        average_price: quote
            .checked_div(filled)
            .filter(|_| !filled.is_zero())
            .map(|p| p.normalize().to_string()),
    }
}

/// The warnings about where a limit price stands against the book.
fn price_warnings(spec: &OrderSpec, depth: &Depth) -> Vec<String> {
    let mut warnings = Vec::new();
    let Some(price) = spec.price() else {
        return warnings;
    };
    let post_only = matches!(
        spec.kind(),
        OrderKind::Limit {
            post_only: true,
            ..
        }
    );
    let crosses = match spec.side() {
        Side::Bid => depth.best_ask().is_some_and(|ask| price >= ask.price()),
        _ => depth.best_bid().is_some_and(|bid| price <= bid.price()),
    };
    if crosses && spec.trigger().is_none() {
        warnings.push(if post_only {
            "post-only order crosses the book: the exchange will reject it".into()
        } else {
            "marketable: this limit order trades immediately against the book".into()
        });
    }
    if let Some(mid) = depth
        .best_bid()
        .zip(depth.best_ask())
        .and_then(|(b, a)| b.price().value().checked_add(a.price().value()))
        .map(|sum| sum / Decimal::TWO)
        && !mid.is_zero()
        && let Some(away) = price
            .value()
            .checked_sub(mid)
            .and_then(|d| d.checked_div(mid))
            .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
            .map(|r| r.abs())
        && away > Decimal::from(FAR_FROM_MARKET_PCT)
    {
        warnings.push(format!(
            "far from the market: the price is {}% from the mid {}",
            away.round_dp(1),
            mid.round_dp(4)
        ));
    }
    warnings
}

impl TradingServer {
    /// Parses, rounds to the market and reads the market; returns the prepared order, the
    /// market, the depth, the last price and what rounding changed.
    async fn prepare_backpack(
        &self,
        payload: OrderExecutePayload,
    ) -> Result<(OrderSpec, Market, Option<Depth>, Option<Price>, Vec<String>), ToolError> {
        let spec = OrderSpec::try_from(payload)
            .map_err(|e| ToolError::invalid(format!("{e}; fix the order and preview it again")))?;
        let venue = self.state.backpack().await?;
        let markets = venue.client.markets();
        let market = markets
            .get(spec.symbol().clone())
            .await
            .map_err(|e| backpack_failure(&e))?;
        let last = markets
            .ticker(spec.symbol().clone(), None)
            .await
            .ok()
            .map(|t| t.last_price);
        let depth = markets.depth(spec.symbol().clone(), None).await.ok();
        let fitted = spec
            .fit_to(&market, last)
            .map_err(|e| ToolError::invalid(format!("{e}; fix the order and preview it again")))?;
        let adjustments = fitted
            .adjustments
            .iter()
            .map(|a| format!("{}: {} -> {} ({})", a.field, a.from, a.to, a.reason))
            .collect();
        let prepared = venue.client.orders().prepare(&fitted.spec);
        Ok((prepared, market, depth, last, adjustments))
    }

    /// The fee rate that applies to `spec`, in basis points, when the account says.
    async fn backpack_fee_rate(&self, spec: &OrderSpec, market: &Market) -> Option<Decimal> {
        let venue = self.state.backpack().await.ok()?;
        let settings = venue.client.account().settings().await.ok()?;
        let post_only = matches!(
            spec.kind(),
            OrderKind::Limit {
                post_only: true,
                ..
            }
        );
        match (market.is_derivative(), post_only) {
            (true, true) => settings.futures_maker_fee,
            (true, false) => settings.futures_taker_fee,
            (false, true) => settings.spot_maker_fee,
            (false, false) => settings.spot_taker_fee,
        }
        .map(|rate| rate.value())
    }
}

#[tool_router(router = backpack_trading_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "Check a Backpack order without sending it: rounds it, computes the most it can execute for (exposure) and the fee, warns, and returns a single-use confirmationToken. Show it to the person first.",
        annotations(read_only_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<BackpackPreview>()
    )]
    async fn backpack_preview_order(
        &self,
        Parameters(p): Parameters<PreviewParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let (spec, market, depth, last, adjustments) = match self.prepare_backpack(p.order).await {
            Ok(prepared) => prepared,
            Err(error) => return Ok(error.into()),
        };
        let exposure = valued(&self.state, &spec, &market, depth.as_ref(), last);
        let mut warnings = depth
            .as_ref()
            .map_or_else(Vec::new, |depth| price_warnings(&spec, depth));
        if depth.is_none() {
            warnings.push("the order book could not be read".into());
        }
        warnings.extend(flow::exposure_warnings(
            &exposure,
            &self.state,
            Venue::Backpack,
        ));
        let venue = match self.state.backpack().await {
            Ok(venue) => venue,
            Err(error) => return Ok(error.into()),
        };
        if let Ok(balances) = venue.client.account().balances().await
            && let Some(problem) = unaffordable(&spec, &market, exposure.value, &balances)
        {
            return Ok(ToolError::invalid(problem).into());
        }
        let fee_rate = self.backpack_fee_rate(&spec, &market).await;
        let estimated_fee = fee_rate
            .zip(exposure.value)
            .and_then(|(bps, n)| n.checked_mul(bps)?.checked_div(Decimal::from(10_000)))
            .map(|fee| Notional::new(fee.round_dp(8).normalize()));
        if fee_rate.is_none() {
            warnings.push("the account's fee rate is unknown; no fee estimate".into());
        }
        let order = OrderExecutePayload::from(&spec);
        let canonical = match serde_json::to_value(&order) {
            Ok(value) => value,
            Err(error) => {
                return Ok(ToolError::new(
                    ErrorCode::Internal,
                    format!("the order could not be encoded: {error}"),
                )
                .into());
            }
        };
        let caps = match flow::preview_caps(
            &self.state,
            &ctx,
            "backpack_preview_order",
            Venue::Backpack,
            spec.symbol().as_str(),
            &exposure,
            &canonical,
        )
        .await
        {
            Ok(caps) => caps,
            Err(error) => return Ok(error.into()),
        };
        let token = flow::issue_token(&self.state, &ctx, Venue::Backpack, canonical);
        Ok(structured(&BackpackPreview {
            order,
            mode: self.state.config.mode(Venue::Backpack),
            reference_price: depth.as_ref().and_then(|d| touch(d, spec.side())).or(last),
            exposure,
            estimated_fee,
            adjustments,
            warnings,
            caps,
            confirmation_token: token,
            expires_in_secs: self.state.tokens.ttl().as_secs(),
        }))
    }

    #[tool(
        description = "Place a Backpack order previewed with backpack_preview_order, after the person confirmed it. Needs the preview's order and confirmationToken, unchanged, in the same session.",
        annotations(read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true),
        output_schema = schema_for_output::<BackpackPlaced>()
    )]
    async fn backpack_create_order(
        &self,
        Parameters(p): Parameters<CreateParams>,
        ctx: RequestContext<RoleServer>,
        RequestState(request_state): RequestState,
        InputResponses(responses): InputResponses,
    ) -> Result<CallToolResponse, ErrorData> {
        let spec = match OrderSpec::try_from(p.order) {
            Ok(spec) => spec,
            Err(error) => {
                self.state.tokens.void(&p.confirmation_token);
                return Ok(ToolError::invalid(format!("{error}; nothing was sent")).into());
            }
        };
        let canonical = match serde_json::to_value(OrderExecutePayload::from(&spec)) {
            Ok(value) => value,
            Err(error) => {
                return Ok(ToolError::new(
                    ErrorCode::Internal,
                    format!("the order could not be encoded: {error}; nothing was sent"),
                )
                .into());
            }
        };
        let venue = match self.state.backpack().await {
            Ok(venue) => venue,
            Err(error) => {
                return Ok(error
                    .map_message(|message| format!("{message}; nothing was sent"))
                    .into());
            }
        };
        let order = BackpackOrder {
            state: &self.state,
            venue,
            spec,
            canonical,
        };
        let answer = Answer {
            request_state: request_state.as_deref(),
            responses: responses.as_ref(),
        };
        let placement = flow::place(&self.state, &ctx, &order, &p.confirmation_token, answer).await;
        Ok(flow::respond(placement, |done| BackpackPlaced {
            order: done.value,
            correlation_id: done.correlation_id,
        }))
    }

    #[tool(
        description = "Cancel one open Backpack order by orderId or clientId. Works while the kill switch is engaged.",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<BackpackCancelled>()
    )]
    async fn backpack_cancel_order(
        &self,
        Parameters(p): Parameters<OrderParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let order = match p.order_ref() {
            Ok(order) => order,
            Err(message) => return Ok(ToolError::invalid(message).into()),
        };
        let request = serde_json::json!({ "symbol": p.symbol, "orderId": p.order_id, "clientId": p.client_id });
        self.cancel_backpack(
            &ctx,
            "backpack_cancel_order",
            p.symbol.clone(),
            request,
            |venue| async move {
                venue
                    .client
                    .orders()
                    .cancel(p.symbol, order)
                    .await
                    .map(|outcome| match outcome {
                        backpack_sdk::model::CancelOutcome::Cancelled(order) => {
                            (vec![order], false)
                        }
                        backpack_sdk::model::CancelOutcome::Accepted => (Vec::new(), true),
                    })
            },
        )
        .await
    }

    #[tool(
        description = "Cancel every open Backpack order of one market. On a real venue the person confirms it: the first call returns a confirmationToken, the second call (with it) asks or cancels.",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<BackpackCancelled>()
    )]
    async fn backpack_cancel_all_orders(
        &self,
        Parameters(p): Parameters<CancelAllParams>,
        ctx: RequestContext<RoleServer>,
        RequestState(request_state): RequestState,
        InputResponses(responses): InputResponses,
    ) -> Result<CallToolResponse, ErrorData> {
        let request = serde_json::json!({ "cancelAll": p.symbol });
        if !self.state.config.mode(Venue::Backpack).is_local() {
            let session = session_of(&ctx);
            let Some(token) = p.confirmation_token else {
                let token = self
                    .state
                    .tokens
                    .issue(Venue::Backpack, request.clone(), &session);
                return Ok(ToolError::new(
                    ErrorCode::ConfirmationRequired,
                    format!(
                        "cancelling every open order on {} needs the person's confirmation: show them, and after they agree call backpack_cancel_all_orders again with confirmationToken {token}. Nothing was cancelled",
                        p.symbol.as_str()
                    ),
                )
                .into());
            };
            let message = format!(
                "{} ({}): cancel EVERY open order on {}?",
                Venue::Backpack.as_str(),
                self.state.config.mode(Venue::Backpack).as_str(),
                p.symbol.as_str()
            );
            let pending = Pending {
                token: &token,
                venue: Venue::Backpack,
                order: &request,
                session: &session,
                message: &message,
            };
            let policy = Policy {
                confirm: self.state.config.backpack.confirm,
                timeout: self.state.config.confirm_timeout,
            };
            let answer = Answer {
                request_state: request_state.as_deref(),
                responses: responses.as_ref(),
            };
            match confirm(&ctx, &self.state.tokens, policy, pending, answer).await {
                Confirmation::Confirmed => {}
                Confirmation::Ask(question) => {
                    return Ok(CallToolResponse::InputRequired(*question));
                }
                Confirmation::Refused(refused) => return Ok(refused.into()),
            }
        }
        self.cancel_backpack(
            &ctx,
            "backpack_cancel_all_orders",
            p.symbol.clone(),
            request,
            |venue| async move {
                venue.client.orders().cancel_all(p.symbol, None).await.map(
                    |outcome| match outcome {
                        backpack_sdk::model::CancelOutcome::Cancelled(orders) => (orders, false),
                        backpack_sdk::model::CancelOutcome::Accepted => (Vec::new(), true),
                    },
                )
            },
        )
        .await
    }
}

impl TradingServer {
    async fn cancel_backpack<F, Fut>(
        &self,
        ctx: &RequestContext<RoleServer>,
        tool: &'static str,
        symbol: Symbol,
        request: serde_json::Value,
        send: F,
    ) -> Result<CallToolResponse, ErrorData>
    where
        F: FnOnce(Arc<BackpackVenue>) -> Fut,
        Fut: Future<Output = Result<(Vec<Order>, bool), SdkError>>,
    {
        let venue = match self.state.backpack().await {
            Ok(venue) => venue,
            Err(error) => {
                return Ok(error
                    .map_message(|message| format!("{message}; nothing was sent"))
                    .into());
            }
        };
        let max = self.state.config.max_items;
        let written = flow::cancel(
            &self.state,
            ctx,
            Venue::Backpack,
            tool,
            symbol.as_str().to_owned(),
            request,
            || async {
                match send(venue).await {
                    Ok((orders, pending)) => {
                        let detail = if pending {
                            "cancel queued".to_owned()
                        } else {
                            format!("{} cancelled", orders.len())
                        };
                        Ok(((orders, pending), detail))
                    }
                    Err(error) => Err(WriteFailure::new(outcome(&error), backpack_error(&error))
                        .refined(backpack_code(&error))),
                }
            },
        )
        .await;
        Ok(match written {
            Ok(Written {
                value: (orders, pending),
                correlation_id,
            }) => structured(&BackpackCancelled {
                orders: bounded(orders, max, "list the rest with backpack_list_orders"),
                pending,
                correlation_id,
            }),
            Err(error) => error.into(),
        })
    }
}
