//! The fake exchange's request handling: route, verify the signature, run the engine,
//! answer in the exchange's shapes (JSON bodies, plain-text `/ping` and `/time`, JSON or
//! plain-text errors).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use trading_core::clock::{Clock, SharedClock};

use super::auth::{Signed, Unauthorized, verify_request};
use super::orders::OrderFilter;
use super::request::Request;
use super::wire::{self, Dec, ErrorBody, ErrorCode, OrderPayload};
use super::{account, error_body, market_data, orders, status_of};
use crate::engine::{AccountId, Exchange, Reject};

/// An answer: status, and a JSON or plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Json(u16, Vec<u8>),
    Text(u16, String),
}

impl Reply {
    fn json<T: Serialize>(value: &T) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply::Json(200, body),
            Err(error) => Reply::Text(500, format!("serialization error: {error}")),
        }
    }

    pub(crate) fn error(status: u16, body: &ErrorBody) -> Reply {
        match serde_json::to_vec(body) {
            Ok(json) => Reply::Json(status, json),
            Err(_) => Reply::Text(status, body.message.clone()),
        }
    }

    fn reject(reject: &Reject) -> Reply {
        Reply::error(status_of(reject), &error_body(reject))
    }

    fn from_result<T: Serialize>(result: Result<T, Reject>) -> Reply {
        match result {
            Ok(value) => Reply::json(&value),
            Err(reject) => Reply::reject(&reject),
        }
    }

    /// A 400 with a plain-text body, as the exchange answers unparsable parameters.
    fn parse_error(message: String) -> Reply {
        Reply::Text(400, message)
    }

    /// Status, content type and body.
    pub(crate) fn into_parts(self) -> (u16, &'static str, Vec<u8>) {
        match self {
            Reply::Json(status, body) => (status, "application/json; charset=utf-8", body),
            Reply::Text(status, body) => (status, "text/plain; charset=utf-8", body.into_bytes()),
        }
    }
}

/// State shared by every request of one fake server.
#[derive(Debug)]
pub(crate) struct Shared {
    exchange: Mutex<Exchange>,
    settings: Mutex<HashMap<AccountId, wire::AccountSettings>>,
    pub(crate) clock: SharedClock,
    /// Simulated milliseconds per wall-clock millisecond.
    speed: u64,
    pub(crate) wall_start_ms: u64,
    sim_start_ms: u64,
    /// Woken after a request that may have changed the engine (the stream pump listens).
    pub(crate) changed: tokio::sync::Notify,
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn required<'a>(query: &'a [(String, String)], name: &str) -> Result<&'a str, Reply> {
    param(query, name).ok_or_else(|| {
        Reply::parse_error(format!(
            "failed to parse parameter `{name}`: value is missing"
        ))
    })
}

/// Parses an optional parameter, answering like the exchange's parameter parser.
fn parsed<T: std::str::FromStr>(query: &[(String, String)], name: &str) -> Result<Option<T>, Reply>
where
    T::Err: std::fmt::Display,
{
    param(query, name)
        .map(|text| {
            text.parse::<T>().map_err(|error| {
                Reply::parse_error(format!("failed to parse parameter `{name}`: {error}"))
            })
        })
        .transpose()
}

impl Shared {
    /// `exchange` started at its clock's time `exchange.now_ms()` (one reading for both
    /// origins, so the same clock times give the same simulated times in every run).
    pub(crate) fn new(exchange: Exchange, clock: SharedClock, speed: u64) -> Self {
        let now = exchange.now_ms();
        Self {
            sim_start_ms: exchange.now_ms(),
            exchange: Mutex::new(exchange),
            settings: Mutex::new(HashMap::new()),
            clock,
            speed: speed.max(1),
            wall_start_ms: now,
            changed: tokio::sync::Notify::new(),
        }
    }

