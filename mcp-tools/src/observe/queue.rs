//! Call events leave the call at once: a call hands its event to a queue and answers; a
//! background thread formats and logs what waits every [`DRAIN_EVERY`]. Nothing wakes the
//! thread per call, so a call pays a move into a channel, not the formatting and the write.
//!
//! A warning (an unknown outcome, a failure) is logged at once, by the call, and so is every
//! event while [`MAX_WAITING`] wait (memory stays bounded; calls slow down). What waits is
//! logged when the log guard is dropped ([`drain`]); a process killed outright loses at most
//! the last [`DRAIN_EVERY`] of `ok` and refusal events (the journal holds every order either
//! way).

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use super::CallEvent;

/// How long an event may wait.
const DRAIN_EVERY: Duration = Duration::from_millis(50);

/// Most events waiting; beyond, a call logs its own (a log writer that blocks, a host that
/// does not read stderr, slows calls down rather than growing memory).
const MAX_WAITING: usize = 16_384;

struct Queue {
    sender: Mutex<SyncSender<CallEvent>>,
    receiver: Mutex<Receiver<CallEvent>>,
}

fn queue() -> &'static Queue {
    static QUEUE: OnceLock<Queue> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, receiver) = sync_channel(MAX_WAITING);
        let started = std::thread::Builder::new()
            .name("trading-events".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(DRAIN_EVERY);
                    drain();
                }
            });
        if let Err(error) = started {
            tracing::warn!(%error, "no event thread: call events wait for the next drain");
        }
        Queue {
            sender: Mutex::new(sender),
            receiver: Mutex::new(receiver),
        }
    })
}

/// Logs `event`: now when it is urgent, else by the background thread.
pub(super) fn log(event: CallEvent) {
    if event.urgent() {
        drain();
        event.log();
        return;
    }
    let sent = queue()
        .sender
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .try_send(event);
    match sent {
        Ok(()) => {}
        Err(TrySendError::Full(event) | TrySendError::Disconnected(event)) => {
            drain();
            event.log();
        }
    }
}

/// Logs every event that waits, in order.
pub fn drain() {
    let receiver = queue()
        .receiver
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    while let Ok(event) = receiver.try_recv() {
        event.log();
    }
}
