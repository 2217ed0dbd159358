//! `trading-mcp` through a real MCP client (rmcp's), in-process over a duplex pipe, against
//! the simulators. Every test has its own journal and kill-switch folder.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::new_without_default
)] // tests

mod backpack;
mod confirmation;
mod exposure;
mod http;
mod ibkr;
mod input;
mod outcomes;
mod paper;
mod replay;
mod rules;
mod safety;
mod tools_list;
mod watch;
mod watch_ibkr;

#[path = "../common/mod.rs"]
mod common;
pub use common::TempDir;

use std::sync::Arc;

use mcp_tools::demo::DemoClient;
use mcp_tools::safety::redact::Redactor;
use mcp_tools::{AppState, ServerConfig, TradingServer};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::Value;

/// A server and a client talking to it.
pub struct Harness<C: ClientHandler> {
    /// The MCP client.
    pub client: RunningService<RoleClient, C>,
    /// The server's state (venues, journal, kill switch).
    pub state: Arc<AppState>,
    /// The state folder.
    pub dir: TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl<C: ClientHandler> Drop for Harness<C> {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The simulated configuration with state files in `dir`, adjusted by `adjust`.
pub fn config(dir: &TempDir, adjust: impl FnOnce(&mut ServerConfig)) -> ServerConfig {
    let mut config = ServerConfig::simulated(&dir.0);
    adjust(&mut config);
    config
}

/// Starts a server with `config` and connects `client` to it.
pub async fn start_with<C: ClientHandler>(
    client: C,
    dir: TempDir,
    config: ServerConfig,
) -> Harness<C> {
    let state = AppState::new(config, Redactor::default());
    let server = TradingServer::new(Arc::clone(&state));
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = client.serve(client_io).await.unwrap();
    Harness {
        client,
        state,
        dir,
        server,
    }
}

/// A server with every tier on both simulators, and a client that cannot ask the person
/// (confirmation is the token alone).
pub async fn start() -> Harness<()> {
    start_adjusted(|_| {}).await
}

/// Like [`start`], with the configuration adjusted.
pub async fn start_adjusted(adjust: impl FnOnce(&mut ServerConfig)) -> Harness<()> {
    let dir = TempDir::new();
    let config = config(&dir, adjust);
    start_with((), dir, config).await
}

/// A server whose client asks the person, who says yes.
pub async fn start_confirming() -> Harness<DemoClient> {
    let dir = TempDir::new();
    let config = config(&dir, |_| {});
    start_with(DemoClient, dir, config).await
}

impl<C: ClientHandler> Harness<C> {
    /// Calls a tool.
    pub async fn call(&self, name: &str, arguments: Value) -> CallToolResult {
        let mut request = CallToolRequestParams::new(name.to_owned());
        if let Value::Object(map) = arguments {
            request = request.with_arguments(map);
        }
        self.client
            .call_tool(request)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// Calls a tool that must succeed; its structured content.
    pub async fn ok(&self, name: &str, arguments: Value) -> Value {
        let result = self.call(name, arguments).await;
        assert_ne!(
            result.is_error,
            Some(true),
            "{name} failed: {}",
            text(&result)
        );
        result
            .structured_content
            .unwrap_or_else(|| panic!("{name}: no structured content"))
    }

    /// Calls a tool that must fail; the message the model reads.
    pub async fn refused(&self, name: &str, arguments: Value) -> String {
        let result = self.call(name, arguments).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "{name} should have failed: {:?}",
            result.structured_content
        );
        text(&result)
    }

    /// Orders the Backpack simulator holds for the account, open or finished.
    pub async fn backpack_orders(&self) -> usize {
        let venue = self.state.backpack().await.unwrap();
        let fake = venue.simulator().unwrap();
        fake.order_history(fake.account()).len()
    }

    /// Order messages the IBKR simulator received.
    pub async fn ibkr_orders(&self) -> usize {
        let venue = self.state.ibkr().await.unwrap();
        venue
            .simulator()
            .unwrap()
            .count(testkit::tws::RequestKind::PlaceOrder)
    }

    /// The journal's rows, as `trading-mcp journal` prints them.
    pub fn journal(&self) -> Vec<Value> {
        self.state
            .journal
            .entries(&mcp_tools::safety::journal::Filter::default())
            .unwrap()
            .iter()
            .map(|entry| serde_json::to_value(entry).unwrap())
            .collect()
    }
}

/// The text content of a result.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A limit buy on SOL_USDC far under the market (it rests).
pub fn resting_buy(quantity: &str) -> Value {
    serde_json::json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": quantity, "price": "100", "timeInForce": "GTC" })
}

/// Previews `order` on Backpack and returns the preview.
pub async fn preview<C: ClientHandler>(h: &Harness<C>, order: Value) -> Value {
    h.ok(
        "backpack_preview_order",
        serde_json::json!({ "order": order }),
    )
    .await
}

/// Previews and places `order` on Backpack (the token path); the placed order.
pub async fn place<C: ClientHandler>(h: &Harness<C>, order: Value) -> Value {
    let preview = preview(h, order).await;
    h.ok(
        "backpack_create_order",
        serde_json::json!({ "order": preview["order"], "confirmationToken": preview["confirmationToken"] }),
    )
    .await
}

/// Previews and places an IBKR order or bracket (`{"order": ..}` / `{"bracket": ..}`).
pub async fn place_ibkr(h: &Harness<()>, what: Value) -> Value {
    let preview = h.ok("ibkr_preview_order", what.clone()).await;
    let mut args = what.as_object().unwrap().clone();
    args.insert(
        "confirmationToken".into(),
        preview["confirmationToken"].clone(),
    );
    h.ok("ibkr_place_order", Value::Object(args)).await
}
