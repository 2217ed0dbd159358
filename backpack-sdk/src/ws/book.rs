//! A local order book kept from the depth stream.
//!
//! [`LocalBook`] is the pure part: the exchange's sync procedure as a state machine with no
//! I/O. Deltas carry absolute quantities and a `U..u` range of update ids; the book is
//! seeded from a REST snapshot (`lastUpdateId`), deltas already covered by it are dropped,
//! the first applied one must straddle it (`U <= lastUpdateId + 1 <= u`), and each later one
//! must follow on (`U <= previous u + 1`). A gap or a crossed book clears the book and asks
//! for a fresh snapshot ([`Resync`]); deltas keep being buffered meanwhile.
//!
//! [`OrderBook`] runs that machine in a task over a [`Streams`] subscription and REST
//! snapshots, and can be read at any time.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::watch;

use super::event::{DepthUpdate, Event};
use super::subscription::StreamItem;
use super::{DepthInterval, StreamError, StreamName, Streams};
use crate::client::Client;
use crate::model::{Depth, Level, Notional, Price, Quantity, Side, Symbol};

/// Deltas buffered while waiting for a snapshot, at most (the oldest are dropped beyond).
const MAX_BUFFERED: usize = 10_000;
/// How long to wait for a first delta before taking a snapshot anyway (a quiet market may
/// send none; REST snapshots lag the stream, so one delta to align with is better).
const SNAPSHOT_DELAY: Duration = Duration::from_millis(500);

/// Why the book must be rebuilt from a fresh snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Resync {
    /// A delta did not follow the previous one.
    #[error("sequence gap: expected update {expected}, got {first}..{last}")]
    Gap {
        /// The id that should have come next.
        expected: u64,
        /// The delta's first id.
        first: u64,
        /// The delta's last id.
        last: u64,
    },
    /// The best bid reached the best ask.
    #[error("crossed book: bid {bid} >= ask {ask}")]
    Crossed {
        /// Best bid.
        bid: Price,
        /// Best ask.
        ask: Price,
    },
    /// The snapshot is older than the oldest buffered delta (snapshots lag the stream):
    /// fetch it again.
    #[error("snapshot {snapshot} is older than the buffered deltas (first {first})")]
    SnapshotBehind {
        /// The snapshot's `lastUpdateId`.
        snapshot: u64,
        /// The oldest buffered delta's first id.
        first: u64,
    },
}

/// What a walk of the book for a size found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BookWalk {
    /// Quantity the book could fill (less than asked if the book is too thin).
    pub filled: Quantity,
    /// What that quantity costs (buy) or brings (sell), in quote.
    pub notional: Notional,
    /// `notional / filled`.
    pub average_price: Option<Price>,
    /// The last level touched.
    pub worst_price: Option<Price>,
    /// Whether the whole quantity fits in the book.
    pub complete: bool,
}

/// Why a walk could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// The book is not synced (waiting for a snapshot).
    #[error("the book of {0} is not synced")]
    NotSynced(Symbol),
    /// The quantity is not positive, or the side is unknown.
    #[error("invalid walk: {0}")]
    Invalid(String),
    /// The amounts overflowed.
    #[error("the walk overflowed")]
    Overflow,
}

/// One market's book, kept from snapshots and deltas. Pure: no I/O, no clock.
#[derive(Debug, Clone)]
pub struct LocalBook {
    symbol: Symbol,
    bids: BTreeMap<Price, Quantity>,
    asks: BTreeMap<Price, Quantity>,
    /// `Some` once synced: the last applied update id.
    last_update_id: Option<u64>,
    buffer: VecDeque<DepthUpdate>,
}

impl LocalBook {
    /// An empty book waiting for a snapshot.
    pub fn new(symbol: impl Into<Symbol>) -> Self {
        Self {
            symbol: symbol.into(),
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            last_update_id: None,
            buffer: VecDeque::new(),
        }
    }

    /// The market.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// Whether the book is synced (a snapshot applied and every delta since in sequence).
    pub fn is_synced(&self) -> bool {
        self.last_update_id.is_some()
    }

    /// The last applied update id, once synced.
    pub fn last_update_id(&self) -> Option<u64> {
        self.last_update_id
    }

