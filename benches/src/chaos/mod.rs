//! The chaos run: thousands of random tool calls — valid and invalid orders of every shape,
//! cancels, stale, forged and reused tokens, bad input — through a real MCP client (rmcp's)
//! against `trading-mcp` with a fake Backpack (over HTTP, with faults: lost answers, 5xx
//! after processing, dropped connections, slow answers) and the IBKR gateway simulator
//! (errors after serving, dropped connections, gateway restarts). Then the journal is
//! reconciled against both venues.
//!
//! What must hold, and what the report counts: panics (0), orders on a venue without a
//! journal intent (0), orders sent twice (0), executed notional above a cap (0).

mod orders;
mod reconcile;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mcp_tools::config::ConfirmPolicy;
use mcp_tools::safety::redact::Redactor;
use mcp_tools::{AppState, BackpackConnection, ServerConfig, TradingServer};
use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};
use testkit::backpack::{FakeBackpack, Fault};
use testkit::tws::{RequestKind, TwsFault};

pub use reconcile::Reconciled;

/// Panics seen anywhere in the process since [`count_panics`] was installed.
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts every panic of the process (then runs the previous hook).
pub fn count_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
}

/// A small deterministic generator (SplitMix64): the same seed, the same run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with `percent` % probability.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[index.min(items.len().saturating_sub(1))]
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct ChaosConfig {
    /// Tool calls to make.
    pub calls: usize,
    /// The seed of the random choices.
    pub seed: u64,
    /// The per-order cap on both venues (USDC, USD).
    pub order_cap: Decimal,
    /// The daily cap on both venues.
    pub daily_cap: Decimal,
}

/// What happened.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChaosReport {
    /// Tool calls made.
    pub calls: usize,
    /// Calls that succeeded.
    pub ok: usize,
    /// Calls answered with a tool error (refusals, rejections, bad input, unknown outcomes).
    pub tool_errors: usize,
    /// Tool errors that said the outcome is unknown.
    pub outcome_unknown: usize,
    /// Calls whose JSON-RPC request failed (the server broke the session).
    pub transport_errors: usize,
    /// Panics anywhere in the process.
    pub panics: usize,
    /// Faults injected.
    pub faults: usize,
    /// Gateway restarts.
    pub restarts: usize,
    /// The most frequent tool errors (their first words, numbers removed), by count.
    pub error_kinds: std::collections::BTreeMap<String, usize>,
    /// The journal against the venues.
    pub reconciled: Reconciled,
    /// Wall time of the calls, in seconds.
    pub seconds: f64,
}

impl ChaosReport {
    /// Whether every promise held.
    pub fn holds(&self) -> bool {
        self.panics == 0 && self.transport_errors == 0 && self.reconciled.holds()
    }
}

/// A tool call's result, as the run sees it.
enum Answer {
    Ok(Value),
    ToolError,
    Transport,
}

struct Driver {
    client: RunningService<RoleClient, ()>,
    state: Arc<AppState>,
    exchange: FakeBackpack,
    rng: Rng,
    report: ChaosReport,
    tokens: Vec<(String, Value, Value)>,
}

impl Driver {
    async fn call(&mut self, name: &str, arguments: Value) -> Answer {
        self.report.calls += 1;
        let mut request = CallToolRequestParams::new(name.to_owned());
        if let Value::Object(map) = arguments {
            request = request.with_arguments(map);
        }
        match self.client.call_tool(request).await {
            Ok(result) if result.is_error == Some(true) => {
                self.report.tool_errors += 1;
                let text: String = result
                    .content
                    .iter()
                    .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                    .collect();
                if text.contains("OUTCOME UNKNOWN") {
                    self.report.outcome_unknown += 1;
                }
                let kind: String = text
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .take(60)
                    .collect();
                *self.report.error_kinds.entry(kind).or_default() += 1;
                Answer::ToolError
            }
            Ok(result) => {
                self.report.ok += 1;
                Answer::Ok(result.structured_content.unwrap_or(Value::Null))
            }
            // rmcp answers bad arguments with a JSON-RPC error: a tool error for the model.
            Err(rmcp::ServiceError::McpError(_)) => {
                self.report.tool_errors += 1;
                Answer::ToolError
            }
            Err(_) => {
                self.report.transport_errors += 1;
                Answer::Transport
            }
        }
    }

