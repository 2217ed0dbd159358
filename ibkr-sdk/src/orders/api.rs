//! The order calls, with the safety rails applied before anything is sent:
//! `ORDERS_ENABLED` first (no gateway contact at all when off), then validation, the
//! symbol allow-list, the quantity limit and the notional limit.
//!
//! Every call that sends says what happened: `Ok` (acknowledged), an error whose
//! [`outcome`](crate::Error::outcome) is `NotSent` or `Rejected`, or
//! [`Error::OutcomeUnknown`] when the order may be working.

use futures::{FutureExt, StreamExt};
use ibapi::orders::{Order as IbOrder, PlaceOrder};
use ibapi::subscriptions::{Subscription, SubscriptionItem};
use serde::Serialize;
use tokio::time::Instant;

use super::report::{OrderReport, OrderStatus, Preview, PreviewSource};
use super::{BracketSpec, Entry, OrderSpec, OrderType, exposure, ib};
use crate::client::IbkrClient;
use crate::contracts::{ContractSpec, ResolvedContract};
use crate::error::Error;
use crate::money::{Money, OrderId, Price, Quantity};

/// Orders. Get one with [`IbkrClient::orders`].
#[derive(Debug, Clone, Copy)]
pub struct Orders<'a> {
    pub(super) client: &'a IbkrClient,
}

/// The three orders of a placed bracket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct BracketPlaced {
    /// The entry (parent).
    pub entry: OrderReport,
    /// The take-profit exit.
    pub take_profit: OrderReport,
    /// The stop-loss exit.
    pub stop_loss: OrderReport,
}

impl BracketPlaced {
    /// The three order ids, entry first.
    pub fn ids(&self) -> [OrderId; 3] {
        [
            self.entry.order_id,
            self.take_profit.order_id,
            self.stop_loss.order_id,
        ]
    }
}

/// The orders of a placed one-cancels-all group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OcaPlaced {
    /// The group's name.
    pub group: String,
    /// Its orders, in the order given.
    pub orders: Vec<OrderReport>,
}

/// What the checks found about an order before it is sent.
struct Checked {
    contract: ResolvedContract,
    reference_price: Option<Price>,
    notional: Option<Money>,
    basis: Option<String>,
}

/// An order written to the gateway, waiting for its acknowledgement.
struct Sent {
    id: OrderId,
    updates: Subscription<PlaceOrder>,
    report: OrderReport,
}

/// Whether an `ibapi` error means the connection failed, so a write may or may not have
/// reached the gateway.
fn is_connection_error(error: &ibapi::Error) -> bool {
    matches!(
        error,
        ibapi::Error::Io(_)
            | ibapi::Error::ConnectionReset
            | ibapi::Error::ConnectionFailed
            | ibapi::Error::UnexpectedEndOfStream
            | ibapi::Error::Shutdown
    )
}

pub(super) fn rejection(order_id: OrderId, notice: ibapi::Notice) -> Error {
    Error::OrderRejected {
        order_id,
        code: notice.code,
        reason: notice.message,
    }
}

impl<'a> Orders<'a> {
    pub(crate) fn new(client: &'a IbkrClient) -> Self {
        Self { client }
    }

    fn require_enabled(&self) -> Result<(), Error> {
        if self.client.config().orders_enabled {
            Ok(())
        } else {
            Err(Error::TradingDisabled)
        }
    }

    /// The allow-list and the quantity limit (nothing needs the gateway).
    fn check_symbol_limits(
        &self,
        contract: &ContractSpec,
        quantity: Quantity,
    ) -> Result<(), Error> {
        let limits = &self.client.config().limits;
        let symbol = contract.symbol.trim().to_ascii_uppercase();
        if let Some(allowed) = &limits.allowed_symbols
            && !allowed.contains(&symbol)
        {
            return Err(Error::LimitExceeded {
                limit: "symbol allow-list",
                detail: format!("{symbol} is not in IBKR_ALLOWED_SYMBOLS"),
            });
        }
        if let Some(max) = limits.max_quantity(&symbol)
            && quantity > max
        {
            return Err(Error::LimitExceeded {
                limit: "max quantity",
                detail: format!("{quantity} {symbol} is more than the limit of {max}"),
            });
        }
        Ok(())
    }

