//! Live streams from the gateway that survive reconnects: quotes, 5-second bars, tick-by-tick
//! trades and bid/ask, depth, positions, PnL (here) and this client's order updates
//! ([`IbkrClient::order_updates`](crate::IbkrClient::order_updates)).
//!
//! Every stream yields [`StreamEvent`]s. When the connection is lost the stream says so
//! ([`StreamEvent::Interrupted`]: what happens from then on is missing), waits for the
//! client to reconnect, subscribes again by itself and says so ([`StreamEvent::Resumed`]:
//! the new subscription starts with its current state again, so replace rather than add).
//! When IBKR's servers come back to the gateway with market data lost (notice 1101), the
//! market-data streams do the same (the socket stayed up; account streams are kept). A
//! stream does this work when it is polled: a consumer waiting on `next()` sees it at once.
//! Dropping a stream cancels its subscription at the gateway. A stream ends with an
//! `Err` (often its first item: the gateway refuses a request after accepting it) only for
//! what resubscribing cannot fix: no permission, a market-data line or
//! subscription limit ([`Error::SubscriptionLimit`]), pacing, an unknown contract.

mod account;
mod live;
mod market;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt};
use ibapi::subscriptions::SubscriptionItem;
use serde::Serialize;

pub use account::{PnlUpdate, PositionUpdate};
pub use live::{BidAskTick, BookSide, DepthUpdate, TradeTick};
pub use market::QuoteUpdate;
pub(crate) use market::quote_stream;

use crate::client::IbkrClient;
use crate::connection::LinkState;
use crate::contracts::ResolvedContract;
use crate::error::Error;

/// `ibapi`'s in-band notice that frames were dropped for a slow reader.
const LAG_CODE: i32 = -6;

/// One item of a live stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum StreamEvent<T> {
    /// Data.
    Data(T),
    /// The connection was lost: what happens until [`StreamEvent::Resumed`] is missing.
    Interrupted {
        /// Why.
        reason: String,
    },
    /// Subscribed again after a reconnect; the stream may repeat its initial state.
    Resumed,
    /// Items were dropped because this consumer fell behind.
    Lagged {
        /// How many (0 when the gateway layer did not say).
        missed: u64,
    },
    /// A warning from the gateway about this stream (it goes on).
    Notice {
        /// IBKR's code.
        code: i32,
        /// IBKR's text.
        message: String,
    },
}

impl<T> StreamEvent<T> {
    /// The data, if this is data.
    pub fn data(&self) -> Option<&T> {
        match self {
            StreamEvent::Data(data) => Some(data),
            _ => None,
        }
    }
}

