//! The exchange's WebSocket API served from a simulator (feature `streams`): the streams
//! come from the same engine as the REST API, on a port of their own
//! (`ws://127.0.0.1:<port>`; the fake's ready line calls it `ws_url`).
//!
//! Written from `backpack-ws.md`: `SUBSCRIBE`/`UNSUBSCRIBE` frames with one or more stream
//! names; private streams (`account.*`) need the `signature` array, verified like the
//! exchange (ED25519 over `instruction=subscribe&timestamp=..&window=..`, the window
//! enforced, the key must be an account); errors come back as
//! `{"id":null,"error":{"code":..,"message":..}}`. The server pings every
//! [`ping_interval`](StreamSettings::ping_interval) and closes a connection that has not
//! answered within [`pong_timeout`](StreamSettings::pong_timeout). A connection that cannot
//! keep up with the stream is closed (code 1008).
//!
//! Error codes: 4006 "Invalid stream" is the exchange's (captured); the others are this
//! fake's own, since the exchange's are not documented: 4000 a frame that is not a request,
//! 4001 a missing or malformed signature, 4002 a signature that does not verify or a key
//! with no account, 4003 an expired or future timestamp or a window over 60 s.
//!
//! Faults ([`StreamFaults`]): drop every socket, close with a close frame, go silent, skip a
//! depth sequence id, send a malformed frame.

mod frames;
mod pump;
mod session;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::broadcast;

pub use frames::WireForm;

use super::StartError;
use super::router::{Shared, kline_seconds};
use crate::engine::AccountId;

/// How the fake's streams behave.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Documented or live-drift frames (default documented).
    pub form: WireForm,
    /// How often the server pings (default 60 s, as the exchange).
    pub ping_interval: Duration,
    /// How long a client has to answer a ping (default 120 s).
    pub pong_timeout: Duration,
    /// How often the engine is drained for frames (default 20 ms).
    pub tick: Duration,
    /// How often tickers, mark prices, open interest and open klines are sent (default 1 s).
    pub periodic: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            form: WireForm::Documented,
            ping_interval: Duration::from_secs(60),
            pong_timeout: Duration::from_secs(120),
            tick: Duration::from_millis(20),
            periodic: Duration::from_secs(1),
        }
    }
}

/// One frame for the connections that want it.
#[derive(Debug)]
pub(crate) struct Published {
    /// Public: the stream's name. Private: the stream's base (`account.orderUpdate`).
    stream: String,
    /// Private frames: the market and the account they belong to.
    private: Option<(String, AccountId)>,
    /// The `data` object.
    data: String,
}

impl Published {
    fn public(stream: String, data: String) -> Self {
        Self {
            stream,
            private: None,
            data,
        }
    }

    fn private(base: &str, symbol: String, account: AccountId, data: String) -> Self {
        Self {
            stream: base.to_owned(),
            private: Some((symbol, account)),
            data,
        }
    }
}

/// What the sessions are told to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    Drop,
    Close,
    Silence(Duration),
    Malformed,
}

/// State shared by the pump and the sessions.
#[derive(Debug)]
pub(crate) struct Hub {
    publish: broadcast::Sender<Arc<Published>>,
    control: broadcast::Sender<Control>,
    /// Public streams some session subscribed to, with how many.
    interest: Mutex<HashMap<String, usize>>,
    connections: AtomicUsize,
    skip_depth_sequence: AtomicBool,
    stats: Stats,
}

/// Counters, for tests.
#[derive(Debug, Default)]
struct Stats {
    accepted: AtomicU64,
    pongs: AtomicU64,
    refused_subscriptions: AtomicU64,
}

impl Hub {
    fn wanted(&self, stream: &str) -> bool {
        self.interest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(stream)
            .is_some_and(|count| *count > 0)
    }

    fn add_interest(&self, stream: &str) {
        *self
            .interest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(stream.to_owned())
            .or_insert(0) += 1;
    }