    /// Validates, applies the limits, resolves the contract and values the order at the most
    /// it can execute for ([`exposure`](super::exposure)). `value_always` asks for a value
    /// even without a notional limit (previews).
    async fn check(&self, spec: &OrderSpec, value_always: bool) -> Result<Checked, Error> {
        spec.validate()?;
        self.check_symbol_limits(&spec.contract, spec.quantity)?;
        let contract = self.client.contracts().resolve(&spec.contract).await?;
        let max_notional = self.client.config().limits.max_order_notional;
        // A buy limit is bounded by its own price; everything else needs the market (and a
        // preview always shows it).
        let unquoted = exposure::exposure(spec, &contract, None, None);
        let quote = if !value_always && (unquoted.value().is_some() || max_notional.is_none()) {
            None
        } else {
            match self.client.market_data().quote_contract(&contract).await {
                Ok(quote) => Some(quote),
                Err(error) => {
                    tracing::debug!(%error, "no quote to value the order with");
                    None
                }
            }
        };
        let underlying = if quote.is_some() && exposure::needs_underlying(spec, &contract) {
            match self
                .client
                .market_data()
                .quote(&ContractSpec::stock(contract.symbol.as_str()))
                .await
            {
                Ok(quote) => quote.last.or(quote.close).or(quote.ask),
                Err(error) => {
                    tracing::debug!(%error, "no quote of the underlying");
                    None
                }
            }
        } else {
            None
        };
        let reference_price = quote
            .as_ref()
            .and_then(|q| q.reference_price(spec.action == super::Action::Buy))
            .or(spec.stated_price());
        let exposure = exposure::exposure(spec, &contract, quote.as_ref(), underlying);
        let value = exposure.value().map(Money::new);
        if let Some(max) = max_notional {
            match value {
                Some(value) if value > max => {
                    return Err(Error::LimitExceeded {
                        limit: "max notional",
                        detail: format!(
                            "the order can execute for {value} {} ({}), more than IBKR_MAX_ORDER_NOTIONAL {max}",
                            contract.currency,
                            exposure.basis()
                        ),
                    });
                }
                Some(_) => {}
                None => {
                    return Err(Error::LimitExceeded {
                        limit: "max notional",
                        detail: format!("the order cannot be valued: {}", exposure.basis()),
                    });
                }
            }
        }
        Ok(Checked {
            contract,
            reference_price,
            notional: value,
            basis: Some(exposure.basis().to_owned()),
        })
    }

    fn simulated(&self, spec: &OrderSpec, checked: &Checked) -> Preview {
        Preview {
            source: PreviewSource::Simulated,
            con_id: checked.contract.con_id,
            contract: checked.contract.describe(),
            currency: checked.contract.currency.clone(),
            action: spec.action,
            quantity: spec.quantity,
            order_type: spec.order_type.code(),
            reference_price: checked.reference_price,
            notional: checked.notional,
            value_basis: checked.basis.clone(),
            commission: None,
            commission_currency: None,
            initial_margin_change: None,
            maintenance_margin_change: None,
            equity_with_loan_change: None,
            initial_margin_after: None,
            maintenance_margin_after: None,
            equity_with_loan_after: None,
            warning: None,
            orders_enabled: self.client.config().orders_enabled,
        }
    }

    /// Checks an order exactly as [`place`](Self::place) would (validation, limits,
    /// contract, value) and sends nothing: no order message reaches the gateway, whether
    /// orders are enabled or not.
    ///
    /// # Errors
    /// [`Error::InvalidOrder`], [`Error::LimitExceeded`], contract errors.
    pub async fn dry_run(&self, spec: &OrderSpec) -> Result<Preview, Error> {
        let checked = self.check(spec, true).await?;
        Ok(self.simulated(spec, &checked))
    }

