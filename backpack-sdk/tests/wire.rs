//! Wire-format tests: every response type decoded from a realistic fixture, and snapshots
//! of what every request sends and signs under a fixed clock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod wire {
    mod fixtures;
    mod requests;
}
