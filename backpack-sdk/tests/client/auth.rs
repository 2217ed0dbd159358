//! Signatures, windows and clock drift, as the fake exchange checks them.

use std::sync::Arc;

use backpack_sdk::client::ManualClock;
use backpack_sdk::model::ApiErrorCode;
use backpack_sdk::signing::Window;
use backpack_sdk::{Client, Credentials, Error, Outcome};

use super::common::{client_for, setup};

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap()
}

#[tokio::test]
async fn an_unregistered_key_is_refused() {
    let (fake, _) = setup().await;
    let stranger = Client::builder()
        .base_url(fake.uri())
        .credentials(Credentials::from_seed(&[9; 32]))
        .build()
        .unwrap();
    let error = stranger.account().balances().await.unwrap_err();
    assert_eq!(error.api_error().unwrap().status, 401);
    assert_eq!(error.api_code(), Some(&ApiErrorCode::Unauthorized));
}

#[tokio::test]
async fn a_tampered_request_fails_verification() {
    let (fake, client) = setup().await;
    // Sign for one symbol, send another: the fake rebuilds the string from what it received.
    let credentials = fake.credentials();
    let now = now_ms();
    let params = backpack_sdk::signing::Params::from_pairs([("symbol", "SOL_USDC")]);
    let signed = backpack_sdk::signing::sign(
        &credentials,
        "orderQueryAll",
        &params,
        now,
        Window::default(),
    );
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/orders?symbol=BTC_USDC", fake.uri()))
        .header("X-API-Key", &signed.api_key)
        .header("X-Signature", &signed.signature)
        .header("X-Timestamp", now.to_string())
        .header("X-Window", "5000")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("Invalid signature"));
    // The client itself signs exactly what it sends.
    client
        .orders()
        .list_open(Some("BTC_USDC".into()), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn signed_endpoints_without_keys_are_never_sent() {
    let (fake, _) = setup().await;
    let public = Client::builder().base_url(fake.uri()).build().unwrap();
    let error = public.account().balances().await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error}");
    assert_eq!(error.outcome(), Outcome::NotSent);
    assert!(fake.received_requests().await.is_empty());
}

#[tokio::test]
async fn a_slow_clock_expires_requests_until_synced() {
    let (fake, _) = setup().await;
    // The local clock is 20 s behind the exchange: every signed request has expired.
    let clock = Arc::new(ManualClock::new(now_ms() - 20_000));
    let client = client_for(&fake).clock(clock.clone()).build().unwrap();
    let error = client.account().balances().await.unwrap_err();
    assert!(error.to_string().contains("Request has expired"), "{error}");
    assert!(
        error.to_string().contains("sync_clock"),
        "the error says how to fix it"
    );
    let offset = client.sync_clock().await.unwrap();
    assert!((offset.offset_ms - 20_000).abs() < 2_000, "{offset:?}");
    client.account().balances().await.unwrap();
}

#[tokio::test]
async fn a_wider_window_tolerates_a_slow_link() {
    let (fake, _) = setup().await;
    let clock = Arc::new(ManualClock::new(now_ms() - 30_000));
    let client = client_for(&fake)
        .clock(clock)
        .window(Window::from_millis(60_000).unwrap())
        .build()
        .unwrap();
    client.account().balances().await.unwrap();
}

#[tokio::test]
async fn a_clock_ahead_of_the_exchange_is_refused() {
    let (fake, _) = setup().await;
    let clock = Arc::new(ManualClock::new(now_ms() + 30_000));
    let client = client_for(&fake).clock(clock).build().unwrap();
    let error = client.account().balances().await.unwrap_err();
    assert_eq!(error.api_error().unwrap().status, 401);
}
