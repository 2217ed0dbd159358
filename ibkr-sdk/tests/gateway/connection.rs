//! Connecting, the healthcheck, timeouts and reconnection.

use std::time::Duration;

use ibkr_sdk::{Config, Error, IbkrClient, TradingMode};
use testkit::tws::{FakeTws, RequestKind, TwsFault};

use super::{config, connect, eventually};

#[tokio::test]
async fn a_gateway_that_is_down_gives_a_clear_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let error = IbkrClient::connect(Config::paper("127.0.0.1", port))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::GatewayUnreachable { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{port}")) && text.contains("API enabled"),
        "{text}"
    );
}

#[tokio::test]
async fn a_taken_client_id_is_named() {
    let fake = FakeTws::start().await;
    let _first = connect(&fake, false).await;
    let error = IbkrClient::connect(config(&fake, false)).await.unwrap_err();
    assert!(
        matches!(error, Error::ClientIdInUse { client_id: 1 }),
        "{error:?}"
    );
    assert!(error.to_string().contains("IBKR_CLIENT_ID"), "{error}");
    let mut other = config(&fake, false);
    other.client_id = 2;
    IbkrClient::connect(other).await.unwrap();
}

#[tokio::test]
async fn a_silent_gateway_times_out_the_connection() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket); // accept, never answer
        }
    });
    let mut silent = Config::paper("127.0.0.1", port);
    silent.connect_timeout = Duration::from_millis(300);
    let error = IbkrClient::connect(silent).await.unwrap_err();
    assert!(matches!(error, Error::ConnectTimeout { .. }), "{error:?}");
    assert!(error.is_retryable());
    hold.abort();
}

#[tokio::test]
async fn the_healthcheck_reports_time_account_and_mode() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    let health = client.healthcheck().await.unwrap();
    assert!(health.connected);
    assert_eq!(health.account, "DU1234567");
    assert_eq!(health.mode, TradingMode::Paper);
    assert!(!health.orders_enabled);
    assert_eq!(health.server_version, 222);
    let skew = (health.server_time - chrono::Utc::now())
        .num_seconds()
        .abs();
    assert!(skew < 5, "server time off by {skew}s");
    let json = serde_json::to_value(&health).unwrap();
    assert_eq!(json["mode"], "paper");
}

#[tokio::test]
async fn every_request_is_bounded_by_the_timeout() {
    let fake = FakeTws::start().await;
    let mut quick = config(&fake, false);
    quick.request_timeout = Duration::from_millis(300);
    let client = IbkrClient::connect(quick).await.unwrap();
    fake.inject(TwsFault::NoReply.on(RequestKind::CurrentTime).always())
        .await;
    let started = std::time::Instant::now();
    let error = client.healthcheck().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                what: "server time",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(3));
    fake.inject(TwsFault::NoReply.on(RequestKind::ContractData).always())
        .await;
    let error = client
        .contracts()
        .resolve(&ibkr_sdk::ContractSpec::stock("AAPL"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                what: "contract details",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_client_notices_a_drop_and_reconnects() {
    let fake = FakeTws::start().await;
    let client = connect(&fake, false).await;
    fake.disconnect_all();
    assert!(
        eventually(Duration::from_secs(3), || !client.is_connected()).await,
        "the drop went unnoticed"
    );
    assert!(
        eventually(Duration::from_secs(10), || client.is_connected()).await,
        "no reconnection"
    );
    let health = client.healthcheck().await.unwrap();
    assert!(health.connected);
    assert_eq!(fake.count(RequestKind::StartApi), 2);
}
