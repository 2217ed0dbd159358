//! What the order calls return: an order's status, a report with its fills, a preview; and
//! the fold that builds a report from `ibapi`'s order events.

use ibapi::orders::{
    Action as IbAction, CommissionReport, ExecutionData, OrderData, OrderState,
    OrderStatus as IbStatus, OrderStatusKind,
};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::{Action, OrderTypeCode};
use crate::boundary::{from_ib, from_ib_opt};
use crate::money::{ConId, Money, OrderId, Price, Quantity};

/// Where an order is in its life (IBKR's statuses).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Known to the API client, not yet to TWS.
    ApiPending,
    /// Sent, not yet acknowledged.
    PendingSubmit,
    /// A cancel was sent, not yet confirmed.
    PendingCancel,
    /// Accepted and held: waiting for its trigger, its parent, an auction or its
    /// transmitting leg.
    PreSubmitted,
    /// Working at the exchange.
    Submitted,
    /// Cancelled before TWS accepted it.
    ApiCancelled,
    /// Cancelled (by the trader, IBKR or the exchange).
    Cancelled,
    /// Completely filled.
    Filled,
    /// Not working: rejected, or waiting for something it will not get.
    Inactive,
    /// A status this crate does not know, as IBKR wrote it.
    Other(String),
}

impl OrderStatus {
    /// IBKR's name: `Submitted`, `Filled`, ...
    pub fn as_str(&self) -> &str {
        match self {
            OrderStatus::ApiPending => "ApiPending",
            OrderStatus::PendingSubmit => "PendingSubmit",
            OrderStatus::PendingCancel => "PendingCancel",
            OrderStatus::PreSubmitted => "PreSubmitted",
            OrderStatus::Submitted => "Submitted",
            OrderStatus::ApiCancelled => "ApiCancelled",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Filled => "Filled",
            OrderStatus::Inactive => "Inactive",
            OrderStatus::Other(text) => text,
        }
    }

    /// Whether the order is over: filled, cancelled or inactive.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Cancelled
                | OrderStatus::ApiCancelled
                | OrderStatus::Inactive
        )
    }
}

impl From<&OrderStatusKind> for OrderStatus {
    fn from(kind: &OrderStatusKind) -> Self {
        match kind {
            OrderStatusKind::ApiPending => OrderStatus::ApiPending,
            OrderStatusKind::PendingSubmit => OrderStatus::PendingSubmit,
            OrderStatusKind::PendingCancel => OrderStatus::PendingCancel,
            OrderStatusKind::PreSubmitted => OrderStatus::PreSubmitted,
            OrderStatusKind::Submitted => OrderStatus::Submitted,
            OrderStatusKind::ApiCancelled => OrderStatus::ApiCancelled,
            OrderStatusKind::Cancelled => OrderStatus::Cancelled,
            OrderStatusKind::Filled => OrderStatus::Filled,
            OrderStatusKind::Inactive => OrderStatus::Inactive,
            OrderStatusKind::Unknown(text) => OrderStatus::Other(text.clone()),
        }
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OrderStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for OrderStatus {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OrderStatus".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "IBKR status: PendingSubmit, PreSubmitted, Submitted, PendingCancel, Cancelled, ApiCancelled, Filled, Inactive, ..."
        })
    }
}

/// One execution of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Fill {
    /// IBKR's execution id (a correction replaces the execution it corrects).
    pub exec_id: String,
    /// When, as IBKR wrote it.
    pub time: String,
    /// Where.
    pub exchange: String,
    /// How many.
    pub quantity: Quantity,
    /// At what price.
    pub price: Price,
    /// Commission, once IBKR reported it.
    pub commission: Option<Money>,
    /// PnL the execution realized, when IBKR reported one.
    pub realized_pnl: Option<Money>,
}

/// Where a [`Preview`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum PreviewSource {
    /// IBKR's what-if check: margins and commission are IBKR's.
    Ibkr,
    /// Computed here without sending anything (orders disabled, or a dry run): checks,
    /// limits and notional only.
    Simulated,
}

