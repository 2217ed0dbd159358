//! WebSocket streams (feature `ws`): one connection carrying many subscriptions, public and
//! private, that survives the network.
//!
//! ```no_run
//! use backpack_sdk::Client;
//! use backpack_sdk::ws::{DepthInterval, Event, StreamItem, StreamName};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env()?;
//! let streams = client.streams().build()?;
//! let mut subscription = streams.subscribe([
//!     StreamName::trades("SOL_USDC"),
//!     StreamName::order_updates(None), // private: signed with the client's key
//! ])?;
//! while let Some(item) = subscription.next().await {
//!     match item {
//!         StreamItem::Event { event: Event::Trade(trade), .. } => println!("{} @ {}", trade.quantity, trade.price),
//!         StreamItem::Event { event: Event::Order(update), .. } => println!("{:?} {}", update.kind, update.status),
//!         StreamItem::Subscribed { after_gap: true } => println!("reconnected: rebuild from REST"),
//!         other => println!("{other:?}"),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! - **One connection** per [`Streams`], opened with the first subscription and closed
//!   when the last is dropped. Each stream is subscribed once however many subscriptions
//!   want it; private streams (`account.*`) are signed with the client's key, clock offset
//!   and window by the same signing code as REST, afresh on every (re)connect.
//! - **Liveness**: the server's pings are answered; the client pings after
//!   [`ping_interval`](StreamsBuilder::ping_interval) and treats a connection that sent
//!   nothing for [`idle_timeout`](StreamsBuilder::idle_timeout) as dead.
//! - **Reconnects** for as long as a subscription lives, after a delay that doubles from
//!   [`backoff`](StreamsBuilder::backoff)'s initial value up to its cap, with jitter. Every
//!   subscription is told: [`StreamItem::Disconnected`], then
//!   [`StreamItem::Subscribed`] `{ after_gap: true }` once its streams are re-sent. Nothing
//!   is replayed by the exchange: rebuild books and orders after a gap.
//! - **Slow consumers**: each subscription has a bounded buffer
//!   ([`buffer`](StreamsBuilder::buffer)); the connection never waits for a subscriber.
//!   Events that do not fit are dropped *for that subscriber* and counted
//!   ([`StreamItem::Lagged`]); notices are never dropped.
//! - **No panics** on any frame or network fault; a frame that does not decode arrives as
//!   [`Event::Unrecognized`] with the reason.
//! - A subscription never ends by itself: it ends when dropped.

mod book;
mod connection;
mod event;
mod lenient;
mod name;
mod subscription;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_tungstenite::Connector;

use crate::client::Client;

pub use book::{BookChange, BookError, BookStatus, BookWalk, LocalBook, OrderBook, Resync};
pub use event::{
    BookTicker, DepthUpdate, Event, KlineUpdate, Liquidation, MarkPriceUpdate, Message,
    OpenInterestUpdate, OrderEventKind, OrderOrigin, OrderUpdate, PositionEventKind,
    PositionUpdate, PublicTrade, RawEvent, ServerError, TickerUpdate, decode,
};
pub use name::{DepthInterval, InvalidStreamName, StreamName};
pub use subscription::{StreamItem, Subscription};

/// The exchange's WebSocket URL.
pub const DEFAULT_WS_URL: &str = "wss://ws.backpack.exchange";
/// Environment variable read by [`StreamsBuilder::from_env`] for the URL.
pub const ENV_WS_URL: &str = "BACKPACK_WS_URL";

/// Why streams could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// `build` was called outside a tokio runtime (the connection runs as a task).
    #[error("Backpack streams need a tokio runtime: build them inside one")]
    NoRuntime,
    /// The URL is not a `ws://` or `wss://` URL.
    #[error("`{0}` is not a ws:// or wss:// URL")]
    InvalidUrl(String),
    /// TLS could not be set up.
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    /// A private stream was asked for and the client has no key.
    #[error("{0} is a private stream: the client needs credentials (BACKPACK_API_SECRET)")]
    NoCredentials(String),
    /// A subscription with no streams.
    #[error("a subscription needs at least one stream")]
    NoStreams,
    /// The connection task has stopped (its runtime shut down).
    #[error("the stream connection task has stopped")]
    Stopped,
}

/// Settings of a [`Streams`] client.
#[derive(Debug, Clone)]
pub(crate) struct StreamsConfig {
    pub(crate) url: String,
    pub(crate) ping_interval: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) backoff_initial: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) buffer: usize,
}

/// Configures [`Streams`]; start from [`Client::streams`].
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the streams client"]
pub struct StreamsBuilder {
    client: Client,
    config: StreamsConfig,
}

impl StreamsBuilder {
    pub(crate) fn new(client: Client) -> Self {
        Self {
            client,
            config: StreamsConfig {
                url: DEFAULT_WS_URL.to_owned(),
                ping_interval: Duration::from_secs(30),
                idle_timeout: Duration::from_secs(90),
                connect_timeout: Duration::from_secs(10),
                backoff_initial: Duration::from_millis(250),
                backoff_max: Duration::from_secs(10),
                buffer: 1024,
            },
        }
    }

