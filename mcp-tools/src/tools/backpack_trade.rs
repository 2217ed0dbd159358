//! Backpack tools that write: preview (normalise, value, warn, issue a token), create (only
//! with the token of exactly that order), cancel one, cancel all.

use backpack_sdk::model::{
    Balances, Depth, Market, Notional, Order, OrderExecutePayload, Price, Side, Symbol,
};
use backpack_sdk::spec::{MarketSize, OrderKind, OrderSpec};
use backpack_sdk::{Error as SdkError, Outcome as SdkOutcome};
use rmcp::handler::server::common::schema_for_output;
use rmcp::handler::server::tool::{InputResponses, RequestState};
use rmcp::model::CallToolResponse;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use std::future::Future;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::backpack_read::{OrderParams, SymbolParams, backpack_error};
use super::{Listed, Parameters, bounded, failure, structured};
use crate::config::{Mode, Venue};
use crate::confirm::{Answer, Confirmation, Pending, confirm};
use crate::safety::caps::CapUsage;
use crate::safety::journal::WriteOutcome;
use crate::server::TradingServer;
use crate::write::{WriteFailure, WriteRequest, write};

/// How far from the last price a limit price may be before the preview warns.
const FAR_FROM_MARKET_PCT: i64 = 5;

/// An order to preview.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    /// The order in Backpack's own fields: `symbol`, `side` (`Bid` buys, `Ask` sells),
    /// `orderType` (`Limit` or `Market`), `quantity` or (market) `quoteQuantity`, `price`
    /// (limit), `timeInForce`, `postOnly`, `reduceOnly` (perps), `clientId`, triggers.
    pub order: OrderExecutePayload,
}

/// An order to place.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateParams {
    /// Exactly the `order` object the preview returned (its fields are described by
    /// `backpack_preview_order`).
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub order: OrderExecutePayload,
    /// The preview's `confirmationToken` (single use, short-lived).
    pub confirmation_token: String,
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
    /// The price the value is estimated at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_price: Option<Price>,
    /// Estimated value, in the quote asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_notional: Option<Notional>,
    /// Estimated fee, in the quote asset.
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

fn outcome(error: &SdkError) -> WriteOutcome {
    match error.outcome() {
        SdkOutcome::NotSent => WriteOutcome::NotSent,
        SdkOutcome::Rejected => WriteOutcome::Rejected,
        SdkOutcome::Accepted => WriteOutcome::Accepted,
        SdkOutcome::Unknown => WriteOutcome::Unknown,
    }
}

fn decimal_text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// The touch an order would trade at: the best ask for a buy, the best bid for a sell.
fn touch(depth: &Depth, side: &Side) -> Option<Price> {
    match side {
        Side::Bid => depth.best_ask().map(|level| level.price()),
        _ => depth.best_bid().map(|level| level.price()),
    }
}

