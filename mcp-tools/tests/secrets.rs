//! The Backpack secret and the HTTP token never leave the server: not in tool output, not in
//! the journal, not in the logs (at trace level), not in errors. The binary runs against a
//! fake exchange configured as the real one would be (keys in the environment).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use std::process::Stdio;

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use testkit::backpack::{FakeBackpack, KeyPair};

#[tokio::test]
async fn secrets_never_leak() {
    let keys = KeyPair::from_seed(&[7u8; 32]);
    let secret = keys.api_secret();
    let fake = FakeBackpack::builder().keys(keys).start().await;
    let dir = std::env::temp_dir().join(format!("trading-mcp-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Private, as the journal requires, whatever the umask.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let log_path = dir.join("stderr.log");
    let ack = dir.join("live-ack");
    std::fs::write(&ack, ibkr_sdk::LIVE_ACK_PHRASE).unwrap();
    let http_token = "http-token-that-is-secret-1234567890";

    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_trading-mcp"));
    for (key, _) in std::env::vars() {
        if key.starts_with("BACKPACK_") || key.starts_with("IBKR_") || key.starts_with("TRADING_") {
            command.env_remove(key);
        }
    }
    command
        .env("RUST_LOG", "trace")
        .env("BACKPACK_BASE_URL", fake.uri())
        .env("BACKPACK_API_SECRET", &secret)
        .env("TRADING_MCP_BACKPACK_TIERS", "market,account,trading")
        .env("TRADING_MCP_BACKPACK_MAX_ORDER_NOTIONAL", "1000")
        .env("TRADING_MCP_IBKR_TIERS", "none")
        .env("TRADING_MCP_HTTP_TOKEN", http_token)
        .env("TRADING_MCP_JOURNAL", dir.join("journal.db"))
        .env("TRADING_MCP_KILL_SWITCH", dir.join("KILL"))
        .env("TRADING_MCP_BACKPACK_CONFIRM", "token")
        .env("BACKPACK_LIVE_ACK_FILE", &ack);
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::from(std::fs::File::create(&log_path).unwrap()))
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    let call = |name: &str, args: Value| {
        let request = CallToolRequestParams::new(name.to_owned())
            .with_arguments(args.as_object().unwrap().clone());
        client.call_tool(request)
    };
    let mut seen = String::new();
    let status = call("status", json!({})).await.unwrap();
    assert_eq!(
        status.structured_content.as_ref().unwrap()["venues"][0]["mode"],
        "live",
        "keys in the environment: the real venue"
    );
    seen.push_str(&serde_json::to_string(&status).unwrap());
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" });
    let preview = call("backpack_preview_order", json!({ "order": order }))
        .await
        .unwrap();
    seen.push_str(&serde_json::to_string(&preview).unwrap());
    let preview = preview.structured_content.unwrap();
    let warnings = serde_json::to_string(&preview["warnings"]).unwrap();
    assert!(warnings.contains("LIVE"), "{warnings}");
    for (name, args) in [
        (
            "backpack_create_order",
            json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
        ),
        ("backpack_get_balances", json!({})),
        ("backpack_list_orders", json!({})),
        ("backpack_get_ticker", json!({ "symbol": "NOPE" })),
        (
            "backpack_preview_order",
            json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "100", "price": "100" } }),
        ),
        (
            "backpack_cancel_all_orders",
            json!({ "symbol": "SOL_USDC" }),
        ),
    ] {
        seen.push_str(&serde_json::to_string(&call(name, args).await.unwrap()).unwrap());
    }
    client.cancel().await.unwrap();
    // The journal as `trading-mcp journal` prints it, and the database files byte for byte.
    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_trading-mcp"))
        .arg("journal")
        .env("TRADING_MCP_JOURNAL", dir.join("journal.db"))
        .env("TRADING_MCP_KILL_SWITCH", dir.join("KILL"))
        .env_remove("BACKPACK_API_SECRET")
        .output()
        .unwrap();
    let mut journal = String::from_utf8(printed.stdout).unwrap();
    assert!(journal.lines().count() >= 2, "{journal}");
    for file in ["journal.db", "journal.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(file)) {
            journal.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "the logs were captured: {logs}"
    );
    assert!(
        seen.contains("above the per-order cap of 1000"),
        "the cap on a real venue applied"
    );
    for (what, text) in [
        ("tool output", &seen),
        ("journal", &journal),
        ("logs", &logs),
    ] {
        assert!(
            !text.contains(&secret),
            "the API secret leaked into the {what}"
        );
        assert!(
            !text.contains(http_token),
            "the HTTP token leaked into the {what}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
