//! This client's orders as they change: one `ibapi` order-update stream per session folded
//! into an [`OrderReport`] per order, fanned out to every [`OrderUpdates`] stream, and
//! rebuilt from the gateway after a reconnect.
//!
//! `ibapi`'s order-update stream loses what happens while the gateway is away and says
//! nothing about it. So after a reconnect the tracker opens the new session's stream first,
//! then reads the orders it was following (working, or sent with an unknown outcome) back
//! from the gateway's open orders, completed orders and executions, and sends each as
//! [`OrderChange::Reconciled`] (an order that filled during the outage shows as filled with
//! its executions) or [`OrderChange::NotAtGateway`] (an order whose outcome was unknown and
//! that the gateway never received).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};

use futures::{Stream, StreamExt};
use ibapi::orders::OrderUpdate as IbUpdate;
use serde::Serialize;
use tokio::sync::broadcast;

use super::api::Orders;
use super::report::OrderReport;
use crate::client::{IbkrClient, Inner};
use crate::connection::Session;
use crate::error::Error;
use crate::money::OrderId;
use crate::streams::StreamEvent;

/// Finished orders kept for [`Orders::tracked`](super::Orders::tracked) beyond which the
/// oldest are forgotten (working orders are never forgotten).
const KEPT_FINISHED: usize = 10_000;
/// Updates buffered per [`OrderUpdates`] stream; a consumer further behind is told how many
/// it missed ([`StreamEvent::Lagged`]).
const BUFFER: usize = 4_096;

/// What changed in an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrderChange {
    /// Its status, filled quantity or average price.
    Status,
    /// Its order data (prices, quantity) as the gateway holds it.
    Order,
    /// A fill.
    Fill {
        /// The execution id.
        exec_id: String,
    },
    /// The commission of a fill.
    Commission {
        /// The execution id.
        exec_id: String,
    },
    /// After a reconnect: where the order stands, read back from the gateway (what happened
    /// during the outage included).
    Reconciled,
    /// After a reconnect: an order whose outcome was unknown is not at the gateway, which
    /// never received it (nothing is working).
    NotAtGateway,
}

/// One change to one of this client's orders, with the order as it now stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderUpdate {
    /// What changed.
    pub change: OrderChange,
    /// The order after the change (fills with their commissions so far).
    pub report: OrderReport,
}

#[derive(Debug, Clone)]
enum Feed {
    Update(Arc<OrderUpdate>),
    Interrupted(String),
    Resumed,
}

#[derive(Default)]
struct Tracked {
    reports: BTreeMap<OrderId, OrderReport>,
    /// Orders sent whose outcome is unknown.
    in_doubt: BTreeSet<OrderId>,
    /// Which order an execution id belongs to (commission reports name only the execution).
    executions: HashMap<String, OrderId>,
    /// Finished orders, oldest first, for forgetting.
    finished: VecDeque<OrderId>,
}

impl Tracked {
    fn report(&mut self, id: OrderId) -> &mut OrderReport {
        self.reports
            .entry(id)
            .or_insert_with(|| OrderReport::new(id))
    }

    /// Applies one `ibapi` update; returns what changed and the order now.
    fn apply(&mut self, update: &IbUpdate, client_id: i32) -> Option<OrderUpdate> {
        let id = match update {
            IbUpdate::OrderStatus(status) => status.order_id,
            IbUpdate::OpenOrder(data) if data.order_id != 0 => data.order_id,
            IbUpdate::OpenOrder(data) => data.order.order_id,
            IbUpdate::ExecutionData(data) => data.execution.order_id,
            IbUpdate::CommissionReport(commission) => {
                self.executions.get(&commission.execution_id)?.0
            }
            IbUpdate::OrderBound(_) => return None,
        };
        let id = OrderId(id);
        let was_final = self.is_final(id);
        let change = match update {
            IbUpdate::OrderStatus(status) => {
                if status.client_id != 0 && status.client_id != client_id {
                    return None;
                }
                self.report(id).absorb_status(status);
                OrderChange::Status
            }
            IbUpdate::OpenOrder(data) => {
                self.report(id).absorb_order(data, false);
                OrderChange::Order
            }
            IbUpdate::ExecutionData(data) => {
                let execution = &data.execution;
                if execution.client_id != 0 && execution.client_id != client_id {
                    return None;
                }
                self.executions.insert(execution.execution_id.clone(), id);
                self.report(id).absorb_execution(data);
                OrderChange::Fill {
                    exec_id: execution.execution_id.clone(),
                }
            }
            IbUpdate::CommissionReport(commission) => {
                self.report(id).absorb_commission(commission);
                OrderChange::Commission {
                    exec_id: commission.execution_id.clone(),
                }
            }
            IbUpdate::OrderBound(_) => return None,
        };
        Some(self.settle(id, change, was_final))
    }

    fn is_final(&self, id: OrderId) -> bool {
        self.reports
            .get(&id)
            .is_some_and(|report| report.status.is_final())
    }

