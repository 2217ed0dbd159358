//! A fake TWS / IB Gateway that the real `ibapi` 5.5 client talks to.
//!
//! It speaks the protocol as `ibapi` 5.5 does (handshake, length-prefixed frames, protobuf
//! messages written for this crate from the protocol's field numbers) on 127.0.0.1, and is
//! stateful: instruments with quotes and a deterministic bar history, an account with cash
//! and positions, and an order engine with fills, executions, commission reports, brackets,
//! OCA groups and what-if previews (see [`broker`]). Tests can inject faults ([`TwsFault`])
//! and read every request that reached it ([`FakeTws::requests`]).
//!
//! ```no_run
//! # async fn run() {
//! let fake = testkit::tws::FakeTws::start().await;
//! let client = ibapi::Client::connect(&fake.address().to_string(), 7).await.unwrap();
//! println!("{:?}", client.server_time().await);
//! # }
//! ```

pub mod account;
pub mod broker;
mod handlers;
mod live;
pub mod market;
pub mod proto;
mod session;
mod walk;
mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use trading_core::clock::{ManualClock, SharedClock};

use rust_decimal::Decimal;
use tokio::sync::{mpsc, watch};

pub use broker::{Auction, Broker, ExecutionRecord, FakeOrder};
pub use market::{DataPermission, Instrument, Quote};
pub use walk::WalkPlan;

/// The requests the fake understands, for faults and recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestKind {
    /// `startApi` (handshake end).
    StartApi,
    /// Server time.
    CurrentTime,
    /// Server time in milliseconds.
    CurrentTimeInMillis,
    /// Managed accounts.
    ManagedAccounts,
    /// Contract details.
    ContractData,
    /// Market data (snapshot or stream).
    MarketData,
    /// Cancel of a market data stream.
    CancelMarketData,
    /// Market data type switch.
    MarketDataType,
    /// Historical bars.
    HistoricalData,
    /// Account summary.
    AccountSummary,
    /// Positions.
    Positions,
    /// Account PnL.
    PnL,
    /// Single-position PnL.
    PnLSingle,
    /// Next valid order id.
    Ids,
    /// Place (or modify, or preview) an order.
    PlaceOrder,
    /// Cancel an order.
    CancelOrder,
    /// Cancel every order.
    GlobalCancel,
    /// This client's open orders.
    OpenOrders,
    /// Every client's open orders.
    AllOpenOrders,
    /// Completed orders.
    CompletedOrders,
    /// Executions.
    Executions,
    /// Real-time 5-second bars.
    RealTimeBars,
    /// Cancel of real-time bars.
    CancelRealTimeBars,
    /// Tick-by-tick data.
    TickByTick,
    /// Cancel of tick-by-tick data.
    CancelTickByTick,
    /// Market depth.
    MarketDepth,
    /// Cancel of market depth.
    CancelMarketDepth,
    /// Any cancel of a subscription other than market data.
    Cancel,
    /// Anything else (ignored).
    Other(i32),
}

impl RequestKind {
    fn of(message_id: i32) -> Self {
        use wire::request as r;
        match message_id {
            r::START_API => RequestKind::StartApi,
            r::CURRENT_TIME => RequestKind::CurrentTime,
            r::CURRENT_TIME_MILLIS => RequestKind::CurrentTimeInMillis,
            r::MANAGED_ACCOUNTS => RequestKind::ManagedAccounts,
            r::CONTRACT_DATA => RequestKind::ContractData,
            r::MARKET_DATA => RequestKind::MarketData,
            r::CANCEL_MARKET_DATA => RequestKind::CancelMarketData,
            r::MARKET_DATA_TYPE => RequestKind::MarketDataType,
            r::HISTORICAL_DATA => RequestKind::HistoricalData,
            r::ACCOUNT_SUMMARY => RequestKind::AccountSummary,
            r::POSITIONS => RequestKind::Positions,
            r::PNL => RequestKind::PnL,
            r::PNL_SINGLE => RequestKind::PnLSingle,
            r::IDS => RequestKind::Ids,
            r::PLACE_ORDER => RequestKind::PlaceOrder,
            r::CANCEL_ORDER => RequestKind::CancelOrder,
            r::GLOBAL_CANCEL => RequestKind::GlobalCancel,
            r::OPEN_ORDERS => RequestKind::OpenOrders,
            r::ALL_OPEN_ORDERS => RequestKind::AllOpenOrders,
            r::COMPLETED_ORDERS => RequestKind::CompletedOrders,
            r::EXECUTIONS => RequestKind::Executions,
            r::REAL_TIME_BARS => RequestKind::RealTimeBars,
            r::CANCEL_REAL_TIME_BARS => RequestKind::CancelRealTimeBars,
            r::TICK_BY_TICK => RequestKind::TickByTick,
            r::CANCEL_TICK_BY_TICK => RequestKind::CancelTickByTick,
            r::MARKET_DEPTH => RequestKind::MarketDepth,
            r::CANCEL_MARKET_DEPTH => RequestKind::CancelMarketDepth,
            r::CANCEL_HISTORICAL_DATA
            | r::CANCEL_ACCOUNT_SUMMARY
            | r::CANCEL_POSITIONS
            | r::CANCEL_PNL
            | r::CANCEL_PNL_SINGLE
            | r::CANCEL_CONTRACT_DATA => RequestKind::Cancel,
            other => RequestKind::Other(other),
        }
    }
}

