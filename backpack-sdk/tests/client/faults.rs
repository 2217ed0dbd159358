//! Failures: what is retried, what is reported, and how an order with an unknown outcome is
//! found again.

use std::time::Duration;

use backpack_sdk::client::{Reconciled, RetryPolicy};
use backpack_sdk::model::*;
use backpack_sdk::spec::OrderSpec;
use backpack_sdk::{Client, Error, Outcome};
use testkit::backpack::Fault;

use super::common::{client_for, d, setup};

fn bid(client_id: u32) -> OrderSpec {
    OrderSpec::limit("SOL_USDC", Side::Bid, d("120").into(), d("1").into())
        .client_id(client_id)
        .build()
        .unwrap()
}

async fn requests_to(fake: &testkit::backpack::FakeBackpack, method: &str, path: &str) -> usize {
    fake.received_requests()
        .await
        .iter()
        .filter(|r| r.method() == method && r.path() == path)
        .count()
}

#[tokio::test]
async fn reads_retry_through_rate_limits_and_server_errors() {
    let (fake, client) = setup().await;
    fake.inject(
        Fault::RateLimited {
            retry_after_secs: None,
        }
        .on("GET", "/api/v1/capital"),
    )
    .await;
    fake.inject(Fault::ServerError { status: 502 }.on("GET", "/api/v1/capital"))
        .await;
    client.account().balances().await.unwrap();
    assert_eq!(requests_to(&fake, "GET", "/api/v1/capital").await, 3);
}

#[tokio::test]
async fn reads_give_up_after_the_retry_budget() {
    let (fake, client) = setup().await;
    fake.inject(
        Fault::RateLimited {
            retry_after_secs: Some(0),
        }
        .on("GET", "/api/v1/orders")
        .always(),
    )
    .await;
    let error = client.orders().list_open(None, None).await.unwrap_err();
    assert!(matches!(error, Error::RateLimited { .. }), "{error}");
    assert_eq!(error.outcome(), Outcome::Rejected);
    assert_eq!(
        requests_to(&fake, "GET", "/api/v1/orders").await,
        4,
        "1 + 3 retries"
    );
}