    /// Deltas waiting for a snapshot.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Clears the book and waits for a snapshot; buffered deltas are dropped too (after a
    /// reconnect they belong to another connection).
    pub fn reset(&mut self) {
        self.unsync();
        self.buffer.clear();
    }

    fn unsync(&mut self) {
        self.bids.clear();
        self.asks.clear();
        self.last_update_id = None;
    }

    fn buffer(&mut self, delta: DepthUpdate) {
        self.buffer.push_back(delta);
        while self.buffer.len() > MAX_BUFFERED {
            self.buffer.pop_front();
        }
    }

    /// Takes one delta from the stream: applied (`Ok(true)`), buffered or already covered
    /// (`Ok(false)`), or a reason to resync (the book is cleared and the delta buffered).
    ///
    /// # Errors
    /// [`Resync`] when the book must be rebuilt from a new snapshot.
    pub fn apply_delta(&mut self, delta: DepthUpdate) -> Result<bool, Resync> {
        let Some(last) = self.last_update_id else {
            self.buffer(delta);
            return Ok(false);
        };
        if delta.last_update_id <= last {
            return Ok(false);
        }
        let expected = last.saturating_add(1);
        if delta.first_update_id > expected {
            let gap = Resync::Gap {
                expected,
                first: delta.first_update_id,
                last: delta.last_update_id,
            };
            self.unsync();
            self.buffer(delta);
            return Err(gap);
        }
        self.apply_levels(&delta);
        self.last_update_id = Some(delta.last_update_id);
        self.check_crossed()?;
        Ok(true)
    }

    /// Seeds the book from a REST snapshot and applies the buffered deltas that follow it.
    ///
    /// # Errors
    /// [`Resync::SnapshotBehind`] if the buffered deltas start after the snapshot (fetch it
    /// again), or a gap or crossed book among the buffered deltas.
    pub fn apply_snapshot(&mut self, snapshot: &Depth) -> Result<(), Resync> {
        let last = snapshot.last_update_id;
        while self
            .buffer
            .front()
            .is_some_and(|delta| delta.last_update_id <= last)
        {
            self.buffer.pop_front();
        }
        if let Some(first) = self.buffer.front()
            && first.first_update_id > last.saturating_add(1)
        {
            return Err(Resync::SnapshotBehind {
                snapshot: last,
                first: first.first_update_id,
            });
        }
        self.unsync();
        for level in &snapshot.bids {
            set_level(&mut self.bids, *level);
        }
        for level in &snapshot.asks {
            set_level(&mut self.asks, *level);
        }
        self.last_update_id = Some(last);
        while let Some(delta) = self.buffer.pop_front() {
            self.apply_delta(delta)?;
        }
        self.check_crossed()
    }

    fn apply_levels(&mut self, delta: &DepthUpdate) {
        for level in &delta.bids {
            set_level(&mut self.bids, *level);
        }
        for level in &delta.asks {
            set_level(&mut self.asks, *level);
        }
    }

    fn check_crossed(&mut self) -> Result<(), Resync> {
        if let (Some(bid), Some(ask)) = (self.best_bid(), self.best_ask())
            && bid.price() >= ask.price()
        {
            self.unsync();
            return Err(Resync::Crossed {
                bid: bid.price(),
                ask: ask.price(),
            });
        }
        Ok(())
    }