    /// The engine, advanced to the current simulated time.
    pub(crate) fn exchange(&self) -> MutexGuard<'_, Exchange> {
        let mut exchange = self.exchange.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = self.clock.now_ms().saturating_sub(self.wall_start_ms);
        exchange.advance_to(self.sim_start_ms + elapsed.saturating_mul(self.speed));
        exchange
    }

    /// Answers one request.
    pub(crate) fn handle(&self, request: &Request) -> Reply {
        let query = request.query();
        let path = request.path();
        let method = request.method();
        match (method, path) {
            ("GET", "/api/v1/status") => Reply::json(&wire::ExchangeStatus {
                status: "Ok",
                message: None,
            }),
            ("GET", "/api/v1/ping") => Reply::Text(200, "pong".into()),
            ("GET", "/api/v1/time") => Reply::Text(200, self.clock.now_ms().to_string()),
            ("GET", _) if path.starts_with("/api/v1/") && is_public(path) => {
                self.public(path, query).unwrap_or_else(|reply| reply)
            }
            _ => match route(method, path) {
                Some(instruction) => {
                    let reply = self
                        .private(request, instruction, query)
                        .unwrap_or_else(|reply| reply);
                    if method != "GET" {
                        self.changed.notify_one();
                    }
                    reply
                }
                None => Reply::Text(404, "not found".into()),
            },
        }
    }

    fn public(&self, path: &str, query: &[(String, String)]) -> Result<Reply, Reply> {
        let exchange = self.exchange();
        let week = || match param(query, "interval") {
            None | Some("1d") => Ok(false),
            Some("1w") => Ok(true),
            Some(other) => Err(Reply::parse_error(format!(
                "failed to parse parameter `interval`: unknown variant `{other}`, expected `1d` or `1w`"
            ))),
        };
        Ok(match path {
            "/api/v1/assets" => Reply::json(&assets(&exchange)),
            "/api/v1/markets" => {
                Reply::json(&market_data::markets(&exchange, param(query, "marketType")))
            }
            "/api/v1/market" => {
                Reply::from_result(market_data::market(&exchange, required(query, "symbol")?))
            }
            "/api/v1/ticker" => Reply::from_result(market_data::ticker(
                &exchange,
                required(query, "symbol")?,
                week()?,
            )),
            "/api/v1/tickers" => Reply::json(&market_data::tickers(&exchange, week()?)),
            "/api/v1/depth" => {
                let limit = match param(query, "limit") {
                    None => None,
                    Some(text @ ("5" | "10" | "20" | "50" | "100" | "500" | "1000")) => {
                        text.parse().ok()
                    }
                    Some(_) => {
                        return Err(Reply::parse_error(
                            "failed to parse parameter `limit`: failed to parse \"DepthLimit\": Expect a valid enumeration value.".into(),
                        ));
                    }
                };
                Reply::from_result(market_data::depth(
                    &exchange,
                    required(query, "symbol")?,
                    limit,
                ))
            }
            "/api/v1/klines" => {
                let seconds = kline_seconds(required(query, "interval")?).ok_or_else(|| {
                    Reply::parse_error(
                        "failed to parse parameter `interval`: unknown variant".into(),
                    )
                })?;
                let start = parsed::<i64>(query, "startTime")?.ok_or_else(|| {
                    Reply::parse_error(
                        "failed to parse parameter `startTime`: value is missing".into(),
                    )
                })?;
                let end = parsed::<i64>(query, "endTime")?;
                Reply::from_result(market_data::klines(
                    &exchange,
                    required(query, "symbol")?,
                    seconds,
                    start,
                    end,
                ))
            }
            "/api/v1/trades" => {
                let limit = parsed::<usize>(query, "limit")?.unwrap_or(100).min(1_000);
                Reply::from_result(market_data::trades(
                    &exchange,
                    required(query, "symbol")?,
                    limit,
                    0,
                ))
            }
            "/api/v1/trades/history" => {
                let limit = parsed::<usize>(query, "limit")?.unwrap_or(100).min(1_000);
                let offset = parsed::<usize>(query, "offset")?.unwrap_or(0);
                Reply::from_result(market_data::trades(
                    &exchange,
                    required(query, "symbol")?,
                    limit,
                    offset,
                ))
            }
            "/api/v1/markPrices" => {
                Reply::from_result(market_data::mark_prices(&exchange, param(query, "symbol")))
            }
            "/api/v1/fundingRates" => {
                let limit = parsed::<usize>(query, "limit")?.unwrap_or(100).min(10_000);
                let offset = parsed::<usize>(query, "offset")?.unwrap_or(0);
                Reply::json(&market_data::funding_rates(
                    &exchange,
                    required(query, "symbol")?,
                    limit,
                    offset,
                ))
            }
            "/api/v1/openInterest" => Reply::json(&market_data::open_interest(
                &exchange,
                param(query, "symbol"),
            )),
            _ => Reply::Text(404, "not found".into()),
        })
    }

    fn private(
        &self,
        request: &Request,
        instruction: &'static str,
        query: &[(String, String)],
    ) -> Result<Reply, Reply> {
        let body: Option<Value> = if request.method() == "GET" {
            None
        } else if request.body().is_empty() {
            Some(Value::Object(serde_json::Map::new()))
        } else {
            Some(serde_json::from_slice(request.body()).map_err(|error| {
                Reply::parse_error(format!("parse request payload error: {error}"))
            })?)
        };
        let signed = match &body {
            None => Signed::Query(query),
            Some(Value::Array(items)) => Signed::Batch(items),
            Some(Value::Object(object)) => Signed::Object(object),
            Some(_) => {
                return Err(Reply::parse_error(
                    "parse request payload error: expected a JSON object".into(),
                ));
            }
        };
        let api_key = verify_request(request, instruction, &signed, self.clock.now_ms())
            .map_err(|Unauthorized(body)| Reply::error(401, &body))?;
        let mut exchange = self.exchange();
        let account = exchange.account_id(&api_key).ok_or_else(|| {
            Reply::error(
                401,
                &ErrorBody {
                    code: ErrorCode::Unauthorized,
                    message: "Unknown API key".into(),
                },
            )
        })?;
        let body = body.unwrap_or(Value::Null);
        let text = |name: &str| body.get(name).and_then(value_text);
        Ok(match instruction {
            "accountQuery" => Reply::json(&self.settings(&exchange, account)),
            "accountUpdate" => {
                self.update_settings(&exchange, account, &body)?;
                Reply::Text(200, String::new())
            }
            "balanceQuery" => Reply::json(&account::balances(&exchange, account)),
            "collateralQuery" => Reply::json(&account::collateral(&exchange, account)),
            "positionQuery" => Reply::json(&account::positions(
                &exchange,
                account,
                param(query, "symbol"),
            )),
            "borrowLendPositionQuery" => {
                Reply::json(&account::borrow_lend_positions(&exchange, account))
            }
            "maxOrderQuantity" => {
                let symbol = required(query, "symbol")?;
                let side = required(query, "side")?;
                let price = parsed::<Decimal>(query, "price")?;
                Reply::from_result(
                    orders::max_order_quantity(&exchange, account, symbol, side, price).map(
                        |quantity| wire::MaxOrderQuantity {
                            max_order_quantity: Dec(quantity),
                            symbol: symbol.into(),
                            side: if side == "Ask" { "Ask" } else { "Bid" },
                            price: price.map(Dec),
                        },
                    ),
                )
            }
            "orderQuery" => {
                let client_id = parsed::<u32>(query, "clientId")?;
                Reply::from_result(orders::open_order(
                    &exchange,
                    account,
                    required(query, "symbol")?,
                    param(query, "orderId"),
                    client_id,
                ))
            }
            "orderQueryAll" => Reply::json(&orders::open_orders(
                &exchange,
                account,
                param(query, "symbol"),
                param(query, "marketType"),
            )),
            "orderExecute" if body.is_array() => {
                let payloads: Vec<OrderPayload> = serde_json::from_value(body)
                    .map_err(|e| Reply::parse_error(format!("parse request payload error: {e}")))?;
                Reply::json(&orders::execute_batch(&mut exchange, account, &payloads))
            }
            "orderExecute" => {
                let payload: OrderPayload = serde_json::from_value(body)
                    .map_err(|e| Reply::parse_error(format!("parse request payload error: {e}")))?;
                Reply::from_result(orders::execute(&mut exchange, account, &payload))
            }
            "orderCancel" => {
                let symbol = text("symbol").unwrap_or_default();
                let client_id = body
                    .get("clientId")
                    .and_then(value_text)
                    .and_then(|t| t.parse::<u32>().ok());
                Reply::from_result(orders::cancel(
                    &mut exchange,
                    account,
                    &symbol,
                    text("orderId").as_deref(),
                    client_id,
                ))
            }
            "orderCancelAll" => {
                let order_type = text("orderType");
                Reply::from_result(orders::cancel_all(
                    &mut exchange,
                    account,
                    &text("symbol").unwrap_or_default(),
                    order_type.as_deref(),
                ))
            }
            "orderHistoryQueryAll" => Reply::json(&orders::order_history(
                &exchange,
                account,
                &history_filter(query)?,
            )),
            "fillHistoryQueryAll" => Reply::json(&orders::fill_history(
                &exchange,
                account,
                &history_filter(query)?,
            )),
            "fundingHistoryQueryAll" => Reply::json(&orders::funding_history(
                &exchange,
                account,
                &history_filter(query)?,
            )),
            _ => Reply::Text(404, "not found".into()),
        })
    }

    fn settings(&self, exchange: &Exchange, account: AccountId) -> wire::AccountSettings {
        let mut settings = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
        settings
            .entry(account)
            .or_insert_with(|| account::settings(exchange))
            .clone()
    }

    fn update_settings(
        &self,
        exchange: &Exchange,
        account: AccountId,
        body: &Value,
    ) -> Result<(), Reply> {
        let flag = |name: &str| -> Result<Option<bool>, Reply> {
            match body.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Bool(value)) => Ok(Some(*value)),
                Some(_) => Err(Reply::parse_error(format!(
                    "parse request payload error: `{name}` must be a boolean"
                ))),
            }
        };
        let leverage = match body.get("leverageLimit").and_then(value_text) {
            None => None,
            Some(text) => Some(text.parse::<Decimal>().map_err(|e| {
                Reply::parse_error(format!("parse request payload error: leverageLimit: {e}"))
            })?),
        };
        let (borrow, lend, repay) = (
            flag("autoBorrowSettlements")?,
            flag("autoLend")?,
            flag("autoRepayBorrows")?,
        );
        let mut current = self.settings(exchange, account);
        current.auto_borrow_settlements = borrow.unwrap_or(current.auto_borrow_settlements);
        current.auto_lend = lend.unwrap_or(current.auto_lend);
        current.auto_repay_borrows = repay.unwrap_or(current.auto_repay_borrows);
        current.leverage_limit = leverage.map_or(current.leverage_limit, Dec);
        self.settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(account, current);
        Ok(())
    }
}

