//! The sync procedure: unit cases for each rule, and a property over random delta
//! sequences with dropped messages (never crossed while synced; after a resync the book
//! equals the venue's).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::model::Timestamp;

fn level(price: i64, quantity: i64) -> Level {
    Level(
        Price::new(Decimal::from(price)),
        Quantity::new(Decimal::from(quantity)),
    )
}

fn delta(first: u64, last: u64, bids: Vec<Level>, asks: Vec<Level>) -> DepthUpdate {
    DepthUpdate {
        symbol: Symbol::new("X"),
        asks,
        bids,
        first_update_id: first,
        last_update_id: last,
        event_time: Timestamp::from_micros(0),
        engine_time: None,
    }
}

fn snapshot(last: u64, bids: Vec<Level>, asks: Vec<Level>) -> Depth {
    Depth {
        asks,
        bids,
        last_update_id: last,
        timestamp: Timestamp::from_micros(0),
    }
}

#[test]
fn deltas_are_buffered_until_a_snapshot_and_covered_ones_dropped() {
    let mut book = LocalBook::new("X");
    assert_eq!(
        book.apply_delta(delta(9, 10, vec![level(99, 1)], vec![])),
        Ok(false)
    );
    assert_eq!(
        book.apply_delta(delta(11, 12, vec![level(98, 2)], vec![level(101, 3)])),
        Ok(false)
    );
    assert_eq!(book.buffered(), 2);
    // The snapshot covers update 10; the delta 11..12 follows it.
    book.apply_snapshot(&snapshot(10, vec![level(99, 5)], vec![level(100, 1)]))
        .unwrap();
    assert!(book.is_synced());
    assert_eq!(book.last_update_id(), Some(12));
    assert_eq!(
        book.bids(5),
        vec![level(99, 5), level(98, 2)],
        "the covered delta was not applied"
    );
    assert_eq!(book.asks(5), vec![level(100, 1), level(101, 3)]);
    // Removal, a stale delta, an overlapping one.
    assert_eq!(
        book.apply_delta(delta(13, 13, vec![level(98, 0)], vec![])),
        Ok(true)
    );
    assert_eq!(
        book.apply_delta(delta(12, 13, vec![level(1, 1)], vec![])),
        Ok(false)
    );
    assert_eq!(
        book.apply_delta(delta(13, 14, vec![level(97, 1)], vec![])),
        Ok(true)
    );
    assert_eq!(book.best_bid(), Some(level(99, 5)));
    assert_eq!(book.len(), (2, 2));
}

#[test]
fn a_gap_a_crossed_book_and_a_stale_snapshot_ask_for_a_resync() {
    let mut book = LocalBook::new("X");
    book.apply_snapshot(&snapshot(10, vec![level(99, 1)], vec![level(101, 1)]))
        .unwrap();
    let gap = book.apply_delta(delta(12, 12, vec![], vec![]));
    assert_eq!(
        gap,
        Err(Resync::Gap {
            expected: 11,
            first: 12,
            last: 12
        })
    );
    assert!(!book.is_synced() && book.is_empty());
    assert_eq!(book.buffered(), 1, "the delta waits for the next snapshot");
    // A snapshot older than the buffer must be fetched again.
    assert_eq!(
        book.apply_snapshot(&snapshot(5, vec![], vec![])),
        Err(Resync::SnapshotBehind {
            snapshot: 5,
            first: 12
        })
    );
    book.apply_snapshot(&snapshot(12, vec![level(99, 1)], vec![level(101, 1)]))
        .unwrap();
    let crossed = book.apply_delta(delta(13, 13, vec![level(101, 1)], vec![]));
    assert!(matches!(crossed, Err(Resync::Crossed { .. })));
    assert!(!book.is_synced());
}