    async fn backpack_fault(&mut self) {
        let fault = match self.rng.below(5) {
            0 => Fault::DropAfterProcessing,
            1 => Fault::ErrorAfterProcessing { status: 502 },
            2 => Fault::ServerError { status: 500 },
            3 => Fault::Slow {
                delay: Duration::from_millis(30),
            },
            _ => Fault::DropBeforeProcessing,
        };
        self.exchange
            .inject(fault.on("POST", "/api/v1/order"))
            .await;
        self.report.faults += 1;
    }

    async fn ibkr_fault(&mut self) {
        let Ok(venue) = self.state.ibkr().await else {
            return;
        };
        let Some(gateway) = venue.simulator() else {
            return;
        };
        let fault = if self.rng.chance(80) {
            TwsFault::ErrorAfterProcessing {
                code: 201,
                message: "Order rejected - reason:chaos after the acknowledgement".into(),
            }
            .on(RequestKind::PlaceOrder)
        } else {
            TwsFault::DropAfterProcessing.on(RequestKind::PlaceOrder)
        };
        gateway.inject(fault).await;
        self.report.faults += 1;
    }

    /// Preview, maybe a fault, then create (sometimes altered, sometimes reused).
    async fn order_flow(&mut self, backpack: bool) {
        let (preview_tool, create_tool, order) = if backpack {
            (
                "backpack_preview_order",
                "backpack_create_order",
                orders::backpack(&mut self.rng),
            )
        } else {
            (
                "ibkr_preview_order",
                "ibkr_place_order",
                orders::ibkr(&mut self.rng),
            )
        };
        let Answer::Ok(preview) = self.call(preview_tool, order.clone()).await else {
            return;
        };
        let token = preview["confirmationToken"].clone();
        let mut args = if backpack {
            json!({ "order": preview["order"], "confirmationToken": token })
        } else {
            let mut args = order.clone();
            args["confirmationToken"] = token.clone();
            args
        };
        if self.rng.chance(8) {
            // Altered after the preview: the token must refuse it.
            if backpack {
                args["order"]["quantity"] = json!("999");
            } else if let Some(order) = args.get_mut("order") {
                order["quantity"] = json!("999");
            }
        }
        if self.rng.chance(25) {
            if backpack {
                self.backpack_fault().await;
            } else {
                self.ibkr_fault().await;
            }
        }
        self.call(create_tool, args.clone()).await;
        if self.rng.chance(10) {
            // Reused: the token is spent.
            self.call(create_tool, args.clone()).await;
        }
        if self.rng.chance(5) {
            self.tokens.push((create_tool.to_owned(), args, token));
        }
    }

    async fn stale_token(&mut self) {
        if let Some((tool, args, _)) = self.tokens.pop() {
            self.call(&tool, args).await;
        } else {
            let forged = json!({ "order": orders::backpack(&mut self.rng)["order"], "confirmationToken": format!("ct_{:032x}", self.rng.next_u64()) });
            self.call("backpack_create_order", forged).await;
        }
    }

    async fn cancel(&mut self) {
        match self.rng.below(3) {
            0 => {
                self.call(
                    "backpack_cancel_all_orders",
                    json!({ "symbol": "SOL_USDC" }),
                )
                .await;
            }
            1 => {
                let id = self.rng.below(5_000).to_string();
                self.call(
                    "backpack_cancel_order",
                    json!({ "symbol": "SOL_USDC", "orderId": id }),
                )
                .await;
            }
            _ => {
                let ids: Vec<u64> = (0..1 + self.rng.below(3))
                    .map(|_| 1 + self.rng.below(60))
                    .collect();
                self.call("ibkr_cancel_order", json!({ "orderIds": ids }))
                    .await;
            }
        }
    }