/// A request that reached the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Which connection (1, 2, … in connection order).
    pub session: u64,
    /// The connection's client id.
    pub client_id: i32,
    /// What it was.
    pub kind: RequestKind,
    /// The TWS message name.
    pub name: &'static str,
    /// The protobuf payload as received.
    pub payload: Vec<u8>,
}

impl RecordedRequest {
    /// Decodes the payload as message `M`.
    ///
    /// # Errors
    /// If the payload is not an `M`.
    pub fn decode<M: prost::Message + Default>(&self) -> Result<M, prost::DecodeError> {
        M::decode(self.payload.as_slice())
    }
}

/// A failure to inject. The names are the fake Backpack's ([`crate::backpack::Fault`]) for the
/// same failures; a fault is aimed with [`on`](Self::on) (or [`once`](Self::once) for the next
/// request of any kind), hits one request unless told otherwise
/// ([`FaultRule::times`], [`FaultRule::always`]), and is injected with
/// [`FakeTws::inject`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TwsFault {
    /// Refuse a connection with this client id (error 326, then close); counts connections,
    /// not requests.
    ClientIdInUse(i32),
    /// Answer with an error instead of serving the request.
    Error {
        /// Error code (200 no security definition, 354 not subscribed, 162 HMDS, 321 bad
        /// request, 201 order rejected, …).
        code: i32,
        /// Error text.
        message: String,
    },
    /// Serve the request, but only after `delay` (on the fake's clock: see
    /// [`FakeTwsBuilder::manual_clock`]).
    Slow {
        /// How long.
        delay: Duration,
    },
    /// Never answer the request.
    NoReply,
    /// Close the connection when the request arrives (after recording it, before serving
    /// it).
    DropBeforeProcessing,
    /// Serve the request (an order is placed and works), then close the connection before
    /// any reply reaches this client: the order's outcome is unknown to it.
    DropAfterProcessing,
    /// Serve the request (an order is acknowledged and works), then send an error frame for
    /// it, as TWS does when a late check objects to an accepted order.
    ErrorAfterProcessing {
        /// Error code.
        code: i32,
        /// Error text.
        message: String,
    },
}

impl TwsFault {
    /// For requests of this kind only.
    pub fn on(self, request: RequestKind) -> FaultRule {
        FaultRule {
            fault: self,
            request: Some(request),
            remaining: Some(1),
        }
    }

    /// For the next request, whatever it is (the next connection for
    /// [`ClientIdInUse`](Self::ClientIdInUse)).
    pub fn once(self) -> FaultRule {
        FaultRule {
            fault: self,
            request: None,
            remaining: Some(1),
        }
    }
}

/// A fault and which requests it hits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a fault rule does nothing until injected"]
pub struct FaultRule {
    pub(crate) fault: TwsFault,
    pub(crate) request: Option<RequestKind>,
    pub(crate) remaining: Option<usize>,
}

impl From<TwsFault> for FaultRule {
    fn from(fault: TwsFault) -> Self {
        fault.once()
    }
}

impl FaultRule {
    /// Hits the next `n` matching requests (default 1).
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Hits every matching request from now on.
    pub fn always(mut self) -> Self {
        self.remaining = None;
        self
    }
}

/// What one connection has subscribed to.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions {
    /// Market data streams: request id → (contract id, delayed).
    quotes: HashMap<i32, (i32, bool)>,
    /// Account PnL streams.
    pnl: Vec<i32>,
    /// Single-position PnL streams: request id → contract id.
    pnl_single: HashMap<i32, i32>,
    /// Real-time bars, tick-by-tick and depth streams.
    live: live::LiveStreams,
    /// When position updates are wanted: the quantity last sent per contract, so that
    /// only changes go out (as a gateway sends them).
    positions: Option<std::collections::BTreeMap<i32, Decimal>>,
}

