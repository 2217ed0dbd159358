//! The `watch` tool: start a watch on a Backpack stream, read it (waiting for news, or for
//! an order to end), stop it. See [`crate::watch`] for the design and its bounds.

use std::sync::Arc;
use std::time::Duration;

use backpack_sdk::model::{OrderId, Symbol};
use backpack_sdk::ws::{
    DepthInterval, Event, OrderBook, OrderUpdate, PositionUpdate, StreamItem, StreamName,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::backpack_read::backpack_failure;
use super::watch_ibkr::{self, IbkrWatch};
use super::{Json, Parameters};
use crate::error::{ErrorCode, ToolError};
use crate::server::TradingServer;
use crate::venues::backpack::BackpackVenue;
use crate::watch::{MAX_WATCHES, Watch};

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WatchAction {
    /// Open a watch.
    Start,
    /// Read it.
    Read,
    /// Close it.
    Stop,
}

/// What to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WatchStream {
    /// This account's order updates and fills.
    Orders,
    /// This account's position updates.
    Positions,
    /// A market's order book (the latest state).
    Book,
    /// A market's public trades.
    Trades,
    /// A market's 24 h ticker (the latest state).
    Ticker,
}

impl WatchStream {
    fn name(self) -> &'static str {
        match self {
            WatchStream::Orders => "orders",
            WatchStream::Positions => "positions",
            WatchStream::Book => "book",
            WatchStream::Trades => "trades",
            WatchStream::Ticker => "ticker",
        }
    }
}

/// Which venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WatchVenue {
    /// Backpack.
    #[default]
    Backpack,
    /// IBKR.
    Ibkr,
}

/// The `watch` tool's arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WatchParams {
    /// start, read or stop.
    pub action: WatchAction,
    /// start: what to watch.
    #[serde(default)]
    pub stream: Option<WatchStream>,
    /// Default backpack.
    #[serde(default)]
    pub venue: WatchVenue,
    /// For book, trades, ticker.
    #[serde(default)]
    pub symbol: Option<Symbol>,
    /// orders: only this order.
    #[serde(default)]
    pub order_id: Option<OrderId>,
    /// From start.
    #[serde(default)]
    pub id: Option<String>,
    /// From the last read.
    #[serde(default)]
    pub cursor: Option<u64>,
    /// Max 55000 (default 25000).
    #[serde(default)]
    pub wait_ms: Option<u64>,
    /// Orders: wait for the end.
    #[serde(default)]
    pub until_final: Option<bool>,
}

/// What the tool answers.
#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WatchView {
    /// The watch's id.
    pub id: String,
    /// Events after the cursor, oldest first (gaps included as `type: gap`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Value>,
    /// Pass as cursor to the next read.
    pub next_cursor: u64,
    /// Events dropped before this cursor saw them.
    #[serde(skip_serializing_if = "is_zero")]
    pub missed: u64,
    /// Latest state (book, ticker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// What else to know: more buffered, wait ran out, the watch ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn invalid(message: impl Into<String>) -> ToolError {
    ToolError::new(ErrorCode::InvalidInput, message.into())
}

fn is_final(status: &str) -> bool {
    matches!(
        status,
        "Filled"
            | "Cancelled"
            | "Expired"
            | "TriggerFailed"
            | "ApiCancelled"
            | "Inactive"
            | "NotAtGateway"
    )
}

#[tool_router(router = watch_router, vis = "pub(crate)")]
impl TradingServer {
    #[tool(
        description = "Watch orders, positions, ticker (Backpack also book, trades): start gives an id; read waits waitMs for news after cursor (untilFinal: until the order ends); stop.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn watch(
        &self,
        Parameters(p): Parameters<WatchParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<Json<WatchView>, ToolError> {
        match p.action {
            WatchAction::Start => self.start_watch(p).await.map(Json),
            WatchAction::Read => self.read_watch(p, ctx).await.map(Json),
            WatchAction::Stop => {
                let id =
                    p.id.ok_or_else(|| invalid("stop needs the id start gave"))?;
                if !self.state.watches.close(&id) {
                    return Err(ToolError::new(
                        ErrorCode::NotFound,
                        format!("no watch {id} (stopped, or idle for 10 minutes)"),
                    ));
                }
                Ok(Json(WatchView {
                    id,
                    note: Some("stopped".into()),
                    ..WatchView::default()
                }))
            }
        }
    }
}