/// What an order would do, checked against the limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Preview {
    /// IBKR's what-if, or a local simulation.
    pub source: PreviewSource,
    /// Contract id.
    pub con_id: ConId,
    /// What it is (`STK AAPL`).
    pub contract: String,
    /// The contract's currency (notional, commission).
    pub currency: String,
    /// Buy or sell.
    pub action: Action,
    /// How many.
    pub quantity: Quantity,
    /// Order type.
    pub order_type: OrderTypeCode,
    /// The market price on the order's side (ask for a buy, bid for a sell, else last),
    /// else the order's own price.
    pub reference_price: Option<Price>,
    /// The most the order can execute for: quantity × worst price × multiplier (see
    /// `value_basis`). Absent when no bound can be given.
    pub notional: Option<Money>,
    /// How `notional` was computed, or why the order cannot be valued.
    pub value_basis: Option<String>,
    /// Commission IBKR expects.
    pub commission: Option<Money>,
    /// Its currency.
    pub commission_currency: Option<String>,
    /// Change of the initial margin.
    pub initial_margin_change: Option<Money>,
    /// Change of the maintenance margin.
    pub maintenance_margin_change: Option<Money>,
    /// Change of the equity with loan.
    pub equity_with_loan_change: Option<Money>,
    /// Initial margin after the order.
    pub initial_margin_after: Option<Money>,
    /// Maintenance margin after the order.
    pub maintenance_margin_after: Option<Money>,
    /// Equity with loan after the order.
    pub equity_with_loan_after: Option<Money>,
    /// IBKR's warning (insufficient equity, ...).
    pub warning: Option<String>,
    /// Whether `place` would send it (`ORDERS_ENABLED`).
    pub orders_enabled: bool,
}

impl Preview {
    pub(crate) fn apply_what_if(&mut self, state: &OrderState) {
        let money = |value: Option<f64>| from_ib_opt(value).map(Money::new);
        self.source = PreviewSource::Ibkr;
        self.commission = money(state.commission);
        self.commission_currency =
            Some(state.commission_currency.clone()).filter(|c| !c.is_empty());
        self.initial_margin_change = money(state.initial_margin_change);
        self.maintenance_margin_change = money(state.maintenance_margin_change);
        self.equity_with_loan_change = money(state.equity_with_loan_change);
        self.initial_margin_after = money(state.initial_margin_after);
        self.maintenance_margin_after = money(state.maintenance_margin_after);
        self.equity_with_loan_after = money(state.equity_with_loan_after);
        self.warning = Some(state.warning_text.clone()).filter(|w| !w.is_empty());
    }
}

/// An order as IBKR reports it, with its fills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct OrderReport {
    /// Order id (per client id).
    pub order_id: OrderId,
    /// IBKR's permanent id.
    pub perm_id: Option<i64>,
    /// Parent order (bracket exits).
    pub parent_id: Option<OrderId>,
    /// Contract id.
    pub con_id: Option<ConId>,
    /// What it trades (`STK AAPL`).
    pub contract: Option<String>,
    /// The contract's symbol (`AAPL`, `ES`): what symbol allow-lists name.
    pub symbol: Option<String>,
    /// Buy or sell.
    pub action: Option<Action>,
    /// IBKR's order type (`LMT`, `STP LMT`, ...).
    pub order_type: Option<String>,
    /// How many were ordered.
    pub quantity: Option<Quantity>,
    /// Limit price.
    pub limit_price: Option<Price>,
    /// Stop price (or trailing amount).
    pub stop_price: Option<Price>,
    /// OCA group.
    pub oca_group: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// Filled so far.
    pub filled: Quantity,
    /// Still to fill.
    pub remaining: Option<Quantity>,
    /// Average fill price.
    pub avg_fill_price: Option<Price>,
    /// Executions.
    pub fills: Vec<Fill>,
    /// Value estimated before sending (price × quantity × multiplier), when known.
    pub notional: Option<Money>,
    /// IBKR's warnings about the order.
    pub warnings: Vec<String>,
}