    /// Highest bid.
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.iter().next_back().map(|(p, q)| Level(*p, *q))
    }

    /// Lowest ask.
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.iter().next().map(|(p, q)| Level(*p, *q))
    }

    /// Up to `depth` bids, best (highest) first.
    pub fn bids(&self, depth: usize) -> Vec<Level> {
        self.bids
            .iter()
            .rev()
            .take(depth)
            .map(|(p, q)| Level(*p, *q))
            .collect()
    }

    /// Up to `depth` asks, best (lowest) first.
    pub fn asks(&self, depth: usize) -> Vec<Level> {
        self.asks
            .iter()
            .take(depth)
            .map(|(p, q)| Level(*p, *q))
            .collect()
    }

    /// Number of bid and ask levels.
    pub fn len(&self) -> (usize, usize) {
        (self.bids.len(), self.asks.len())
    }

    /// Whether both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// What taking `quantity` would cost: a buy (`Side::Bid`) walks the asks up, a sell
    /// walks the bids down.
    ///
    /// # Errors
    /// [`BookError`] if the book is not synced, the quantity is not positive, or the sums
    /// overflow.
    pub fn walk(&self, side: &Side, quantity: Quantity) -> Result<BookWalk, BookError> {
        if !self.is_synced() {
            return Err(BookError::NotSynced(self.symbol.clone()));
        }
        if !quantity.is_positive() {
            return Err(BookError::Invalid(format!(
                "quantity {quantity} is not positive"
            )));
        }
        let levels: Box<dyn Iterator<Item = (&Price, &Quantity)>> = match side {
            Side::Bid => Box::new(self.asks.iter()),
            Side::Ask => Box::new(self.bids.iter().rev()),
            Side::Unknown(text) => return Err(BookError::Invalid(format!("side {text}"))),
        };
        let mut left = quantity.value();
        let mut filled = Decimal::ZERO;
        let mut notional = Decimal::ZERO;
        let mut worst = None;
        for (price, available) in levels {
            if left.is_zero() {
                break;
            }
            let take = left.min(available.value());
            let cost = take.checked_mul(price.value()).ok_or(BookError::Overflow)?;
            notional = notional.checked_add(cost).ok_or(BookError::Overflow)?;
            filled = filled.checked_add(take).ok_or(BookError::Overflow)?;
            left -= take;
            worst = Some(*price);
        }
        Ok(BookWalk {
            filled: Quantity::new(filled),
            notional: Notional::new(notional),
            average_price: notional
                .checked_div(filled)
                .filter(|_| !filled.is_zero())
                .map(Price::new),
            worst_price: worst,
            complete: left.is_zero(),
        })
    }
}

fn set_level(side: &mut BTreeMap<Price, Quantity>, level: Level) {
    if level.quantity().is_zero() {
        side.remove(&level.price());
    } else {
        side.insert(level.price(), level.quantity());
    }
}

/// What an [`OrderBook`] says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct BookStatus {
    /// Synced and current.
    pub synced: bool,
    /// Last applied update id.
    pub last_update_id: Option<u64>,
    /// How many times the book was rebuilt after it had been synced.
    pub resyncs: u64,
    /// Why it was last rebuilt or is waiting.
    pub last_reason: Option<String>,
}

/// What changed in a kept book, for an observer
/// ([`OrderBook::start_observed`]): paper trading mirrors a real book this way.
#[derive(Debug)]
#[non_exhaustive]
pub enum BookChange<'a> {
    /// Synced from a snapshot: the whole book is new.
    Synced(&'a LocalBook),
    /// A delta was applied in sequence.
    Applied {
        /// The delta.
        delta: &'a DepthUpdate,
        /// The book after it.
        book: &'a LocalBook,
    },
    /// The book lost sync (gap, crossed, disconnect, lag) and is empty until the next
    /// snapshot.
    Lost,
}

