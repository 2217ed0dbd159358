//! Scenario tests of the engine, in engine units. Every test ends by checking the
//! invariants.

use rust_decimal::Decimal;

use super::*;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// SOL_USDC (tick 0.01, step 0.01) and SOL_USDC_PERP without simulated liquidity.
fn quiet() -> Exchange {
    let mut sol = MarketConfig::spot("SOL", "USDC", d("0.01"), d("0.01"), d("150"));
    sol.volatility_bps = 0;
    let mut perp = MarketConfig::perp("SOL", "USDC", d("0.01"), d("0.01"), d("150"));
    perp.volatility_bps = 0;
    Exchange::new(ExchangeConfig {
        markets: vec![sol, perp],
        ..ExchangeConfig::default()
    })
    .unwrap()
}

fn trader(exchange: &mut Exchange, key: &str) -> AccountId {
    exchange
        .add_account(key, &[("USDC", d("100000")), ("SOL", d("1000"))])
        .unwrap()
}

const SOL: MarketId = MarketId(0);
const PERP: MarketId = MarketId(1);

#[test]
fn resting_orders_lock_and_cancelling_unlocks() {
    let mut ex = quiet();
    let alice = trader(&mut ex, "alice");
    let bid = ex
        .submit(alice, NewOrder::limit(SOL, Side::Bid, 14_000, 1_000))
        .unwrap();
    let ask = ex
        .submit(alice, NewOrder::limit(SOL, Side::Ask, 16_000, 250))
        .unwrap();
    let usdc = ex.balance(alice, "USDC").unwrap();
    assert_eq!(usdc.locked, d("1400.0000"));
    assert_eq!(usdc.available, d("98600"));
    assert_eq!(ex.balance(alice, "SOL").unwrap().locked, d("2.50"));
    assert_eq!(ex.order(bid), Some(Status::New));
    ex.check_invariants().unwrap();
    ex.cancel(alice, SOL, Some(bid), None).unwrap();
    assert_eq!(ex.order(bid), Some(Status::Cancelled));
    assert_eq!(ex.balance(alice, "USDC").unwrap().locked, Decimal::ZERO);
    assert_eq!(ex.balance(alice, "USDC").unwrap().available, d("100000"));
    assert!(ex.cancel(alice, SOL, Some(bid), None).is_err());
    assert_eq!(ex.order(ask), Some(Status::New));
    ex.check_invariants().unwrap();
}

#[test]
fn crossing_orders_fill_at_the_makers_price_in_time_priority() {
    let mut ex = quiet();
    let maker1 = trader(&mut ex, "m1");
    let maker2 = trader(&mut ex, "m2");
    let taker = trader(&mut ex, "t");
    let first = ex
        .submit(maker1, NewOrder::limit(SOL, Side::Ask, 15_000, 100))
        .unwrap();
    let second = ex
        .submit(maker2, NewOrder::limit(SOL, Side::Ask, 15_000, 100))
        .unwrap();
    // Buy 1.5 SOL up to 151: fills all of maker1, half of maker2, at 150.
    let buy = ex
        .submit(taker, NewOrder::limit(SOL, Side::Bid, 15_100, 150))
        .unwrap();
    assert_eq!(ex.order(buy), Some(Status::Filled));
    assert_eq!(ex.order(first), Some(Status::Filled));
    assert_eq!(ex.order(second), Some(Status::PartiallyFilled));
    let usdc = ex.balance(taker, "USDC").unwrap();
    // Paid 1.5 × 150 = 225; the reservation at 151 was released.
    assert_eq!(usdc.available, d("99775"));
    assert_eq!(usdc.locked, Decimal::ZERO);
    // Received 1.5 SOL minus the 5 bp taker fee.
    assert_eq!(ex.balance(taker, "SOL").unwrap().available, d("1001.49925"));
    // maker1 received 150 USDC minus the 2 bp maker fee.
    assert_eq!(
        ex.balance(maker1, "USDC").unwrap().available,
        d("100149.97")
    );
    assert_eq!(ex.top_of_book(SOL), (None, Some(d("150"))));
    ex.check_invariants().unwrap();
}