    /// What an order would do. With orders enabled this is IBKR's what-if check (margin and
    /// commission impact; nothing is placed). With orders disabled no order message may
    /// reach the gateway, so it is a [`dry_run`](Self::dry_run), marked
    /// [`PreviewSource::Simulated`].
    ///
    /// # Errors
    /// As [`dry_run`](Self::dry_run); [`Error::OrderRejected`] when IBKR refuses the
    /// what-if; [`Error::Timeout`] (a what-if never creates an order).
    pub async fn preview(&self, spec: &OrderSpec) -> Result<Preview, Error> {
        crate::timing::timed(
            "what_if",
            Box::pin(async {
                let checked = self.check(spec, true).await?;
                let mut preview = self.simulated(spec, &checked);
                if !self.client.config().orders_enabled {
                    return Ok(preview);
                }
                let mut order = ib::order(spec, self.client.account_id())?;
                order.what_if = true;
                let mut sent = self.submit(&checked.contract, order, None).await?;
                let deadline = Instant::now() + self.client.request_timeout();
                loop {
                    match tokio::time::timeout_at(deadline, sent.updates.next()).await {
                        Err(_) | Ok(None) => {
                            return Err(Error::Timeout {
                                what: "what-if preview",
                                after: self.client.request_timeout(),
                            });
                        }
                        Ok(Some(Ok(SubscriptionItem::Data(PlaceOrder::OpenOrder(data))))) => {
                            preview.apply_what_if(&data.order_state);
                            return Ok(preview);
                        }
                        Ok(Some(Ok(_))) => {}
                        Ok(Some(Err(ibapi::Error::Notice(notice)))) => {
                            return Err(rejection(sent.id, notice));
                        }
                        Ok(Some(Err(error))) => {
                            return Err(Error::from_ibapi(error, &checked.contract.symbol));
                        }
                    }
                }
            }),
        )
        .await
    }

    /// Places an order and waits for IBKR's acknowledgement (not for the fill; see
    /// [`wait`](Self::wait)).
    ///
    /// # Errors
    /// Nothing sent: [`Error::TradingDisabled`] (checked first, before any gateway
    /// contact), [`Error::InvalidOrder`], [`Error::LimitExceeded`], contract errors,
    /// [`Error::NotConnected`]. Refused: [`Error::OrderRejected`]. May be working:
    /// [`Error::OutcomeUnknown`] (look it up with [`status`](Self::status)).
    pub async fn place(&self, spec: &OrderSpec) -> Result<OrderReport, Error> {
        crate::timing::timed(
            "place_order",
            Box::pin(async { self.noted(self.place_once(spec).await) }),
        )
        .await
    }

    async fn place_once(&self, spec: &OrderSpec) -> Result<OrderReport, Error> {
        self.require_enabled()?;
        let checked = self.check(spec, false).await?;
        let order = ib::order(spec, self.client.account_id())?;
        let sent = self
            .submit(&checked.contract, order, checked.notional)
            .await?;
        let deadline = Instant::now() + self.client.request_timeout();
        self.acknowledge(sent, deadline).await
    }

    /// Places an entry with a take-profit and a stop-loss as one linked set: the exits
    /// work once the entry fills, and one cancels the other. The entry and take-profit are
    /// held until the stop-loss transmits the set.
    ///
    /// # Errors
    /// As [`place`](Self::place); [`Error::IncompleteSet`] when some legs reached the
    /// gateway and another failed.
    pub async fn place_bracket(&self, spec: &BracketSpec) -> Result<BracketPlaced, Error> {
        crate::timing::timed(
            "place_bracket",
            Box::pin(async { self.noted(self.place_bracket_once(spec).await) }),
        )
        .await
    }

