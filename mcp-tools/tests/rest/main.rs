//! The REST API over real HTTP (reqwest) against the simulators: every route, every gate
//! with its documented `error_code`, the API key, malformed requests, and every answer
//! checked against the served OpenAPI document.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

mod gates;
mod routes;

#[path = "../common/mod.rs"]
mod common;

use std::sync::Arc;

use mcp_tools::rest::{Ready, RestSettings};
use mcp_tools::safety::redact::Redactor;
use mcp_tools::{AppState, ServerConfig, TradingServer};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use common::TempDir;

/// The API key the tests use.
pub const KEY: &str = "test-api-key-0123456789";

/// A running API.
pub struct Api {
    /// Its base URL.
    pub url: String,
    /// The server's state.
    pub state: Arc<AppState>,
    /// The state folder.
    pub dir: TempDir,
    /// The served OpenAPI document.
    pub openapi: Value,
    http: reqwest::Client,
    stop: CancellationToken,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// An answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: Value,
}

impl Answer {
    /// The error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error_code"].as_str().unwrap_or("(none)")
    }
}

/// The API on the simulators, configured by `adjust`.
pub async fn start(adjust: impl FnOnce(&mut ServerConfig)) -> Api {
    start_with(adjust, RestSettings::new(KEY).unwrap()).await
}

/// The API on the simulators with these settings.
pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig), settings: RestSettings) -> Api {
    let dir = TempDir::new();
    let mut config = ServerConfig::simulated(&dir.0);
    adjust(&mut config);
    let state = AppState::new(config, Redactor::default());
    let server = TradingServer::new(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stop = CancellationToken::new();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Ready>();
    let shutdown = stop.clone();
    tokio::spawn(async move {
        let mut ready_tx = Some(ready_tx);
        mcp_tools::rest::serve(server, listener, settings, shutdown, |ready| {
            if let Some(tx) = ready_tx.take() {
                let _ = tx.send(ready.clone());
            }
        })
        .await
        .unwrap();
    });
    let ready = ready_rx.await.unwrap();
    let http = reqwest::Client::new();
    let openapi = http
        .get(&ready.openapi)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let openapi = serde_json::from_slice(&openapi).unwrap();
    Api {
        url: ready.url,
        state,
        dir,
        openapi,
        http,
        stop,
    }
}

impl Api {
    /// Sends a request with the API key; `body` as JSON when given.
    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.url))
            .header("X-API-Key", KEY);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(&body).unwrap());
        }
        answer(request).await
    }

    /// A request built by `build` (for headers and raw bodies).
    pub async fn raw(
        &self,
        build: impl FnOnce(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Answer {
        answer(build(&self.http, &self.url)).await
    }

    /// GET `path`, which must succeed; checked against the document at `template`.
    pub async fn ok_get(&self, path: &str, template: &str) -> Value {
        let answer = self.send("GET", path, None).await;
        self.expect_ok(answer, "get", template)
    }

    /// POST `body` to `path`, which must succeed; checked against the document.
    pub async fn ok_post(&self, path: &str, template: &str, body: Value) -> Value {
        let answer = self.send("POST", path, Some(body)).await;
        self.expect_ok(answer, "post", template)
    }

    fn expect_ok(&self, answer: Answer, method: &str, template: &str) -> Value {
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{template}: {:?}",
            answer.body
        );
        self.conforms(method, template, &answer);
        answer.body
    }

    /// Asserts that `answer` is what the document says `method template` answers.
    pub fn conforms(&self, method: &str, template: &str, answer: &Answer) {
        let operation = &self.openapi["paths"][template][method];
        assert!(
            operation.is_object(),
            "{method} {template} is not documented"
        );
        let status = answer.status.as_u16().to_string();
        let response = resolve(&self.openapi, &operation["responses"][status.as_str()]);
        assert!(
            response.is_object(),
            "{method} {template}: status {status} is not documented"
        );
        let schema = resolve(
            &self.openapi,
            &response["content"]["application/json"]["schema"],
        );
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&answer.body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status} does not match its schema: {errors:#?}\n{}",
            answer.body
        );
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("a {status} answer that is not JSON: {text:?}"));
    Answer { status, body }
}

/// `value` with every `{"$ref": "#/..."}` replaced by what it points to.
pub fn resolve(document: &Value, value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(pointer)) = map.get("$ref")
                && let Some(path) = pointer.strip_prefix('#')
            {
                let target = document.pointer(path).cloned().unwrap_or(Value::Null);
                return resolve(document, &target);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolve(document, v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(document, v)).collect()),
        other => other.clone(),
    }
}

/// A resting Backpack limit buy.
pub fn resting_buy(quantity: &str) -> Value {
    json!({ "symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "quantity": quantity, "price": "100", "timeInForce": "GTC" })
}

/// An IBKR limit buy of AAPL well under the market.
pub fn aapl_limit(quantity: &str) -> Value {
    json!({ "contract": { "symbol": "AAPL", "sec_type": "STK" }, "action": "BUY", "quantity": quantity, "order_type": "LMT", "limit_price": "150" })
}
