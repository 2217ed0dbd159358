//! The REST API (`trading start-api`): a third front door onto the same tools.
//!
//! Each route calls one tool through the in-process MCP door ([`crate::front`]), so an
//! order goes through exactly the path an MCP client's does: preview, single-use token,
//! confirmation, caps, kill switch, journal, send. The OpenAPI 3.1 document at
//! `/openapi.json` is generated from the route table and the tools' schemas.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TRADING_API_KEY` | the API key every request carries in `X-API-Key` (at least 16 characters) | required |
//! | `TRADING_API_TIMEOUT_SECS` | the longest a request may take | 30 |
//! | `TRADING_API_MAX_BODY_BYTES` | the largest request body | 65536 |
//!
//! The connection limits and timeouts are the MCP HTTP transport's (`TRADING_MCP_HTTP_*`).
//! Errors are `{ "error_code", "message", "details" }` with a stable code
//! ([`ErrorCode`]).

pub mod openapi;
pub mod routes;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, RawPathParams, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use rmcp::model::ClientConfig;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::error::{ErrorCode, ToolError};
use crate::front::{LocalClient, unattended};
use crate::http::HttpSettings;
use crate::server::TradingServer;
use routes::{Method, ROUTES, Route};

/// The header that carries the API key.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// The shortest API key accepted.
pub const MIN_API_KEY_LENGTH: usize = 16;

/// How the REST API runs (see the module docs).
#[derive(Clone)]
pub struct RestSettings {
    /// The API key.
    api_key: String,
    /// The longest a request may take.
    pub timeout: Duration,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// Connection limits and timeouts.
    pub http: HttpSettings,
}

impl std::fmt::Debug for RestSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestSettings")
            .field("api_key", &"[redacted]")
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .field("http", &self.http)
            .finish()
    }
}

impl RestSettings {
    /// Settings with this API key and the defaults.
    ///
    /// # Errors
    /// A key shorter than [`MIN_API_KEY_LENGTH`].
    pub fn new(api_key: &str) -> Result<Self, String> {
        let api_key = api_key.trim();
        if api_key.chars().count() < MIN_API_KEY_LENGTH {
            return Err(format!(
                "the REST API needs TRADING_API_KEY set to a secret of at least {MIN_API_KEY_LENGTH} characters"
            ));
        }
        Ok(Self {
            api_key: api_key.to_owned(),
            timeout: Duration::from_secs(30),
            max_body: 64 * 1024,
            http: HttpSettings::default(),
        })
    }

    /// The settings from the environment, read through `lookup`.
    ///
    /// # Errors
    /// A missing or short key, a value that is not a number in range.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut settings = Self::new(&lookup("TRADING_API_KEY").unwrap_or_default())?;
        let number = |name: &str, max: u64| crate::config::number(&lookup, name, 1, max);
        if let Some(secs) = number("TRADING_API_TIMEOUT_SECS", 3_600)? {
            settings.timeout = Duration::from_secs(secs);
        }
        if let Some(bytes) = number("TRADING_API_MAX_BODY_BYTES", 16 * 1024 * 1024)? {
            settings.max_body = usize::try_from(bytes).unwrap_or(usize::MAX);
        }
        settings.http = HttpSettings::from_lookup(&lookup)?;
        Ok(settings)
    }
}

/// What the routes share.
struct Api {
    client: LocalClient<ClientConfig>,
    schemas: openapi::Schemas,
    openapi: Bytes,
    api_key: String,
    timeout: Duration,
}

/// An error answer: the status of its code and `{error_code, message, details}`.
pub fn error_response(error: &ToolError, tool: Option<&str>) -> Response {
    let status =
        StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let details = match tool {
        Some(tool) => json!({ "tool": tool }),
        None => json!({}),
    };
    let body = json!({ "error_code": error.code, "message": error.message, "details": details });
    json_response(status, &body)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Whether the request carries the API key (compared in constant time).
fn authorized(headers: &HeaderMap, api_key: &str) -> bool {
    headers
        .get(API_KEY_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|presented| crate::http::same(presented.trim().as_bytes(), api_key.as_bytes()))
}

async fn require_key(State(api): State<Arc<Api>>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/openapi.json" || authorized(request.headers(), &api.api_key) {
        return next.run(request).await;
    }
    error_response(
        &ToolError::new(
            ErrorCode::Unauthorized,
            format!("a valid API key is required in the {API_KEY_HEADER} header (TRADING_API_KEY)"),
        ),
        None,
    )
}

async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "rest request"
    );
    response
}

/// Whether the body is declared as JSON (`application/json`, or `application/...+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|kind| kind.trim().to_ascii_lowercase())
        .is_some_and(|kind| kind == "application/json" || kind.ends_with("+json"))
}

