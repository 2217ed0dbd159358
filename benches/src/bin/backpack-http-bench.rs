//! HTTP round trips on loopback, in one run, three cases:
//!
//! - `raw_reqwest_get`: an unsigned `reqwest` GET of the same URL, body read, not decoded —
//!   the floor any client pays;
//! - `backpack_sdk_list_open_orders`: our signed, typed `orders().list_open(..)`;
//! - `bpx_api_client_get_open_orders`: the official client's `get_open_orders(..)`.
//!
//! The server answers every request with the same pre-built body (N open orders in the
//! exchange's exact shape) and does nothing else, so it is not the bottleneck: it runs on its
//! own thread and core, the clients on another. Each case runs at concurrency 1 and 16.
//! Prints one JSON line per case (`case`, `concurrency`, `p50_us`, `p99_us`,
//! `throughput_rps`) on stdout, and the ratios on stderr.
//!
//! ```text
//! cargo run --release -p benches --bin backpack-http-bench [-- --orders 20 --requests 20000 --case sdk]
//! ```

#![allow(
    clippy::float_arithmetic,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use backpack_sdk::client::RetryPolicy;
use backpack_sdk::{Client, Credentials};
use benches::Line;
use bytes::Bytes;

/// Serves `body` to every request, on its own thread with a single-threaded runtime.
fn start_server(body: Bytes) -> SocketAddr {
    benches::canned::serve(move |_| body.clone())
}

/// Runs `total` calls of `call` with `concurrency` in flight; returns sorted latencies (µs)
/// and the wall time.
async fn measure<F, Fut>(call: Arc<F>, concurrency: usize, total: usize) -> (Vec<u64>, Duration)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let per_task = total / concurrency;
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let call = Arc::clone(&call);
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let t = Instant::now();
                    call().await;
                    samples.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
                }
                samples
            })
        })
        .collect();
    let mut all = Vec::with_capacity(total);
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    (all, elapsed)
}

async fn run_case<F, Fut>(name: &'static str, call: F, requests: usize) -> Vec<Line>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    let mut lines = Vec::new();
    let only = std::env::args().skip_while(|a| a != "--case").nth(1);
    if only.as_deref().is_some_and(|only| !name.contains(only)) {
        return lines;
    }
    for concurrency in [1usize, 16] {
        // Warm up connections, allocator and caches.
        measure(Arc::clone(&call), concurrency, requests / 10).await;
        let (samples, elapsed) = measure(Arc::clone(&call), concurrency, requests).await;
        let line = Line::new(name, concurrency, &samples, samples.len() as f64, elapsed);
        println!("{}", line.to_json());
        lines.push(line);
    }
    lines
}

fn arg(name: &str, default: usize) -> anyhow::Result<usize> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .with_context(|| format!("{name} needs a value"))?
            .parse()
            .with_context(|| format!("{name} must be a number")),
        None => Ok(default),
    }
}

fn main() -> anyhow::Result<()> {
    let orders = arg("--orders", 20)?;
    let requests = arg("--requests", 20_000)?;
    let body = Bytes::from(benches::open_orders_json(orders));
    eprintln!(
        "{orders} open orders per answer ({} bytes), {requests} requests per case",
        body.len()
    );
    let address = start_server(body);
    let base = format!("http://{address}");
    let url = format!("{base}/api/v1/orders?symbol=SOL_USDC");

    // The clients share one core: a single-threaded runtime.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let raw = reqwest::Client::new();
        let raw_url = url.clone();
        let floor = run_case(
            "raw_reqwest_get",
            move || {
                let (raw, url) = (raw.clone(), raw_url.clone());
                async move {
                    let response = raw.get(&url).send().await.expect("raw get");
                    let bytes = response.bytes().await.expect("raw body");
                    assert!(!bytes.is_empty());
                }
            },
            requests,
        )
        .await;

        let ours = Client::builder()
            .base_url(&base)
            .credentials(Credentials::from_secret(benches::TEST_SECRET)?)
            .retry_policy(RetryPolicy::NONE)
            .build()?;
        let ours_lines = run_case(
            "backpack_sdk_list_open_orders",
            move || {
                let client = ours.clone();
                async move {
                    let decoded = client
                        .orders()
                        .list_open(Some("SOL_USDC".into()), None)
                        .await
                        .expect("ours");
                    assert_eq!(decoded.len(), orders);
                }
            },
            requests,
        )
        .await;

        let official = Arc::new(
            bpx_api_client::BpxClient::builder()
                .base_url(&base)
                .secret(benches::TEST_SECRET)
                .build()
                .map_err(|e| anyhow::anyhow!("official client: {e}"))?,
        );
        let official_lines = run_case(
            "bpx_api_client_get_open_orders",
            move || {
                let client = Arc::clone(&official);
                async move {
                    let decoded = client.get_open_orders(Some("SOL_USDC")).await.expect("official");
                    assert_eq!(decoded.len(), orders);
                }
            },
            requests,
        )
        .await;

        for i in 0..floor.len().min(ours_lines.len()).min(official_lines.len()) {
            let (f, o, b) = (&floor[i], &ours_lines[i], &official_lines[i]);
            eprintln!(
                "concurrency {:>2}: ours p50 {:.2}x the floor (official {:.2}x); ours throughput {:.2}x the official client's",
                f.concurrency,
                o.p50_us / f.p50_us,
                b.p50_us / f.p50_us,
                o.throughput_rps / b.throughput_rps,
            );
        }
        anyhow::Ok(())
    })
}