/// A JSON value as the text the exchange would read: strings as they are, numbers printed.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn history_filter(query: &[(String, String)]) -> Result<OrderFilter, Reply> {
    let sort = param(query, "sortDirection");
    Ok(OrderFilter {
        symbol: param(query, "symbol").map(str::to_owned),
        order_id: param(query, "orderId").map(str::to_owned),
        market_type: param(query, "marketType").map(str::to_owned),
        from_ms: parsed(query, "from")?,
        to_ms: parsed(query, "to")?,
        limit: parsed(query, "limit")?,
        offset: parsed(query, "offset")?.unwrap_or(0),
        ascending: sort == Some("Asc"),
    })
}

fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/assets"
            | "/api/v1/markets"
            | "/api/v1/market"
            | "/api/v1/ticker"
            | "/api/v1/tickers"
            | "/api/v1/depth"
            | "/api/v1/klines"
            | "/api/v1/trades"
            | "/api/v1/trades/history"
            | "/api/v1/markPrices"
            | "/api/v1/fundingRates"
            | "/api/v1/openInterest"
    )
}

/// The instruction a signed endpoint requires.
pub(crate) fn route(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("GET", "/api/v1/account") => "accountQuery",
        ("PATCH", "/api/v1/account") => "accountUpdate",
        ("GET", "/api/v1/capital") => "balanceQuery",
        ("GET", "/api/v1/capital/collateral") => "collateralQuery",
        ("GET", "/api/v1/position") => "positionQuery",
        ("GET", "/api/v1/borrowLend/positions") => "borrowLendPositionQuery",
        ("GET", "/api/v1/account/limits/order") => "maxOrderQuantity",
        ("GET", "/api/v1/order") => "orderQuery",
        ("GET", "/api/v1/orders") => "orderQueryAll",
        ("POST", "/api/v1/order" | "/api/v1/orders") => "orderExecute",
        ("DELETE", "/api/v1/order") => "orderCancel",
        ("DELETE", "/api/v1/orders") => "orderCancelAll",
        ("GET", "/wapi/v1/history/orders") => "orderHistoryQueryAll",
        ("GET", "/wapi/v1/history/fills") => "fillHistoryQueryAll",
        ("GET", "/wapi/v1/history/funding") => "fundingHistoryQueryAll",
        _ => return None,
    })
}

