//! One market's order book: price levels in `BTreeMap`s keyed by ticks, and the orders of a
//! level in a FIFO doubly linked list over a slab, so adding, cancelling and matching an
//! order are all O(log levels) or O(1).

use std::collections::BTreeMap;

use super::types::{AccountId, OrderId, Side};

const NIL: u32 = u32::MAX;

/// A resting order as the book sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub(crate) order: OrderId,
    pub(crate) account: AccountId,
    pub(crate) side: Side,
    pub(crate) price: i64,
    pub(crate) remaining: i64,
    prev: u32,
    next: u32,
}

#[derive(Debug, Clone, Copy)]
struct Level {
    head: u32,
    tail: u32,
    total: i64,
}

/// Bids and asks with price-time priority.
#[derive(Debug, Default)]
pub(crate) struct Book {
    bids: BTreeMap<i64, Level>,
    asks: BTreeMap<i64, Level>,
    nodes: Vec<Node>,
    free: Vec<u32>,
    /// Counts every change, for `lastUpdateId`.
    sequence: u64,
    /// Levels changed since the last `take_touched`, when tracking (for depth streams).
    touched: Option<Vec<(Side, i64)>>,
}

impl Book {
    /// Starts (or stops) recording touched levels.
    #[cfg_attr(not(feature = "streams"), allow(dead_code))]
    pub(crate) fn track_levels(&mut self, on: bool) {
        self.touched = on.then(Vec::new);
    }

    fn touch(&mut self, side: Side, price: i64) {
        if let Some(touched) = self.touched.as_mut() {
            touched.push((side, price));
        }
    }

    /// The levels touched since the last call, each once.
    #[cfg_attr(not(feature = "streams"), allow(dead_code))]
    pub(crate) fn take_touched(&mut self) -> Vec<(Side, i64)> {
        let Some(touched) = self.touched.as_mut() else {
            return Vec::new();
        };
        let mut levels = std::mem::take(touched);
        levels.sort_unstable_by_key(|(side, price)| (*side == Side::Ask, *price));
        levels.dedup();
        levels
    }

