//! Quotes served from live streams: after a first snapshot of a contract, a quote stream
//! keeps its latest quote, so asking again costs no round trip to the gateway.
//!
//! Bounded by [`Config::live_quotes`](crate::Config::live_quotes) streams (each takes one
//! of the account's market-data lines); the least recently asked is cancelled to make room.
//! A quote is served from a stream only while that stream is live: from its first quote
//! until it reports a gap (a lost connection, IBKR's servers losing market data, ticks
//! dropped for a slow reader), which ends it; the next quote is a snapshot again, which
//! starts a fresh stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use chrono::Utc;
use futures::StreamExt;

use crate::client::IbkrClient;
use crate::contracts::ResolvedContract;
use crate::market_data::Quote;
use crate::money::ConId;
use crate::streams::StreamEvent;

struct Entry {
    latest: Arc<Mutex<Option<Quote>>>,
    last_used: Instant,
    task: tokio::task::JoinHandle<()>,
}

/// The live quote streams of one client.
pub(crate) struct QuoteCache {
    capacity: usize,
    entries: Mutex<HashMap<ConId, Entry>>,
}

impl Drop for QuoteCache {
    fn drop(&mut self) {
        for entry in self.lock().values() {
            entry.task.abort();
        }
    }
}

fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl QuoteCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<ConId, Entry>> {
        guard(&self.entries)
    }

    /// The live quote of `con_id`, stamped now, if a stream holds one.
    pub(crate) fn get(&self, con_id: ConId) -> Option<Quote> {
        let mut entries = self.lock();
        let entry = entries.get_mut(&con_id)?;
        let mut quote = guard(&entry.latest).clone()?;
        entry.last_used = Instant::now();
        quote.timestamp = Utc::now();
        Some(quote)
    }

    /// Starts a stream for `contract` (after a snapshot of it succeeded), making room by
    /// cancelling the least recently asked one. Does nothing when the cache is off or the
    /// contract already streams.
    pub(crate) fn follow(&self, client: &IbkrClient, contract: &ResolvedContract) {
        if self.capacity == 0 || self.lock().contains_key(&contract.con_id) {
            return;
        }
        let latest = Arc::new(Mutex::new(None));
        let task = tokio::spawn(feed(
            client.downgrade(),
            contract.clone(),
            Arc::clone(&latest),
        ));
        let mut entries = self.lock();
        while entries.len() >= self.capacity {
            let oldest = entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(con_id, _)| *con_id);
            match oldest.and_then(|con_id| entries.remove(&con_id)) {
                Some(evicted) => evicted.task.abort(),
                None => break,
            }
        }
        if let Some(previous) = entries.insert(
            contract.con_id,
            Entry {
                latest,
                last_used: Instant::now(),
                task,
            },
        ) {
            previous.task.abort();
        }
    }

    /// Forgets a contract whose stream ended.
    fn forget(&self, con_id: ConId, latest: &Arc<Mutex<Option<Quote>>>) {
        let mut entries = self.lock();
        if entries
            .get(&con_id)
            .is_some_and(|entry| Arc::ptr_eq(&entry.latest, latest))
        {
            entries.remove(&con_id);
        }
    }
}

/// Keeps `latest` from the contract's quote stream: the quote while the stream is live,
/// nothing during a gap.
async fn feed(
    client: std::sync::Weak<crate::client::Inner>,
    contract: ResolvedContract,
    latest: Arc<Mutex<Option<Quote>>>,
) {
    let opened = match client.upgrade() {
        Some(inner) => {
            let client = IbkrClient::from_inner(inner);
            crate::streams::quote_stream(&client, contract.clone()).await
        }
        None => return,
    };
    if let Ok(mut quotes) = opened {
        while let Some(item) = quotes.next().await {
            match item {
                Ok(StreamEvent::Data(update)) => *guard(&latest) = Some(update.quote),
                // A gap or lost ticks: the folded quote may be stale. Stop; the next quote
                // asked for is a snapshot, which starts a fresh stream.
                Ok(StreamEvent::Interrupted { .. } | StreamEvent::Lagged { .. }) => break,
                Ok(_) => {}
                Err(error) => {
                    tracing::debug!(contract = %contract.describe(), %error, "live quote ended");
                    break;
                }
            }
        }
    }
    *guard(&latest) = None;
    if let Some(inner) = client.upgrade() {
        inner.quotes.forget(contract.con_id, &latest);
    }
}
