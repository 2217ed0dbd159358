//! IBKR tools that read: quotes and bars (market), account status, PnL and order status
//! (account).

use ibkr_sdk::{
    AccountSummary, Bar, BarsRequest, ContractSpec, OrderId, OrderReport, PnlReport, Position,
    Quote,
};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Json, Listed, Parameters, bounded};
use crate::error::{ToolError, ibkr_code};
use crate::server::TradingServer;

/// Most contracts one quote call takes.
const MAX_QUOTES: usize = 20;

/// Most bars one history call returns (the most recent).
const MAX_BARS: usize = 300;

/// What to tell the model about an IBKR error.
pub(crate) fn ibkr_error(error: &ibkr_sdk::Error) -> String {
    let text = error.to_string();
    match error {
        ibkr_sdk::Error::UnknownContract(_) => format!(
            "{text}; check the symbol, sec_type (STK, FUT, OPT, IND, CASH), exchange and currency"
        ),
        ibkr_sdk::Error::AmbiguousContract { .. } => text,
        _ => text,
    }
}

/// An IBKR SDK error as a tool error, with its code.
pub(crate) fn ibkr_failure(error: &ibkr_sdk::Error) -> ToolError {
    ToolError::new(ibkr_code(error), ibkr_error(error))
}

/// Contracts to quote.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteParams {
    /// One to 20 contracts, e.g. `{"symbol": "AAPL", "sec_type": "STK"}`; futures without an
    /// expiry are the front month.
    pub contracts: Vec<ContractSpec>,
}

/// One contract's quote, or why there is none.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuoteItem {
    /// The contract asked for.
    pub contract: ContractSpec,
    /// The quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<Quote>,
    /// Why there is no quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Bars to fetch.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// The contract.
    pub contract: ContractSpec,
    /// Bar size and duration in plain words (`"5 min"`, `"1 D"`), what to show, RTH only.
    pub bars: BarsRequest,
}

/// Bars of a contract.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BarsView {
    /// What they are of.
    pub contract: String,
    /// Bar size, IBKR's notation.
    pub bar_size: String,
    /// Duration, IBKR's notation.
    pub duration: String,
    /// The bars, oldest first (the most recent ones when there are too many).
    pub bars: Listed<Bar>,
}

/// The account at a glance.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AccountStatus {
    /// Net liquidation, cash, buying power, margins.
    pub summary: AccountSummary,
    /// Positions with value and PnL.
    pub positions: Listed<Position>,
}

/// PnL, bounded.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PnlView {
    /// Totals and per position.
    pub pnl: PnlReport,
    /// Present when positions were left out of `by_symbol`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated: Option<String>,
}

/// Orders to look up.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatusParams {
    /// Order ids (a bracket's three, say); none: every working order of this connection.
    #[serde(default)]
    pub order_ids: Vec<OrderId>,
}

/// One order's status, or why it cannot be given.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    /// The order id.
    pub order_id: OrderId,
    /// The order as IBKR reports it, with fills.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<OrderReport>,
    /// Why there is no report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl OrderItem {
    /// The item of order `order_id`: its report, or why there is none.
    pub(crate) fn new(order_id: OrderId, result: Result<OrderReport, ibkr_sdk::Error>) -> Self {
        match result {
            Ok(report) => Self {
                order_id,
                report: Some(report),
                error: None,
            },
            Err(error) => Self {
                order_id,
                report: None,
                error: Some(ibkr_error(&error)),
            },
        }
    }
}

