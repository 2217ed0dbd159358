//! The in-process door the REST API and the `trading` CLI go through.
//!
//! They are MCP clients of the same [`TradingServer`], connected by in-memory channels
//! (typed messages, no JSON on the way): every call is a `tools/call` that meets exactly
//! the rules an MCP client meets — the tiers that list the tool, the preview's single-use
//! token, the confirmation, the caps, the kill switch and the journal. A front door cannot
//! reach anything an MCP client could not, because it has no other way in.
//!
//! Whether the person can be asked is the client handler's to say: the REST API's cannot
//! (it declares no elicitation, so a venue whose policy is `ask` refuses its orders with
//! `confirmation_required`), the CLI's asks on the terminal.

use futures::channel::mpsc;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ClientJsonRpcMessage, Implementation,
    ServerJsonRpcMessage, Tool,
};
use rmcp::service::{RunningService, ServiceError};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::error::{ErrorCode, ToolError, code_of, text_of};
use crate::server::TradingServer;

/// How many messages wait in each direction before a sender waits.
const CHANNEL_DEPTH: usize = 256;

/// A client handler for a door that cannot ask the person (it declares no elicitation).
pub fn unattended(name: &str) -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new(name.to_owned(), env!("CARGO_PKG_VERSION")),
    )
}

/// An MCP client of an in-process [`TradingServer`].
#[derive(Debug)]
pub struct LocalClient<H: ClientHandler> {
    client: RunningService<RoleClient, H>,
    serving: JoinHandle<()>,
}

impl<H: ClientHandler> LocalClient<H> {
    /// Starts `server` and connects `handler` to it.
    ///
    /// # Errors
    /// When the MCP session cannot start (it always can in-process, unless the server
    /// refuses the client).
    pub async fn start(server: TradingServer, handler: H) -> Result<Self, ToolError> {
        let (to_server, from_client) = mpsc::channel::<ClientJsonRpcMessage>(CHANNEL_DEPTH);
        let (to_client, from_server) = mpsc::channel::<ServerJsonRpcMessage>(CHANNEL_DEPTH);
        let serving = tokio::spawn(async move {
            match server.serve((to_client, from_client)).await {
                Ok(running) => {
                    let _ = running.waiting().await;
                }
                Err(error) => tracing::error!(%error, "the in-process MCP session did not start"),
            }
        });
        let client = handler
            .serve((to_server, from_server))
            .await
            .map_err(|error| {
                ToolError::new(
                    ErrorCode::Internal,
                    format!("the in-process MCP session did not start: {error}"),
                )
            })?;
        Ok(Self { client, serving })
    }

    /// Calls `tool` with `arguments` (an object): its structured result, or its error with
    /// the code every front door reports.
    ///
    /// # Errors
    /// The tool's error (its code from the result), a tool this configuration does not list
    /// (`tool_disabled`), arguments that are not an object (`invalid_input`).
    pub async fn call(&self, tool: &str, arguments: Value) -> Result<Value, ToolError> {
        let Value::Object(arguments) = arguments else {
            return Err(ToolError::invalid("the arguments must be a JSON object"));
        };
        let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        let result = self
            .client
            .call_tool(request)
            .await
            .map_err(|error| service_error(tool, error))?;
        if let Some(code) = code_of(&result) {
            return Err(ToolError::new(code, text_of(&result)));
        }
        let mut result = result;
        Ok(match result.structured_content.take() {
            Some(value) => value,
            None => Value::String(text_of(&result)),
        })
    }

    /// The tools this configuration lists.
    ///
    /// # Errors
    /// When the session is gone.
    pub async fn tools(&self) -> Result<Vec<Tool>, ToolError> {
        self.client
            .list_all_tools()
            .await
            .map_err(|error| service_error("tools/list", error))
    }
}

impl<H: ClientHandler> Drop for LocalClient<H> {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

/// A protocol-level failure as a coded error. rmcp answers a tool the configuration does
/// not list with "tool not found" (invalid params).
fn service_error(tool: &str, error: ServiceError) -> ToolError {
    match error {
        ServiceError::McpError(data) if data.message.contains("tool not found") => ToolError::new(
            ErrorCode::ToolDisabled,
            format!(
                "{tool} is not enabled on this server (its tier is off, see TRADING_MCP_*_TIERS)"
            ),
        ),
        ServiceError::McpError(data) if data.code == rmcp::model::ErrorCode::INVALID_PARAMS => {
            ToolError::invalid(data.message.to_string())
        }
        ServiceError::Timeout { .. } => ToolError::new(
            ErrorCode::Timeout,
            format!("{tool} did not answer in time; a write may have been sent: look it up"),
        ),
        other => ToolError::new(
            ErrorCode::Internal,
            format!("{tool} could not be called: {other}"),
        ),
    }
}
