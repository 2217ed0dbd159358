//! The fake exchange's request handling: route, verify the signature, run the engine,
//! answer in the exchange's shapes (JSON bodies, plain-text `/ping` and `/time`, JSON or
//! plain-text errors).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use backpack_sdk::model::{
    AccountSettings, ApiErrorBody, ApiErrorCode, AssetInfo, AssetToken, CancelOrderType,
    ExchangeStatus, MarketType, MaxOrderQuantity, OrderExecutePayload, Quantity, SortDirection,
    Status,
};
use backpack_sdk::signing::Params;
use serde::Serialize;
use serde_json::Value;
use wiremock::http::Method;
use wiremock::{Request, ResponseTemplate};

use super::FakeClock;
use super::auth::{Signed, verify_request};
use crate::exchange::{AccountId, Exchange, OrderFilter, Reject};

/// An answer before it becomes a `ResponseTemplate`.
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

    fn reject(reject: &Reject) -> Reply {
        match serde_json::to_vec(&reject.body) {
            Ok(body) => Reply::Json(reject.status, body),
            Err(_) => Reply::Text(reject.status, reject.body.message.clone()),
        }
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

    pub(crate) fn into_template(self) -> ResponseTemplate {
        match self {
            Reply::Json(status, body) => {
                ResponseTemplate::new(status).set_body_raw(body, "application/json; charset=utf-8")
            }
            Reply::Text(status, body) => {
                ResponseTemplate::new(status).set_body_raw(body, "text/plain; charset=utf-8")
            }
        }
    }
}

/// State shared by every request of one fake server.
#[derive(Debug)]
pub(crate) struct Shared {
    exchange: Mutex<Exchange>,
    settings: Mutex<HashMap<AccountId, AccountSettings>>,
    pub(crate) clock: FakeClock,
    /// Simulated milliseconds per wall-clock millisecond.
    speed: u64,
    wall_start_ms: u64,
    sim_start_ms: u64,
}

type Query = Vec<(String, String)>;

fn param<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn required<'a>(query: &'a Query, name: &str) -> Result<&'a str, Reply> {
    param(query, name).ok_or_else(|| {
        Reply::parse_error(format!(
            "failed to parse parameter `{name}`: value is missing"
        ))
    })
}