fn assets(exchange: &Exchange) -> Vec<wire::Asset> {
    exchange
        .asset_names()
        .iter()
        .map(|name| wire::Asset {
            symbol: name.clone(),
            display_name: name.clone(),
            coingecko_id: None,
            tokens: vec![wire::AssetToken {
                display_name: name.clone(),
                blockchain: "Solana",
                contract_address: None,
                deposit_enabled: true,
                minimum_deposit: Dec(Decimal::ZERO),
                withdraw_enabled: true,
                minimum_withdrawal: Dec(Decimal::ZERO),
                maximum_withdrawal: None,
                withdrawal_fee: Dec(Decimal::ZERO),
            }],
        })
        .collect()
}

/// Seconds of a kline interval (`1m` ... `1month`), `None` for an unknown one.
pub(crate) fn kline_seconds(interval: &str) -> Option<i64> {
    Some(match interval {
        "1m" => 60,
        "3m" => 180,
        "5m" => 300,
        "15m" => 900,
        "30m" => 1_800,
        "1h" => 3_600,
        "2h" => 7_200,
        "4h" => 14_400,
        "6h" => 21_600,
        "8h" => 28_800,
        "12h" => 43_200,
        "1d" => 86_400,
        "3d" => 259_200,
        "1w" => 604_800,
        "1month" => 2_592_000,
        _ => return None,
    })
}