    async fn place_bracket_once(&self, spec: &BracketSpec) -> Result<BracketPlaced, Error> {
        self.require_enabled()?;
        spec.validate()?;
        let entry_type = match spec.entry {
            Entry::Market => OrderType::Market,
            Entry::Limit { price } => OrderType::Limit { price },
        };
        let entry = OrderSpec::of_type(
            spec.contract.clone(),
            spec.action,
            spec.quantity,
            entry_type,
        )
        .time_in_force(spec.time_in_force);
        let checked = self.check(&entry, false).await?;
        let gateway = self.client.gateway()?;
        let ids = [
            gateway.next_order_id(),
            gateway.next_order_id(),
            gateway.next_order_id(),
        ];
        let legs = ib::bracket(spec, ids, self.client.account_id())?;
        let [entry_leg, take_profit_leg, stop_loss_leg] = legs;
        let set = vec![
            (&checked.contract, entry_leg, checked.notional),
            (&checked.contract, take_profit_leg, None),
            (&checked.contract, stop_loss_leg, None),
        ];
        let mut reports = self.send_set(set).await?.into_iter();
        let (Some(entry), Some(take_profit), Some(stop_loss)) =
            (reports.next(), reports.next(), reports.next())
        else {
            return Err(Error::InvalidRequest("a bracket has three orders".into()));
        };
        Ok(BracketPlaced {
            entry,
            take_profit,
            stop_loss,
        })
    }

    /// Places orders as one-cancels-all group: when one fills, IBKR cancels the others.
    /// Every order is checked before any is sent.
    ///
    /// # Errors
    /// As [`place_bracket`](Self::place_bracket).
    pub async fn place_oca(&self, specs: &[OrderSpec]) -> Result<OcaPlaced, Error> {
        crate::timing::timed(
            "place_oca",
            Box::pin(async { self.noted(self.place_oca_once(specs).await) }),
        )
        .await
    }

    async fn place_oca_once(&self, specs: &[OrderSpec]) -> Result<OcaPlaced, Error> {
        self.require_enabled()?;
        if specs.len() < 2 {
            return Err(Error::InvalidRequest(
                "a one-cancels-all group needs at least two orders".into(),
            ));
        }
        let mut checked = Vec::with_capacity(specs.len());
        for spec in specs {
            checked.push(self.check(spec, false).await?);
        }
        let mut orders = Vec::with_capacity(specs.len());
        for spec in specs {
            let mut order = ib::order(spec, self.client.account_id())?;
            order.order_id = self.client.gateway()?.next_order_id();
            orders.push(order);
        }
        let first_id = orders.first().map_or(0, |o| o.order_id);
        let group = format!("oca-{}-{first_id}", self.client.config().client_id);
        ib::one_cancels_all(&mut orders, &group);
        let set = checked
            .iter()
            .zip(orders)
            .map(|(check, order)| (&check.contract, order, check.notional))
            .collect();
        Ok(OcaPlaced {
            group,
            orders: self.send_set(set).await?,
        })
    }

    /// Writes a linked set's orders (ids already set) with their contracts and values,
    /// then waits for every acknowledgement.
    async fn send_set(
        &self,
        set: Vec<(&ResolvedContract, IbOrder, Option<Money>)>,
    ) -> Result<Vec<OrderReport>, Error> {
        let deadline = Instant::now() + self.client.request_timeout();
        let mut pending: Vec<Sent> = Vec::with_capacity(set.len());
        for (contract, order, value) in set {
            let id = OrderId(order.order_id);
            match self.submit(contract, order, value).await {
                Ok(written) => pending.push(written),
                Err(error) if pending.is_empty() => return Err(error),
                Err(error) => {
                    return Err(Error::IncompleteSet {
                        sent: pending.iter().map(|p| p.id).collect(),
                        failed: id,
                        source: Box::new(error),
                    });
                }
            }
        }
        let acknowledgements = pending.into_iter().map(|p| self.acknowledge(p, deadline));
        settle_set(futures::future::join_all(acknowledgements).await)
    }