#[test]
fn market_orders_by_base_and_by_quote() {
    let mut ex = quiet();
    let maker = trader(&mut ex, "maker");
    let taker = trader(&mut ex, "taker");
    ex.submit(maker, NewOrder::limit(SOL, Side::Ask, 15_000, 100))
        .unwrap();
    ex.submit(maker, NewOrder::limit(SOL, Side::Ask, 15_100, 1_000))
        .unwrap();
    let by_base = ex
        .submit(taker, NewOrder::market(SOL, Side::Bid, 150))
        .unwrap();
    assert_eq!(ex.order(by_base), Some(Status::Filled));
    // 1 × 150 + 0.5 × 151 = 225.5
    assert_eq!(ex.balance(taker, "USDC").unwrap().available, d("99774.5"));
    let mut by_quote = NewOrder::market(SOL, Side::Bid, 0);
    by_quote.size = Size::Quote(d("100"));
    let id = ex.submit(taker, by_quote).unwrap();
    assert_eq!(ex.order(id), Some(Status::Filled));
    // 100 USDC buys 0.66 SOL at 151 (0.67 would cost 101.17): 99.66 spent.
    assert_eq!(ex.balance(taker, "USDC").unwrap().available, d("99674.84"));
    ex.check_invariants().unwrap();
}

#[test]
fn ioc_fok_and_post_only() {
    let mut ex = quiet();
    let maker = trader(&mut ex, "maker");
    let taker = trader(&mut ex, "taker");
    ex.submit(maker, NewOrder::limit(SOL, Side::Ask, 15_000, 100))
        .unwrap();
    let mut ioc = NewOrder::limit(SOL, Side::Bid, 15_000, 300);
    ioc.kind = Kind::Limit {
        price: 15_000,
        tif: TimeInForce::Ioc,
        post_only: false,
    };
    let ioc = ex.submit(taker, ioc).unwrap();
    assert_eq!(
        ex.order(ioc),
        Some(Status::Expired(Expiry::ImmediateOrCancel))
    );
    assert_eq!(ex.balance(taker, "USDC").unwrap().locked, Decimal::ZERO);

    ex.submit(maker, NewOrder::limit(SOL, Side::Ask, 15_000, 100))
        .unwrap();
    let mut fok = NewOrder::limit(SOL, Side::Bid, 15_000, 300);
    fok.kind = Kind::Limit {
        price: 15_000,
        tif: TimeInForce::Fok,
        post_only: false,
    };
    let killed = ex.submit(taker, fok.clone()).unwrap();
    assert_eq!(ex.order(killed), Some(Status::Expired(Expiry::FillOrKill)));
    fok.size = Size::Base(100);
    let filled = ex.submit(taker, fok).unwrap();
    assert_eq!(ex.order(filled), Some(Status::Filled));

    ex.submit(maker, NewOrder::limit(SOL, Side::Ask, 15_000, 100))
        .unwrap();
    let mut post = NewOrder::limit(SOL, Side::Bid, 15_000, 100);
    post.kind = Kind::Limit {
        price: 15_000,
        tif: TimeInForce::Gtc,
        post_only: true,
    };
    let post = ex.submit(taker, post).unwrap();
    assert_eq!(ex.order(post), Some(Status::Expired(Expiry::PostOnlyTaker)));
    ex.check_invariants().unwrap();
}

#[test]
fn self_trade_prevention_modes() {
    let mut ex = quiet();
    let alice = trader(&mut ex, "alice");
    let resting = ex
        .submit(alice, NewOrder::limit(SOL, Side::Ask, 15_000, 100))
        .unwrap();
    let taker = ex
        .submit(alice, NewOrder::limit(SOL, Side::Bid, 15_000, 100))
        .unwrap();
    assert_eq!(
        ex.order(taker),
        Some(Status::Expired(Expiry::SelfTradePrevention))
    );
    assert_eq!(ex.order(resting), Some(Status::New));
    let mut reject_maker = NewOrder::limit(SOL, Side::Bid, 15_000, 100);
    reject_maker.stp = Stp::RejectMaker;
    let id = ex.submit(alice, reject_maker).unwrap();
    assert_eq!(
        ex.order(resting),
        Some(Status::Expired(Expiry::SelfTradePrevention))
    );
    assert_eq!(ex.order(id), Some(Status::New));
    ex.check_invariants().unwrap();
}

#[test]
fn refusals_leave_no_trace() {
    let mut ex = quiet();
    let poor = ex.add_account("poor", &[("USDC", d("10"))]).unwrap();
    let error = ex
        .submit(poor, NewOrder::limit(SOL, Side::Bid, 15_000, 100))
        .unwrap_err();
    assert_eq!(error.message, "Insufficient funds");
    let mut order = NewOrder::limit(SOL, Side::Bid, 100, 100);
    order.client_id = Some(7);
    ex.submit(poor, order.clone()).unwrap();
    let error = ex.submit(poor, order).unwrap_err();
    assert_eq!(error.message, "Order with client ID already exists: 7");
    let mut reduce = NewOrder::market(SOL, Side::Ask, 1);
    reduce.reduce_only = true;
    assert!(ex.submit(poor, reduce).is_err());
    ex.check_invariants().unwrap();
}