/// A stream of [`StreamEvent`]s, or the error that ended it.
pub struct EventStream<T> {
    inner: Pin<Box<dyn Stream<Item = Result<StreamEvent<T>, Error>> + Send>>,
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl<T> Stream for EventStream<T> {
    type Item = Result<StreamEvent<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Whether an `ibapi` error means the session is gone (so a new one may bring the stream
/// back) rather than something about the request.
fn connection_lost(error: &ibapi::Error) -> bool {
    error.is_connection_lost()
        || matches!(
            error,
            ibapi::Error::ConnectionFailed | ibapi::Error::Shutdown | ibapi::Error::ConnectionReset
        )
}

/// An open `ibapi` subscription (dropping it cancels the request at the gateway).
pub(crate) type Items<R> =
    Pin<Box<dyn Stream<Item = Result<SubscriptionItem<R>, ibapi::Error>> + Send>>;

/// Opens subscriptions on the current session.
pub(crate) type Opener<R> = Box<
    dyn FnMut(
            Arc<ibapi::Client>,
        ) -> Pin<Box<dyn Future<Output = Result<Items<R>, ibapi::Error>> + Send>>
        + Send,
>;

/// An opener of a subscription about one contract: `subscribe` gets the session's client
/// and the contract, each time the stream (re)subscribes.
pub(crate) fn per_contract<R, F, Fut>(contract: &ResolvedContract, subscribe: F) -> Opener<R>
where
    F: Fn(Arc<ibapi::Client>, Arc<ibapi::contracts::Contract>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Items<R>, ibapi::Error>> + Send + 'static,
{
    let ib = Arc::new(contract.ib.clone());
    Box::new(move |gateway| Box::pin(subscribe(gateway, Arc::clone(&ib))))
}

/// Turns one `ibapi` item into ours (none, one or several).
pub(crate) type Converter<R, T> = Box<dyn FnMut(R) -> Vec<T> + Send>;

enum Phase<R> {
    Opening,
    Live(Items<R>),
    Done,
}

struct Resubscribing<R, T> {
    /// Held weakly: a stream does not keep a dropped client alive; it ends with it.
    client: std::sync::Weak<crate::client::Inner>,
    context: String,
    open: Opener<R>,
    convert: Converter<R, T>,
    phase: Phase<R>,
    ready: VecDeque<Result<StreamEvent<T>, Error>>,
    interrupted: bool,
    /// For market-data streams: the gateway's "market data lost" count, to subscribe again.
    market_data: Option<tokio::sync::watch::Receiver<u64>>,
}

impl<R: Send + 'static, T: Send + 'static> Resubscribing<R, T> {
    fn client(&self) -> Option<IbkrClient> {
        self.client.upgrade().map(IbkrClient::from_inner)
    }

    /// The next item, or `None` at the end.
    async fn next(&mut self) -> Option<Result<StreamEvent<T>, Error>> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Some(ready);
            }
            match &mut self.phase {
                Phase::Done => return None,
                Phase::Opening => self.open().await,
                Phase::Live(subscription) => {
                    match next_or_lost(subscription, &mut self.market_data).await {
                        Lost::MarketData => self.interrupt(
                            "IBKR's servers reconnected with market data lost (1101)".into(),
                        ),
                        Lost::No(item) => match item {
                            Some(Ok(SubscriptionItem::Data(item))) => {
                                let converted = (self.convert)(item);
                                self.ready.extend(
                                    converted
                                        .into_iter()
                                        .map(|data| Ok(StreamEvent::Data(data))),
                                );
                            }
                            Some(Ok(SubscriptionItem::Notice(notice))) => {
                                self.ready.push_back(Ok(if notice.code == LAG_CODE {
                                    StreamEvent::Lagged {
                                        missed: first_number(&notice.message),
                                    }
                                } else {
                                    StreamEvent::Notice {
                                        code: notice.code,
                                        message: notice.message,
                                    }
                                }));
                            }
                            Some(Err(error)) if connection_lost(&error) => {
                                self.interrupt(error.to_string());
                            }
                            Some(Err(error)) => {
                                self.phase = Phase::Done;
                                return Some(Err(Error::from_ibapi(error, &self.context)));
                            }
                            // The subscription ended: by itself if the session still stands,
                            // else with the session.
                            None if self.client().is_some_and(|c| c.is_connected()) => {
                                self.phase = Phase::Done;
                            }
                            None => {
                                self.interrupt("the connection to the IB gateway was lost".into())
                            }
                        },
                    }
                }
            }
        }
    }

    fn interrupt(&mut self, reason: String) {
        self.phase = Phase::Opening;
        if !self.interrupted {
            self.interrupted = true;
            self.ready
                .push_back(Ok(StreamEvent::Interrupted { reason }));
        }
    }

    /// Subscribes on the current session, waiting for one if there is none.
    async fn open(&mut self) {
        let Some(client) = self.client() else {
            self.phase = Phase::Done;
            self.ready.push_back(Err(Error::NotConnected));
            return;
        };
        let gateway = match client.gateway() {
            Ok(gateway) => gateway,
            Err(_) => {
                if matches!(client.connection(), LinkState::Closed) {
                    self.phase = Phase::Done;
                    self.ready.push_back(Err(Error::NotConnected));
                    return;
                }
                if !self.interrupted {
                    self.interrupt("the connection to the IB gateway is down".into());
                }
                let mut watch = client.watch_connection();
                drop(client);
                let _ = tokio::time::timeout(Duration::from_millis(250), watch.changed()).await;
                return;
            }
        };
        drop(client);
        match (self.open)(gateway).await {
            Ok(subscription) => {
                if std::mem::take(&mut self.interrupted) {
                    self.ready.push_back(Ok(StreamEvent::Resumed));
                }
                self.phase = Phase::Live(subscription);
            }
            Err(error) if connection_lost(&error) => {
                self.interrupt(error.to_string());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => {
                self.phase = Phase::Done;
                self.ready
                    .push_back(Err(Error::from_ibapi(error, &self.context)));
            }
        }
    }
}

enum Lost<I> {
    MarketData,
    No(I),
}

/// The subscription's next item, unless the gateway reports market data lost first.
async fn next_or_lost<R>(
    subscription: &mut Items<R>,
    market_data: &mut Option<tokio::sync::watch::Receiver<u64>>,
) -> Lost<Option<Result<SubscriptionItem<R>, ibapi::Error>>> {
    match market_data {
        Some(epoch) => tokio::select! {
            biased;
            Ok(()) = epoch.changed() => Lost::MarketData,
            item = subscription.next() => Lost::No(item),
        },
        None => Lost::No(subscription.next().await),
    }
}

/// Whether a stream carries market data (subscribed again when IBKR loses it) or account
/// data (kept by the gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    MarketData,
    Account,
}

/// A stream that opens with `open` on the current session and again on every new one.
/// The first subscription is sent before this returns; the gateway's refusal of it (no
/// permission, a limit) arrives as the stream's first item, an `Err` that ends it.
pub(crate) async fn resubscribing<R, T>(
    client: &IbkrClient,
    kind: Kind,
    context: &str,
    mut open: Opener<R>,
    convert: Converter<R, T>,
) -> Result<EventStream<T>, Error>
where
    R: Send + 'static,
    T: Send + 'static,
{
    let market_data = (kind == Kind::MarketData).then(|| {
        let mut epoch = client.watch_market_data();
        epoch.mark_unchanged();
        epoch
    });
    let gateway = client.gateway()?;
    let first = client
        .bounded("subscribe", context, open(Arc::clone(&gateway)))
        .await?;
    let state = Resubscribing {
        client: client.downgrade(),
        context: context.to_owned(),
        open,
        convert,
        phase: Phase::Live(first),
        ready: VecDeque::new(),
        interrupted: false,
        market_data,
    };
    let stream = futures::stream::unfold(state, |mut state| async move {
        let item = state.next().await?;
        Some((item, state))
    });
    Ok(EventStream {
        inner: Box::pin(stream),
    })
}

/// The first whole number in `text` (how many frames a lag notice says were dropped).
fn first_number(text: &str) -> u64 {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|word| !word.is_empty())
        .and_then(|word| word.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lag_notice_says_how_many() {
        assert_eq!(first_number("subscription lagged: 17 messages dropped"), 17);
        assert_eq!(first_number("lagged"), 0);
    }

    #[test]
    fn events_serialize_with_their_kind() {
        let data: StreamEvent<u8> = StreamEvent::Data(3);
        assert_eq!(
            serde_json::to_value(&data).unwrap(),
            serde_json::json!({"event": "data", "data": 3})
        );
        let gap: StreamEvent<u8> = StreamEvent::Interrupted {
            reason: "lost".into(),
        };
        assert_eq!(
            serde_json::to_value(&gap).unwrap(),
            serde_json::json!({"event": "interrupted", "data": {"reason": "lost"}})
        );
    }
}
