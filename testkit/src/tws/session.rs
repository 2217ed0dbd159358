//! One client connection: handshake, the read loop that dispatches requests, and a writer
//! task fed by a channel so frames never interleave.

use std::sync::Arc;
use trading_core::clock::{Clock, SharedClock};

use prost::Message;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use super::broker::{Auction, Outbound, error_frame};
use super::handlers::{self, QuoteAnswer};
use super::live;
use super::market::Quote;
use super::wire::{self, frame, reply, request};
use super::{Out, RecordedRequest, RequestKind, SessionState, Shared, State, TwsFault, proto};

/// `clock`'s time in seconds and milliseconds since the epoch.
fn now(clock: &SharedClock) -> (i64, i64) {
    let millis = i64::try_from(clock.now_ms()).unwrap_or(i64::MAX);
    (millis / 1_000, millis)
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, Arc::clone(&shared), shutdown.clone()));
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Takes the first matching fault for `kind` (counting it down).
fn take_fault(state: &mut State, kind: RequestKind) -> Option<TwsFault> {
    let index = state.faults.iter().position(|rule| {
        !matches!(rule.fault, TwsFault::ClientIdInUse(_))
            && rule.request.is_none_or(|request| request == kind)
    })?;
    consume(state, index)
}

/// Uses rule `index` once, removing it when it is spent; returns its fault.
fn consume(state: &mut State, index: usize) -> Option<TwsFault> {
    let rule = state.faults.get_mut(index)?;
    let fault = rule.fault.clone();
    if let Some(remaining) = &mut rule.remaining {
        *remaining -= 1;
        if *remaining == 0 {
            let _spent = state.faults.remove(index);
        }
    }
    Some(fault)
}

