//! Streams an assistant can watch: server-side subscriptions behind handles, read with a
//! cursor and a wait.
//!
//! Why tools and not MCP resource subscriptions: hosts give the model no push channel, and
//! of the hosts surveyed none shows `notifications/resources/updated` to the model (Claude
//! Code drops them, Codex has no `resources/subscribe`); a tool call that waits for the
//! next event is what every host can use (the CCXT design, `streams.md` §B1). Unlike CCXT,
//! a read reports gaps: a disconnect, a resubscribe, events dropped for a slow reader.
//!
//! Bounds: at most [`MAX_WATCHES`] watches in the process, each keeping at most
//! [`RING`] events (the oldest are dropped and counted as `missed` for a cursor that had
//! not seen them), a read returns at most [`PAGE`] events and waits at most [`MAX_WAIT`]; a
//! watch nobody read for [`IDLE`] is stopped.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Watches open at once, in the whole process.
pub const MAX_WATCHES: usize = 16;
/// Events a watch keeps.
pub const RING: usize = 200;
/// Events a read returns.
pub const PAGE: usize = 50;
/// Longest wait of one read (under the tool-call timeouts of common hosts).
pub const MAX_WAIT: Duration = Duration::from_secs(55);
/// A watch unread for this long is stopped.
pub const IDLE: Duration = Duration::from_secs(600);

/// One event, numbered.
#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    event: Value,
}

#[derive(Debug, Default)]
struct Buffer {
    events: VecDeque<Entry>,
    next_seq: u64,
    /// The latest state, for state streams (book, ticker).
    state: Option<Value>,
    /// Set when the watch can no longer deliver (why).
    ended: Option<String>,
}

/// A running watch.
#[derive(Debug)]
pub struct Watch {
    /// Its handle.
    pub id: String,
    /// What it watches (`orders`, `book`, ...).
    pub stream: String,
    /// Its market, if any.
    pub symbol: Option<String>,
    buffer: Mutex<Buffer>,
    changed: Notify,
    last_read: Mutex<Instant>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// What a read found.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Events after the cursor, oldest first.
    pub events: Vec<Value>,
    /// The cursor for the next read.
    pub next_cursor: u64,
    /// Events dropped before this cursor saw them.
    pub missed: u64,
    /// More events wait after this page.
    pub more: bool,
    /// The latest state (state streams).
    pub state: Option<Value>,
    /// Why the watch ended, if it did.
    pub ended: Option<String>,
}

impl Watch {
    /// Appends an event (the oldest is dropped beyond [`RING`]) and wakes readers.
    pub fn push(&self, event: Value) {
        let mut buffer = self.lock();
        buffer.next_seq += 1;
        let seq = buffer.next_seq;
        buffer.events.push_back(Entry { seq, event });
        while buffer.events.len() > RING {
            buffer.events.pop_front();
        }
        drop(buffer);
        self.changed.notify_waiters();
    }

    /// Replaces the state and wakes readers.
    pub fn set_state(&self, state: Value) {
        let mut buffer = self.lock();
        buffer.next_seq += 1;
        buffer.state = Some(state);
        drop(buffer);
        self.changed.notify_waiters();
    }

