//! A client with a local transport: the request a handler in this process receives is the
//! signed wire request, and its answer is classified like a network one.

use std::sync::{Arc, Mutex};

use backpack_sdk::client::{LocalRequest, LocalResponse, LocalTransport, RetryPolicy};
use backpack_sdk::{Client, Credentials, Error};
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

#[derive(Debug, Default)]
struct Recorder {
    seen: Mutex<Vec<LocalRequest>>,
    answer: Mutex<Option<(u16, &'static str, Option<&'static str>)>>,
}

impl LocalTransport for Recorder {
    fn send(&self, request: LocalRequest) -> LocalResponse {
        self.seen.lock().unwrap().push(request);
        let (status, body, retry_after) = self.answer.lock().unwrap().unwrap_or((200, "[]", None));
        let mut headers = HeaderMap::new();
        if let Some(seconds) = retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        LocalResponse {
            status,
            headers,
            body: Bytes::from_static(body.as_bytes()),
        }
    }
}

#[tokio::test]
async fn a_local_transport_gets_the_signed_request_and_its_answer_is_classified() {
    let recorder = Arc::new(Recorder::default());
    let client = Client::builder()
        .base_url("http://local.invalid")
        .credentials(Credentials::from_seed(&[3; 32]))
        .retry_policy(RetryPolicy::NONE)
        .local_transport(recorder.clone())
        .build()
        .unwrap();
    let orders = client
        .orders()
        .list_open(Some("SOL_USDC".into()), None)
        .await
        .unwrap();
    assert!(orders.is_empty());
    {
        let seen = recorder.seen.lock().unwrap();
        let request = &seen[0];
        assert_eq!(request.method, reqwest::Method::GET);
        assert_eq!(
            request.url.as_str(),
            "http://local.invalid/api/v1/orders?symbol=SOL_USDC"
        );
        for header in ["x-api-key", "x-signature", "x-timestamp", "x-window"] {
            assert!(request.headers.contains_key(header), "{header}");
        }
        assert!(request.headers["x-signature"].is_sensitive());
    }
    *recorder.answer.lock().unwrap() = Some((
        429,
        r#"{"code":"TOO_MANY_REQUESTS","message":"slow down"}"#,
        Some("3"),
    ));
    let error = client.orders().list_open(None, None).await.unwrap_err();
    match error {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(3)))
        }
        other => panic!("{other:?}"),
    }
}
