//! The mock exchange in-process: placements plus cancels on a book holding 10,000 resting
//! orders, and matching of marketable orders. One engine operation = one submit or one
//! cancel.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use testkit::engine::{
    AccountId, Exchange, ExchangeConfig, MarketConfig, MarketId, NewOrder, Side,
};

const RESTING: i64 = 10_000;

/// SOL_USDC with 10,000 resting orders from a market maker: 5,000 bids below 100.00 and
/// 5,000 asks above, over 1,000 price levels per side.
fn deep_book() -> (Exchange, AccountId, AccountId, MarketId) {
    let mut market = MarketConfig::spot(
        "SOL",
        "USDC",
        Decimal::new(1, 2),
        Decimal::new(1, 2),
        Decimal::from(100),
    );
    market.volatility_bps = 0;
    let mut exchange = Exchange::new(ExchangeConfig {
        markets: vec![market],
        ..ExchangeConfig::default()
    })
    .unwrap();
    let big = [
        ("USDC", Decimal::from(1_000_000_000_000i64)),
        ("SOL", Decimal::from(1_000_000_000i64)),
    ];
    let maker = exchange.add_account("maker", &big).unwrap();
    let trader = exchange.add_account("trader", &big).unwrap();
    let sol = exchange.market_id("SOL_USDC").unwrap();
    for i in 0..RESTING / 2 {
        let level = 1 + i % 1_000;
        exchange
            .submit(maker, NewOrder::limit(sol, Side::Bid, 10_000 - level, 100))
            .unwrap();
        exchange
            .submit(maker, NewOrder::limit(sol, Side::Ask, 10_000 + level, 100))
            .unwrap();
    }
    assert_eq!(exchange.resting_orders(sol), RESTING as usize);
    (exchange, maker, trader, sol)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(2));
    let (mut exchange, _, trader, sol) = deep_book();
    let mut i = 0i64;
    group.bench_function("place+cancel on 10k-order book (2 ops)", |b| {
        b.iter(|| {
            i += 1;
            let price = 10_000 - 1 - i % 1_000;
            let id = exchange
                .submit(trader, NewOrder::limit(sol, Side::Bid, price, 100))
                .unwrap();
            exchange.cancel(trader, sol, Some(id), None).unwrap();
        })
    });
    group.throughput(Throughput::Elements(1_000));
    group.bench_function(
        "1000 marketable orders, each filling one resting order",
        |b| {
            b.iter_batched(
                deep_book,
                |(mut exchange, _, trader, sol)| {
                    for _ in 0..1_000 {
                        exchange
                            .submit(trader, NewOrder::market(sol, Side::Bid, 100))
                            .unwrap();
                    }
                    exchange
                },
                BatchSize::LargeInput,
            )
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
