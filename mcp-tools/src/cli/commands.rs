//! What each command does.

use std::time::Duration;

use clap::CommandFactory;
use serde_json::{Map, Value, json};

use super::orders::{self, OrderRef, venue_of};
use super::render;
use super::session::{self, Session};
use super::{Cli, Command, Failure, Global, OrdersCommand};
use crate::config::{Mode, Venue};
use crate::error::{ErrorCode, ToolError};
use crate::serve;

/// Said after a simulated order: the simulator lives as long as the command.
const SIMULATED_NOTE: &str = "(simulated: each `trading` command starts a fresh simulated market, so this order is gone when the command ends; `trading start-api` and `trading mcp` keep one market for their whole session)";

/// Prints a command's answer: its JSON document, or its table.
fn emit(global: &Global, value: &Value, table: impl FnOnce(&Value) -> String) {
    if global.json {
        serve::print_line(&value.to_string());
    } else {
        let text = table(value);
        serve::print_line(text.trim_end());
    }
}

/// The venues a command without a symbol covers: `--venue`, or both.
fn venues(global: &Global) -> Vec<Venue> {
    match global.venue {
        Some(venue) => vec![venue.into()],
        None => vec![Venue::Backpack, Venue::Ibkr],
    }
}

/// Runs `cli`: the exit code of a command that succeeded (healthcheck may say 1).
pub(super) async fn run(cli: Cli) -> Result<u8, Failure> {
    serve::load_dotenv().map_err(Failure::config)?;
    let global = &cli.global;
    let serving = matches!(cli.command, Command::StartApi { .. } | Command::Mcp { .. });
    let _logs = crate::logging::init(serve::redactor(), if serving { "info" } else { "warn" });
    match &cli.command {
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(*shell, &mut command, "trading", &mut std::io::stdout());
            Ok(0)
        }
        Command::Journal {
            action: Some(action),
            ..
        } => super::journal::run(global, action).await,
        Command::Journal {
            action: None,
            since,
            outcome,
        } => {
            let venue = global.venue.map(|v| Venue::from(v).as_str());
            let filter = serve::journal_filter(since.as_deref(), venue, outcome.as_deref())
                .map_err(Failure::usage)?;
            serve::print_journal(&session::config(global)?, &filter)
                .map_err(|e| Failure::from(ToolError::new(ErrorCode::JournalUnavailable, e)))?;
            Ok(0)
        }
        Command::Mcp { http } => {
            let state = crate::AppState::new(session::config(global)?, serve::redactor());
            serve::mcp(state, *http)
                .await
                .map_err(|e| ToolError::new(ErrorCode::Internal, e))?;
            Ok(0)
        }
        Command::StartApi { bind } => {
            let config = session::config(global)?;
            let settings = crate::rest::RestSettings::from_lookup(|name| std::env::var(name).ok())
                .map_err(Failure::config)?;
            let state = crate::AppState::new(config, serve::redactor());
            serve::rest(state, *bind, settings)
                .await
                .map_err(|e| ToolError::new(ErrorCode::Internal, e))?;
            Ok(0)
        }
        Command::Demo { watch } => demo(global, *watch).await,
        command => {
            let unattended = matches!(command, Command::Place { yes: true, .. });
            let session = Session::open(session::config(global)?, unattended).await?;
            venue_command(global, command, &session).await
        }
    }
}