async fn serve(stream: TcpStream, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let (mut reader, mut writer) = stream.into_split();
    if wire::read_handshake(&mut reader).await.is_err() {
        return;
    }
    let (version, clock) = {
        let state = shared.lock();
        (state.server_version, state.broker.clock.clone())
    };
    let (secs, _) = now(&clock);
    let (y, m, d) = super::broker::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let time = format!(
        "{y:04}{m:02}{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if writer
        .write_all(&wire::handshake_reply(version, &time))
        .await
        .is_err()
    {
        return;
    }
    let Ok((id, payload)) = wire::read_frame(&mut reader).await else {
        return;
    };
    if id != request::START_API {
        return;
    }
    let client_id = proto::StartApiRequest::decode(payload.as_slice())
        .ok()
        .and_then(|start| start.client_id)
        .unwrap_or(0);
    let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
    let registered = {
        let mut state = shared.lock();
        let session_id = state.next_session;
        state.next_session += 1;
        state.record(RecordedRequest {
            session: session_id,
            client_id,
            kind: RequestKind::StartApi,
            name: "StartApi",
            payload: payload.clone(),
        });
        // A real gateway refuses a second connection with a client id already in use.
        let faulted = state
            .faults
            .iter()
            .position(|rule| rule.fault == TwsFault::ClientIdInUse(client_id))
            .and_then(|index| consume(&mut state, index))
            .is_some();
        let now = std::time::Instant::now();
        state.held.retain(|_, until| *until > now);
        let refused = faulted
            || state.held.contains_key(&client_id)
            || state.sessions.values().any(|s| s.client_id == client_id);
        if refused {
            None
        } else {
            state.sessions.insert(
                session_id,
                SessionState {
                    client_id,
                    tx: tx.clone(),
                    market_data_type: 1,
                    subscriptions: super::Subscriptions::default(),
                },
            );
            let mut hello = vec![
                frame(
                    reply::NEXT_VALID_ID,
                    &proto::encode(&proto::NextValidId {
                        order_id: Some(state.broker.next_order_id),
                    }),
                ),
                frame(
                    reply::MANAGED_ACCOUNTS,
                    &proto::encode(&proto::ManagedAccounts {
                        accounts_list: Some(state.broker.account.id.clone()),
                    }),
                ),
            ];
            if state.farm_notices {
                hello.push(error_frame(
                    &state.broker.clock,
                    -1,
                    2104,
                    "Market data farm connection is OK:usfarm",
                ));
                hello.push(error_frame(
                    &state.broker.clock,
                    -1,
                    2106,
                    "HMDS data farm connection is OK:ushmds",
                ));
            }
            for frame in hello {
                let _ = tx.send(Out::Frame(frame));
            }
            Some(session_id)
        }
    };
    let Some(session_id) = registered else {
        let refusal = error_frame(
            &clock,
            -1,
            326,
            "Unable to connect as the client id is already in use. Retry with a unique client id.",
        );
        let _ = writer.write_all(&refusal).await;
        let _ = writer.shutdown().await;
        return;
    };
    let writer_task = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let Out::Frame(mut batch) = out else { break };
            // Frames already waiting go out in the same write, as a gateway's socket
            // buffer would send them: one system call for a quote's ticks, not one each.
            let mut close = false;
            while let Ok(next) = rx.try_recv() {
                match next {
                    Out::Frame(frame) => batch.extend_from_slice(&frame),
                    Out::Close => {
                        close = true;
                        break;
                    }
                }
            }
            if writer.write_all(&batch).await.is_err() || close {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    loop {
        tokio::select! {
            read = wire::read_frame(&mut reader) => {
                let Ok((id, payload)) = read else { break };
                if !handle(&shared, session_id, client_id, id, payload) {
                    break;
                }
            }
            _ = shutdown.changed() => break,
        }
        if writer_task.is_finished() {
            break;
        }
    }
    {
        let mut state = shared.lock();
        // A session `stop` already ended holds nothing: the restart released its id.
        if state.sessions.remove(&session_id).is_some() && !state.linger.is_zero() {
            let until = std::time::Instant::now() + state.linger;
            state.held.insert(client_id, until);
        }
    }
    drop(tx);
    let _ = writer_task.await;
}

/// Sends frames to every connection of `client_id`.
fn deliver(state: &State, outbound: Vec<Outbound>) {
    for item in outbound {
        for session in state
            .sessions
            .values()
            .filter(|s| s.client_id == item.client_id)
        {
            let _ = session.tx.send(Out::Frame(item.frame.clone()));
        }
    }
}

/// After anything that moves prices or positions: PnL and position streams update.
fn push_updates(state: &mut State) {
    let held = handlers::holdings(&state.broker);
    let State {
        sessions, broker, ..
    } = state;
    for session in sessions.values_mut() {
        if let Some(sent) = &mut session.subscriptions.positions {
            let changed: Vec<i32> = held
                .keys()
                .chain(sent.keys())
                .filter(|con_id| held.get(con_id) != sent.get(con_id))
                .copied()
                .collect();
            for con_id in changed {
                if let Some(frame) = handlers::position(broker, con_id) {
                    let _ = session.tx.send(Out::Frame(frame));
                }
            }
            sent.clone_from(&held);
        }
    }
    let state = &*state;
    for session in state.sessions.values() {
        for req_id in &session.subscriptions.pnl {
            let _ = session
                .tx
                .send(Out::Frame(handlers::pnl(&state.broker, *req_id)));
        }
        for (req_id, con_id) in &session.subscriptions.pnl_single {
            let _ = session.tx.send(Out::Frame(handlers::pnl_single(
                &state.broker,
                *req_id,
                *con_id,
            )));
        }
    }
}

pub(crate) fn set_quote(shared: &Shared, con_id: i32, quote: Quote) {
    let mut state = shared.lock();
    let before = state.broker.instrument(con_id).map(|i| i.quote);
    let outbound = state.broker.set_quote(con_id, quote);
    deliver(&state, outbound);
    let (secs, _) = now(&state.broker.clock);
    if let (Some(instrument), Some(before)) = (state.broker.instrument(con_id).cloned(), before) {
        for session in state.sessions.values_mut() {
            for (req_id, (quoted, delayed)) in &session.subscriptions.quotes {
                if *quoted == con_id {
                    for frame in handlers::quote_ticks(&instrument, *req_id, *delayed) {
                        let _ = session.tx.send(Out::Frame(frame));
                    }
                }
            }
            for frame in live::on_quote(session, &instrument, &before, secs) {
                let _ = session.tx.send(Out::Frame(frame));
            }
        }
    }
    push_updates(&mut state);
}

/// Ends the current 5-second bar of every real-time bar stream.
pub(crate) fn close_bars(shared: &Shared) {
    let mut state = shared.lock();
    let (secs, _) = now(&state.broker.clock);
    for session in state.sessions.values_mut() {
        for frame in live::close_bars(session, secs) {
            let _ = session.tx.send(Out::Frame(frame));
        }
    }
}

pub(crate) fn run_auction(shared: &Shared, auction: Auction) {
    let mut state = shared.lock();
    let outbound = state.broker.auction(auction);
    deliver(&state, outbound);
    push_updates(&mut state);
}

fn decode<M: Message + Default>(payload: &[u8]) -> M {
    M::decode(payload).unwrap_or_default()
}

fn req_id(payload: &[u8]) -> i32 {
    decode::<proto::RequestId>(payload).req_id.unwrap_or(0)
}

/// Handles one request; returns `false` to close the connection.
fn handle(
    shared: &Arc<Shared>,
    session_id: u64,
    client_id: i32,
    id: i32,
    payload: Vec<u8>,
) -> bool {
    let kind = RequestKind::of(id);
    // The prices a request meets are those of the clock's time when it arrives.
    super::walk::catch_up(shared);
    let mut state = shared.lock();
    state.record(RecordedRequest {
        session: session_id,
        client_id,
        kind,
        name: wire::request_name(id),
        payload: payload.clone(),
    });
    let Some(tx) = state.sessions.get(&session_id).map(|s| s.tx.clone()) else {
        return false;
    };
    let delay = match take_fault(&mut state, kind) {
        Some(TwsFault::DropBeforeProcessing) => {
            // Unregistered first, so a quick reconnect with the same client id is not
            // refused as a duplicate.
            state.sessions.remove(&session_id);
            let _ = tx.send(Out::Close);
            return false;
        }
        Some(TwsFault::DropAfterProcessing) => {
            state.sessions.remove(&session_id);
            let _ = tx.send(Out::Close);
            let _ = answer(&mut state, session_id, client_id, id, &payload);
            return false;
        }
        Some(TwsFault::NoReply) => return true,
        Some(TwsFault::Error { code, message }) => {
            let target = error_target(kind, &payload);
            let _ = tx.send(Out::Frame(error_frame(
                &state.broker.clock,
                target,
                code,
                &message,
            )));
            return true;
        }
        Some(TwsFault::ErrorAfterProcessing { code, message }) => {
            let mut frames = answer(&mut state, session_id, client_id, id, &payload);
            let target = error_target(kind, &payload);
            frames.push(error_frame(&state.broker.clock, target, code, &message));
            drop(state);
            for frame in frames {
                let _ = tx.send(Out::Frame(frame));
            }
            return true;
        }
        Some(TwsFault::Slow { delay }) => Some(delay),
        _ => None,
    };
    match delay {
        None => {
            let frames = answer(&mut state, session_id, client_id, id, &payload);
            drop(state);
            for frame in frames {
                let _ = tx.send(Out::Frame(frame));
            }
        }
        Some(delay) if state.manual_time.is_some() => {
            // Served late on the fake's own clock: when `FakeTws::advance` passes its time.
            let due_ms = state
                .broker
                .clock
                .now_ms()
                .saturating_add(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
            state.delayed.push(Delayed {
                due_ms,
                session_id,
                client_id,
                id,
                payload,
                tx,
            });
        }
        Some(delay) => {
            // The request is served late, as a slow gateway would (orders included).
            drop(state);
            let shared = Arc::clone(shared);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let frames = {
                    let mut state = shared.lock();
                    if !state.sessions.contains_key(&session_id) {
                        return;
                    }
                    answer(&mut state, session_id, client_id, id, &payload)
                };
                for frame in frames {
                    let _ = tx.send(Out::Frame(frame));
                }
            });
        }
    }
    true
}

/// A request whose answer waits for the fake's manual clock.
pub(crate) struct Delayed {
    due_ms: u64,
    session_id: u64,
    client_id: i32,
    id: i32,
    payload: Vec<u8>,
    tx: mpsc::UnboundedSender<Out>,
}

/// Serves every delayed request whose time has come, in the order they arrived; their
/// frames are queued before this returns.
pub(crate) fn serve_due(shared: &Shared) {
    let mut state = shared.lock();
    let now = state.broker.clock.now_ms();
    let (due, waiting): (Vec<Delayed>, Vec<Delayed>) = std::mem::take(&mut state.delayed)
        .into_iter()
        .partition(|d| d.due_ms <= now);
    state.delayed = waiting;
    for delayed in due {
        if !state.sessions.contains_key(&delayed.session_id) {
            continue;
        }
        let frames = answer(
            &mut state,
            delayed.session_id,
            delayed.client_id,
            delayed.id,
            &delayed.payload,
        );
        for frame in frames {
            let _ = delayed.tx.send(Out::Frame(frame));
        }
    }
}

/// The id an error frame about a request carries: the order id for order messages, -1 for
/// requests without an id, else the request id.
fn error_target(kind: RequestKind, payload: &[u8]) -> i32 {
    match kind {
        RequestKind::PlaceOrder | RequestKind::CancelOrder => {
            decode::<proto::PlaceOrderRequest>(payload)
                .order_id
                .unwrap_or(-1)
        }
        RequestKind::CurrentTime | RequestKind::Ids | RequestKind::Positions => -1,
        _ => req_id(payload),
    }
}

/// The frames answering one request (order events for other connections are delivered
/// directly).
fn answer(
    state: &mut State,
    session_id: u64,
    client_id: i32,
    id: i32,
    payload: &[u8],
) -> Vec<Vec<u8>> {
    let (secs, millis) = now(&state.broker.clock);
    if let Some(frames) = live::handle(state, session_id, id, payload, secs) {
        return frames;
    }
    match id {
        request::CURRENT_TIME => vec![frame(
            reply::CURRENT_TIME,
            &proto::encode(&proto::CurrentTime {
                current_time: Some(secs),
            }),
        )],
        request::CURRENT_TIME_MILLIS => vec![frame(
            reply::CURRENT_TIME_MILLIS,
            &proto::encode(&proto::CurrentTimeInMillis {
                current_time_in_millis: Some(millis),
            }),
        )],
        request::MANAGED_ACCOUNTS => vec![frame(
            reply::MANAGED_ACCOUNTS,
            &proto::encode(&proto::ManagedAccounts {
                accounts_list: Some(state.broker.account.id.clone()),
            }),
        )],
        request::IDS => vec![frame(
            reply::NEXT_VALID_ID,
            &proto::encode(&proto::NextValidId {
                order_id: Some(state.broker.next_order_id),
            }),
        )],
        request::CONTRACT_DATA => {
            let request: proto::ContractDataRequest = decode(payload);
            handlers::contract_details(
                &state.broker,
                request.req_id.unwrap_or(0),
                &request.contract.unwrap_or_default(),
            )
        }
        request::MARKET_DATA_TYPE => {
            let request: proto::MarketDataTypeRequest = decode(payload);
            if let Some(session) = state.sessions.get_mut(&session_id) {
                session.market_data_type = request.market_data_type.unwrap_or(1);
            }
            Vec::new()
        }
        request::MARKET_DATA => {
            let request: proto::MarketDataRequest = decode(payload);
            let market_data_type = state
                .sessions
                .get(&session_id)
                .map_or(1, |s| s.market_data_type);
            match handlers::market_data(&state.broker, &request, market_data_type) {
                QuoteAnswer::Refused(frames) => frames,
                QuoteAnswer::Ticks {
                    frames,
                    con_id,
                    delayed,
                } => {
                    let req = request.req_id.unwrap_or(0);
                    if request.snapshot != Some(true)
                        && let Some(refusal) = live::over_lines(state, session_id, req, 101)
                    {
                        return vec![refusal];
                    }
                    if request.snapshot != Some(true)
                        && let Some(session) = state.sessions.get_mut(&session_id)
                    {
                        session
                            .subscriptions
                            .quotes
                            .insert(request.req_id.unwrap_or(0), (con_id, delayed));
                    }
                    frames
                }
            }
        }
        request::CANCEL_MARKET_DATA => {
            if let Some(session) = state.sessions.get_mut(&session_id) {
                session.subscriptions.quotes.remove(&req_id(payload));
            }
            Vec::new()
        }
        request::HISTORICAL_DATA => handlers::historical(&state.broker, &decode(payload), secs),
        request::ACCOUNT_SUMMARY => {
            let request: proto::AccountSummaryRequest = decode(payload);
            handlers::account_summary(
                &state.broker,
                request.req_id.unwrap_or(0),
                request.tags.as_deref().unwrap_or(""),
            )
        }
        request::POSITIONS => {
            if let Some(session) = state.sessions.get_mut(&session_id) {
                session.subscriptions.positions = Some(handlers::holdings(&state.broker));
            }
            handlers::positions(&state.broker)
        }
        request::CANCEL_POSITIONS => {
            if let Some(session) = state.sessions.get_mut(&session_id) {
                session.subscriptions.positions = None;
            }
            Vec::new()
        }
        request::PNL | request::PNL_SINGLE => {
            let request: proto::PnLRequest = decode(payload);
            let req = request.req_id.unwrap_or(0);
            if request.account.as_deref() != Some(state.broker.account.id.as_str()) {
                return vec![error_frame(
                    &state.broker.clock,
                    req,
                    321,
                    "Error validating request.-'bP' : cause - Invalid account.",
                )];
            }
            let frame = if id == request::PNL {
                if let Some(session) = state.sessions.get_mut(&session_id) {
                    session.subscriptions.pnl.push(req);
                }
                handlers::pnl(&state.broker, req)
            } else {
                let con_id = request.con_id.unwrap_or(0);
                if state.broker.instrument(con_id).is_none() {
                    return vec![error_frame(
                        &state.broker.clock,
                        req,
                        321,
                        "Error validating request.-'bQ' : cause - Invalid contract id.",
                    )];
                }
                if let Some(session) = state.sessions.get_mut(&session_id) {
                    session.subscriptions.pnl_single.insert(req, con_id);
                }
                handlers::pnl_single(&state.broker, req, con_id)
            };
            vec![frame]
        }
        request::CANCEL_PNL | request::CANCEL_PNL_SINGLE => {
            let req = req_id(payload);
            if let Some(session) = state.sessions.get_mut(&session_id) {
                session.subscriptions.pnl.retain(|r| *r != req);
                session.subscriptions.pnl_single.remove(&req);
            }
            Vec::new()
        }
        request::PLACE_ORDER => {
            let request: proto::PlaceOrderRequest = decode(payload);
            let order_id = request.order_id.unwrap_or(0);
            let outbound = state.broker.place(
                client_id,
                order_id,
                &request.contract.unwrap_or_default(),
                request.order.unwrap_or_default(),
            );
            deliver(state, outbound);
            push_updates(state);
            Vec::new()
        }
        request::CANCEL_ORDER => {
            let request: proto::CancelOrderRequest = decode(payload);
            let outbound = state
                .broker
                .cancel(client_id, request.order_id.unwrap_or(0));
            deliver(state, outbound);
            Vec::new()
        }
        request::GLOBAL_CANCEL => {
            let outbound = state.broker.global_cancel();
            deliver(state, outbound);
            Vec::new()
        }
        request::OPEN_ORDERS | request::ALL_OPEN_ORDERS => {
            let only = (id == request::OPEN_ORDERS).then_some(client_id);
            let mut frames = state.broker.open_order_frames(only);
            frames.push(frame(reply::OPEN_ORDER_END, &[]));
            frames
        }
        request::COMPLETED_ORDERS => {
            let mut frames = state.broker.completed_order_frames();
            frames.push(frame(reply::COMPLETED_ORDERS_END, &[]));
            frames
        }
        request::EXECUTIONS => {
            let req = req_id(payload);
            let broker = &state.broker;
            let mut frames: Vec<Vec<u8>> = broker
                .executions
                .iter()
                .flat_map(|record| {
                    [
                        broker.execution_frame(req, record),
                        broker.commission_frame(record),
                    ]
                })
                .collect();
            frames.push(frame(
                reply::EXECUTION_DATA_END,
                &proto::encode(&proto::RequestId { req_id: Some(req) }),
            ));
            frames
        }
        // Cancels of one-shot requests, and requests the fake does not model: nothing to say.
        _ => Vec::new(),
    }
}
