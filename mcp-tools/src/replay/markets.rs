//! The venues a replay runs intents against, rebuilt as the journal recorded them: a
//! Backpack simulator, a fake IBKR gateway whose prices walk on a manual clock.

use std::collections::HashMap;
use std::sync::Arc;

use backpack_sdk::Client;
use backpack_sdk::model::{ClientOrderId, OrderExecutePayload, OrderId, OrderRef};
use backpack_sdk::spec::OrderSpec;
use ibkr_sdk::{BracketSpec, Config, IbkrClient, OrderRequest};
use testkit::backpack::Simulator;
use testkit::engine::ExchangeConfig;
use testkit::tws::{FakeTws, WalkPlan};
use trading_core::clock::{ManualClock, SharedClock};

use super::Outcome;
use crate::config::{DEFAULT_SIMULATOR_SEED, Venue};
use crate::safety::journal::{Entry, Fill, SimulatorStart, WriteOutcome};
use crate::tools::backpack_read::backpack_error;
use crate::tools::ibkr_read::ibkr_error;
use crate::tools::ibkr_trade::fill_of;
use crate::venues::ibkr::SIMULATOR_WALK_INTERVAL;

/// What running one intent gave, a note on how it ran, and what the order had executed a
/// moment after the answer when that can differ from the answer (IBKR).
pub(super) type Ran = Result<(Outcome, Option<String>, Option<Fill>), String>;

/// A rebuilt Backpack simulator.
struct Market {
    /// Which recorded start it is (`None`: the default one, nothing recorded).
    start: Option<usize>,
    clock: Arc<ManualClock>,
    client: Client,
    _simulator: Simulator,
}

/// Replays Backpack intents.
pub(super) struct BackpackReplay {
    starts: Vec<SimulatorStart>,
    market: Option<Market>,
    /// Recorded order id → the id the replayed order got.
    ids: HashMap<String, String>,
}

/// The id in a journaled result detail `order 123 clientId 7`.
fn recorded_order_id(detail: Option<&str>) -> Option<String> {
    let mut words = detail?.split_whitespace();
    (words.next()? == "order").then(|| words.next().map(str::to_owned))?
}

impl BackpackReplay {
    pub(super) fn new(starts: &[SimulatorStart]) -> Self {
        Self {
            starts: starts
                .iter()
                .filter(|s| s.venue == Venue::Backpack)
                .cloned()
                .collect(),
            market: None,
            ids: HashMap::new(),
        }
    }

    /// The simulator `entry` met: the last one started before it (a server process starts
    /// its own), rebuilt when it changes; the default one when none was recorded.
    /// Returns the note to give (no simulator recorded).
    fn market_for(&mut self, entry: &Entry) -> Result<Option<String>, String> {
        let at_ms = u64::try_from(entry.ts.timestamp_millis()).unwrap_or(0);
        let (start, rebuild) =
            start_for(&self.starts, entry, self.market.as_ref().map(|m| m.start));
        let mut note = None;
        if rebuild {
            let (seed, speed, start_ms) = match start.and_then(|i| self.starts.get(i)) {
                Some(s) => (s.seed, s.speed, s.start_ms),
                None => {
                    note = Some(nothing_recorded());
                    (DEFAULT_SIMULATOR_SEED, 1, at_ms)
                }
            };
            let clock = Arc::new(ManualClock::new(start_ms));
            let simulator = Simulator::builder()
                .exchange(ExchangeConfig {
                    seed,
                    ..ExchangeConfig::default()
                })
                .speed(speed)
                .clock(Arc::clone(&clock))
                .build()
                .map_err(|e| format!("the simulator did not start: {e}"))?;
            let client = simulator
                .client_builder()
                .clock(Arc::clone(&clock) as Arc<dyn trading_core::clock::Clock>)
                .build()
                .map_err(|e| e.to_string())?;
            self.ids.clear();
            self.market = Some(Market {
                start,
                clock,
                client,
                _simulator: simulator,
            });
        }
        let market = self
            .market
            .as_ref()
            .ok_or_else(|| "no simulator".to_owned())?;
        market.clock.set(at_ms.max(market.clock_now()));
        Ok(note)
    }