    /// The watch can deliver no more (the reason is shown to readers).
    pub fn end(&self, reason: String) {
        self.lock().ended = Some(reason);
        self.changed.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buffer> {
        self.buffer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn page(&self, cursor: u64) -> Page {
        let buffer = self.lock();
        let oldest = buffer.events.front().map_or(buffer.next_seq + 1, |e| e.seq);
        let missed = oldest.saturating_sub(cursor.saturating_add(1));
        let after: Vec<&Entry> = buffer.events.iter().filter(|e| e.seq > cursor).collect();
        let more = after.len() > PAGE;
        let events: Vec<Value> = after.iter().take(PAGE).map(|e| e.event.clone()).collect();
        let next_cursor = match after.get(PAGE.saturating_sub(1)) {
            // A full page with more behind it: continue right after its last event.
            Some(last) if more => last.seq,
            _ => buffer.next_seq.max(cursor),
        };
        Page {
            events,
            next_cursor,
            missed,
            more,
            state: buffer.state.clone(),
            ended: buffer.ended.clone(),
        }
    }

    /// Reads after `cursor`, waiting up to `wait` for something new (or for `done` to hold
    /// of the events after the cursor); returns whether the wait ran out.
    pub async fn read(
        &self,
        cursor: u64,
        wait: Duration,
        done: impl Fn(&[Value]) -> bool,
        cancelled: impl Future<Output = ()>,
    ) -> (Page, bool) {
        *self
            .last_read
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Instant::now();
        let deadline = Instant::now() + wait.min(MAX_WAIT);
        tokio::pin!(cancelled);
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let page = self.page(cursor);
            let new = page.next_cursor > cursor || page.ended.is_some();
            if (new && done(&page.events)) || page.ended.is_some() || wait.is_zero() {
                return (page, false);
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => return (self.page(cursor), true),
                () = &mut cancelled => return (self.page(cursor), true),
            }
        }
    }

    /// Sets the task feeding this watch (aborted when the watch stops).
    pub fn attach(&self, task: tokio::task::JoinHandle<()>) {
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    fn stop(&self) {
        if let Some(task) = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
        self.end("stopped".into());
    }

    fn idle(&self, now: Instant) -> bool {
        now.duration_since(
            *self
                .last_read
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        ) >= IDLE
    }
}

/// Every watch of the process.
#[derive(Debug, Default)]
pub struct Watches {
    watches: Mutex<HashMap<String, Arc<Watch>>>,
}

/// Why a watch could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooMany;

impl Watches {
    /// Opens a watch (idle ones are stopped first).
    ///
    /// # Errors
    /// [`TooMany`] when [`MAX_WATCHES`] are open.
    pub fn open(&self, stream: &str, symbol: Option<String>) -> Result<Arc<Watch>, TooMany> {
        self.sweep();
        let mut watches = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        if watches.len() >= MAX_WATCHES {
            return Err(TooMany);
        }
        let watch = Arc::new(Watch {
            id: new_id(),
            stream: stream.to_owned(),
            symbol,
            buffer: Mutex::new(Buffer::default()),
            changed: Notify::new(),
            last_read: Mutex::new(Instant::now()),
            task: Mutex::new(None),
        });
        watches.insert(watch.id.clone(), Arc::clone(&watch));
        Ok(watch)
    }

    /// A watch by its handle.
    pub fn get(&self, id: &str) -> Option<Arc<Watch>> {
        self.sweep();
        self.watches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Stops and forgets a watch; whether it existed.
    pub fn close(&self, id: &str) -> bool {
        let removed = self
            .watches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
        removed.map(|watch| watch.stop()).is_some()
    }

    /// How many are open.
    pub fn len(&self) -> usize {
        self.watches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sweep(&self) {
        let now = Instant::now();
        let mut watches = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        watches.retain(|_, watch| {
            let keep = !watch.idle(now);
            if !keep {
                watch.stop();
            }
            keep
        });
    }
}

/// An unguessable handle: `w-` and 16 hex digits.
fn new_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos as u64).to_le_bytes();
    }
    format!("w-{:016x}", u64::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn a_reader_waits_for_news_pages_through_a_bounded_ring_and_learns_what_it_missed() {
        let watches = Watches::default();
        let watch = watches.open("trades", None).unwrap();
        let reader = {
            let watch = Arc::clone(&watch);
            tokio::spawn(async move {
                watch
                    .read(0, Duration::from_secs(5), |_| true, std::future::pending())
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        watch.push(json!({ "n": 1 }));
        let (page, timed_out) = reader.await.unwrap();
        assert!(!timed_out);
        assert_eq!(
            (page.events, page.next_cursor),
            (vec![json!({ "n": 1 })], 1)
        );

        for n in 2..=(RING as u64 + 11) {
            watch.push(json!({ "n": n }));
        }
        let (page, _) = watch
            .read(1, Duration::ZERO, |_| true, std::future::pending())
            .await;
        assert_eq!(
            page.missed, 10,
            "events 2..=11 were dropped before this reader saw them"
        );
        assert_eq!(page.events.len(), PAGE);
        assert!(page.more);
        assert_eq!(page.events[0], json!({ "n": 12 }));
        let (next, _) = watch
            .read(
                page.next_cursor,
                Duration::ZERO,
                |_| true,
                std::future::pending(),
            )
            .await;
        assert_eq!(next.events[0], json!({ "n": 12 + PAGE as u64 }));

        let (waited, timed_out) = watch
            .read(
                RING as u64 + 11,
                Duration::from_millis(30),
                |_| true,
                std::future::pending(),
            )
            .await;
        assert!(timed_out && waited.events.is_empty());
        assert!(watches.close(&watch.id));
        assert!(watches.get(&watch.id).is_none());
        let (ended, _) = watch
            .read(0, Duration::from_secs(5), |_| true, std::future::pending())
            .await;
        assert_eq!(ended.ended.as_deref(), Some("stopped"));
    }

    #[test]
    fn at_most_so_many_watches() {
        let watches = Watches::default();
        for _ in 0..MAX_WATCHES {
            watches.open("book", Some("SOL_USDC".into())).unwrap();
        }
        assert_eq!(watches.open("book", None).unwrap_err(), TooMany);
        assert_eq!(watches.len(), MAX_WATCHES);
    }
}
