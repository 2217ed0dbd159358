//! Working orders against quotes: the fill model, triggers, auctions, and what a fill does
//! to brackets and OCA groups.

use rust_decimal::Decimal;

use super::super::account::commission;
use super::kinds::Kind;
use super::{Auction, Broker, ExecutionRecord, FakeOrder, OrderKey, Outbound, now_text};

impl Broker {
    /// Runs an auction: on-close or on-open orders execute at the last price (limit orders
    /// only when marketable; the others are cancelled).
    pub fn auction(&mut self, auction: Auction) -> Vec<Outbound> {
        let ids: Vec<OrderKey> = self
            .orders
            .values()
            .filter(|o| o.is_open() && o.transmitted)
            .filter(|o| {
                matches!(
                    (auction, o.kind),
                    (Auction::Close, Kind::AtClose(_)) | (Auction::Open, Kind::AtOpen(_))
                )
            })
            .map(FakeOrder::key)
            .collect();
        let mut out = Vec::new();
        for id in ids {
            let Some(order) = self.orders.get(&id).cloned() else {
                continue;
            };
            let Some(last) = self.instrument(order.con_id).map(|i| i.quote.last) else {
                continue;
            };
            let limit = match order.kind {
                Kind::AtClose(limit) | Kind::AtOpen(limit) => limit,
                _ => None,
            };
            let marketable = limit.is_none_or(|l| if order.buy { last <= l } else { last >= l });
            if marketable {
                out.extend(self.fill(id, order.remaining(), last));
            } else {
                out.extend(self.finish(id, "Cancelled"));
            }
        }
        out
    }

    /// Works every live order against the current quotes until nothing more happens.
    pub(super) fn evaluate_all(&mut self) -> Vec<Outbound> {
        let mut out = Vec::new();
        for _ in 0..16 {
            let ids: Vec<OrderKey> = self.live.iter().copied().collect();
            let before = out.len();
            for id in ids {
                self.refresh_status(id);
                out.extend(self.evaluate(id));
            }
            if out.len() == before {
                break;
            }
        }
        out
    }

    fn evaluate(&mut self, id: OrderKey) -> Vec<Outbound> {
        let Some(order) = self.orders.get(&id).cloned() else {
            return Vec::new();
        };
        if order.status != "Submitted" {
            return Vec::new();
        }
        let Some(quote) = self.instrument(order.con_id).map(|i| i.quote) else {
            return Vec::new();
        };
        let touch = if order.buy { quote.ask } else { quote.bid };
        // Limit orders take what is displayed and not yet taken (no size shown: unlimited).
        let (taken_bid, taken_ask) = self.taken.get(&order.con_id).copied().unwrap_or_default();
        let size = if order.buy {
            (!quote.ask_size.is_zero()).then(|| (quote.ask_size - taken_ask).max(Decimal::ZERO))
        } else {
            (!quote.bid_size.is_zero()).then(|| (quote.bid_size - taken_bid).max(Decimal::ZERO))
        };
        let crosses_stop = |stop: Decimal| {
            if order.buy {
                quote.last >= stop
            } else {
                quote.last <= stop
            }
        };
        let limit_fill = |limit: Decimal| {
            let marketable = if order.buy {
                touch <= limit
            } else {
                touch >= limit
            };
            let quantity = size.map_or(order.remaining(), |size| order.remaining().min(size));
            marketable.then_some((quantity, touch))
        };
        let decision = match order.kind {
            Kind::Market => Some((order.remaining(), touch)),
            Kind::Limit(limit) => limit_fill(limit),
            Kind::Stop(stop) if order.triggered || crosses_stop(stop) => {
                self.mark_triggered(id);
                Some((order.remaining(), touch))
            }
            Kind::StopLimit { stop, limit } if order.triggered || crosses_stop(stop) => {
                self.mark_triggered(id);
                limit_fill(limit)
            }
            Kind::Trail {
                amount,
                percent,
                stop,
                limit_offset,
            } => {
                let extreme = match order.extreme {
                    Some(e) if order.buy => e.min(quote.last),
                    Some(e) => e.max(quote.last),
                    None => quote.last,
                };
                let distance = amount.unwrap_or_else(|| {
                    extreme * percent.unwrap_or_default() / Decimal::ONE_HUNDRED
                });
                let trailed = if order.buy {
                    extreme + distance
                } else {
                    extreme - distance
                };
                let stop = match stop {
                    Some(s) if order.buy => s.min(trailed),
                    Some(s) => s.max(trailed),
                    None => trailed,
                };
                if let Some(o) = self.orders.get_mut(&id) {
                    o.extreme = Some(extreme);
                    if let Kind::Trail { stop: current, .. } = &mut o.kind {
                        *current = Some(stop);
                    }
                }
                if order.triggered || crosses_stop(stop) {
                    self.mark_triggered(id);
                    match limit_offset {
                        Some(offset) => limit_fill(if order.buy {
                            stop + offset
                        } else {
                            stop - offset
                        }),
                        None => Some((order.remaining(), touch)),
                    }
                } else {
                    None
                }
            }
            _ => None,
        };
        match decision {
            Some((quantity, price)) if quantity > Decimal::ZERO && price > Decimal::ZERO => {
                self.fill(id, quantity, price)
            }
            _ => Vec::new(),
        }
    }

