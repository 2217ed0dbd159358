//! A command's session: the configuration (environment, `.env`, and the global options),
//! the server, and the in-process client that asks the person on the terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::model::{
    ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    Implementation,
};
use rmcp::service::RequestContext;
use rmcp::{ClientHandler, ErrorData, RoleClient};
use serde_json::{Value, json};

use super::{Failure, Global};
use crate::config::ServerConfig;
use crate::error::ToolError;
use crate::front::LocalClient;
use crate::server::TradingServer;
use crate::state::AppState;

/// The configuration: the environment (after `.env`), with the global options on top.
pub(super) fn config(global: &Global) -> Result<ServerConfig, Failure> {
    let mut overrides: Vec<(&str, String)> = Vec::new();
    if let Some(host) = &global.host {
        overrides.push(("IBKR_GATEWAY_HOST", host.clone()));
    }
    if let Some(port) = global.port {
        overrides.push(("IBKR_GATEWAY_PORT", port.to_string()));
    }
    let mode = if global.paper {
        Some("paper")
    } else if global.live {
        Some("live")
    } else {
        None
    };
    if let Some(mode) = mode {
        overrides.push(("TRADING_MODE", mode.to_owned()));
        let gateway_named = global.host.is_some()
            || global.port.is_some()
            || set("IBKR_GATEWAY_HOST")
            || set("IBKR_GATEWAY_PORT");
        if !gateway_named {
            // --paper and --live mean a real gateway: the one on this machine.
            overrides.push(("IBKR_GATEWAY_HOST", "127.0.0.1".to_owned()));
        }
    }
    ServerConfig::from_lookup(|name| {
        overrides
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| std::env::var(name).ok())
    })
    .map_err(Failure::config)
}

fn set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// Whether the person already said yes, on this terminal, to the order about to be placed.
#[derive(Debug, Clone, Default)]
pub(super) struct Approval(Arc<Mutex<bool>>);

impl Approval {
    /// The person said yes to the order shown (used once).
    pub(super) fn grant(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = true;
    }

    fn take(&self) -> bool {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Asks the person on the terminal (stderr and stdin), unless they already said yes to this
/// order in this command. Without a terminal the answer is no.
///
/// A command given `--yes` declares that it cannot ask: the server then treats it as any
/// client that cannot ask (the REST API's case), so a venue whose policy is `ask` refuses
/// its orders, and `--yes` stands for the person only where the token is allowed to.
#[derive(Debug, Clone, Default)]
pub(super) struct Terminal {
    approval: Approval,
    unattended: bool,
}

/// Writes to stderr (prompts and questions; stdout carries results).
#[allow(clippy::print_stderr)]
pub(super) fn tell(text: &str) {
    eprintln!("{text}");
}

/// Asks a yes/no question on the terminal; no terminal or anything but y/yes is no.
pub(super) fn ask_yes(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        tell("(no terminal to answer on: the answer is no)");
        return false;
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question} [y/N] ");
    let _ = stderr.flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

impl ClientHandler for Terminal {
    fn get_info(&self) -> ClientConfig {
        let capabilities = if self.unattended {
            ClientCapabilities::default()
        } else {
            ClientCapabilities::builder().enable_elicitation().build()
        };
        ClientConfig::new(
            capabilities,
            Implementation::new("trading-cli", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let message = match &request {
            ElicitRequestParams::FormElicitationParams { message, .. } => message.clone(),
            _ => String::new(),
        };
        tell("The server asks:");
        for line in message.lines() {
            tell(&format!("  | {line}"));
        }
        let yes = if self.approval.take() {
            tell("  (yes: confirmed on this command line)");
            true
        } else {
            ask_yes("Send this order?")
        };
        Ok(if yes {
            ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": true }))
        } else {
            ElicitResult::new(ElicitationAction::Decline)
        })
    }
}

/// A command's server and client.
pub(super) struct Session {
    client: LocalClient<Terminal>,
    /// The server's state (journal, tokens, configuration).
    pub(super) state: Arc<AppState>,
    /// What the person approved on the terminal.
    pub(super) approval: Approval,
}

impl Session {
    /// Starts the server for `config` and connects the terminal client; `unattended`
    /// (`--yes`) declares that the person cannot be asked.
    pub(super) async fn open(config: ServerConfig, unattended: bool) -> Result<Self, Failure> {
        let state = AppState::new(config, crate::serve::redactor());
        let terminal = Terminal {
            approval: Approval::default(),
            unattended,
        };
        let approval = terminal.approval.clone();
        let client = LocalClient::start(
            TradingServer::new(Arc::clone(&state)).at(crate::observe::Door::Cli),
            terminal,
        )
        .await?;
        Ok(Self {
            client,
            state,
            approval,
        })
    }

    /// Calls a tool.
    pub(super) async fn call(&self, tool: &str, arguments: Value) -> Result<Value, ToolError> {
        self.client.call(tool, arguments).await
    }
}
