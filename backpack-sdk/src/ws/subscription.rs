//! What a subscriber receives, and the delivery policy for a slow one.
//!
//! Each [`Subscription`] has its own bounded buffer. The connection never waits for a
//! subscriber (waiting would stop it reading the socket, answering pings, and serving the
//! others): when a buffer is full, new events for that subscriber are dropped and counted,
//! and the next thing it receives is [`StreamItem::Lagged`] with the count. Notices
//! (disconnects, resubscriptions, server errors) are never dropped for a full buffer: they
//! wait, in order, ahead of any later event.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;

use super::StreamName;
use super::event::{Event, ServerError};

/// One item of a subscription, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamItem {
    /// An event on one of the subscription's streams.
    Event {
        /// The stream it came on, as the server named it.
        stream: String,
        /// The event.
        event: Event,
    },
    /// The subscription's streams were sent to the server on a live connection. With
    /// `after_gap`, they were re-sent after a disconnect: events in between are lost, so
    /// rebuild state (order books re-snapshot, orders from REST).
    Subscribed {
        /// Whether this follows a disconnect.
        after_gap: bool,
    },
    /// The connection was lost; the client reconnects by itself after `retry_in`.
    Disconnected {
        /// What happened.
        reason: String,
        /// When the next attempt is made.
        retry_in: Duration,
    },
    /// This subscriber did not read fast enough and `missed` events were dropped for it.
    Lagged {
        /// How many.
        missed: u64,
    },
    /// The server sent an error frame. The exchange does not say which subscription it
    /// concerns, so every subscriber receives it.
    ServerError(ServerError),
}

/// At most this many notices wait for a full buffer; beyond, the oldest are dropped (a
/// later `Subscribed { after_gap: true }` still tells of the gap).
const MAX_PENDING_NOTICES: usize = 16;

/// The connection's side of one subscriber.
#[derive(Debug)]
pub(super) struct Subscriber {
    tx: mpsc::Sender<StreamItem>,
    pub(super) streams: Vec<StreamName>,
    missed: u64,
    notices: VecDeque<StreamItem>,
}

/// The subscriber's receiver was dropped.
#[derive(Debug)]
pub(super) struct Gone;

impl Subscriber {
    pub(super) fn new(tx: mpsc::Sender<StreamItem>, streams: Vec<StreamName>) -> Self {
        Self {
            tx,
            streams,
            missed: 0,
            notices: VecDeque::new(),
        }
    }

    /// Whether this subscriber wants a frame that came on `stream`: its exact name, or, for
    /// a private stream subscribed without a symbol, the same stream with one.
    pub(super) fn wants(&self, stream: &str) -> bool {
        self.streams.iter().any(|name| {
            let name = name.as_str();
            stream == name
                || (name.starts_with("account.")
                    && stream.len() > name.len()
                    && stream.starts_with(name)
                    && stream.as_bytes().get(name.len()) == Some(&b'.'))
        })
    }

    /// Queues a notice and sends what the buffer takes.
    pub(super) fn notify(&mut self, item: StreamItem) -> Result<(), Gone> {
        self.notices.push_back(item);
        while self.notices.len() > MAX_PENDING_NOTICES {
            self.notices.pop_front();
        }
        self.flush()
    }

    /// Sends the lag count and the waiting notices, as far as the buffer takes them.
    pub(super) fn flush(&mut self) -> Result<(), Gone> {
        if self.missed > 0 {
            match self.tx.try_send(StreamItem::Lagged {
                missed: self.missed,
            }) {
                Ok(()) => self.missed = 0,
                Err(mpsc::error::TrySendError::Full(_)) => return Ok(()),
                Err(mpsc::error::TrySendError::Closed(_)) => return Err(Gone),
            }
        }
        while let Some(notice) = self.notices.pop_front() {
            match self.tx.try_send(notice) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(notice)) => {
                    self.notices.push_front(notice);
                    return Ok(());
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return Err(Gone),
            }
        }
        Ok(())
    }

    /// Sends an event, or counts it as missed if the buffer is full (or notices wait).
    pub(super) fn deliver(&mut self, stream: &str, event: &Event) -> Result<(), Gone> {
        self.flush()?;
        if self.missed > 0 || !self.notices.is_empty() {
            self.missed = self.missed.saturating_add(1);
            return Ok(());
        }
        let permit = match self.tx.try_reserve() {
            Ok(permit) => permit,
            Err(mpsc::error::TrySendError::Full(())) => {
                self.missed = 1;
                return Ok(());
            }
            Err(mpsc::error::TrySendError::Closed(())) => return Err(Gone),
        };
        permit.send(StreamItem::Event {
            stream: stream.to_owned(),
            event: event.clone(),
        });
        Ok(())
    }
}

