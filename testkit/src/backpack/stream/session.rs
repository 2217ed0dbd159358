//! One WebSocket connection: its requests, its subscriptions, its pings.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::frames::{self, WireForm};
use super::{Control, Hub, Published, StreamSettings, kline_seconds};
use crate::backpack::router::Shared;
use crate::backpack::{account, auth};
use crate::engine::AccountId;
use trading_core::clock::Clock as _;

pub(super) async fn accept(
    listener: TcpListener,
    simulator: Arc<Shared>,
    hub: Arc<Hub>,
    settings: StreamSettings,
) {
    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(serve(
                    tcp,
                    Arc::clone(&simulator),
                    Arc::clone(&hub),
                    settings.clone(),
                ));
            }
            // Out of descriptors and the like: wait rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Counts the connection while it lives.
struct Open(Arc<Hub>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Deserialize)]
struct RequestFrame {
    method: String,
    #[serde(default)]
    params: Vec<Value>,
    #[serde(default)]
    signature: Option<Vec<Value>>,
    #[serde(default)]
    id: Option<Value>,
}

struct Session {
    simulator: Arc<Shared>,
    hub: Arc<Hub>,
    form: WireForm,
    /// Subscribed streams; private ones with the account that signed.
    subscriptions: BTreeMap<String, Option<AccountId>>,
}

type Socket = WebSocketStream<TcpStream>;

