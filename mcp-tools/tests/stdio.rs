//! The `trading-mcp` binary over stdio, as an MCP host starts it: a real client session,
//! and a check that stdout carries JSON-RPC only (logs go to stderr, even at debug).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

fn state_dir() -> std::path::PathBuf {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("trading-mcp-stdio-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    // Private, as the journal requires, whatever the umask.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    dir
}

/// The binary with a clean environment: simulators, state in `dir`.
fn binary(dir: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_trading-mcp"));
    for (key, _) in std::env::vars() {
        if key.starts_with("BACKPACK_") || key.starts_with("IBKR_") || key.starts_with("TRADING_") {
            command.env_remove(key);
        }
    }
    command
        .env("TRADING_MCP_JOURNAL", dir.join("journal.db"))
        .env("TRADING_MCP_KILL_SWITCH", dir.join("KILL"));
    command
}

#[tokio::test]
async fn a_host_session_over_stdio() {
    let dir = state_dir();
    let (transport, _) = TokioChildProcess::builder(binary(&dir))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    assert_eq!(
        client
            .peer_info()
            .unwrap()
            .server_info
            .as_ref()
            .unwrap()
            .name,
        "trading-mcp"
    );
    assert_eq!(client.list_all_tools().await.unwrap().len(), 23);

    let call = |name: &str, args: Value| {
        let request = CallToolRequestParams::new(name.to_owned())
            .with_arguments(args.as_object().unwrap().clone());
        client.call_tool(request)
    };
    let status = call("status", json!({}))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    for venue in status["venues"].as_array().unwrap() {
        assert_eq!(
            (venue["mode"].as_str(), venue["health"]["healthy"].as_bool()),
            (Some("simulated"), Some(true)),
            "{venue}"
        );
    }
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" });
    let preview = call("backpack_preview_order", json!({ "order": order }))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    let placed = call(
        "backpack_create_order",
        json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
    )
    .await
    .unwrap();
    assert_eq!(placed.structured_content.unwrap()["order"]["status"], "New");
    client.cancel().await.unwrap();
    let journal = Command::new(env!("CARGO_BIN_EXE_trading-mcp"))
        .args(["journal", "--venue", "backpack", "--outcome", "accepted"])
        .env("TRADING_MCP_JOURNAL", dir.join("journal.db"))
        .env("TRADING_MCP_KILL_SWITCH", dir.join("KILL"))
        .output()
        .unwrap();
    let journal = String::from_utf8(journal.stdout).unwrap();
    assert_eq!(journal.lines().count(), 1, "{journal}");
    let row: Value = serde_json::from_str(journal.trim()).unwrap();
    assert_eq!(
        (row["phase"].as_str(), row["outcome"].as_str()),
        (Some("result"), Some("accepted"))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn stdout_carries_json_rpc_only() {
    let dir = state_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trading-mcp"))
        .env("RUST_LOG", "debug")
        .env("TRADING_MCP_JOURNAL", dir.join("journal.db"))
        .env("TRADING_MCP_KILL_SWITCH", dir.join("KILL"))
        .env_remove("BACKPACK_API_SECRET")
        .env_remove("IBKR_GATEWAY_PORT")
        .env_remove("IBKR_GATEWAY_HOST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let requests = [
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "raw", "version": "0" } } }),
        json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": { "name": "backpack_get_ticker", "arguments": { "symbol": "SOL_USDC" } } }),
        json!({ "jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": { "name": "backpack_get_ticker", "arguments": { "symbol": 42 } } }),
        json!({ "jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": { "name": "status", "arguments": {} } }),
    ];
    for request in &requests {
        writeln!(stdin, "{request}").unwrap();
    }
    stdin.flush().unwrap();
    let mut answered = std::collections::BTreeMap::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while answered.len() < 4 {
        let line = lines.next().expect("the server stopped answering").unwrap();
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("not JSON-RPC on stdout: {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        if let Some(id) = message["id"].as_u64() {
            answered.insert(id, message);
        }
    }
    assert_eq!(answered[&2]["result"]["isError"], false);
    assert_eq!(
        answered[&3]["result"]["isError"], true,
        "bad input is a tool error; the server keeps serving"
    );
    assert_eq!(
        answered[&4]["result"]["structuredContent"]["venues"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The end of its input ends the session: the server stops as a host would stop it and
    // writes what its logger still holds (`info` lines go out in batches, so a kill could
    // lose the last 50 ms of them). Stderr is read meanwhile so that it never fills.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut logs = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut logs).map(|_| logs)
    });
    drop(stdin);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not stop at the end of its input");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let logs = reader.join().unwrap().unwrap();
    let logs = String::from_utf8_lossy(&logs);
    assert!(
        logs.contains("INFO") || logs.contains("DEBUG"),
        "logs go to stderr: {logs}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
