//! Round trips through `ibkr-sdk` to the fake TWS gateway on loopback, next to the same
//! calls made with `ibapi` directly (the floor the SDK adds to): the gateway's time, a
//! quote snapshot, placing an order until IBKR acknowledges it, cancelling it until IBKR
//! confirms. Concurrency 1; the fake runs on its own thread, the client on the main one.
//! One JSON line per case and client on stdout (`throughput_rps` counts both clients' calls),
//! then the SDK / `ibapi` ratio of the medians.
//!
//! ```text
//! cargo run --release -p benches --bin ibkr-roundtrip [-- --iterations 2000]
//! ```

#![allow(
    clippy::float_arithmetic,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::future::Future;
use std::time::{Duration, Instant};

use benches::Line;
use futures::StreamExt;
use ibapi::market_data::realtime::TickTypes;
use ibapi::orders::{Action as IbAction, CancelOrder, PlaceOrder, order_builder};
use ibapi::subscriptions::SubscriptionItem;
use ibkr_sdk::{Action, Config, ContractSpec, IbkrClient, OrderSpec};
use testkit::tws::FakeTws;

/// Latencies of each phase, in ns.
type Samples = Vec<Vec<u64>>;

fn record(samples: &mut Samples, phases: Vec<Duration>) {
    for (phase, took) in phases.into_iter().enumerate() {
        samples[phase].push(u64::try_from(took.as_nanos()).unwrap());
    }
}

/// Runs the `ibapi` call and the SDK call alternately (which goes first alternates too, so
/// both see the same gateway state), `iterations` times each after a warm-up. Each call
/// returns how long its phases took, named by `phases`. Prints one line per phase and
/// client, then the SDK / `ibapi` ratio of the medians.
async fn compare<R, RF, S, SF>(phases: &[&'static str], iterations: usize, mut raw: R, mut sdk: S)
where
    R: FnMut() -> RF,
    RF: Future<Output = Vec<Duration>>,
    S: FnMut() -> SF,
    SF: Future<Output = Vec<Duration>>,
{
    for _ in 0..iterations / 10 {
        raw().await;
        sdk().await;
    }
    let mut raw_samples: Samples = vec![Vec::with_capacity(iterations); phases.len()];
    let mut sdk_samples: Samples = vec![Vec::with_capacity(iterations); phases.len()];
    let started = Instant::now();
    for i in 0..iterations {
        if i % 2 == 0 {
            record(&mut raw_samples, raw().await);
            record(&mut sdk_samples, sdk().await);
        } else {
            record(&mut sdk_samples, sdk().await);
            record(&mut raw_samples, raw().await);
        }
    }
    let elapsed = started.elapsed();
    for (phase, name) in phases.iter().enumerate() {
        let mut lines = Vec::new();
        for (client, samples) in [
            ("ibapi", &mut raw_samples[phase]),
            ("sdk", &mut sdk_samples[phase]),
        ] {
            samples.sort_unstable();
            let case: &'static str = Box::leak(format!("{name}_{client}").into_boxed_str());
            let line = Line::new(case, 1, samples, 2.0 * iterations as f64, elapsed);
            println!("{}", line.to_json());
            lines.push(line);
        }
        println!(
            "{{\"case\":\"{name}\",\"sdk_over_ibapi_p50\":{:.3}}}",
            lines[1].p50_us / lines[0].p50_us
        );
    }
}

/// Times one call as a single phase.
async fn timed(call: impl Future<Output = ()>) -> Vec<Duration> {
    let t = Instant::now();
    call.await;
    vec![t.elapsed()]
}

/// A fake gateway on its own thread and runtime; returns its port.
fn start_fake() -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let fake = FakeTws::builder().record_requests(false).start().await;
            tx.send(fake.address().port()).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iterations = args
        .iter()
        .position(|a| a == "--iterations")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000usize);
    let port = start_fake();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut config = Config::paper("127.0.0.1", port);
        config.orders_enabled = true;
        config.max_messages_per_second = None; // measure the round trip, not IBKR's pacing
        let sdk = IbkrClient::connect(config).await.unwrap();
        let raw = ibapi::Client::connect(&format!("127.0.0.1:{port}"), 2)
            .await
            .unwrap();
        let aapl = ContractSpec::stock("AAPL");
        sdk.contracts().resolve(&aapl).await.unwrap(); // cached, as in a running app
        let raw_contract = ibapi::contracts::Contract::stock("AAPL").build();

        compare(
            &["server_time"],
            iterations,
            || {
                timed(async {
                    raw.server_time().await.unwrap();
                })
            },
            || {
                timed(async {
                    sdk.healthcheck().await.unwrap();
                })
            },
        )
        .await;

        compare(
            &["quote"],
            iterations,
            || {
                timed(async {
                    let mut ticks = raw
                        .market_data(&raw_contract)
                        .snapshot()
                        .subscribe()
                        .await
                        .unwrap();
                    while let Some(tick) = ticks.next().await {
                        if let Ok(SubscriptionItem::Data(TickTypes::SnapshotEnd)) = tick {
                            break;
                        }
                    }
                })
            },
            || {
                timed(async {
                    let quote = sdk.market_data().quote(&aapl).await.unwrap();
                    assert!(quote.bid.is_some());
                })
            },
        )
        .await;

        // Limit buys far under the market: they rest until cancelled. Each side waits for
        // what it needs: the first status of the order, then the cancel's confirmation.
        let order = OrderSpec::limit(aapl.clone(), Action::Buy, 1.into(), "100".parse().unwrap());
        compare(
            &["place_ack", "cancel_ack"],
            iterations,
            || async {
                let order = order_builder::limit_order(IbAction::Buy, 1.0, 100.0);
                let id = raw.next_order_id();
                let t = Instant::now();
                let mut updates = raw.place_order(id, &raw_contract, &order).await.unwrap();
                while let Some(update) = updates.next().await {
                    if let Ok(SubscriptionItem::Data(
                        PlaceOrder::OrderStatus(_) | PlaceOrder::OpenOrder(_),
                    )) = update
                    {
                        break;
                    }
                }
                let placed = t.elapsed();
                let t = Instant::now();
                let mut cancel = raw.cancel_order(id, "").await.unwrap();
                while let Some(item) = cancel.next().await {
                    if let Ok(SubscriptionItem::Data(CancelOrder::OrderStatus(_))) = item {
                        break;
                    }
                }
                vec![placed, t.elapsed()]
            },
            || async {
                let t = Instant::now();
                let placed = sdk.orders().place(&order).await.unwrap();
                let took = t.elapsed();
                let t = Instant::now();
                sdk.orders().cancel(placed.order_id).await.unwrap();
                vec![took, t.elapsed()]
            },
        )
        .await;
    });
}
