//! Backpack tools that read: markets (no keys) and the account.

use backpack_sdk::api::history::{GetFillHistory, GetOrderHistory};
use backpack_sdk::api::orders::GetOpenOrders;
use backpack_sdk::model::{
    BalanceWithLent, ClientOrderId, Depth, Fill, FuturePosition, HistoricalOrder, Level, Market,
    MarketType, Order, OrderId, SortDirection, Symbol, Ticker,
};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Json, Listed, Parameters, bounded};
use crate::error::{ErrorCode, ToolError, backpack_code};
use crate::server::TradingServer;

/// What to tell the model about a Backpack error.
pub(crate) fn backpack_error(error: &backpack_sdk::Error) -> String {
    let text = error.to_string();
    if text.to_ascii_lowercase().contains("symbol") {
        format!("{text} (list the symbols with backpack_get_markets)")
    } else if error.is_not_found() {
        format!("{text} (check the symbol with backpack_get_markets, or the order id)")
    } else {
        text
    }
}

/// A Backpack SDK error as a tool error, with its code.
pub(crate) fn backpack_failure(error: &backpack_sdk::Error) -> ToolError {
    ToolError::new(backpack_code(error), backpack_error(error))
}

/// Markets to list.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MarketsParams {
    /// Only markets of this type (`SPOT`, `PERP`, ...).
    #[serde(default)]
    pub market_type: Option<MarketType>,
}

/// A market, by symbol.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SymbolParams {
    /// Market symbol, e.g. `SOL_USDC` or `SOL_USDC_PERP`.
    pub symbol: Symbol,
}

/// Order book request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepthParams {
    /// Market symbol.
    pub symbol: Symbol,
    /// Levels per side, best first (default 10, at most 100).
    #[serde(default)]
    pub levels: Option<u32>,
}

/// The top of an order book.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DepthView {
    /// Market symbol.
    pub symbol: Symbol,
    /// Bids, best (highest) first: `[price, quantity]`.
    pub bids: Vec<Level>,
    /// Asks, best (lowest) first.
    pub asks: Vec<Level>,
    /// Snapshot time, ms since the epoch.
    pub timestamp_ms: i64,
}

/// One order: by exchange id or client id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrderParams {
    /// Market symbol.
    pub symbol: Symbol,
    /// Exchange order id.
    #[serde(default)]
    pub order_id: Option<OrderId>,
    /// Client id given when the order was placed.
    #[serde(default)]
    pub client_id: Option<ClientOrderId>,
}

impl OrderParams {
    pub(crate) fn order_ref(&self) -> Result<backpack_sdk::model::OrderRef, String> {
        match (&self.order_id, self.client_id) {
            (Some(id), None) => Ok(id.clone().into()),
            (None, Some(id)) => Ok(id.into()),
            _ => Err("give exactly one of orderId or clientId".into()),
        }
    }
}

/// An order, open or finished.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OrderFound {
    /// The order if it is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<Order>,
    /// The order from the history if it is no longer open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<HistoricalOrder>,
}

/// Balances to show.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BalancesParams {
    /// Include assets whose every balance is zero (default false).
    #[serde(default)]
    pub show_zero_balances: Option<bool>,
}

impl TradingServer {
    /// The page size for a history query: the asked limit, at most the server's.
    fn history_limit(&self, asked: Option<u32>) -> (u32, Option<String>) {
        let max = u32::try_from(self.state.config.max_items).unwrap_or(u32::MAX);
        match asked {
            Some(limit) if limit > max => (
                max,
                Some(format!(
                    "limit lowered from {limit} to {max}; page with offset"
                )),
            ),
            Some(limit) => (limit.max(1), None),
            None => (max, None),
        }
    }
}

#[tool_router(router = backpack_market_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "Backpack markets with their tick and step sizes.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_get_markets(
        &self,
        Parameters(p): Parameters<MarketsParams>,
    ) -> Result<Json<Listed<Market>>, ToolError> {
        let venue = self.state.backpack().await?;
        let markets = venue
            .client
            .markets()
            .list(p.market_type)
            .await
            .map_err(|e| backpack_failure(&e))?;
        Ok(Json(bounded(
            markets,
            self.state.config.max_items,
            "filter with marketType",
        )))
    }

    #[tool(
        description = "24h ticker of a Backpack market: last price, change, high, low, volume.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_get_ticker(
        &self,
        Parameters(p): Parameters<SymbolParams>,
    ) -> Result<Json<Ticker>, ToolError> {
        let venue = self.state.backpack().await?;
        let ticker = venue
            .client
            .markets()
            .ticker(p.symbol, None)
            .await
            .map_err(|e| backpack_failure(&e))?;
        Ok(Json(ticker))
    }

    #[tool(
        description = "Order book of a Backpack market, best levels first.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_get_depth(
        &self,
        Parameters(p): Parameters<DepthParams>,
    ) -> Result<Json<DepthView>, ToolError> {
        let levels = usize::try_from(p.levels.unwrap_or(10).clamp(1, 100)).unwrap_or(10);
        let venue = self.state.backpack().await?;
        let depth: Depth = venue
            .client
            .markets()
            .depth(p.symbol.clone(), None)
            .await
            .map_err(|e| backpack_failure(&e))?;
        let mut bids = depth.bids_best_first();
        let mut asks = depth.asks_best_first();
        bids.truncate(levels);
        asks.truncate(levels);
        Ok(Json(DepthView {
            symbol: p.symbol,
            bids,
            asks,
            timestamp_ms: depth.timestamp.as_millis(),
        }))
    }
}

