//! A bare MCP streamable-HTTP client over reqwest: what an HTTP test needs to open a session
//! and call a tool, byte for byte as a client sends it.

use serde_json::{Value, json};

/// The `initialize` request.
pub fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "http-test", "version": "0" } }
    })
}

/// The JSON-RPC messages of a response (JSON, or server-sent events).
pub fn messages(body: &str) -> Vec<Value> {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        return vec![value];
    }
    body.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .collect()
}

/// Opens a session at `url` with the bearer `token`: its id.
pub async fn open_session(http: &reqwest::Client, url: &str, token: &str) -> String {
    let response = http
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize().to_string())
        .send()
        .await
        .unwrap();
    let id = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let _ = response.text().await;
    let notified = http
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", &id)
        .header("mcp-protocol-version", "2025-11-25")
        .body(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }).to_string())
        .send()
        .await
        .unwrap();
    assert!(notified.status().is_success());
    id
}

/// Calls a tool in a session: the JSON-RPC result.
pub async fn call_in(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    session: &str,
    name: &str,
    args: Value,
) -> Value {
    let body = http
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-11-25")
        .body(
            json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": { "name": name, "arguments": args } })
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    messages(&body)
        .into_iter()
        .find(|m| m.get("result").is_some())
        .unwrap_or_else(|| panic!("no result in {body}"))["result"]
        .clone()
}