    fn mark_triggered(&mut self, id: OrderKey) {
        if let Some(order) = self.orders.get_mut(&id) {
            order.triggered = true;
        }
    }

    /// Executes `quantity` of order `id` at `price`: books it, reports it, and applies
    /// bracket and OCA rules.
    fn fill(&mut self, id: OrderKey, quantity: Decimal, price: Decimal) -> Vec<Outbound> {
        let Some(order) = self.orders.get(&id).cloned() else {
            return Vec::new();
        };
        let Some(instrument) = self.instrument(order.con_id).cloned() else {
            return Vec::new();
        };
        let signed = if order.buy { quantity } else { -quantity };
        let taken = self.taken.entry(order.con_id).or_default();
        if order.buy {
            taken.1 += quantity;
        } else {
            taken.0 += quantity;
        }
        let fee = commission(&instrument, quantity);
        let realized = self.account.apply_fill(&instrument, signed, price, fee);
        let filled = order.filled + quantity;
        let average = (order.avg_fill_price * order.filled + price * quantity) / filled;
        let exec_id = format!("0000e0d5.{:08x}.01.01", self.next_exec);
        self.next_exec += 1;
        let time = now_text(&self.clock);
        let done = filled >= order.quantity;
        let updated = {
            let Some(o) = self.orders.get_mut(&id) else {
                return Vec::new();
            };
            o.filled = filled;
            o.avg_fill_price = average.round_dp(8);
            o.last_fill_price = price;
            if done {
                o.status = "Filled".into();
                o.completed_time = Some(time.clone());
                self.live.remove(&id);
            }
            o.clone()
        };
        let record = ExecutionRecord {
            exec_id: exec_id.clone(),
            order_id: id.1,
            client_id: order.client_id,
            perm_id: order.perm_id,
            con_id: order.con_id,
            buy: order.buy,
            shares: quantity,
            price,
            cum_qty: filled,
            avg_price: updated.avg_fill_price,
            commission: fee,
            realized,
            time,
        };
        let frames = vec![
            self.status_frame(&updated),
            self.execution_frame(-1, &record),
            self.commission_frame(&record),
        ];
        self.executions.push(record);
        let mut out = self.to_client(&updated, frames);
        if done && updated.parent_id != 0 {
            // A filled bracket leg cancels the other legs.
            let siblings: Vec<OrderKey> = self
                .orders
                .values()
                .filter(|o| {
                    o.client_id == updated.client_id
                        && o.parent_id == updated.parent_id
                        && o.key() != id
                        && o.is_open()
                })
                .map(FakeOrder::key)
                .collect();
            for sibling in siblings {
                out.extend(self.finish(sibling, "Cancelled"));
            }
        }
        if !updated.oca_group.is_empty() {
            let others: Vec<OrderKey> = self
                .orders
                .values()
                .filter(|o| o.oca_group == updated.oca_group && o.key() != id && o.is_open())
                .map(FakeOrder::key)
                .collect();
            for other in others {
                if updated.oca_type == 1 || updated.oca_type == 0 {
                    out.extend(self.finish(other, "Cancelled"));
                } else if let Some(o) = self.orders.get_mut(&other) {
                    o.quantity = (o.quantity - quantity).max(o.filled);
                    if o.remaining() <= Decimal::ZERO {
                        out.extend(self.finish(other, "Cancelled"));
                    }
                }
            }
        }
        out
    }
}