    /// Total quantity resting at a price (0 when the level is empty).
    #[cfg_attr(not(feature = "streams"), allow(dead_code))]
    pub(crate) fn level_total(&self, side: Side, price: i64) -> i64 {
        self.side(side).get(&price).map_or(0, |level| level.total)
    }

    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<i64, Level> {
        match side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        }
    }

    fn side(&self, side: Side) -> &BTreeMap<i64, Level> {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    /// Adds an order at the back of its level; returns its node.
    pub(crate) fn insert(
        &mut self,
        order: OrderId,
        account: AccountId,
        side: Side,
        price: i64,
        remaining: i64,
    ) -> u32 {
        self.sequence += 1;
        self.touch(side, price);
        let node = Node {
            order,
            account,
            side,
            price,
            remaining,
            prev: NIL,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(index) => {
                self.nodes[index as usize] = node;
                index
            }
            None => {
                self.nodes.push(node);
                u32::try_from(self.nodes.len() - 1).unwrap_or(NIL)
            }
        };
        let level = self.side_mut(side).entry(price).or_insert(Level {
            head: NIL,
            tail: NIL,
            total: 0,
        });
        let old_tail = level.tail;
        level.tail = index;
        if level.head == NIL {
            level.head = index;
        }
        level.total += remaining;
        if old_tail != NIL {
            self.nodes[old_tail as usize].next = index;
            self.nodes[index as usize].prev = old_tail;
        }
        index
    }

    /// The node at `index`.
    pub(crate) fn node(&self, index: u32) -> Node {
        self.nodes[index as usize]
    }

    /// Removes an order from the book.
    pub(crate) fn remove(&mut self, index: u32) -> Node {
        self.sequence += 1;
        let node = self.nodes[index as usize];
        self.touch(node.side, node.price);
        if node.prev != NIL {
            self.nodes[node.prev as usize].next = node.next;
        }
        if node.next != NIL {
            self.nodes[node.next as usize].prev = node.prev;
        }
        let levels = self.side_mut(node.side);
        if let Some(level) = levels.get_mut(&node.price) {
            if level.head == index {
                level.head = node.next;
            }
            if level.tail == index {
                level.tail = node.prev;
            }
            level.total -= node.remaining;
            if level.head == NIL {
                levels.remove(&node.price);
            }
        }
        self.free.push(index);
        node
    }

    /// Takes `steps` off a resting order (a partial fill).
    pub(crate) fn reduce(&mut self, index: u32, steps: i64) {
        self.sequence += 1;
        let node = &mut self.nodes[index as usize];
        node.remaining -= steps;
        let (side, price) = (node.side, node.price);
        self.touch(side, price);
        if let Some(level) = self.side_mut(side).get_mut(&price) {
            level.total -= steps;
        }
    }

    /// Best price of a side and the first order there.
    pub(crate) fn best(&self, side: Side) -> Option<(i64, u32)> {
        let entry = match side {
            Side::Bid => self.bids.iter().next_back(),
            Side::Ask => self.asks.iter().next(),
        };
        entry.map(|(price, level)| (*price, level.head))
    }

    /// The order after `index` in its level, if any.
    #[cfg(test)]
    pub(crate) fn next_in_level(&self, index: u32) -> Option<u32> {
        let next = self.nodes[index as usize].next;
        (next != NIL).then_some(next)
    }

    /// Best bid price and best ask price.
    pub(crate) fn top(&self) -> (Option<i64>, Option<i64>) {
        (
            self.bids.keys().next_back().copied(),
            self.asks.keys().next().copied(),
        )
    }

    /// Up to `levels` levels of a side, best first: `(price ticks, total steps)`.
    pub(crate) fn levels(&self, side: Side, levels: usize) -> Vec<(i64, i64)> {
        let map = self.side(side);
        let iter: Box<dyn Iterator<Item = (&i64, &Level)>> = match side {
            Side::Bid => Box::new(map.iter().rev()),
            Side::Ask => Box::new(map.iter()),
        };
        iter.take(levels)
            .map(|(price, level)| (*price, level.total))
            .collect()
    }

    /// Steps a taker on `taker_side` could fill up to `limit` (inclusive), stopping once
    /// `enough` is reached. Orders of the taker's own `account` are skipped, or, when
    /// `stop_at_own` (self-trade prevention would end the match there), end the count.
    pub(crate) fn available_to_take(
        &self,
        taker_side: Side,
        limit: Option<i64>,
        account: AccountId,
        enough: i64,
        stop_at_own: bool,
    ) -> i64 {
        let map = self.side(taker_side.opposite());
        let iter: Box<dyn Iterator<Item = (&i64, &Level)>> = match taker_side {
            Side::Bid => Box::new(map.iter()),
            Side::Ask => Box::new(map.iter().rev()),
        };
        let mut total = 0;
        for (price, level) in iter {
            let acceptable = match (taker_side, limit) {
                (_, None) => true,
                (Side::Bid, Some(limit)) => *price <= limit,
                (Side::Ask, Some(limit)) => *price >= limit,
            };
            if !acceptable {
                break;
            }
            let mut index = level.head;
            while index != NIL {
                let node = self.nodes[index as usize];
                if node.account == account {
                    if stop_at_own {
                        return total;
                    }
                } else {
                    total += node.remaining;
                    if total >= enough {
                        return total;
                    }
                }
                index = node.next;
            }
        }
        total
    }

    /// Number of changes so far.
    pub(crate) fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Number of resting orders.
    pub(crate) fn len(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_time_priority_and_removal() {
        let mut book = Book::default();
        let a = book.insert(OrderId(1), AccountId(1), Side::Bid, 100, 5);
        let b = book.insert(OrderId(2), AccountId(2), Side::Bid, 100, 3);
        let c = book.insert(OrderId(3), AccountId(1), Side::Bid, 101, 1);
        book.insert(OrderId(4), AccountId(3), Side::Ask, 105, 2);
        assert_eq!(book.best(Side::Bid), Some((101, c)));
        assert_eq!(book.top(), (Some(101), Some(105)));
        book.remove(c);
        assert_eq!(book.best(Side::Bid), Some((100, a)));
        assert_eq!(book.next_in_level(a), Some(b));
        book.reduce(a, 2);
        assert_eq!(book.levels(Side::Bid, 5), vec![(100, 6)]);
        book.remove(a);
        assert_eq!(book.best(Side::Bid), Some((100, b)));
        assert_eq!(
            book.available_to_take(Side::Ask, Some(100), AccountId(9), 10, true),
            3
        );
        assert_eq!(
            book.available_to_take(Side::Ask, Some(100), AccountId(2), 10, false),
            0
        );
        assert_eq!(
            book.available_to_take(Side::Ask, Some(99), AccountId(2), 10, true),
            0
        );
        assert_eq!(book.len(), 2);
        // Freed slots are reused.
        let d = book.insert(OrderId(5), AccountId(1), Side::Ask, 106, 1);
        assert!(d == a || d == c);
    }
}