    /// Runs one intent.
    pub(super) async fn run(&mut self, entry: &Entry, recorded: &Outcome) -> Ran {
        let request = entry
            .request
            .clone()
            .ok_or_else(|| "the journal has no request for this intent".to_owned())?;
        let tool = entry.tool.clone();
        // After a rebuild, so that the ids of an earlier simulator are not used.
        let note = self.market_for(entry)?;
        let market = self
            .market
            .as_ref()
            .ok_or_else(|| "no simulator".to_owned())?;
        let orders = market.client.orders();
        let outcome = match tool.as_str() {
            "backpack_create_order" => {
                let payload: OrderExecutePayload = serde_json::from_value(request)
                    .map_err(|e| format!("the journaled order is unreadable: {e}"))?;
                let spec = OrderSpec::try_from(payload)
                    .map_err(|e| format!("the journaled order is not valid: {e}"))?;
                match orders.place(&spec).await {
                    Ok(order) => {
                        if let Some(was) = recorded_order_id(recorded.detail.as_deref()) {
                            self.ids.insert(was, order.id.as_str().to_owned());
                        }
                        Outcome {
                            outcome: Some(WriteOutcome::Accepted),
                            fill: Some(crate::tools::backpack_trade::fill_of(&order)),
                            detail: Some(format!("order {}", order.id.as_str())),
                        }
                    }
                    Err(error) => failed(
                        crate::tools::backpack_trade::outcome(&error),
                        backpack_error(&error),
                    ),
                }
            }
            "backpack_cancel_order" => {
                let symbol = request["symbol"].as_str().unwrap_or_default().to_owned();
                let order = match (request["orderId"].as_str(), request["clientId"].as_u64()) {
                    (Some(id), _) => OrderRef::from(OrderId::new(
                        self.ids.get(id).cloned().unwrap_or_else(|| id.to_owned()),
                    )),
                    (None, Some(client)) => OrderRef::from(ClientOrderId(
                        u32::try_from(client).map_err(|_| "a clientId beyond u32".to_owned())?,
                    )),
                    (None, None) => return Err("the cancel names no order".into()),
                };
                match orders.cancel(symbol, order).await {
                    Ok(_) => accepted("cancelled"),
                    Err(error) => failed(
                        crate::tools::backpack_trade::outcome(&error),
                        backpack_error(&error),
                    ),
                }
            }
            "backpack_cancel_all_orders" => {
                let symbol = request["cancelAll"].as_str().unwrap_or_default().to_owned();
                match orders.cancel_all(symbol, None).await {
                    Ok(backpack_sdk::model::CancelOutcome::Cancelled(orders)) => {
                        accepted(&format!("{} cancelled", orders.len()))
                    }
                    Ok(backpack_sdk::model::CancelOutcome::Accepted) => accepted("accepted"),
                    Err(error) => failed(
                        crate::tools::backpack_trade::outcome(&error),
                        backpack_error(&error),
                    ),
                }
            }
            other => return Err(format!("{other} is not a write this replay knows")),
        };
        Ok((outcome, note, None))
    }
}

impl Market {
    fn clock_now(&self) -> u64 {
        trading_core::clock::Clock::now_ms(self.clock.as_ref())
    }
}

fn accepted(detail: &str) -> Outcome {
    Outcome {
        outcome: Some(WriteOutcome::Accepted),
        fill: None,
        detail: Some(detail.to_owned()),
    }
}

fn failed(outcome: WriteOutcome, message: String) -> Outcome {
    Outcome {
        outcome: Some(outcome),
        fill: None,
        detail: Some(message),
    }
}

/// A rebuilt fake gateway, its prices walking on a manual clock.
struct Gateway {
    /// Which recorded start it is (`None`: the default one, nothing recorded).
    start: Option<usize>,
    clock: Arc<ManualClock>,
    fake: FakeTws,
    client: IbkrClient,
}

/// Replays IBKR intents.
pub(super) struct IbkrReplay {
    starts: Vec<SimulatorStart>,
    gateway: Option<Gateway>,
    /// Recorded order id → the id the replayed order got.
    ids: HashMap<i64, i64>,
}

impl IbkrReplay {
    pub(super) fn new(starts: &[SimulatorStart]) -> Self {
        Self {
            starts: starts
                .iter()
                .filter(|s| s.venue == Venue::Ibkr)
                .cloned()
                .collect(),
            gateway: None,
            ids: HashMap::new(),
        }
    }

    /// The fake gateway `entry` met (as [`BackpackReplay::market_for`] finds the
    /// simulator), its clock moved to the entry's time and its walk caught up. Returns the
    /// note to give (no simulator recorded).
    async fn gateway_for(&mut self, entry: &Entry) -> Result<Option<String>, String> {
        let at_ms = u64::try_from(entry.ts.timestamp_millis()).unwrap_or(0);
        let (start, rebuild) =
            start_for(&self.starts, entry, self.gateway.as_ref().map(|g| g.start));
        let mut note = None;
        if rebuild {
            let (seed, start_ms) = match start.and_then(|i| self.starts.get(i)) {
                Some(s) => (s.seed, s.start_ms),
                None => {
                    note = Some(nothing_recorded());
                    (DEFAULT_SIMULATOR_SEED, at_ms)
                }
            };
            let clock = Arc::new(ManualClock::new(start_ms));
            let fake = FakeTws::builder()
                .record_requests(false)
                .manual_clock(Arc::clone(&clock))
                .try_start()
                .await
                .map_err(|e| format!("the fake gateway did not start: {e}"))?;
            fake.set_walk(
                SharedClock::from(Arc::clone(&clock)),
                WalkPlan {
                    seed,
                    start_ms,
                    interval: SIMULATOR_WALK_INTERVAL,
                },
            );
            let mut config = Config::paper("127.0.0.1", fake.address().port());
            config.orders_enabled = true;
            config.max_messages_per_second = None;
            let client = IbkrClient::connect(config)
                .await
                .map_err(|e| e.to_string())?;
            self.ids.clear();
            self.gateway = Some(Gateway {
                start,
                clock,
                fake,
                client,
            });
        }
        let gateway = self
            .gateway
            .as_ref()
            .ok_or_else(|| "no gateway".to_owned())?;
        gateway
            .clock
            .set(at_ms.max(trading_core::clock::Clock::now_ms(gateway.clock.as_ref())));
        while gateway.fake.catch_up_walk() > 0 {}
        Ok(note)
    }