pub(crate) enum Out {
    Frame(Vec<u8>),
    Close,
}

pub(crate) struct SessionState {
    client_id: i32,
    tx: mpsc::UnboundedSender<Out>,
    market_data_type: i32,
    subscriptions: Subscriptions,
}

pub(crate) struct State {
    broker: Broker,
    server_version: i32,
    farm_notices: bool,
    sessions: HashMap<u64, SessionState>,
    next_session: u64,
    record: bool,
    recorded: Vec<RecordedRequest>,
    counts: HashMap<RequestKind, usize>,
    faults: Vec<FaultRule>,
    /// The manual clock, when time is the test's to move.
    manual_time: Option<Arc<ManualClock>>,
    /// Requests waiting for the manual clock.
    delayed: Vec<session::Delayed>,
    /// How long a client id stays in use after its connection ends.
    linger: Duration,
    /// Market-data lines per connection (quote, tick-by-tick and depth streams).
    market_data_lines: usize,
    /// Client ids still held by ended connections, until when.
    held: HashMap<i32, std::time::Instant>,
}

impl State {
    fn record(&mut self, request: RecordedRequest) {
        *self.counts.entry(request.kind).or_default() += 1;
        if self.record {
            self.recorded.push(request);
        }
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    /// The price walk on a clock, when one is set (locked before `state`, never after).
    walk: Mutex<Option<walk::ClockWalk>>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The quote of an instrument moved to `last`: one tick either side, sizes kept.
pub(crate) fn quote_at(broker: &Broker, con_id: i32, last: Decimal) -> Option<Quote> {
    broker.instrument(con_id).map(|i| {
        let mut quote = Quote::around(last, i.min_tick, i.quote.bid_size);
        quote.ask_size = i.quote.ask_size;
        quote.volume = i.quote.volume;
        quote.close = i.quote.close;
        quote
    })
}

/// Configures a [`FakeTws`].
#[derive(Debug, Clone)]
#[must_use = "call .start() to run the fake gateway"]
pub struct FakeTwsBuilder {
    account: String,
    cash: Decimal,
    instruments: Vec<Instrument>,
    server_version: i32,
    next_order_id: i32,
    port: u16,
    farm_notices: bool,
    record_requests: bool,
    clock: Option<Arc<ManualClock>>,
    linger: Duration,
    market_data_lines: usize,
}

impl Default for FakeTwsBuilder {
    fn default() -> Self {
        Self {
            account: "DU1234567".into(),
            cash: Decimal::from(100_000),
            instruments: Instrument::defaults(),
            server_version: 222,
            next_order_id: 1,
            port: 0,
            farm_notices: true,
            record_requests: true,
            clock: None,
            linger: Duration::ZERO,
            market_data_lines: 100,
        }
    }
}

impl FakeTwsBuilder {
    /// The account id (`DU…` for a paper account, anything else reads as live).
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = account.into();
        self
    }

    /// Starting cash.
    pub fn cash(mut self, cash: Decimal) -> Self {
        self.cash = cash;
        self
    }

    /// Instruments (replacing the defaults).
    pub fn instruments(mut self, instruments: Vec<Instrument>) -> Self {
        self.instruments = instruments;
        self
    }

    /// Protocol version announced in the handshake (`ibapi` 5.5 needs at least 213).
    pub fn server_version(mut self, version: i32) -> Self {
        self.server_version = version;
        self
    }

    /// First order id announced (`NextValidId`).
    pub fn next_order_id(mut self, id: i32) -> Self {
        self.next_order_id = id;
        self
    }

    /// Listen on this port of 127.0.0.1 (default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether to send the "market data farm connection is OK" notices at connect (default
    /// on, as a real gateway does).
    pub fn farm_notices(mut self, on: bool) -> Self {
        self.farm_notices = on;
        self
    }

    /// Whether to keep every request for [`FakeTws::requests`] (default on; a long-running
    /// fake turns it off so memory stays flat).
    pub fn record_requests(mut self, on: bool) -> Self {
        self.record_requests = on;
        self
    }

    /// Keeps a client id "in use" for `linger` after its connection ends, as a real gateway
    /// does until it notices a dropped socket: a client that reconnects at once is refused
    /// with error 326 until then (default: released at once). A [`FakeTws::stop`] releases
    /// every id, as a restart does.
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// Market-data lines a connection may use at once: streaming quotes, tick-by-tick and
    /// depth streams each take one; past it the gateway refuses with error 101 (10190 for
    /// tick-by-tick). Default 100, as a basic IBKR account. Depth books are also limited to
    /// three (error 309).
    pub fn market_data_lines(mut self, lines: usize) -> Self {
        self.market_data_lines = lines;
        self
    }

    /// Time is `clock`'s (current time, order and execution times), and delayed answers
    /// ([`TwsFault::Slow`]) wait for [`FakeTws::advance`] to move it past their time
    /// instead of a real timer: tests move time instead of sleeping. Default: the system
    /// clock and real delays.
    pub fn manual_clock(mut self, clock: Arc<ManualClock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Starts listening.
    ///
    /// # Errors
    /// If the port cannot be bound.
    pub async fn try_start(self) -> std::io::Result<FakeTws> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await?;
        let address = listener.local_addr()?;
        let mut broker = Broker::new(self.instruments, &self.account, self.cash);
        broker.next_order_id = self.next_order_id;
        if let Some(clock) = &self.clock {
            broker.clock = SharedClock::from(Arc::clone(clock));
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                broker,
                server_version: self.server_version,
                farm_notices: self.farm_notices,
                sessions: HashMap::new(),
                next_session: 1,
                record: self.record_requests,
                recorded: Vec::new(),
                counts: HashMap::new(),
                faults: Vec::new(),
                manual_time: self.clock,
                delayed: Vec::new(),
                linger: self.linger,
                held: HashMap::new(),
                market_data_lines: self.market_data_lines,
            }),
            walk: Mutex::new(None),
        });
        let fake = FakeTws {
            address,
            shared,
            listening: Mutex::new(None),
        };
        fake.listen(listener);
        Ok(fake)
    }

    /// Starts listening — a test helper that panics (feature `fakes`).
    ///
    /// # Panics
    /// If no local port can be bound (a test setup failure); see
    /// [`try_start`](Self::try_start).
    #[cfg(feature = "fakes")]
    #[allow(clippy::panic)]
    pub async fn start(self) -> FakeTws {
        match self.try_start().await {
            Ok(fake) => fake,
            Err(error) => panic!("fake TWS did not start: {error}"),
        }
    }
}

