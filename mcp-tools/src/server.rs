//! The MCP server: which tools exist (chosen by the configuration), their schemas (rewritten
//! for every client, see [`schema`](crate::schema)), the `trading-assistant` prompt.

use std::sync::{Arc, OnceLock};

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    Implementation, PromptMessage, Role, ServerCapabilities, ServerConfig as McpServerConfig,
};
use rmcp::{ServerHandler, prompt, prompt_handler, prompt_router, tool_handler};

use crate::config::{Tiers, Venue};
use crate::observe::{Door, observed};
use crate::schema::simplify_schema;
use crate::state::AppState;

/// What the server tells every client it is for.
const INSTRUCTIONS: &str = "Trading tools for Backpack Exchange (crypto) and Interactive Brokers (stocks, futures, options). \
Call `status` first: it says which venues are simulated, paper or live. To trade, call the venue's preview tool, \
show the preview to the person, and place the order with its confirmation token only after they say yes.";

/// The rules the `trading-assistant` prompt gives an assistant.
pub const ASSISTANT_RULES: &str = "You help a person trade through these tools. Rules:
1. Start with `status`: tell the person whether each venue is simulated, paper or live before anything else.
2. Never place an order the person did not ask for. If a request is ambiguous (no quantity, no price for a limit order, \"buy some\", unclear symbol), ask; do not guess.
3. Every order goes through the preview tool first (backpack_preview_order, ibkr_preview_order). Show the person the preview: the order as it will be sent, its value, fees, the warnings and what the caps leave.
4. Place it (backpack_create_order, ibkr_place_order) only after the person explicitly says yes to that preview, passing the order exactly as previewed and its confirmation token. If they change anything, preview again. If they say no or never mind, place nothing.
5. If a result says the outcome is unknown, do not send the order again: look it up (backpack_get_order, ibkr_get_order_status) and tell the person what you found.
6. Report refusals (caps, kill switch, venue rejections) as they are; never try to work around a limit.
7. Quantities and prices are decimals: send them as strings such as \"0.5\" or \"150.25\".";

/// The MCP server.
#[derive(Clone)]
pub struct TradingServer {
    pub(crate) state: Arc<AppState>,
    /// Built on first use: `initialize` does not need the tools, and deriving and simplifying
    /// 23 tools' schemas is most of a cold start. Shared by every clone (HTTP sessions).
    tool_router: Arc<OnceLock<ToolRouter<Self>>>,
    prompt_router: PromptRouter<Self>,
    /// The front door its calls come through (their events and metrics say it).
    door: Door,
}

impl std::fmt::Debug for TradingServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TradingServer")
            .field("tools", &self.routes().list_all().len())
            .finish_non_exhaustive()
    }
}

impl TradingServer {
    /// The server with the tools its configuration allows.
    pub fn new(state: Arc<AppState>) -> Self {
        Self {
            state,
            tool_router: Arc::new(OnceLock::new()),
            prompt_router: Self::prompt_router(),
            door: Door::Library,
        }
    }

    /// The same server, its calls counted as coming through `door`.
    #[must_use]
    pub fn at(mut self, door: Door) -> Self {
        self.door = door;
        self
    }

    /// The tools, built the first time they are needed.
    fn routes(&self) -> &ToolRouter<Self> {
        self.tool_router.get_or_init(|| {
            let config = &self.state.config;
            Self::build_routes(
                config.venue(Venue::Backpack).tiers,
                config.venue(Venue::Ibkr).tiers,
            )
        })
    }

    /// Every tool this server can serve, whatever the configuration switches on, with the
    /// schemas clients see (the REST API's OpenAPI document is generated from them).
    pub fn catalogue() -> Vec<rmcp::model::Tool> {
        Self::build_routes(Tiers::ALL, Tiers::ALL).list_all()
    }

    /// The tools the venues' tiers allow, with their schemas simplified.
    fn build_routes(backpack: Tiers, ibkr: Tiers) -> ToolRouter<Self> {
        let mut router = Self::status_router();
        if backpack.market {
            router += Self::backpack_market_router();
        }
        if backpack.account {
            router += Self::backpack_account_router();
        }
        if backpack.trading {
            router += Self::backpack_trading_router();
        }
        if backpack.market || backpack.account || ibkr.market || ibkr.account {
            router += Self::watch_router();
        }
        if ibkr.market {
            router += Self::ibkr_market_router();
        }
        if ibkr.account {
            router += Self::ibkr_account_router();
        }
        if ibkr.trading {
            router += Self::ibkr_trading_router();
        }
        for route in router.map.values_mut() {
            let mut input = route.attr.input_schema.as_ref().clone();
            simplify_schema(&mut input, false);
            route.attr.input_schema = Arc::new(input);
            if let Some(output) = &route.attr.output_schema {
                let mut output = output.as_ref().clone();
                simplify_schema(&mut output, true);
                route.attr.output_schema = Some(Arc::new(output));
            }
        }
        router
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Every tool this server lists.
    pub fn tools(&self) -> Vec<rmcp::model::Tool> {
        self.routes().list_all()
    }
}

#[prompt_router]
#[allow(missing_docs)] // the macro adds a generated accessor
impl TradingServer {
    /// The rules for an assistant that trades through this server.
    #[prompt(
        name = "trading-assistant",
        description = "Rules for trading through these tools: preview, show, confirm, then place."
    )]
    async fn trading_assistant(&self) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(Role::User, ASSISTANT_RULES)]
    }
}

#[tool_handler(router = self.routes())]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for TradingServer {
    /// Every tool call, observed: one event, the metrics, the correlation id its journal
    /// rows share (see [`observe`](crate::observe)).
    async fn call_tool(
        &self,
        request: rmcp::model::CallToolRequestParams,
        context: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, rmcp::ErrorData> {
        if !self.state.config.observe_calls {
            return self
                .routes()
                .call(ToolCallContext::new(self, request, context))
                .await;
        }
        // A name this server does not list is one label, whatever a client sends: the
        // metrics must not grow with made-up names (the refusal's reason names it).
        let tool = if self.routes().has_route(&request.name) {
            request.name.to_string()
        } else {
            crate::observe::UNKNOWN_TOOL.to_owned()
        };
        let arguments = request.arguments.clone();
        let call = ToolCallContext::new(self, request, context);
        observed(
            &self.state.metrics,
            &self.state.redactor,
            self.door,
            &tool,
            arguments,
            self.routes().call(call),
        )
        .await
    }

    fn get_info(&self) -> McpServerConfig {
        let mut info = McpServerConfig::default();
        info.capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_prompts()
            .build();
        info.server_info = Implementation::new("trading-mcp", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(INSTRUCTIONS.into());
        info
    }
}
