//! Orders: query, place, cancel, reconcile (signed).

use super::Client;
use crate::api::history::GetOrderHistory;
use crate::api::orders::{
    CancelAllOrders, CancelOrder, ExecuteOrder, ExecuteOrders, GetOpenOrder, GetOpenOrders,
};
use crate::error::Error;
use crate::model::{
    BatchOrderResult, CancelOrderType, CancelOutcome, ClientOrderId, HistoricalOrder, MarketType,
    Order, OrderRef, SortDirection, Symbol,
};
use crate::spec::OrderSpec;

/// How far back [`Orders::reconcile`] searches the order history.
const RECONCILE_HISTORY_ROWS: u32 = 1_000;

/// Orders. Get one with [`Client::orders`].
///
/// # References
/// <https://docs.backpack.exchange/#tag/Order>
#[derive(Debug, Clone, Copy)]
pub struct Orders<'a> {
    client: &'a Client,
}

/// Where [`Orders::reconcile`] found an order.
#[derive(Debug, Clone, PartialEq)]
pub enum Reconciled {
    /// The order is open (resting or waiting for its trigger).
    Open(Box<Order>),
    /// The order reached the exchange and is finished (filled, cancelled, expired).
    Finished(Box<HistoricalOrder>),
    /// No order with that client id, open or in the recent history. If the failed attempt
    /// was moments ago, ask again shortly before concluding that it never arrived.
    NotFound,
}

impl<'a> Orders<'a> {
    pub(super) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// One open order, by exchange id or client id. A finished order is not found here:
    /// see [`History::orders`](super::History::orders).
    ///
    /// # Errors
    /// See [`Client::execute`]; [`Error::is_not_found`] when the order is not open.
    pub async fn get(
        &self,
        symbol: impl Into<Symbol>,
        order: impl Into<OrderRef>,
    ) -> Result<Order, Error> {
        self.client.execute(&GetOpenOrder::new(symbol, order)).await
    }

    /// Open orders, of one market or all.
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn list_open(
        &self,
        symbol: Option<Symbol>,
        market_type: Option<MarketType>,
    ) -> Result<Vec<Order>, Error> {
        self.client
            .execute(&GetOpenOrders {
                symbol,
                market_type,
            })
            .await
    }

    /// The order as it will be sent: with a random client id if it has none and automatic
    /// client ids are on (the default), so it can always be reconciled.
    pub fn prepare(&self, spec: &OrderSpec) -> OrderSpec {
        match spec.client_id() {
            Some(_) => spec.clone(),
            None if self.client.inner.auto_client_id => {
                // Keep ids in 1..=u32::MAX: 0 reads as "no id" in some tools.
                let id =
                    u32::try_from(self.client.next_random() % u64::from(u32::MAX)).unwrap_or(0) + 1;
                spec.clone().with_client_id(ClientOrderId(id))
            }
            None => spec.clone(),
        }
    }

    /// Places an order (see [`prepare`](Self::prepare) for the client id).
    ///
    /// # Errors
    /// - [`Error::Api`]: rejected; nothing happened.
    /// - [`Error::OutcomeUnknown`]: timeout, broken connection or 5xx after sending; the
    ///   order may exist. Call [`reconcile`](Self::reconcile) with the reported client id
    ///   before placing it again.
    /// - [`Error::Decode`]: accepted, but the answer did not parse.
    pub async fn place(&self, spec: &OrderSpec) -> Result<Order, Error> {
        let spec = self.prepare(spec);
        self.client.execute(&ExecuteOrder::new(&spec)).await
    }

    /// Places several orders in one request; each is accepted or rejected on its own.
    ///
    /// # Errors
    /// As [`place`](Self::place), for the request as a whole.
    pub async fn place_batch(&self, specs: &[OrderSpec]) -> Result<Vec<BatchOrderResult>, Error> {
        let prepared: Vec<OrderSpec> = specs.iter().map(|spec| self.prepare(spec)).collect();
        let request = ExecuteOrders::new(&prepared)?;
        self.client.execute(&request).await
    }

    /// Cancels one open order.
    ///
    /// # Errors
    /// See [`Client::execute`]; an order that is not open is an [`Error::Api`]
    /// ([`Error::is_not_found`]).
    pub async fn cancel(
        &self,
        symbol: impl Into<Symbol>,
        order: impl Into<OrderRef>,
    ) -> Result<CancelOutcome<Order>, Error> {
        self.client.execute(&CancelOrder::new(symbol, order)).await
    }

    /// Cancels every open order of a market (optionally only one kind).
    ///
    /// # Errors
    /// See [`Client::execute`].
    pub async fn cancel_all(
        &self,
        symbol: impl Into<Symbol>,
        order_type: Option<CancelOrderType>,
    ) -> Result<CancelOutcome<Vec<Order>>, Error> {
        let mut request = CancelAllOrders::new(symbol);
        request.order_type = order_type;
        self.client.execute(&request).await
    }

    /// Finds out what became of an order whose placement had an unknown outcome: looks for
    /// it among open orders, then in the most recent order history of the market.
    ///
    /// # Errors
    /// See [`Client::execute`] (reads are retried).
    pub async fn reconcile(
        &self,
        symbol: impl Into<Symbol>,
        client_id: ClientOrderId,
    ) -> Result<Reconciled, Error> {
        let symbol = symbol.into();
        match self.get(symbol.clone(), client_id).await {
            Ok(order) => return Ok(Reconciled::Open(Box::new(order))),
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error),
        }
        let history = self
            .client
            .execute(
                &GetOrderHistory::new()
                    .symbol(symbol)
                    .limit(RECONCILE_HISTORY_ROWS)
                    .sort(SortDirection::Desc),
            )
            .await?;
        Ok(history
            .into_iter()
            .find(|order| order.client_id == Some(client_id))
            .map_or(Reconciled::NotFound, |order| {
                Reconciled::Finished(Box::new(order))
            }))
    }
}