    /// The update for `id` after a change (`was_final`: whether it had ended before it),
    /// forgetting old finished orders.
    fn settle(&mut self, id: OrderId, change: OrderChange, was_final: bool) -> OrderUpdate {
        let mut report = self.report(id).clone();
        report.finish();
        if report.status.is_final() {
            self.in_doubt.remove(&id);
            if !was_final {
                self.finished.push_back(id);
            }
            if self.finished.len() > KEPT_FINISHED
                && let Some(forgotten) = self.finished.pop_front()
                && let Some(report) = self.reports.remove(&forgotten)
            {
                for fill in &report.fills {
                    self.executions.remove(&fill.exec_id);
                }
            }
        }
        OrderUpdate { change, report }
    }

    /// The orders to read back after a reconnect: the ones in doubt and the ones working.
    fn to_reconcile(&self) -> Vec<OrderId> {
        let working = self
            .reports
            .values()
            .filter(|report| !report.status.is_final())
            .map(|report| report.order_id);
        let mut ids: BTreeSet<OrderId> = working.collect();
        ids.extend(self.in_doubt.iter().copied());
        ids.into_iter().collect()
    }
}

impl Orders<'_> {
    /// Remembers the orders an error leaves in doubt, so they are read back from the
    /// gateway after a reconnect (see [`IbkrClient::order_updates`]).
    pub(super) fn noted<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(error) = &result {
            let ids = error.orders_in_doubt();
            if !ids.is_empty() {
                self.client.tracker().in_doubt(ids);
            }
        }
        result
    }

    /// Orders this client sent whose outcome is still unknown (an answer lost with the
    /// connection, a timeout). After a reconnect each is read back from the gateway and
    /// reported on [`IbkrClient::order_updates`]; it leaves this list once its outcome is
    /// known.
    pub fn in_doubt(&self) -> Vec<OrderId> {
        self.client.tracker().doubtful()
    }

    /// The latest state of an order this client placed or saw on its order updates,
    /// without asking the gateway (`None` for an order it has not followed; use
    /// [`status`](Self::status) to ask).
    pub fn tracked(&self, order_id: OrderId) -> Option<OrderReport> {
        self.client.tracker().report(order_id)
    }
}

/// Follows this client's orders across sessions.
pub(crate) struct OrderTracker {
    tracked: Mutex<Tracked>,
    feed: broadcast::Sender<Feed>,
}

