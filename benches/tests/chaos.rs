//! The short chaos run of the test suite: a few hundred random calls with faults; every
//! promise must hold (the bench binary `chaos` runs 10,000).

#![allow(clippy::unwrap_used)]

use benches::chaos::{ChaosConfig, count_panics, run};
use rust_decimal::Decimal;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_chaos_run_keeps_every_promise() {
    count_panics();
    let report = run(&ChaosConfig {
        calls: 400,
        seed: 7,
        order_cap: Decimal::from(2_000),
        daily_cap: Decimal::from(250_000),
    })
    .await
    .unwrap();
    let json = serde_json::to_string_pretty(&report).unwrap();
    assert!(report.holds(), "{json}");
    assert!(
        report.faults > 0 && report.ok > 0 && report.tool_errors > 0,
        "{json}"
    );
    assert!(
        report.reconciled.backpack_orders > 0 && report.reconciled.ibkr_orders > 0,
        "{json}"
    );
}
