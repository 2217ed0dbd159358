//! Signing: every test vector of the reference reproduced byte for byte (signing string and
//! signature), through the same request types and payload rendering the client uses; and
//! properties over random parameters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use backpack_sdk::Credentials;
use backpack_sdk::api::Payload;
use backpack_sdk::api::account::GetBalances;
use backpack_sdk::api::orders::{CancelOrder, ExecuteOrder};
use backpack_sdk::model::{OrderExecutePayload, OrderId, OrderType, Side};
use backpack_sdk::signing::{
    self, DEFAULT_WINDOW, Params, Window, batch_signing_string, sign, sign_message, signing_string,
    verify,
};
use backpack_sdk::spec::OrderSpec;
use proptest::prelude::*;

/// RFC 8032 §7.1 TEST 1 key.
const SECRET: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const API_KEY: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

fn key() -> Credentials {
    Credentials::from_secret(SECRET).unwrap()
}

/// Signs `message` and checks both the text and the signature against the vector.
fn assert_vector(
    credentials: &Credentials,
    message: &str,
    expected_message: &str,
    signature: &str,
) {
    assert_eq!(message, expected_message);
    let signed = sign_message(credentials, message, 0, DEFAULT_WINDOW);
    assert_eq!(signed.signature, signature);
    assert_eq!(
        verify(credentials.api_key(), message, &signed.signature),
        Ok(())
    );
}

#[test]
fn vector_cancel_order() {
    let payload = Payload::of(&CancelOrder::new("BTC_USDT", OrderId::new("28"))).unwrap();
    let message = payload.signing_string("orderCancel", 1_614_550_000_000, DEFAULT_WINDOW);
    assert_vector(
        &key(),
        &message,
        "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000",
        "wLQaGPszkXrEWaIm6RsnVLJv70Uuw62SXxmdso6cadUmR0NWzFhfhvuCWMl+jbBNJ5gZRfCPjvXI29H7JeW6Ag==",
    );
    // The exchange's own example sends orderId as a JSON number; it signs the same.
    let numeric =
        Params::from_json_object(&serde_json::json!({"orderId": 28, "symbol": "BTC_USDT"}))
            .unwrap();
    assert_eq!(
        signing_string("orderCancel", &numeric, 1_614_550_000_000, DEFAULT_WINDOW),
        message
    );
}

#[test]
fn vector_balance_query_without_parameters() {
    let payload = Payload::of(&GetBalances {}).unwrap();
    assert_vector(
        &key(),
        &payload.signing_string("balanceQuery", 1_614_550_000_000, DEFAULT_WINDOW),
        "instruction=balanceQuery&timestamp=1614550000000&window=5000",
        "0Xe7TkJWz9DGQ5TNj1mBNbiF5PTPIVch/B+5PzBZ0QdWQq/pmWAyP+AluwN5pPyKjz3SUaeL78eiy+TCcakEAQ==",
    );
}

#[test]
fn vector_batch_orders() {
    // The reference's batch omits timeInForce, so the payloads are built raw here.
    let order = |price: &str, quantity: &str| {
        let mut payload = OrderExecutePayload::new("SOL_USDC_PERP", Side::Bid, OrderType::Limit);
        payload.price = Some(price.parse().unwrap());
        payload.quantity = Some(quantity.parse().unwrap());
        Params::from_json_object(&serde_json::to_value(payload).unwrap()).unwrap()
    };
    let message = batch_signing_string(
        "orderExecute",
        &[order("141", "12"), order("140", "11")],
        1_750_793_021_519,
        DEFAULT_WINDOW,
    );
    assert_vector(
        &key(),
        &message,
        "instruction=orderExecute&orderType=Limit&price=141&quantity=12&side=Bid&symbol=SOL_USDC_PERP&instruction=orderExecute&orderType=Limit&price=140&quantity=11&side=Bid&symbol=SOL_USDC_PERP&timestamp=1750793021519&window=5000",
        "vPFtn5Js/Bow3UsENNogoyaEcTqy8fxLH2ASbpAcTSClJf1v4VAj7+61T7IRwMt9kvGvGxhtlXqlvtCzzbFxAQ==",
    );
}

