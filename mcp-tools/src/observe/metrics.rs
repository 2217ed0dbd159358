//! The server's metrics, in the Prometheus text format (`prometheus-client`: the encoding,
//! escaping and histogram buckets are the crate's, not ours).
//!
//! - `trading_calls_total{door,tool,outcome}`, `trading_refusals_total{tool,reason}`,
//!   `trading_venue_errors_total{tool,code}`;
//! - `trading_call_duration_seconds{tool}` and `trading_venue_request_duration_seconds{venue,endpoint}`
//!   (market-data latency is the venue's quote, ticker and depth endpoints);
//! - `trading_orders_total{venue,outcome}`: every order attempt, refused ones included;
//! - `trading_reconnects_total{venue}`: IBKR gateway sessions and Backpack stream
//!   connections re-established after a loss;
//! - `trading_cap_used{venue,mode}` and `trading_cap_limit{venue,cap}`: what the rolling
//!   day's orders can execute for against the caps, read from the journal at each scrape.
//!
//! Prometheus samples are float64 by definition: cap figures become `f64` here, at the
//! export, and nowhere else.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::{CallEvent, CallOutcome, VenueRequest};
use crate::safety::journal::WriteOutcome;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CallLabels {
    door: &'static str,
    tool: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReasonLabels {
    tool: String,
    reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CodeLabels {
    tool: String,
    code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EndpointLabels {
    venue: &'static str,
    endpoint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OrderLabels {
    venue: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct VenueLabels {
    venue: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct UsedLabels {
    venue: &'static str,
    mode: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LimitLabels {
    venue: &'static str,
    cap: &'static str,
}

type Latency = Family<EndpointLabels, Histogram, fn() -> Histogram>;
type Durations = Family<ToolLabels, Histogram, fn() -> Histogram>;

/// 50 µs to about 100 s, doubling.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 22))
}

/// The short summary `status` gives the assistant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Tool calls.
    pub calls: u64,
    /// Refused by the server.
    pub refused: u64,
    /// Failed at the venue.
    pub venue_errors: u64,
    /// Outcome unknown.
    pub outcome_unknown: u64,
    /// Orders accepted.
    pub orders_accepted: u64,
    /// Median venue time per call, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue_p50_ms: Option<u64>,
}

/// The server's metrics (one registry per server: nothing global).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    refusals: Family<ReasonLabels, Counter>,
    venue_errors: Family<CodeLabels, Counter>,
    durations: Durations,
    latency: Latency,
    orders: Family<OrderLabels, Counter>,
    reconnects: Family<VenueLabels, Counter>,
    cap_used: Family<UsedLabels, Gauge<f64, AtomicU64>>,
    cap_limit: Family<LimitLabels, Gauge<f64, AtomicU64>>,
    summary: Mutex<Summary>,
}

/// The running totals behind [`Activity`] (a bounded window of venue times for the median).
#[derive(Debug, Default)]
struct Summary {
    activity: Activity,
    venue_ms: std::collections::VecDeque<u64>,
}

/// How many recent venue times the median is taken over.
const SUMMARY_WINDOW: usize = 1024;

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics, registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("trading");
        let calls = Family::default();
        let refusals = Family::default();
        let venue_errors = Family::default();
        let durations: Durations = Family::new_with_constructor(latency_buckets);
        let latency: Latency = Family::new_with_constructor(latency_buckets);
        let orders = Family::default();
        let reconnects = Family::default();
        let cap_used = Family::default();
        let cap_limit = Family::default();
        registry.register(
            "calls",
            "Tool calls by front door, tool and outcome",
            calls.clone(),
        );
        registry.register(
            "refusals",
            "Calls the server refused, by tool and reason",
            refusals.clone(),
        );
        registry.register(
            "venue_errors",
            "Calls the venue failed, by tool and error code",
            venue_errors.clone(),
        );
        registry.register(
            "call_duration_seconds",
            "Tool call duration, start to answer",
            durations.clone(),
        );
        registry.register(
            "venue_request_duration_seconds",
            "Venue request latency by venue and endpoint (market data: quote, ticker, depth)",
            latency.clone(),
        );
        registry.register(
            "orders",
            "Order attempts by venue and outcome (refused ones are not_sent)",
            orders.clone(),
        );
        registry.register(
            "reconnects",
            "Venue sessions re-established after a loss",
            reconnects.clone(),
        );
        registry.register(
            "cap_used",
            "What the rolling day's orders can execute for, in the cap currency",
            cap_used.clone(),
        );
        registry.register(
            "cap_limit",
            "The configured caps, in the cap currency",
            cap_limit.clone(),
        );
        Self {
            registry,
            calls,
            refusals,
            venue_errors,
            durations,
            latency,
            orders,
            reconnects,
            cap_used,
            cap_limit,
            summary: Mutex::default(),
        }
    }

    /// Counts a finished call and its venue requests.
    pub fn record_call(&self, event: &CallEvent, requests: &[VenueRequest]) {
        self.calls
            .get_or_create(&CallLabels {
                door: event.door.as_str(),
                tool: event.tool.clone(),
                outcome: event.outcome.as_str(),
            })
            .inc();
        match event.outcome {
            CallOutcome::Refused(code) => {
                self.refusals
                    .get_or_create(&ReasonLabels {
                        tool: event.tool.clone(),
                        reason: code.as_str(),
                    })
                    .inc();
            }
            CallOutcome::VenueError(code) | CallOutcome::Unknown(code) => {
                self.venue_errors
                    .get_or_create(&CodeLabels {
                        tool: event.tool.clone(),
                        code: code.as_str(),
                    })
                    .inc();
            }
            _ => {}
        }
        self.durations
            .get_or_create(&ToolLabels {
                tool: event.tool.clone(),
            })
            .observe(seconds(event.total_us));
        for request in requests {
            self.latency
                .get_or_create(&EndpointLabels {
                    venue: request.venue,
                    endpoint: request.endpoint.clone(),
                })
                .observe(seconds(request.elapsed_us));
        }
        let mut summary = self
            .summary
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let activity = &mut summary.activity;
        activity.calls += 1;
        match event.outcome {
            CallOutcome::Refused(_) => activity.refused += 1,
            CallOutcome::VenueError(_) => activity.venue_errors += 1,
            CallOutcome::Unknown(_) => activity.outcome_unknown += 1,
            _ => {}
        }
        if event.venue_requests > 0 {
            if summary.venue_ms.len() == SUMMARY_WINDOW {
                summary.venue_ms.pop_front();
            }
            summary.venue_ms.push_back(event.venue_us / 1000);
        }
    }

    /// Counts an order attempt that ended with `outcome` (refusals are `not_sent`).
    pub fn record_order(&self, venue: &'static str, outcome: WriteOutcome) {
        let outcome = match outcome {
            WriteOutcome::Accepted => "accepted",
            WriteOutcome::Rejected => "rejected",
            WriteOutcome::Unknown => "unknown",
            WriteOutcome::NotSent => "not_sent",
        };
        self.orders
            .get_or_create(&OrderLabels { venue, outcome })
            .inc();
        if outcome == "accepted" {
            self.summary
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .activity
                .orders_accepted += 1;
        }
    }

    /// Counts a session of `venue` re-established.
    pub fn record_reconnect(&self, venue: &'static str) {
        self.reconnects.get_or_create(&VenueLabels { venue }).inc();
    }

    /// Brings `venue`'s reconnect count up to `total`, a count its client keeps itself. It
    /// never goes down, and concurrent scrapes cannot count a reconnect twice.
    pub fn catch_up_reconnects(&self, venue: &'static str, total: u64) {
        self.reconnects
            .get_or_create(&VenueLabels { venue })
            .inner()
            .fetch_max(total, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets what `venue`'s orders in `mode` used of the day.
    pub fn set_cap_used(&self, venue: &'static str, mode: &'static str, used: Decimal) {
        self.cap_used
            .get_or_create(&UsedLabels { venue, mode })
            .set(used.to_f64().unwrap_or(f64::NAN));
    }

    /// Sets one of `venue`'s caps (`per_order`, `daily`).
    pub fn set_cap_limit(&self, venue: &'static str, cap: &'static str, limit: Decimal) {
        self.cap_limit
            .get_or_create(&LimitLabels { venue, cap })
            .set(limit.to_f64().unwrap_or(f64::NAN));
    }

    /// The summary `status` gives.
    pub fn activity(&self) -> Activity {
        let summary = self
            .summary
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut activity = summary.activity.clone();
        let mut times: Vec<u64> = summary.venue_ms.iter().copied().collect();
        times.sort_unstable();
        activity.venue_p50_ms = times.get(times.len() / 2).copied();
        activity
    }

    /// Every metric in the Prometheus text format (version 0.0.4 with `# EOF`, which
    /// Prometheus reads as OpenMetrics).
    ///
    /// # Errors
    /// When encoding fails (it writes to a `String`, so only on a broken label).
    pub fn encode(&self) -> Result<String, String> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| format!("the metrics could not be encoded: {e}"))?;
        Ok(text)
    }
}

fn seconds(micros: u64) -> f64 {
    // Durations, not money: a float is what the format carries.
    Duration::from_micros(micros).as_secs_f64()
}
