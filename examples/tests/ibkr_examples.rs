//! The IBKR examples run against the fake gateway exactly as they would against a paper
//! gateway: configured by the environment only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use std::process::Output;

use testkit::tws::{FakeTws, RequestKind};

async fn run(bin: &str, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = tokio::process::Command::new(bin);
    command
        .args(args)
        .env_remove("ORDERS_ENABLED")
        .env_remove("TRADING_MODE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().await.expect("run the example")
}

fn port(fake: &FakeTws) -> (&'static str, String) {
    ("IBKR_GATEWAY_PORT", fake.address().port().to_string())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn the_healthcheck_passes_and_fails_with_a_reason() {
    let fake = FakeTws::start().await;
    let healthy = run(env!("CARGO_BIN_EXE_ibkr-healthcheck"), &[], &[port(&fake)]).await;
    assert!(healthy.status.success(), "{}", text(&healthy.stderr));
    let out = text(&healthy.stdout);
    assert!(
        out.starts_with("healthy:")
            && out.contains("DU1234567 (paper)")
            && out.contains("orders disabled"),
        "{out}"
    );

    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = run(
        env!("CARGO_BIN_EXE_ibkr-healthcheck"),
        &[],
        &[("IBKR_GATEWAY_PORT", free.to_string())],
    )
    .await;
    assert_eq!(down.status.code(), Some(1));
    let err = text(&down.stderr);
    assert!(
        err.contains("unhealthy:") && err.contains("unreachable"),
        "{err}"
    );

    let bad = run(
        env!("CARGO_BIN_EXE_ibkr-healthcheck"),
        &[],
        &[("TRADING_MODE", "demo".into())],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("TRADING_MODE"));
}

#[tokio::test]
async fn the_quote_example_prints_quotes_and_bars() {
    let fake = FakeTws::start().await;
    let out = run(
        env!("CARGO_BIN_EXE_ibkr-quote"),
        &["AAPL", "NOPE", "--bars", "1 hour"],
        &[port(&fake)],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("STK AAPL") && stdout.contains("189.49") && stdout.contains("Live"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no contract found for STK NOPE"),
        "{stdout}"
    );
    assert!(stdout.contains("bars of 1 hour over 1 D"), "{stdout}");
}

#[tokio::test]
async fn place_then_cancel_runs_the_whole_cycle_only_when_enabled() {
    let fake = FakeTws::start().await;
    let disabled = run(
        env!("CARGO_BIN_EXE_ibkr-place-cancel"),
        &["AAPL"],
        &[port(&fake)],
    )
    .await;
    assert!(disabled.status.success(), "{}", text(&disabled.stderr));
    let stdout = text(&disabled.stdout);
    assert!(
        stdout.contains("preview (Simulated)") && stdout.contains("orders are disabled"),
        "{stdout}"
    );
    assert_eq!(fake.count(RequestKind::PlaceOrder), 0);

    let enabled = run(
        env!("CARGO_BIN_EXE_ibkr-place-cancel"),
        &["AAPL", "--quantity", "2"],
        &[
            port(&fake),
            ("ORDERS_ENABLED", "true".into()),
            ("IBKR_CLIENT_ID", "7".into()),
        ],
    )
    .await;
    assert!(enabled.status.success(), "{}", text(&enabled.stderr));
    let stdout = text(&enabled.stdout);
    // 10% under the 189.49 bid, down to the cent.
    assert!(
        stdout.contains("preview (Ibkr): buy 2 STK AAPL at 170.54"),
        "{stdout}"
    );
    assert!(
        stdout.contains("is Submitted")
            && stdout.contains("cancelled: order")
            && stdout.contains("is Cancelled, 0 filled"),
        "{stdout}"
    );
    assert_eq!(fake.count(RequestKind::CancelOrder), 1);
}