#[test]
fn vector_websocket_subscribe() {
    assert_vector(
        &key(),
        &signing_string(
            "subscribe",
            &Params::default(),
            1_614_550_000_000,
            DEFAULT_WINDOW,
        ),
        "instruction=subscribe&timestamp=1614550000000&window=5000",
        "nnH9lOoIF3v72vbmeopqLLUggbPuhAuXgYbQc6qJnYSsFW0ZM3hUVK4feOAmIHQA02vH16oz+C3+6HQmPkggDA==",
    );
}

#[test]
fn vector_limit_order_from_a_validated_spec() {
    let spec = OrderSpec::limit(
        "SOL_USDC",
        Side::Bid,
        "180.50".parse().unwrap(),
        "1.5".parse().unwrap(),
    )
    .post_only(true)
    .client_id(1001)
    .self_trade_prevention(backpack_sdk::model::SelfTradePrevention::RejectTaker)
    .build()
    .unwrap();
    let payload = Payload::of(&ExecuteOrder::new(&spec)).unwrap();
    assert_eq!(
        std::str::from_utf8(payload.body().unwrap()).unwrap(),
        r#"{"clientId":1001,"orderType":"Limit","postOnly":true,"price":"180.50","quantity":"1.5","selfTradePrevention":"RejectTaker","side":"Bid","symbol":"SOL_USDC","timeInForce":"GTC"}"#
    );
    assert_vector(
        &key(),
        &payload.signing_string("orderExecute", 1_735_689_600_000, DEFAULT_WINDOW),
        "instruction=orderExecute&clientId=1001&orderType=Limit&postOnly=true&price=180.50&quantity=1.5&selfTradePrevention=RejectTaker&side=Bid&symbol=SOL_USDC&timeInForce=GTC&timestamp=1735689600000&window=5000",
        "/tB6Z42mcMMYlSvk7TI6nizHFm+o9Rx9s/vaUsd86FRphtaOG6AigxoEi/Smr4OkjRTC5u7x7XZGj/WCnj12AA==",
    );
}

#[test]
fn vector_second_key() {
    let credentials =
        Credentials::from_secret("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=").unwrap();
    assert_eq!(
        credentials.api_key(),
        "6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw="
    );
    assert_vector(
        &credentials,
        "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000",
        "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000",
        "XhRUJtSVD+f0huHv3X/VpfNefAt+d3Weyzh+CV1njJwdFtlQ04RQ8dv+DYLZKQq7xJ1RB2k/KINvh7EuMwXqDQ==",
    );
}

#[test]
fn headers_carry_key_timestamp_and_window() {
    let window = Window::from_millis(60_000).unwrap();
    let signed = sign(&key(), "balanceQuery", &Params::default(), 42, window);
    assert_eq!(signed.api_key, API_KEY);
    assert_eq!(signed.timestamp_ms, 42);
    assert_eq!(signed.window.millis(), 60_000);
    assert_eq!(signed.signature.len(), 88);
    let debug = format!("{signed:?}");
    assert!(!debug.contains(&signed.signature) && !debug.contains(API_KEY));
}

#[test]
fn windows_outside_the_exchange_limits_are_refused() {
    assert!(Window::from_millis(0).is_err());
    assert!(Window::from_millis(60_001).is_err());
    assert_eq!(Window::MAX.millis(), 60_000);
    assert_eq!(
        Window::from_millis(90_000).unwrap_err().to_string(),
        "signing window must be between 1 and 60000 ms, got 90000"
    );
}

#[test]
fn values_render_as_the_exchange_expects() {
    let params = Params::from_json_object(&serde_json::json!({
        "postOnly": false, "reduceOnly": true, "clientId": 7, "price": "180.50", "skipped": null
    }))
    .unwrap();
    assert_eq!(
        signing_string("orderExecute", &params, 1, DEFAULT_WINDOW),
        "instruction=orderExecute&clientId=7&postOnly=false&price=180.50&reduceOnly=true&timestamp=1&window=5000"
    );
}

