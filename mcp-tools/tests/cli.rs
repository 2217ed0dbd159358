//! The `trading` binary run as a process, as a person or a script would: help output,
//! every command against the simulators, against the fake gateway and the fake exchange,
//! `--json` answers checked against the tools' output schemas, and the exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

#[path = "common/mod.rs"]
mod common;

use std::io::BufRead;
use std::process::{Command, Output, Stdio};

use clap::CommandFactory;
use common::TempDir;
use mcp_tools::TradingServer;
use serde_json::{Value, json};
use testkit::backpack::{FakeBackpack, KeyPair};
use testkit::tws::FakeTws;

/// `trading` with a private state folder and no venue configuration from the outside.
fn trading(dir: &TempDir) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trading"));
    for (key, _) in std::env::vars() {
        if key.starts_with("BACKPACK_") || key.starts_with("IBKR_") || key.starts_with("TRADING_") {
            command.env_remove(key);
        }
    }
    command
        .current_dir(&dir.0)
        .env("XDG_STATE_HOME", &dir.0)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|_| {
            panic!("not one JSON document: {:?} / {}", self.stdout, self.stderr)
        })
    }
}

fn run(command: &mut Command) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn ok(command: &mut Command) -> Ran {
    let ran = run(command);
    assert_eq!(ran.code, 0, "stdout {} stderr {}", ran.stdout, ran.stderr);
    ran
}

/// Checks `value` against the output schema of `tool`.
fn conforms(tool: &str, value: &Value) {
    let catalogue = TradingServer::catalogue();
    let schema = catalogue
        .iter()
        .find(|t| t.name == tool)
        .and_then(|t| t.output_schema.clone())
        .unwrap_or_else(|| panic!("{tool} has no output schema"));
    let schema = Value::Object(schema.as_ref().clone());
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{tool}: {errors:?}");
}

#[test]
fn help_is_stable() {
    let mut command = mcp_tools::cli::Cli::command();
    command.build();
    insta::assert_snapshot!("trading_help", command.render_long_help().to_string());
    for name in ["place", "quote", "healthcheck", "start-api"] {
        let sub = command.find_subcommand_mut(name).unwrap();
        insta::assert_snapshot!(
            format!("trading_{name}_help"),
            sub.render_long_help().to_string()
        );
    }
    let dir = TempDir::new();
    let usage = run(trading(&dir).args(["place", "--yes", "buy", "1", "SOL_USDC"]));
    assert_eq!(usage.code, 2, "--yes needs --token");
    assert!(usage.stderr.contains("--token"), "{}", usage.stderr);
    let bash = ok(trading(&dir).args(["completions", "bash"]));
    assert!(bash.stdout.contains("trading"));
}

#[test]
fn every_read_command_works_on_the_simulators_as_tables_and_json() {
    let dir = TempDir::new();
    let health = ok(trading(&dir).args(["--json", "healthcheck"])).json();
    assert_eq!(health["healthy"], true);
    let table = ok(trading(&dir).arg("healthcheck")).stdout;
    assert!(
        table.starts_with("VENUE") && table.contains("simulated"),
        "{table}"
    );

    let quotes = ok(trading(&dir).args(["--json", "quote", "AAPL", "MSFT", "SOL_USDC"])).json();
    conforms("ibkr_get_quote", &quotes["ibkr"]);
    conforms("backpack_get_ticker", &quotes["backpack"][0]);
    let table = ok(trading(&dir).args(["quote", "AAPL"])).stdout;
    assert!(table.contains("AAPL") && table.contains("BID"), "{table}");

    let bars = ok(trading(&dir).args(["--json", "bars", "AAPL", "--bar-size", "1 hour"])).json();
    conforms("ibkr_get_historical_data", &bars);
    let account = ok(trading(&dir).args(["--json", "account"])).json();
    conforms("backpack_get_balances", &account["backpack"]["balances"]);
    conforms("backpack_list_positions", &account["backpack"]["positions"]);
    conforms("ibkr_get_account_status", &account["ibkr"]["account"]);
    conforms("ibkr_get_pnl", &account["ibkr"]["pnl"]);
    let orders = ok(trading(&dir).args(["--json", "orders"])).json();
    conforms("backpack_list_orders", &orders["backpack"]);
    conforms("ibkr_get_order_status", &orders["ibkr"]);
    let table = ok(trading(&dir).args(["account", "--venue", "ibkr"])).stdout;
    assert!(table.contains("net_liquidation: 100000"), "{table}");
}