#[test]
fn perp_positions_open_close_and_realize_pnl() {
    let mut ex = quiet();
    let maker = trader(&mut ex, "maker");
    let alice = trader(&mut ex, "alice");
    ex.submit(maker, NewOrder::limit(PERP, Side::Ask, 15_000, 1_000))
        .unwrap();
    ex.submit(alice, NewOrder::market(PERP, Side::Bid, 1_000))
        .unwrap();
    let position = ex.position(alice, PERP);
    assert_eq!(position.net_steps, 1_000);
    assert_eq!(position.cost, d("1500.0000"));
    assert_eq!(ex.position(maker, PERP).net_steps, -1_000);
    // Close at 160: +100 realized, minus taker fees on both trades.
    ex.submit(maker, NewOrder::limit(PERP, Side::Bid, 16_000, 1_000))
        .unwrap();
    let mut close = NewOrder::market(PERP, Side::Ask, 5_000);
    close.reduce_only = true;
    let id = ex.submit(alice, close).unwrap();
    assert_eq!(ex.order(id), Some(Status::Filled), "capped to the position");
    assert_eq!(ex.position(alice, PERP).net_steps, 0);
    assert_eq!(ex.position(alice, PERP).realized, d("100"));
    // 100000 + 100 − 0.75 − 0.8 (5 bp on 1500 and 1600)
    assert_eq!(ex.balance(alice, "USDC").unwrap().available, d("100098.45"));
    let mut again = NewOrder::market(PERP, Side::Ask, 100);
    again.reduce_only = true;
    let id = ex.submit(alice, again).unwrap();
    assert_eq!(
        ex.order(id),
        Some(Status::Expired(Expiry::ReduceOnlyNotReduced))
    );
    ex.check_invariants().unwrap();
}

#[test]
fn stop_orders_fire_on_the_last_price() {
    let mut ex = quiet();
    let buyer = trader(&mut ex, "buyer");
    let seller = trader(&mut ex, "seller");
    let alice = trader(&mut ex, "alice");
    ex.submit(buyer, NewOrder::limit(SOL, Side::Bid, 14_900, 100))
        .unwrap();
    ex.submit(buyer, NewOrder::limit(SOL, Side::Bid, 14_000, 1_000))
        .unwrap();
    // Sell 2 SOL at market if the last price falls to 145.
    let mut stop = NewOrder::market(SOL, Side::Ask, 200);
    stop.trigger = Some(Trigger {
        price: 14_500,
        size: TriggerSize::Steps(200),
        source: TriggerSource::Last,
    });
    let stop = ex.submit(alice, stop).unwrap();
    assert_eq!(ex.order(stop), Some(Status::TriggerPending));
    ex.submit(seller, NewOrder::market(SOL, Side::Ask, 100))
        .unwrap(); // trades at 149
    assert_eq!(ex.order(stop), Some(Status::TriggerPending));
    ex.submit(seller, NewOrder::market(SOL, Side::Ask, 10))
        .unwrap(); // trades at 140
    assert_eq!(ex.order(stop), Some(Status::Filled));
    assert_eq!(ex.balance(alice, "SOL").unwrap().available, d("998"));
    ex.check_invariants().unwrap();
}

#[test]
fn take_profit_and_stop_loss_legs_cancel_each_other() {
    let mut ex = quiet();
    let maker = trader(&mut ex, "maker");
    let bob = trader(&mut ex, "bob");
    let alice = trader(&mut ex, "alice");
    ex.submit(maker, NewOrder::limit(PERP, Side::Ask, 15_000, 100))
        .unwrap();
    let mut entry = NewOrder::limit(PERP, Side::Bid, 15_000, 100);
    entry.exits = Exits {
        take_profit: Some(Exit {
            trigger: 16_000,
            limit: None,
            source: TriggerSource::Last,
        }),
        stop_loss: Some(Exit {
            trigger: 14_000,
            limit: None,
            source: TriggerSource::Last,
        }),
    };
    let entry = ex.submit(alice, entry).unwrap();
    assert_eq!(ex.order(entry), Some(Status::Filled));
    let legs: Vec<&OrderRecord> = ex.orders.values().filter(|r| r.account == alice).collect();
    assert_eq!(legs.len(), 2);
    assert!(
        legs.iter()
            .all(|leg| leg.order.reduce_only && leg.related == Some(entry))
    );
    // Bob and the maker trade at 160: the take-profit fires and closes against Bob's bid;
    // the stop-loss is cancelled with it.
    ex.submit(bob, NewOrder::limit(PERP, Side::Bid, 16_000, 200))
        .unwrap();
    ex.submit(maker, NewOrder::limit(PERP, Side::Ask, 16_000, 1))
        .unwrap();
    assert_eq!(ex.position(alice, PERP).net_steps, 0);
    assert_eq!(ex.position(alice, PERP).realized, d("10"));
    assert!(!ex.orders.values().any(|r| r.account == alice));
    ex.check_invariants().unwrap();
}

