//! The journal against the venues after a chaos run: every venue order has an intent, none
//! was sent twice, and nothing executed for more than a cap allows.

use std::collections::{BTreeMap, BTreeSet};

use mcp_tools::AppState;
use mcp_tools::safety::journal::{Filter, Phase};
use rust_decimal::Decimal;
use serde::Serialize;
use testkit::backpack::FakeBackpack;

/// What the reconciliation found.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciled {
    /// Journal rows.
    pub journal_rows: usize,
    /// Orders the Backpack fake holds.
    pub backpack_orders: usize,
    /// Of them, without a journal intent (by client id).
    pub backpack_without_intent: usize,
    /// Client ids that reached the exchange more than once.
    pub backpack_sent_twice: usize,
    /// Orders the IBKR gateway holds (entries; bracket exits are counted with them).
    pub ibkr_orders: usize,
    /// Of them, named by no journal row.
    pub ibkr_without_intent: usize,
    /// Venue order ids claimed by more than one write.
    pub ibkr_sent_twice: usize,
    /// Orders that executed for more than the per-order cap.
    pub over_order_cap: Vec<String>,
    /// Executed notional on Backpack (USDC).
    pub backpack_executed: String,
    /// Executed notional on IBKR (USD).
    pub ibkr_executed: String,
    /// Whether either venue executed more than the daily cap.
    pub over_daily_cap: bool,
}

impl Reconciled {
    /// Whether every promise held.
    pub fn holds(&self) -> bool {
        self.backpack_without_intent == 0
            && self.backpack_sent_twice == 0
            && self.ibkr_without_intent == 0
            && self.ibkr_sent_twice == 0
            && self.over_order_cap.is_empty()
            && !self.over_daily_cap
    }
}

/// The numbers after each `marker` in `text` (`orders 3,4,5`, `order id 7`).
fn ids_after(text: &str, marker: &str) -> Vec<i64> {
    text.match_indices(marker)
        .flat_map(|(at, _)| {
            text[at + marker.len()..]
                .split(|c: char| !(c.is_ascii_digit() || c == ','))
                .next()
                .unwrap_or_default()
                .split(',')
                .filter_map(|id| id.parse::<i64>().ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Reconciles the journal of `state` with `exchange` and the IBKR simulator.
///
/// # Errors
/// When the journal cannot be read.
pub(super) async fn reconcile(
    state: &AppState,
    exchange: &FakeBackpack,
    order_cap: Decimal,
    daily_cap: Decimal,
) -> anyhow::Result<Reconciled> {
    let rows = state
        .journal
        .entries(&Filter::default())
        .map_err(anyhow::Error::msg)?;
    let mut found = Reconciled {
        journal_rows: rows.len(),
        ..Reconciled::default()
    };

    // Backpack: by client id.
    let intents: BTreeSet<u64> = rows
        .iter()
        .filter(|r| r.phase == Phase::Intent && r.tool == "backpack_create_order")
        .filter_map(|r| r.request.as_ref()?.get("clientId")?.as_u64())
        .collect();
    let account = exchange.account();
    let orders = exchange.simulator().order_history(account);
    found.backpack_orders = orders.len();
    let mut by_client: BTreeMap<u64, usize> = BTreeMap::new();
    let mut executed = Decimal::ZERO;
    for order in &orders {
        let client = order.client_id.map(u64::from);
        match client {
            Some(id) if intents.contains(&id) => *by_client.entry(id).or_default() += 1,
            _ => found.backpack_without_intent += 1,
        }
        let value = order.executed_quote_quantity.0;
        if value > order_cap {
            found
                .over_order_cap
                .push(format!("backpack order {} executed for {value}", order.id));
        }
        executed += value;
    }
    found.backpack_sent_twice = by_client.values().filter(|n| **n > 1).count();
    found.backpack_executed = executed.normalize().to_string();
    found.over_daily_cap |= executed > daily_cap;

    // IBKR: by the venue ids the journal's results name.
    let mut claimed: BTreeMap<i64, usize> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|r| r.phase == Phase::Result && r.tool == "ibkr_place_order")
    {
        let detail = row.detail.as_deref().unwrap_or_default();
        let ids: BTreeSet<i64> = ids_after(detail, "orders ")
            .into_iter()
            .chain(ids_after(detail, "order id "))
            .chain(ids_after(detail, "order "))
            .collect();
        for id in ids {
            *claimed.entry(id).or_default() += 1;
        }
    }
    found.ibkr_sent_twice = claimed.values().filter(|n| **n > 1).count();
    let venue = state.ibkr().await.map_err(anyhow::Error::msg)?;
    let Some(gateway) = venue.simulator() else {
        anyhow::bail!("the IBKR venue is not the simulator");
    };
    let (orders, multipliers) = gateway.with_broker(|broker| {
        let multipliers: BTreeMap<i32, Decimal> = broker
            .instruments
            .iter()
            .map(|i| (i.con_id, i.multiplier))
            .collect();
        (
            broker.orders.values().cloned().collect::<Vec<_>>(),
            multipliers,
        )
    });
    let mut executed = Decimal::ZERO;
    for order in orders.iter().filter(|o| o.parent_id == 0) {
        found.ibkr_orders += 1;
        if !claimed.contains_key(&i64::from(order.id)) {
            found.ibkr_without_intent += 1;
        }
        let multiplier = multipliers
            .get(&order.con_id)
            .copied()
            .unwrap_or(Decimal::ONE);
        let value = order.filled * order.avg_fill_price * multiplier;
        if value > order_cap {
            found.over_order_cap.push(format!(
                "ibkr order {} executed for {}",
                order.id,
                value.normalize()
            ));
        }
        executed += value;
    }
    found.ibkr_executed = executed.normalize().to_string();
    found.over_daily_cap |= executed > daily_cap;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venue_ids_are_read_from_journal_details() {
        assert_eq!(ids_after("orders 3,4,5", "orders "), [3, 4, 5]);
        assert_eq!(
            ids_after(
                "x; call ibkr_get_order_status with order id 12 (venue order 12)",
                "order id "
            ),
            [12]
        );
    }
}