#[tool_router(router = ibkr_market_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "IBKR quote snapshots: bid, ask, last, sizes, live or delayed. Up to 20 contracts.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn ibkr_get_quote(
        &self,
        Parameters(p): Parameters<QuoteParams>,
    ) -> Result<Json<Listed<QuoteItem>>, ToolError> {
        if p.contracts.is_empty() || p.contracts.len() > MAX_QUOTES {
            return Err(ToolError::invalid(format!(
                "give 1 to {MAX_QUOTES} contracts, got {}",
                p.contracts.len()
            )));
        }
        let venue = self.state.ibkr().await?;
        let quotes = venue.client.market_data().quotes(&p.contracts).await;
        let items = p
            .contracts
            .into_iter()
            .zip(quotes)
            .map(|(contract, quote)| match quote {
                Ok(quote) => QuoteItem {
                    contract,
                    quote: Some(quote),
                    error: None,
                },
                Err(error) => QuoteItem {
                    contract,
                    quote: None,
                    error: Some(ibkr_error(&error)),
                },
            })
            .collect();
        Ok(Json(bounded(items, MAX_QUOTES, "")))
    }

    #[tool(
        description = "IBKR historical bars, e.g. bar_size \"5 min\", duration \"1 D\".",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn ibkr_get_historical_data(
        &self,
        Parameters(p): Parameters<HistoryParams>,
    ) -> Result<Json<BarsView>, ToolError> {
        let venue = self.state.ibkr().await?;
        let bars = venue
            .client
            .market_data()
            .bars(&p.contract, &p.bars)
            .await
            .map_err(|e| ibkr_failure(&e))?;
        let total = bars.bars.len();
        let mut recent = bars.bars;
        if total > MAX_BARS {
            recent.drain(..total - MAX_BARS);
        }
        let mut listed = bounded(recent, MAX_BARS, "");
        listed.total = total;
        if total > MAX_BARS {
            listed.truncated = Some(format!(
                "showing the last {MAX_BARS} of {total} bars; ask for a shorter duration or larger bars"
            ));
        }
        Ok(Json(BarsView {
            contract: bars.contract,
            bar_size: bars.bar_size,
            duration: bars.duration,
            bars: listed,
        }))
    }
}

#[tool_router(router = ibkr_account_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "IBKR account summary (net liquidation, cash, buying power, margins) and positions with value and PnL.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn ibkr_get_account_status(&self) -> Result<Json<AccountStatus>, ToolError> {
        let venue = self.state.ibkr().await?;
        let account = venue.client.account();
        let summary = account.summary().await.map_err(|e| ibkr_failure(&e))?;
        let positions = account.positions().await.map_err(|e| ibkr_failure(&e))?;
        Ok(Json(AccountStatus {
            summary,
            positions: bounded(
                positions.into_values().collect(),
                self.state.config.max_items,
                "positions beyond the limit are not shown",
            ),
        }))
    }

    #[tool(
        description = "IBKR PnL: daily, unrealized and realized, in total and per position.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn ibkr_get_pnl(&self) -> Result<Json<PnlView>, ToolError> {
        let venue = self.state.ibkr().await?;
        let mut pnl = venue
            .client
            .account()
            .pnl()
            .await
            .map_err(|e| ibkr_failure(&e))?;
        let max = self.state.config.max_items;
        let truncated = (pnl.by_symbol.len() > max).then(|| {
            let total = pnl.by_symbol.len();
            pnl.by_symbol.truncate(max);
            format!("showing {max} of {total} positions")
        });
        Ok(Json(PnlView { pnl, truncated }))
    }

    #[tool(
        description = "Status of IBKR orders by id, with fills and commissions; no ids: every working order.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn ibkr_get_order_status(
        &self,
        Parameters(p): Parameters<StatusParams>,
    ) -> Result<Json<Listed<OrderItem>>, ToolError> {
        let venue = self.state.ibkr().await?;
        let max = self.state.config.max_items;
        let items: Vec<OrderItem> = if p.order_ids.is_empty() {
            venue
                .client
                .orders()
                .open_orders()
                .await
                .map_err(|e| ibkr_failure(&e))?
                .into_iter()
                .map(|report| OrderItem {
                    order_id: report.order_id,
                    report: Some(report),
                    error: None,
                })
                .collect()
        } else {
            if p.order_ids.len() > max {
                return Err(ToolError::invalid(format!("give at most {max} order ids")));
            }
            let found = venue
                .client
                .orders()
                .statuses(&p.order_ids)
                .await
                .map_err(|e| ibkr_failure(&e))?;
            p.order_ids
                .iter()
                .zip(found)
                .map(|(id, result)| OrderItem::new(*id, result))
                .collect()
        };
        Ok(Json(bounded(items, max, "ask for specific order ids")))
    }
}