/// Parses an optional parameter, answering like the exchange's parameter parser.
fn parsed<T: std::str::FromStr>(query: &Query, name: &str) -> Result<Option<T>, Reply>
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
    pub(crate) fn new(exchange: Exchange, clock: FakeClock, speed: u64) -> Self {
        let now = clock.now_ms();
        Self {
            sim_start_ms: exchange.now_ms(),
            exchange: Mutex::new(exchange),
            settings: Mutex::new(HashMap::new()),
            clock,
            speed: speed.max(1),
            wall_start_ms: now,
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
        let query: Query = request.url.query_pairs().into_owned().collect();
        let path = request.url.path();
        let method = &request.method;
        match (method.as_str(), path) {
            ("GET", "/api/v1/status") => Reply::json(&Status {
                status: ExchangeStatus::Ok,
                message: None,
            }),
            ("GET", "/api/v1/ping") => Reply::Text(200, "pong".into()),
            ("GET", "/api/v1/time") => Reply::Text(200, self.clock.now_ms().to_string()),
            ("GET", _) if path.starts_with("/api/v1/") && is_public(path) => {
                self.public(path, &query).unwrap_or_else(|reply| reply)
            }
            _ => match route(method, path) {
                Some(instruction) => self
                    .private(request, instruction, &query)
                    .unwrap_or_else(|reply| reply),
                None => Reply::Text(404, "not found".into()),
            },
        }
    }

    fn public(&self, path: &str, query: &Query) -> Result<Reply, Reply> {
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
                let market_type = param(query, "marketType").map(MarketType::from_wire);
                Reply::json(&exchange.markets_view(market_type.as_ref()))
            }
            "/api/v1/market" => {
                Reply::from_result(exchange.market_info(required(query, "symbol")?))
            }
            "/api/v1/ticker" => {
                Reply::from_result(exchange.ticker(required(query, "symbol")?, week()?))
            }
            "/api/v1/tickers" => Reply::json(&exchange.tickers(week()?)),
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
                Reply::from_result(exchange.depth(required(query, "symbol")?, limit))
            }
            "/api/v1/klines" => {
                let interval =
                    backpack_sdk::model::KlineInterval::from_wire(required(query, "interval")?);
                let seconds = interval.seconds().ok_or_else(|| {
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
                Reply::from_result(exchange.klines(required(query, "symbol")?, seconds, start, end))
            }
            "/api/v1/trades" => {
                let limit = parsed::<usize>(query, "limit")?.unwrap_or(100).min(1_000);
                Reply::from_result(exchange.trades(required(query, "symbol")?, limit, 0))
            }
            "/api/v1/trades/history" => {
                let limit = parsed::<usize>(query, "limit")?.unwrap_or(100).min(1_000);
                let offset = parsed::<usize>(query, "offset")?.unwrap_or(0);
                Reply::from_result(exchange.trades(required(query, "symbol")?, limit, offset))
            }
            "/api/v1/markPrices" => {
                Reply::from_result(exchange.mark_prices(param(query, "symbol")))
            }
            "/api/v1/fundingRates" => {
                let limit = parsed::<usize>(query, "limit")?.unwrap_or(100).min(10_000);
                let offset = parsed::<usize>(query, "offset")?.unwrap_or(0);
                Reply::json(&exchange.funding_rates(required(query, "symbol")?, limit, offset))
            }
            "/api/v1/openInterest" => Reply::json(&exchange.open_interest(param(query, "symbol"))),
            _ => Reply::Text(404, "not found".into()),
        })
    }

    fn private(
        &self,
        request: &Request,
        instruction: &'static str,
        query: &Query,
    ) -> Result<Reply, Reply> {
        let body: Option<Value> = if request.method == Method::GET {
            None
        } else if request.body.is_empty() {
            Some(Value::Object(serde_json::Map::new()))
        } else {
            Some(serde_json::from_slice(&request.body).map_err(|error| {
                Reply::parse_error(format!("parse request payload error: {error}"))
            })?)
        };
        let signed = match &body {
            None => Signed::Single(Params::from_pairs(query.iter().cloned())),
            Some(Value::Array(items)) => Signed::Batch(items),
            Some(value @ Value::Object(_)) => {
                Signed::Single(Params::from_json_object(value).unwrap_or_default())
            }
            Some(_) => {
                return Err(Reply::parse_error(
                    "parse request payload error: expected a JSON object".into(),
                ));
            }
        };
        let api_key = verify_request(&request.headers, instruction, &signed, self.clock.now_ms())
            .map_err(|reject| Reply::reject(&reject))?;
        let mut exchange = self.exchange();
        let account = exchange.account_id(&api_key).ok_or_else(|| {
            Reply::reject(&Reject {
                status: 401,
                body: ApiErrorBody::new(ApiErrorCode::Unauthorized, "Unknown API key"),
            })
        })?;
        let body = body.unwrap_or(Value::Null);
        let text = |name: &str| body.get(name).and_then(value_text);
        Ok(match instruction {
            "accountQuery" => Reply::json(&self.settings(&exchange, account)),
            "accountUpdate" => {
                self.update_settings(&exchange, account, &body)?;
                Reply::Text(200, String::new())
            }
            "balanceQuery" => Reply::json(&exchange.balances(account)),
            "collateralQuery" => Reply::json(&exchange.collateral(account)),
            "positionQuery" => Reply::json(&exchange.positions(account, param(query, "symbol"))),
            "borrowLendPositionQuery" => Reply::json(&exchange.borrow_lend_positions(account)),
            "maxOrderQuantity" => {
                let symbol = required(query, "symbol")?;
                let side = backpack_sdk::model::Side::from_wire(required(query, "side")?);
                let price = parsed::<rust_decimal::Decimal>(query, "price")?;
                Reply::from_result(
                    exchange
                        .max_order_quantity(account, symbol, &side, price)
                        .map(|quantity| MaxOrderQuantity {
                            symbol: symbol.into(),
                            max_order_quantity: Quantity::new(quantity),
                        }),
                )
            }
            "orderQuery" => {
                let client_id = parsed::<u32>(query, "clientId")?;
                Reply::from_result(exchange.open_order(
                    account,
                    required(query, "symbol")?,
                    param(query, "orderId"),
                    client_id,
                ))
            }
            "orderQueryAll" => {
                let market_type = param(query, "marketType").map(MarketType::from_wire);
                Reply::json(&exchange.open_orders(
                    account,
                    param(query, "symbol"),
                    market_type.as_ref(),
                ))
            }
            "orderExecute" if body.is_array() => {
                let payloads: Vec<OrderExecutePayload> = serde_json::from_value(body)
                    .map_err(|e| Reply::parse_error(format!("parse request payload error: {e}")))?;
                Reply::json(&exchange.execute_batch(account, &payloads))
            }
            "orderExecute" => {
                let payload: OrderExecutePayload = serde_json::from_value(body)
                    .map_err(|e| Reply::parse_error(format!("parse request payload error: {e}")))?;
                Reply::from_result(exchange.execute_payload(account, &payload))
            }
            "orderCancel" => {
                let symbol = text("symbol").unwrap_or_default();
                let client_id = body
                    .get("clientId")
                    .and_then(value_text)
                    .and_then(|t| t.parse::<u32>().ok());
                Reply::from_result(exchange.cancel_wire(
                    account,
                    &symbol,
                    text("orderId").as_deref(),
                    client_id,
                ))
            }
            "orderCancelAll" => {
                let order_type = text("orderType").map(|t| CancelOrderType::from_wire(&t));
                Reply::from_result(exchange.cancel_all_wire(
                    account,
                    &text("symbol").unwrap_or_default(),
                    order_type.as_ref(),
                ))
            }
            "orderHistoryQueryAll" => {
                Reply::json(&exchange.order_history(account, &history_filter(query)?))
            }
            "fillHistoryQueryAll" => {
                Reply::json(&exchange.fill_history(account, &history_filter(query)?))
            }
            "fundingHistoryQueryAll" => {
                Reply::json(&exchange.funding_history(account, &history_filter(query)?))
            }
            _ => Reply::Text(404, "not found".into()),
        })
    }

    fn settings(&self, exchange: &Exchange, account: AccountId) -> AccountSettings {
        let mut settings = self.settings.lock().unwrap_or_else(PoisonError::into_inner);
        settings
            .entry(account)
            .or_insert_with(|| exchange.account_settings())
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
            Some(text) => Some(text.parse::<backpack_sdk::model::Rate>().map_err(|e| {
                Reply::parse_error(format!("parse request payload error: leverageLimit: {e}"))
            })?),
        };
        let (borrow, lend, repay) = (
            flag("autoBorrowSettlements")?,
            flag("autoLend")?,
            flag("autoRepayBorrows")?,
        );
        let mut current = self.settings(exchange, account);
        current.auto_borrow_settlements = borrow.or(current.auto_borrow_settlements);
        current.auto_lend = lend.or(current.auto_lend);
        current.auto_repay_borrows = repay.or(current.auto_repay_borrows);
        current.leverage_limit = leverage.or(current.leverage_limit);
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

