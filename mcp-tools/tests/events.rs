//! Every front door logs one structured event per call (JSON on stderr with
//! `TRADING_LOG_FORMAT=json`), carrying the correlation id its journal rows and venue
//! request lines share, and no secret; the HTTP doors serve `/metrics`, read here by a
//! real Prometheus text parser.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

#[path = "common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use common::TempDir;
use mcp_tools::safety::journal::{Filter, Journal};
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

/// A secret the servers know (a secret variable's value) and the tests slip into arguments.
const SECRET: &str = "observe-secret-0123456789";
/// The REST API key.
const KEY: &str = "observe-api-key-0123456789";

/// Every field a call event carries.
const FIELDS: &[&str] = &[
    "correlation_id",
    "door",
    "tool",
    "venue",
    "arguments",
    "outcome",
    "code",
    "reason",
    "total_us",
    "venue_us",
    "venue_requests",
    "ended",
];

fn clean(command: &mut Command, dir: &TempDir) {
    for (key, _) in std::env::vars() {
        if key.starts_with("BACKPACK_") || key.starts_with("IBKR_") || key.starts_with("TRADING_") {
            command.env_remove(key);
        }
    }
    command
        .current_dir(&dir.0)
        .env("XDG_STATE_HOME", &dir.0)
        .env("TRADING_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,backpack_sdk=debug")
        .env("TRADING_MCP_HTTP_TOKEN", SECRET)
        .stdin(Stdio::null());
}

/// The JSON log lines of a server's `stderr` (every line must be JSON).
fn lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON log line: {l}")))
        .collect()
}

/// The JSON log lines of the CLI's `stderr` (where it also tells the person what it does).
fn cli_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON log line: {l}")))
        .collect()
}

/// The call events among `lines`, each checked for every field.
fn events(lines: &[Value]) -> Vec<Value> {
    let events: Vec<Value> = lines
        .iter()
        .filter(|l| l["target"] == "trading::call" && l["message"] == "call")
        .cloned()
        .collect();
    for event in &events {
        for field in FIELDS {
            assert!(event.get(*field).is_some(), "{field} missing: {event}");
        }
        assert!(event["total_us"].as_u64().unwrap() >= event["venue_us"].as_u64().unwrap());
    }
    events
}

fn journal(dir: &TempDir) -> Vec<Value> {
    let path = dir.0.join("trading-mcp").join("journal.db");
    Journal::new(Some(path))
        .entries(&Filter::default())
        .unwrap()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

/// The event of `tool`, exactly one.
fn one<'a>(events: &'a [Value], tool: &str) -> &'a Value {
    let found: Vec<&Value> = events.iter().filter(|e| e["tool"] == tool).collect();
    assert_eq!(found.len(), 1, "{tool}: {found:?}");
    found[0]
}

/// The order placed with `id` left its journal rows and its venue request line under that id.
fn placed_order_is_traced(lines: &[Value], dir: &TempDir, id: &str) {
    let rows = journal(dir);
    let phases: Vec<&str> = rows
        .iter()
        .filter(|r| r["id"] == id)
        .map(|r| r["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["intent", "result"], "{rows:?}");
    let venue_lines: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == "backpack_sdk::request" && l["path"] == "/api/v1/order")
        .filter(|l| l["method"] == "POST")
        .collect();
    assert!(
        venue_lines
            .iter()
            .any(|l| l["span"]["correlation_id"] == id),
        "the venue request line carries the id {id}: {venue_lines:?}"
    );
}

#[tokio::test]
async fn stdio_calls_log_one_event_each_with_the_journal_id_and_no_secret() {
    let dir = TempDir::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_trading-mcp"));
    clean(&mut command, &dir);
    let (transport, stderr) = TokioChildProcess::builder(tokio::process::Command::from(command))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = stderr.unwrap();
    let client = ().serve(transport).await.unwrap();
    let call = |name: &str, args: Value| {
        let request = CallToolRequestParams::new(name.to_owned())
            .with_arguments(args.as_object().unwrap().clone());
        client.call_tool(request)
    };
    call("status", json!({})).await.unwrap();
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" });
    let preview = call("backpack_preview_order", json!({ "order": order }))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    let token = preview["confirmationToken"].as_str().unwrap().to_owned();
    let placed = call(
        "backpack_create_order",
        json!({ "order": preview["order"], "confirmationToken": token }),
    )
    .await
    .unwrap()
    .structured_content
    .unwrap();
    let refused = call(
        "backpack_create_order",
        json!({ "order": preview["order"], "confirmationToken": format!("forged {SECRET}") }),
    )
    .await
    .unwrap();
    assert_eq!(refused.is_error, Some(true));
    let _ = call("backpack_get_ticker", json!({ "symbol": 7 })).await;
    client.cancel().await.unwrap();
    let mut logged = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut logged)
        .await
        .unwrap();
    assert!(!logged.contains(SECRET), "a secret was logged");
    assert!(!logged.contains(&token), "a confirmation token was logged");
    let lines = lines(&logged);
    let events = events(&lines);
    assert_eq!(events.len(), 5, "one event per call: {events:?}");
    assert!(events.iter().all(|e| e["door"] == "mcp_stdio"));
    let created: Vec<&Value> = events
        .iter()
        .filter(|e| e["tool"] == "backpack_create_order")
        .collect();
    assert_eq!(created[0]["outcome"], "ok");
    assert_eq!(created[0]["venue"], "backpack");
    assert!(created[0]["venue_requests"].as_u64().unwrap() >= 1);
    assert!(created[0]["venue_us"].as_u64().unwrap() > 0);
    assert_eq!(created[1]["outcome"], "refused");
    assert_eq!(created[1]["code"], "token_unknown");
    let id = placed["correlationId"].as_str().unwrap();
    assert_eq!(created[0]["correlation_id"], id);
    placed_order_is_traced(&lines, &dir, id);
    let ticker = one(&events, "backpack_get_ticker");
    assert_eq!(
        (ticker["outcome"].as_str(), ticker["code"].as_str()),
        (Some("refused"), Some("invalid_input"))
    );
    assert_eq!(one(&events, "status")["venue"], "none");
}