/// A subscription to one or more streams: a [`Stream`](futures_util::Stream) of
/// [`StreamItem`]s. It never ends by itself — disconnects are items, and the client
/// reconnects and resubscribes — and dropping it unsubscribes (the server is told once no
/// other subscription of this client uses the stream).
#[derive(Debug)]
pub struct Subscription {
    pub(super) id: u64,
    pub(super) streams: Vec<StreamName>,
    pub(super) rx: mpsc::Receiver<StreamItem>,
    pub(super) commands: mpsc::UnboundedSender<super::connection::Command>,
}

impl Subscription {
    /// The next item; `None` only if the client's connection task has stopped (its runtime
    /// shut down).
    pub async fn next(&mut self) -> Option<StreamItem> {
        self.rx.recv().await
    }

    /// The next item if one is waiting, without waiting.
    pub fn try_next(&mut self) -> Option<StreamItem> {
        self.rx.try_recv().ok()
    }

    /// The streams of this subscription.
    pub fn streams(&self) -> &[StreamName] {
        &self.streams
    }
}

impl futures_util::Stream for Subscription {
    type Item = StreamItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamItem>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // The task may already be gone (runtime shut down); nothing to tell then.
        let _ = self
            .commands
            .send(super::connection::Command::Unsubscribe { id: self.id });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::Message;
    use crate::ws::event::{OpenInterestUpdate, decode};

    fn event() -> Event {
        match decode(
            r#"{"stream":"openInterest.X","data":{"e":"openInterest","E":1,"s":"X","o":"1"}}"#,
        ) {
            Message::Data { event, .. } => event,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_slow_subscriber_loses_events_not_notices_and_learns_how_many() {
        let (tx, mut rx) = mpsc::channel(2);
        let mut subscriber = Subscriber::new(tx, vec![StreamName::open_interest("X")]);
        let event = event();
        assert!(matches!(
            &event,
            Event::OpenInterest(OpenInterestUpdate { .. })
        ));
        for _ in 0..5 {
            subscriber.deliver("openInterest.X", &event).unwrap();
        }
        subscriber
            .notify(StreamItem::Disconnected {
                reason: "gone".into(),
                retry_in: Duration::ZERO,
            })
            .unwrap();
        subscriber.deliver("openInterest.X", &event).unwrap();
        let mut seen = Vec::new();
        while let Ok(item) = rx.try_recv() {
            seen.push(item);
        }
        assert_eq!(seen.len(), 2, "the buffer held two events");
        subscriber.flush().unwrap();
        assert_eq!(rx.try_recv().unwrap(), StreamItem::Lagged { missed: 4 });
        assert!(matches!(
            rx.try_recv().unwrap(),
            StreamItem::Disconnected { .. }
        ));
        subscriber.deliver("openInterest.X", &event).unwrap();
        assert!(matches!(rx.try_recv().unwrap(), StreamItem::Event { .. }));
        drop(rx);
        assert!(subscriber.deliver("openInterest.X", &event).is_err());
    }

    #[test]
    fn private_streams_without_a_symbol_receive_every_symbol() {
        let (tx, _rx) = mpsc::channel(1);
        let subscriber = Subscriber::new(
            tx,
            vec![
                StreamName::order_updates(None),
                StreamName::trades("SOL_USDC"),
            ],
        );
        assert!(subscriber.wants("account.orderUpdate"));
        assert!(subscriber.wants("account.orderUpdate.SOL_USDC"));
        assert!(!subscriber.wants("account.orderUpdateX"));
        assert!(subscriber.wants("trade.SOL_USDC"));
        assert!(!subscriber.wants("trade.SOL_USDC_PERP"));
    }
}
