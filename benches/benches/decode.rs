//! Decoding a 1000-order list: ours (`GetOpenOrders::decode`) beside the official types.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use backpack_sdk::api::Request;
use backpack_sdk::api::orders::GetOpenOrders;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let body = benches::open_orders_json(1_000);
    assert_eq!(GetOpenOrders::decode(200, &body).unwrap().len(), 1_000);
    assert_eq!(
        serde_json::from_slice::<Vec<bpx_api_client::types::order::Order>>(&body)
            .unwrap()
            .len(),
        1_000
    );

    let mut group = c.benchmark_group("decode_1000_orders");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("backpack-sdk", |b| {
        b.iter(|| GetOpenOrders::decode(200, black_box(&body)).unwrap())
    });
    group.bench_function("bpx-api-types 0.23", |b| {
        b.iter(|| {
            serde_json::from_slice::<Vec<bpx_api_client::types::order::Order>>(black_box(&body))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
