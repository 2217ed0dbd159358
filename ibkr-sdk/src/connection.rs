//! The link to the gateway: one `ibapi` session at a time, replaced by a fresh one after
//! every loss, for as long as the client lives.
//!
//! `ibapi` reconnects by itself with a backoff that grows to 30 s and gives up after a set
//! number of attempts, after which the client is dead for good. We turn that off and open
//! a new session ourselves instead, so that:
//! - attempts come every 250 ms, doubling to at most 2 s, forever, each one logged;
//! - "client id in use" (the gateway still holding the dropped session) is one more
//!   failed attempt, not the end;
//! - the account is checked again against the configured mode, and must be the account
//!   the client started with, before the new session is used: a mismatch stops everything
//!   ([`LinkState::Refused`]) until the gateway comes back with the right account;
//! - while no session is up, calls fail at once with [`Error::NotConnected`] (nothing is
//!   sent, nothing is queued to be sent later).

use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

use trading_core::clock::Clock;

use crate::client::{Inner, check_mode};
use crate::config::Config;
use crate::error::Error;

/// How often a session is checked for a lost socket.
const WATCH_INTERVAL: Duration = Duration::from_millis(100);
/// The first wait between reconnection attempts.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Where the connection to the gateway stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkState {
    /// A session is up.
    Connected {
        /// 1 for the first connection, one more after each reconnect.
        session: u64,
        /// When it came up.
        since: DateTime<Utc>,
    },
    /// The gateway is away: trying again (every attempt is logged).
    Reconnecting {
        /// When the last session was lost.
        since: DateTime<Utc>,
        /// Attempts so far.
        attempts: u32,
        /// Why the last attempt failed.
        last_error: Option<String>,
    },
    /// The gateway came back with an account this client must not use (the wrong mode,
    /// or another account): nothing is sent until it comes back with the right one.
    Refused {
        /// Since when.
        since: DateTime<Utc>,
        /// What was wrong.
        reason: String,
    },
    /// Closed: the client was shut down.
    Closed,
}

impl LinkState {
    /// Whether a session is up.
    pub fn is_connected(&self) -> bool {
        matches!(self, LinkState::Connected { .. })
    }
}

/// One connected `ibapi` client.
pub(crate) struct Session {
    /// Its number (see [`LinkState::Connected`]).
    pub(crate) number: u64,
    pub(crate) gateway: Arc<ibapi::Client>,
}

/// The current session and the state others can watch.
pub(crate) struct Link {
    session: RwLock<Option<Arc<Session>>>,
    state: watch::Sender<LinkState>,
    /// Counts the gateway's "market data lost" notices (1101): market-data streams
    /// subscribe again on each.
    market_data_epoch: watch::Sender<u64>,
}

impl Link {
    pub(crate) fn new(gateway: ibapi::Client, now: DateTime<Utc>) -> Self {
        let session = Arc::new(Session {
            number: 1,
            gateway: Arc::new(gateway),
        });
        Self {
            session: RwLock::new(Some(session)),
            state: watch::Sender::new(LinkState::Connected {
                session: 1,
                since: now,
            }),
            market_data_epoch: watch::Sender::new(0),
        }
    }

    /// Watches the "market data lost" count (see [`watch_notices`]).
    pub(crate) fn watch_market_data(&self) -> watch::Receiver<u64> {
        self.market_data_epoch.subscribe()
    }

    /// The session in use, if it is up.
    pub(crate) fn session(&self) -> Option<Arc<Session>> {
        let session = self
            .session
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        session.gateway.is_connected().then_some(session)
    }

    /// The session's gateway, or [`Error::NotConnected`].
    pub(crate) fn gateway(&self) -> Result<Arc<ibapi::Client>, Error> {
        self.session()
            .map(|session| Arc::clone(&session.gateway))
            .ok_or(Error::NotConnected)
    }

    pub(crate) fn state(&self) -> LinkState {
        self.state.borrow().clone()
    }

    pub(crate) fn watch(&self) -> watch::Receiver<LinkState> {
        self.state.subscribe()
    }