/// A running fake gateway on 127.0.0.1. Stops (closing every connection) when dropped.
///
/// It can also [`stop`](Self::stop) and [`restart`](Self::restart) on the same port like a
/// gateway's daily restart, keeping its state: the account, orders (which go on working and
/// filling while it is down, as they do at IBKR) and executions.
pub struct FakeTws {
    address: SocketAddr,
    shared: Arc<Shared>,
    /// Dropping the sender stops the accept loop and every connection.
    listening: Mutex<Option<watch::Sender<bool>>>,
}

impl std::fmt::Debug for FakeTws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeTws")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl FakeTws {
    /// A fake with the default instruments and a paper account `DU1234567` with $100,000 —
    /// a test helper that panics (feature `fakes`).
    ///
    /// # Panics
    /// If no local port can be bound.
    #[cfg(feature = "fakes")]
    pub async fn start() -> FakeTws {
        FakeTwsBuilder::default().start().await
    }

    /// Configures a fake.
    pub fn builder() -> FakeTwsBuilder {
        FakeTwsBuilder::default()
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The account id.
    pub fn account(&self) -> String {
        self.shared.lock().broker.account.id.clone()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().recorded.clone()
    }

    /// Moves the fake's manual clock forward by `by` and serves the delayed requests whose
    /// time has come (their answers are on their way when this returns). Without a manual
    /// clock ([`FakeTwsBuilder::manual_clock`]) this does nothing.
    pub fn advance(&self, by: Duration) {
        let clock = self.shared.lock().manual_time.clone();
        if let Some(clock) = clock {
            clock.advance_by(by);
            session::serve_due(&self.shared);
        }
    }

    /// How many requests of a kind were received.
    pub fn count(&self, kind: RequestKind) -> usize {
        self.shared.lock().counts.get(&kind).copied().unwrap_or(0)
    }

    /// Injects a fault (see [`TwsFault`]): it applies to the requests that arrive after
    /// this returns. Asynchronous like the fake Backpack's, so the two read the same.
    pub async fn inject(&self, rule: impl Into<FaultRule>) {
        self.shared.lock().faults.push(rule.into());
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Runs `f` on the broker (inspect orders, executions, the account).
    pub fn with_broker<R>(&self, f: impl FnOnce(&mut Broker) -> R) -> R {
        f(&mut self.shared.lock().broker)
    }

    /// Changes an instrument's quote: streams see new ticks, orders work against it, PnL
    /// streams update.
    pub fn set_quote(&self, con_id: i32, quote: Quote) {
        session::set_quote(&self.shared, con_id, quote);
    }

    /// Moves an instrument's last price (bid and ask follow, one tick around it).
    pub fn set_last(&self, con_id: i32, last: Decimal) {
        let quote = quote_at(&self.shared.lock().broker, con_id, last);
        if let Some(quote) = quote {
            self.set_quote(con_id, quote);
        }
    }

    /// Sets which market data clients may see for an instrument.
    pub fn set_permission(&self, con_id: i32, permission: DataPermission) {
        self.with_broker(|broker| {
            if let Some(instrument) = broker.instruments.iter_mut().find(|i| i.con_id == con_id) {
                instrument.permission = permission;
            }
        });
    }

    /// Runs the opening or closing auction.
    pub fn run_auction(&self, auction: Auction) {
        session::run_auction(&self.shared, auction);
    }

    fn listen(&self, listener: tokio::net::TcpListener) {
        let (shutdown, watcher) = watch::channel(false);
        tokio::spawn(session::accept_loop(
            listener,
            Arc::clone(&self.shared),
            watcher,
        ));
        *self
            .listening
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(shutdown);
    }

    /// Stops the gateway: every connection is closed and the port refuses new ones until
    /// [`restart`](Self::restart). The state is kept, and orders keep working against
    /// price changes ([`set_last`](Self::set_last)) meanwhile. Client ids held by
    /// [`FakeTwsBuilder::linger`] are released.
    pub fn stop(&self) {
        let stopped = self
            .listening
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(stopped);
        let mut state = self.shared.lock();
        state.sessions.clear();
        state.held.clear();
    }

    /// Whether the gateway is accepting connections (not [`stop`](Self::stop)ped).
    pub fn is_running(&self) -> bool {
        self.listening
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Starts the gateway again on the same port with the state it had (stopping it first if
    /// it is running).
    ///
    /// # Errors
    /// If the port cannot be bound again.
    pub async fn restart(&self) -> std::io::Result<()> {
        if self.is_running() {
            self.stop();
        }
        let listener = tokio::net::TcpListener::bind(self.address).await?;
        self.listen(listener);
        Ok(())
    }

    /// Changes the account the gateway reports at the next connection (a restart into
    /// another login; `DU…` reads as paper, anything else as live).
    pub fn set_account(&self, account: impl Into<String>) {
        self.shared.lock().broker.account.id = account.into();
    }

    /// Ends the current 5-second bar of every real-time bar stream (its OHLC from the trades
    /// since the last one; flat at the last price when there were none). Tests call it
    /// instead of waiting 5 s; the `fake-tws` binary calls it every 5 s.
    pub fn close_bars(&self) {
        session::close_bars(&self.shared);
    }

    /// The gateway loses IBKR's servers (the client sockets stay up): every client gets
    /// notice 1100.
    pub fn servers_lost(&self) {
        self.notify_all(
            1100,
            "Connectivity between IB and Trader Workstation has been lost.",
        );
    }

    /// IBKR's servers are back. With `data_lost`, as after a long outage, every market-data
    /// stream (quotes, bars, tick-by-tick, depth) is void — nothing more comes on it — and
    /// clients get notice 1101, on which they must subscribe again; otherwise 1102 (data
    /// maintained).
    pub fn servers_back(&self, data_lost: bool) {
        if data_lost {
            let mut state = self.shared.lock();
            for session in state.sessions.values_mut() {
                session.subscriptions.quotes.clear();
                session.subscriptions.live = live::LiveStreams::default();
            }
            drop(state);
            self.notify_all(
                1101,
                "Connectivity between IB and Trader Workstation has been restored - data lost.",
            );
        } else {
            self.notify_all(
                1102,
                "Connectivity between IB and Trader Workstation has been restored - data maintained.",
            );
        }
    }

    fn notify_all(&self, code: i32, message: &str) {
        let state = self.shared.lock();
        let notice = broker::error_frame(&state.broker.clock, -1, code, message);
        for session in state.sessions.values() {
            let _ = session.tx.send(Out::Frame(notice.clone()));
        }
    }

    /// Closes every client connection (as a gateway restart does).
    pub fn disconnect_all(&self) {
        for session in self.shared.lock().sessions.values() {
            let _ = session.tx.send(Out::Close);
        }
    }

    /// The contract id of the first instrument with `symbol` and `sec_type`.
    pub fn con_id(&self, symbol: &str, sec_type: &str) -> Option<i32> {
        self.with_broker(|broker| {
            broker
                .instruments
                .iter()
                .find(|i| i.symbol == symbol && i.sec_type == sec_type)
                .map(|i| i.con_id)
        })
    }
}
