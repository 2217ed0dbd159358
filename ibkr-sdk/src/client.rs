//! The connection to TWS / IB Gateway.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::account::AccountApi;
use crate::config::{Config, TradingMode};
use crate::connection::{Link, LinkState};
use crate::contracts::{Contracts, ResolvedContract};
use crate::error::Error;
use crate::market_data::MarketData;
use crate::orders::Orders;
use crate::orders::tracker::{OrderTracker, OrderUpdates};
use crate::quote_cache::QuoteCache;

/// A connected client. Cheap to clone.
#[derive(Clone)]
pub struct IbkrClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) link: Link,
    pub(crate) orders: OrderTracker,
    pub(crate) quotes: QuoteCache,
    pub(crate) config: Config,
    pub(crate) account: String,
    pub(crate) contracts: Mutex<HashMap<String, ResolvedContract>>,
    pub(crate) delayed_data: AtomicBool,
}

impl std::fmt::Debug for IbkrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IbkrClient")
            .field("address", &self.inner.config.address())
            .field("client_id", &self.inner.config.client_id)
            .field("account", &self.inner.account)
            .field("mode", &self.inner.config.trading_mode)
            .field("orders_enabled", &self.inner.config.orders_enabled)
            .finish()
    }
}

/// The result of [`IbkrClient::healthcheck`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Health {
    /// The gateway's clock.
    pub server_time: DateTime<Utc>,
    /// Round trip of the time request.
    pub round_trip_ms: u64,
    /// Whether the connection is up.
    pub connected: bool,
    /// The account in use.
    pub account: String,
    /// Paper or live.
    pub mode: TradingMode,
    /// Whether orders may be sent.
    pub orders_enabled: bool,
    /// Protocol version the gateway speaks.
    pub server_version: i32,
}

/// Whether an account id is a paper account (`DU…`, or `DF…` for advisors).
pub fn is_paper_account(account: &str) -> bool {
    account.starts_with("DU") || account.starts_with("DF")
}

/// Refuses an account whose kind does not match the configured mode.
pub(crate) fn check_mode(mode: TradingMode, accounts: &[String]) -> Result<(), Error> {
    for account in accounts {
        let paper = is_paper_account(account);
        let mismatch = match mode {
            TradingMode::Paper => !paper,
            TradingMode::Live => paper,
        };
        if mismatch {
            return Err(Error::AccountModeMismatch {
                mode: mode.as_str(),
                account: account.clone(),
                actual: if paper { "paper" } else { "live" },
            });
        }
    }
    Ok(())
}

