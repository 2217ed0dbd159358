//! End-to-end tests: the real client against the testkit's fake Backpack server, which
//! verifies every signature and runs a real matching engine behind it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod client {
    mod account;
    mod auth;
    pub(crate) mod common;
    mod faults;
    mod local;
    mod orders;
    mod public;
    mod secrets;
}