impl TradingServer {
    async fn start_watch(&self, p: WatchParams) -> Result<WatchView, ToolError> {
        let stream = p.stream.ok_or_else(|| {
            invalid("start needs stream: orders, positions, book, trades or ticker")
        })?;
        if p.venue == WatchVenue::Ibkr {
            return self.start_ibkr_watch(stream, p).await;
        }
        let tiers = self.state.config.backpack.tiers;
        let private = matches!(stream, WatchStream::Orders | WatchStream::Positions);
        if (private && !tiers.account) || (!private && !tiers.market) {
            return Err(ToolError::new(
                ErrorCode::ToolDisabled,
                format!("watching {} is off on this server", stream.name()),
            ));
        }
        let needs_symbol = !private;
        if needs_symbol && p.symbol.is_none() {
            return Err(invalid(format!(
                "watching {} needs a symbol",
                stream.name()
            )));
        }
        if p.order_id.is_some() && (stream != WatchStream::Orders || p.symbol.is_none()) {
            return Err(invalid("orderId goes with stream orders and its symbol"));
        }
        if let Some(symbol) = &p.symbol
            && StreamName::parse(symbol.as_str()).is_err()
        {
            return Err(invalid(format!(
                "`{}` is not a market symbol",
                symbol.as_str().chars().take(64).collect::<String>()
            )));
        }
        let venue = self.state.backpack().await?;
        let streams = venue
            .streams()
            .await
            .map_err(|e| ToolError::new(ErrorCode::VenueUnavailable, e))?;
        let watch = self
            .state
            .watches
            .open(
                stream.name(),
                p.symbol.as_ref().map(|s| s.as_str().to_owned()),
            )
            .map_err(|_| invalid(format!("{MAX_WATCHES} watches are open: stop one first")))?;
        let symbol = p.symbol.clone();
        let started = match stream {
            WatchStream::Book => OrderBook::start(
                &streams,
                &venue.client,
                symbol.clone().unwrap_or_else(|| Symbol::new("")),
                DepthInterval::Realtime,
            )
            .map(|book| tokio::spawn(feed_book(book, Arc::clone(&watch)))),
            _ => {
                let name = match stream {
                    WatchStream::Orders => StreamName::order_updates(symbol.as_ref()),
                    WatchStream::Positions => StreamName::position_updates(symbol.as_ref()),
                    WatchStream::Trades => {
                        StreamName::trades(symbol.as_ref().map_or("", Symbol::as_str))
                    }
                    _ => StreamName::ticker(symbol.as_ref().map_or("", Symbol::as_str)),
                };
                streams.subscribe([name]).map(|subscription| {
                    let order = symbol.clone().zip(p.order_id.clone());
                    tokio::spawn(feed_events(
                        subscription,
                        Arc::clone(&watch),
                        Arc::clone(&venue),
                        order,
                        stream == WatchStream::Ticker,
                    ))
                })
            }
        };
        match started {
            Ok(task) => watch.attach(task),
            Err(error) => {
                self.state.watches.close(&watch.id);
                return Err(ToolError::new(
                    ErrorCode::VenueUnavailable,
                    error.to_string(),
                ));
            }
        }
        // An order watched by id starts from its state now, so a fill that came first is seen.
        if let (Some(symbol), Some(order_id)) = (&p.symbol, &p.order_id) {
            match order_now(&venue, symbol, order_id).await {
                Ok(state) => watch.push(state),
                Err(error) => {
                    self.state.watches.close(&watch.id);
                    return Err(backpack_failure(&error));
                }
            }
        }
        Ok(WatchView {
            id: watch.id.clone(),
            note: Some(format!(
                "watching {}; read it with action read and this id",
                stream.name()
            )),
            ..WatchView::default()
        })
    }

