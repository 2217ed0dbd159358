//! Round trips through `ibkr-sdk` to the fake TWS gateway on loopback, next to the same
//! calls made with `ibapi` directly (the floor the SDK adds to): the gateway's time, a
//! quote snapshot, placing an order until IBKR acknowledges it, cancelling it until IBKR
//! confirms, and the time from a fill at the gateway to the order-update stream's item
//! (`ibapi`'s `order_update_stream` against the SDK's `order_updates`). Concurrency 1; the
//! fake runs on its own thread, the client on the main one. One JSON line per case and
//! client on stdout (`throughput_rps` counts both clients' calls), then the SDK / `ibapi`
//! ratio of the medians.
//!
//! With `--recovery`, it measures instead how long after a gateway comes back from an
//! outage of `--outage-secs` (default 20) the first call succeeds, for the SDK (its own
//! reconnection) and for `ibapi` with its default reconnection, `--rounds` times (default 3).
//!
//! ```text
//! cargo run --release -p benches --bin ibkr-roundtrip [-- --iterations 2000]
//! cargo run --release -p benches --bin ibkr-roundtrip -- --recovery [--outage-secs 20 --rounds 3]
//! ```

#![allow(
    clippy::float_arithmetic,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::future::Future;
use std::sync::Arc;
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

/// A quote snapshot with `ibapi` alone, read to its end.
async fn raw_snapshot(raw: &ibapi::Client, contract: &ibapi::contracts::Contract) {
    let mut ticks = raw
        .market_data(contract)
        .snapshot()
        .subscribe()
        .await
        .unwrap();
    while let Some(tick) = ticks.next().await {
        if let Ok(SubscriptionItem::Data(TickTypes::SnapshotEnd)) = tick {
            break;
        }
    }
}

/// Times one call as a single phase.
async fn timed(call: impl Future<Output = ()>) -> Vec<Duration> {
    let t = Instant::now();
    call.await;
    vec![t.elapsed()]
}

/// A fake gateway on its own thread and runtime; returns it with a handle to that runtime
/// (to restart it there).
fn start_fake() -> (Arc<FakeTws>, tokio::runtime::Handle) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let fake = FakeTws::builder()
                .record_requests(false)
                .cash(rust_decimal::Decimal::from(1_000_000_000_i64)) // room for every fill
                .start()
                .await;
            tx.send((Arc::new(fake), tokio::runtime::Handle::current()))
                .unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

