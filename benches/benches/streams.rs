//! WebSocket frames: events decoded per second, ours (`backpack_sdk::ws::decode`) against
//! the official client's own path on the same frames (`bpx-api-client` 0.23 `ws`: parse the
//! frame into a `serde_json::Value`, take `data`, deserialize the official type from it);
//! and depth deltas applied to a local book per second on one core.
//!
//! Frames are in the documented form (times as numbers), which both decoders read.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;

use backpack_sdk::model::{Depth, Level, Timestamp};
use backpack_sdk::ws::{DepthUpdate, Event, LocalBook, Message, decode};
use bpx_api_client::types::markets::OrderBookDepthUpdate;
use bpx_api_client::types::order::OrderUpdate;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde::de::DeserializeOwned;

const ORDER_FILL: &str = r#"{"stream":"account.orderUpdate.ETH_USDC","data":{"E":1754939110175879,"L":"4299.16","N":"ETH","O":"USER","Q":"4.30","S":"Bid","T":1754939110174705,"V":"RejectTaker","X":"PartiallyFilled","Z":"4.299160","e":"orderFill","f":"GTC","i":"5406825793","l":"0.0010","m":false,"n":"0.000001","o":"LIMIT","p":"4300.00","q":"0.0020","r":false,"s":"ETH_USDC","t":2888471,"z":"0.0010","c":12345}}"#;

/// A depth delta touching `levels` prices a side, with update ids `id..=id`.
fn depth_frame(id: u64, levels: usize) -> String {
    let side = |base: u64| -> String {
        let items: Vec<String> = (0..levels as u64)
            .map(|i| {
                let price = base + (id * 7 + i * 3) % 50;
                let quantity = if (id + i).is_multiple_of(5) {
                    "0".to_owned()
                } else {
                    format!("{}.{:03}", (id + i) % 40, i)
                };
                format!(r#"["{price}.25","{quantity}"]"#)
            })
            .collect();
        format!("[{}]", items.join(","))
    };
    format!(
        r#"{{"stream":"depth.SOL_USDC","data":{{"e":"depth","E":1694687965941000,"s":"SOL_USDC","a":{},"b":{},"U":{id},"u":{id},"T":1694687965940999}}}}"#,
        side(200),
        side(100)
    )
}

/// The official client's path for one frame.
fn official<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    T::deserialize(value.get("data")?).ok()
}

fn decode_events(c: &mut Criterion) {
    let depth = depth_frame(1_000, 5);
    assert!(matches!(
        decode(ORDER_FILL),
        Message::Data {
            event: Event::Order(_),
            ..
        }
    ));
    assert!(matches!(
        decode(&depth),
        Message::Data {
            event: Event::Depth(_),
            ..
        }
    ));
    assert!(official::<OrderUpdate>(ORDER_FILL).is_some());
    assert!(official::<OrderBookDepthUpdate>(&depth).is_some());

    let mut group = c.benchmark_group("ws_decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("order_update/backpack-sdk", |b| {
        b.iter(|| decode(black_box(ORDER_FILL)))
    });
    group.bench_function("order_update/bpx-api-client 0.23", |b| {
        b.iter(|| official::<OrderUpdate>(black_box(ORDER_FILL)))
    });
    group.bench_function("depth/backpack-sdk", |b| {
        b.iter(|| decode(black_box(&depth)))
    });
    group.bench_function("depth/bpx-api-client 0.23", |b| {
        b.iter(|| official::<OrderBookDepthUpdate>(black_box(&depth)))
    });
    group.finish();
}

fn apply_deltas(c: &mut Criterion) {
    const DELTAS: u64 = 10_000;
    let deltas: Vec<DepthUpdate> = (1..=DELTAS)
        .map(|id| match decode(&depth_frame(id, 2)) {
            Message::Data {
                event: Event::Depth(delta),
                ..
            } => delta,
            other => panic!("{other:?}"),
        })
        .collect();
    let level =
        |price: u64, quantity: u32| Level(format!("{price}.25").parse().unwrap(), quantity.into());
    let snapshot = Depth {
        asks: (200..250).map(|p| level(p, 10)).collect(),
        bids: (100..150).map(|p| level(p, 10)).collect(),
        last_update_id: 0,
        timestamp: Timestamp::from_micros(0),
    };
    let mut seeded = LocalBook::new("SOL_USDC");
    seeded.apply_snapshot(&snapshot).unwrap();

    let mut group = c.benchmark_group("local_book");
    group.throughput(Throughput::Elements(DELTAS));
    group.bench_function("apply_depth_delta", |b| {
        b.iter_batched(
            || (seeded.clone(), deltas.clone()),
            |(mut book, deltas)| {
                for delta in deltas {
                    book.apply_delta(delta).unwrap();
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, decode_events, apply_deltas);
criterion_main!(benches);
