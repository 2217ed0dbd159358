//! `trading-mcp demo`: a scripted session through a real MCP client, in-process, against the
//! simulators. It lists markets, previews an order, is asked to confirm (the demo client
//! answers yes, as a person would), places it, watches it fill, cancels another order, and
//! shows balances and positions; then the same on the IBKR simulator. Every call and a
//! summary of its result are printed.

use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, Implementation,
};
use rmcp::service::{RequestContext, RunningService};
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::config::ServerConfig;
use crate::safety::redact::Redactor;
use crate::server::TradingServer;
use crate::state::AppState;

/// How much faster than real time the demo's Backpack market moves: fast enough that a bid
/// just under the market usually fills within seconds, slow enough that the market does not
/// run away between reading the book and placing the order.
const SIMULATOR_SPEED: u64 = 100;

/// The demo market's seed: its SOL price path holds for the first seconds, then dips enough
/// that a bid just under the market fills about a second later. The walk is otherwise the
/// simulator's honest random walk.
const SIMULATOR_SEED: u64 = 11;

/// A client that can ask "the person": it prints the question and answers yes.
#[derive(Debug, Clone, Default)]
pub struct DemoClient;

impl ClientHandler for DemoClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("trading-mcp-demo", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            say("    ? the server asks the person:");
            for line in message.lines() {
                say(&format!("      | {line}"));
            }
            say("    ! the person answers: yes");
        }
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": true })))
    }
}

#[allow(clippy::print_stdout)] // the demo's output is its purpose
fn say(line: &str) {
    println!("{line}");
}

/// The status of a `backpack_get_order` answer, open or finished.
fn order_status(found: &Value) -> String {
    if found.get("open").is_some() {
        field(found, &["open", "status"])
    } else {
        field(found, &["finished", "status"])
    }
}

