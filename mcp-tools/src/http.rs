//! Streamable HTTP: bound to 127.0.0.1 by default, every request must carry the bearer
//! token, browsers' cross-origin requests are refused (Origin validation on).

use std::net::SocketAddr;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::server::TradingServer;

/// The shortest bearer token accepted.
pub const MIN_TOKEN_LENGTH: usize = 16;

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
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

/// The HTTP app: `/mcp`, behind the bearer token.
pub fn router(server: TradingServer, token: String, shutdown: &CancellationToken) -> axum::Router {
    let config = StreamableHttpServerConfig::default()
        .with_cancellation_token(shutdown.child_token())
        .enforce_origin_validation();
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        config,
    );
    let token = std::sync::Arc::new(token);
    axum::Router::new()
        .nest_service("/mcp", service)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            require_token(std::sync::Arc::clone(&token), request, next)
        }))
}

/// Serves `server` on `bind` until `shutdown` fires.
///
/// # Errors
/// When the token is too short or the address cannot be bound.
pub async fn serve(
    server: TradingServer,
    bind: SocketAddr,
    token: String,
    shutdown: CancellationToken,
) -> Result<(), String> {
    if token.trim().len() < MIN_TOKEN_LENGTH {
        return Err(format!(
            "HTTP needs TRADING_MCP_HTTP_TOKEN set to a secret of at least {MIN_TOKEN_LENGTH} characters"
        ));
    }
    if !bind.ip().is_loopback() {
        tracing::warn!(%bind, "listening beyond this machine: anyone who has the token can trade");
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(address = %local, "serving MCP over HTTP at /mcp");
    let app = router(server, token.trim().to_owned(), &shutdown);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(same(b"abcdef", b"abcdef"));
        assert!(!same(b"abcdef", b"abcdeg"));
        assert!(!same(b"abc", b"abcdef"));
    }
}
