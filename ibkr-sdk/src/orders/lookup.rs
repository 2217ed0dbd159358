//! Looking orders up: this client's working orders, finished ones, and their fills.
//!
//! IBKR has no "get order" request. A status is read from the open orders of this client,
//! else from the completed orders (placed by this client id), and its fills from today's
//! executions with their commission reports.

use std::collections::BTreeMap;
use std::time::Duration;

use ibapi::orders::{ExecutionFilter, Executions, OrderOutcome, Orders as IbOrders};

use super::api::Orders;
use super::report::OrderReport;
use crate::error::Error;
use crate::money::OrderId;

impl Orders<'_> {
    /// Waits until an order is filled or over, or `timeout` passes, then reports it (a
    /// timeout leaves the order working and reports it as it stands).
    ///
    /// # Errors
    /// [`Error::OrderRejected`] when IBKR refused it; lookup errors of
    /// [`status`](Self::status).
    pub async fn wait(&self, order_id: OrderId, timeout: Duration) -> Result<OrderReport, Error> {
        let waited = tokio::time::timeout(
            timeout.saturating_add(self.client.request_timeout()),
            self.client.gateway()?.wait_for_fill(order_id.0, timeout),
        )
        .await
        .map_err(|_| Error::Timeout {
            what: "wait for fill",
            after: timeout,
        })?;
        match waited {
            Ok(OrderOutcome::Rejected(notice)) => Err(super::api::rejection(order_id, notice)),
            Ok(_) => self.status(order_id).await,
            Err(error) => Err(Error::from_ibapi(error, "")),
        }
    }

    /// A listing read to its end marker, its errors mapped.
    fn listing<T>(
        &self,
        what: &'static str,
        read: Result<Vec<T>, ibapi::Error>,
    ) -> Result<Vec<T>, Error> {
        match read {
            Ok(rows) => Ok(rows),
            Err(ibapi::Error::Timeout) => Err(Error::Timeout {
                what,
                after: self.client.request_timeout(),
            }),
            Err(error) => Err(Error::from_ibapi(error, "")),
        }
    }

    /// Reports of this client's orders, open and (when `completed`) finished, keyed by id.
    async fn reports(&self, completed: bool) -> Result<BTreeMap<OrderId, OrderReport>, Error> {
        let gateway = self.client.gateway()?;
        let client_id = self.client.config().client_id;
        let mut reports: BTreeMap<OrderId, OrderReport> = BTreeMap::new();
        let timeout = self.client.request_timeout();
        let mut open = self
            .client
            .bounded("open orders", "", gateway.open_orders())
            .await?;
        for row in self.listing("open orders", open.collect_to_end_within(timeout).await)? {
            match row {
                IbOrders::OrderData(data) => {
                    let id = OrderId(if data.order_id != 0 {
                        data.order_id
                    } else {
                        data.order.order_id
                    });
                    reports
                        .entry(id)
                        .or_insert_with(|| OrderReport::new(id))
                        .absorb_order(&data, false);
                }
                IbOrders::OrderStatus(status) => {
                    let id = OrderId(status.order_id);
                    reports
                        .entry(id)
                        .or_insert_with(|| OrderReport::new(id))
                        .absorb_status(&status);
                }
            }
        }
        if completed {
            let mut completed = self
                .client
                .bounded("completed orders", "", gateway.completed_orders(false))
                .await?;
            for row in self.listing(
                "completed orders",
                completed.collect_to_end_within(timeout).await,
            )? {
                if let IbOrders::OrderData(data) = row
                    && data.order.client_id == client_id
                {
                    let id = OrderId(data.order.order_id);
                    // An order in both listings is open: the open listing is current.
                    if reports.get(&id).is_none_or(|r| r.status.is_final()) {
                        let mut report = OrderReport::new(id);
                        report.absorb_order(&data, true);
                        reports.insert(id, report);
                    }
                }
            }
        }
        Ok(reports)
    }

    /// Adds today's fills (and commissions) of this client's orders to `reports`.
    async fn add_fills(&self, reports: &mut BTreeMap<OrderId, OrderReport>) -> Result<(), Error> {
        let client_id = self.client.config().client_id;
        let filter = ExecutionFilter {
            client_id: Some(client_id),
            ..ExecutionFilter::default()
        };
        let mut executions = self
            .client
            .bounded("executions", "", self.client.gateway()?.executions(filter))
            .await?;
        let rows = self.listing(
            "executions",
            executions
                .collect_to_end_within(self.client.request_timeout())
                .await,
        )?;
        for row in &rows {
            if let Executions::ExecutionData(data) = row
                && data.execution.client_id == client_id
                && let Some(report) = reports.get_mut(&OrderId(data.execution.order_id))
            {
                report.absorb_execution(data);
            }
        }
        for row in &rows {
            if let Executions::CommissionReport(commission) = row {
                for report in reports.values_mut() {
                    report.absorb_commission(commission);
                }
            }
        }
        for report in reports.values_mut() {
            report.finish();
        }
        Ok(())
    }

    /// This client's working orders, with their fills so far.
    ///
    /// # Errors
    /// [`Error::Timeout`], [`Error::Disconnected`].
    pub async fn open_orders(&self) -> Result<Vec<OrderReport>, Error> {
        crate::timing::timed(
            "open_orders",
            Box::pin(async {
                let mut reports = self.reports(false).await?;
                reports.retain(|_, report| !report.status.is_final());
                self.add_fills(&mut reports).await?;
                Ok(reports.into_values().collect())
            }),
        )
        .await
    }

    /// One order of this client, working or finished, with its fills.
    ///
    /// # Errors
    /// [`Error::OrderNotFound`]; [`Error::Timeout`], [`Error::Disconnected`].
    pub async fn status(&self, order_id: OrderId) -> Result<OrderReport, Error> {
        crate::timing::timed(
            "order_status",
            Box::pin(async {
                self.statuses(&[order_id])
                    .await?
                    .into_iter()
                    .next()
                    .unwrap_or(Err(Error::OrderNotFound(order_id)))
            }),
        )
        .await
    }

    /// Several orders (a bracket, an OCA group) with one round of lookups; one result per
    /// id, in the order given.
    ///
    /// # Errors
    /// [`Error::Timeout`], [`Error::Disconnected`] for the lookups themselves.
    pub async fn statuses(
        &self,
        order_ids: &[OrderId],
    ) -> Result<Vec<Result<OrderReport, Error>>, Error> {
        let mut reports = self.reports(true).await?;
        reports.retain(|id, _| order_ids.contains(id));
        if !reports.is_empty() {
            self.add_fills(&mut reports).await?;
        }
        Ok(order_ids
            .iter()
            .map(|id| reports.get(id).cloned().ok_or(Error::OrderNotFound(*id)))
            .collect())
    }
}
