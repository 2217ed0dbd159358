//! The REST API (`trading start-api`) and, for comparison, MCP over streamable HTTP
//! (`trading-mcp --http`), both on the simulators, measured from a client in this process
//! over loopback: p50, p99 and requests per second at 1 and 50 concurrent connections.
//!
//! ```text
//! cargo build --release -p mcp-tools -p benches
//! target/release/rest-bench [--seconds 5]
//! ```
//!
//! Goals on a 2-core machine: REST p50 under 0.5 ms at one connection and over 10,000
//! requests per second at 50; MCP over HTTP over 5,000 calls per second at 50 sessions.
//! The client shares the machine's two cores with the server, so these are the figures of
//! the whole exchange, not of the server alone. The IBKR routes go through `ibapi` to the
//! simulated gateway over loopback TCP inside the server; `rest_get_backpack_ticker` (the
//! in-process Backpack simulator) shows the REST door's own cost.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::float_arithmetic
)] // a bench binary

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use benches::percentile;
use serde_json::{Value, json};

const KEY: &str = "rest-bench-api-key-0123456789";
const MCP_TOKEN: &str = "rest-bench-mcp-token-0123456789";

fn binary(name: &str) -> PathBuf {
    let path = std::env::current_exe().unwrap().with_file_name(name);
    assert!(
        path.exists(),
        "{} is missing: cargo build --release -p mcp-tools",
        path.display()
    );
    path
}

/// A server process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(name: &str, state: &std::path::Path) -> Command {
    let mut command = Command::new(binary(name));
    for (key, _) in std::env::vars() {
        if key.starts_with("BACKPACK_") || key.starts_with("IBKR_") || key.starts_with("TRADING_") {
            command.env_remove(key);
        }
    }
    command
        .current_dir(state)
        .env("XDG_STATE_HOME", state)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn start_rest(state: &std::path::Path) -> (Server, String) {
    let mut child = command("trading", state)
        .env("TRADING_API_KEY", KEY)
        .args(["start-api", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    (Server(child), ready["url"].as_str().unwrap().to_owned())
}

fn start_mcp(state: &std::path::Path) -> (Server, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = command("trading-mcp", state)
        .env("TRADING_MCP_HTTP_TOKEN", MCP_TOKEN)
        .env("TRADING_MCP_HTTP_MAX_SESSIONS", "64")
        .env("TRADING_MCP_HTTP_MAX_CONNECTIONS", "128")
        .args(["--http", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "trading-mcp did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    (Server(child), url)
}

/// One request of a case.
type Request = Arc<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync>;

/// Runs `connections` clients, each with its own connection, sending `request` back to back
/// for `seconds`: latencies (ns) and the wall time.
async fn drive(connections: usize, seconds: u64, request: Request) -> (Vec<u64>, Duration) {
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = Arc::clone(&request);
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut samples = Vec::new();
            while Instant::now() < until {
                let sent = Instant::now();
                let response = request(&client).send().await.unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                let _ = response.bytes().await.unwrap();
                samples.push(u64::try_from(sent.elapsed().as_nanos()).unwrap());
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    (all, started.elapsed())
}

fn report(case: &str, connections: usize, mut samples: Vec<u64>, wall: Duration) {
    samples.sort_unstable();
    println!(
        "{}",
        json!({
            "case": case,
            "connections": connections,
            "requests": samples.len(),
            "p50_us": percentile(&samples, 50.0) as f64 / 1e3,
            "p99_us": percentile(&samples, 99.0) as f64 / 1e3,
            "per_sec": (samples.len() as f64 / wall.as_secs_f64()).round(),
        })
    );
}

/// An MCP session over streamable HTTP: its id.
async fn mcp_session(client: &reqwest::Client, url: &str) -> String {
    let response = client
        .post(url)
        .bearer_auth(MCP_TOKEN)
        .header("Accept", "application/json, text/event-stream")
        .json(
            &json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": { "name": "rest-bench", "version": "1" } } }),
        )
        .send()
        .await
        .unwrap();
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let _ = response.bytes().await.unwrap();
    let done = client
        .post(url)
        .bearer_auth(MCP_TOKEN)
        .header("Accept", "application/json, text/event-stream")
        .header("mcp-session-id", &session)
        .json(&json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }))
        .send()
        .await
        .unwrap();
    let _ = done.bytes().await.unwrap();
    session
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let state = std::env::temp_dir().join(format!("rest-bench-{}", std::process::id()));
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (_rest, base) = start_rest(&state);
        let quote_url = format!("{base}/ibkr/market-data/quote");
        let positions_url = format!("{base}/ibkr/account/positions");
        let quote: Request = Arc::new(move |client| {
            client
                .post(&quote_url)
                .header("X-API-Key", KEY)
                .json(&json!({ "contracts": [{ "symbol": "AAPL", "sec_type": "STK" }] }))
        });
        let positions: Request =
            Arc::new(move |client| client.get(&positions_url).header("X-API-Key", KEY));
        // For scale: a route whose venue is the in-process Backpack simulator (no socket
        // behind the tool), so the figure is the REST door's own.
        let ticker_url = format!("{base}/backpack/markets/SOL_USDC/ticker");
        let ticker: Request =
            Arc::new(move |client| client.get(&ticker_url).header("X-API-Key", KEY));
        // Warm up (the venues connect on first use).
        drive(1, 1, Arc::clone(&quote)).await;
        for connections in [1, 50] {
            let (samples, wall) = drive(connections, seconds, Arc::clone(&quote)).await;
            report("rest_post_market_data_quote", connections, samples, wall);
            let (samples, wall) = drive(connections, seconds, Arc::clone(&positions)).await;
            report("rest_get_account_positions", connections, samples, wall);
            let (samples, wall) = drive(connections, seconds, Arc::clone(&ticker)).await;
            report("rest_get_backpack_ticker", connections, samples, wall);
        }

        let (_mcp, url) = start_mcp(&state);
        for sessions in [1, 50] {
            let started = Instant::now();
            let until = started + Duration::from_secs(seconds);
            let mut tasks = Vec::new();
            for _ in 0..sessions {
                let url = url.clone();
                tasks.push(tokio::spawn(async move {
                    let client = reqwest::Client::builder()
                        .pool_max_idle_per_host(1)
                        .build()
                        .unwrap();
                    let session = mcp_session(&client, &url).await;
                    let mut samples = Vec::new();
                    let mut id = 2;
                    while Instant::now() < until {
                        id += 1;
                        let sent = Instant::now();
                        let response = client
                            .post(&url)
                            .bearer_auth(MCP_TOKEN)
                            .header("Accept", "application/json, text/event-stream")
                            .header("mcp-session-id", &session)
                            .json(&json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
                                "name": "ibkr_get_quote",
                                "arguments": { "contracts": [{ "symbol": "AAPL", "sec_type": "STK" }] } } }))
                            .send()
                            .await
                            .unwrap();
                        let body = response.text().await.unwrap();
                        assert!(body.contains("\"bid\""), "{body}");
                        samples.push(u64::try_from(sent.elapsed().as_nanos()).unwrap());
                    }
                    samples
                }));
            }
            let mut all = Vec::new();
            for task in tasks {
                all.extend(task.await.unwrap());
            }
            report("mcp_http_tools_call_ibkr_get_quote", sessions, all, started.elapsed());
        }
    });
    let _ = std::fs::remove_dir_all(state);
}
