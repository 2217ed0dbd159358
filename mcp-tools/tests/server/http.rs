//! Streamable HTTP: the bearer token is required, browsers' cross-origin requests are
//! refused, and an authorised client gets a working session.

use std::sync::Arc;

use mcp_tools::safety::redact::Redactor;
use mcp_tools::{AppState, TradingServer};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{TempDir, config};

const TOKEN: &str = "test-token-0123456789abcdef";

async fn serve() -> (String, CancellationToken, TempDir) {
    let dir = TempDir::new();
    let state = AppState::new(config(&dir, |_| {}), Redactor::default());
    let server = TradingServer::new(Arc::clone(&state));
    let shutdown = CancellationToken::new();
    let app = mcp_tools::http::router(server, TOKEN.into(), &shutdown);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let stop = shutdown.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .unwrap();
    });
    (url, shutdown, dir)
}

fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "http-test", "version": "0" } }
    })
}

/// The JSON-RPC messages of a response (JSON, or server-sent events).
fn messages(body: &str) -> Vec<Value> {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        return vec![value];
    }
    body.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str(data.trim()).ok())
        .collect()
}

#[tokio::test]
async fn http_needs_the_token_and_refuses_browsers() {
    let (url, shutdown, _dir) = serve().await;
    let http = reqwest::Client::new();
    let post = |body: Value| {
        http.post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string())
    };

    let anonymous = post(initialize()).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = post(initialize())
        .bearer_auth("not-the-token-at-all")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let browser = post(initialize())
        .bearer_auth(TOKEN)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(browser.status().is_client_error(), "{}", browser.status());

    let session = post(initialize()).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(session.status(), 200);
    let id = session
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = session.text().await.unwrap();
    let init = messages(&body);
    assert_eq!(
        init[0]["result"]["serverInfo"]["name"], "trading-mcp",
        "{body}"
    );

    let mut notified =
        post(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).bearer_auth(TOKEN);
    let mut list =
        post(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" })).bearer_auth(TOKEN);
    if let Some(id) = &id {
        notified = notified
            .header("mcp-session-id", id)
            .header("mcp-protocol-version", "2025-11-25");
        list = list
            .header("mcp-session-id", id)
            .header("mcp-protocol-version", "2025-11-25");
    }
    assert!(notified.send().await.unwrap().status().is_success());
    let listed = list.send().await.unwrap();
    assert_eq!(listed.status(), 200);
    let body = listed.text().await.unwrap();
    let tools = messages(&body);
    assert_eq!(
        tools[0]["result"]["tools"].as_array().unwrap().len(),
        22,
        "{body}"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn a_short_token_is_refused_at_start() {
    let dir = TempDir::new();
    let state = AppState::new(config(&dir, |_| {}), Redactor::default());
    let server = TradingServer::new(state);
    let error = mcp_tools::http::serve(
        server,
        "127.0.0.1:0".parse().unwrap(),
        "short".into(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(error.contains("TRADING_MCP_HTTP_TOKEN"), "{error}");
}

/// An initialised MCP session over HTTP: its id.
async fn open_session(http: &reqwest::Client, url: &str) -> String {
    let response = http
        .post(url)
        .bearer_auth(TOKEN)
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
        .bearer_auth(TOKEN)
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
async fn call_in(
    http: &reqwest::Client,
    url: &str,
    session: &str,
    name: &str,
    args: Value,
) -> Value {
    let body = http
        .post(url)
        .bearer_auth(TOKEN)
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

#[tokio::test]
async fn a_token_is_redeemable_only_in_the_session_that_previewed_it() {
    let (url, shutdown, _dir) = serve().await;
    let http = reqwest::Client::new();
    let (alice, mallory) = (
        open_session(&http, &url).await,
        open_session(&http, &url).await,
    );
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" });
    let preview = call_in(
        &http,
        &url,
        &alice,
        "backpack_preview_order",
        json!({ "order": order }),
    )
    .await;
    let preview = &preview["structuredContent"];
    let create =
        json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] });
    let stolen = call_in(
        &http,
        &url,
        &mallory,
        "backpack_create_order",
        create.clone(),
    )
    .await;
    assert_eq!(stolen["isError"], true, "{stolen}");
    assert!(stolen.to_string().contains("another session"), "{stolen}");
    let voided = call_in(&http, &url, &alice, "backpack_create_order", create).await;
    assert_eq!(
        voided["isError"], true,
        "a refused token is spent: {voided}"
    );
    shutdown.cancel();
}
