//! The fake gateway's price walk: each step moves every tradable stock and future one tick
//! down, none, or one tick up, from a seeded generator, and works the orders against the new
//! prices (so resting orders fill over time).
//!
//! Two ways to drive it:
//! - [`FakeTws::walk`]: a step every `interval` of real time, for a demo's market.
//! - [`FakeTws::walk_on`]: on a clock, step `k` falling due at `start + k × interval`. The
//!   steps due are taken before the fake serves any request, and every 50 ms of real time,
//!   so the prices an order meets depend only on the clock's time when it arrives: a replay
//!   on a manual clock set to the same times meets the same prices and fills.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use rust_decimal::Decimal;
use trading_core::clock::{Clock, SharedClock};

use super::{FakeTws, Quote, Shared, quote_at, session};

/// A seeded walk on a clock (see [`FakeTws::walk_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkPlan {
    /// The generator's seed.
    pub seed: u64,
    /// When the walk starts, in the clock's milliseconds: step `k` falls due at
    /// `start_ms + k × interval`.
    pub start_ms: u64,
    /// Between two steps (at least a millisecond).
    pub interval: Duration,
}

/// The most steps one catch-up takes (about 11.6 days at one a second), so that a clock set
/// far ahead cannot hold the fake for long; the next catch-ups take the rest.
const MAX_CATCH_UP: u64 = 1_000_000;

/// How often [`FakeTws::walk_on`]'s task looks at the clock.
const POLL: Duration = Duration::from_millis(50);

/// The state of a walk on a clock.
pub(crate) struct ClockWalk {
    plan: WalkPlan,
    clock: SharedClock,
    rng: ChaCha8Rng,
    steps: u64,
}

impl ClockWalk {
    fn due(&self) -> u64 {
        let interval = u64::try_from(self.plan.interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        self.clock.now_ms().saturating_sub(self.plan.start_ms) / interval
    }
}

/// One random step of every tradable stock and future.
fn step(shared: &Shared, rng: &mut ChaCha8Rng) {
    let quotes: Vec<(i32, Quote)> = {
        let state = shared.lock();
        let broker = &state.broker;
        broker
            .instruments
            .iter()
            .filter(|i| i.tradable && matches!(i.sec_type.as_str(), "STK" | "FUT"))
            .filter_map(|i| {
                let step = Decimal::from(i64::from(rng.next_u32() % 3) - 1);
                let last = (i.quote.last + step * i.min_tick).max(i.min_tick);
                quote_at(broker, i.con_id, last).map(|q| (i.con_id, q))
            })
            .collect()
    };
    for (con_id, quote) in quotes {
        session::set_quote(shared, con_id, quote);
    }
}

/// Takes the clock walk's steps that are due (at most [`MAX_CATCH_UP`]); returns how many
/// are still due after that.
pub(crate) fn catch_up(shared: &Shared) -> u64 {
    let mut walk = shared.walk.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(walk) = walk.as_mut() else {
        return 0;
    };
    let due = walk.due();
    let mut left = due.saturating_sub(walk.steps).min(MAX_CATCH_UP);
    while left > 0 {
        step(shared, &mut walk.rng);
        walk.steps += 1;
        left -= 1;
    }
    due.saturating_sub(walk.steps)
}

impl FakeTws {
    /// Moves every tradable stock and future by one tick down, none, or one tick up (a seeded
    /// random step), working orders against the new prices.
    pub fn walk_step(&self, rng: &mut ChaCha8Rng) {
        step(&self.shared, rng);
    }

    /// Takes a [`walk_step`](Self::walk_step) every `interval` of real time (seeded) until
    /// the returned task is aborted or the fake is dropped, so resting orders fill over time.
    pub fn walk(&self, interval: Duration, seed: u64) -> tokio::task::JoinHandle<()> {
        let shared = Arc::downgrade(&self.shared);
        tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut ticker = tokio::time::interval(interval);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                step(&shared, &mut rng);
            }
        })
    }

    /// Walks prices on `clock` as `plan` says (step `k` falls due at
    /// `start_ms + k × interval`): the steps due are taken before each request is served and
    /// at each [`catch_up_walk`](Self::catch_up_walk), so the prices a request meets depend
    /// only on the clock's time when it arrives. Replaces a walk set before. No task runs:
    /// with no request, resting orders wait for the next one (see [`walk_on`](Self::walk_on)).
    pub fn set_walk(&self, clock: SharedClock, plan: WalkPlan) {
        *self
            .shared
            .walk
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(ClockWalk {
            plan,
            clock,
            rng: ChaCha8Rng::seed_from_u64(plan.seed),
            steps: 0,
        });
    }

    /// [`set_walk`](Self::set_walk), and a task that takes the steps due every 50 ms of real
    /// time (so resting orders fill while nothing is asked) until it is aborted or the fake
    /// is dropped.
    pub fn walk_on(&self, clock: SharedClock, plan: WalkPlan) -> tokio::task::JoinHandle<()> {
        self.set_walk(clock, plan);
        let shared = Arc::downgrade(&self.shared);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(POLL);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                catch_up(&shared);
            }
        })
    }

    /// Takes the steps of the walk on a clock that are due now, at most a million; returns
    /// how many are still due (0 once caught up, or with no walk on a clock).
    pub fn catch_up_walk(&self) -> u64 {
        catch_up(&self.shared)
    }

    /// How many steps the walk on a clock has taken (0 without one).
    pub fn walk_steps(&self) -> u64 {
        self.shared
            .walk
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |walk| walk.steps)
    }
}
