//! Streamable HTTP: bound to 127.0.0.1 by default, every request must carry the bearer
//! token, and the transport holds up under abuse:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TRADING_MCP_HTTP_ALLOWED_HOSTS` | `Host` values accepted (DNS-rebinding protection), comma separated; `host` or `host:port` | `localhost,127.0.0.1,::1` |
//! | `TRADING_MCP_HTTP_ALLOWED_ORIGINS` | browser origins accepted (and answered to CORS preflights), `scheme://host:port`, `:*` for any port | the server's own loopback origins |
//! | `TRADING_MCP_HTTP_MAX_CONNECTIONS` | open connections at once; more are closed at once | 64 |
//! | `TRADING_MCP_HTTP_MAX_SESSIONS` | MCP sessions at once | 32 |
//! | `TRADING_MCP_HTTP_HEADER_TIMEOUT_SECS` | time to send a request's headers | 10 |
//! | `TRADING_MCP_HTTP_IDLE_TIMEOUT_SECS` | a connection that moves no byte for this long is closed | 120 |
//!
//! A server behind a proxy or in a container adds its public name to the allowed hosts; a
//! browser-based MCP client on this machine adds its origin (`http://localhost:6274`).
//! Requests without an `Origin` header (every non-browser client) are not affected.

mod accept;
mod sessions;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Serves any app with the connection limits of [`HttpSettings`] (the REST API uses it).
pub(crate) use accept::serve as serve_app;
pub use sessions::{BoundedError, BoundedSessions};

use crate::server::TradingServer;

/// The limits and allow-lists of the HTTP transport (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// `Host` values accepted.
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins accepted (the server's own loopback origins always are).
    pub allowed_origins: Vec<String>,
    /// Open connections at once.
    pub max_connections: usize,
    /// MCP sessions at once.
    pub max_sessions: usize,
    /// Time to send the request headers.
    pub header_timeout: Duration,
    /// A connection silent this long is closed.
    pub idle_timeout: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            allowed_hosts: ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec(),
            allowed_origins: Vec::new(),
            max_connections: 64,
            max_sessions: 32,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

fn count(name: &str, text: &str, max: u64) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("{name}={text:?} is not a number from 1 to {max}"))
}

impl HttpSettings {
    /// From the environment through `lookup`.
    ///
    /// # Errors
    /// A message naming the variable for an invalid value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut settings = Self::default();
        if let Some(text) = get("TRADING_MCP_HTTP_ALLOWED_HOSTS") {
            settings.allowed_hosts = list(&text);
        }
        if let Some(text) = get("TRADING_MCP_HTTP_ALLOWED_ORIGINS") {
            settings.allowed_origins = list(&text);
            if let Some(bad) = settings
                .allowed_origins
                .iter()
                .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
            {
                return Err(format!(
                    "TRADING_MCP_HTTP_ALLOWED_ORIGINS: `{bad}` needs a scheme (http://localhost:6274)"
                ));
            }
        }
        let number = |name: &str, max: u64| get(name).map(|t| count(name, &t, max)).transpose();
        if let Some(n) = number("TRADING_MCP_HTTP_MAX_CONNECTIONS", 10_000)? {
            settings.max_connections = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = number("TRADING_MCP_HTTP_MAX_SESSIONS", 10_000)? {
            settings.max_sessions = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = number("TRADING_MCP_HTTP_HEADER_TIMEOUT_SECS", 600)? {
            settings.header_timeout = Duration::from_secs(n);
        }
        if let Some(n) = number("TRADING_MCP_HTTP_IDLE_TIMEOUT_SECS", 86_400)? {
            settings.idle_timeout = Duration::from_secs(n);
        }
        Ok(settings)
    }

    /// The origins accepted by a server on `port`: its own loopback origins and the
    /// configured ones.
    pub fn origins(&self, port: u16) -> Vec<String> {
        let mut origins: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .map(|host| format!("http://{host}:{port}"))
            .collect();
        origins.extend(self.allowed_origins.iter().cloned());
        origins
    }
}

/// The shortest bearer token accepted.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// Compares without stopping at the first difference.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

async fn require_token(token: std::sync::Arc<String>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(presented) if same(presented.trim().as_bytes(), token.as_bytes()) => {
            next.run(request).await
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a valid bearer token is required (TRADING_MCP_HTTP_TOKEN)",
        )
            .into_response(),
    }
}