#[test]
fn orders_are_previewed_confirmed_and_journaled() {
    let dir = TempDir::new();
    // No terminal to ask on: nothing is sent.
    let unasked = run(trading(&dir).args(["place", "buy", "1", "SOL_USDC", "--limit", "150"]));
    assert_eq!(unasked.code, 1);
    assert!(
        unasked.stderr.contains("not_confirmed"),
        "{}",
        unasked.stderr
    );
    assert!(
        unasked.stderr.contains("order preview"),
        "the preview is shown: {}",
        unasked.stderr
    );

    // Preview in one process, place in another with its token.
    let order = ["buy", "1", "SOL_USDC", "--limit", "150"];
    let preview = ok(trading(&dir).args(["--json", "preview"]).args(order)).json();
    conforms("backpack_preview_order", &preview);
    let token = preview["confirmationToken"].as_str().unwrap().to_owned();
    let other = run(trading(&dir).args([
        "place", "--yes", "--token", &token, "buy", "2", "SOL_USDC", "--limit", "150",
    ]));
    assert_eq!(other.code, 1);
    assert!(other.stderr.contains("token_mismatch"), "{}", other.stderr);
    // A mismatch does not spend the token of the right order... it was taken: preview again.
    let preview = ok(trading(&dir).args(["--json", "preview"]).args(order)).json();
    let token = preview["confirmationToken"].as_str().unwrap().to_owned();
    let placed = ok(trading(&dir)
        .args(["--json", "place", "--yes", "--token", &token])
        .args(order))
    .json();
    conforms("backpack_create_order", &placed);
    assert_eq!(
        placed["order"]["clientId"], preview["order"]["clientId"],
        "sent exactly as previewed"
    );
    let again = run(trading(&dir)
        .args(["place", "--yes", "--token", &token])
        .args(order));
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("token_unknown"), "{}", again.stderr);

    // Where the venue asks the person, `--yes` does not stand in for them.
    let asks = |command: &mut Command| {
        command.env("TRADING_MCP_BACKPACK_CONFIRM", "ask");
    };
    let mut preview = trading(&dir);
    asks(&mut preview);
    let preview = ok(preview.args(["--json", "preview"]).args(order)).json();
    let token = preview["confirmationToken"].as_str().unwrap().to_owned();
    let mut place = trading(&dir);
    asks(&mut place);
    let unasked = run(place
        .args(["place", "--yes", "--token", &token])
        .args(order));
    assert_eq!(unasked.code, 1);
    assert!(
        unasked.stderr.contains("confirmation_required"),
        "{}",
        unasked.stderr
    );

    // IBKR, and a cancel the simulated gateway does not know (each command is a new
    // simulated market).
    let ibkr = ["buy", "2", "AAPL", "--limit", "150"];
    let preview = ok(trading(&dir).args(["--json", "preview"]).args(ibkr)).json();
    conforms("ibkr_preview_order", &preview);
    let token = preview["confirmationToken"].as_str().unwrap().to_owned();
    let placed = ok(trading(&dir)
        .args(["--json", "place", "--yes", "--token", &token])
        .args(ibkr))
    .json();
    conforms("ibkr_place_order", &placed);
    let unknown = run(trading(&dir).args(["--json", "cancel", "999"]));
    assert_eq!(unknown.code, 1);
    let error: Value = serde_json::from_str(unknown.stderr.trim()).unwrap();
    assert_eq!(error["error_code"], "not_found");
    assert!(unknown.stdout.is_empty(), "errors go to stderr");

    let journal = ok(trading(&dir).arg("journal")).stdout;
    let rows: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        rows.iter()
            .any(|r| r["tool"] == "backpack_create_order" && r["outcome"] == "accepted"),
        "{journal}"
    );
    assert!(
        rows.iter()
            .any(|r| r["tool"] == "ibkr_place_order" && r["outcome"] == "accepted"),
        "{journal}"
    );

    // Each command ran its own simulator: the replay rebuilds each one as recorded.
    let replayed = ok(trading(&dir).args(["journal", "replay"]));
    assert!(
        replayed.stdout.contains("All match."),
        "{}",
        replayed.stdout
    );
    let report = ok(trading(&dir).args(["--json", "journal", "replay"])).json();
    assert_eq!(report["all_match"], true, "{report}");
    assert!(report["matched"].as_u64().unwrap() >= 2, "{report}");
    assert!(report["refused"].as_u64().unwrap() >= 1, "{report}");
    let page = dir.0.join("report.html");
    ok(trading(&dir)
        .args(["journal", "report", "--out"])
        .arg(&page));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("Orders over time") && html.contains("backpack_create_order"));
    let missing = run(trading(&dir).args(["journal", "replay", "/nowhere/journal.db"]));
    assert_eq!(missing.code, 2, "{}", missing.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn against_a_gateway_healthcheck_quote_and_the_paper_demo_work_and_failures_say_why() {
    let gateway = FakeTws::start().await;
    let port = gateway.address().port().to_string();
    let dir = TempDir::new();
    let health =
        ok(trading(&dir).args(["--json", "--port", &port, "--venue", "ibkr", "healthcheck"]))
            .json();
    assert_eq!(health["venues"][0]["mode"], "paper");
    let quotes = ok(trading(&dir).args(["--json", "--port", &port, "quote", "AAPL"])).json();
    conforms("ibkr_get_quote", &quotes["ibkr"]);
    let demo = ok(trading(&dir).args(["--paper", "--port", &port, "demo"]));
    assert!(
        demo.stdout.contains("AAPL") && demo.stdout.contains("net_liquidation"),
        "{}",
        demo.stdout
    );
    assert!(
        demo.stderr.contains("subscription"),
        "names the market data it needs"
    );

    let started = std::time::Instant::now();
    let down = run(trading(&dir).args(["--port", "1", "--venue", "ibkr", "healthcheck"]));
    assert_eq!(down.code, 1, "unreachable: {} {}", down.stdout, down.stderr);
    let demo_down = run(trading(&dir).args(["--paper", "--port", "1", "demo"]));
    assert_eq!(demo_down.code, 1);
    assert!(
        demo_down
            .stderr
            .contains("no IB Gateway paper session answers"),
        "{}",
        demo_down.stderr
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "fails fast"
    );

    let bad = run(trading(&dir)
        .env("TRADING_MODE", "papr")
        .args(["--port", &port, "healthcheck"]));
    assert_eq!(bad.code, 2, "misconfigured: {}", bad.stderr);
    // Live against a paper account: refused at the connection, and said.
    let live =
        run(trading(&dir).args(["--live", "--port", &port, "--venue", "ibkr", "healthcheck"]));
    assert_eq!(live.code, 1, "{}", live.stderr);
    assert!(
        live.stdout.contains("is a paper account"),
        "{}",
        live.stdout
    );
    let live_demo = run(trading(&dir).args(["--live", "demo"]));
    assert_eq!(live_demo.code, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn against_the_exchange_reads_work_and_the_secret_never_shows() {
    let keys = KeyPair::from_seed(&[9u8; 32]);
    let secret = keys.api_secret();
    let exchange = FakeBackpack::builder().keys(keys).start().await;
    let dir = TempDir::new();
    let with_keys = |command: &mut Command| {
        command
            .env("BACKPACK_BASE_URL", exchange.uri())
            .env("BACKPACK_API_SECRET", &secret)
            .env("RUST_LOG", "debug");
    };
    let mut quote = trading(&dir);
    with_keys(&mut quote);
    let ran = ok(quote.args(["--json", "quote", "SOL_USDC"]));
    conforms("backpack_get_ticker", &ran.json()["backpack"][0]);
    let mut account = trading(&dir);
    with_keys(&mut account);
    let ran = ok(account.args(["--json", "--venue", "backpack", "account"]));
    conforms("backpack_get_balances", &ran.json()["backpack"]["balances"]);
    assert!(!ran.stdout.contains(&secret) && !ran.stderr.contains(&secret));
    let mut health = trading(&dir);
    with_keys(&mut health);
    let ran = ok(health.args(["--venue", "backpack", "healthcheck"]));
    assert!(
        ran.stdout.contains("live"),
        "a real exchange is live: {}",
        ran.stdout
    );
}

#[test]
fn start_api_prints_its_address_and_serves_with_the_key() {
    let dir = TempDir::new();
    let missing = run(trading(&dir).args(["start-api", "--bind", "127.0.0.1:0"]));
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(missing.stderr.contains("TRADING_API_KEY"));

    let key = "cli-test-api-key-123456";
    let log = dir.0.join("stderr.log");
    let mut child = trading(&dir)
        .env("TRADING_API_KEY", key)
        .env("RUST_LOG", "trace")
        .args(["start-api", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    let url = ready["url"].as_str().unwrap().to_owned();
    assert_eq!(ready["openapi"], json!(format!("{url}/openapi.json")));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (status, bodies) = runtime.block_on(async {
        let http = reqwest::Client::new();
        let health = http
            .get(format!("{url}/health"))
            .header("X-API-Key", key)
            .send()
            .await
            .unwrap();
        let status = health.status();
        let mut bodies = health.text().await.unwrap();
        for path in ["/ibkr/orders/-1/cancel", "/nowhere"] {
            let answer = http
                .post(format!("{url}{path}"))
                .header("X-API-Key", key)
                .send()
                .await
                .unwrap();
            bodies.push_str(&answer.text().await.unwrap());
        }
        (status, bodies)
    });
    // Ctrl-C, as a person stops it: the log writer writes out its last lines.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert_eq!(status, reqwest::StatusCode::OK);
    // The key never shows: not in answers, not in the logs at trace level.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("rest request"), "the requests were logged");
    assert!(!logged.contains(key) && !bodies.contains(key));
}

#[test]
fn the_example_env_file_is_safe_as_it_is_and_the_environment_wins_over_a_dot_env() {
    let dir = TempDir::new();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../.env.example");
    std::fs::copy(example, dir.0.join(".env")).unwrap();
    let health = ok(trading(&dir).args(["--json", "healthcheck"])).json();
    for venue in health["venues"].as_array().unwrap() {
        assert_eq!(venue["mode"], "simulated", "{venue}");
    }
    // A .env that switches orders off is read...
    std::fs::write(dir.0.join(".env"), "ORDERS_ENABLED=false\n").unwrap();
    let status = ok(trading(&dir).args(["--json", "healthcheck"])).json();
    assert_eq!(status["healthy"], true);
    let order = ["buy", "1", "SOL_USDC", "--limit", "150"];
    let preview = ok(trading(&dir).args(["--json", "preview"]).args(order)).json();
    let token = preview["confirmationToken"].as_str().unwrap().to_owned();
    let refused = run(trading(&dir)
        .args(["place", "--yes", "--token", &token])
        .args(order));
    assert!(
        refused.stderr.contains("orders_disabled"),
        "{}",
        refused.stderr
    );
    // ...and the environment wins over it.
    let preview = ok(trading(&dir).args(["--json", "preview"]).args(order)).json();
    let token = preview["confirmationToken"].as_str().unwrap().to_owned();
    ok(trading(&dir)
        .env("ORDERS_ENABLED", "true")
        .args(["place", "--yes", "--token", &token])
        .args(order));
    // A broken .env is an error, not ignored.
    std::fs::write(dir.0.join(".env"), "NOT A LINE\n").unwrap();
    let broken = run(trading(&dir).arg("healthcheck"));
    assert_eq!(broken.code, 2, "{}", broken.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn trading_mcp_serves_the_same_tools_over_stdio() {
    use rmcp::ServiceExt;
    let dir = TempDir::new();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_trading"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_STATE_HOME", &dir.0)
        .current_dir(&dir.0)
        .arg("mcp");
    let transport = rmcp::transport::TokioChildProcess::new(command).unwrap();
    let client = ().serve(transport).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), TradingServer::catalogue().len());
    let request = rmcp::model::CallToolRequestParams::new("status");
    let status = client.call_tool(request).await.unwrap();
    assert_eq!(
        status.structured_content.unwrap()["venues"][0]["mode"],
        "simulated"
    );
    client.cancel().await.unwrap();
}