async fn venue_command(global: &Global, command: &Command, s: &Session) -> Result<u8, Failure> {
    match command {
        Command::Healthcheck => healthcheck(global, s).await,
        Command::Quote { symbols, contract } => {
            let mut ibkr = Vec::new();
            let mut backpack = Vec::new();
            for symbol in symbols {
                match venue_of(symbol, global.venue) {
                    Venue::Ibkr => ibkr.push(orders::contract(symbol, contract)),
                    Venue::Backpack => backpack.push(symbol.to_ascii_uppercase()),
                }
            }
            let mut answer = Map::new();
            if !backpack.is_empty() {
                let mut tickers = Vec::new();
                for symbol in backpack {
                    tickers.push(
                        s.call("backpack_get_ticker", json!({ "symbol": symbol }))
                            .await?,
                    );
                }
                answer.insert("backpack".into(), Value::Array(tickers));
            }
            if !ibkr.is_empty() {
                let quotes = s
                    .call("ibkr_get_quote", json!({ "contracts": ibkr }))
                    .await?;
                answer.insert("ibkr".into(), quotes);
            }
            emit(global, &Value::Object(answer), render::quotes);
            Ok(0)
        }
        Command::Bars {
            symbol,
            bar_size,
            duration,
            last,
            contract,
        } => {
            if venue_of(symbol, global.venue) != Venue::Ibkr {
                return Err(Failure::usage(
                    "bars are IBKR's (Backpack has no bars tool yet)",
                ));
            }
            let bars = s
                .call(
                    "ibkr_get_historical_data",
                    json!({ "contract": orders::contract(symbol, contract), "bars": { "bar_size": bar_size, "duration": duration } }),
                )
                .await?;
            emit(global, &bars, |v| render::bars(v, *last));
            Ok(0)
        }
        Command::Account => {
            let mut answer = Map::new();
            for venue in venues(global) {
                let document = match venue {
                    Venue::Backpack => json!({
                        "balances": s.call("backpack_get_balances", json!({})).await?,
                        "positions": s.call("backpack_list_positions", json!({})).await?,
                    }),
                    Venue::Ibkr => json!({
                        "account": s.call("ibkr_get_account_status", json!({})).await?,
                        "pnl": s.call("ibkr_get_pnl", json!({})).await?,
                    }),
                };
                answer.insert(venue.as_str().into(), document);
            }
            emit(global, &Value::Object(answer), render::account);
            Ok(0)
        }
        Command::Orders { what } => {
            let answer = match what {
                None | Some(OrdersCommand::List { .. }) => {
                    let symbol = match what {
                        Some(OrdersCommand::List { symbol }) => symbol.clone(),
                        _ => None,
                    };
                    let mut answer = Map::new();
                    for venue in venues(global) {
                        let listed = match venue {
                            Venue::Backpack => {
                                let mut args = json!({});
                                if let Some(symbol) = &symbol {
                                    args["symbol"] = json!(symbol.to_ascii_uppercase());
                                }
                                s.call("backpack_list_orders", args).await?
                            }
                            Venue::Ibkr => s.call("ibkr_get_order_status", json!({})).await?,
                        };
                        answer.insert(venue.as_str().into(), listed);
                    }
                    Value::Object(answer)
                }
                Some(OrdersCommand::Status { id, symbol }) => {
                    let order = OrderRef::parse(id, symbol.as_deref(), global.venue)?;
                    let (tool, args) = order.status();
                    json!({ order.venue().as_str(): s.call(tool, args).await? })
                }
            };
            emit(global, &answer, render::orders);
            Ok(0)
        }
        Command::Preview(order) => {
            let (venue, arguments) = orders::preview_arguments(order, global.venue)?;
            let preview = orders::preview(s, venue, &arguments).await?;
            emit(global, &preview, |v| render::preview(venue, v));
            if !global.json {
                session::tell(&format!(
                    "To send exactly this order: trading place --yes --token {} <the same order>",
                    preview["confirmationToken"].as_str().unwrap_or("?")
                ));
            }
            Ok(0)
        }
        Command::Place { order, token, .. } => {
            let (venue, arguments) = orders::preview_arguments(order, global.venue)?;
            let json_mode = global.json;
            let placed = orders::place(s, venue, &arguments, token.as_deref(), |preview| {
                // The preview goes to the terminal (stderr): stdout keeps one document.
                if json_mode {
                    session::tell(&preview.to_string());
                } else {
                    session::tell(render::preview(venue, preview).trim_end());
                }
            })
            .await?;
            emit(global, &placed, |v| render::placed(venue, v));
            if s.state.config.mode(venue) == Mode::Simulated {
                session::tell(SIMULATED_NOTE);
            }
            Ok(0)
        }
        Command::Cancel { id, symbol } => {
            let (tool, args) = OrderRef::parse(id, symbol.as_deref(), global.venue)?.cancel();
            let cancelled = s.call(tool, args).await?;
            emit(global, &cancelled, render::cancelled);
            Ok(0)
        }
        Command::Completions { .. }
        | Command::Journal { .. }
        | Command::Mcp { .. }
        | Command::StartApi { .. }
        | Command::Demo { .. } => Err(Failure::usage("not a venue command")),
    }
}