/// A field of a JSON value as text (`-` when absent).
fn field(value: &Value, path: &[&str]) -> String {
    let mut current = value;
    for key in path {
        match current.get(*key) {
            Some(next) => current = next,
            None => return "-".into(),
        }
    }
    match current {
        Value::String(text) => text.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

struct Session {
    client: RunningService<RoleClient, DemoClient>,
    step: usize,
}

impl Session {
    /// Calls a tool, printing the call; returns its structured result.
    async fn call(&mut self, name: &str, arguments: Value) -> anyhow::Result<Value> {
        self.step += 1;
        let shown = if arguments.as_object().is_some_and(|o| o.is_empty()) {
            String::new()
        } else {
            format!(" {arguments}")
        };
        say(&format!("\n[{}] {name}{shown}", self.step));
        self.call_quietly(name, arguments).await
    }

    /// Previews a Backpack order and places it with the preview's token, printing what the
    /// preview found and the order's state; returns the preview and the placed order.
    async fn preview_and_place(&mut self, order: Value) -> anyhow::Result<(Value, Value)> {
        let preview = self
            .call("backpack_preview_order", json!({ "order": order }))
            .await?;
        let price = match field(&preview, &["order", "price"]).as_str() {
            "-" => "market".to_owned(),
            price => price.to_owned(),
        };
        say(&format!(
            "    as sent: {} @ {price} (clientId {}), can execute for up to {} {}, fee {}",
            field(&preview, &["order", "quantity"]),
            field(&preview, &["order", "clientId"]),
            field(&preview, &["exposure", "value"]),
            field(&preview, &["exposure", "currency"]),
            field(&preview, &["estimatedFee"])
        ));
        for (kind, key) in [("rounded", "adjustments"), ("warning", "warnings")] {
            for line in preview[key].as_array().into_iter().flatten() {
                say(&format!(
                    "    {kind}: {}",
                    line.as_str().unwrap_or_default()
                ));
            }
        }
        let placed = self
            .call(
                "backpack_create_order",
                json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
            )
            .await?;
        say(&format!(
            "    order {}: {}, executed {}",
            field(&placed, &["order", "id"]),
            field(&placed, &["order", "status"]),
            field(&placed, &["order", "executedQuantity"])
        ));
        Ok((preview, placed))
    }

    /// Calls a tool without printing the call (for polling); a refusal is still printed.
    async fn call_quietly(&mut self, name: &str, arguments: Value) -> anyhow::Result<Value> {
        let mut request = CallToolRequestParams::new(name.to_owned());
        if let Value::Object(map) = arguments {
            request = request.with_arguments(map);
        }
        let result = self.client.call_tool(request).await?;
        let text = result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect::<Vec<_>>()
            .join(" ");
        if result.is_error == Some(true) {
            say(&format!("    refused: {text}"));
            anyhow::bail!("{name} failed: {text}");
        }
        Ok(result.structured_content.unwrap_or(Value::Null))
    }
}

/// Runs the demo, printing to stdout; `watch_for` is how long the first order is watched for
/// a fill before it is cancelled. State files go to a temporary folder.
///
/// # Errors
/// When a step fails (which the demo then prints).
pub async fn run(watch_for: Duration) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("trading-mcp-demo-{}", std::process::id()));
    let mut config = ServerConfig::simulated(&dir);
    config.simulator_speed = SIMULATOR_SPEED;
    config.simulator_seed = SIMULATOR_SEED;
    let state = AppState::new(config, Redactor::default());
    let server = TradingServer::new(state);
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let serving = tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = DemoClient.serve(client_io).await?;
    say(
        "trading-mcp demo: a real MCP client talking to the server in-process, both venues simulated",
    );
    say(&format!(
        "(the Backpack simulator runs {SIMULATOR_SPEED}x faster than real time)"
    ));
    let mut session = Session { client, step: 0 };
    let result = script(&mut session, watch_for).await;
    let _ = session.client.cancel().await;
    serving.abort();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn script(s: &mut Session, watch_for: Duration) -> anyhow::Result<()> {
    let tools = s.client.list_all_tools().await?;
    say(&format!("\ntools/list: {} tools", tools.len()));

    let status = s.call("status", json!({})).await?;
    for venue in status["venues"].as_array().into_iter().flatten() {
        say(&format!(
            "    {}: {}, healthy {}",
            field(venue, &["venue"]),
            field(venue, &["mode"]),
            field(venue, &["health", "healthy"])
        ));
    }

    let markets = s.call("backpack_get_markets", json!({})).await?;
    for market in markets["items"].as_array().into_iter().flatten() {
        say(&format!(
            "    {:<14} tick {:<6} step {}",
            field(market, &["symbol"]),
            field(market, &["filters", "price", "tickSize"]),
            field(market, &["filters", "quantity", "stepSize"])
        ));
    }

    let depth = s
        .call(
            "backpack_get_depth",
            json!({ "symbol": "SOL_USDC", "levels": 3 }),
        )
        .await?;
    let best_bid = field(&depth, &["bids"]);
    say(&format!(
        "    bids {best_bid}, asks {}",
        field(&depth, &["asks"])
    ));
    let bid: Decimal = depth["bids"][0][0]
        .as_str()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("the simulated book has no bid: {depth}"))?;
    // Just under the bid, with more decimals than the tick allows; and 10% under it.
    let near = (bid * Decimal::new(999, 3)).round_dp(4).to_string();
    let far = (bid * Decimal::new(9, 1)).round_dp(2).to_string();

    // A limit buy just under the market, asked with too many decimals.
    let order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1.2345", "price": near, "timeInForce": "GTC" });
    let (_, placed) = s.preview_and_place(order).await?;
    let order_id = field(&placed, &["order", "id"]);

    say("\n    watching the order while the simulated market moves (checked every 250 ms)...");
    let arguments = json!({ "symbol": "SOL_USDC", "orderId": order_id });
    let found = s.call("backpack_get_order", arguments.clone()).await?;
    let mut last = order_status(&found);
    say(&format!("    status {last}"));
    let started = Instant::now();
    while !matches!(last.as_str(), "Filled" | "Cancelled" | "Expired") {
        if started.elapsed() > watch_for {
            say(&format!(
                "    still open after {} s: the market went the other way; cancelling it",
                watch_for.as_secs()
            ));
            s.call("backpack_cancel_order", arguments.clone()).await?;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        let found = s
            .call_quietly("backpack_get_order", arguments.clone())
            .await?;
        let status = order_status(&found);
        if status != last {
            say(&format!(
                "    status {status} after {:.1} s",
                started.elapsed().as_secs_f32()
            ));
            last = status;
        }
    }

    let far_order = json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": "1", "price": far });
    let (preview, resting) = s.preview_and_place(far_order).await?;
    let resting_id = field(&resting, &["order", "id"]);
    let cancelled = s
        .call(
            "backpack_cancel_order",
            json!({ "symbol": "SOL_USDC", "orderId": resting_id }),
        )
        .await?;
    say(&format!(
        "    order {resting_id}: {}",
        field(&cancelled["orders"]["items"][0], &["status"])
    ));

    say("\n    (the same confirmation token again: the server must refuse it)");
    let reused = s
        .call(
            "backpack_create_order",
            json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
        )
        .await;
    if reused.is_ok() {
        anyhow::bail!("a used confirmation token was accepted");
    }

    let perp =
        json!({ "symbol": "SOL_USDC_PERP", "side": "Bid", "orderType": "Market", "quantity": "2" });
    s.preview_and_place(perp).await?;

    let balances = s.call("backpack_get_balances", json!({})).await?;
    for row in balances["items"].as_array().into_iter().flatten() {
        say(&format!(
            "    {:<6} available {:<16} locked {:<10} total {}",
            field(row, &["asset"]),
            field(row, &["available"]),
            field(row, &["locked"]),
            field(row, &["total"])
        ));
    }
    let positions = s.call("backpack_list_positions", json!({})).await?;
    for row in positions["items"].as_array().into_iter().flatten() {
        say(&format!(
            "    {} {} @ {} (mark {}, uPnL {})",
            field(row, &["symbol"]),
            field(row, &["netQuantity"]),
            field(row, &["entryPrice"]),
            field(row, &["markPrice"]),
            field(row, &["pnlUnrealized"])
        ));
    }

    let quotes = s.call("ibkr_get_quote", json!({ "contracts": [{ "symbol": "AAPL", "sec_type": "STK" }, { "symbol": "ES", "sec_type": "FUT" }] })).await?;
    for item in quotes["items"].as_array().into_iter().flatten() {
        say(&format!(
            "    {:<10} bid {} ask {} last {} ({})",
            field(item, &["quote", "contract"]),
            field(item, &["quote", "bid"]),
            field(item, &["quote", "ask"]),
            field(item, &["quote", "last"]),
            field(item, &["quote", "source"])
        ));
    }
    let bracket = json!({
        "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": "10",
        "entry": { "type": "limit", "price": "189.45" }, "take_profit": "195", "stop_loss": "185"
    });
    let preview = s
        .call("ibkr_preview_order", json!({ "bracket": bracket }))
        .await?;
    say(&format!(
        "    value {}, commission {}, initial margin change {}",
        field(&preview, &["preview", "notional"]),
        field(&preview, &["preview", "commission"]),
        field(&preview, &["preview", "initial_margin_change"])
    ));
    let placed = s
        .call(
            "ibkr_place_order",
            json!({ "bracket": bracket, "confirmationToken": preview["confirmationToken"] }),
        )
        .await?;
    let ids: Vec<Value> = placed["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["order_id"].clone())
        .collect();
    for order in placed["orders"].as_array().into_iter().flatten() {
        say(&format!(
            "    order {} {} {}",
            field(order, &["order_id"]),
            field(order, &["order_type"]),
            field(order, &["status"])
        ));
    }
    let cancelled = s
        .call("ibkr_cancel_order", json!({ "orderIds": ids }))
        .await?;
    for item in cancelled["orders"]["items"]
        .as_array()
        .into_iter()
        .flatten()
    {
        say(&format!(
            "    order {} {}",
            field(item, &["orderId"]),
            field(item, &["report", "status"])
        ));
    }
    let account = s.call("ibkr_get_account_status", json!({})).await?;
    say(&format!(
        "    {} net liquidation {} {}, buying power {}",
        field(&account, &["summary", "account"]),
        field(&account, &["summary", "net_liquidation"]),
        field(&account, &["summary", "currency"]),
        field(&account, &["summary", "buying_power"])
    ));
    say(
        "\ndone: every order above was previewed, confirmed and journaled; nothing left this machine.",
    );
    Ok(())
}
