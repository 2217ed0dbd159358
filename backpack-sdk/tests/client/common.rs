//! Shared setup.

use std::time::Duration;

use backpack_sdk::client::RetryPolicy;
use backpack_sdk::{Client, ClientBuilder};
use rust_decimal::Decimal;
use testkit::backpack::{FakeBackpack, FakeBackpackBuilder};

/// Fast retries so fault tests do not sleep.
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    }
}

/// A client builder for the fake's default account.
pub(crate) fn client_for(fake: &FakeBackpack) -> ClientBuilder {
    Client::builder()
        .base_url(fake.uri())
        .credentials(fake.credentials())
        .retry_policy(fast_retries())
}

/// A fake with default markets and account, and a client for it.
pub(crate) async fn setup() -> (FakeBackpack, Client) {
    setup_with(FakeBackpack::builder()).await
}

/// A fake from `builder`, and a client for it.
pub(crate) async fn setup_with(builder: FakeBackpackBuilder) -> (FakeBackpack, Client) {
    let fake = builder.start().await;
    let client = client_for(&fake).build().unwrap();
    (fake, client)
}

/// Parses a decimal.
pub(crate) fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}
