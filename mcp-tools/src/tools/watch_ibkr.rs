//! IBKR watches, in the same design as the Backpack ones (see [`crate::watch`]): this
//! client's order updates (one order until it ends, with fills and commissions), positions,
//! and a stock's live quote as the watch's state, all carried across gateway restarts with
//! a gap event for each outage.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use ibkr_sdk::streams::{PositionUpdate, QuoteUpdate};
use ibkr_sdk::{ContractSpec, IbkrClient, OrderChange, OrderId, OrderUpdate, StreamEvent};
use serde_json::{Value, json};

use super::watch::{drop_nulls, gap};
use crate::error::{ErrorCode, ToolError};
use crate::venues::ibkr::IbkrVenue;
use crate::watch::Watch;

/// What an IBKR watch follows.
pub(crate) enum IbkrWatch {
    Orders(Option<OrderId>),
    Positions,
    Quote(String),
}

/// A stock symbol as IBKR writes it (letters, digits, `.` and space; at most 12).
pub(crate) fn stock_symbol(text: &str) -> Option<String> {
    let upper = text.trim().to_ascii_uppercase();
    let valid = !upper.is_empty()
        && upper.len() <= 12
        && upper
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == ' ');
    valid.then_some(upper)
}

/// Opens the stream for `what` and feeds `watch` from it in a task.
pub(crate) async fn start(
    venue: &IbkrVenue,
    what: IbkrWatch,
    watch: &Arc<Watch>,
) -> Result<tokio::task::JoinHandle<()>, ToolError> {
    let client = &venue.client;
    let failed =
        |error: ibkr_sdk::Error| ToolError::new(crate::error::ibkr_code(&error), error.to_string());
    Ok(match what {
        IbkrWatch::Orders(order_id) => {
            // Subscribe first, then read the order's state, so nothing falls between.
            let updates = client.order_updates();
            if let Some(id) = order_id {
                watch.push(order_now(client, id).await.map_err(failed)?);
            }
            tokio::spawn(feed_orders(updates, Arc::clone(watch), order_id))
        }
        IbkrWatch::Positions => {
            let positions = client.account().position_stream().await.map_err(failed)?;
            tokio::spawn(feed(
                positions,
                Arc::clone(watch),
                |update: PositionUpdate, watch| {
                    watch.push(position_event(&update));
                },
            ))
        }
        IbkrWatch::Quote(symbol) => {
            let quotes = client
                .market_data()
                .quote_stream(&ContractSpec::stock(&symbol))
                .await
                .map_err(failed)?;
            tokio::spawn(feed(
                quotes,
                Arc::clone(watch),
                |update: QuoteUpdate, watch| {
                    watch.set_state(serde_json::to_value(&update.quote).unwrap_or(Value::Null));
                },
            ))
        }
    })
}

/// Where an order stands now, as an event (`NotFound` when the gateway does not know it).
async fn order_now(client: &IbkrClient, id: OrderId) -> Result<Value, ibkr_sdk::Error> {
    match client.orders().status(id).await {
        Ok(report) => Ok(order_event("snapshot", &report)),
        Err(ibkr_sdk::Error::OrderNotFound(_)) => {
            Ok(json!({ "type": "snapshot", "orderId": id.0, "status": "NotFound" }))
        }
        Err(error) => Err(error),
    }
}

fn order_event(kind: &str, report: &ibkr_sdk::OrderReport) -> Value {
    let mut event = json!({
        "type": kind, "orderId": report.order_id.0, "symbol": report.symbol,
        "side": report.action, "orderType": report.order_type, "status": report.status.as_str(),
        "quantity": report.quantity, "limitPrice": report.limit_price, "stopPrice": report.stop_price,
        "filled": report.filled, "remaining": report.remaining, "averagePrice": report.avg_fill_price,
    });
    if let Some(fill) = report.fills.last() {
        event["lastFill"] = json!({
            "execId": fill.exec_id, "quantity": fill.quantity, "price": fill.price,
            "commission": fill.commission, "time": fill.time,
        });
    }
    drop_nulls(event)
}

fn change_name(change: &OrderChange) -> &'static str {
    match change {
        OrderChange::Status => "status",
        OrderChange::Order => "order",
        OrderChange::Fill { .. } => "fill",
        OrderChange::Commission { .. } => "commission",
        OrderChange::Reconciled => "reconciled",
        OrderChange::NotAtGateway => "notAtGateway",
    }
}

fn position_event(update: &PositionUpdate) -> Value {
    match update {
        PositionUpdate::Position {
            con_id,
            symbol,
            quantity,
            average_cost,
        } => json!({
            "type": "position", "conId": con_id.0, "symbol": symbol,
            "quantity": quantity, "averageCost": average_cost,
        }),
        PositionUpdate::End => json!({ "type": "listed" }),
    }
}

/// The gap event for a stream marker, if it is one.
fn gap_of<T>(event: &StreamEvent<T>) -> Option<Value> {
    let reason = match event {
        StreamEvent::Interrupted { reason } => {
            format!(
                "the IB gateway connection was lost ({reason}); events until it is back are lost"
            )
        }
        StreamEvent::Resumed => "back after the outage; state was read again".to_owned(),
        StreamEvent::Lagged { missed } => {
            format!("{missed} events dropped: the watch read too slowly")
        }
        StreamEvent::Notice { code, message } => format!("IBKR {code}: {message}"),
        StreamEvent::Data(_) => return None,
    };
    Some(gap(reason))
}

async fn feed_orders(
    mut updates: ibkr_sdk::OrderUpdates,
    watch: Arc<Watch>,
    only: Option<OrderId>,
) {
    while let Some(event) = updates.next().await {
        match event {
            StreamEvent::Data(OrderUpdate { change, report })
                if only.is_none_or(|id| id == report.order_id) =>
            {
                watch.push(order_event(change_name(&change), &report));
            }
            StreamEvent::Data(_) => {}
            marker => {
                if let Some(gap) = gap_of(&marker) {
                    watch.push(gap);
                }
            }
        }
    }
    watch.end("the IBKR client stopped".into());
}

async fn feed<T, S>(mut stream: S, watch: Arc<Watch>, on_data: impl Fn(T, &Watch))
where
    S: Stream<Item = Result<StreamEvent<T>, ibkr_sdk::Error>> + Unpin,
{
    while let Some(item) = stream.next().await {
        match item {
            Ok(StreamEvent::Data(data)) => on_data(data, &watch),
            Ok(marker) => {
                if let Some(gap) = gap_of(&marker) {
                    watch.push(gap);
                }
            }
            Err(error) => {
                watch.end(format!("IBKR ended the stream: {error}"));
                return;
            }
        }
    }
    watch.end("the stream ended".into());
}

/// The refusal for a stream IBKR watches do not offer.
pub(crate) fn not_offered(stream: &str) -> ToolError {
    ToolError::new(
        ErrorCode::InvalidInput,
        format!("IBKR watches offer orders, positions and ticker (a stock's quote), not {stream}"),
    )
}