/// `status`, and the exit code: 0 when every venue asked about answers, 1 when one does not.
async fn healthcheck(global: &Global, s: &Session) -> Result<u8, Failure> {
    let status = s.call("status", json!({})).await?;
    let wanted: Vec<&str> = venues(global).iter().map(|v| v.as_str()).collect();
    let checked: Vec<&Value> = status["venues"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|v| {
                    v["venue"]
                        .as_str()
                        .is_some_and(|name| wanted.contains(&name))
                })
                .collect()
        })
        .unwrap_or_default();
    if checked.is_empty() {
        return Err(Failure::config(
            "no venue to check: every tier of the venues asked about is off",
        ));
    }
    let healthy = checked
        .iter()
        .all(|v| v["health"]["healthy"] == Value::Bool(true));
    let document = json!({ "healthy": healthy, "venues": checked });
    emit(global, &document, render::health);
    Ok(u8::from(!healthy))
}

/// The demo: the scripted session on the simulators, or with `--paper` quotes, bars and the
/// account from an IB Gateway paper session (never an order).
async fn demo(global: &Global, watch: u64) -> Result<u8, Failure> {
    if global.live {
        return Err(Failure::usage(
            "the demo never runs on a live account; use --paper",
        ));
    }
    if !global.paper {
        crate::demo::run(Duration::from_secs(watch))
            .await
            .map_err(|e| ToolError::new(ErrorCode::Internal, e.to_string()))?;
        return Ok(0);
    }
    let config = session::config(global)?;
    if config.mode(Venue::Ibkr) != Mode::Paper {
        return Err(Failure::config(
            "the paper demo needs an IB Gateway paper session",
        ));
    }
    let endpoint = match &config.ibkr_connection {
        crate::IbkrConnection::Gateway(gateway) => format!("{}:{}", gateway.host, gateway.port),
        crate::IbkrConnection::Simulated => String::new(),
    };
    let s = Session::open(config, false).await?;
    let status = s.call("status", json!({})).await?;
    let ibkr = status["venues"]
        .as_array()
        .and_then(|list| list.iter().find(|v| v["venue"] == "ibkr"))
        .cloned()
        .unwrap_or(Value::Null);
    if ibkr["health"]["healthy"] != Value::Bool(true) {
        return Err(ToolError::new(
            ErrorCode::VenueUnavailable,
            format!(
                "no IB Gateway paper session answers at {endpoint} ({}). Start IB Gateway (or TWS) logged in to a paper account, enable \"ActiveX and Socket Clients\" in its API settings, and check the port (IB Gateway paper 4002, TWS paper 7497; --port)",
                ibkr["health"]["error"].as_str().unwrap_or("no answer")
            ),
        )
        .into());
    }
    session::tell(&format!(
        "Connected to the IB Gateway paper session at {endpoint}. No order will be placed.\n{}",
        render::DEMO_SUBSCRIPTIONS
    ));
    let quotes = s
        .call(
            "ibkr_get_quote",
            json!({ "contracts": [{ "symbol": "AAPL", "sec_type": "STK" }, { "symbol": "MSFT", "sec_type": "STK" }] }),
        )
        .await?;
    let bars = s
        .call(
            "ibkr_get_historical_data",
            json!({ "contract": { "symbol": "AAPL", "sec_type": "STK" }, "bars": { "bar_size": "5 mins", "duration": "1 D" } }),
        )
        .await?;
    let account = s.call("ibkr_get_account_status", json!({})).await?;
    let document = json!({ "quotes": quotes, "bars": bars, "account": account });
    emit(global, &document, |v| {
        format!(
            "{}\n\nAAPL, 5-minute bars:\n{}\n\n{}",
            render::quotes(&json!({ "ibkr": v["quotes"] })),
            render::bars(&v["bars"], 6),
            render::account(&json!({ "ibkr": { "account": v["account"] } }))
        )
    });
    Ok(0)
}