#[test]
fn verification_failures_are_told_apart() {
    let message = "instruction=balanceQuery&timestamp=1&window=5000";
    let signed = sign_message(&key(), message, 1, DEFAULT_WINDOW);
    assert_eq!(
        verify(
            API_KEY,
            "instruction=balanceQuery&timestamp=2&window=5000",
            &signed.signature
        ),
        Err(signing::VerifyError::Mismatch)
    );
    assert_eq!(
        verify("AAAA", message, &signed.signature),
        Err(signing::VerifyError::BadApiKey)
    );
    assert_eq!(
        verify(API_KEY, message, "%%%"),
        Err(signing::VerifyError::BadSignatureEncoding)
    );
}

fn param_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map("[a-zA-Z]{1,12}", "[A-Za-z0-9_.%-]{0,20}", 0..12)
        .prop_map(|map| map.into_iter().collect())
}

proptest! {
    #[test]
    fn signing_string_does_not_depend_on_parameter_order(
        params in param_strategy(),
        seed in any::<u64>(),
        timestamp in any::<u64>(),
        window in 1u32..=60_000,
    ) {
        let window = Window::from_millis(window).unwrap();
        let mut shuffled = params.clone();
        // A deterministic shuffle driven by the seed.
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (state >> 33) as usize % (i + 1));
        }
        let a = signing_string("orderExecute", &Params::from_pairs(params.clone()), timestamp, window);
        let b = signing_string("orderExecute", &Params::from_pairs(shuffled), timestamp, window);
        prop_assert_eq!(&a, &b);
        prop_assert!(a.starts_with("instruction=orderExecute"));
        let tail = format!("&timestamp={}&window={}", timestamp, window.millis());
        prop_assert!(a.ends_with(&tail));
    }

    #[test]
    fn every_signature_verifies(
        seed in any::<[u8; 32]>(),
        params in param_strategy(),
        timestamp in any::<u64>(),
    ) {
        let credentials = Credentials::from_seed(&seed);
        let params = Params::from_pairs(params);
        let signed = sign(&credentials, "orderQueryAll", &params, timestamp, DEFAULT_WINDOW);
        let message = signing_string("orderQueryAll", &params, timestamp, DEFAULT_WINDOW);
        prop_assert_eq!(verify(&signed.api_key, &message, &signed.signature), Ok(()));
        // And over nothing else: a different timestamp must fail.
        let other = signing_string("orderQueryAll", &params, timestamp.wrapping_add(1), DEFAULT_WINDOW);
        prop_assert_eq!(verify(&signed.api_key, &other, &signed.signature), Err(signing::VerifyError::Mismatch));
    }
}

/// The WebSocket vector of the reference: a private `SUBSCRIBE`, byte for byte.
#[test]
fn vector_websocket_subscribe_frame() {
    let signature = signing::subscribe_signature(&key(), 1_614_550_000_000, DEFAULT_WINDOW);
    assert_eq!(
        signature,
        [
            API_KEY.to_owned(),
            "nnH9lOoIF3v72vbmeopqLLUggbPuhAuXgYbQc6qJnYSsFW0ZM3hUVK4feOAmIHQA02vH16oz+C3+6HQmPkggDA=="
                .to_owned(),
            "1614550000000".to_owned(),
            "5000".to_owned(),
        ]
    );
    assert_eq!(
        signing::subscribe_frame("SUBSCRIBE", &["account.orderUpdate"], Some(&signature)),
        r#"{"method":"SUBSCRIBE","params":["account.orderUpdate"],"signature":["11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=","nnH9lOoIF3v72vbmeopqLLUggbPuhAuXgYbQc6qJnYSsFW0ZM3hUVK4feOAmIHQA02vH16oz+C3+6HQmPkggDA==","1614550000000","5000"]}"#
    );
    assert_eq!(
        signing::subscribe_frame("UNSUBSCRIBE", &["depth.SOL_USDC"], None),
        r#"{"method":"UNSUBSCRIBE","params":["depth.SOL_USDC"]}"#
    );
}
