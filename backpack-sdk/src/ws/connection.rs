//! The connection task: one socket carrying every subscription of a [`Streams`] client.
//!
//! It connects when the first subscription is made and closes the socket when the last one
//! is dropped. It sends one `SUBSCRIBE` per stream (so an error frame follows the request
//! that caused it), private ones signed with a fresh timestamp; pings the server when it
//! has been quiet; and treats a socket that has sent nothing for the idle timeout as dead.
//! On any loss it tells every subscriber, waits a jittered, growing delay, reconnects and
//! resubscribes everything, for as long as there are subscribers.
//!
//! [`Streams`]: super::Streams

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::event::{Message, decode};
use super::subscription::{StreamItem, Subscriber};
use super::{StreamName, StreamsConfig};
use crate::client::Client;
use crate::signing::subscribe_frame;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The largest message accepted from the server.
const MAX_MESSAGE: usize = 8 << 20;

/// What the handles ask of the task.
#[derive(Debug)]
pub(super) enum Command {
    Subscribe {
        id: u64,
        streams: Vec<StreamName>,
        tx: mpsc::Sender<StreamItem>,
    },
    Unsubscribe {
        id: u64,
    },
}

pub(super) struct Connection {
    config: StreamsConfig,
    client: Client,
    connector: Connector,
    commands: mpsc::UnboundedReceiver<Command>,
    subscribers: HashMap<u64, Subscriber>,
    /// Every stream some subscriber wants, with how many do.
    streams: BTreeMap<StreamName, usize>,
    socket: Option<Socket>,
    /// Failed attempts since the last good connection.
    failures: u32,
    next_attempt: Instant,
    /// Whether subscribers have been told of a disconnect not yet followed by a resubscribe.
    gap: bool,
    /// Whether the streams were subscribed on some connection since the first subscriber
    /// came, so that the next subscribed connection is a reconnect.
    was_live: bool,
    /// Connections re-established after a loss, shared with every [`super::Streams`] clone.
    reconnects: Arc<AtomicU64>,
    last_frame: Instant,
    last_ping: Instant,
    random: u64,
}

impl Connection {
    pub(super) fn new(
        config: StreamsConfig,
        client: Client,
        connector: Connector,
        commands: mpsc::UnboundedReceiver<Command>,
        reconnects: Arc<AtomicU64>,
    ) -> Self {
        let now = Instant::now();
        let random = seed();
        Self {
            config,
            client,
            connector,
            commands,
            subscribers: HashMap::new(),
            streams: BTreeMap::new(),
            socket: None,
            failures: 0,
            next_attempt: now,
            gap: false,
            was_live: false,
            reconnects,
            last_frame: now,
            last_ping: now,
            random,
        }
    }