    fn take(&self) -> Option<Arc<Session>> {
        self.session
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    fn install(&self, session: Arc<Session>, now: DateTime<Utc>) {
        let number = session.number;
        *self.session.write().unwrap_or_else(PoisonError::into_inner) = Some(session);
        self.state.send_replace(LinkState::Connected {
            session: number,
            since: now,
        });
    }

    fn set(&self, state: LinkState) {
        self.state.send_replace(state);
    }

    /// Shuts the session down for good.
    pub(crate) async fn close(&self) {
        self.set(LinkState::Closed);
        if let Some(session) = self.take() {
            session.gateway.disconnect().await;
        }
    }
}

/// Opens one `ibapi` session (its own reconnection off) within the connect timeout, and
/// returns it with the accounts its handshake named.
pub(crate) async fn open(config: &Config) -> Result<(ibapi::Client, Vec<String>), Error> {
    let address = config.address();
    let mut builder = ibapi::Client::builder()
        .address(address.clone())
        .client_id(config.client_id)
        .one_shot_timeout(config.request_timeout)
        .max_reconnect_attempts(0);
    if let Some(rate) = config.max_messages_per_second {
        builder = builder.rate_limiter(ibapi::RateLimiter::per_second(rate));
    }
    let gateway = match tokio::time::timeout(config.connect_timeout, builder.connect()).await {
        Err(_) => {
            return Err(Error::ConnectTimeout {
                address,
                after: config.connect_timeout,
            });
        }
        Ok(Err(ibapi::Error::Io(error))) => {
            return Err(Error::GatewayUnreachable {
                address,
                reason: error.to_string(),
            });
        }
        Ok(Err(ibapi::Error::ConnectionRejected(reason))) => {
            return Err(Error::GatewayUnreachable { address, reason });
        }
        Ok(Err(error)) => return Err(Error::from_ibapi(error, "")),
        Ok(Ok(gateway)) => gateway,
    };
    let accounts = gateway.handshake_managed_accounts().to_vec();
    if accounts.is_empty() {
        gateway.disconnect().await;
        return Err(Error::Config("the gateway reported no account".into()));
    }
    Ok((gateway, accounts))
}

/// Whether a reconnected gateway may be used: the configured mode, and the same account
/// as before (orders and positions belong to it).
fn verify(config: &Config, account: &str, accounts: &[String]) -> Result<(), Error> {
    check_mode(config.trading_mode, accounts)?;
    if accounts.iter().any(|a| a == account) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "the gateway came back logged in to {} instead of {account}",
            accounts.join(",")
        )))
    }
}

pub(crate) fn now(config: &Config) -> DateTime<Utc> {
    i64::try_from(config.clock.now_ms())
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_default()
}

/// Watches the session and replaces it after a loss, until the client is dropped or
/// closed. Holds the client weakly, so it never keeps it alive.
pub(crate) async fn supervise(client: Weak<Inner>) {
    loop {
        // Wait for the session to be lost.
        loop {
            tokio::time::sleep(WATCH_INTERVAL).await;
            let Some(inner) = client.upgrade() else {
                return;
            };
            if matches!(inner.link.state(), LinkState::Closed) {
                return;
            }
            if inner.link.session().is_none() {
                break;
            }
        }
        let Some(lost) = lose(&client).await else {
            return;
        };
        let Some(session) = reconnect(&client, lost).await else {
            return;
        };
        if let Some(inner) = client.upgrade() {
            watch_notices(&inner, &session);
            inner.orders.resume(&inner, session).await;
        }
    }
}

/// Follows `session`'s gateway-wide notices until it ends: after IBKR's servers come back
/// with market data lost (1101) every market-data stream subscribes again, and after 1101
/// or 1102 the orders being followed are read back (fills may have happened meanwhile).
pub(crate) fn watch_notices(client: &Arc<Inner>, session: &Session) {
    let Ok(mut notices) = session.gateway.notice_stream() else {
        return;
    };
    let weak = Arc::downgrade(client);
    let number = session.number;
    tokio::spawn(async move {
        while let Some(notice) = notices.next().await {
            let Some(inner) = weak.upgrade() else { return };
            match notice.code {
                1100 => tracing::warn!(
                    session = number,
                    "the IB gateway lost its connection to IBKR's servers"
                ),
                1101 | 1102 => {
                    let lost = notice.code == 1101;
                    tracing::warn!(
                        session = number,
                        market_data_lost = lost,
                        "the IB gateway is connected to IBKR's servers again"
                    );
                    if lost {
                        inner
                            .link
                            .market_data_epoch
                            .send_modify(|epoch| *epoch += 1);
                    }
                    if inner.link.session().is_some_and(|s| s.number == number) {
                        let client = Arc::clone(&inner);
                        tokio::spawn(async move { client.orders.reconcile(&client).await });
                    }
                }
                _ => {}
            }
        }
    });
}

