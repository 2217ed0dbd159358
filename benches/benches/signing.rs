//! Signing and building a signed request.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use backpack_sdk::Credentials;
use backpack_sdk::api::Payload;
use backpack_sdk::api::orders::{ExecuteOrder, GetOpenOrders};
use backpack_sdk::model::{SelfTradePrevention, Side};
use backpack_sdk::signing::{DEFAULT_WINDOW, sign_message};
use backpack_sdk::spec::OrderSpec;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn order() -> ExecuteOrder {
    let spec = OrderSpec::limit(
        "SOL_USDC",
        Side::Bid,
        "180.50".parse().unwrap(),
        "1.5".parse().unwrap(),
    )
    .post_only(true)
    .client_id(1001)
    .self_trade_prevention(SelfTradePrevention::RejectTaker)
    .build()
    .unwrap();
    ExecuteOrder::new(&spec)
}

fn bench(c: &mut Criterion) {
    let credentials = Credentials::from_secret(benches::TEST_SECRET).unwrap();
    let request = order();
    let payload = Payload::of(&request).unwrap();
    let message = payload.signing_string("orderExecute", 1_735_689_600_000, DEFAULT_WINDOW);

    let mut group = c.benchmark_group("signing");
    group.bench_function("signing_string/order", |b| {
        b.iter(|| {
            black_box(&payload).signing_string(
                "orderExecute",
                black_box(1_735_689_600_000),
                DEFAULT_WINDOW,
            )
        })
    });
    group.bench_function("ed25519/order", |b| {
        b.iter(|| {
            sign_message(
                &credentials,
                black_box(&message),
                1_735_689_600_000,
                DEFAULT_WINDOW,
            )
        })
    });
    group.finish();

    let mut group = c.benchmark_group("signed_request");
    group.bench_function("order/payload+string+signature", |b| {
        b.iter(|| {
            let payload = Payload::of(black_box(&request)).unwrap();
            let message = payload.signing_string("orderExecute", 1_735_689_600_000, DEFAULT_WINDOW);
            sign_message(&credentials, &message, 1_735_689_600_000, DEFAULT_WINDOW)
        })
    });
    let list = GetOpenOrders {
        symbol: Some("SOL_USDC".into()),
        market_type: None,
    };
    group.bench_function("list_open_orders/payload+string+signature", |b| {
        b.iter(|| {
            let payload = Payload::of(black_box(&list)).unwrap();
            let message =
                payload.signing_string("orderQueryAll", 1_735_689_600_000, DEFAULT_WINDOW);
            sign_message(&credentials, &message, 1_735_689_600_000, DEFAULT_WINDOW)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