    /// Runs one intent.
    pub(super) async fn run(&mut self, entry: &Entry, recorded: &Outcome) -> Ran {
        let request = entry
            .request
            .clone()
            .ok_or_else(|| "the journal has no request for this intent".to_owned())?;
        let recorded_ids: Vec<i64> = recorded
            .detail
            .as_deref()
            .and_then(|d| d.strip_prefix("orders "))
            .map(|ids| {
                ids.split(',')
                    .filter_map(|i| i.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let tool = entry.tool.clone();
        // After a rebuild, so that the ids of an earlier gateway are not used.
        let note = self.gateway_for(entry).await?;
        let mut settled = None;
        let client = self
            .gateway
            .as_ref()
            .map(|g| g.client.clone())
            .ok_or_else(|| "no gateway".to_owned())?;
        let orders = client.orders();
        let outcome = match tool.as_str() {
            "ibkr_place_order" => {
                let placed = if request.get("entry").is_some() {
                    let bracket: BracketSpec = serde_json::from_value(request)
                        .map_err(|e| format!("the journaled bracket is unreadable: {e}"))?;
                    orders
                        .place_bracket(&bracket)
                        .await
                        .map(|set| vec![set.entry, set.take_profit, set.stop_loss])
                } else {
                    // The journal keeps the validated order; an order request (what a
                    // person would write) is read too.
                    let spec = match serde_json::from_value::<ibkr_sdk::OrderSpec>(request.clone())
                    {
                        Ok(spec) => spec,
                        Err(error) => serde_json::from_value::<OrderRequest>(request)
                            .map_err(|_| format!("the journaled order is unreadable: {error}"))
                            .and_then(|order| {
                                ibkr_sdk::OrderSpec::try_from(order)
                                    .map_err(|e| format!("the journaled order is not valid: {e}"))
                            })?,
                    };
                    orders.place(&spec).await.map(|report| vec![report])
                };
                match placed {
                    Ok(reports) => {
                        for (was, report) in recorded_ids.iter().zip(&reports) {
                            self.ids.insert(*was, i64::from(report.order_id.0));
                        }
                        let entry = reports.first();
                        // Fills IBKR sends right after the acknowledgement may or may not
                        // be in the answer: the order as the gateway has it a moment later
                        // (the clock has not moved) is the other state the run may have
                        // recorded. An answer that is final has nothing more to come.
                        settled = match entry {
                            Some(report) if !report.status.is_final() => orders
                                .status(report.order_id)
                                .await
                                .ok()
                                .map(|r| fill_of(&r)),
                            _ => None,
                        };
                        Outcome {
                            outcome: Some(WriteOutcome::Accepted),
                            fill: entry.map(fill_of),
                            detail: Some(format!(
                                "orders {}",
                                reports
                                    .iter()
                                    .map(|r| r.order_id.to_string())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            )),
                        }
                    }
                    Err(error) => failed(
                        crate::tools::ibkr_trade::outcome(&error),
                        ibkr_error(&error),
                    ),
                }
            }
            "ibkr_cancel_order" => {
                let wanted: Vec<ibkr_sdk::OrderId> = request["orderIds"]
                    .as_array()
                    .map(|ids_asked| {
                        ids_asked
                            .iter()
                            .filter_map(serde_json::Value::as_i64)
                            .map(|id| self.ids.get(&id).copied().unwrap_or(id))
                            .filter_map(|id| i32::try_from(id).ok())
                            .map(ibkr_sdk::OrderId)
                            .collect()
                    })
                    .unwrap_or_default();
                let results = orders.cancel_all(&wanted).await;
                match results.into_iter().find_map(Result::err) {
                    None => accepted("cancelled"),
                    Some(error) => failed(
                        crate::tools::ibkr_trade::outcome(&error),
                        ibkr_error(&error),
                    ),
                }
            }
            other => return Err(format!("{other} is not a write this replay knows")),
        };
        Ok((outcome, note, settled))
    }
}

/// The recorded start `entry` met (the last one at or before it: a server process starts
/// its own), and whether the venue replayed so far (`current`: which start it was built
/// for, `None` when there is none yet) must be rebuilt for it.
fn start_for(
    starts: &[SimulatorStart],
    entry: &Entry,
    current: Option<Option<usize>>,
) -> (Option<usize>, bool) {
    let start = starts.iter().rposition(|s| s.ts <= entry.ts);
    let rebuild = current.is_none_or(|built| built != start && start.is_some());
    (start, rebuild)
}

/// The note for a journal with no simulator recorded for the venue.
fn nothing_recorded() -> String {
    format!(
        "no simulator was recorded for this journal: replayed against a fresh one (seed {DEFAULT_SIMULATOR_SEED}) started at this order"
    )
}