#[test]
fn a_resting_order_fills_as_the_simulated_market_moves() {
    let mut ex = Exchange::new(ExchangeConfig::default()).unwrap();
    let alice = ex.add_account("alice", &[("USDC", d("10000"))]).unwrap();
    let sol = ex.market_id("SOL_USDC").unwrap();
    let (bid, ask) = ex.top_of_book(sol);
    assert_eq!((bid, ask), (Some(d("179.95")), Some(d("180.05"))));
    // A bid 1% under the market: waits, then fills when the walk comes down.
    let id = ex
        .submit(alice, NewOrder::limit(sol, Side::Bid, 17_820, 100))
        .unwrap();
    assert_eq!(ex.order(id), Some(Status::New));
    let mut now = ex.now_ms();
    for _ in 0..2_000 {
        now += 10_000;
        ex.advance_to(now);
        ex.check_invariants().unwrap();
        if ex.order(id) == Some(Status::Filled) {
            break;
        }
    }
    assert_eq!(ex.order(id), Some(Status::Filled));
    assert_eq!(ex.balance(alice, "SOL").unwrap().available, d("0.9998"));
}

#[test]
fn same_seed_same_history() {
    let run = || {
        let mut ex = Exchange::new(ExchangeConfig::default()).unwrap();
        let alice = ex
            .add_account("alice", &[("USDC", d("10000")), ("SOL", d("10"))])
            .unwrap();
        let sol = ex.market_id("SOL_USDC").unwrap();
        ex.submit(alice, NewOrder::limit(sol, Side::Ask, 18_100, 300))
            .unwrap();
        for step in 1..=50 {
            ex.advance_to(ex.now_ms() + step * 1_000);
        }
        (
            ex.reference_price(sol),
            ex.balance(alice, "USDC"),
            ex.balance(alice, "SOL"),
            ex.top_of_book(sol),
            ex.resting_orders(sol),
        )
    };
    assert_eq!(run(), run());
}

#[test]
fn a_price_path_does_not_depend_on_how_time_was_advanced() {
    let prices = |advances: &[u64]| {
        let mut ex = Exchange::new(ExchangeConfig::default()).unwrap();
        let start = ex.now_ms();
        for &at in advances {
            ex.advance_to(start + at);
        }
        let sol = ex.market_id("SOL_USDC").unwrap();
        let btc = ex.market_id("BTC_USDC").unwrap();
        (ex.reference_price(sol), ex.reference_price(btc))
    };
    let at_once = prices(&[300_000]);
    let in_small_steps = prices(&(1..=300).map(|s| s * 1_000).collect::<Vec<_>>());
    let unevenly = prices(&[7_000, 7_500, 150_000, 299_999, 300_000]);
    assert_eq!(at_once, in_small_steps);
    assert_eq!(at_once, unevenly);
    let other_seed = {
        let mut ex = Exchange::new(ExchangeConfig {
            seed: 7,
            ..ExchangeConfig::default()
        })
        .unwrap();
        ex.advance_to(ex.now_ms() + 300_000);
        ex.reference_price(ex.market_id("SOL_USDC").unwrap())
    };
    assert_ne!(at_once.0, other_seed, "the seed picks the path");
}

#[test]
fn funding_moves_quote_between_longs_and_shorts() {
    let mut ex = quiet();
    let maker = trader(&mut ex, "maker");
    let alice = trader(&mut ex, "alice");
    ex.submit(maker, NewOrder::limit(PERP, Side::Ask, 15_000, 1_000))
        .unwrap();
    ex.submit(alice, NewOrder::market(PERP, Side::Bid, 1_000))
        .unwrap();
    let before = ex.balance(alice, "USDC").unwrap().available;
    ex.advance_to(ex.now_ms() + 3_600_000);
    let after = ex.balance(alice, "USDC").unwrap().available;
    assert!(after != before, "the long paid or received funding");
    assert_eq!(ex.accounts[alice.0 as usize].funding.len(), 1);
    ex.check_invariants().unwrap();
}
