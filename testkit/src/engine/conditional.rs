//! Conditional orders: triggers on the last or mark price, and take-profit / stop-loss legs
//! attached to filled orders.

use rust_decimal::Decimal;

use super::Exchange;
use super::market::floor_units;
use super::order::{Crossing, Exit, Exits, Kind, NewOrder, OrderRecord, Size, Trigger};
use super::types::{MarketId, OrderId, Side, Status, Stp, TimeInForce, TriggerSize, TriggerSource};

impl Exchange {
    /// The price a trigger source watches now (ticks): the last trade, or the reference
    /// (mark and index) price when nothing has traded.
    pub(crate) fn watched_price(&self, market: MarketId, source: TriggerSource) -> i64 {
        let state = &self.markets[usize::from(market.0)];
        match source {
            TriggerSource::Last => state.last.unwrap_or(state.reference),
            TriggerSource::Mark | TriggerSource::Index => state.reference,
        }
    }

    /// Fires every pending trigger of `market` whose price has been reached, until none is
    /// left to fire. `reference_range` is the lowest and highest reference price since the
    /// last check (a price walk may cross a trigger and come back).
    pub(crate) fn run_triggers(&mut self, market: MarketId, reference_range: Option<(i64, i64)>) {
        loop {
            let state = &self.markets[usize::from(market.0)];
            if state.pending_triggers.is_empty() {
                return;
            }
            let fired = state.pending_triggers.iter().copied().find(|id| {
                let Some(record) = self.orders.get(id) else {
                    return false;
                };
                let (Some(trigger), Some(crossing)) = (record.order.trigger, record.crossing)
                else {
                    return false;
                };
                let (low, high) = match (trigger.source, reference_range) {
                    (TriggerSource::Mark | TriggerSource::Index, Some(range)) => range,
                    _ => {
                        let price = self.watched_price(market, trigger.source);
                        (price, price)
                    }
                };
                match crossing {
                    Crossing::Rising => high >= trigger.price,
                    Crossing::Falling => low <= trigger.price,
                }
            });
            let Some(id) = fired else { return };
            self.markets[usize::from(market.0)]
                .pending_triggers
                .retain(|pending| *pending != id);
            let Some(record) = self.orders.remove(&id) else {
                continue;
            };
            if let Some(sibling) = record.sibling {
                self.cancel_open(sibling);
            }
            self.fire(record);
        }
    }

    /// Turns a triggered order into a live one; if it cannot be placed it ends as
    /// `TriggerFailed`.
    fn fire(&mut self, mut record: OrderRecord) {
        record.triggered_ms = Some(self.now_ms);
        let Some(trigger) = record.order.trigger else {
            return;
        };
        let steps = self.trigger_steps(&record, trigger.size);
        if steps < 1 {
            record.status = Status::TriggerFailed;
            self.finish(record);
            return;
        }
        record.order.size = Size::Base(steps);
        record.status = Status::New;
        // The record is live now; its client id stays registered while it is.
        if let Err((_, mut record)) = self.activate(record) {
            record.status = Status::TriggerFailed;
            self.finish(*record);
        }
    }

    fn trigger_steps(&self, record: &OrderRecord, size: TriggerSize) -> i64 {
        let percent = match size {
            TriggerSize::Steps(steps) => return steps,
            TriggerSize::Percent(percent) => percent / Decimal::ONE_HUNDRED,
        };
        let market = &self.markets[usize::from(record.order.market.0)];
        let account = &self.accounts[record.account.0 as usize];
        if market.is_perp() {
            let position = self.position(record.account, market.id).net_steps;
            return floor_units(Decimal::from(position.abs()) * percent, Decimal::ONE);
        }
        match record.order.side {
            Side::Ask => floor_units(
                account.balance(market.base).available * percent,
                market.config.step_size,
            ),
            Side::Bid => floor_units(
                account.balance(market.quote).available * percent,
                market.price(market.reference) * market.config.step_size,
            ),
        }
    }

    /// Creates the take-profit and stop-loss legs of a finished order that filled: opposite
    /// side, the filled quantity, reduce-only on perps, each cancelling the other when it
    /// fires.
    pub(crate) fn attach_exits(&mut self, parent: &OrderRecord) {
        let Exits {
            take_profit,
            stop_loss,
        } = parent.order.exits;
        let long = parent.order.side == Side::Bid;
        let perp = self.markets[usize::from(parent.order.market.0)].is_perp();
        let mut leg = |exit: Exit, profit: bool| -> OrderId {
            let id = self.next_order_id();
            let crossing = if long == profit {
                Crossing::Rising
            } else {
                Crossing::Falling
            };
            let record = OrderRecord {
                id,
                account: parent.account,
                order: NewOrder {
                    market: parent.order.market,
                    side: parent.order.side.opposite(),
                    kind: match exit.limit {
                        Some(price) => Kind::Limit {
                            price,
                            tif: TimeInForce::Gtc,
                            post_only: false,
                        },
                        None => Kind::Market,
                    },
                    size: Size::Base(parent.executed),
                    client_id: None,
                    reduce_only: perp,
                    stp: Stp::RejectTaker,
                    trigger: Some(Trigger {
                        price: exit.trigger,
                        size: TriggerSize::Steps(parent.executed),
                        source: exit.source,
                    }),
                    exits: Exits::default(),
                },
                created_ms: self.now_ms,
                status: Status::TriggerPending,
                executed: 0,
                executed_quote: Decimal::ZERO,
                reserved: Decimal::ZERO,
                crossing: Some(crossing),
                triggered_ms: None,
                related: Some(parent.id),
                sibling: None,
                node: None,
            };
            self.open(record);
            id
        };
        let tp = take_profit.map(|exit| leg(exit, true));
        let sl = stop_loss.map(|exit| leg(exit, false));
        if let (Some(tp), Some(sl)) = (tp, sl) {
            if let Some(record) = self.orders.get_mut(&tp) {
                record.sibling = Some(sl);
            }
            if let Some(record) = self.orders.get_mut(&sl) {
                record.sibling = Some(tp);
            }
        }
        self.run_triggers(parent.order.market, None);
    }
}