impl OrderReport {
    pub(crate) fn new(order_id: OrderId) -> Self {
        Self {
            order_id,
            perm_id: None,
            parent_id: None,
            con_id: None,
            contract: None,
            symbol: None,
            action: None,
            order_type: None,
            quantity: None,
            limit_price: None,
            stop_price: None,
            oca_group: None,
            status: OrderStatus::PendingSubmit,
            filled: Quantity::ZERO,
            remaining: None,
            avg_fill_price: None,
            fills: Vec::new(),
            notional: None,
            warnings: Vec::new(),
        }
    }

    /// Folds an open or completed order's data in. A completed order's quantity is what
    /// was left unfilled (IBKR's convention), so it is added to the filled quantity.
    pub(crate) fn absorb_order(&mut self, data: &OrderData, completed: bool) {
        let order = &data.order;
        let contract = &data.contract;
        if order.perm_id != 0 {
            self.perm_id = Some(order.perm_id);
        }
        self.parent_id = (order.parent_id != 0).then_some(OrderId(order.parent_id));
        if contract.contract_id != 0 {
            self.con_id = Some(ConId(contract.contract_id));
        }
        let name = if contract.local_symbol.trim().is_empty() {
            contract.symbol.to_string()
        } else {
            contract.local_symbol.trim().to_owned()
        };
        self.contract = Some(format!("{} {}", contract.security_type, name));
        if !contract.symbol.to_string().trim().is_empty() {
            self.symbol = Some(contract.symbol.to_string().trim().to_ascii_uppercase());
        }
        self.action = Some(match order.action {
            IbAction::Buy => Action::Buy,
            IbAction::Sell | IbAction::SellShort | IbAction::SellLong => Action::Sell,
        });
        self.order_type = Some(order.order_type.clone()).filter(|t| !t.is_empty());
        let total = from_ib(order.total_quantity);
        let filled = from_ib(order.filled_quantity).unwrap_or(Decimal::ZERO);
        if completed {
            self.quantity = total
                .and_then(|rest| rest.checked_add(filled))
                .map(Quantity::new);
            self.remaining = total.map(Quantity::new);
            if filled > self.filled.value() {
                self.filled = Quantity::new(filled);
            }
        } else {
            self.quantity = total.map(Quantity::new);
        }
        self.limit_price = from_ib_opt(order.limit_price).map(Price::new);
        self.stop_price = from_ib_opt(order.aux_price)
            .or_else(|| from_ib_opt(order.trail_stop_price))
            .map(Price::new);
        self.oca_group = Some(order.oca_group.clone()).filter(|g| !g.is_empty());
        self.status = OrderStatus::from(&data.order_state.status);
        self.note_warning(&data.order_state.warning_text);
    }

    /// Folds a status update in.
    pub(crate) fn absorb_status(&mut self, status: &IbStatus) {
        self.status = OrderStatus::from(&status.status);
        if let Some(filled) = from_ib(status.filled) {
            self.filled = Quantity::new(filled);
        }
        self.remaining = from_ib(status.remaining).map(Quantity::new);
        if status.perm_id != 0 {
            self.perm_id = Some(status.perm_id);
        }
        if status.parent_id != 0 {
            self.parent_id = Some(OrderId(status.parent_id));
        }
        if let Some(avg) = from_ib_opt(status.average_fill_price).filter(|p| !p.is_zero()) {
            self.avg_fill_price = Some(Price::new(avg));
        }
    }