    fn remove_interest(&self, stream: &str) {
        let mut interest = self.interest.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = interest.get_mut(stream) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                interest.remove(stream);
            }
        }
    }

    /// Subscribed kline streams: name, symbol, interval in seconds.
    fn kline_streams(&self) -> Vec<(String, (String, i64))> {
        self.interest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .filter_map(|stream| {
                let rest = stream.strip_prefix("kline.")?;
                let (interval, symbol) = rest.split_once('.')?;
                Some((
                    stream.clone(),
                    (symbol.to_owned(), kline_seconds(interval)?),
                ))
            })
            .collect()
    }
}

/// Injects faults into the fake's streams.
#[derive(Debug, Clone)]
pub struct StreamFaults {
    hub: Arc<Hub>,
}

impl StreamFaults {
    /// Drops every socket at once, without a close frame (a network failure).
    pub fn drop_connections(&self) {
        let _ = self.hub.control.send(Control::Drop);
    }

    /// Closes every connection with a close frame (code 1001, as on a server shutdown).
    pub fn close_connections(&self) {
        let _ = self.hub.control.send(Control::Close);
    }

    /// Every connection stops sending and reading (no data, no pings, no pongs) for `for_`.
    pub fn go_silent(&self, for_: Duration) {
        let _ = self.hub.control.send(Control::Silence(for_));
    }

    /// The next depth message of every depth stream skips one update id (a gap).
    pub fn skip_depth_sequence(&self) {
        self.hub.skip_depth_sequence.store(true, Ordering::Relaxed);
    }

    /// Every connection receives one text frame that is not valid JSON.
    pub fn send_malformed_frame(&self) {
        let _ = self.hub.control.send(Control::Malformed);
    }

    /// Connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.hub.stats.accepted.load(Ordering::Relaxed)
    }

    /// Connections open now.
    pub fn connections_open(&self) -> usize {
        self.hub.connections.load(Ordering::Relaxed)
    }

    /// Pongs received from clients (answers to the server's pings).
    pub fn pongs_received(&self) -> u64 {
        self.hub.stats.pongs.load(Ordering::Relaxed)
    }

    /// Subscriptions refused (invalid stream, bad or missing signature).
    pub fn refused_subscriptions(&self) -> u64 {
        self.hub.stats.refused_subscriptions.load(Ordering::Relaxed)
    }
}

/// The running WebSocket server. Stops when dropped.
#[derive(Debug)]
pub struct StreamServer {
    addr: SocketAddr,
    hub: Arc<Hub>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl StreamServer {
    /// Binds 127.0.0.1:`port` (0: any) and starts serving.
    pub(crate) async fn start(
        simulator: Arc<Shared>,
        port: u16,
        settings: StreamSettings,
    ) -> Result<Self, StartError> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            StartError(format!(
                "cannot listen on 127.0.0.1:{port} for WebSocket: {e}"
            ))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError(format!("WebSocket listener address: {e}")))?;
        let hub = Arc::new(Hub {
            publish: broadcast::channel(4_096).0,
            control: broadcast::channel(16).0,
            interest: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
            skip_depth_sequence: AtomicBool::new(false),
            stats: Stats::default(),
        });
        let pump = pump::Pump::new(
            Arc::clone(&simulator),
            Arc::clone(&hub),
            settings.form,
            settings.tick,
            settings.periodic,
        );
        let pump = tokio::spawn(pump.run());
        let accept = tokio::spawn(session::accept(
            listener,
            simulator,
            Arc::clone(&hub),
            settings,
        ));
        Ok(Self {
            addr,
            hub,
            tasks: vec![pump, accept],
        })
    }

    /// `ws://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Fault injection and counters.
    pub fn faults(&self) -> StreamFaults {
        StreamFaults {
            hub: Arc::clone(&self.hub),
        }
    }
}

impl Drop for StreamServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        // Sessions end when told, so that no socket outlives the server.
        let _ = self.hub.control.send(Control::Drop);
    }
}