    /// Writes one order. An `order.order_id` of 0 takes the next id.
    async fn submit(
        &self,
        contract: &ResolvedContract,
        mut order: IbOrder,
        value: Option<Money>,
    ) -> Result<Sent, Error> {
        let gateway = self.client.gateway()?;
        if !gateway.is_connected() {
            return Err(Error::NotConnected);
        }
        if order.order_id == 0 {
            order.order_id = gateway.next_order_id();
        }
        let id = OrderId(order.order_id);
        let writing = gateway.place_order(order.order_id, &contract.ib, &order);
        let updates = match tokio::time::timeout(self.client.request_timeout(), writing).await {
            Ok(Ok(updates)) => updates,
            Err(_) => {
                return Err(Error::OutcomeUnknown {
                    order_id: id,
                    reason: "writing the order to the gateway did not finish in time".into(),
                });
            }
            Ok(Err(error)) if is_connection_error(&error) => {
                return Err(Error::OutcomeUnknown {
                    order_id: id,
                    reason: format!("the connection failed while the order was written ({error})"),
                });
            }
            Ok(Err(error)) => return Err(Error::from_ibapi(error, &contract.symbol)),
        };
        tracing::info!(
            order_id = id.0,
            contract = %contract.describe(),
            action = ?order.action,
            quantity = order.total_quantity,
            order_type = %order.order_type,
            what_if = order.what_if,
            "order sent"
        );
        let mut report = OrderReport::new(id);
        report.con_id = Some(contract.con_id);
        report.contract = Some(contract.describe());
        report.symbol = Some(contract.symbol.to_ascii_uppercase());
        report.notional = value;
        Ok(Sent {
            id,
            updates,
            report,
        })
    }

    /// Waits for the first word on a written order, then takes what else already arrived.
    async fn acknowledge(&self, sent: Sent, deadline: Instant) -> Result<OrderReport, Error> {
        let Sent {
            id,
            mut updates,
            mut report,
        } = sent;
        let unknown = |reason: String| Error::OutcomeUnknown {
            order_id: id,
            reason,
        };
        loop {
            let item = match tokio::time::timeout_at(deadline, updates.next()).await {
                Err(_) => {
                    return Err(unknown(format!(
                        "no acknowledgement within {:?}",
                        self.client.request_timeout()
                    )));
                }
                Ok(None) => {
                    return Err(unknown(
                        "the order's update stream ended before an acknowledgement".into(),
                    ));
                }
                Ok(Some(item)) => item,
            };
            match fold(&mut report, item) {
                Folded::Acknowledged => break,
                Folded::Waiting => {}
                Folded::Rejected(notice) => return Err(rejection(id, notice)),
                Folded::Failed(error) => return Err(unknown(error.to_string())),
            }
        }
        // Fills of a marketable order often arrive in the same burst. Once IBKR has
        // acknowledged the order it may be working or filled: a later error notice cannot
        // mean "nothing happened", so it leaves the outcome unknown, with the id to look up.
        while let Some(Some(item)) = updates.next().now_or_never() {
            match fold(&mut report, item) {
                Folded::Rejected(notice) => {
                    return Err(unknown(format!(
                        "IBKR acknowledged the order, then reported error {}: {} (it may be \
                         working or filled)",
                        notice.code, notice.message
                    )));
                }
                Folded::Failed(_) => break,
                Folded::Acknowledged | Folded::Waiting => {}
            }
        }
        report.finish();
        Ok(report)
    }