/// The CORS answer for `origins`: preflights are answered before the bearer check (a
/// browser sends none), and only for the allowed origins.
fn cors(origins: &[String]) -> CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method};
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter(|o| !o.contains('*'))
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let any_port: Vec<String> = origins
        .iter()
        .filter_map(|o| o.strip_suffix(":*").map(|prefix| format!("{prefix}:")))
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            allowed.contains(origin)
                || origin.to_str().is_ok_and(|text| {
                    any_port.iter().any(|prefix| {
                        text.strip_prefix(prefix.as_str())
                            .is_some_and(|port| port.parse::<u16>().is_ok())
                    })
                })
        }))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("mcp-session-id"),
            HeaderName::from_static("mcp-protocol-version"),
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([HeaderName::from_static("mcp-session-id")])
}

/// The HTTP app for a server on `port`: `/mcp`, behind the bearer token, with the host and
/// origin checks and the session limit of `settings`.
pub fn router(
    server: TradingServer,
    token: String,
    shutdown: &CancellationToken,
    settings: &HttpSettings,
    port: u16,
) -> axum::Router {
    let origins = settings.origins(port);
    let config = StreamableHttpServerConfig::default()
        .with_cancellation_token(shutdown.child_token())
        .with_allowed_hosts(settings.allowed_hosts.clone())
        .with_allowed_origins(origins.clone())
        .enforce_origin_validation();
    let sessions = BoundedSessions::new(LocalSessionManager::default(), settings.max_sessions);
    let state = std::sync::Arc::clone(server.state());
    let service = StreamableHttpService::new(move || Ok(server.clone()), sessions.into(), config);
    let token = std::sync::Arc::new(token);
    axum::Router::new()
        .nest_service("/mcp", service)
        .route(
            "/metrics",
            axum::routing::get(move || {
                crate::observe::metrics_response(std::sync::Arc::clone(&state))
            }),
        )
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            require_token(std::sync::Arc::clone(&token), request, next)
        }))
        .layer(cors(&origins))
}

/// Serves `server` on `bind` until `shutdown` fires.
///
/// # Errors
/// When the token is too short or the address cannot be bound.
pub async fn serve(
    server: TradingServer,
    bind: SocketAddr,
    token: String,
    settings: HttpSettings,
    shutdown: CancellationToken,
) -> Result<(), String> {
    check_token(&token)?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    serve_listener(server, listener, token, settings, shutdown).await
}

fn check_token(token: &str) -> Result<(), String> {
    if token.trim().len() < MIN_TOKEN_LENGTH {
        return Err(format!(
            "HTTP needs TRADING_MCP_HTTP_TOKEN set to a secret of at least {MIN_TOKEN_LENGTH} characters"
        ));
    }
    Ok(())
}

/// Serves `server` on a bound `listener` until `shutdown` fires.
///
/// # Errors
/// When the token is too short or the listener has no address.
pub async fn serve_listener(
    server: TradingServer,
    listener: tokio::net::TcpListener,
    token: String,
    settings: HttpSettings,
    shutdown: CancellationToken,
) -> Result<(), String> {
    check_token(&token)?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    if !local.ip().is_loopback() {
        tracing::warn!(%local, "listening beyond this machine: anyone who has the token can trade");
    }
    tracing::info!(address = %local, "serving MCP over HTTP at /mcp");
    let app = router(
        server,
        token.trim().to_owned(),
        &shutdown,
        &settings,
        local.port(),
    );
    accept::serve(listener, app, &settings, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_strictly() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let settings = HttpSettings::from_lookup(vars(&[
            (
                "TRADING_MCP_HTTP_ALLOWED_HOSTS",
                "mcp.example.com, localhost",
            ),
            ("TRADING_MCP_HTTP_ALLOWED_ORIGINS", "http://localhost:6274"),
            ("TRADING_MCP_HTTP_MAX_SESSIONS", "4"),
        ]))
        .unwrap_or_default();
        assert_eq!(settings.allowed_hosts, ["mcp.example.com", "localhost"]);
        assert_eq!(settings.max_sessions, 4);
        assert!(
            settings
                .origins(8765)
                .contains(&"http://127.0.0.1:8765".to_owned())
        );
        assert!(
            HttpSettings::from_lookup(vars(&[("TRADING_MCP_HTTP_ALLOWED_ORIGINS", "localhost")]))
                .is_err()
        );
        assert!(
            HttpSettings::from_lookup(vars(&[("TRADING_MCP_HTTP_MAX_CONNECTIONS", "0")])).is_err()
        );
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same(b"abcdef", b"abcdef"));
        assert!(!same(b"abcdef", b"abcdeg"));
        assert!(!same(b"abc", b"abcdef"));
    }
}
