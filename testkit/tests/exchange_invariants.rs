//! Property test of the mock exchange: random sequences of orders (every kind the engine
//! supports), cancels and time steps, across spot and perp markets with a simulated market
//! maker, checking every invariant after every operation (see
//! `Exchange::check_invariants`: conservation, no negative balance, locked = reserved, no
//! crossed book, no fill worse than its limit, no partial fill-or-kill).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use proptest::prelude::*;
use rust_decimal::Decimal;
use testkit::engine::*;

#[derive(Debug, Clone)]
enum Op {
    Submit {
        trader: usize,
        perp: bool,
        order: Shape,
    },
    Cancel {
        trader: usize,
        pick: usize,
    },
    CancelAll {
        trader: usize,
        perp: bool,
    },
    Advance {
        millis: u64,
    },
}

#[derive(Debug, Clone)]
struct Shape {
    side: Side,
    market_order: bool,
    quote_sized: bool,
    offset_ticks: i64,
    steps: i64,
    tif: TimeInForce,
    post_only: bool,
    stp: Stp,
    reduce_only: bool,
    client_id: Option<u32>,
    trigger_offset: Option<i64>,
    exits: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop_oneof![Just(Side::Bid), Just(Side::Ask)],
        any::<bool>(),
        any::<bool>(),
        -40i64..40,
        1i64..400,
        prop_oneof![
            Just(TimeInForce::Gtc),
            Just(TimeInForce::Ioc),
            Just(TimeInForce::Fok)
        ],
        any::<bool>(),
        prop_oneof![
            Just(Stp::RejectTaker),
            Just(Stp::RejectMaker),
            Just(Stp::RejectBoth)
        ],
        prop::bool::weighted(0.2),
        prop::option::weighted(0.3, 0u32..8),
        prop::option::weighted(0.15, -30i64..30),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(
                side,
                market_order,
                quote_sized,
                offset_ticks,
                steps,
                tif,
                post_only,
                stp,
                reduce_only,
                client_id,
                trigger_offset,
                exits,
            )| Shape {
                side,
                market_order,
                quote_sized,
                offset_ticks,
                steps,
                tif,
                post_only,
                stp,
                reduce_only,
                client_id,
                trigger_offset,
                exits,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..3, any::<bool>(), shape()).prop_map(|(trader, perp, order)| Op::Submit { trader, perp, order }),
        2 => (0usize..3, any::<usize>()).prop_map(|(trader, pick)| Op::Cancel { trader, pick }),
        1 => (0usize..3, any::<bool>()).prop_map(|(trader, perp)| Op::CancelAll { trader, perp }),
        1 => (1u64..20_000).prop_map(|millis| Op::Advance { millis }),
    ]
}

fn exchange() -> Exchange {
    let d = |text: &str| text.parse::<Decimal>().unwrap();
    let spot =
        MarketConfig::spot("SOL", "USDC", d("0.01"), d("0.01"), d("100")).with_maker(3, d("1"));
    let perp =
        MarketConfig::perp("SOL", "USDC", d("0.01"), d("0.01"), d("100")).with_maker(3, d("1"));
    Exchange::new(ExchangeConfig {
        markets: vec![spot, perp],
        seed: 7,
        ..ExchangeConfig::default()
    })
    .unwrap()
}

fn to_order(exchange: &Exchange, market: MarketId, shape: &Shape) -> NewOrder {
    let reference = exchange.reference_price(market).unwrap();
    let reference_ticks = (reference * Decimal::from(100))
        .trunc()
        .try_into()
        .unwrap_or(10_000i64);
    let price = (reference_ticks + shape.offset_ticks).max(1);
    let mut order = if shape.market_order {
        NewOrder::market(market, shape.side, shape.steps)
    } else {
        NewOrder::limit(market, shape.side, price, shape.steps)
    };
    if shape.market_order && shape.quote_sized {
        order.size = Size::Quote(Decimal::new(shape.steps * 37, 2));
    }
    if !shape.market_order {
        order.kind = Kind::Limit {
            price,
            tif: shape.tif,
            post_only: shape.post_only,
        };
    }
    order.stp = shape.stp;
    order.reduce_only = shape.reduce_only;
    order.client_id = shape.client_id;
    if let Some(offset) = shape.trigger_offset {
        order.trigger = Some(Trigger {
            price: (reference_ticks + offset).max(1),
            size: TriggerSize::Steps(shape.steps),
            source: if offset % 2 == 0 {
                TriggerSource::Last
            } else {
                TriggerSource::Mark
            },
        });
    }
    if shape.exits {
        let sign = if shape.side == Side::Bid { 1 } else { -1 };
        order.exits = Exits {
            take_profit: Some(Exit {
                trigger: (price + sign * 20).max(1),
                limit: None,
                source: TriggerSource::Last,
            }),
            stop_loss: Some(Exit {
                trigger: (price - sign * 20).max(1),
                limit: Some((price - sign * 25).max(1)),
                source: TriggerSource::Mark,
            }),
        };
    }
    order
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_after_every_operation(ops in prop::collection::vec(op(), 1..60)) {
        let mut exchange = exchange();
        let d = |text: &str| text.parse::<Decimal>().unwrap();
        let traders: Vec<AccountId> = (0..3)
            .map(|i| exchange.add_account(&format!("trader-{i}"), &[("USDC", d("5000")), ("SOL", d("40"))]).unwrap())
            .collect();
        let mut placed: Vec<Vec<(MarketId, OrderId)>> = vec![Vec::new(); 3];
        exchange.check_invariants().map_err(TestCaseError::fail)?;
        for op in ops {
            match op {
                Op::Submit { trader, perp, order } => {
                    let market = MarketId(u16::from(perp));
                    let new_order = to_order(&exchange, market, &order);
                    if let Ok(id) = exchange.submit(traders[trader], new_order) {
                        placed[trader].push((market, id));
                    }
                }
                Op::Cancel { trader, pick } => {
                    if !placed[trader].is_empty() {
                        let (market, id) = placed[trader][pick % placed[trader].len()];
                        let _ = exchange.cancel(traders[trader], market, Some(id), None);
                    }
                }
                Op::CancelAll { trader, perp } => {
                    exchange.cancel_all(traders[trader], MarketId(u16::from(perp)), true, true);
                }
                Op::Advance { millis } => {
                    let now = exchange.now_ms() + millis;
                    exchange.advance_to(now);
                }
            }
            exchange.check_invariants().map_err(TestCaseError::fail)?;
        }
    }
}