impl IbkrClient {
    /// Connects to the gateway, within `config.connect_timeout`, and checks that the account
    /// matches `config.trading_mode` (paper accounts start with `DU`).
    ///
    /// # Errors
    /// [`Error::Config`] for an unsafe configuration (live orders without acknowledgement);
    /// [`Error::GatewayUnreachable`], [`Error::ConnectTimeout`], [`Error::ClientIdInUse`],
    /// [`Error::IncompatibleGateway`]; [`Error::AccountModeMismatch`].
    pub async fn connect(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let (gateway, accounts) = crate::connection::open(&config).await?;
        let Some(account) = accounts.first().cloned() else {
            return Err(Error::Config("the gateway reported no account".into()));
        };
        if let Err(error) = check_mode(config.trading_mode, &accounts) {
            gateway.disconnect().await;
            return Err(error);
        }
        tracing::info!(
            address = %config.address(),
            account = %account,
            mode = config.trading_mode.as_str(),
            orders_enabled = config.orders_enabled,
            "connected to the IB gateway"
        );
        let since = crate::connection::now(&config);
        let inner = Arc::new(Inner {
            link: Link::new(gateway, since),
            orders: OrderTracker::new(),
            quotes: QuoteCache::new(config.live_quotes),
            config,
            account,
            contracts: Mutex::new(HashMap::new()),
            delayed_data: AtomicBool::new(false),
        });
        if let Some(session) = inner.link.session() {
            OrderTracker::follow(&inner, &session).await?;
            crate::connection::watch_notices(&inner, &session);
        }
        tokio::spawn(crate::connection::supervise(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The account orders and queries use.
    pub fn account_id(&self) -> &str {
        &self.inner.account
    }

    /// Whether a session with the gateway is up right now. After a loss the client
    /// reconnects by itself for as long as it lives (see [`connection`](Self::connection)).
    pub fn is_connected(&self) -> bool {
        self.inner.link.session().is_some()
    }

    /// Where the connection stands: connected (which session), reconnecting (since when,
    /// how many attempts, the last error), or refused (the gateway came back with an
    /// account that does not match the configuration).
    pub fn connection(&self) -> LinkState {
        let state = self.inner.link.state();
        match state {
            // The supervisor notices a lost socket within a tenth of a second; until then
            // the truth is the socket's.
            LinkState::Connected { .. } if !self.is_connected() => LinkState::Reconnecting {
                since: crate::connection::now(&self.inner.config),
                attempts: 0,
                last_error: None,
            },
            other => other,
        }
    }

    /// Watches the connection state change.
    pub fn watch_connection(&self) -> tokio::sync::watch::Receiver<LinkState> {
        self.inner.link.watch()
    }

    /// Waits until a session is up, at most `within`.
    ///
    /// # Errors
    /// [`Error::Timeout`] when it is not up in time; [`Error::NotConnected`] when the client
    /// was closed.
    pub async fn wait_connected(&self, within: Duration) -> Result<(), Error> {
        let deadline = tokio::time::Instant::now() + within;
        let mut watch = self.inner.link.watch();
        loop {
            if self.is_connected() {
                return Ok(());
            }
            if matches!(*watch.borrow_and_update(), LinkState::Closed) {
                return Err(Error::NotConnected);
            }
            match tokio::time::timeout_at(deadline, watch.changed()).await {
                Err(_) => {
                    return Err(Error::Timeout {
                        what: "waiting for the IB gateway",
                        after: within,
                    });
                }
                Ok(Err(_)) => return Err(Error::NotConnected),
                Ok(Ok(())) => {}
            }
        }
    }

    /// Closes the connection for good (streams end, the client does not reconnect).
    pub async fn close(&self) {
        self.inner.link.close().await;
    }

    /// Updates of this client's orders from now on: statuses, fills with commissions, and
    /// after a reconnect where each order it followed stands (see [`OrderUpdates`]).
    pub fn order_updates(&self) -> OrderUpdates {
        self.inner.orders.subscribe()
    }

    /// Asks the gateway for its time: proves it answers, and how fast.
    ///
    /// # Errors
    /// [`Error::Timeout`] or [`Error::Disconnected`] when the gateway does not answer.
    pub async fn healthcheck(&self) -> Result<Health, Error> {
        let started = Instant::now();
        let gateway = self.gateway()?;
        let time = self
            .bounded("server time", "", gateway.server_time())
            .await?;
        let server_time = DateTime::from_timestamp(time.unix_timestamp(), time.nanosecond())
            .ok_or_else(|| Error::InvalidRequest("the gateway sent an impossible time".into()))?;
        Ok(Health {
            server_time,
            round_trip_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            connected: self.is_connected(),
            account: self.inner.account.clone(),
            mode: self.inner.config.trading_mode,
            orders_enabled: self.inner.config.orders_enabled,
            server_version: self.gateway()?.server_version(),
        })
    }

    /// Contract lookup.
    pub fn contracts(&self) -> Contracts<'_> {
        Contracts::new(self)
    }

    /// Quotes and bars.
    pub fn market_data(&self) -> MarketData<'_> {
        MarketData::new(self)
    }

    /// Account summary, positions and PnL.
    pub fn account(&self) -> AccountApi<'_> {
        AccountApi::new(self)
    }

    /// Orders: preview, place, cancel, status, with the safety rails.
    pub fn orders(&self) -> Orders<'_> {
        Orders::new(self)
    }

    /// The current session's `ibapi` client, or [`Error::NotConnected`] while there is none.
    pub(crate) fn gateway(&self) -> Result<Arc<ibapi::Client>, Error> {
        self.inner.link.gateway()
    }

    pub(crate) fn watch_market_data(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.link.watch_market_data()
    }

    pub(crate) fn quote_cache(&self) -> &QuoteCache {
        &self.inner.quotes
    }

    pub(crate) fn tracker(&self) -> &OrderTracker {
        &self.inner.orders
    }

    pub(crate) fn contract_cache(&self) -> MutexGuard<'_, HashMap<String, ResolvedContract>> {
        self.inner
            .contracts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        self.inner.config.request_timeout
    }

    pub(crate) fn uses_delayed_data(&self) -> bool {
        self.inner.delayed_data.load(Ordering::Relaxed)
    }

    pub(crate) fn set_delayed_data(&self) {
        self.inner.delayed_data.store(true, Ordering::Relaxed);
    }

    /// Runs a gateway call within the request timeout, mapping its errors (`context` names
    /// the symbol for market-data errors).
    pub(crate) async fn bounded<T>(
        &self,
        what: &'static str,
        context: &str,
        call: impl Future<Output = Result<T, ibapi::Error>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(self.request_timeout(), call).await {
            Err(_) => Err(Error::Timeout {
                what,
                after: self.request_timeout(),
            }),
            Ok(Err(ibapi::Error::Timeout)) => Err(Error::Timeout {
                what,
                after: self.request_timeout(),
            }),
            Ok(Err(error)) => Err(Error::from_ibapi(error, context)),
            Ok(Ok(value)) => Ok(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_and_live_accounts_are_told_apart() {
        assert!(check_mode(TradingMode::Paper, &["DU1234567".into()]).is_ok());
        assert!(check_mode(TradingMode::Live, &["U7654321".into()]).is_ok());
        let error = check_mode(TradingMode::Paper, &["U7654321".into()]).unwrap_err();
        assert!(error.to_string().contains("live account"), "{error}");
        assert!(check_mode(TradingMode::Live, &["DU1234567".into()]).is_err());
    }
}
