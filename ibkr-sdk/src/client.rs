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
use crate::contracts::{Contracts, ResolvedContract};
use crate::error::Error;
use crate::market_data::MarketData;
use crate::orders::Orders;

/// A connected client. Cheap to clone.
#[derive(Clone)]
pub struct IbkrClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) gateway: ibapi::Client,
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
        let address = config.address();
        let mut builder = ibapi::Client::builder()
            .address(address.clone())
            .client_id(config.client_id)
            .one_shot_timeout(config.request_timeout)
            .max_reconnect_attempts(5);
        if let Some(rate) = config.max_messages_per_second {
            builder = builder.rate_limiter(ibapi::RateLimiter::per_second(rate));
        }
        let connecting = builder.connect();
        let gateway = match tokio::time::timeout(config.connect_timeout, connecting).await {
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
        let account = accounts
            .first()
            .cloned()
            .ok_or_else(|| Error::Config("the gateway reported no account".into()))?;
        check_mode(config.trading_mode, &accounts)?;
        tracing::info!(
            address = %config.address(),
            account = %account,
            mode = config.trading_mode.as_str(),
            orders_enabled = config.orders_enabled,
            "connected to the IB gateway"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                gateway,
                config,
                account,
                contracts: Mutex::new(HashMap::new()),
                delayed_data: AtomicBool::new(false),
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The account orders and queries use.
    pub fn account_id(&self) -> &str {
        &self.inner.account
    }

    /// Whether the connection is up (`ibapi` reconnects on its own after a drop; streams
    /// must be opened again).
    pub fn is_connected(&self) -> bool {
        self.inner.gateway.is_connected()
    }

    /// Asks the gateway for its time: proves it answers, and how fast.
    ///
    /// # Errors
    /// [`Error::Timeout`] or [`Error::Disconnected`] when the gateway does not answer.
    pub async fn healthcheck(&self) -> Result<Health, Error> {
        let started = Instant::now();
        let time = self
            .bounded("server time", "", self.inner.gateway.server_time())
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
            server_version: self.inner.gateway.server_version(),
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

    pub(crate) fn gateway(&self) -> &ibapi::Client {
        &self.inner.gateway
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