type Observer = Box<dyn FnMut(BookChange<'_>) + Send>;

/// A book kept current in a background task from the depth stream and REST snapshots.
/// Read it at any time with [`read`](Self::read); wait for changes with
/// [`changed`](Self::changed). Dropping it stops the task and unsubscribes.
#[derive(Debug)]
pub struct OrderBook {
    book: Arc<RwLock<LocalBook>>,
    status: watch::Receiver<BookStatus>,
    task: tokio::task::JoinHandle<()>,
}

impl OrderBook {
    /// Subscribes to `depth[.<interval>].<symbol>` and keeps the book.
    ///
    /// # Errors
    /// As [`Streams::subscribe`].
    pub fn start(
        streams: &Streams,
        client: &Client,
        symbol: impl Into<Symbol>,
        interval: DepthInterval,
    ) -> Result<Self, StreamError> {
        Self::start_with(streams, client, symbol.into(), interval, None)
    }

    /// [`start`](Self::start), calling `observer` with every change, in order, while the
    /// book is locked (keep it short).
    ///
    /// # Errors
    /// As [`Streams::subscribe`].
    pub fn start_observed(
        streams: &Streams,
        client: &Client,
        symbol: impl Into<Symbol>,
        interval: DepthInterval,
        observer: impl FnMut(BookChange<'_>) + Send + 'static,
    ) -> Result<Self, StreamError> {
        Self::start_with(
            streams,
            client,
            symbol.into(),
            interval,
            Some(Box::new(observer)),
        )
    }

    fn start_with(
        streams: &Streams,
        client: &Client,
        symbol: Symbol,
        interval: DepthInterval,
        observer: Option<Observer>,
    ) -> Result<Self, StreamError> {
        let subscription = streams.subscribe([StreamName::depth(symbol.as_str(), interval)])?;
        let book = Arc::new(RwLock::new(LocalBook::new(symbol.clone())));
        let (status_tx, status) = watch::channel(BookStatus::default());
        let keeper = Keeper {
            book: Arc::clone(&book),
            client: client.clone(),
            symbol,
            status: status_tx,
            resyncs: 0,
            observer,
        };
        let task = tokio::spawn(keeper.run(subscription));
        Ok(Self { book, status, task })
    }

    /// Reads the book.
    pub fn read<R>(&self, f: impl FnOnce(&LocalBook) -> R) -> R {
        f(&self.book.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The current status.
    pub fn status(&self) -> BookStatus {
        self.status.borrow().clone()
    }

    /// Waits until the book changes (an applied delta, a resync, a loss of sync); `None`
    /// once the task keeping it has stopped (its runtime shut down).
    pub async fn changed(&mut self) -> Option<BookStatus> {
        self.status.changed().await.ok()?;
        Some(self.status.borrow_and_update().clone())
    }

    /// Waits until the book is synced, at most `timeout`; returns whether it is.
    pub async fn wait_synced(&mut self, timeout: Duration) -> bool {
        let wait = self.status.wait_for(|status| status.synced);
        matches!(tokio::time::timeout(timeout, wait).await, Ok(Ok(_)))
    }
}

impl Drop for OrderBook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a snapshot attempt came to.
enum Attempt {
    Synced,
    /// No delta to align with yet.
    Waiting,
    /// The REST call failed, or the snapshot did not fit the buffered deltas.
    Failed,
}

/// How often a snapshot is tried while waiting for a first delta.
const SNAPSHOT_RETRY: Duration = Duration::from_millis(250);

/// The wait after `failures` failed snapshots: 250 ms doubling, at most 10 s.
fn snapshot_backoff(failures: u32) -> Duration {
    SNAPSHOT_RETRY
        .saturating_mul(1u32 << failures.saturating_sub(1).min(6))
        .min(Duration::from_secs(10))
}

struct Keeper {
    book: Arc<RwLock<LocalBook>>,
    client: Client,
    symbol: Symbol,
    status: watch::Sender<BookStatus>,
    resyncs: u64,
    observer: Option<Observer>,
}

impl Keeper {
    async fn run(mut self, mut subscription: super::Subscription) {
        let mut need_snapshot = false;
        let mut waiting_since = tokio::time::Instant::now();
        // Failed snapshots back off (an exchange that is down or rate-limiting must not be
        // asked four times a second per book); a success starts over.
        let mut failures: u32 = 0;
        let mut next_try = tokio::time::Instant::now();
        loop {
            tokio::select! {
                item = subscription.next() => {
                    let Some(item) = item else { return };
                    match item {
                        StreamItem::Event { event: Event::Depth(delta), .. } => {
                            let result = self.apply(delta);
                            match result {
                                Ok(_) => self.publish(None),
                                Err(resync) => {
                                    need_snapshot = true;
                                    waiting_since = tokio::time::Instant::now();
                                    next_try = waiting_since;
                                    self.lost_sync(&resync.to_string());
                                }
                            }
                        }
                        StreamItem::Subscribed { .. } => {
                            self.reset();
                            need_snapshot = true;
                            waiting_since = tokio::time::Instant::now();
                            next_try = waiting_since;
                            self.publish(Some("subscribed: waiting for a snapshot".to_owned()));
                        }
                        StreamItem::Disconnected { reason, .. } => {
                            self.reset();
                            self.lost_sync(&format!("disconnected: {reason}"));
                        }
                        StreamItem::Lagged { missed } => {
                            self.reset();
                            need_snapshot = true;
                            waiting_since = tokio::time::Instant::now();
                            next_try = waiting_since;
                            self.lost_sync(&format!("{missed} deltas missed by a slow reader"));
                        }
                        _ => {}
                    }
                }
                () = tokio::time::sleep_until(next_try), if need_snapshot => {
                    let attempt = self.snapshot(waiting_since.elapsed() >= SNAPSHOT_DELAY).await;
                    let now = tokio::time::Instant::now();
                    match attempt {
                        Attempt::Synced => {
                            need_snapshot = false;
                            failures = 0;
                        }
                        Attempt::Waiting => next_try = now + SNAPSHOT_RETRY,
                        Attempt::Failed => {
                            failures = failures.saturating_add(1);
                            next_try = now + snapshot_backoff(failures);
                        }
                    }
                }
            }
        }
    }

    /// Fetches and applies a snapshot. Without a buffered delta it waits (snapshots lag
    /// the stream) unless `anyway`.
    async fn snapshot(&mut self, anyway: bool) -> Attempt {
        if !anyway && self.read(|book| book.buffered()) == 0 {
            return Attempt::Waiting;
        }
        let depth = match self.client.markets().depth(self.symbol.clone(), None).await {
            Ok(depth) => depth,
            Err(error) => {
                self.publish(Some(format!("snapshot failed: {error}")));
                return Attempt::Failed;
            }
        };
        let mut observer = self.observer.take();
        let result = self.write(|book| {
            let result = book.apply_snapshot(&depth);
            if let Some(observe) = observer.as_mut() {
                observe(match result {
                    Ok(()) => BookChange::Synced(book),
                    Err(_) => BookChange::Lost,
                });
            }
            result
        });
        self.observer = observer;
        match result {
            Ok(()) => {
                self.publish(Some("synced from a snapshot".to_owned()));
                Attempt::Synced
            }
            Err(resync) => {
                self.publish(Some(resync.to_string()));
                Attempt::Failed
            }
        }
    }

    fn read<R>(&self, f: impl FnOnce(&LocalBook) -> R) -> R {
        f(&self.book.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Applies a delta and tells the observer what came of it.
    fn apply(&mut self, delta: DepthUpdate) -> Result<bool, Resync> {
        let mut observer = self.observer.take();
        let result = self.write(|book| match observer.as_mut() {
            None => book.apply_delta(delta),
            Some(observe) => {
                let was_synced = book.is_synced();
                let result = book.apply_delta(delta.clone());
                match &result {
                    Ok(true) => observe(BookChange::Applied {
                        delta: &delta,
                        book,
                    }),
                    Err(_) if was_synced => observe(BookChange::Lost),
                    _ => {}
                }
                result
            }
        });
        self.observer = observer;
        result
    }

    /// Clears the book (the observer is told).
    fn reset(&mut self) {
        let mut observer = self.observer.take();
        self.write(|book| {
            book.reset();
            if let Some(observe) = observer.as_mut() {
                observe(BookChange::Lost);
            }
        });
        self.observer = observer;
    }

    fn write<R>(&self, f: impl FnOnce(&mut LocalBook) -> R) -> R {
        f(&mut self.book.write().unwrap_or_else(PoisonError::into_inner))
    }

    fn lost_sync(&mut self, reason: &str) {
        let was_synced = self.status.borrow().synced;
        if was_synced {
            self.resyncs += 1;
        }
        tracing::debug!(target: "backpack_sdk::ws", symbol = %self.symbol, reason, "order book resync");
        self.publish(Some(reason.to_owned()));
    }

    fn publish(&self, reason: Option<String>) {
        let (synced, last_update_id) = self.read(|book| (book.is_synced(), book.last_update_id()));
        self.status.send_modify(|status| {
            status.synced = synced;
            status.last_update_id = last_update_id;
            status.resyncs = self.resyncs;
            if reason.is_some() {
                status.last_reason = reason;
            }
        });
    }
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
