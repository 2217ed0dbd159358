//! The fake gateway's order engine: orders placed by clients, their life cycle, fills
//! against the instruments' quotes, and the messages each event sends.
//!
//! Fill model: market orders fill completely at the touch (ask for buys, bid for sells);
//! marketable limit orders fill at the touch up to the displayed size, the rest rests and
//! fills as quotes change; stops and trailing stops watch the last price; on-close and
//! on-open orders wait for [`Broker::auction`]. Orders sent with `transmit` unset are held
//! until a child of theirs arrives with `transmit` set (brackets); children work only once
//! their parent filled, and a filled child cancels its siblings. Orders of one OCA group
//! cancel (type 1) or reduce (types 2, 3) each other.

use std::collections::{BTreeMap, BTreeSet};
use trading_core::clock::{Clock, SharedClock};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

mod frames;
mod kinds;
mod working;

use kinds::{Kind, parse_kind};

use super::account::{AccountState, commission, margin_of};
use super::market::{Instrument, Quote};
use super::proto;
use super::wire::{frame, reply};

/// The largest order value the simulated account accepts (IBKR's Total Value Limit).
const MAX_ORDER_VALUE: i64 = 1_000_000_000_000;

/// A frame for the connection of one client id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The client the frame is for.
    pub client_id: i32,
    /// The encoded frame.
    pub frame: Vec<u8>,
}

/// Which auction [`Broker::auction`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auction {
    /// Opening auction: on-open orders execute.
    Open,
    /// Closing auction: on-close orders execute.
    Close,
}

/// Orders are identified per client, as in TWS: `(client id, order id)`.
pub type OrderKey = (i32, i32);

/// An order the fake knows.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeOrder {
    /// Order id.
    pub id: i32,
    /// Client that placed it.
    pub client_id: i32,
    /// Permanent id.
    pub perm_id: i64,
    /// Instrument.
    pub con_id: i32,
    /// The order as received, echoed in replies.
    pub order: proto::Order,
    /// Buy (`true`) or sell.
    pub buy: bool,
    /// Ordered quantity.
    pub quantity: Decimal,
    /// Filled so far.
    pub filled: Decimal,
    /// Average fill price.
    pub avg_fill_price: Decimal,
    /// Last fill price.
    pub last_fill_price: Decimal,
    /// TWS status: `PreSubmitted`, `Submitted`, `Filled`, `Cancelled`.
    pub status: String,
    kind: Kind,
    triggered: bool,
    extreme: Option<Decimal>,
    /// Sent with `transmit` set (or released by a child that was).
    pub transmitted: bool,
    /// Parent order (brackets).
    pub parent_id: i32,
    /// OCA group.
    pub oca_group: String,
    oca_type: i32,
    /// When it finished (`YYYYMMDD HH:MM:SS`).
    pub completed_time: Option<String>,
}

impl FakeOrder {
    /// Whether the order is still live.
    pub fn is_open(&self) -> bool {
        !matches!(self.status.as_str(), "Filled" | "Cancelled" | "Inactive")
    }

    /// The order's key in [`Broker::orders`].
    pub fn key(&self) -> OrderKey {
        (self.client_id, self.id)
    }

    pub(super) fn remaining(&self) -> Decimal {
        self.quantity - self.filled
    }
}

/// One execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionRecord {
    /// Execution id.
    pub exec_id: String,
    /// Order id.
    pub order_id: i32,
    /// Client id.
    pub client_id: i32,
    /// Permanent order id.
    pub perm_id: i64,
    /// Instrument.
    pub con_id: i32,
    /// Bought (`true`) or sold.
    pub buy: bool,
    /// Quantity.
    pub shares: Decimal,
    /// Price.
    pub price: Decimal,
    /// Cumulative quantity of the order.
    pub cum_qty: Decimal,
    /// Average price of the order so far.
    pub avg_price: Decimal,
    /// Commission.
    pub commission: Decimal,
    /// PnL realized by the execution.
    pub realized: Decimal,
    /// Time, `YYYYMMDD-HH:MM:SS`.
    pub time: String,
}