    /// Cancels an order and waits for IBKR's confirmation.
    ///
    /// # Errors
    /// [`Error::TradingDisabled`]; [`Error::OrderNotFound`] (code 10147);
    /// [`Error::NotCancellable`] (already filled or cancelled, codes 10148 / 161);
    /// [`Error::OutcomeUnknown`] when no confirmation came.
    pub async fn cancel(&self, order_id: OrderId) -> Result<OrderReport, Error> {
        crate::timing::timed("cancel_order", Box::pin(async {
            self.require_enabled()?;
            if order_id.0 <= 0 {
                // IBKR issues positive ids; a gateway may never answer about another.
                return Err(Error::InvalidRequest(format!(
                    "order id {order_id} is not one IBKR issues (they are positive); nothing was sent"
                )));
            }
            let gateway = self.client.gateway()?;
            if !gateway.is_connected() {
                return Err(Error::NotConnected);
            }
            let unknown = |reason: String| Error::OutcomeUnknown { order_id, reason };
            let mut updates = match tokio::time::timeout(
                self.client.request_timeout(),
                gateway.cancel_order(order_id.0, ""),
            )
            .await
            {
                Ok(Ok(updates)) => updates,
                Err(_) => return Err(unknown("writing the cancel did not finish in time".into())),
                Ok(Err(error)) if is_connection_error(&error) => {
                    return Err(unknown(format!(
                        "the connection failed while the cancel was written ({error})"
                    )));
                }
                Ok(Err(error)) => return Err(Error::from_ibapi(error, "")),
            };
            tracing::info!(order_id = order_id.0, "cancel sent");
            let deadline = Instant::now() + self.client.request_timeout();
            let mut report = OrderReport::new(order_id);
            loop {
                match tokio::time::timeout_at(deadline, updates.next()).await {
                    Err(_) => return Err(unknown("no cancel confirmation in time".into())),
                    Ok(None) => {
                        return Err(unknown(
                            "the cancel's update stream ended before a confirmation".into(),
                        ));
                    }
                    Ok(Some(Ok(SubscriptionItem::Data(ibapi::orders::CancelOrder::OrderStatus(
                        status,
                    ))))) => {
                        report.absorb_status(&status);
                        match report.status {
                            OrderStatus::Cancelled | OrderStatus::ApiCancelled => return Ok(report),
                            OrderStatus::Filled => {
                                return Err(Error::NotCancellable {
                                    order_id,
                                    reason: "the order is filled".into(),
                                });
                            }
                            _ => {}
                        }
                    }
                    Ok(Some(Ok(SubscriptionItem::Notice(notice)))) if notice.is_cancellation() => {
                        report.status = OrderStatus::Cancelled;
                        return Ok(report);
                    }
                    Ok(Some(Ok(SubscriptionItem::Notice(notice)))) => {
                        report.note_warning(&notice.message)
                    }
                    Ok(Some(Err(ibapi::Error::Notice(notice)))) => {
                        return Err(match notice.code {
                            10147 => Error::OrderNotFound(order_id),
                            10148 | 161 => Error::NotCancellable {
                                order_id,
                                reason: notice.message,
                            },
                            code => Error::Ibkr {
                                code,
                                message: notice.message,
                            },
                        });
                    }
                    Ok(Some(Err(error))) => return Err(unknown(error.to_string())),
                }
            }
        }))
        .await
    }

    /// Cancels several orders (a bracket, an OCA group) at once; one result per id, in the
    /// order given. An order already cancelled with its set (a bracket's exits when the
    /// entry is cancelled) counts as cancelled.
    pub async fn cancel_all(&self, order_ids: &[OrderId]) -> Vec<Result<OrderReport, Error>> {
        let mut results =
            futures::future::join_all(order_ids.iter().map(|id| self.cancel(*id))).await;
        let refused: Vec<OrderId> = results
            .iter()
            .filter_map(|result| match result {
                Err(Error::NotCancellable { order_id, .. }) => Some(*order_id),
                _ => None,
            })
            .collect();
        if refused.is_empty() {
            return results;
        }
        if let Ok(found) = self.statuses(&refused).await {
            for report in found.into_iter().flatten() {
                let cancelled = matches!(
                    report.status,
                    OrderStatus::Cancelled | OrderStatus::ApiCancelled
                );
                if let Some(slot) = order_ids.iter().position(|id| *id == report.order_id)
                    && cancelled
                    && let Some(result) = results.get_mut(slot)
                {
                    *result = Ok(report);
                }
            }
        }
        results
    }

