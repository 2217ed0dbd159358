//! An injectable clock: code that needs "now" asks a [`Clock`], so tests fix time and move
//! it forward instead of sleeping, and results (signatures, expiries, the front month of a
//! future) do not depend on the day or the speed of the machine.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where code gets "now".
pub trait Clock: Send + Sync + fmt::Debug {
    /// Wall-clock time: milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;

    /// Monotonic time, for deadlines and expiries (never goes backwards).
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        // A clock before 1970 reads as 0: whatever then checks the time refuses, which is
        // the right outcome for a broken clock (and no panic).
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to (tests, simulations). Its monotonic time starts at
/// the moment it was made and moves with it.
#[derive(Debug)]
pub struct ManualClock {
    now_ms: AtomicU64,
    start_ms: u64,
    start: Instant,
    /// Serialises `set` and `advance` so readers never see a torn update.
    moving: Mutex<()>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new(0)
    }
}

impl ManualClock {
    /// A clock reading `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        Self {
            now_ms: AtomicU64::new(now_ms),
            start_ms: now_ms,
            start: Instant::now(),
            moving: Mutex::new(()),
        }
    }

    /// A clock reading the system's time now.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now_ms())
    }

    /// Sets the wall time (the monotonic time never goes back before its start).
    pub fn set(&self, now_ms: u64) {
        let _moving = self.moving.lock();
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Moves the time forward by `millis`.
    pub fn advance(&self, millis: u64) {
        let _moving = self.moving.lock();
        let now = self.now_ms.load(Ordering::SeqCst);
        self.now_ms
            .store(now.saturating_add(millis), Ordering::SeqCst);
    }

    /// Moves the time forward by `by`.
    pub fn advance_by(&self, by: Duration) {
        self.advance(u64::try_from(by.as_millis()).unwrap_or(u64::MAX));
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }

    fn now(&self) -> Instant {
        let elapsed = self.now_ms().saturating_sub(self.start_ms);
        self.start
            .checked_add(Duration::from_millis(elapsed))
            .unwrap_or(self.start)
    }
}

/// A clock to share: cheap to clone, the system clock by default, equal to another handle
/// of the same clock (so configurations that hold one can still be compared).
#[derive(Clone)]
pub struct SharedClock(Arc<dyn Clock>);

impl SharedClock {
    /// Shares `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self(clock)
    }

    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(SystemClock))
    }
}

impl Default for SharedClock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for SharedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl PartialEq for SharedClock {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedClock {}

impl<C: Clock + 'static> From<Arc<C>> for SharedClock {
    fn from(clock: Arc<C>) -> Self {
        Self(clock)
    }
}

impl Clock for SharedClock {
    fn now_ms(&self) -> u64 {
        self.0.now_ms()
    }

    fn now(&self) -> Instant {
        self.0.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(1_000);
        let start = clock.now();
        assert_eq!(clock.now_ms(), 1_000);
        assert_eq!(clock.now(), start);
        clock.advance(250);
        assert_eq!(clock.now_ms(), 1_250);
        assert_eq!(clock.now() - start, Duration::from_millis(250));
        clock.set(500);
        assert_eq!(
            clock.now(),
            start,
            "monotonic time never goes before its start"
        );
        clock.advance(u64::MAX);
        assert_eq!(clock.now_ms(), u64::MAX, "saturates, never panics");
    }

    #[test]
    fn a_shared_clock_is_the_clock_it_shares() {
        let manual = Arc::new(ManualClock::new(5));
        let shared = SharedClock::from(Arc::clone(&manual));
        manual.advance(5);
        assert_eq!(shared.now_ms(), 10);
        assert_eq!(shared, shared.clone());
        assert_ne!(shared, SharedClock::system());
    }

    #[test]
    fn the_system_clock_reads_the_epoch() {
        assert!(SystemClock.now_ms() > 1_700_000_000_000);
    }
}