/// Retires the lost session and tells everyone; returns the number of the lost session.
async fn lose(client: &Weak<Inner>) -> Option<u64> {
    let inner = client.upgrade()?;
    let lost = inner.link.take();
    let number = lost.as_ref().map_or(0, |s| s.number);
    tracing::warn!(
        address = %inner.config.address(),
        session = number,
        "lost the IB gateway; reconnecting"
    );
    inner.link.set(LinkState::Reconnecting {
        since: now(&inner.config),
        attempts: 0,
        last_error: None,
    });
    inner
        .orders
        .interrupted("the connection to the IB gateway was lost");
    if let Some(lost) = lost {
        lost.gateway.disconnect().await;
    }
    Some(number)
}

/// Tries until a session is up (returning it) or the client is gone (returning `None`).
async fn reconnect(client: &Weak<Inner>, lost: u64) -> Option<Arc<Session>> {
    let mut backoff = FIRST_BACKOFF;
    let mut attempts: u32 = 0;
    let since = now(&client.upgrade()?.config);
    loop {
        tokio::time::sleep(jittered(backoff)).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        let inner = client.upgrade()?;
        if matches!(inner.link.state(), LinkState::Closed) {
            return None;
        }
        attempts = attempts.saturating_add(1);
        let failure = match open(&inner.config).await {
            Ok((gateway, accounts)) => match verify(&inner.config, &inner.account, &accounts) {
                Ok(()) => {
                    let session = Arc::new(Session {
                        number: lost + 1,
                        gateway: Arc::new(gateway),
                    });
                    inner.link.install(Arc::clone(&session), now(&inner.config));
                    tracing::info!(
                        address = %inner.config.address(),
                        session = session.number,
                        attempts,
                        "reconnected to the IB gateway"
                    );
                    return Some(session);
                }
                Err(error) => {
                    gateway.disconnect().await;
                    tracing::error!(
                        address = %inner.config.address(),
                        attempt = attempts,
                        %error,
                        "the IB gateway came back with an account this client must not use; \
                         nothing will be sent until it comes back with the right one"
                    );
                    inner.link.set(LinkState::Refused {
                        since: now(&inner.config),
                        reason: error.to_string(),
                    });
                    continue;
                }
            },
            Err(error) => error,
        };
        tracing::warn!(
            address = %inner.config.address(),
            attempt = attempts,
            error = %failure,
            "reconnection attempt failed"
        );
        if !matches!(inner.link.state(), LinkState::Refused { .. }) {
            inner.link.set(LinkState::Reconnecting {
                since,
                attempts,
                last_error: Some(failure.to_string()),
            });
        }
    }
}

/// `base` less up to a fifth, so that many clients of one gateway do not knock together.
fn jittered(base: Duration) -> Duration {
    let nanos = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    );
    let fifth = base / 5;
    let fifth_nanos = u64::try_from(fifth.as_nanos()).unwrap_or(u64::MAX).max(1);
    base.saturating_sub(Duration::from_nanos(nanos % fifth_nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jitter_stays_within_a_fifth_below() {
        for _ in 0..100 {
            let waited = jittered(Duration::from_secs(1));
            assert!(waited <= Duration::from_secs(1));
            assert!(waited >= Duration::from_millis(800));
        }
    }

    #[test]
    fn a_gateway_back_with_another_account_or_mode_is_refused() {
        let config = Config::paper("127.0.0.1", 4002);
        assert!(verify(&config, "DU1", &["DU1".into()]).is_ok());
        let other = verify(&config, "DU1", &["DU2".into()]).unwrap_err();
        assert!(other.to_string().contains("DU2 instead of DU1"), "{other}");
        let live = verify(&config, "DU1", &["U7".into()]).unwrap_err();
        assert!(matches!(live, Error::AccountModeMismatch { .. }), "{live}");
    }
}
