//! Shared inputs of the benches: realistic exchange answers and a test key.

#![allow(clippy::float_arithmetic)] // measurements, not money

use std::fmt::Write as _;

pub mod canned;
pub mod chaos;

/// RFC 8032 test key (seed), base64: a key no one trades with.
pub const TEST_SECRET: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

/// `n` open limit orders in the exchange's exact shape (every optional field present as
/// `null`, as in live captures), as the body of `GET /api/v1/orders`.
pub fn open_orders_json(n: usize) -> Vec<u8> {
    let mut out = String::with_capacity(n * 700 + 2);
    out.push('[');
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        let side = if i % 2 == 0 { "Bid" } else { "Ask" };
        let _ = write!(
            out,
            concat!(
                r#"{{"clientId":{client},"createdAt":{created},"executedQuantity":"0.{exec}","executedQuoteQuantity":"{quote}","#,
                r#""id":"{id}","orderType":"Limit","postOnly":false,"price":"{price}.{cents:02}","quantity":"{qty}.5","#,
                r#""reduceOnly":null,"relatedOrderId":null,"selfTradePrevention":"RejectTaker","side":"{side}","#,
                r#""status":"PartiallyFilled","stopLossLimitPrice":null,"stopLossTriggerBy":null,"stopLossTriggerPrice":null,"#,
                r#""strategyId":null,"symbol":"SOL_USDC","takeProfitLimitPrice":null,"takeProfitTriggerBy":null,"#,
                r#""takeProfitTriggerPrice":null,"timeInForce":"GTC","triggerBy":null,"triggerPrice":null,"#,
                r#""triggerQuantity":null,"triggeredAt":null}}"#
            ),
            client = 1_000 + i,
            created = 1_753_626_206_762u64 + i as u64,
            exec = i % 10,
            quote = 17 * (i % 10),
            id = 4_228_978_330u64 + i as u64,
            price = 150 + i % 50,
            cents = i % 100,
            qty = 1 + i % 20,
            side = side,
        );
    }
    out.push(']');
    out.into_bytes()
}

/// One result line of the HTTP benches.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Line {
    /// What was measured.
    pub case: &'static str,
    /// Requests in flight.
    pub concurrency: usize,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile latency, µs.
    pub p99_us: f64,
    /// Requests per second over the whole run.
    pub throughput_rps: f64,
}

impl Line {
    /// Summarizes latencies (ns, sorted) of `requests` requests done in `elapsed`.
    pub fn new(
        case: &'static str,
        concurrency: usize,
        sorted_ns: &[u64],
        requests: f64,
        elapsed: std::time::Duration,
    ) -> Self {
        Self {
            case,
            concurrency,
            p50_us: percentile(sorted_ns, 50.0) as f64 / 1_000.0,
            p99_us: percentile(sorted_ns, 99.0) as f64 / 1_000.0,
            throughput_rps: (requests / elapsed.as_secs_f64()).round(),
        }
    }

    /// The line as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Percentile of sorted samples (nearest rank).
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