impl OrderTracker {
    pub(crate) fn new() -> Self {
        Self {
            tracked: Mutex::new(Tracked::default()),
            feed: broadcast::Sender::new(BUFFER),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tracked> {
        self.tracked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens `session`'s order-update stream and folds it in until the session ends.
    ///
    /// # Errors
    /// When the stream cannot be opened.
    pub(crate) async fn follow(client: &Arc<Inner>, session: &Session) -> Result<(), Error> {
        let mut updates = session
            .gateway
            .order_update_stream()
            .await
            .map_err(|error| Error::from_ibapi(error, ""))?;
        let weak: Weak<Inner> = Arc::downgrade(client);
        let client_id = client.config.client_id;
        tokio::spawn(async move {
            while let Some(item) = updates.next().await {
                let Some(inner) = weak.upgrade() else { return };
                match item {
                    Ok(ibapi::subscriptions::SubscriptionItem::Data(update)) => {
                        let applied = inner.orders.lock().apply(&update, client_id);
                        if let Some(applied) = applied {
                            let _ = inner.orders.feed.send(Feed::Update(Arc::new(applied)));
                        }
                    }
                    Ok(ibapi::subscriptions::SubscriptionItem::Notice(notice)) => {
                        tracing::debug!(code = notice.code, message = %notice.message, "order notice");
                    }
                    Err(error) => {
                        tracing::debug!(%error, "the order-update stream ended");
                        return;
                    }
                }
            }
        });
        Ok(())
    }

    /// Notes orders whose outcome is unknown, to read them back after a reconnect.
    pub(crate) fn in_doubt(&self, ids: impl IntoIterator<Item = OrderId>) {
        self.lock().in_doubt.extend(ids);
    }

    /// Orders whose outcome is still unknown.
    pub(crate) fn doubtful(&self) -> Vec<OrderId> {
        self.lock().in_doubt.iter().copied().collect()
    }

    /// The latest report of an order this client followed.
    pub(crate) fn report(&self, id: OrderId) -> Option<OrderReport> {
        let mut report = self.lock().reports.get(&id).cloned()?;
        report.finish();
        Some(report)
    }

    /// Tells every stream that updates may be missing from now on.
    pub(crate) fn interrupted(&self, reason: &str) {
        let _ = self.feed.send(Feed::Interrupted(reason.to_owned()));
    }

    /// After a reconnect: follows the new session, then reads back the orders that were
    /// working or in doubt and sends where each stands.
    pub(crate) async fn resume(&self, inner: &Arc<Inner>, session: Arc<Session>) {
        if let Err(error) = Self::follow(inner, &session).await {
            tracing::error!(%error, "cannot follow order updates after the reconnect");
        }
        let _ = self.feed.send(Feed::Resumed);
        self.reconcile(inner).await;
    }

    /// Reads back the orders that were working or in doubt and sends where each stands.
    pub(crate) async fn reconcile(&self, inner: &Arc<Inner>) {
        let ids = self.lock().to_reconcile();
        if ids.is_empty() {
            return;
        }
        let client = IbkrClient::from_inner(Arc::clone(inner));
        let read = match client.orders().statuses(&ids).await {
            Ok(read) => read,
            Err(error) => {
                tracing::error!(%error, orders = ?ids, "cannot read orders back after the reconnect");
                return;
            }
        };
        for (id, result) in ids.iter().zip(read) {
            let update = {
                let mut tracked = self.lock();
                match result {
                    Ok(report) => {
                        tracked.in_doubt.remove(id);
                        for fill in &report.fills {
                            tracked.executions.insert(fill.exec_id.clone(), *id);
                        }
                        let was_final = tracked.is_final(*id);
                        tracked.reports.insert(*id, report);
                        Some(tracked.settle(*id, OrderChange::Reconciled, was_final))
                    }
                    // Only an order in doubt can be missing; one we saw working is
                    // somewhere, so it stays followed.
                    Err(Error::OrderNotFound(_)) if tracked.in_doubt.remove(id) => {
                        let mut report = OrderReport::new(*id);
                        report.status = super::OrderStatus::Other("NotAtGateway".into());
                        tracked.reports.remove(id);
                        Some(OrderUpdate {
                            change: OrderChange::NotAtGateway,
                            report,
                        })
                    }
                    Err(error) => {
                        tracing::warn!(order_id = id.0, %error, "order not read back");
                        None
                    }
                }
            };
            if let Some(update) = update {
                tracing::info!(
                    order_id = id.0,
                    status = update.report.status.as_str(),
                    "order reconciled after the reconnect"
                );
                let _ = self.feed.send(Feed::Update(Arc::new(update)));
            }
        }
    }

    /// A new stream of updates from now on.
    pub(crate) fn subscribe(&self) -> OrderUpdates {
        OrderUpdates {
            inner: Box::pin(tokio_stream_of(self.feed.subscribe())),
        }
    }
}

fn tokio_stream_of(
    receiver: broadcast::Receiver<Feed>,
) -> impl Stream<Item = StreamEvent<OrderUpdate>> + Send {
    futures::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(Feed::Update(update)) => StreamEvent::Data(Arc::unwrap_or_clone(update)),
            Ok(Feed::Interrupted(reason)) => StreamEvent::Interrupted { reason },
            Ok(Feed::Resumed) => StreamEvent::Resumed,
            Err(broadcast::error::RecvError::Lagged(missed)) => StreamEvent::Lagged { missed },
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((event, receiver))
    })
}

/// This client's order updates, from when it was opened (see
/// [`IbkrClient::order_updates`]): statuses, fills with their commissions, and after every
/// reconnect [`StreamEvent::Interrupted`] / [`StreamEvent::Resumed`] followed by where each
/// followed order stands. Ends when the client is dropped. Bounded: a consumer more than
/// 4,096 updates behind gets [`StreamEvent::Lagged`] and the latest ones.
pub struct OrderUpdates {
    inner: Pin<Box<dyn Stream<Item = StreamEvent<OrderUpdate>> + Send>>,
}

impl std::fmt::Debug for OrderUpdates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderUpdates").finish_non_exhaustive()
    }
}

impl Stream for OrderUpdates {
    type Item = StreamEvent<OrderUpdate>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use ibapi::orders::{OrderStatus as IbStatus, OrderStatusKind};

    use super::*;

    fn status(id: i32, kind: OrderStatusKind) -> IbUpdate {
        IbUpdate::OrderStatus(IbStatus {
            order_id: id,
            status: kind,
            client_id: 1,
            ..IbStatus::default()
        })
    }

    #[test]
    fn finished_orders_are_forgotten_oldest_first_and_working_ones_never() {
        let mut tracked = Tracked::default();
        tracked.apply(&status(0, OrderStatusKind::Submitted), 1);
        let finished = i32::try_from(KEPT_FINISHED).unwrap() + 1;
        for id in 1..=finished {
            tracked.apply(&status(id, OrderStatusKind::Submitted), 1);
            tracked.apply(&status(id, OrderStatusKind::Filled), 1);
            // A repeated final status is not counted twice.
            tracked.apply(&status(id, OrderStatusKind::Filled), 1);
        }
        assert_eq!(tracked.finished.len(), KEPT_FINISHED);
        assert!(
            !tracked.reports.contains_key(&OrderId(1)),
            "the oldest is gone"
        );
        assert!(tracked.reports.contains_key(&OrderId(2)));
        assert!(
            tracked.reports.contains_key(&OrderId(0)),
            "a working order stays"
        );
        assert_eq!(tracked.to_reconcile(), [OrderId(0)]);
    }

    #[test]
    fn another_clients_orders_are_ignored() {
        let mut tracked = Tracked::default();
        assert!(
            tracked
                .apply(&status(7, OrderStatusKind::Submitted), 2)
                .is_none()
        );
        assert!(tracked.reports.is_empty());
    }
}