    /// Folds an execution in; a correction (same id up to the last `.`) replaces the
    /// execution it corrects.
    pub(crate) fn absorb_execution(&mut self, data: &ExecutionData) {
        let execution = &data.execution;
        let (Some(quantity), Some(price)) = (from_ib(execution.shares), from_ib(execution.price))
        else {
            return;
        };
        let fill = Fill {
            exec_id: execution.execution_id.clone(),
            time: execution.time.clone(),
            exchange: execution.exchange.clone(),
            quantity: Quantity::new(quantity),
            price: Price::new(price),
            commission: None,
            realized_pnl: None,
        };
        let stem = correction_stem(&fill.exec_id).to_owned();
        match self
            .fills
            .iter_mut()
            .find(|f| correction_stem(&f.exec_id) == stem)
        {
            Some(existing) => *existing = fill,
            None => self.fills.push(fill),
        }
    }

    /// Attaches a commission report to its execution.
    pub(crate) fn absorb_commission(&mut self, report: &CommissionReport) {
        if let Some(fill) = self
            .fills
            .iter_mut()
            .find(|f| f.exec_id == report.execution_id)
        {
            fill.commission = from_ib(report.commission).map(Money::new);
            fill.realized_pnl = from_ib_opt(report.realized_pnl).map(Money::new);
        }
    }

    pub(crate) fn note_warning(&mut self, text: &str) {
        let text = text.trim();
        if !text.is_empty() && !self.warnings.iter().any(|w| w == text) {
            self.warnings.push(text.to_owned());
        }
    }

    /// Fills in what IBKR did not say: the average price from the fills.
    pub(crate) fn finish(&mut self) {
        if self.avg_fill_price.is_none() {
            self.avg_fill_price = average_price(&self.fills);
        }
    }
}

fn correction_stem(exec_id: &str) -> &str {
    exec_id.rsplit_once('.').map_or(exec_id, |(stem, _)| stem)
}

/// The quantity-weighted average of the fills' prices.
pub(crate) fn average_price(fills: &[Fill]) -> Option<Price> {
    let mut quantity = Decimal::ZERO;
    let mut value = Decimal::ZERO;
    for fill in fills {
        quantity = quantity.checked_add(fill.quantity.value())?;
        value = value.checked_add(fill.price.value().checked_mul(fill.quantity.value())?)?;
    }
    value
        .checked_div(quantity)
        .map(|avg| Price::new(avg.normalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibapi::orders::Execution;

    fn execution(exec_id: &str, shares: f64, price: f64) -> ExecutionData {
        ExecutionData {
            execution: Execution {
                execution_id: exec_id.into(),
                shares,
                price,
                ..Execution::default()
            },
            ..ExecutionData::default()
        }
    }

    #[test]
    fn fills_average_and_corrections_replace() {
        let mut report = OrderReport::new(OrderId(1));
        report.absorb_execution(&execution("0001f4e8.6571e3a0.01.01", 40.0, 10.0));
        report.absorb_execution(&execution("0001f4e8.6571e3a1.01.01", 60.0, 10.5));
        report.finish();
        assert_eq!(report.avg_fill_price, Some("10.3".parse().unwrap()));
        report.absorb_execution(&execution("0001f4e8.6571e3a1.01.02", 60.0, 10.25));
        assert_eq!(report.fills.len(), 2);
        assert_eq!(report.fills[1].price, "10.25".parse().unwrap());
        report.absorb_commission(&CommissionReport {
            execution_id: "0001f4e8.6571e3a1.01.02".into(),
            commission: 1.25,
            ..CommissionReport::default()
        });
        assert_eq!(report.fills[1].commission, Some("1.25".parse().unwrap()));
        assert_eq!(average_price(&report.fills), Some("10.15".parse().unwrap()));
    }

    #[test]
    fn statuses_round_trip_their_names() {
        for kind in [
            OrderStatusKind::Submitted,
            OrderStatusKind::Filled,
            OrderStatusKind::Unknown("Weird".into()),
        ] {
            let status = OrderStatus::from(&kind);
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        assert!(OrderStatus::Inactive.is_final());
        assert!(!OrderStatus::PreSubmitted.is_final());
    }
}