#[tokio::test]
async fn an_order_refused_with_429_is_retried_and_placed_once() {
    let (fake, client) = setup().await;
    fake.inject(
        Fault::RateLimited {
            retry_after_secs: None,
        }
        .on("POST", "/api/v1/order"),
    )
    .await;
    client.orders().place(&bid(1)).await.unwrap();
    assert_eq!(
        client.orders().list_open(None, None).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_dropped_connection_after_placing_is_an_unknown_outcome_that_reconciles() {
    let (fake, client) = setup().await;
    fake.inject(Fault::DropAfterProcessing.on("POST", "/api/v1/order"))
        .await;
    let error = client.orders().place(&bid(41)).await.unwrap_err();
    assert_eq!(error.outcome(), Outcome::Unknown);
    let Error::OutcomeUnknown {
        instruction,
        client_id,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        (*instruction, *client_id),
        ("orderExecute", Some(ClientOrderId(41)))
    );
    // Never re-sent blindly: exactly one POST reached the exchange.
    assert_eq!(requests_to(&fake, "POST", "/api/v1/order").await, 1);
    match client
        .orders()
        .reconcile("SOL_USDC", ClientOrderId(41))
        .await
        .unwrap()
    {
        Reconciled::Open(order) => assert_eq!(order.price, Some(d("120").into())),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_server_error_on_an_order_is_unknown_and_reconciles_to_not_found() {
    let (fake, client) = setup().await;
    fake.inject(Fault::ServerError { status: 500 }.on("POST", "/api/v1/order"))
        .await;
    let error = client.orders().place(&bid(42)).await.unwrap_err();
    assert_eq!(error.outcome(), Outcome::Unknown);
    assert_eq!(requests_to(&fake, "POST", "/api/v1/order").await, 1);
    assert_eq!(
        client
            .orders()
            .reconcile("SOL_USDC", ClientOrderId(42))
            .await
            .unwrap(),
        Reconciled::NotFound
    );
}

#[tokio::test]
async fn a_filled_order_with_a_lost_answer_reconciles_from_history() {
    let (fake, client) = setup().await;
    fake.inject(Fault::ErrorAfterProcessing { status: 504 }.on("POST", "/api/v1/order"))
        .await;
    let market = OrderSpec::market("SOL_USDC", Side::Bid, d("1").into())
        .client_id(43)
        .build()
        .unwrap();
    assert_eq!(
        client.orders().place(&market).await.unwrap_err().outcome(),
        Outcome::Unknown
    );
    match client
        .orders()
        .reconcile("SOL_USDC", ClientOrderId(43))
        .await
        .unwrap()
    {
        Reconciled::Finished(order) => assert_eq!(order.status, OrderStatus::Filled),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_timeout_on_an_order_is_unknown_and_reconciles() {
    let (fake, _) = setup().await;
    let client = client_for(&fake)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    fake.inject(
        Fault::Slow {
            delay: Duration::from_secs(2),
        }
        .on("POST", "/api/v1/order"),
    )
    .await;
    let error = client.orders().place(&bid(44)).await.unwrap_err();
    let Error::OutcomeUnknown { cause, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(matches!(**cause, Error::Timeout { .. }), "{cause:?}");
    assert!(matches!(
        client
            .orders()
            .reconcile("SOL_USDC", ClientOrderId(44))
            .await
            .unwrap(),
        Reconciled::Open(_)
    ));
}

#[tokio::test]
async fn maintenance_is_a_clear_rejection_not_an_unknown() {
    let (fake, client) = setup().await;
    fake.inject(Fault::Maintenance.on("POST", "/api/v1/order"))
        .await;
    let error = client.orders().place(&bid(45)).await.unwrap_err();
    assert_eq!(error.outcome(), Outcome::Rejected);
    assert_eq!(error.api_code(), Some(&ApiErrorCode::Maintenance));
}

#[tokio::test]
async fn a_malformed_answer_to_an_accepted_order_says_it_was_accepted() {
    let (fake, client) = setup().await;
    fake.inject(Fault::MalformedBody.on("POST", "/api/v1/order"))
        .await;
    let error = client.orders().place(&bid(46)).await.unwrap_err();
    assert_eq!(error.outcome(), Outcome::Accepted);
    assert!(
        matches!(&error, Error::Decode { status: 200, .. }),
        "{error}"
    );
    assert_eq!(
        client.orders().list_open(None, None).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn plain_text_errors_keep_their_text() {
    let (fake, client) = setup().await;
    fake.inject(
        Fault::PlainTextError {
            status: 400,
            message: "parse request payload error: Expected input type \"OrderExecutePayload\""
                .into(),
        }
        .on("POST", "/api/v1/order"),
    )
    .await;
    let error = client.orders().place(&bid(47)).await.unwrap_err();
    let api = error.api_error().unwrap();
    assert_eq!(api.code, None);
    assert!(api.message.contains("OrderExecutePayload"));
    assert_eq!(error.outcome(), Outcome::Rejected);
}

#[tokio::test]
async fn a_lost_cancel_answer_is_unknown_too() {
    let (fake, client) = setup().await;
    let order = client.orders().place(&bid(48)).await.unwrap();
    fake.inject(Fault::DropAfterProcessing.on("DELETE", "/api/v1/order"))
        .await;
    let error = client
        .orders()
        .cancel("SOL_USDC", order.id.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::OutcomeUnknown {
                instruction: "orderCancel",
                ..
            }
        ),
        "{error}"
    );
    // The cancel did happen.
    assert!(
        client
            .orders()
            .get("SOL_USDC", order.id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn nothing_listening_is_never_sent_and_retried_for_reads() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder()
        .base_url(format!("http://{address}"))
        .credentials(backpack_sdk::Credentials::from_seed(&[1; 32]))
        .retry_policy(RetryPolicy {
            max_retries: 2,
            ..super::common::fast_retries()
        })
        .build()
        .unwrap();
    let error = client.orders().place(&bid(49)).await.unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error}");
    assert_eq!(error.outcome(), Outcome::NotSent);
}

#[tokio::test]
async fn redirects_are_never_followed_and_leave_a_write_unknown() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&elsewhere)
        .await;
    let redirecting = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/api/v1/order", elsewhere.uri())),
        )
        .mount(&redirecting)
        .await;
    let client = Client::builder()
        .base_url(redirecting.uri())
        .credentials(backpack_sdk::Credentials::from_seed(&[1; 32]))
        .retry_policy(super::common::fast_retries())
        .build()
        .unwrap();

    let error = client.orders().place(&bid(50)).await.unwrap_err();
    assert_eq!(error.outcome(), Outcome::Unknown, "{error}");
    assert!(
        error.to_string().contains("follows no redirects"),
        "{error}"
    );
    let read = client.account().balances().await.unwrap_err();
    assert!(read.to_string().contains("HTTP 307"), "{read}");
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "the signed request never reached the other address"
    );
}