/// Instruments, the account and the orders.
#[derive(Debug, Clone)]
pub struct Broker {
    /// Where "now" comes from (order and execution times, error times).
    pub clock: SharedClock,
    /// Instruments.
    pub instruments: Vec<Instrument>,
    /// The account.
    pub account: AccountState,
    /// Orders by client and id.
    pub orders: BTreeMap<OrderKey, FakeOrder>,
    /// The orders still live, so working them does not scan finished ones.
    live: BTreeSet<OrderKey>,
    /// Executions, oldest first.
    pub executions: Vec<ExecutionRecord>,
    /// Next order id to suggest (`NextValidId`).
    pub next_order_id: i32,
    next_perm_id: i64,
    next_exec: u64,
    /// Displayed size already taken at each instrument's current quote: (bid, ask). A new
    /// quote shows fresh size.
    taken: BTreeMap<i32, (Decimal, Decimal)>,
}

pub(crate) fn f64_of(value: Decimal) -> Option<f64> {
    value.to_f64()
}

pub(crate) fn text(value: Decimal) -> Option<String> {
    Some(value.normalize().to_string())
}

pub(crate) fn decimal(value: Option<f64>) -> Option<Decimal> {
    value
        .filter(|v| v.is_finite() && *v != f64::MAX)
        .and_then(|v| v.to_string().parse().ok())
}