#[test]
fn walking_the_book_for_a_size() {
    let mut book = LocalBook::new("X");
    let not_synced = book.walk(&Side::Bid, Quantity::new(Decimal::ONE));
    assert!(matches!(not_synced, Err(BookError::NotSynced(_))));
    book.apply_snapshot(&snapshot(
        1,
        vec![level(99, 2), level(98, 5)],
        vec![level(100, 1), level(102, 1)],
    ))
    .unwrap();
    let buy = book
        .walk(&Side::Bid, Quantity::new(Decimal::from(2)))
        .unwrap();
    assert_eq!(buy.notional, Notional::new(Decimal::from(202)));
    assert_eq!(buy.average_price, Some(Price::new(Decimal::from(101))));
    assert_eq!(buy.worst_price, Some(Price::new(Decimal::from(102))));
    assert!(buy.complete);
    let sell = book
        .walk(&Side::Ask, Quantity::new(Decimal::from(10)))
        .unwrap();
    assert_eq!(sell.filled, Quantity::new(Decimal::from(7)));
    assert!(!sell.complete);
    assert!(book.walk(&Side::Ask, Quantity::new(Decimal::ZERO)).is_err());
}

/// The venue's true book after each update id, as a test oracle.
#[derive(Clone, Default)]
struct Venue {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    id: u64,
}

impl Venue {
    fn snapshot(&self) -> Depth {
        snapshot(
            self.id,
            self.bids.iter().map(|(p, q)| level(*p, *q)).collect(),
            self.asks.iter().map(|(p, q)| level(*p, *q)).collect(),
        )
    }
}

proptest! {
    #[test]
    fn random_deltas_with_drops_keep_the_book_equal_to_the_venue(
        changes in prop::collection::vec((any::<bool>(), 0i64..20, 0i64..4, any::<u8>()), 1..300),
    ) {
        let mut venue = Venue::default();
        let mut book = LocalBook::new("X");
        let mut pending: Vec<(bool, i64, i64)> = Vec::new();
        let mut first = 1;
        let mut need_snapshot = true;
        for (is_bid, offset, quantity, dice) in changes {
            // Bids live at 80..100, asks at 100..120: the venue is never crossed.
            let price = if is_bid { 80 + offset } else { 100 + offset };
            venue.id += 1;
            let side = if is_bid { &mut venue.bids } else { &mut venue.asks };
            if quantity == 0 { side.remove(&price); } else { side.insert(price, quantity); }
            pending.push((is_bid, price, quantity));
            // Some changes are sent together; some messages are lost.
            if dice % 3 == 0 { continue; }
            let (bids, asks): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(b, _, _)| *b);
            let message = delta(
                first,
                venue.id,
                bids.into_iter().map(|(_, p, q)| level(p, q)).collect(),
                asks.into_iter().map(|(_, p, q)| level(p, q)).collect(),
            );
            first = venue.id + 1;
            if dice % 11 == 0 { continue; } // lost on the way
            if book.apply_delta(message).is_err() {
                need_snapshot = true;
            }
            if need_snapshot && dice % 2 == 0 {
                need_snapshot = book.apply_snapshot(&venue.snapshot()).is_err();
            }
            if book.is_synced() {
                let bid = book.best_bid().map(|l| l.price());
                let ask = book.best_ask().map(|l| l.price());
                prop_assert!(bid.zip(ask).is_none_or(|(b, a)| b < a), "crossed while synced");
                if book.last_update_id() == Some(venue.id) {
                    let expected = venue.snapshot();
                    prop_assert_eq!(book.bids(usize::MAX).into_iter().rev().collect::<Vec<_>>(), expected.bids);
                    prop_assert_eq!(book.asks(usize::MAX), expected.asks);
                }
            }
        }
    }
}

#[test]
fn failed_snapshots_back_off_to_ten_seconds() {
    let waits: Vec<u64> = (1..=10)
        .map(|n| snapshot_backoff(n).as_millis() as u64)
        .collect();
    assert_eq!(
        waits,
        [
            250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000
        ]
    );
}