    /// The URL from [`ENV_WS_URL`] if set (default: [`DEFAULT_WS_URL`]).
    pub fn from_env(self) -> Self {
        match std::env::var(ENV_WS_URL) {
            Ok(url) if !url.trim().is_empty() => self.url(url.trim()),
            _ => self,
        }
    }

    /// The WebSocket URL (default [`DEFAULT_WS_URL`]).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.config.url = url.into();
        self
    }

    /// Ping the server after this long without sending one (default 30 s; the exchange
    /// pings every 60 s and drops a client that has not answered within 120 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.config.ping_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Reconnect when nothing at all arrived for this long (default 90 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// Give up a connection attempt after this long (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Reconnect delay: `initial` after the first failure, doubling up to `max`, each
    /// times a random factor between 0.5 and 1 (default 250 ms up to 10 s).
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.config.backoff_initial = initial;
        self.config.backoff_max = max;
        self
    }

    /// Events buffered per subscription before it lags (default 1024, at least 1).
    pub fn buffer(mut self, events: usize) -> Self {
        self.config.buffer = events.max(1);
        self
    }

    /// Starts the connection task (it connects on the first subscription).
    ///
    /// # Errors
    /// [`StreamError::NoRuntime`] outside a tokio runtime, [`StreamError::InvalidUrl`],
    /// [`StreamError::Tls`].
    pub fn build(self) -> Result<Streams, StreamError> {
        let url = self.config.url.trim();
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(StreamError::InvalidUrl(url.chars().take(200).collect()));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StreamError::NoRuntime)?;
        let connector = tls_connector()?;
        let has_credentials = self.client.has_credentials();
        let (commands, receiver) = mpsc::unbounded_channel();
        let reconnects = Arc::new(AtomicU64::new(0));
        let connection = connection::Connection::new(
            self.config.clone(),
            self.client,
            connector,
            receiver,
            Arc::clone(&reconnects),
        );
        runtime.spawn(connection.run());
        Ok(Streams {
            shared: Arc::new(Shared {
                commands,
                next_id: AtomicU64::new(1),
                has_credentials,
                buffer: self.config.buffer,
                url: self.config.url,
                reconnects,
            }),
        })
    }
}

fn tls_connector() -> Result<Connector, StreamError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| StreamError::Tls(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

#[derive(Debug)]
struct Shared {
    commands: mpsc::UnboundedSender<connection::Command>,
    next_id: AtomicU64,
    has_credentials: bool,
    buffer: usize,
    url: String,
    reconnects: Arc<AtomicU64>,
}

/// A Backpack streams client: one connection, many [`Subscription`]s. Cheap to clone; the
/// connection task stops when every clone and every subscription is dropped.
#[derive(Debug, Clone)]
pub struct Streams {
    shared: Arc<Shared>,
}

impl Streams {
    /// Subscribes to streams. Returns at once: the subscription receives
    /// [`StreamItem::Subscribed`] when its streams are sent on a live connection, and
    /// [`StreamItem::Disconnected`] while the server cannot be reached.
    ///
    /// # Errors
    /// [`StreamError::NoStreams`], [`StreamError::NoCredentials`] for a private stream
    /// without a key, [`StreamError::Stopped`] if the task is gone.
    pub fn subscribe(
        &self,
        streams: impl IntoIterator<Item = StreamName>,
    ) -> Result<Subscription, StreamError> {
        let mut streams: Vec<StreamName> = streams.into_iter().collect();
        streams.sort();
        streams.dedup();
        if streams.is_empty() {
            return Err(StreamError::NoStreams);
        }
        if !self.shared.has_credentials
            && let Some(private) = streams.iter().find(|stream| stream.is_private())
        {
            return Err(StreamError::NoCredentials(private.to_string()));
        }
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.shared.buffer);
        self.shared
            .commands
            .send(connection::Command::Subscribe {
                id,
                streams: streams.clone(),
                tx,
            })
            .map_err(|_| StreamError::Stopped)?;
        Ok(Subscription {
            id,
            streams,
            rx,
            commands: self.shared.commands.clone(),
        })
    }

    /// The URL this client connects to.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// How many times the connection was re-established after it was lost (dropped,
    /// closed, silent or garbled) while subscriptions lived: not the first connection, nor
    /// a new one after every subscription had been dropped. Attempts that failed do not
    /// count; each reconnect is also a [`StreamItem::Subscribed`] with `after_gap`.
    pub fn reconnects(&self) -> u64 {
        self.shared.reconnects.load(Ordering::Relaxed)
    }
}

impl Client {
    /// Configures WebSocket streams that sign private subscriptions with this client's key,
    /// clock offset and window (feature `ws`).
    pub fn streams(&self) -> StreamsBuilder {
        StreamsBuilder::new(self.clone())
    }
}