    async fn start_ibkr_watch(
        &self,
        stream: WatchStream,
        p: WatchParams,
    ) -> Result<WatchView, ToolError> {
        let tiers = self.state.config.ibkr.tiers;
        let what = match stream {
            WatchStream::Orders if tiers.account => {
                let order_id = match &p.order_id {
                    Some(id) => Some(ibkr_sdk::OrderId(
                        id.as_str()
                            .parse()
                            .map_err(|_| invalid("an IBKR orderId is a whole number"))?,
                    )),
                    None => None,
                };
                IbkrWatch::Orders(order_id)
            }
            WatchStream::Positions if tiers.account => IbkrWatch::Positions,
            WatchStream::Ticker if tiers.market => {
                let symbol = p.symbol.as_ref().map(Symbol::as_str).unwrap_or_default();
                IbkrWatch::Quote(
                    watch_ibkr::stock_symbol(symbol)
                        .ok_or_else(|| invalid("watching an IBKR ticker needs a stock symbol"))?,
                )
            }
            WatchStream::Orders | WatchStream::Positions | WatchStream::Ticker => {
                return Err(ToolError::new(
                    ErrorCode::ToolDisabled,
                    format!("watching IBKR {} is off on this server", stream.name()),
                ));
            }
            WatchStream::Book | WatchStream::Trades => {
                return Err(watch_ibkr::not_offered(stream.name()));
            }
        };
        let symbol = match &what {
            IbkrWatch::Quote(symbol) => Some(symbol.clone()),
            _ => None,
        };
        let venue = self.state.ibkr().await?;
        let watch = self
            .state
            .watches
            .open(stream.name(), symbol)
            .map_err(|_| invalid(format!("{MAX_WATCHES} watches are open: stop one first")))?;
        match watch_ibkr::start(&venue, what, &watch).await {
            Ok(task) => watch.attach(task),
            Err(error) => {
                self.state.watches.close(&watch.id);
                return Err(error);
            }
        }
        Ok(WatchView {
            id: watch.id.clone(),
            note: Some(format!(
                "watching IBKR {}; read it with action read and this id",
                stream.name()
            )),
            ..WatchView::default()
        })
    }

    async fn read_watch(
        &self,
        p: WatchParams,
        ctx: RequestContext<RoleServer>,
    ) -> Result<WatchView, ToolError> {
        let id =
            p.id.ok_or_else(|| invalid("read needs the id start gave"))?;
        let watch = self.state.watches.get(&id).ok_or_else(|| {
            ToolError::new(
                ErrorCode::NotFound,
                format!("no watch {id} (stopped, or idle for 10 minutes): start a new one"),
            )
        })?;
        let cursor = p.cursor.unwrap_or(0);
        let wait = Duration::from_millis(p.wait_ms.unwrap_or(25_000));
        let until_final = p.until_final.unwrap_or(false);
        if until_final && watch.stream != "orders" {
            return Err(invalid("untilFinal goes with an orders watch"));
        }
        let done = move |events: &[Value]| {
            !until_final
                || events
                    .iter()
                    .any(|e| e["status"].as_str().is_some_and(is_final))
        };
        let (page, timed_out) = watch
            .read(cursor, wait, done, async move { ctx.ct.cancelled().await })
            .await;
        let mut notes = Vec::new();
        if page.more {
            notes.push("more events are buffered: read again with nextCursor".to_owned());
        }
        if timed_out {
            notes.push(if until_final {
                "the order has not ended yet".to_owned()
            } else {
                "nothing new within the wait".to_owned()
            });
        }
        if let Some(reason) = &page.ended {
            notes.push(format!("the watch ended: {reason}"));
        }
        Ok(WatchView {
            id,
            events: page.events,
            next_cursor: page.next_cursor,
            missed: page.missed,
            state: page.state,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        })
    }
}

/// The order's state now, as an event.
async fn order_now(
    venue: &BackpackVenue,
    symbol: &Symbol,
    id: &OrderId,
) -> Result<Value, backpack_sdk::Error> {
    match venue.client.orders().get(symbol.clone(), id.clone()).await {
        Ok(order) => Ok(json!({
            "type": "snapshot", "orderId": order.id, "symbol": order.symbol, "side": order.side,
            "status": order.status, "quantity": order.quantity, "price": order.price,
            "executedQuantity": order.executed_quantity, "executedQuoteQuantity": order.executed_quote_quantity,
        })),
        Err(error) if error.is_not_found() => {
            let query = backpack_sdk::api::history::GetOrderHistory {
                order_id: Some(id.clone()),
                symbol: Some(symbol.clone()),
                ..Default::default()
            };
            let found = venue.client.history().orders(&query).await?;
            Ok(match found.first() {
                Some(order) => json!({
                    "type": "snapshot", "orderId": order.id, "symbol": order.symbol, "side": order.side,
                    "status": order.status, "quantity": order.quantity, "price": order.price,
                    "executedQuantity": order.executed_quantity, "executedQuoteQuantity": order.executed_quote_quantity,
                }),
                None => json!({ "type": "snapshot", "orderId": id, "status": "NotFound" }),
            })
        }
        Err(error) => Err(error),
    }
}