/// The order's value: its own price, its trigger price, or the touch.
fn estimate(spec: &OrderSpec, depth: Option<&Depth>) -> (Option<Price>, Option<Decimal>) {
    let trigger = spec.trigger().map(|t| t.price);
    match spec.kind() {
        OrderKind::Limit {
            price, quantity, ..
        } => (Some(*price), price.value().checked_mul(quantity.value())),
        OrderKind::Market {
            size: MarketSize::Quote(amount),
        } => (None, Some(amount.value())),
        OrderKind::Market {
            size: MarketSize::Base(quantity),
        } => {
            let price = trigger.or_else(|| depth.and_then(|d| touch(d, spec.side())));
            (
                price,
                price.and_then(|p| p.value().checked_mul(quantity.value())),
            )
        }
    }
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

fn describe(spec: &OrderSpec, mode: Mode, notional: Option<Decimal>) -> String {
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
    let value = notional.map_or_else(String::new, |n| format!(", about {}", decimal_text(n)));
    format!(
        "Backpack ({}): {side} {} {what}{value}. Send this order?",
        mode.as_str(),
        spec.symbol().as_str()
    )
}

impl TradingServer {
    /// Parses, rounds to the market and values an order; returns the prepared order, the
    /// market, the depth and what rounding changed.
    async fn prepare_backpack(
        &self,
        payload: OrderExecutePayload,
    ) -> Result<(OrderSpec, Market, Option<Depth>, Vec<String>), String> {
        let spec = OrderSpec::try_from(payload)
            .map_err(|e| format!("{e}; fix the order and preview it again"))?;
        let venue = self.state.backpack().await?;
        let market = venue
            .client
            .markets()
            .get(spec.symbol().clone())
            .await
            .map_err(|e| backpack_error(&e))?;
        let ticker = venue
            .client
            .markets()
            .ticker(spec.symbol().clone(), None)
            .await
            .ok();
        let depth = venue
            .client
            .markets()
            .depth(spec.symbol().clone(), None)
            .await
            .ok();
        let reference = ticker.as_ref().map(|t| t.last_price);
        let fitted = spec
            .fit_to(&market, reference)
            .map_err(|e| format!("{e}; fix the order and preview it again"))?;
        let adjustments = fitted
            .adjustments
            .iter()
            .map(|a| format!("{}: {} -> {} ({})", a.field, a.from, a.to, a.reason))
            .collect();
        let prepared = venue.client.orders().prepare(&fitted.spec);
        Ok((prepared, market, depth, adjustments))
    }
}

#[tool_router(router = backpack_trading_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "Check a Backpack order without sending it: rounds it to the market, estimates value and fee, warns, and returns a single-use confirmationToken. Show the preview to the person before creating the order.",
        annotations(read_only_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<BackpackPreview>()
    )]
    async fn backpack_preview_order(
        &self,
        Parameters(p): Parameters<PreviewParams>,
    ) -> Result<CallToolResponse, ErrorData> {
        let (spec, market, depth, adjustments) = match self.prepare_backpack(p.order).await {
            Ok(prepared) => prepared,
            Err(message) => return Ok(failure(message)),
        };
        let (reference_price, notional) = estimate(&spec, depth.as_ref());
        let mode = self.state.config.backpack.mode;
        let mut warnings = Vec::new();
        if let (Some(price), Some(depth)) = (spec.price(), depth.as_ref()) {
            let crosses = match spec.side() {
                Side::Bid => depth.best_ask().is_some_and(|ask| price >= ask.price()),
                _ => depth.best_bid().is_some_and(|bid| price <= bid.price()),
            };
            if crosses {
                let post_only = matches!(
                    spec.kind(),
                    OrderKind::Limit {
                        post_only: true,
                        ..
                    }
                );
                warnings.push(if post_only {
                    "post-only order crosses the book: the exchange will reject it".into()
                } else {
                    "marketable: this limit order trades immediately against the book".into()
                });
            }
            if let Some(mid) = depth
                .best_bid()
                .zip(depth.best_ask())
                .map(|(b, a)| (b.price().value() + a.price().value()) / Decimal::TWO)
                && !mid.is_zero()
            {
                let away = ((price.value() - mid) / mid * Decimal::ONE_HUNDRED).abs();
                if away > Decimal::from(FAR_FROM_MARKET_PCT) {
                    warnings.push(format!(
                        "far from the market: the price is {}% from the mid {}",
                        away.round_dp(1),
                        mid.round_dp(4)
                    ));
                }
            }
        }
        if depth.is_none() {
            warnings.push("the order book could not be read; the value is an estimate".into());
        }
        let venue = match self.state.backpack().await {
            Ok(venue) => venue,
            Err(message) => return Ok(failure(message)),
        };
        if let Ok(balances) = venue.client.account().balances().await
            && let Some(problem) = unaffordable(&spec, &market, notional, &balances)
        {
            return Ok(failure(problem));
        }
        let fee_rate = match venue.client.account().settings().await {
            Ok(settings) => {
                let post_only = matches!(
                    spec.kind(),
                    OrderKind::Limit {
                        post_only: true,
                        ..
                    }
                );
                let perp = market.is_derivative();
                match (perp, post_only) {
                    (true, true) => settings.futures_maker_fee,
                    (true, false) => settings.futures_taker_fee,
                    (false, true) => settings.spot_maker_fee,
                    (false, false) => settings.spot_taker_fee,
                }
            }
            Err(_) => None,
        };
        let estimated_fee = fee_rate
            .zip(notional)
            .and_then(|(bps, n)| {
                n.checked_mul(bps.value())?
                    .checked_div(Decimal::from(10_000))
            })
            .map(|fee| Notional::new(fee.round_dp(8).normalize()));
        if fee_rate.is_none() {
            warnings.push("the account's fee rate is unknown; no fee estimate".into());
        }
        let caps = {
            let now = chrono::Utc::now();
            let mut lock = self.state.caps(Venue::Backpack).lock().await;
            if let Err(reason) = lock.check(spec.symbol().as_str(), notional, now) {
                return Ok(failure(format!(
                    "this order would be refused by the server's limits: {reason}"
                )));
            }
            lock.usage(now)
        };
        if let (Some(cap), Some(n)) = (
            self.state.caps(Venue::Backpack).caps().max_order_notional,
            notional,
        ) && !cap.is_zero()
        {
            warnings.push(format!(
                "uses {}% of the per-order cap of {cap}",
                (n / cap * Decimal::ONE_HUNDRED).round_dp(1)
            ));
        }
        if mode == Mode::Live {
            warnings.push("LIVE: this order trades real money".into());
        }
        let order = OrderExecutePayload::from(&spec);
        let canonical = match serde_json::to_value(&order) {
            Ok(value) => value,
            Err(error) => return Ok(failure(format!("the order could not be encoded: {error}"))),
        };
        let token = self.state.tokens.issue(Venue::Backpack, canonical);
        Ok(structured(&BackpackPreview {
            order,
            mode,
            reference_price,
            estimated_notional: notional.map(|n| Notional::new(n.normalize())),
            estimated_fee,
            adjustments,
            warnings,
            caps,
            confirmation_token: token,
            expires_in_secs: self.state.tokens.ttl().as_secs(),
        }))
    }

    #[tool(
        description = "Place a Backpack order previewed with backpack_preview_order, after the person confirmed it. Needs the preview's order and confirmationToken, unchanged.",
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
        if self.state.kill_switch.engaged() {
            return Ok(failure(self.state.kill_switch.refusal()));
        }
        let spec = match OrderSpec::try_from(p.order) {
            Ok(spec) => spec,
            Err(error) => return Ok(failure(format!("{error}; nothing was sent"))),
        };
        let order = OrderExecutePayload::from(&spec);
        let canonical = match serde_json::to_value(&order) {
            Ok(value) => value,
            Err(error) => {
                return Ok(failure(format!(
                    "the order could not be encoded: {error}; nothing was sent"
                )));
            }
        };
        let venue = match self.state.backpack().await {
            Ok(venue) => venue,
            Err(message) => return Ok(failure(format!("{message}; nothing was sent"))),
        };
        let depth = match spec.kind() {
            OrderKind::Market {
                size: MarketSize::Base(_),
            } if spec.trigger().is_none() => venue
                .client
                .markets()
                .depth(spec.symbol().clone(), None)
                .await
                .ok(),
            _ => None,
        };
        let (_, notional) = estimate(&spec, depth.as_ref());
        let mode = self.state.config.backpack.mode;
        let message = describe(&spec, mode, notional);
        match confirm(
            &ctx,
            &self.state.tokens,
            Pending {
                token: &p.confirmation_token,
                venue: Venue::Backpack,
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
            venue: Venue::Backpack,
            tool: "backpack_create_order",
            symbol: spec.symbol().as_str().to_owned(),
            notional,
            capped: true,
            request: canonical,
        };
        let client_id = spec.client_id();
        let written = write(&self.state, request, || async {
            match venue.client.orders().place(&spec).await {
                Ok(placed) => {
                    let detail = format!("order {} clientId {}", placed.id.as_str(), placed.client_id.map_or(0, |c| c.get()));
                    Ok((placed, detail))
                }
                Err(error) => {
                    let mut message = backpack_error(&error);
                    if matches!(error.outcome(), SdkOutcome::Unknown | SdkOutcome::Accepted)
                        && let Some(id) = client_id
                    {
                        message.push_str(&format!(
                            "; call backpack_get_order with symbol {} and clientId {id} to find out whether it exists",
                            spec.symbol().as_str()
                        ));
                    }
                    Err(WriteFailure { outcome: outcome(&error), message })
                }
            }
        })
        .await;
        Ok(match written {
            Ok(done) => structured(&BackpackPlaced {
                order: done.value,
                correlation_id: done.correlation_id,
            }),
            Err(message) => failure(message),
        })
    }

    #[tool(
        description = "Cancel one open Backpack order by orderId or clientId.",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<BackpackCancelled>()
    )]
    async fn backpack_cancel_order(
        &self,
        Parameters(p): Parameters<OrderParams>,
    ) -> Result<CallToolResponse, ErrorData> {
        let order = match p.order_ref() {
            Ok(order) => order,
            Err(message) => return Ok(failure(message)),
        };
        self.cancel_backpack("backpack_cancel_order", p.symbol.clone(), serde_json::json!({ "symbol": p.symbol, "orderId": p.order_id, "clientId": p.client_id }), |venue| async move {
            venue.client.orders().cancel(p.symbol, order).await.map(|outcome| match outcome {
                backpack_sdk::model::CancelOutcome::Cancelled(order) => (vec![order], false),
                backpack_sdk::model::CancelOutcome::Accepted => (Vec::new(), true),
            })
        })
        .await
    }

    #[tool(
        description = "Cancel every open Backpack order of one market.",
        annotations(read_only_hint = false, destructive_hint = false, idempotent_hint = true, open_world_hint = true),
        output_schema = schema_for_output::<BackpackCancelled>()
    )]
    async fn backpack_cancel_all_orders(
        &self,
        Parameters(p): Parameters<SymbolParams>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.cancel_backpack(
            "backpack_cancel_all_orders",
            p.symbol.clone(),
            serde_json::json!({ "symbol": p.symbol }),
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
        tool: &'static str,
        symbol: Symbol,
        request: serde_json::Value,
        send: F,
    ) -> Result<CallToolResponse, ErrorData>
    where
        F: FnOnce(std::sync::Arc<crate::venues::backpack::BackpackVenue>) -> Fut,
        Fut: Future<Output = Result<(Vec<Order>, bool), SdkError>>,
    {
        let venue = match self.state.backpack().await {
            Ok(venue) => venue,
            Err(message) => return Ok(failure(format!("{message}; nothing was sent"))),
        };
        let request = WriteRequest {
            venue: Venue::Backpack,
            tool,
            symbol: symbol.as_str().to_owned(),
            notional: None,
            capped: false,
            request,
        };
        let max = self.state.config.max_items;
        let written = write(&self.state, request, || async {
            match send(venue).await {
                Ok((orders, pending)) => {
                    let detail = if pending {
                        "cancel queued".to_owned()
                    } else {
                        format!("{} cancelled", orders.len())
                    };
                    Ok(((orders, pending), detail))
                }
                Err(error) => Err(WriteFailure {
                    outcome: outcome(&error),
                    message: backpack_error(&error),
                }),
            }
        })
        .await;
        Ok(match written {
            Ok(done) => {
                let (orders, pending) = done.value;
                structured(&BackpackCancelled {
                    orders: bounded(orders, max, "list the rest with backpack_list_orders"),
                    pending,
                    correlation_id: done.correlation_id,
                })
            }
            Err(message) => failure(message),
        })
    }
}