async fn serve(tcp: TcpStream, simulator: Arc<Shared>, hub: Arc<Hub>, settings: StreamSettings) {
    let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    // Record from now on, so nothing after this connection's first request is missed.
    simulator.exchange().record_events(true);
    hub.stats.accepted.fetch_add(1, Ordering::Relaxed);
    hub.connections.fetch_add(1, Ordering::Relaxed);
    let _open = Open(Arc::clone(&hub));
    let mut publish = hub.publish.subscribe();
    let mut control = hub.control.subscribe();
    let mut session = Session {
        simulator,
        hub: Arc::clone(&hub),
        form: settings.form,
        subscriptions: BTreeMap::new(),
    };
    let mut ping = tokio::time::interval_at(
        Instant::now() + settings.ping_interval,
        settings.ping_interval,
    );
    let mut unanswered_since: Option<Instant> = None;
    loop {
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    for reply in session.request(&text) {
                        if socket.send(Message::text(reply)).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Pong(_))) => {
                    hub.stats.pongs.fetch_add(1, Ordering::Relaxed);
                    unanswered_since = None;
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {} // pings are answered by the library
            },
            item = publish.recv() => match item {
                Ok(published) => {
                    if let Some(frame) = session.route(&published)
                        && socket.send(Message::text(frame)).await.is_err()
                    {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    close(&mut socket, CloseCode::Policy, "slow consumer").await;
                    break;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            command = control.recv() => match command {
                Ok(Control::Drop) | Err(broadcast::error::RecvError::Closed) => return session.end(),
                Ok(Control::Close) => {
                    close(&mut socket, CloseCode::Away, "server shutting down").await;
                    break;
                }
                Ok(Control::Silence(duration)) => {
                    tokio::time::sleep(duration).await;
                    // What would have been sent meanwhile is gone, as on a stalled link.
                    publish = publish.resubscribe();
                }
                Ok(Control::Malformed) => {
                    let garbage = r#"{"stream":"depth.SOL_USDC","data":{"e":"depth","U":"#;
                    if socket.send(Message::text(garbage)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
            },
            _ = ping.tick() => {
                if let Some(since) = unanswered_since
                    && since.elapsed() >= settings.pong_timeout
                {
                    close(&mut socket, CloseCode::Policy, "no pong").await;
                    break;
                }
                unanswered_since.get_or_insert_with(Instant::now);
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    session.end();
}

async fn close(socket: &mut Socket, code: CloseCode, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.to_owned().into(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(Some(frame))).await;
}

fn error_frame(id: Option<&Value>, code: i64, message: &str) -> String {
    serde_json::json!({
        "id": id.cloned().unwrap_or(Value::Null),
        "error": { "code": code, "message": message },
    })
    .to_string()
}

impl Session {
    /// Answers one request: error frames and, for a position subscription, the snapshot.
    fn request(&mut self, text: &str) -> Vec<String> {
        let Ok(request) = serde_json::from_str::<RequestFrame>(text) else {
            return vec![error_frame(None, 4000, "Invalid request")];
        };
        let id = request.id.as_ref();
        let names: Option<Vec<&str>> = request.params.iter().map(Value::as_str).collect();
        let Some(names) = names.filter(|names| !names.is_empty()) else {
            return vec![error_frame(
                id,
                4000,
                "Invalid request: params must be stream names",
            )];
        };
        match request.method.as_str() {
            "SUBSCRIBE" => self.subscribe(&names, request.signature.as_deref(), id),
            "UNSUBSCRIBE" => {
                for name in names {
                    if self.subscriptions.remove(name).is_some() && !name.starts_with("account.") {
                        self.hub.remove_interest(name);
                    }
                }
                Vec::new()
            }
            _ => vec![error_frame(id, 4000, "Invalid request: unknown method")],
        }
    }

    fn subscribe(
        &mut self,
        names: &[&str],
        signature: Option<&[Value]>,
        id: Option<&Value>,
    ) -> Vec<String> {
        let mut replies = Vec::new();
        let mut signer: Option<Result<AccountId, (i64, &'static str)>> = None;
        for name in names {
            if !self.valid_stream(name) {
                self.hub
                    .stats
                    .refused_subscriptions
                    .fetch_add(1, Ordering::Relaxed);
                replies.push(error_frame(id, 4006, "Invalid stream"));
                continue;
            }
            if !name.starts_with("account.") {
                if self
                    .subscriptions
                    .insert((*name).to_owned(), None)
                    .is_none()
                {
                    self.hub.add_interest(name);
                }
                continue;
            }
            let account = *signer.get_or_insert_with(|| self.signer(signature));
            match account {
                Ok(account) => {
                    self.subscriptions.insert((*name).to_owned(), Some(account));
                    if name.starts_with("account.positionUpdate") {
                        replies.extend(self.position_snapshot(name, account));
                    }
                }
                Err((code, message)) => {
                    self.hub
                        .stats
                        .refused_subscriptions
                        .fetch_add(1, Ordering::Relaxed);
                    replies.push(error_frame(id, code, message));
                }
            }
        }
        replies
    }

    fn signer(&self, signature: Option<&[Value]>) -> Result<AccountId, (i64, &'static str)> {
        let api_key = auth::verify_subscribe(signature, self.simulator.clock.now_ms())?;
        self.simulator
            .exchange()
            .account_id(&api_key)
            .ok_or((4002, "Invalid signature"))
    }

    /// Whether the exchange has this stream (a known kind on a known market).
    fn valid_stream(&self, name: &str) -> bool {
        let ex = self.simulator.exchange();
        let market = |symbol: &str| ex.market_id(symbol).is_some();
        let parts: Vec<&str> = name.splitn(3, '.').collect();
        match parts[..] {
            ["liquidation"] | ["account", "orderUpdate" | "positionUpdate" | "rfqUpdate"] => true,
            [
                "account",
                "orderUpdate" | "positionUpdate" | "rfqUpdate",
                symbol,
            ] => market(symbol),
            [
                "bookTicker" | "trade" | "ticker" | "markPrice" | "openInterest",
                symbol,
            ] => market(symbol),
            ["depth", symbol] => market(symbol),
            ["depth", "200ms" | "600ms" | "1000ms", symbol] => market(symbol),
            ["kline", interval, symbol] => kline_seconds(interval).is_some() && market(symbol),
            _ => false,
        }
    }

    /// The open positions, without `e`, as the exchange sends them on subscribe.
    fn position_snapshot(&self, name: &str, account: AccountId) -> Vec<String> {
        let symbol = name.strip_prefix("account.positionUpdate.");
        let ex = self.simulator.exchange();
        let now_us = i64::try_from(ex.now_ms())
            .unwrap_or(i64::MAX)
            .saturating_mul(1_000);
        account::positions(&ex, account, symbol)
            .iter()
            .map(|row| {
                let data = frames::position(&row.symbol, None, Some(row), now_us, self.form);
                format!("{{\"stream\":{},\"data\":{data}}}", Value::from(name))
            })
            .collect()
    }

    /// The frame for this connection, if it subscribed to what was published.
    fn route(&self, published: &Published) -> Option<String> {
        let name = match &published.private {
            None => self
                .subscriptions
                .contains_key(&published.stream)
                .then(|| published.stream.clone())?,
            Some((symbol, account)) => {
                let with_symbol = format!("{}.{symbol}", published.stream);
                if self.subscriptions.get(&with_symbol) == Some(&Some(*account)) {
                    with_symbol
                } else if self.subscriptions.get(&published.stream) == Some(&Some(*account)) {
                    published.stream.clone()
                } else {
                    return None;
                }
            }
        };
        Some(format!(
            "{{\"stream\":{},\"data\":{}}}",
            Value::from(name),
            published.data
        ))
    }

    fn end(self) {
        for (name, account) in &self.subscriptions {
            if account.is_none() {
                self.hub.remove_interest(name);
            }
        }
    }
}