/// Stops a server as a person would (Ctrl-C), so it writes out its last log lines.
fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    for _ in 0..100 {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Stops a server and reads what it logged on stderr.
fn stop_and_read(child: &mut std::process::Child) -> String {
    stop(child);
    let mut logged = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut logged).unwrap();
    }
    logged
}

/// `trading start-api` with JSON logs: its URL and the child.
fn start_api(dir: &TempDir) -> (String, std::process::Child) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trading"));
    clean(&mut command, dir);
    let mut child = command
        .env("TRADING_API_KEY", KEY)
        .env("TRADING_MCP_BACKPACK_MAX_DAILY_NOTIONAL", "50000")
        .args(["start-api", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    (ready["url"].as_str().unwrap().to_owned(), child)
}

/// The value of the sample `name` with `labels` (all of them) in a scrape, 0 when absent.
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

fn parse(text: &str) -> prometheus_parse::Scrape {
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_calls_log_one_event_each_and_the_metrics_move_with_them() {
    let dir = TempDir::new();
    let (url, mut child) = start_api(&dir);
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{url}{path}"))
            .header("X-API-Key", KEY)
            .send()
    };
    assert_eq!(
        http.get(format!("{url}/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        reqwest::StatusCode::UNAUTHORIZED,
        "the metrics need the key"
    );
    let before = parse(&get("/metrics").await.unwrap().text().await.unwrap());
    let calls = |scrape: &prometheus_parse::Scrape, outcome: &str| {
        sample(
            scrape,
            "trading_calls_total",
            &[
                ("door", "rest"),
                ("tool", "backpack_get_ticker"),
                ("outcome", outcome),
            ],
        )
    };
    assert_eq!(calls(&before, "ok"), 0.0);
    for _ in 0..3 {
        assert!(
            get("/backpack/markets/SOL_USDC/ticker")
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
    let unknown = get("/backpack/markets/NOPE_USDC/ticker").await.unwrap();
    assert!(!unknown.status().is_success());
    let post = |path: &str, body: Value| {
        let request = http
            .post(format!("{url}{path}"))
            .header("X-API-Key", KEY)
            .header("content-type", "application/json")
            .body(body.to_string());
        async move {
            let text = request.send().await.unwrap().text().await.unwrap();
            serde_json::from_str::<Value>(&text).unwrap()
        }
    };
    let preview = post(
        "/backpack/orders/preview",
        json!({ "order": { "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" } }),
    )
    .await;
    let placed = post(
        "/backpack/orders",
        json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
    )
    .await;
    let response = get("/metrics").await.unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let after = parse(&response.text().await.unwrap());
    assert_eq!(calls(&after, "ok"), 3.0);
    assert_eq!(
        sample(
            &after,
            "trading_venue_errors_total",
            &[("tool", "backpack_get_ticker")]
        ) + sample(
            &after,
            "trading_refusals_total",
            &[("tool", "backpack_get_ticker")]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &after,
            "trading_orders_total",
            &[("venue", "backpack"), ("outcome", "accepted")]
        ),
        1.0
    );
    assert!(
        sample(
            &after,
            "trading_venue_request_duration_seconds_count",
            &[("venue", "backpack"), ("endpoint", "GET /api/v1/ticker")]
        ) >= 3.0
    );
    assert!(sample(&after, "trading_cap_used", &[("venue", "backpack")]) > 0.0);
    assert_eq!(
        sample(
            &after,
            "trading_cap_limit",
            &[("venue", "backpack"), ("cap", "daily")]
        ),
        50_000.0
    );

    let logged = stop_and_read(&mut child);
    assert!(!logged.contains(KEY) && !logged.contains(SECRET));
    let lines = lines(&logged);
    let events = events(&lines);
    assert!(events.iter().all(|e| e["door"] == "rest"), "{events:?}");
    assert_eq!(
        events
            .iter()
            .filter(|e| e["tool"] == "backpack_get_ticker")
            .count(),
        4,
        "one event per call"
    );
    let id = one(&events, "backpack_create_order")["correlation_id"]
        .as_str()
        .unwrap();
    assert_eq!(placed["correlationId"], id);
    placed_order_is_traced(&lines, &dir, id);
}

#[test]
fn cli_calls_log_one_event_each_with_the_journal_id() {
    let dir = TempDir::new();
    let trading = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_trading"));
        clean(&mut command, &dir);
        command
    };
    let order = ["buy", "1", "SOL_USDC", "--limit", "150"];
    let preview = trading()
        .args(["--json", "preview"])
        .args(order)
        .output()
        .unwrap();
    assert!(preview.status.success());
    let preview: Value = serde_json::from_slice(&preview.stdout).unwrap();
    let token = preview["confirmationToken"].as_str().unwrap().to_owned();
    let placed = trading()
        .args(["--json", "place", "--yes", "--token", &token])
        .args(order)
        .output()
        .unwrap();
    assert!(
        placed.status.success(),
        "{}",
        String::from_utf8_lossy(&placed.stderr)
    );
    let answer: Value = serde_json::from_slice(&placed.stdout).unwrap();
    let logged = String::from_utf8(placed.stderr).unwrap();
    assert!(!logged.contains(&token), "the token was logged");
    let lines = cli_lines(&logged);
    let events = events(&lines);
    let event = one(&events, "backpack_create_order");
    assert_eq!(event["door"], "cli");
    assert_eq!(event["outcome"], "ok");
    let id = event["correlation_id"].as_str().unwrap();
    assert_eq!(answer["correlationId"], id);
    placed_order_is_traced(&lines, &dir, id);
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_http_calls_log_one_event_each_and_the_metrics_sit_behind_its_bearer_token() {
    use common::mcp_http::{call_in, open_session};
    let dir = TempDir::new();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_trading-mcp"));
    clean(&mut command, &dir);
    let mut child = command
        .args(["--http", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut open = None;
    for _ in 0..100 {
        if let Ok(answer) = http.get(format!("{base}/metrics")).send().await {
            open = Some(answer.status());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(open, Some(reqwest::StatusCode::UNAUTHORIZED));
    let mcp = format!("{base}/mcp");
    let session = open_session(&http, &mcp, SECRET).await;
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": "100" });
    let preview = call_in(
        &http,
        &mcp,
        SECRET,
        &session,
        "backpack_preview_order",
        json!({ "order": order }),
    )
    .await;
    let preview = &preview["structuredContent"];
    let placed = call_in(
        &http,
        &mcp,
        SECRET,
        &session,
        "backpack_create_order",
        json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
    )
    .await;
    let id = placed["structuredContent"]["correlationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let scraped = http
        .get(format!("{base}/metrics"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = parse(&scraped);
    assert_eq!(
        sample(
            &scrape,
            "trading_calls_total",
            &[
                ("door", "mcp_http"),
                ("tool", "backpack_create_order"),
                ("outcome", "ok")
            ]
        ),
        1.0,
        "{scraped}"
    );
    let logged = stop_and_read(&mut child);
    assert!(!logged.contains(SECRET));
    let lines = lines(&logged);
    let events = events(&lines);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e["door"] == "mcp_http"));
    assert_eq!(
        one(&events, "backpack_create_order")["correlation_id"],
        id.as_str()
    );
    placed_order_is_traced(&lines, &dir, &id);
}

#[tokio::test]
async fn made_up_tool_names_do_not_grow_the_metrics() {
    use mcp_tools::observe::{Door, UNKNOWN_TOOL};
    use mcp_tools::{AppState, ServerConfig, TradingServer};
    let dir = TempDir::new();
    let state = AppState::new(
        ServerConfig::simulated(&dir.0),
        mcp_tools::safety::redact::Redactor::default(),
    );
    let server = TradingServer::new(std::sync::Arc::clone(&state)).at(Door::Rest);
    let client = mcp_tools::front::LocalClient::start(server, mcp_tools::front::unattended("t"))
        .await
        .unwrap();
    for i in 0..50 {
        assert!(
            client
                .call(&format!("made_up_{i}"), json!({}))
                .await
                .is_err()
        );
    }
    let text = state.metrics.encode().unwrap();
    let scrape = parse(&text);
    assert_eq!(
        sample(&scrape, "trading_calls_total", &[("tool", UNKNOWN_TOOL)]),
        50.0,
        "{text}"
    );
    assert!(!text.contains("made_up_"), "{text}");
}
