//! Signed requests per second the fake Backpack server sustains on loopback, through the
//! real client: `GET /api/v1/orders` (signature verified, engine queried) and
//! `POST`+`DELETE /api/v1/order` pairs (verified, matched, cancelled), plus an unsigned
//! `GET /api/v1/depth`. The server has one core (wiremock's own thread), the client the
//! other. One JSON line per case on stdout.
//!
//! ```text
//! cargo run --release -p benches --bin fake-backpack-throughput [-- --requests 20000]
//! ```

#![allow(
    clippy::float_arithmetic,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::time::Instant;

use backpack_sdk::Client;
use backpack_sdk::client::RetryPolicy;
use backpack_sdk::model::{DepthLimit, Side};
use backpack_sdk::spec::OrderSpec;
use benches::Line;
use testkit::backpack::FakeBackpack;

async fn run(name: &'static str, client: &Client, concurrency: usize, total: usize, print: bool) {
    let per_task = total / concurrency;
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut samples = Vec::with_capacity(per_task);
                let order = OrderSpec::limit(
                    "SOL_USDC",
                    Side::Bid,
                    "100".parse().unwrap(),
                    "1".parse().unwrap(),
                )
                .build()
                .unwrap();
                for i in 0..per_task {
                    let t = Instant::now();
                    match name {
                        "fake_signed_list_open_orders" => {
                            client
                                .orders()
                                .list_open(Some("SOL_USDC".into()), None)
                                .await
                                .unwrap();
                        }
                        "fake_signed_place_then_cancel" => {
                            let id = u32::try_from(task * per_task + i).unwrap() + 1;
                            let placed = client
                                .orders()
                                .place(&order.clone().with_client_id(id.into()))
                                .await
                                .unwrap();
                            client.orders().cancel("SOL_USDC", placed.id).await.unwrap();
                        }
                        _ => {
                            client
                                .markets()
                                .depth("SOL_USDC", Some(DepthLimit::L20))
                                .await
                                .unwrap();
                        }
                    }
                    samples.push(u64::try_from(t.elapsed().as_nanos()).unwrap());
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    samples.sort_unstable();
    let requests_per_call = if name == "fake_signed_place_then_cancel" {
        2.0
    } else {
        1.0
    };
    let line = Line::new(
        name,
        concurrency,
        &samples,
        samples.len() as f64 * requests_per_call,
        elapsed,
    );
    if print {
        println!("{}", line.to_json());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let requests = args
        .iter()
        .position(|a| a == "--requests")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000usize);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fake = FakeBackpack::builder().record_requests(false).start().await;
        let client = Client::builder()
            .base_url(fake.uri())
            .credentials(fake.credentials())
            .retry_policy(RetryPolicy::NONE)
            .build()
            .unwrap();
        for name in [
            "fake_public_depth",
            "fake_signed_list_open_orders",
            "fake_signed_place_then_cancel",
        ] {
            for concurrency in [1, 16] {
                run(name, &client, concurrency, requests / 10, false).await; // warm up
                run(name, &client, concurrency, requests, true).await;
            }
        }
    });
}