/// The SDK and raw `ibapi` each wait for a gateway outage of `outage` to end; prints how
/// long after the gateway is back each first succeeds, per round.
async fn recovery(
    fake: &Arc<FakeTws>,
    fake_runtime: &tokio::runtime::Handle,
    outage: Duration,
    rounds: usize,
) {
    let port = fake.address().port();
    let sdk = IbkrClient::connect(Config::paper("127.0.0.1", port))
        .await
        .unwrap();
    let raw = ibapi::Client::connect(&format!("127.0.0.1:{port}"), 2)
        .await
        .unwrap();
    for round in 1..=rounds {
        fake.stop();
        tokio::time::sleep(outage).await;
        let back = Instant::now();
        let restarting = Arc::clone(fake);
        fake_runtime
            .spawn(async move { restarting.restart().await })
            .await
            .unwrap()
            .unwrap();
        let (mut sdk_back, mut raw_back) = (None, None);
        while sdk_back.is_none() || raw_back.is_none() {
            if sdk_back.is_none() && sdk.healthcheck().await.is_ok() {
                sdk_back = Some(back.elapsed());
            }
            if raw_back.is_none()
                && tokio::time::timeout(Duration::from_millis(200), raw.server_time())
                    .await
                    .is_ok_and(|r| r.is_ok())
            {
                raw_back = Some(back.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        println!(
            "{{\"case\":\"first_call_after_outage\",\"round\":{round},\"outage_s\":{},\"sdk_ms\":{},\"ibapi_ms\":{}}}",
            outage.as_secs(),
            sdk_back.unwrap_or_default().as_millis(),
            raw_back.unwrap_or_default().as_millis()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iterations = args
        .iter()
        .position(|a| a == "--iterations")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000usize);
    let (fake, fake_runtime) = start_fake();
    let port = fake.address().port();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if args.iter().any(|a| a == "--recovery") {
        let number = |flag: &str, default: u64| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
                .and_then(|n| n.parse().ok())
                .unwrap_or(default)
        };
        let outage = Duration::from_secs(number("--outage-secs", 20));
        let rounds = usize::try_from(number("--rounds", 3)).unwrap();
        runtime.block_on(recovery(&fake, &fake_runtime, outage, rounds));
        return;
    }
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
            || timed(raw_snapshot(&raw, &raw_contract)),
            || {
                timed(async {
                    let quote = sdk.market_data().quote(&aapl).await.unwrap();
                    assert!(quote.bid.is_some());
                })
            },
        )
        .await;

        // The same quote from a client that keeps it live (IBKR_LIVE_QUOTES): after the first
        // snapshot, no round trip at all.
        let mut live_config = Config::paper("127.0.0.1", port);
        live_config.client_id = 3;
        live_config.live_quotes = 5;
        let live = IbkrClient::connect(live_config).await.unwrap();
        live.market_data().quote(&aapl).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await; // its stream holds a quote
        compare(
            &["quote_live"],
            iterations,
            || timed(raw_snapshot(&raw, &raw_contract)),
            || {
                timed(async {
                    let quote = live.market_data().quote(&aapl).await.unwrap();
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

        // A resting buy fills when the price drops to it; both wait on their order-update
        // stream for the fill's status, timed from the price move at the gateway.
        let aapl_id = fake.con_id("AAPL", "STK").unwrap();
        let market: rust_decimal::Decimal = "189.5".parse().unwrap();
        let through: rust_decimal::Decimal = "188.9".parse().unwrap();
        let raw_updates = tokio::sync::Mutex::new(raw.order_update_stream().await.unwrap());
        let sdk_updates = tokio::sync::Mutex::new(sdk.order_updates());
        let resting = OrderSpec::limit(aapl.clone(), Action::Buy, 1.into(), "189".parse().unwrap());
        compare(
            &["fill_to_update"],
            iterations,
            || async {
                fake.set_last(aapl_id, market);
                let order = order_builder::limit_order(IbAction::Buy, 1.0, 189.0);
                let id = raw.next_order_id();
                let mut placed = raw.place_order(id, &raw_contract, &order).await.unwrap();
                while let Some(Ok(SubscriptionItem::Data(item))) = placed.next().await {
                    if matches!(item, PlaceOrder::OrderStatus(_)) {
                        break;
                    }
                }
                let mut updates = raw_updates.lock().await;
                let t = Instant::now();
                fake.set_last(aapl_id, through);
                while let Some(Ok(SubscriptionItem::Data(update))) = updates.next().await {
                    if let ibapi::orders::OrderUpdate::OrderStatus(status) = update
                        && status.order_id == id
                        && status.status == ibapi::orders::OrderStatusKind::Filled
                    {
                        break;
                    }
                }
                vec![t.elapsed()]
            },
            || async {
                fake.set_last(aapl_id, market);
                let placed = sdk.orders().place(&resting).await.unwrap();
                let mut updates = sdk_updates.lock().await;
                let t = Instant::now();
                fake.set_last(aapl_id, through);
                while let Some(event) = updates.next().await {
                    if let ibkr_sdk::StreamEvent::Data(update) = event
                        && update.report.order_id == placed.order_id
                        && update.change == ibkr_sdk::OrderChange::Status
                        && update.report.status == ibkr_sdk::OrderStatus::Filled
                    {
                        break;
                    }
                }
                vec![t.elapsed()]
            },
        )
        .await;
    });
}