    async fn read(&mut self) {
        let reads = [
            ("status", json!({})),
            ("backpack_list_orders", json!({})),
            ("backpack_get_ticker", json!({ "symbol": "SOL_USDC" })),
            ("ibkr_get_order_status", json!({})),
            (
                "ibkr_get_quote",
                json!({ "contracts": [{ "symbol": "AAPL", "sec_type": "STK" }] }),
            ),
        ];
        let (tool, args) = self.rng.pick(&reads).clone();
        self.call(tool, args).await;
    }

    async fn restart_gateway(&mut self) {
        if let Ok(venue) = self.state.ibkr().await
            && let Some(gateway) = venue.simulator()
        {
            gateway.disconnect_all();
            self.report.restarts += 1;
        }
    }

    async fn step(&mut self) {
        match self.rng.below(100) {
            0..30 => self.order_flow(true).await,
            30..55 => self.order_flow(false).await,
            55..65 => {
                let (tool, args) = orders::junk(&mut self.rng);
                self.call(&tool, args).await;
            }
            65..75 => self.cancel().await,
            75..83 => self.stale_token().await,
            83..99 => self.read().await,
            _ => self.restart_gateway().await,
        }
    }
}

/// Runs the chaos (see the module docs) and reconciles.
///
/// # Errors
/// When the server or the fakes cannot start.
pub async fn run(config: &ChaosConfig) -> anyhow::Result<ChaosReport> {
    let dir = std::env::temp_dir().join(format!(
        "trading-chaos-{}-{}",
        std::process::id(),
        config.seed
    ));
    std::fs::create_dir_all(&dir)?;
    // Private, as the journal requires, whatever the umask.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    let exchange = FakeBackpack::builder()
        .balances([("USDC", "1000000"), ("SOL", "5000"), ("BTC", "10")])
        .start()
        .await;
    let mut server_config = ServerConfig::simulated(&dir);
    server_config.backpack_connection =
        BackpackConnection::Exchange(Box::new(exchange.client_builder()));
    for venue in [&mut server_config.backpack, &mut server_config.ibkr] {
        venue.confirm = ConfirmPolicy::Token;
        venue.caps.max_order_notional = Some(config.order_cap);
        venue.caps.max_daily_notional = Some(config.daily_cap);
    }
    let state = AppState::new(server_config, Redactor::default());
    let server = TradingServer::new(Arc::clone(&state));
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let serving = tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = ().serve(client_io).await?;
    let panics_before = PANICS.load(Ordering::SeqCst);
    let mut driver = Driver {
        client,
        state: Arc::clone(&state),
        exchange,
        rng: Rng::new(config.seed),
        report: ChaosReport {
            calls: 0,
            ok: 0,
            tool_errors: 0,
            outcome_unknown: 0,
            transport_errors: 0,
            panics: 0,
            faults: 0,
            restarts: 0,
            error_kinds: std::collections::BTreeMap::new(),
            reconciled: Reconciled::default(),
            seconds: 0.0,
        },
        tokens: Vec::new(),
    };
    let started = Instant::now();
    while driver.report.calls < config.calls {
        driver.step().await;
    }
    driver.report.seconds = started.elapsed().as_secs_f64();
    // Keep the report short: the twenty most frequent kinds.
    let mut kinds: Vec<(String, usize)> = std::mem::take(&mut driver.report.error_kinds)
        .into_iter()
        .collect();
    kinds.sort_by_key(|kind| std::cmp::Reverse(kind.1));
    driver.report.error_kinds = kinds.into_iter().take(20).collect();
    driver.report.panics = PANICS.load(Ordering::SeqCst) - panics_before;
    driver.report.reconciled =
        reconcile::reconcile(&state, &driver.exchange, config.order_cap, config.daily_cap).await?;
    let report = driver.report.clone();
    let _ = driver.client.cancel().await;
    serving.abort();
    drop(state);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}
