//! Streamable HTTP: the bearer token is required, browsers' cross-origin requests are
//! refused, and an authorised client gets a working session.

use std::sync::Arc;

use mcp_tools::http::HttpSettings;
use mcp_tools::safety::redact::Redactor;
use mcp_tools::{AppState, TradingServer};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::common::mcp_http::{call_in, initialize, messages, open_session};
use super::{TempDir, config};

const TOKEN: &str = "test-token-0123456789abcdef";

async fn serve() -> (String, CancellationToken, TempDir) {
    serve_with(HttpSettings::default()).await
}

async fn serve_with(settings: HttpSettings) -> (String, CancellationToken, TempDir) {
    let dir = TempDir::new();
    let state = AppState::new(config(&dir, |_| {}), Redactor::default());
    let server = TradingServer::new(Arc::clone(&state));
    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let stop = shutdown.clone();
    tokio::spawn(async move {
        mcp_tools::http::serve_listener(server, listener, TOKEN.into(), settings, stop)
            .await
            .unwrap();
    });
    (url, shutdown, dir)
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
        23,
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
        HttpSettings::default(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(error.contains("TRADING_MCP_HTTP_TOKEN"), "{error}");
}

/// An initialised MCP session over HTTP: its id.
#[tokio::test]
async fn a_token_is_redeemable_only_in_the_session_that_previewed_it() {
    let (url, shutdown, _dir) = serve().await;
    let http = reqwest::Client::new();
    let (alice, mallory) = (
        open_session(&http, &url, TOKEN).await,
        open_session(&http, &url, TOKEN).await,
    );
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" });
    let preview = call_in(
        &http,
        &url,
        TOKEN,
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
        TOKEN,
        &mallory,
        "backpack_create_order",
        create.clone(),
    )
    .await;
    assert_eq!(stolen["isError"], true, "{stolen}");
    assert!(stolen.to_string().contains("another session"), "{stolen}");
    let voided = call_in(&http, &url, TOKEN, &alice, "backpack_create_order", create).await;
    assert_eq!(
        voided["isError"], true,
        "a refused token is spent: {voided}"
    );
    shutdown.cancel();
}

fn post_init(http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    http.post(url)
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize().to_string())
}

#[tokio::test]
async fn same_origin_and_configured_origins_work_others_do_not() {
    let (url, shutdown, _dir) = serve_with(HttpSettings {
        allowed_origins: vec!["http://localhost:6274".into()],
        ..HttpSettings::default()
    })
    .await;
    let http = reqwest::Client::new();
    let own = url.trim_end_matches("/mcp").to_owned();
    for origin in [own.as_str(), "http://localhost:6274"] {
        let response = post_init(&http, &url)
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{origin}");
    }
    let evil = post_init(&http, &url)
        .header("origin", "http://localhost:9999")
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    // A browser's preflight carries no token: it is answered for allowed origins only.
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type,mcp-session-id",
            )
            .send()
    };
    let allowed = preflight("http://localhost:6274").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://localhost:6274"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let rebinding = post_init(&http, &url)
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        rebinding.status().is_client_error(),
        "{}",
        rebinding.status()
    );
    shutdown.cancel();
}

#[tokio::test]
async fn sessions_and_connections_are_bounded() {
    let (url, shutdown, _dir) = serve_with(HttpSettings {
        max_sessions: 2,
        max_connections: 3,
        ..HttpSettings::default()
    })
    .await;
    let http = reqwest::Client::new();
    for _ in 0..2 {
        assert_eq!(post_init(&http, &url).send().await.unwrap().status(), 200);
    }
    let third = post_init(&http, &url).send().await.unwrap();
    assert!(third.status().is_server_error(), "{}", third.status());
    let body = third.text().await.unwrap();
    assert!(body.contains("TRADING_MCP_HTTP_MAX_SESSIONS"), "{body}");
    drop(http);
    // Hold every connection slot with silent sockets: the next connection is closed.
    let address = url
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_owned();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let fresh = reqwest::Client::new();
    assert!(post_init(&fresh, &url).send().await.is_err());
    shutdown.cancel();
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (url, shutdown, _dir) = serve_with(HttpSettings {
        header_timeout: std::time::Duration::from_millis(300),
        ..HttpSettings::default()
    })
    .await;
    let address = url
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_owned();
    let mut slow = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        slow.read_to_end(&mut buf),
    )
    .await;
    assert!(read.is_ok(), "the server closed the connection");
    shutdown.cancel();
}