fn history_filter(query: &Query) -> Result<OrderFilter, Reply> {
    let sort = param(query, "sortDirection").map(SortDirection::from_wire);
    Ok(OrderFilter {
        symbol: param(query, "symbol").map(str::to_owned),
        order_id: param(query, "orderId").map(str::to_owned),
        market_type: param(query, "marketType").map(MarketType::from_wire),
        from_ms: parsed(query, "from")?,
        to_ms: parsed(query, "to")?,
        limit: parsed(query, "limit")?,
        offset: parsed(query, "offset")?.unwrap_or(0),
        ascending: sort == Some(SortDirection::Asc),
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
pub(crate) fn route(method: &Method, path: &str) -> Option<&'static str> {
    Some(match (method.as_str(), path) {
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

fn assets(exchange: &Exchange) -> Vec<AssetInfo> {
    exchange
        .asset_names()
        .iter()
        .map(|name| AssetInfo {
            symbol: name.as_str().into(),
            display_name: Some(name.clone()),
            coingecko_id: None,
            tokens: vec![AssetToken {
                display_name: Some(name.clone()),
                blockchain: "Solana".into(),
                contract_address: None,
                deposit_enabled: true,
                minimum_deposit: Quantity::ZERO,
                withdraw_enabled: true,
                minimum_withdrawal: Quantity::ZERO,
                maximum_withdrawal: None,
                withdrawal_fee: Quantity::ZERO,
            }],
        })
        .collect()
}