    /// Runs until every handle and subscription is dropped.
    pub(super) async fn run(mut self) {
        let period = (self.config.ping_interval.min(self.config.idle_timeout) / 4)
            .clamp(Duration::from_millis(5), Duration::from_secs(1));
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if self.socket.is_none()
                && !self.subscribers.is_empty()
                && Instant::now() >= self.next_attempt
            {
                self.connect().await;
                continue;
            }
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => break,
                },
                frame = next_frame(&mut self.socket) => self.frame(frame).await,
                _ = tick.tick() => self.housekeeping().await,
            }
        }
        self.close().await;
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Subscribe { id, streams, tx } => {
                let mut added = Vec::new();
                for stream in &streams {
                    let count = self.streams.entry(stream.clone()).or_insert(0);
                    *count += 1;
                    if *count == 1 {
                        added.push(stream.clone());
                    }
                }
                let mut subscriber = Subscriber::new(tx, streams);
                if self.socket.is_some() && self.send_control("SUBSCRIBE", &added).await {
                    let _ = subscriber.notify(StreamItem::Subscribed { after_gap: false });
                }
                self.subscribers.insert(id, subscriber);
            }
            Command::Unsubscribe { id } => self.remove(id).await,
        }
    }

    async fn remove(&mut self, id: u64) {
        let Some(subscriber) = self.subscribers.remove(&id) else {
            return;
        };
        let mut removed = Vec::new();
        for stream in subscriber.streams {
            if let Some(count) = self.streams.get_mut(&stream) {
                *count -= 1;
                if *count == 0 {
                    self.streams.remove(&stream);
                    removed.push(stream);
                }
            }
        }
        if self.subscribers.is_empty() {
            self.close().await;
            self.failures = 0;
            self.gap = false;
            self.was_live = false;
        } else if self.socket.is_some() {
            self.send_control("UNSUBSCRIBE", &removed).await;
        }
    }

    async fn connect(&mut self) {
        let url = self.config.url.clone();
        tracing::debug!(target: "backpack_sdk::ws", %url, failures = self.failures, "connecting");
        // Stream frames are small (snapshots come over REST): a server cannot make the
        // client hold more than this for one message.
        let limits = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        let attempt = tokio_tungstenite::connect_async_tls_with_config(
            url.as_str(),
            Some(limits),
            false,
            Some(self.connector.clone()),
        );
        let socket = match tokio::time::timeout(self.config.connect_timeout, attempt).await {
            Ok(Ok((socket, _response))) => socket,
            Ok(Err(error)) => return self.lost(format!("cannot connect to {url}: {error}")),
            Err(_) => {
                return self.lost(format!(
                    "cannot connect to {url}: no answer within {:?}",
                    self.config.connect_timeout
                ));
            }
        };
        let now = Instant::now();
        self.socket = Some(socket);
        self.last_frame = now;
        self.last_ping = now;
        let streams: Vec<StreamName> = self.streams.keys().cloned().collect();
        if !self.send_control("SUBSCRIBE", &streams).await {
            return;
        }
        tracing::info!(target: "backpack_sdk::ws", %url, streams = streams.len(), "subscribed");
        if std::mem::replace(&mut self.was_live, true) {
            self.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        let after_gap = std::mem::take(&mut self.gap);
        self.broadcast(StreamItem::Subscribed { after_gap });
    }

    /// Sends one control frame per stream; on a write error the connection is lost and
    /// `false` returned.
    async fn send_control(&mut self, method: &str, streams: &[StreamName]) -> bool {
        for stream in streams {
            let signature = if stream.is_private() {
                match self.client.subscribe_signature() {
                    Some(signature) => Some(signature),
                    None => {
                        // Refused when the subscription was made; kept as a guard.
                        tracing::warn!(target: "backpack_sdk::ws", %stream, "no credentials for a private stream");
                        continue;
                    }
                }
            } else {
                None
            };
            let frame = subscribe_frame(method, &[stream.as_str()], signature.as_ref());
            let Some(socket) = self.socket.as_mut() else {
                return false;
            };
            if let Err(error) = socket.send(WsMessage::text(frame)).await {
                self.lost(format!("sending {method} {stream}: {error}"));
                return false;
            }
        }
        true
    }

    async fn frame(
        &mut self,
        frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) {
        self.last_frame = Instant::now();
        match frame {
            Some(Ok(WsMessage::Text(text))) => {
                self.dispatch(&text);
            }
            Some(Ok(WsMessage::Close(close))) => {
                let reason = close.map_or_else(
                    || "the server closed the connection".to_owned(),
                    |close| {
                        format!(
                            "the server closed the connection ({}{}{})",
                            u16::from(close.code),
                            if close.reason.is_empty() { "" } else { ": " },
                            close.reason
                        )
                    },
                );
                self.lost(reason);
            }
            Some(Ok(_)) => {} // pings are answered by the library; pongs and binary ignored
            Some(Err(error)) => self.lost(format!("connection error: {error}")),
            None => self.lost("the connection ended".to_owned()),
        }
    }

    fn dispatch(&mut self, text: &str) {
        match decode(text) {
            Message::Malformed(start) => {
                // Whatever it was (a cut depth delta?) is lost: start again on a clean
                // connection rather than guess.
                self.socket = None;
                self.lost(format!("the server sent a frame that is not JSON: {start}"));
            }
            Message::Data { stream, event } => {
                // A server that sends data is healthy again: the next loss starts the
                // backoff from the beginning.
                self.failures = 0;
                for subscriber in self.subscribers.values_mut() {
                    if subscriber.wants(&stream) {
                        // A dropped receiver's unsubscribe is on its way.
                        let _ = subscriber.deliver(&stream, &event);
                    }
                }
            }
            Message::Error(error) => {
                tracing::warn!(target: "backpack_sdk::ws", code = error.code, message = %error.message, "server error frame");
                self.broadcast(StreamItem::ServerError(error));
            }
            Message::Other(text) => {
                tracing::debug!(target: "backpack_sdk::ws", frame = %text.chars().take(200).collect::<String>(), "unrecognised frame");
            }
        }
    }

    async fn housekeeping(&mut self) {
        for subscriber in self.subscribers.values_mut() {
            let _ = subscriber.flush();
        }
        if self.socket.is_none() {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last_frame) >= self.config.idle_timeout {
            let idle = self.config.idle_timeout;
            self.close().await;
            return self.lost(format!("nothing received for {idle:?}"));
        }
        if now.duration_since(self.last_ping) >= self.config.ping_interval {
            self.last_ping = now;
            let sent = match self.socket.as_mut() {
                Some(socket) => socket.send(WsMessage::Ping(Vec::new().into())).await,
                None => Ok(()),
            };
            if let Err(error) = sent {
                self.lost(format!("sending a ping: {error}"));
            }
        }
    }

    fn broadcast(&mut self, item: StreamItem) {
        for subscriber in self.subscribers.values_mut() {
            let _ = subscriber.notify(item.clone());
        }
    }

    /// The connection is lost: tell everyone and schedule the next attempt.
    fn lost(&mut self, reason: String) {
        self.socket = None;
        let delay = self.backoff();
        self.failures = self.failures.saturating_add(1);
        self.next_attempt = Instant::now() + delay;
        self.gap = true;
        tracing::warn!(target: "backpack_sdk::ws", %reason, retry_in = ?delay, "stream connection lost");
        self.broadcast(StreamItem::Disconnected {
            reason,
            retry_in: delay,
        });
    }

    /// `initial * 2^failures`, capped, times a random factor in [0.5, 1].
    fn backoff(&mut self) -> Duration {
        let initial = self.config.backoff_initial;
        let cap = self.config.backoff_max.max(initial);
        let grown = initial
            .saturating_mul(1u32 << self.failures.min(20))
            .min(cap);
        self.random = splitmix(self.random);
        let permille = 500 + u128::from(self.random % 501);
        let nanos = grown.as_nanos().saturating_mul(permille) / 1000;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    async fn close(&mut self) {
        if let Some(mut socket) = self.socket.take() {
            let close = CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            };
            let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(Some(close))).await;
        }
    }
}

async fn next_frame(
    socket: &mut Option<Socket>,
) -> Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>> {
    match socket {
        Some(socket) => socket.next().await,
        None => std::future::pending().await,
    }
}

fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // Jitter only: a fixed seed is still correct, just less spread.
        return 0x5DEE_CE66_D1CE_4E5B;
    }
    u64::from_le_bytes(bytes)
}

fn splitmix(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