    /// Cancels every open order of the account (IBKR's global cancel, manual orders
    /// included). Sends one message; IBKR confirms each order on its own.
    ///
    /// # Errors
    /// [`Error::TradingDisabled`]; [`Error::NotConnected`]; [`Error::Timeout`].
    pub async fn cancel_everything(&self) -> Result<(), Error> {
        self.require_enabled()?;
        if !self.client.gateway()?.is_connected() {
            return Err(Error::NotConnected);
        }
        tracing::warn!("global cancel sent");
        self.client
            .bounded("global cancel", "", self.client.gateway()?.global_cancel())
            .await
    }
}

/// One `place_order` event folded into a report.
enum Folded {
    Acknowledged,
    Waiting,
    Rejected(ibapi::Notice),
    Failed(ibapi::Error),
}

fn fold(
    report: &mut OrderReport,
    item: Result<SubscriptionItem<PlaceOrder>, ibapi::Error>,
) -> Folded {
    match item {
        Ok(SubscriptionItem::Data(PlaceOrder::OpenOrder(data))) => {
            report.absorb_order(&data, false);
            Folded::Acknowledged
        }
        Ok(SubscriptionItem::Data(PlaceOrder::OrderStatus(status))) => {
            report.absorb_status(&status);
            Folded::Acknowledged
        }
        Ok(SubscriptionItem::Data(PlaceOrder::ExecutionData(execution))) => {
            report.absorb_execution(&execution);
            Folded::Waiting
        }
        Ok(SubscriptionItem::Data(PlaceOrder::CommissionReport(commission))) => {
            report.absorb_commission(&commission);
            Folded::Waiting
        }
        Ok(SubscriptionItem::Notice(notice)) => {
            report.note_warning(&notice.message);
            Folded::Waiting
        }
        Err(ibapi::Error::Notice(notice)) => Folded::Rejected(notice),
        Err(error) => Folded::Failed(error),
    }
}

/// The reports of a linked set: all acknowledged, or the failure. When nothing of the set
/// is working and every failure is a refusal, the first refusal; otherwise
/// [`Error::IncompleteSet`] naming what reached the gateway.
fn settle_set(results: Vec<Result<OrderReport, Error>>) -> Result<Vec<OrderReport>, Error> {
    if results.iter().all(Result::is_ok) {
        return Ok(results.into_iter().flatten().collect());
    }
    let sent: Vec<OrderId> = results
        .iter()
        .flatten()
        .map(|report| report.order_id)
        .collect();
    let all_refused = results
        .iter()
        .all(|r| matches!(r, Err(Error::OrderRejected { .. })));
    let mut failures = results.into_iter().filter_map(Result::err);
    let Some(first) = failures.next() else {
        return Err(Error::InvalidRequest(
            "an order set failed without an error".into(),
        ));
    };
    if all_refused {
        return Err(first);
    }
    let failed = match &first {
        Error::OrderRejected { order_id, .. } | Error::OutcomeUnknown { order_id, .. } => *order_id,
        _ => OrderId(0),
    };
    Err(Error::IncompleteSet {
        sent,
        failed,
        source: Box::new(first),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_refused_entirely_reports_the_refusal() {
        let refused = |id| {
            Err(Error::OrderRejected {
                order_id: OrderId(id),
                code: 201,
                reason: "margin".into(),
            })
        };
        let error = settle_set(vec![refused(1), refused(2)]).unwrap_err();
        assert!(matches!(
            error,
            Error::OrderRejected {
                order_id: OrderId(1),
                ..
            }
        ));
        let partial = settle_set(vec![Ok(OrderReport::new(OrderId(1))), refused(2)]).unwrap_err();
        match partial {
            Error::IncompleteSet { sent, failed, .. } => {
                assert_eq!(sent, vec![OrderId(1)]);
                assert_eq!(failed, OrderId(2));
            }
            other => panic!("{other:?}"),
        }
    }
}
