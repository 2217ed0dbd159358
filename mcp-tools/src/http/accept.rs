//! The accept loop: a bounded number of connections, each with a deadline for its request
//! headers (a client that sends them a byte at a time is cut off) and an idle timeout (a
//! connection that neither reads nor writes for that long is closed; SSE streams stay alive
//! through the server's keep-alive events).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::HttpSettings;

/// A socket that records when it last moved a byte.
struct Tracked<S> {
    inner: S,
    start: Instant,
    last: Arc<AtomicU64>,
}

impl<S> Tracked<S> {
    fn touch(&self) {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(elapsed, Ordering::Relaxed);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Resolves once the connection has been idle for `idle`.
async fn idle_for(start: Instant, last: Arc<AtomicU64>, idle: Duration) {
    loop {
        let since = Duration::from_millis(last.load(Ordering::Relaxed));
        let quiet = start.elapsed().saturating_sub(since);
        if quiet >= idle {
            return;
        }
        tokio::time::sleep(idle.saturating_sub(quiet)).await;
    }
}

/// Serves `app` on `listener` until `shutdown` fires.
///
/// # Errors
/// When accepting fails for good.
pub(crate) async fn serve(
    listener: TcpListener,
    app: axum::Router,
    settings: &HttpSettings,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let (header_timeout, idle) = (settings.header_timeout, settings.idle_timeout);
    loop {
        let (socket, peer) = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%peer, max = settings.max_connections, "connection refused: the limit is reached (TRADING_MCP_HTTP_MAX_CONNECTIONS)");
            drop(socket);
            continue;
        };
        // Answers are small and go out whole: waiting to coalesce them (Nagle) costs a
        // delayed-ACK round of ~40 ms per exchange.
        if let Err(error) = socket.set_nodelay(true) {
            tracing::debug!(%peer, %error, "TCP_NODELAY not set");
        }
        let service = TowerToHyperService::new(app.clone());
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let last = Arc::new(AtomicU64::new(0));
            let io = TokioIo::new(Tracked {
                inner: socket,
                start,
                last: Arc::clone(&last),
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true);
            let connection = builder.serve_connection(io, service);
            tokio::pin!(connection);
            let outcome = tokio::select! {
                result = connection.as_mut() => result.err().map(|e| e.to_string()),
                () = idle_for(start, last, idle) => Some("idle timeout".to_owned()),
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), connection.as_mut()).await;
                    None
                }
            };
            if let Some(reason) = outcome {
                tracing::debug!(%peer, %reason, "connection closed");
            }
            drop(slot);
        });
    }
}