#[tool_router(router = backpack_account_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "Open Backpack orders, optionally of one symbol.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_list_orders(
        &self,
        Parameters(p): Parameters<GetOpenOrders>,
    ) -> Result<Json<Listed<Order>>, ToolError> {
        let venue = self.state.backpack().await?;
        let orders = venue
            .client
            .orders()
            .list_open(p.symbol, p.market_type)
            .await
            .map_err(|e| backpack_failure(&e))?;
        Ok(Json(bounded(
            orders,
            self.state.config.max_items,
            "filter by symbol",
        )))
    }

    #[tool(
        description = "One Backpack order by orderId or clientId: open, or from the history.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_get_order(
        &self,
        Parameters(p): Parameters<OrderParams>,
    ) -> Result<Json<OrderFound>, ToolError> {
        let order = p.order_ref().map_err(ToolError::invalid)?;
        let venue = self.state.backpack().await?;
        match venue.client.orders().get(p.symbol.clone(), order).await {
            Ok(open) => {
                return Ok(Json(OrderFound {
                    open: Some(open),
                    finished: None,
                }));
            }
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(backpack_failure(&error)),
        }
        let mut query = GetOrderHistory::new()
            .symbol(p.symbol.clone())
            .limit(200)
            .sort(SortDirection::Desc);
        if let Some(id) = &p.order_id {
            query = query.order_id(id.clone());
        }
        let history = venue
            .client
            .history()
            .orders(&query)
            .await
            .map_err(|e| backpack_failure(&e))?;
        let finished = history
            .into_iter()
            .find(|order| match (&p.order_id, p.client_id) {
                (Some(id), _) => &order.id == id,
                (None, Some(client)) => order.client_id == Some(client),
                (None, None) => false,
            });
        match finished {
            Some(order) => Ok(Json(OrderFound {
                open: None,
                finished: Some(order),
            })),
            None => Err(ToolError::new(
                ErrorCode::NotFound,
                format!(
                    "no order {} on {} (open or in the last 200 of the history)",
                    match (&p.order_id, p.client_id) {
                        (Some(id), _) => id.as_str().to_owned(),
                        (None, Some(client)) => format!("with clientId {client}"),
                        (None, None) => String::new(),
                    },
                    p.symbol.as_str()
                ),
            )),
        }
    }

    #[tool(
        description = "Open Backpack perpetual positions with entry, mark and PnL.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_list_positions(&self) -> Result<Json<Listed<FuturePosition>>, ToolError> {
        let venue = self.state.backpack().await?;
        let positions = venue
            .client
            .account()
            .positions(None)
            .await
            .map_err(|e| backpack_failure(&e))?;
        Ok(Json(bounded(
            positions,
            self.state.config.max_items,
            "positions beyond the limit are not shown",
        )))
    }

    #[tool(
        description = "Backpack balances per asset: available, locked, staked, lent, total.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_get_balances(
        &self,
        Parameters(p): Parameters<BalancesParams>,
    ) -> Result<Json<Listed<BalanceWithLent>>, ToolError> {
        let venue = self.state.backpack().await?;
        let mut balances = venue
            .client
            .account()
            .balances_with_lent()
            .await
            .map_err(|e| backpack_failure(&e))?;
        if !p.show_zero_balances.unwrap_or(false) {
            balances.retain(|b| !b.is_zero());
        }
        Ok(Json(bounded(
            balances,
            self.state.config.max_items,
            "balances beyond the limit are not shown",
        )))
    }

    #[tool(
        description = "Backpack order history (open and finished), newest first unless sortDirection says otherwise.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_order_history(
        &self,
        Parameters(mut p): Parameters<GetOrderHistory>,
    ) -> Result<Json<Listed<HistoricalOrder>>, ToolError> {
        let (limit, note) = self.history_limit(p.limit);
        p.limit = Some(limit);
        p.sort_direction = p.sort_direction.or(Some(SortDirection::Desc));
        let venue = self.state.backpack().await?;
        let orders = venue
            .client
            .history()
            .orders(&p)
            .await
            .map_err(|e| backpack_failure(&e))?;
        let mut listed = bounded(orders, self.state.config.max_items, "page with offset");
        listed.truncated = listed.truncated.or(note);
        Ok(Json(listed))
    }

    #[tool(
        description = "Backpack fills, newest first unless sortDirection says otherwise.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn backpack_fill_history(
        &self,
        Parameters(mut p): Parameters<GetFillHistory>,
    ) -> Result<Json<Listed<Fill>>, ToolError> {
        let (limit, note) = self.history_limit(p.limit);
        p.limit = Some(limit);
        p.sort_direction = p.sort_direction.or(Some(SortDirection::Desc));
        let venue = self.state.backpack().await?;
        let fills = venue
            .client
            .history()
            .fills(&p)
            .await
            .map_err(|e| backpack_failure(&e))?;
        let mut listed = bounded(fills, self.state.config.max_items, "page with offset");
        listed.truncated = listed.truncated.or(note);
        Ok(Json(listed))
    }
}