/// The request body as JSON (`None` when empty).
fn body_json(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Option<Value>, ToolError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ToolError::new(
                ErrorCode::PayloadTooLarge,
                "the request body is too large (TRADING_API_MAX_BODY_BYTES)",
            )
        } else {
            ToolError::invalid(format!("the request body could not be read: {rejection}"))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if !is_json(headers) {
        return Err(ToolError::new(
            ErrorCode::UnsupportedMediaType,
            "the request body must be JSON, sent with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|error| ToolError::invalid(format!("the request body is not valid JSON: {error}")))
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|text| {
            url::form_urlencoded::parse(text.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

impl Api {
    async fn handle(
        &self,
        route: &'static Route,
        params: &RawPathParams,
        query: Option<&str>,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Result<Value, ToolError> {
        let segment = route.param.and_then(|param| {
            params
                .iter()
                .find(|(name, _)| *name == param.name)
                .map(|(_, value)| value)
        });
        let body = match route.method {
            Method::Post => body_json(headers, body)?,
            Method::Get => None,
        };
        let input = self
            .schemas
            .get(route.tool)
            .map(|(input, _)| input)
            .ok_or_else(|| {
                ToolError::new(ErrorCode::Internal, format!("no schema for {}", route.tool))
            })?;
        let arguments = route.arguments(segment, &query_pairs(query), body, input)?;
        let answer = tokio::time::timeout(self.timeout, self.client.call(route.tool, arguments))
            .await
            .map_err(|_| {
                let effect = if route.writes {
                    "; the write may have been sent: look it up before sending it again"
                } else {
                    ""
                };
                ToolError::new(
                    ErrorCode::Timeout,
                    format!("{} took longer than {:?}{effect}", route.tool, self.timeout),
                )
            })??;
        let mut answer = answer;
        Ok(match route.project {
            Some(field) => answer
                .get_mut(field)
                .map(Value::take)
                .unwrap_or(Value::Null),
            None => answer,
        })
    }
}

fn route_handler(route: &'static Route) -> MethodRouter<Arc<Api>> {
    let handler = move |State(api): State<Arc<Api>>,
                        params: RawPathParams,
                        RawQuery(query): RawQuery,
                        headers: HeaderMap,
                        body: Result<Bytes, BytesRejection>| async move {
        match api
            .handle(route, &params, query.as_deref(), &headers, body)
            .await
        {
            Ok(answer) => json_response(StatusCode::OK, &answer),
            Err(error) => error_response(&error, Some(route.tool)),
        }
    };
    match route.method {
        Method::Get => get(handler),
        Method::Post => post(handler),
    }
}

/// The API for `server`, documented for a server at `base_url`.
///
/// # Errors
/// When the in-process MCP session cannot start.
pub async fn router(
    server: TradingServer,
    settings: &RestSettings,
    base_url: &str,
) -> Result<axum::Router, String> {
    let schemas = openapi::schemas();
    let document = openapi::document(base_url, &schemas);
    let openapi = serde_json::to_vec(&document).map_err(|e| e.to_string())?;
    let state = Arc::clone(server.state());
    let client = LocalClient::start(
        server.at(crate::observe::Door::Rest),
        unattended("trading-rest"),
    )
    .await
    .map_err(|e| e.message)?;
    let api = Arc::new(Api {
        client,
        schemas,
        openapi: Bytes::from(openapi),
        api_key: settings.api_key.clone(),
        timeout: settings.timeout,
    });
    let mut by_path: BTreeMap<&str, MethodRouter<Arc<Api>>> = BTreeMap::new();
    for route in ROUTES {
        let handler = route_handler(route);
        let merged = match by_path.remove(route.path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        by_path.insert(route.path, merged);
    }
    let mut app = axum::Router::new().route(
        "/openapi.json",
        get(|State(api): State<Arc<Api>>| async move {
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                api.openapi.clone(),
            )
        }),
    );
    for (path, handler) in by_path {
        app = app.route(path, handler);
    }
    app = app.route(
        "/metrics",
        get(move || crate::observe::metrics_response(Arc::clone(&state))),
    );
    let not_found = |request: Request| async move {
        error_response(
            &ToolError::new(
                ErrorCode::NotFound,
                format!(
                    "no route {} {}; see /openapi.json",
                    request.method(),
                    request.uri().path()
                ),
            ),
            None,
        )
    };
    let not_allowed = |request: Request| async move {
        error_response(
            &ToolError::new(
                ErrorCode::MethodNotAllowed,
                format!(
                    "{} does not take {}; see /openapi.json",
                    request.uri().path(),
                    request.method()
                ),
            ),
            None,
        )
    };
    Ok(app
        .fallback(not_found)
        .method_not_allowed_fallback(not_allowed)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&api),
            require_key,
        ))
        .layer(DefaultBodyLimit::max(settings.max_body))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            error_response(
                &ToolError::new(
                    ErrorCode::Internal,
                    "the server failed while answering; see its log",
                ),
                None,
            )
        }))
        .layer(middleware::from_fn(log_request))
        .with_state(api))
}

/// Where a started API answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ready {
    /// The base URL.
    pub url: String,
    /// The OpenAPI document.
    pub openapi: String,
}

/// Serves the API for `server` on `listener` until `shutdown` fires; `ready` is called once
/// the API answers.
///
/// # Errors
/// When the listener has no address or the session cannot start.
pub async fn serve(
    server: TradingServer,
    listener: tokio::net::TcpListener,
    settings: RestSettings,
    shutdown: CancellationToken,
    ready: impl FnOnce(&Ready),
) -> Result<(), String> {
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    if !local.ip().is_loopback() {
        tracing::warn!(%local, "the REST API listens beyond this machine: anyone with the API key can trade");
    }
    let url = format!("http://{local}");
    let app = router(server, &settings, &url).await?;
    ready(&Ready {
        openapi: format!("{url}/openapi.json"),
        url,
    });
    crate::http::serve_app(listener, app, &settings.http, shutdown).await
}