pub(super) fn now_text(clock: &SharedClock) -> String {
    let secs = clock.now_ms() / 1_000;
    let days = secs / 86_400;
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    let rem = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}-{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// An error frame for a request or order id.
pub(crate) fn error_frame(clock: &SharedClock, id: i32, code: i32, message: &str) -> Vec<u8> {
    let now_ms = i64::try_from(clock.now_ms()).unwrap_or(i64::MAX);
    frame(
        reply::ERROR,
        &proto::encode(&proto::ErrorMessage {
            id: Some(id),
            error_time: Some(now_ms),
            error_code: Some(code),
            error_msg: Some(message.into()),
        }),
    )
}

impl Broker {
    /// A broker with `instruments` and an account of `cash`.
    pub fn new(instruments: Vec<Instrument>, account_id: &str, cash: Decimal) -> Self {
        Self {
            clock: SharedClock::system(),
            instruments,
            account: AccountState::new(account_id, cash),
            orders: BTreeMap::new(),
            live: BTreeSet::new(),
            executions: Vec::new(),
            next_order_id: 1,
            next_perm_id: 1_882_000_001,
            next_exec: 1,
            taken: BTreeMap::new(),
        }
    }

    /// Order `order_id` of client `client_id`.
    pub fn order(&self, client_id: i32, order_id: i32) -> Option<&FakeOrder> {
        self.orders.get(&(client_id, order_id))
    }

    /// The instrument with `con_id`.
    pub fn instrument(&self, con_id: i32) -> Option<&Instrument> {
        self.instruments.iter().find(|i| i.con_id == con_id)
    }

    /// Instruments matching a requested contract.
    pub fn find(&self, wanted: &proto::Contract) -> Vec<&Instrument> {
        self.instruments
            .iter()
            .filter(|i| i.matches(wanted))
            .collect()
    }

    fn contract_of(&self, con_id: i32) -> proto::Contract {
        self.instrument(con_id)
            .map(Instrument::contract)
            .unwrap_or_default()
    }

    pub(super) fn to_client(&self, order: &FakeOrder, frames: Vec<Vec<u8>>) -> Vec<Outbound> {
        frames
            .into_iter()
            .map(|frame| Outbound {
                client_id: order.client_id,
                frame,
            })
            .collect()
    }

    /// Handles `PlaceOrder` from `client_id`: a new order, a modification of a live one, or
    /// a what-if preview.
    pub fn place(
        &mut self,
        client_id: i32,
        order_id: i32,
        contract: &proto::Contract,
        order: proto::Order,
    ) -> Vec<Outbound> {
        let reject = |code: i32, message: String| {
            vec![Outbound {
                client_id,
                frame: error_frame(&self.clock, order_id, code, &message),
            }]
        };
        let matches = self.find(contract);
        let con_id = match matches.as_slice() {
            [one] => one.con_id,
            [] => {
                return reject(
                    200,
                    "No security definition has been found for the request".into(),
                );
            }
            _ => {
                return reject(
                    200,
                    "The contract description specified is ambiguous".into(),
                );
            }
        };
        let key = (client_id, order_id);
        if let Some(existing) = self.orders.get(&key)
            && !existing.is_open()
        {
            return reject(103, format!("Duplicate order id {order_id}"));
        }
        let parent_id = order.parent_id.unwrap_or(0);
        if parent_id != 0
            && !self
                .orders
                .get(&(client_id, parent_id))
                .is_some_and(FakeOrder::is_open)
        {
            return reject(
                201,
                format!("Order rejected - reason:parent order {parent_id} is not working"),
            );
        }
        let buy = match order.action.as_deref() {
            Some("BUY") => true,
            Some("SELL" | "SSHORT" | "SLONG") => false,
            other => {
                return reject(
                    201,
                    format!("Order rejected - reason:invalid action {other:?}"),
                );
            }
        };
        let quantity = order
            .total_quantity
            .as_deref()
            .and_then(|q| q.parse::<Decimal>().ok())
            .filter(|q| q.is_sign_positive() && !q.is_zero());
        let Some(quantity) = quantity else {
            return reject(
                201,
                "Order rejected - reason:the order quantity must be positive".into(),
            );
        };
        let kind = match parse_kind(&order) {
            Ok(kind) => kind,
            Err(reason) => return reject(201, format!("Order rejected - reason:{reason}")),
        };
        let Some(instrument) = self.instrument(con_id).cloned() else {
            return reject(
                200,
                "No security definition has been found for the request".into(),
            );
        };
        if !instrument.tradable {
            return reject(
                201,
                format!(
                    "Order rejected - reason:{} {} is not tradable",
                    instrument.symbol, instrument.sec_type
                ),
            );
        }
        let signed = if buy { quantity } else { -quantity };
        let price = match kind {
            Kind::Limit(p) | Kind::StopLimit { limit: p, .. } => p,
            Kind::Stop(p) => p,
            _ => instrument.quote.last,
        };
        // Like IBKR's order value limits: an order whose value cannot be computed or is
        // beyond any account is rejected, never multiplied into an overflow.
        let value = price
            .max(instrument.quote.last)
            .checked_mul(quantity)
            .and_then(|v| v.checked_mul(instrument.multiplier));
        if value.is_none_or(|v| v > Decimal::from(MAX_ORDER_VALUE)) {
            return reject(
                201,
                format!(
                    "Order rejected - reason:The order value exceeds the Total Value Limit of {MAX_ORDER_VALUE}"
                ),
            );
        }
        if order.what_if == Some(true) {
            return self.what_if(client_id, order_id, &instrument, order, signed, price);
        }
        if let Some(reason) = self.margin_shortfall(&instrument, signed) {
            return reject(201, format!("Order rejected - reason:{reason}"));
        }
        let previous = self
            .orders
            .get(&key)
            .map(|o| (o.perm_id, o.filled, o.avg_fill_price));
        let modification = previous.is_some();
        let (perm_id, filled, avg_fill_price) = match previous {
            Some(previous) => previous,
            None => (self.allocate_perm_id(), Decimal::ZERO, Decimal::ZERO),
        };
        let transmit = order.transmit == Some(true);
        let mut record = FakeOrder {
            id: order_id,
            client_id,
            perm_id,
            con_id,
            buy,
            quantity,
            filled,
            avg_fill_price,
            last_fill_price: Decimal::ZERO,
            status: "PreSubmitted".into(),
            kind,
            triggered: false,
            extreme: None,
            transmitted: transmit,
            parent_id,
            oca_group: order.oca_group.clone().unwrap_or_default(),
            oca_type: order.oca_type.unwrap_or(0),
            completed_time: None,
            order,
        };
        if let Kind::Trail { .. } = record.kind {
            record.extreme = Some(instrument.quote.last);
        }
        self.next_order_id = self.next_order_id.max(order_id + 1);
        self.orders.insert(key, record);
        self.live.insert(key);
        let mut out = Vec::new();
        // A transmitted child releases its held parent and siblings (a bracket goes live
        // when its last leg arrives).
        let keys: Vec<OrderKey> = if transmit && parent_id != 0 {
            self.orders
                .values()
                .filter(|o| {
                    o.client_id == client_id && (o.id == parent_id || o.parent_id == parent_id)
                })
                .map(FakeOrder::key)
                .collect()
        } else {
            vec![key]
        };
        for leg in &keys {
            if let Some(o) = self.orders.get_mut(leg) {
                o.transmitted |= transmit;
            }
        }
        for leg in keys {
            self.refresh_status(leg);
            if let Some(o) = self.orders.get(&leg)
                && (leg == key || !modification)
            {
                let frames = vec![self.open_order_frame(o), self.status_frame(o)];
                out.extend(self.to_client(o, frames));
            }
        }
        out.extend(self.evaluate_all());
        out
    }

    fn allocate_perm_id(&mut self) -> i64 {
        let id = self.next_perm_id;
        self.next_perm_id += 1;
        id
    }

    /// Sets `PreSubmitted` (held, waiting for a parent or an auction) or `Submitted`.
    pub(super) fn refresh_status(&mut self, key: OrderKey) {
        let parent_filled = self
            .orders
            .get(&key)
            .map(|o| o.parent_id)
            .filter(|p| *p != 0)
            .map(|p| {
                self.orders
                    .get(&(key.0, p))
                    .is_some_and(|parent| parent.status == "Filled")
            });
        if let Some(order) = self.orders.get_mut(&key) {
            if !order.is_open() {
                return;
            }
            let waiting = !order.transmitted
                || parent_filled == Some(false)
                || matches!(order.kind, Kind::AtClose(_) | Kind::AtOpen(_));
            order.status = if waiting { "PreSubmitted" } else { "Submitted" }.into();
        }
    }

    fn margin_shortfall(&self, instrument: &Instrument, signed: Decimal) -> Option<String> {
        let current = self
            .account
            .holdings
            .get(&instrument.con_id)
            .map_or(Decimal::ZERO, |h| h.quantity);
        let added = margin_of(instrument, current + signed) - margin_of(instrument, current);
        if added <= Decimal::ZERO {
            return None;
        }
        let (init, _) = self.account.margin(&self.instruments);
        let equity = self.account.net_liquidation(&self.instruments);
        (equity - init - added < Decimal::ZERO).then(|| {
            format!(
                "YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE [{}] MUST EXCEED THE INITIAL MARGIN [{}]",
                equity.round_dp(2),
                (init + added).round_dp(2)
            )
        })
    }

    fn what_if(
        &self,
        client_id: i32,
        order_id: i32,
        instrument: &Instrument,
        order: proto::Order,
        signed: Decimal,
        price: Decimal,
    ) -> Vec<Outbound> {
        let current = self
            .account
            .holdings
            .get(&instrument.con_id)
            .map_or(Decimal::ZERO, |h| h.quantity);
        let (init, maint) = self.account.margin(&self.instruments);
        let mut priced = instrument.clone();
        priced.quote.last = price;
        let change = margin_of(&priced, current + signed) - margin_of(&priced, current);
        let equity = self.account.net_liquidation(&self.instruments);
        let fee = commission(instrument, signed);
        let state = proto::OrderState {
            status: Some("PreSubmitted".into()),
            init_margin_before: f64_of(init),
            maint_margin_before: f64_of(maint),
            equity_with_loan_before: f64_of(equity),
            init_margin_change: f64_of(change),
            maint_margin_change: f64_of(change * Decimal::new(8, 1)),
            equity_with_loan_change: f64_of(-fee),
            init_margin_after: f64_of(init + change),
            maint_margin_after: f64_of(maint + change * Decimal::new(8, 1)),
            equity_with_loan_after: f64_of(equity - fee),
            commission_and_fees: f64_of(fee),
            min_commission_and_fees: f64_of(fee),
            max_commission_and_fees: f64_of(fee),
            commission_and_fees_currency: Some(instrument.currency.clone()),
            margin_currency: Some(self.account.currency.clone()),
            warning_text: (equity - init - change < Decimal::ZERO)
                .then(|| "Insufficient equity for this order".into()),
            completed_time: None,
            completed_status: None,
        };
        let mut echoed = order;
        echoed.client_id = Some(client_id);
        echoed.order_id = Some(order_id);
        vec![Outbound {
            client_id,
            frame: frame(
                reply::OPEN_ORDER,
                &proto::encode(&proto::OpenOrder {
                    order_id: Some(order_id),
                    contract: Some(instrument.contract()),
                    order: Some(echoed),
                    order_state: Some(state),
                }),
            ),
        }]
    }

    /// Handles `CancelOrder`.
    pub fn cancel(&mut self, client_id: i32, order_id: i32) -> Vec<Outbound> {
        match self.orders.get(&(client_id, order_id)) {
            None => vec![Outbound {
                client_id,
                frame: error_frame(
                    &self.clock,
                    order_id,
                    10147,
                    &format!("OrderId {order_id} that needs to be cancelled is not found."),
                ),
            }],
            Some(order) if !order.is_open() => vec![Outbound {
                client_id,
                frame: error_frame(
                    &self.clock,
                    order_id,
                    10148,
                    &format!(
                        "OrderId {order_id} that needs to be cancelled cannot be cancelled, state: {}.",
                        order.status
                    ),
                ),
            }],
            Some(_) => {
                let mut out = self.finish((client_id, order_id), "Cancelled");
                let children: Vec<OrderKey> = self
                    .orders
                    .values()
                    .filter(|o| o.client_id == client_id && o.parent_id == order_id && o.is_open())
                    .map(FakeOrder::key)
                    .collect();
                for child in children {
                    out.extend(self.finish(child, "Cancelled"));
                }
                out
            }
        }
    }

    /// Cancels every live order.
    pub fn global_cancel(&mut self) -> Vec<Outbound> {
        let keys: Vec<OrderKey> = self
            .orders
            .values()
            .filter(|o| o.is_open())
            .map(FakeOrder::key)
            .collect();
        keys.into_iter()
            .flat_map(|key| self.finish(key, "Cancelled"))
            .collect()
    }

    pub(super) fn finish(&mut self, key: OrderKey, status: &str) -> Vec<Outbound> {
        let Some(order) = self.orders.get_mut(&key) else {
            return Vec::new();
        };
        order.status = status.into();
        order.completed_time = Some(now_text(&self.clock));
        self.live.remove(&key);
        let order = order.clone();
        let mut frames = vec![self.status_frame(&order)];
        if status == "Cancelled" {
            frames.push(error_frame(
                &self.clock,
                key.1,
                202,
                "Order Canceled - reason:",
            ));
        }
        self.to_client(&order, frames)
    }

    /// Changes an instrument's quote, then works every order.
    pub fn set_quote(&mut self, con_id: i32, quote: Quote) -> Vec<Outbound> {
        if let Some(instrument) = self.instruments.iter_mut().find(|i| i.con_id == con_id) {
            instrument.quote = quote;
            self.taken.remove(&con_id);
        }
        self.evaluate_all()
    }
}