fn order_event(update: &OrderUpdate) -> Value {
    let mut event = json!({
        "type": update.kind.as_str(), "orderId": update.order_id, "symbol": update.symbol,
        "side": update.side, "orderType": update.order_type.as_str(), "status": update.status,
        "quantity": update.quantity, "price": update.price,
        "executedQuantity": update.executed_quantity, "executedQuoteQuantity": update.executed_quote_quantity,
        "averagePrice": update.average_price(), "timeMs": update.event_time.as_millis(),
    });
    if update.fill_quantity.is_some() {
        event["fillQuantity"] = json!(update.fill_quantity);
        event["fillPrice"] = json!(update.fill_price);
        event["fee"] = json!(update.fee);
        event["feeAsset"] = json!(update.fee_asset);
        event["maker"] = json!(update.is_maker);
    }
    if let Some(client_id) = update.client_id {
        event["clientId"] = json!(client_id.get());
    }
    if let Some(reason) = &update.expiry_reason {
        event["expiryReason"] = json!(reason.as_str());
    }
    drop_nulls(event)
}

fn position_event(update: &PositionUpdate) -> Value {
    drop_nulls(json!({
        "type": update.kind.as_ref().map_or("snapshot", |k| k.as_str()), "symbol": update.symbol,
        "netQuantity": update.net_quantity, "entryPrice": update.entry_price, "markPrice": update.mark_price,
        "unrealizedPnl": update.unrealized_pnl, "realizedPnl": update.realized_pnl,
        "timeMs": update.event_time.map(|t| t.as_millis()),
    }))
}

pub(super) fn drop_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}

pub(super) fn gap(reason: impl Into<String>) -> Value {
    json!({ "type": "gap", "reason": reason.into() })
}

/// Feeds an event watch (or, for the ticker, its state) from a subscription.
async fn feed_events(
    mut subscription: backpack_sdk::ws::Subscription,
    watch: Arc<Watch>,
    venue: Arc<BackpackVenue>,
    order: Option<(Symbol, OrderId)>,
    state: bool,
) {
    while let Some(item) = subscription.next().await {
        match item {
            StreamItem::Event { event, .. } => match event {
                Event::Order(update)
                    if order.as_ref().is_none_or(|(_, id)| *id == update.order_id) =>
                {
                    watch.push(order_event(&update));
                }
                Event::Position(update) => watch.push(position_event(&update)),
                Event::Trade(trade) => watch.push(drop_nulls(json!({
                    "type": "trade", "price": trade.price, "quantity": trade.quantity, "tradeId": trade.trade_id,
                    "takerSide": if trade.buyer_is_maker { "Ask" } else { "Bid" }, "timeMs": trade.event_time.as_millis(),
                }))),
                Event::Ticker(ticker) if state => watch.set_state(json!({
                    "lastPrice": ticker.last_price, "firstPrice": ticker.first_price, "high": ticker.high, "low": ticker.low,
                    "volume": ticker.volume, "quoteVolume": ticker.quote_volume, "trades": ticker.trades,
                    "timeMs": ticker.event_time.as_millis(),
                })),
                _ => {}
            },
            StreamItem::Disconnected { reason, .. } => watch.push(gap(format!("disconnected: {reason}; events until the resubscription are lost"))),
            StreamItem::Subscribed { after_gap: true } => {
                watch.push(gap("resubscribed after a disconnect"));
                // What the order did meanwhile, from REST.
                if let Some((symbol, id)) = &order
                    && let Ok(now) = order_now(&venue, symbol, id).await
                {
                    watch.push(now);
                }
            }
            StreamItem::Lagged { missed } => watch.push(gap(format!("{missed} events dropped: the watch read too slowly"))),
            StreamItem::ServerError(error) => watch.push(gap(format!("the exchange refused: {} ({})", error.message, error.code))),
            _ => {}
        }
    }
    watch.end("the stream connection stopped".into());
}

/// Keeps a book watch's state: the top ten levels a side, sync and resync counts.
async fn feed_book(mut book: OrderBook, watch: Arc<Watch>) {
    while let Some(status) = book.changed().await {
        let state = book.read(|b| {
            json!({
                "synced": status.synced, "lastUpdateId": status.last_update_id, "resyncs": status.resyncs,
                "bids": b.bids(10), "asks": b.asks(10),
                "note": if status.synced { Value::Null } else { json!(status.last_reason) },
            })
        });
        watch.set_state(drop_nulls(state));
    }
    watch.end("the book stopped".into());
}
