//! The messages the broker sends: open orders, order status, executions, commission
//! reports, completed orders.

use rust_decimal::Decimal;

use super::super::proto;
use super::super::wire::{frame, reply};
use super::{Broker, ExecutionRecord, FakeOrder, f64_of, text};

impl Broker {
    pub(super) fn open_order_frame(&self, order: &FakeOrder) -> Vec<u8> {
        frame(
            reply::OPEN_ORDER,
            &proto::encode(&proto::OpenOrder {
                order_id: Some(order.id),
                contract: Some(self.contract_of(order.con_id)),
                order: Some(self.echo(order)),
                order_state: Some(proto::OrderState {
                    status: Some(order.status.clone()),
                    ..proto::OrderState::default()
                }),
            }),
        )
    }

    pub(super) fn status_frame(&self, order: &FakeOrder) -> Vec<u8> {
        frame(
            reply::ORDER_STATUS,
            &proto::encode(&proto::OrderStatus {
                order_id: Some(order.id),
                status: Some(order.status.clone()),
                filled: text(order.filled),
                remaining: text(if order.is_open() {
                    order.remaining()
                } else {
                    Decimal::ZERO
                }),
                avg_fill_price: f64_of(order.avg_fill_price),
                perm_id: Some(order.perm_id),
                parent_id: Some(order.parent_id),
                last_fill_price: f64_of(order.last_fill_price),
                client_id: Some(order.client_id),
                why_held: None,
            }),
        )
    }

    pub(crate) fn execution_frame(&self, req_id: i32, record: &ExecutionRecord) -> Vec<u8> {
        frame(
            reply::EXECUTION_DATA,
            &proto::encode(&proto::ExecutionDetails {
                req_id: Some(req_id),
                contract: Some(self.contract_of(record.con_id)),
                execution: Some(proto::Execution {
                    order_id: Some(record.order_id),
                    exec_id: Some(record.exec_id.clone()),
                    time: Some(record.time.clone()),
                    acct_number: Some(self.account.id.clone()),
                    exchange: Some(
                        self.instrument(record.con_id)
                            .map_or_else(String::new, |i| i.primary_exchange.clone()),
                    ),
                    side: Some(if record.buy { "BOT" } else { "SLD" }.into()),
                    shares: text(record.shares),
                    price: f64_of(record.price),
                    perm_id: Some(record.perm_id),
                    client_id: Some(record.client_id),
                    cum_qty: text(record.cum_qty),
                    avg_price: f64_of(record.avg_price),
                }),
            }),
        )
    }

    pub(crate) fn commission_frame(&self, record: &ExecutionRecord) -> Vec<u8> {
        frame(
            reply::COMMISSION_REPORT,
            &proto::encode(&proto::CommissionAndFeesReport {
                exec_id: Some(record.exec_id.clone()),
                commission_and_fees: f64_of(record.commission),
                currency: Some("USD".into()),
                realized_pnl: (!record.realized.is_zero())
                    .then(|| f64_of(record.realized))
                    .flatten(),
            }),
        )
    }

    /// `OpenOrder` + `OrderStatus` for each live order (of `client_id`, or of everyone).
    pub fn open_order_frames(&self, client_id: Option<i32>) -> Vec<Vec<u8>> {
        self.orders
            .values()
            .filter(|o| o.is_open() && client_id.is_none_or(|c| c == o.client_id))
            .flat_map(|o| [self.open_order_frame(o), self.status_frame(o)])
            .collect()
    }

    /// `CompletedOrder` for each finished order.
    pub fn completed_order_frames(&self) -> Vec<Vec<u8>> {
        self.orders
            .values()
            .filter(|o| !o.is_open())
            .map(|o| {
                // Real TWS reports a completed order's unfilled rest as its quantity.
                let mut echoed = self.echo(o);
                echoed.total_quantity = text(o.remaining());
                echoed.filled_quantity = text(o.filled);
                frame(
                    reply::COMPLETED_ORDER,
                    &proto::encode(&proto::CompletedOrder {
                        contract: Some(self.contract_of(o.con_id)),
                        order: Some(echoed),
                        order_state: Some(proto::OrderState {
                            status: Some(o.status.clone()),
                            completed_time: o.completed_time.clone(),
                            completed_status: Some(o.status.clone()),
                            ..proto::OrderState::default()
                        }),
                    }),
                )
            })
            .collect()
    }

    pub(super) fn echo(&self, order: &FakeOrder) -> proto::Order {
        let mut echoed = order.order.clone();
        echoed.client_id = Some(order.client_id);
        echoed.order_id = Some(order.id);
        echoed.perm_id = Some(order.perm_id);
        echoed.account = Some(self.account.id.clone());
        echoed
    }
}
