//! Secrets never leak: not in `Debug`, errors, or logs (even at TRACE).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use backpack_sdk::model::Side;
use backpack_sdk::spec::OrderSpec;
use testkit::backpack::Fault;

use super::common::{d, setup};

/// Everything logged in this test process, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

/// Installs one global TRACE subscriber writing to a buffer. Global rather than
/// thread-local: tracing caches each call site's interest, and another test thread can
/// cache "nobody listens" before a thread-local subscriber exists.
fn capture_all_logs() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            captured
        })
        .clone()
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_in_debug_errors_or_trace_logs() {
    let captured = capture_all_logs();

    let (fake, client) = setup().await;
    let secret = fake.credentials().expose_secret().to_string();
    let api_key = fake.credentials().api_key().to_owned();

    let spec = OrderSpec::limit("SOL_USDC", Side::Bid, d("100").into(), d("1").into())
        .build()
        .unwrap();
    client.orders().place(&spec).await.unwrap();
    fake.inject(Fault::DropAfterProcessing.on("POST", "/api/v1/order"))
        .await;
    let error = client.orders().place(&spec).await.unwrap_err();
    let bad = client
        .orders()
        .get("SOL_USDC", backpack_sdk::model::OrderId::new("1"))
        .await
        .unwrap_err();

    // What went over the wire carried the key and a signature...
    let requests = fake.received_requests().await;
    let signature = requests[0].header("x-signature").unwrap().to_owned();
    assert_eq!(requests[0].header("x-api-key").unwrap(), api_key.as_str());

    // ...but nothing a program prints or logs does.
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("backpack request"), "logging was captured");
    let printed = [
        format!("{client:?}"),
        format!("{:?}", fake.credentials()),
        format!("{error} {error:?}"),
        format!("{bad} {bad:?}"),
        logs,
    ];
    for text in &printed {
        assert!(!text.contains(&secret), "secret leaked: {text}");
        assert!(!text.contains(&signature), "signature leaked: {text}");
        assert!(!text.contains(&api_key), "full API key leaked: {text}");
    }
}
